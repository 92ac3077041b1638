"""``python -m bench.page``: watch's whole CPU work on a page against a bare spider's, step by step.

On the real pages of ``corpus/realpages`` (102 pages, 93 KB of HTML and 11 KB of visible text on
average), in one process and one run, both sides read the same fresh ``HtmlResponse`` objects:

* **bare**: what a bare Scrapy spider does with a page, ``response.css("title::text").get()``
  and ``response.urljoin`` of every ``response.css("a::attr(href)")``: one parsel parse, then
  selectors;
* **watch**: everything watch does with a page, in crawl order, each step timed:
  ``parse`` (``response.selector.root``: parsel's one lxml parse, shared by every other step),
  ``text`` (:func:`watch.text.visible_text`), ``shell`` (:func:`watch.shell.shell_verdict`, the
  ``render=auto`` test of a script-built page: one corpus page, an AngularJS template, needs a
  browser; on the 101 others, which need none, is where its cost must stay small), ``language``,
  ``words`` (the page's one tokenisation, ``DocumentWords.from_page``, and the content
  fingerprint it gives), ``links`` (the crawl rule's :class:`spiders.links.PageLinkExtractor`),
  ``scope`` (:class:`watch.scope.CrawlScope` taking the page's links as the scope middleware
  hands them over: canonical forms, sites, queues), ``equation`` (the seed's equation and each of
  its terms, as ``pipelines/match.py`` asks them, and the publication date of a document that
  matches: with an equation, only the documents exported get theirs read, by
  ``pipelines/published.py``), ``near misses`` (``NearMissCollector``) and
  ``simhash`` (of the same words, as ``pipelines/dedup.py`` takes it).

Times are CPU time (``time.process_time``) per page: the best of ``--rounds`` rounds after one
warm-up round (which loads the language model and fills the caches of words and sites), the two
sides alternating so that they share the machine's noise. The work is checked: every page
gives a title or text, links, and the scope takes them; the run fails otherwise. The last line is
JSON: ``ratio`` (watch ÷ bare CPU per page), ``watch_ms_per_page``, ``bare_ms_per_page``,
``shell_us_per_page`` (the shell detector, in microseconds) and ``peak_rss_mb`` (of the whole
process).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.http import HtmlResponse

from spiders.links import PageLinkExtractor
from watch.metadata import detect_language, published_date
from watch.query import DocumentWords, QuerySet
from watch.query.nearmiss import NearMissCollector
from watch.scope import CrawlScope
from watch.shell import shell_verdict
from watch.text import parse_html, visible_text
from watch.urls import crawl_target, site_of

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "realpages"
#: The seed's equation (README).
EQUATION = 'Quorum OR Carata OR Poligma Or Nationbuilder Or "Digital Box" OR "Blue State Digital"'
STEPS = (
    "parse", "text", "shell", "language", "words", "links", "scope", "equation", "near misses",
    "simhash",
)  # fmt: skip
#: Corpus pages whose plain HTML is script-built (lanouvellerepublique.fr.martin: {{ctrl.content.title}}).
SCRIPT_BUILT = 1
#: Texts with fewer words get no simhash (``pipelines.dedup.MIN_WORDS_FOR_NEAR``).
MIN_WORDS_FOR_SIMHASH = 20


def corpus() -> list[tuple[str, bytes]]:
    """The corpus pages as (URL, body): each on its own ``.test`` site, as in a crawl of many sites."""
    return [
        (f"https://www.{path.name.removesuffix('.html.gz')}.test/page.html", gzip.decompress(path.read_bytes()))
        for path in sorted(CORPUS.glob("*.html.gz"))
    ]


def responses(pages: Sequence[tuple[str, bytes]]) -> Iterator[HtmlResponse]:
    """A fresh response for each page (nothing decoded or parsed yet), made when its turn comes, so
    that only one page's tree is in memory at a time, as in a crawl."""
    for url, body in pages:
        yield HtmlResponse(url=url, body=body)


# -- bare -------------------------------------------------------------------------------------


def bare_round(pages: Sequence[tuple[str, bytes]]) -> tuple[float, float, int]:
    """A bare spider's work on every page: CPU seconds in all, of which parsing, and the links
    it found."""
    found = 0
    spent = parsing = 0.0
    gc.collect()
    clock = time.process_time
    for response in responses(pages):
        started = clock()
        response.selector  # noqa: B018 - the parse, timed apart (the selectors below would do it)
        parsed = clock()
        response.css("title::text").get()
        found += len([response.urljoin(href) for href in response.css("a::attr(href)").getall()])
        spent += clock() - started
        parsing += parsed - started
    return spent, parsing, found


# -- watch ------------------------------------------------------------------------------------


class Watch:
    """Everything watch computes from a page, step by step, with the components the crawl uses."""

    def __init__(self) -> None:
        self.queries = QuerySet({"seed": EQUATION})
        terms = self.queries.queries["seed"].terms  # no NEAR term: the terms are the equation's own
        # pipelines/match.py asks every term as a one-term equation too (per-term counts).
        self.terms = QuerySet({term.text: term.text for term in terms})
        self.near_misses = NearMissCollector(terms)
        self.link_extractor = PageLinkExtractor()

    def round(self, pages: Sequence[tuple[str, bytes]]) -> tuple[dict[str, float], dict[str, int]]:
        """CPU seconds per step over every page, and counts of the work done."""
        spent: dict[str, float] = dict.fromkeys(STEPS, 0.0)
        done: defaultdict[str, int] = defaultdict(int)
        # Every round reads links as new: in a crawl, only the pages of one site share their menus.
        crawl_target.cache_clear()
        site_of.cache_clear()
        # The crawl's scope: every page is a seed of its own site, read at level 1.
        scope: CrawlScope[None] = CrawlScope(site_depth=5, pages_per_site=10)
        for url, _ in pages:
            scope.add_seed(url, None)
        slots = {release.url: release.key for release in scope.next_level()}
        gc.collect()
        clock = time.process_time
        for response in responses(pages):
            url = response.url
            t0 = clock()
            root = response.selector.root
            t1 = clock()
            page = visible_text(root)
            t2 = clock()
            shell = shell_verdict(root, page.text)
            t3 = clock()
            detect_language(page.text, page.lang)
            t4 = clock()
            doc = DocumentWords.from_page(page.title, page.text)
            doc.fingerprint  # noqa: B018 (computed here, as watch.analysis does)
            t5 = clock()
            links = self.link_extractor.extract_links(response)
            t6 = clock()
            released = scope.page_read(slots[url], 200, [(link.url, None) for link in links])
            t7 = clock()
            self.terms.match(doc)
            matched = self.queries.match(doc)
            if matched:  # with an equation, only the documents exported get their date read
                published_date(parse_html(response.text), url)
            t8 = clock()
            self.near_misses.add(doc, url)
            t9 = clock()
            if len(doc.body_words) >= MIN_WORDS_FOR_SIMHASH:
                doc.simhash  # noqa: B018
            t10 = clock()
            for step, seconds in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5,
                                             t7 - t6, t8 - t7, t9 - t8, t10 - t9)):  # fmt: skip
                spent[step] += seconds
            done["read"] += bool(page.title or page.text)
            done["shells"] += shell.is_shell
            done["links"] += len(links)
            done["released"] += len(released)
            done["matched"] += bool(matched)
        done["scope_events"] = sum(scope.events.values())
        return spent, done


# -- run --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, choices=range(1, 101), default=5, metavar="N",
                        help="timed rounds, 1 to 100; the best is kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="20 pages, 2 rounds: for a test")
    options = parser.parse_args(argv)
    pages = corpus()
    rounds = options.rounds
    if options.quick:
        pages, rounds = pages[:20], 2
    count = len(pages)
    watch = Watch()
    watch.round(pages)  # warm-up: language model, caches of words, sites and selectors
    bare_round(pages)  # warm-up
    watch_rounds: list[dict[str, float]] = []
    bare_times: list[tuple[float, float]] = []
    for _ in range(rounds):
        spent, done = watch.round(pages)
        bare_seconds, bare_parsing, bare_links = bare_round(pages)
        watch_rounds.append(spent)
        bare_times.append((bare_seconds, bare_parsing))
        if (done["read"] != count or done["links"] < count or not done["scope_events"] or not bare_links
                or done["shells"] > SCRIPT_BUILT):  # fmt: skip
            # Another shell would be a false alarm: a render for nothing.
            raise SystemExit(f"work not done: watch {dict(done)}, bare {bare_links} links")
    best = min(watch_rounds, key=lambda spent: sum(spent.values()))
    watch_ms = 1000 * sum(best.values()) / count
    bare_seconds, bare_parsing = min(bare_times)
    bare_ms = 1000 * bare_seconds / count
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

    print(f"bench.page: {count} corpus pages, CPU ms per page, best of {rounds} rounds")
    print(f"{'watch step':<14}{'ms/page':>9}{'share':>8}")
    for step in STEPS:
        ms = 1000 * best[step] / count
        print(f"{step:<14}{ms:>9.2f}{ms / watch_ms:>8.0%}")
    print(f"{'watch total':<14}{watch_ms:>9.2f}")
    print(
        f"{'bare total':<14}{bare_ms:>9.2f}   (parsel title + a::attr(href) + urljoin;"
        f" parse {1000 * bare_parsing / count:.2f})"
    )
    print(
        f"work done per round: {done['read']} pages read, {done['matched']} matching the seed's equation,"
        f" {done['shells']} looking script-built;"
        f" links per page: watch {done['links'] / count:.0f} (http(s), each once), bare"
        f" {bare_links / count:.0f} (every href)"
    )
    print(f"ratio (watch / bare): {watch_ms / bare_ms:.2f}")
    print(
        json.dumps(
            {
                "ratio": round(watch_ms / bare_ms, 2),
                "watch_ms_per_page": round(watch_ms, 2),
                "bare_ms_per_page": round(bare_ms, 2),
                "shell_us_per_page": round(1e6 * best["shell"] / count, 1),
                "peak_rss_mb": round(peak_rss_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
