"""Keep the documents that satisfy the search equations, and explain each match.

Thin adapter over :mod:`watch.query`: it prepares each document's searched text (title, a line
break, visible text), asks the compiled equations, fills ``matched_terms``, ``snippets`` and
``matched_queries`` on matches, drops the rest, counts everything under ``watch/match/...`` and,
when the spider closes, writes the near-miss report (``near_misses.json``) and logs its summary.

**Documents are matched in batches.** Many equations are decided far faster over many documents
at once (:mod:`watch.query.batch`), so ``process_item`` is a coroutine that hands its document to
a :class:`MatchBatcher` and waits: the batch is decided as soon as :attr:`MatchBatcher.SIZE`
documents wait, or :attr:`MatchBatcher.DELAY` seconds after its first one arrived, whichever
comes first. No document waits longer than that, and the crawl still ends promptly: Scrapy waits
for items being processed before it closes the spider, and the timer decides the last batch.
Documents reach the feeds at the end of the crawl anyway (the deduplication pipeline holds
them), so the wait changes nothing in the output. This needs Scrapy's asyncio reactor (its
default, and what scrapy-playwright requires).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from watch.query import DocumentWords, Match, QuerySet
from watch.query.nearmiss import NearMissCollector
from watch.query.snippets import snippets
from watch.query.terms import NEAR

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from watch.query import Term

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")

#: The name of the single equation given with ``-a query=`` (``WATCH_QUERY``).
QUERY_NAME = "query"
#: File written in ``WATCH_REPORT_DIR`` when the spider closes.
NEAR_MISSES_FILE = "near_misses.json"


class QueryMatchPipeline:
    """Drop documents that match no equation; fill the match explanation on the others.

    Switched off (``NotConfigured``) when neither ``WATCH_QUERY`` nor ``WATCH_QUERIES_FILE`` is
    set: every document is then kept, at no cost. The equations are assumed valid (the spider
    checks them before the first request).
    """

    def __init__(
        self,
        queries: QuerySet,
        stats: StatsCollector,
        *,
        snippets_per_term: int = 2,
        snippet_width: int = 160,
        report_dir: Path = Path("results"),
    ) -> None:
        self.queries = queries
        self.stats = stats
        self.snippets_per_term = snippets_per_term
        self.snippet_width = snippet_width
        self.report_dir = report_dir
        terms = {term.text: term for term in _all_terms(queries)}
        # The terms as one-term equations: matched over each batch along with the equations, they
        # tell which terms every document contains, however many there are.
        self._terms = QuerySet({text: text for text in terms})
        self._near_misses = NearMissCollector(tuple(terms.values()))
        self._batcher = MatchBatcher(self._decide)
        self._logged_drop = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        equations: dict[str, str] = {}
        query = settings.get("WATCH_QUERY", "").strip()
        if query:
            equations[QUERY_NAME] = query
        queries_file = settings.get("WATCH_QUERIES_FILE", "")
        if queries_file:
            from_file = QuerySet.from_file(queries_file)
            equations.update((name, from_file.queries[name].equation) for name in from_file.names)
        if not equations:
            raise NotConfigured("no search equation: every document is kept")
        assert crawler.stats is not None
        return cls(
            QuerySet(equations),
            crawler.stats,
            snippets_per_term=settings.getint("WATCH_MATCH_SNIPPETS_PER_TERM", 2),
            snippet_width=settings.getint("WATCH_MATCH_SNIPPET_WIDTH", 160),
            report_dir=Path(settings.get("WATCH_REPORT_DIR") or "results"),
        )

    def open_spider(self) -> None:
        """Start every term's document count at zero, so that a term never hit shows as 0."""
        for text in self._terms.names:
            self.stats.set_value(f"watch/match/term/{text}", 0)
        for name in self.queries.names:
            self.stats.set_value(f"watch/match/query/{name}", 0)

    async def process_item(self, item: Any) -> Any:
        """Return ``item`` with its match explained, or raise ``DropItem`` if nothing matches."""
        adapter = ItemAdapter(item)
        url = adapter.get("url") or ""
        # The spider read the page's words once; a document from elsewhere is read here.
        doc = adapter.get("words") or DocumentWords.from_page(adapter.get("title") or "", adapter.get("text") or "")
        self.stats.inc_value("watch/match/documents")
        self._near_misses.add(doc, url)
        terms, matches = await self._batcher.submit(doc)
        for text in terms:
            self.stats.inc_value(f"watch/match/term/{text}")
        if not matches:
            self.stats.inc_value("watch/match/dropped")
            if not self._logged_drop:
                logger.info(
                    "Dropping documents that match no search equation (first: %s); see them at"
                    " DEBUG level, and their number in the stat watch/match/dropped",
                    url,
                )
                self._logged_drop = True
            raise DropItem(f"matches no search equation: {url}", log_level="DEBUG")
        self.stats.inc_value("watch/match/matched")
        names = [name for name in self.queries.names if name in matches]
        for name in names:
            self.stats.inc_value(f"watch/match/query/{name}")
        explained = _combined([matches[name] for name in names])
        adapter["matched_terms"] = [term.text for term in explained.terms]
        adapter["snippets"] = snippets(
            doc, explained, per_term=self.snippets_per_term, width=self.snippet_width
        )
        adapter["matched_queries"] = names
        return item

    def _decide(self, docs: list[DocumentWords]) -> list[tuple[list[str], dict[str, Match]]]:
        """The terms each of ``docs`` contains (as written), and its matching equations explained."""
        return list(zip(self._terms.matching_many(docs), self.queries.match_many(docs)))

    def close_spider(self) -> None:
        """Write ``near_misses.json`` and log the near misses, terms found nowhere first."""
        self.report_dir.mkdir(parents=True, exist_ok=True)
        path = self.report_dir / NEAR_MISSES_FILE
        report = self._near_misses.report()
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        hits = {
            text: self.stats.get_value(f"watch/match/term/{text}", 0) for text in self._terms.names
        }
        lines = self._near_misses.summary_lines(hits)
        logger.info("Near misses of the search terms (all of them in %s):", path)
        for line in lines:
            # A term found nowhere with near misses is most likely a spelling the sites do not use.
            level = logging.WARNING if line.startswith("0 documents") else logging.INFO
            logger.log(level, "  %s", line)
        if not lines:
            logger.info("  none")


class MatchBatcher(Generic[_Result]):
    """Documents waiting to be decided together (see the module docstring).

    ``decide`` takes a batch of documents and returns one result for each, in order.
    """

    #: Documents decided together at most; a batch this size is decided at once.
    SIZE = 256
    #: Seconds the first document of a batch waits, at most, for others to join it.
    DELAY = 0.5

    def __init__(self, decide: Callable[[list[DocumentWords]], Sequence[_Result]]) -> None:
        self._decide = decide
        self._waiting: list[tuple[DocumentWords, asyncio.Future[_Result]]] = []
        self._timer: asyncio.TimerHandle | None = None

    async def submit(self, doc: DocumentWords) -> _Result:
        """Return ``doc``'s result, once its batch is decided."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[_Result] = loop.create_future()
        self._waiting.append((doc, result))
        if len(self._waiting) >= self.SIZE:
            self.flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.DELAY, self.flush)
        return await result

    def flush(self) -> None:
        """Decide the documents waiting now and give each its result."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            results = self._decide([doc for doc, _ in waiting])
        except Exception as error:
            # Matching does not raise; if it ever did, each item fails with the error (Scrapy
            # logs it) rather than waiting forever.
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(waiting, results):
            if not future.done():  # else cancelled while waiting: the crawl was stopped
                future.set_result(result)


def _all_terms(queries: QuerySet) -> Iterator[Term]:
    """Every term of every equation, NEAR terms followed by their sides, in equation order."""
    for name in queries.names:
        yield from _with_sides(queries.queries[name].terms)


def _with_sides(terms: tuple[Term, ...]) -> Iterator[Term]:
    for term in terms:
        yield term
        if term.kind == NEAR:
            yield from _with_sides(term.operands)


def _combined(matches: list[Match]) -> Match:
    """One explanation for several matching equations: their terms, de-duplicated as written."""
    occurrences: dict[Term, list[tuple[int, int]]] = {}
    seen: set[str] = set()
    for match in matches:
        for term in match.terms:
            if term.text not in seen:
                seen.add(term.text)
                occurrences[term] = match.occurrences[term]
    return Match(tuple(occurrences), occurrences)

