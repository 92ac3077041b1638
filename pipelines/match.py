"""Keep the documents that satisfy the search equations, and explain each match.

Thin adapter over :mod:`watch.query`: it asks the compiled equations about each document's words
(read once by the spider: title, then visible text), fills ``matched_terms``, ``snippets`` and
``matched_queries`` on matches, drops the rest, and counts everything under ``watch/match/...``.
What each document showed (the terms it contains, the equations it satisfies, its near misses) is
left in the run's ledger (:class:`spiders.evidence.Evidence`), which settles the per-term counts
and near misses in read order at the end, for ``near_misses.json`` and the coverage report.

**Documents are matched in batches.** Many equations are decided far faster over many documents
at once (:mod:`watch.query.batch`), so ``process_item`` is a coroutine that hands its document to
a :class:`MatchBatcher` and waits: a batch is decided when ``WATCH_MATCH_BATCH_SIZE`` documents
wait, when no other document has come for ``WATCH_MATCH_BATCH_QUIET`` seconds, or
``WATCH_MATCH_BATCH_DELAY`` seconds after its first one, whichever comes first. While pages
stream in, batches fill; when they slow down (the end of a level, a slow web), the quiet period
decides the batch at once, so the crawl never idles waiting for it. Documents reach the feeds at
the end of the crawl anyway (the deduplication pipeline holds them), so the wait changes nothing
in the output. This needs Scrapy's asyncio reactor (its default, and what scrapy-playwright
requires).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from spiders.config import read, seconds, whole_number
from spiders.evidence import evidence_of
from watch.query import DocumentWords, Match, QuerySet, QuerySyntaxError
from watch.query.nearmiss import NearMissCollector
from watch.query.snippets import snippets

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from spiders.evidence import Evidence
    from watch.query import Term

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")

#: The name of the single equation given with ``-a query=`` (``WATCH_QUERY``).
QUERY_NAME = "query"


@dataclass(frozen=True)
class MatchConfig:
    """The settings of :class:`QueryMatchPipeline`, checked once: the equations compile."""

    equations: dict[str, str]  #: name -> equation, ``query`` first, then the file's
    snippets_per_term: int
    snippet_width: int
    batch_size: int
    batch_quiet: float
    batch_delay: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        equations: dict[str, str] = {}
        query = str(settings.get("WATCH_QUERY") or "").strip()
        if query:
            equations[QUERY_NAME] = read(settings, "WATCH_QUERY", _equation)
        queries_file = settings.get("WATCH_QUERIES_FILE")
        if queries_file:
            from_file = read(settings, "WATCH_QUERIES_FILE", _equations_file)
            equations.update((name, from_file.queries[name].equation) for name in from_file.names)
        return cls(
            equations,
            snippets_per_term=read(settings, "WATCH_MATCH_SNIPPETS_PER_TERM", whole_number(0)),
            snippet_width=read(settings, "WATCH_MATCH_SNIPPET_WIDTH", whole_number(40)),
            batch_size=read(settings, "WATCH_MATCH_BATCH_SIZE", whole_number(1)),
            batch_quiet=read(settings, "WATCH_MATCH_BATCH_QUIET", seconds),
            batch_delay=read(settings, "WATCH_MATCH_BATCH_DELAY", seconds),
        )


def _equation(value: object) -> str:
    from spiders.arguments import equation

    return equation(str(value))


def _equations_file(value: object) -> QuerySet:
    from spiders.arguments import equations_file

    return QuerySet.from_file(equations_file(str(value)))


class QueryMatchPipeline:
    """Drop documents that match no equation; fill the match explanation on the others.

    Switched off (``NotConfigured``) when neither ``WATCH_QUERY`` nor ``WATCH_QUERIES_FILE`` is
    set: every document is then kept, at no cost.
    """

    def __init__(self, queries: QuerySet, config: MatchConfig, stats: StatsCollector, evidence: Evidence) -> None:
        self.queries = queries
        self.config = config
        self.stats = stats
        self.evidence = evidence
        terms = queries.every_term()
        # The terms as one-term equations: matched over each batch along with the equations, they
        # tell which terms every document contains, however many there are.
        self._terms = QuerySet({term.text: term.text for term in terms})
        self._near_misses = NearMissCollector(tuple(terms))
        self._batcher = MatchBatcher(self._decide, config.batch_size, config.batch_quiet, config.batch_delay)
        self._logged_drop = False
        evidence.use_equations(queries, terms)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = MatchConfig.from_settings(crawler.settings)
        if not config.equations:
            raise NotConfigured("no search equation: every document is kept")
        assert crawler.stats is not None
        try:
            queries = QuerySet(config.equations)
        except QuerySyntaxError as exc:  # checked before the crawl; a programming error here
            raise ValueError(str(exc)) from None
        return cls(queries, config, crawler.stats, evidence_of(crawler))

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
        near = self._near_misses.observe(doc)
        terms, matches = await self._batcher.submit(doc)
        for text in terms:
            self.stats.inc_value(f"watch/match/term/{text}")
        names = [name for name in self.queries.names if name in matches]
        evidence = self.evidence.ledger.evidence(adapter.get("site") or "", tuple(adapter.get("read_order") or ()), url)
        evidence.terms, evidence.equations, evidence.near_misses = tuple(terms), tuple(names), near
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
        for name in names:
            self.stats.inc_value(f"watch/match/query/{name}")
        explained = _combined([matches[name] for name in names])
        adapter["matched_terms"] = [term.text for term in explained.terms]
        adapter["snippets"] = snippets(
            doc, explained, per_term=self.config.snippets_per_term, width=self.config.snippet_width
        )
        adapter["matched_queries"] = names
        return item

    def _decide(self, docs: list[DocumentWords]) -> list[tuple[list[str], dict[str, Match]]]:
        """The terms each of ``docs`` contains (as written), and its matching equations explained."""
        return list(zip(self._terms.matching_many(docs), self.queries.match_many(docs)))


class MatchBatcher(Generic[_Result]):
    """Documents waiting to be decided together (see the module docstring).

    ``decide`` takes a batch of documents and returns one result for each, in order. A batch is
    decided when ``size`` documents wait, ``quiet`` seconds after the last one came, or ``delay``
    seconds after the first, whichever comes first.
    """

    def __init__(
        self, decide: Callable[[list[DocumentWords]], Sequence[_Result]], size: int, quiet: float, delay: float
    ) -> None:
        self._decide = decide
        self.size = size
        self.quiet = quiet
        self.delay = delay
        self._waiting: list[tuple[DocumentWords, asyncio.Future[_Result]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = 0.0

    async def submit(self, doc: DocumentWords) -> _Result:
        """Return ``doc``'s result, once its batch is decided."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[_Result] = loop.create_future()
        self._waiting.append((doc, result))
        if len(self._waiting) >= self.size:
            self.flush()
        else:
            now = loop.time()
            if len(self._waiting) == 1:
                self._deadline = now + self.delay
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(min(now + self.quiet, self._deadline), self.flush)
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
