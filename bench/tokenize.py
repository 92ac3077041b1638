"""``python -m bench.tokenize [--quick]``: today's tokeniser against the new one, on the corpus pages.

The baseline is ``watch/normalize.py`` and the fingerprint functions of ``watch/fingerprints.py``
as they were before issue 7 (commit 15669d5), copied below verbatim. The pages are the 102 real
pages of ``corpus/realpages`` (title and visible text by :func:`watch.text.visible_text`).

1. **Same words.** Every page's tokens (words and spans) are compared, old against new: they
   must be identical except where the text holds a character of a documented fix (a combining
   mark outside the few Latin blocks the old tokeniser knew, ``ʼ`` U+02BC); the content
   fingerprints likewise.
2. **Speed.** Each page, old and new alternately, a few rounds; the best time of each page is
   kept (other processes share the machine). ``tokenize`` is what the matching pipeline ran on
   every page (words with their spans); ``words`` what the fingerprint ran. The new ``words`` is
   what a page now costs; its spans (new ``spans``) are only worked out for documents that get
   snippets or near misses.
3. **A page's words.** Everything a page needed from its words, old: the content fingerprint
   (analysis), the tokens again (matching), the words and simhash (deduplication); new: one
   :meth:`DocumentWords.from_page`, its vocabulary, fingerprint and simhash.

The last line is ``{"old_mb_per_s": …, "new_mb_per_s": …, "speedup": …, "words_speedup": …,
"page_speedup": …}``: old ``tokenize`` against new ``words`` (MB of UTF-8 text a second), then
old ``words`` against new ``words``, then a page's words.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import time
import tracemalloc
import unicodedata
from collections import Counter
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple

from watch import normalize
from watch.query import DocumentWords
from watch.text import visible_text

if TYPE_CHECKING:
    from collections.abc import Sequence

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "realpages"

# -- baseline: watch/normalize.py before issue 7, verbatim ----------------------------------

# Letters and digits; everything else (spaces of every width, apostrophes, hyphens, punctuation)
# separates words. Combining marks stay inside the word they decorate, and so do soft hyphens and
# zero-width characters, which page authors put inside words (SPIP and Word do) and folding drops.
_WORD = re.compile(
    r"(?:[^\W_][\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u00ad\u200b-\u200d\u2060]*)+"
)

# Letters that NFKC and case folding leave whole but a French or German reader writes out, and
# the invisible characters that may sit inside a word.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i"}
    | dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060")
)


class Token(NamedTuple):
    """A normalised word and where it stands in the text it was read from."""

    word: str
    start: int
    end: int


def fold(text: str) -> str:
    """Return ``text`` folded for comparison: the form every word is matched in.

    Steps: Unicode NFKC (ligatures, full-width and superscript forms), case folding
    (``ß`` → ``ss``), accents removed (NFD, then combining marks dropped), ``œ``/``æ`` written out.

    >>> fold("L’Œuvre ÉLECTORALE ﬁnale")
    'l’oeuvre electorale finale'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_LIGATURES)


_new_token = tuple.__new__


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> tuple[str, ...]:
    """The normalised word(s) of one run of letters and digits; cached, since words repeat."""
    if word.isascii():
        return (word.lower(),)
    return tuple(_WORD.findall(fold(word)))


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised words, each with its span in ``text``.

    Words are runs of letters and digits; apostrophes (``'``, ``’``), hyphens, non-breaking and
    thin spaces separate them, so French elisions fall apart (``l’Élection`` → ``l``,
    ``election``). A run that folding turns into several words (``½`` → ``1⁄2``) yields each of
    them with the run's span.

    >>> [t.word for t in tokenize("l’Élection de Digital\u00a0Box")]
    ['l', 'election', 'de', 'digital', 'box']
    >>> [t.word for t in tokenize("réor\u00adga\u00adni\u00adsa\u00adtion")]
    ['reorganisation']
    """
    tokens: list[Token] = []
    append = tokens.append
    for match in _WORD.finditer(text):
        parts = _fold_word(match.group())
        if len(parts) == 1:
            # tuple.__new__ skips NamedTuple's Python-level constructor: this loop runs per word.
            append(_new_token(Token, (parts[0], *match.span())))
        else:
            start, end = match.span()
            tokens.extend(_new_token(Token, (part, start, end)) for part in parts)
    return tokens


def words(text: str) -> list[str]:
    """Return the normalised words of ``text``, in order (see :func:`tokenize`).

    >>> words("Quorum, QUORUMS et quorum’s")
    ['quorum', 'quorums', 'et', 'quorum', 's']
    """
    return list(_words(text))


@lru_cache(maxsize=16)
def _words(text: str) -> tuple[str, ...]:
    # A page's text is read for words more than once (its fingerprint, then deduplication): the
    # few most recent answers are kept. A str caches its hash, and the same object compares at once.
    # Spans are not needed here: findall is twice as fast as building tokens.
    fold_word = _fold_word
    return tuple(word for run in _WORD.findall(text) for word in fold_word(run))


# -- baseline: watch/fingerprints.py before issue 7, verbatim (its ``_words`` was normalize's
# ``words`` imported under that name; here it is the cached function ``words`` wraps: the same
# words, without the list copy) ----------------------------------------------------------------

# _BIT_OF[b][v] is bit b of the byte v: bytes.translate with it, then count(1), counts in C how
# many feature hashes have that bit set.
_BIT_OF = tuple(bytes((value >> bit) & 1 for value in range(256)) for bit in range(8))


def _hash64(data: bytes) -> bytes:
    return blake2b(data, digest_size=8).digest()


@lru_cache(maxsize=100_000)
def _word_hash(word: str) -> bytes:
    # Words recur from page to page: a bounded cache saves most of the hashing.
    return _hash64(word.encode("utf-8"))


def content_fingerprint(title: str, text: str) -> str:
    """Return the 64-bit content fingerprint of a page, as 16 hex digits.

    Steps: the words of ``text`` (:func:`watch.normalize.words`: folded case and accents,
    punctuation and whitespace dropped), or of ``title`` when ``text`` has none, joined by single
    spaces; then BLAKE2b with an 8-byte digest. Equal fingerprints mean equal normalised text.

    >>> content_fingerprint("Élection", "Le  QUORUM,\\n est atteint.")
    'f579f617c1b90cd3'
    >>> content_fingerprint("Other title", "le quorum est atteint") == _
    True
    """
    words = _words(text) or _words(title)
    return _hash64(" ".join(words).encode("utf-8")).hex()


def simhash(words: Sequence[str]) -> int:
    """Return the 64-bit simhash of a text given as its normalised words.

    Steps: each distinct word is hashed to 64 bits with BLAKE2b and votes with its number of
    occurrences; bit ``i`` of the result is set when more than half of the votes have bit ``i``
    set. No words give 0. Words rather than word n-grams: on real pages with 1-5 % of the words
    edited, word features keep 89-99 % of the copies within 3 bits where bigrams keep 11-73 %,
    without a single false pair among 100 distinct pages (see ``bench/dedup.py``).

    >>> simhash(["quorum"]) == int.from_bytes(_hash64(b"quorum"), "big")
    True
    >>> simhash(["b", "a", "a"]) == simhash(["a", "b", "a"])
    True
    >>> simhash([])
    0
    """
    counts = Counter(words)
    hashes = b"".join(_word_hash(word) * n for word, n in counts.items())
    half = len(words) / 2
    result = 0
    for byte_index in range(8):
        column = hashes[byte_index::8]
        shift = 8 * (7 - byte_index)
        for bit, table in enumerate(_BIT_OF):
            if column.translate(table).count(1) > half:
                result |= 1 << (shift + bit)
    return result


# -- the comparison ----------------------------------------------------------------------------


class Page(NamedTuple):
    name: str
    title: str
    text: str


def pages() -> list[Page]:
    """The corpus pages, in name order, as the crawler reads them."""
    found = []
    for path in sorted(CORPUS.glob("*.html.gz")):
        page = visible_text(gzip.decompress(path.read_bytes()))
        found.append(Page(path.name.removesuffix(".html.gz"), page.title, page.text))
    return found


def is_fix(char: str) -> bool:
    """Whether the fixes of issue 7 read ``char`` differently: ``ʼ``, or a combining mark (all
    now stay inside their word; variation selectors and enclosing marks fold away)."""
    return char == "\u02bc" or unicodedata.category(char)[0] == "M"


def unexplained(text: str) -> list[str]:
    """The places where old and new tokens of ``text`` differ without a fix character there."""
    old = [tuple(token) for token in tokenize(text)]
    new = [tuple(token) for token in normalize.tokenize(text)]
    found = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        spans = [span for _, *span in old[old_start:old_end] + new[new_start:new_end]]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        if not any(map(is_fix, text[start:end])):
            found.append(f"{text[start:end]!r}: {old[old_start:old_end]} -> {new[new_start:new_end]}")
    return found


def check(corpus: Sequence[Page]) -> tuple[int, int]:
    """Compare old and new on every page (see the module docstring); return how many pages differ
    in their words and in their fingerprint, all explained by fixes. Raises if one is not."""
    differing = changed_fingerprints = 0
    for page in corpus:
        problems = unexplained(f"{page.title}\n{page.text}")
        if problems:
            raise AssertionError(f"{page.name}: old and new words differ outside the fixes: {problems[:3]}")
        if tokenize(page.text) != normalize.tokenize(page.text):
            differing += 1
        doc = DocumentWords.from_page(page.title, page.text)
        if doc.fingerprint != content_fingerprint(page.title, page.text):
            changed_fingerprints += 1
            if not any(map(is_fix, page.text if doc.body_words else page.title)):
                raise AssertionError(f"{page.name}: the fingerprint changed without a fix character")
        if doc.simhash != simhash(list(_words.__wrapped__(page.text))) and not any(map(is_fix, page.text)):
            raise AssertionError(f"{page.name}: the simhash changed without a fix character")
    return differing, changed_fingerprints


def old_page(page: Page) -> None:
    """What a page needed from its words before issue 7, step by step as the pipelines did it."""
    content_fingerprint(page.title, page.text)  # watch.analysis
    tokens = tokenize(f"{page.title}\n{page.text}")  # QueryMatchPipeline: DocumentWords.from_text
    frozenset(token.word for token in tokens)
    text_words = words(page.text)  # DedupPipeline (the fingerprint's words, cached)
    simhash(text_words)


def new_page(page: Page) -> None:
    """What a page needs from its words now: read once, for everything."""
    doc = DocumentWords.from_page(page.title, page.text)
    _ = doc.vocabulary, doc.fingerprint, doc.simhash


def best_times(
    corpus: Sequence[Page], rounds: int, runs: dict[str, Callable[[Page], object]]
) -> dict[str, float]:
    """Total over the pages of each page's best time, per run; runs alternate page by page."""
    best = {name: [float("inf")] * len(corpus) for name in runs}
    for _ in range(rounds):
        for number, page in enumerate(corpus):
            for name, run in runs.items():
                _words.cache_clear()  # the page-text cache served one page twice, never two rounds
                started = time.perf_counter()
                run(page)
                best[name][number] = min(best[name][number], time.perf_counter() - started)
    return {name: sum(times) for name, times in best.items()}


def held_bytes(corpus: Sequence[Page]) -> tuple[float, float]:
    """Average bytes a matched page's DocumentWords holds (text, words, vocabulary, spans), and
    after :meth:`DocumentWords.release`; the caches shared by all pages are warm already."""
    held = released = 0
    for page in corpus:
        new_page(page)
        tracemalloc.start()
        doc = DocumentWords.from_page(page.title, page.text)
        for computed in ("vocabulary", "spans", "fingerprint", "simhash"):
            getattr(doc, computed)  # kept by the document, not here
        held += tracemalloc.get_traced_memory()[0]
        doc.release()
        released += tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return held / len(corpus), released / len(corpus)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two rounds instead of nine")
    options = parser.parse_args(argv)
    corpus = pages()
    megabytes = sum(len(page.text.encode()) for page in corpus) / 1e6
    differing, changed = check(corpus)
    print(f"{len(corpus)} pages, {megabytes:.2f} MB of visible text; words and spans identical on "
          f"{len(corpus) - differing}, the {differing} others only where a fix applies; "
          f"{changed} content fingerprints changed by a fix")
    runs: dict[str, Callable[[Page], object]] = {
        "old tokenize": lambda page: tokenize(page.text),
        "old words": lambda page: list(_words.__wrapped__(page.text)),
        "new words": lambda page: normalize.words(page.text),
        "new spans": lambda page: normalize.spans(page.text),
    }
    best_times(corpus, 1, runs)  # warm the caches of both, as a crawl's earlier pages do
    rounds = 2 if options.quick else 9
    times = best_times(corpus, rounds, runs)
    print(f"{'tokeniser':<14} {'MB/s':>8} {'ms/page':>8}")
    for name, seconds in times.items():
        print(f"{name:<14} {megabytes / seconds:>8.2f} {1000 * seconds / len(corpus):>8.3f}")
    page_times = best_times(corpus, rounds, {"old page": old_page, "new page": new_page})
    print(f"{'a page':<14} {'ms/page':>8}   (tokenise + fingerprint + simhash + vocabulary)")
    for name, seconds in page_times.items():
        print(f"{name:<14} {1000 * seconds / len(corpus):>8.3f}")
    held, released = held_bytes(corpus)
    print(f"DocumentWords held: {held / 1e3:.0f} kB a page with spans, {released / 1e3:.1f} kB once released")
    summary = {
        "old_mb_per_s": round(megabytes / times["old tokenize"], 2),
        "new_mb_per_s": round(megabytes / times["new words"], 2),
        "speedup": round(times["old tokenize"] / times["new words"], 1),
        "words_speedup": round(times["old words"] / times["new words"], 1),
        "page_speedup": round(page_times["old page"] / page_times["new page"], 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
