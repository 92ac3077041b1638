"""``python -m bench.dedup``: watch's duplicate filter against Scrapy's, and simhash on real text.

1. **Request filter.** For 100,000 and 1,000,000 distinct URLs (``--quick``: 20,000), each filter
   is asked ``request_seen`` once per URL (inserts: all must be new) and again (look-ups: all must
   be seen). Ours is :class:`spiders.dupefilter.CompactDupeFilter` with
   :class:`~spiders.dupefilter.CanonicalRequestFingerprinter`; the baseline is Scrapy's default,
   ``RFPDupeFilter`` with ``RequestFingerprinter``. Times include building each ``Request``, the
   same for both. Memory is what the filter keeps, in bytes per URL, measured with
   ``tracemalloc``: the same fingerprints are replayed into each filter under tracing (a
   fingerprinter that hands out slices of the precomputed digests, so each fingerprint is a new
   object, as in a crawl), which leaves out the canonicalisation garbage and costs far less time.
2. **Simhash.** Fingerprints per second and words per second over the real pages of
   ``mockweb/corpus`` (visible text by :func:`watch.text.visible_text`).
3. **Near-duplicates.** From each real page, planted copies with 0.5 %, 1 % and 2 % of the words
   replaced, deleted or inserted, and a boilerplate line; every pair of texts with simhashes within
   3 bits is predicted a duplicate. Precision and recall against the planted truth.

The last line is ``{"bytes_per_url_ours": …, "bytes_per_url_scrapy": …, "simhash_per_s": …}``
(memory at the largest size).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
import tracemalloc
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinter

from spiders.dupefilter import CanonicalRequestFingerprinter, CompactDupeFilter
from watch.fingerprints import hamming, simhash
from watch.normalize import words
from watch.text import visible_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.dupefilters import BaseDupeFilter

CORPUS = Path(__file__).resolve().parent.parent / "mockweb" / "corpus"
EDIT_RATES = (0.005, 0.01, 0.02)
NEAR_DISTANCE = 3


def _urls(count: int) -> list[str]:
    """Distinct URLs as a crawl meets them: many sites, paths, some queries and tracking noise."""
    rng = random.Random(count)
    sections = ["blog", "news", "2025/03", "category/politique", "tag/élection", "page"]
    return [
        f"https://site{rng.randrange(5000)}.test/{rng.choice(sections)}/{i}-{rng.getrandbits(24):x}"
        + (f"?p={rng.randrange(9)}&utm_source=rss" if i % 3 == 0 else "")
        for i in range(count)
    ]


class _Recorder:
    """A fingerprinter that records the fingerprints another one computes."""

    def __init__(self, fingerprinter: CanonicalRequestFingerprinter | RequestFingerprinter) -> None:
        self._fingerprinter = fingerprinter
        self.fingerprints: list[bytes] = []

    def fingerprint(self, request: Request) -> bytes:
        fingerprint = self._fingerprinter.fingerprint(request)
        self.fingerprints.append(fingerprint)
        return fingerprint


class _Replay:
    """A fingerprinter that hands out slices of precomputed digests, one per call."""

    def __init__(self, digests: bytes, size: int) -> None:
        self._digests, self._size, self._next = digests, size, 0

    def fingerprint(self, request: Request) -> bytes:
        start = self._next * self._size
        self._next += 1
        return self._digests[start : start + self._size]


FILTERS: dict[str, tuple[type[BaseDupeFilter], Callable[[], CanonicalRequestFingerprinter | RequestFingerprinter]]] = {
    "ours": (CompactDupeFilter, CanonicalRequestFingerprinter),
    "scrapy": (RFPDupeFilter, RequestFingerprinter),
}


def bench_filter(name: str, urls: list[str]) -> dict[str, float]:
    kind, make_fingerprinter = FILTERS[name]
    recorder = _Recorder(make_fingerprinter())
    dupefilter = kind(fingerprinter=recorder)  # type: ignore[call-arg]
    started = time.perf_counter()
    new = sum(not dupefilter.request_seen(Request(url)) for url in urls)
    inserted = time.perf_counter()
    seen = sum(dupefilter.request_seen(Request(url)) for url in urls)
    looked_up = time.perf_counter()
    if new != len(urls) or seen != len(urls):
        raise SystemExit(f"{name}: {new} new and {seen} seen of {len(urls)} URLs")

    digests = recorder.fingerprints[: len(urls)]
    replayed = kind(fingerprinter=_Replay(b"".join(digests), len(digests[0])))  # type: ignore[call-arg]
    probe = Request("https://probe.test/")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in urls:
            replayed.request_seen(probe)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return {
        "insert_per_s": len(urls) / (inserted - started),
        "lookup_per_s": len(urls) / (looked_up - inserted),
        "bytes_per_url": used / len(urls),
    }


def _corpus_words() -> list[list[str]]:
    pages = [visible_text(gzip.decompress(path.read_bytes())) for path in sorted(CORPUS.glob("*.html.gz"))]
    texts = [words(page.text) for page in pages]
    texts = [text for text in texts if len(text) >= 200]
    if len(texts) < 3:
        raise SystemExit(f"too few real pages with text in {CORPUS}")
    return texts


def _edit(text: list[str], rate: float, rng: random.Random) -> list[str]:
    edited = list(text)
    for _ in range(max(1, round(len(text) * rate))):
        position, kind = rng.randrange(len(edited)), rng.random()
        if kind < 0.4:
            edited[position] = rng.choice(text)
        elif kind < 0.7:
            del edited[position]
        else:
            edited.insert(position, rng.choice(text))
    return [*edited, "partager", "sur", "facebook", "et", "x"]


def bench_simhash(texts: list[list[str]], rounds: int) -> dict[str, float]:
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            simhash(text)
    elapsed = time.perf_counter() - started
    return {
        "simhash_per_s": rounds * len(texts) / elapsed,
        "words_per_s": rounds * sum(map(len, texts)) / elapsed,
    }


def bench_near_duplicates(texts: list[list[str]], copies: int) -> dict[str, float]:
    rng = random.Random(7)
    documents = [(source, text) for source, text in enumerate(texts)]
    for source, text in enumerate(texts):
        for rate in EDIT_RATES:
            documents += [(source, _edit(text, rate, rng)) for _ in range(copies)]
    hashes = [(source, simhash(text)) for source, text in documents]
    predicted = truth = hits = 0
    for (source_a, a), (source_b, b) in combinations(hashes, 2):
        same, close = source_a == source_b, hamming(a, b) <= NEAR_DISTANCE
        truth += same
        predicted += close
        hits += same and close
    return {
        "documents": len(documents),
        "true_pairs": truth,
        "precision": hits / predicted if predicted else 1.0,
        "recall": hits / truth,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a test")
    args = parser.parse_args()
    sizes = [20_000] if args.quick else [100_000, 1_000_000]

    memory: dict[str, float] = {}
    for size in sizes:
        urls = _urls(size)
        for name in FILTERS:
            result = bench_filter(name, urls)
            memory[name] = result["bytes_per_url"]
            print(
                f"{name:>6} {size:>9,} URLs: insert {result['insert_per_s']:>9,.0f}/s"
                f"  look-up {result['lookup_per_s']:>9,.0f}/s  {result['bytes_per_url']:6.1f} bytes/URL",
                flush=True,
            )

    texts = _corpus_words()
    speed = bench_simhash(texts, rounds=2 if args.quick else 20)
    print(
        f"simhash: {speed['simhash_per_s']:,.0f} pages/s, {speed['words_per_s']:,.0f} words/s"
        f" ({len(texts)} real pages, {sum(map(len, texts)) // len(texts):,} words on average)"
    )
    near = bench_near_duplicates(texts, copies=1 if args.quick else 3)
    print(
        f"near-duplicates (<= {NEAR_DISTANCE} bits, edits {', '.join(f'{r:.1%}' for r in EDIT_RATES)}):"
        f" {near['documents']} texts, {near['true_pairs']} planted pairs,"
        f" precision {near['precision']:.3f}, recall {near['recall']:.3f}"
    )
    print(
        json.dumps(
            {
                "bytes_per_url_ours": round(memory["ours"], 2),
                "bytes_per_url_scrapy": round(memory["scrapy"], 2),
                "simhash_per_s": round(speed["simhash_per_s"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
