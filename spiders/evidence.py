"""The run's evidence in one place: seeds, what each document showed, progress, coverage report.

An extension in the shape of Scrapy's ``corestats.py``: it owns what a run proves and writes it,
from typed values the other components hand it (never from stats-key strings):

* the **report folder** (``WATCH_REPORT_DIR``, else the folder of the first local feed, else
  ``results``), chosen once;
* the **seeds** a spider used (:meth:`Evidence.record_seeds`): ``seeds.csv`` is written at once,
  so even a run that dies can be repeated from them;
* the **ledger** (:class:`watch.ledger.Ledger`) where the pipelines leave their verdict on each
  document, settled in read order at the end;
* the **scope** (:meth:`Evidence.watch_scope`), for progress and coverage;
* **progress**: every ``WATCH_PROGRESS_INTERVAL`` seconds one INFO line, in place of Scrapy's
  LogStats line (switched off in the settings), and a summary table per level at the end;
* at the end, once the feeds are stored: ``near_misses.json`` (with equations), ``coverage.json``
  and ``coverage.html`` (:mod:`watch.report`), and their summary in the log.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.extensions.feedexport import FeedExporter
from twisted.internet.task import LoopingCall

from spiders.arguments import folder, optional
from spiders.config import read, seconds
from watch.ledger import Ledger, match_tally
from watch.query.nearmiss import NearMissCollector
from watch.report import (
    DocumentFlow,
    Feed,
    NotCrawled,
    NotCrawledReason,
    Outcome,
    OutcomeGroup,
    RunParameters,
    build_report,
    near_misses_from,
    software_versions,
    summary_lines,
    write_report,
)
from watch.seeds import write_seeds_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.extensions.feedexport import FeedSlot
    from scrapy.settings import BaseSettings

    from watch.ledger import Released
    from watch.query import QuerySet, Term
    from watch.scope import CrawlScope
    from watch.seeds import Seed

logger = logging.getLogger(__name__)

SEEDS_FILE = "seeds.csv"
NEAR_MISSES_FILE = "near_misses.json"
#: Kinds of page read as a document (the others answered 2xx gave none).
_DOCUMENT_KINDS = frozenset(outcome.value for outcome in Outcome if outcome.group is OutcomeGroup.DOCUMENT)


@dataclass(frozen=True)
class EvidenceConfig:
    """The settings of :class:`Evidence`, checked once."""

    report_dir: Path
    progress_interval: float  #: seconds between two progress lines; 0: none

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        read(settings, "WATCH_REPORT_DIR", optional(folder))
        return cls(report_dir(settings), read(settings, "WATCH_PROGRESS_INTERVAL", seconds))


def report_dir(settings: BaseSettings) -> Path:
    """``WATCH_REPORT_DIR``, else the folder of the first local feed (``-O results/x.csv`` →
    ``results``), else ``results``.

    A feed path with parameters (``results/%(name)s/%(time)s.csv``) gives the folder before the
    first parameter (``results``): reports are written once a run, not once a batch.
    """
    chosen = settings.get("WATCH_REPORT_DIR")
    if chosen:
        return Path(chosen)
    for uri in settings.getdict("FEEDS"):
        parts = urlsplit(str(uri))
        if parts.scheme in ("", "file") and parts.path:
            return Path(parts.path.split("%(", 1)[0] + "x").parent
    return Path("results")


class Evidence:
    """Gathers the run's evidence and writes it (see the module docstring)."""

    def __init__(self, crawler: Crawler, config: EvidenceConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.ledger = Ledger()
        self.scope: CrawlScope[Any] | None = None
        self.seeds: list[Seed] = []
        self.equations: dict[str, str] = {}
        self._terms: tuple[Term, ...] = ()
        self._released: Released | None = None
        self._folded = 0
        self._near_dropped = 0
        self._feeds: list[Feed] = []
        self._reason = ""
        self._started = time.monotonic()
        self._last: tuple[float, int] = (self._started, 0)
        self._progress = LoopingCall(self._log_progress)
        #: In a crawl shared by processes: ``main`` or ``helper`` (which writes no report).
        self.shared_role = ""
        #: Why the run stopped short of a complete answer it must not present as one (Redis lost).
        self.incomplete = ""
        #: As the main of a shared crawl: every level is read and every site's results are here.
        self.shared_complete = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, EvidenceConfig.from_settings(crawler.settings))
        crawler.signals.connect(extension._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension._spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension._feed_slot_closed, signal=signals.feed_slot_closed)
        stored = signals.feed_exporter_closed if crawler.settings.getdict("FEEDS") else signals.spider_closed
        crawler.signals.connect(extension._write, signal=stored)
        return extension

    @property
    def report_dir(self) -> Path:
        return self.config.report_dir

    # -- what the components hand over ----------------------------------------------------

    def watch_scope(self, scope: CrawlScope[Any]) -> None:
        """The crawl's scope (from the scope middleware): its levels, sites and pages."""
        self.scope = scope

    def record_seeds(self, seeds: Sequence[Seed]) -> None:
        """The seeds used (with the start page as rank 0, if any): written to ``seeds.csv`` now."""
        self.seeds = list(seeds)
        path = self.report_dir / SEEDS_FILE
        write_seeds_file(path, self.seeds)
        count = sum(1 for seed in self.seeds if seed.rank)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("watch/seeds/count", count)
        logger.info("%d seed(s) written to %s", count, path)

    def use_equations(self, queries: QuerySet, terms: Sequence[Term]) -> None:
        """The crawl's equations and their terms (from the match pipeline)."""
        self.equations = {name: queries.queries[name].equation for name in queries.names}
        self._terms = tuple(terms)

    def stop_short(self, reason: str) -> None:
        """The run ends without the answer it must not present as complete (a shared crawl not read
        yet, or lost): no feed file is written, not even an empty one over an earlier run's."""
        self.incomplete = reason
        feeds = self.crawler.get_extension(FeedExporter)
        for slot in feeds.slots if feeds is not None else ():
            slot.store_empty = False

    def released(self, released: Released, folded: int, near_dropped: int) -> None:
        """What the end of the crawl sent to the feeds (from the deduplication pipeline)."""
        self._released = released
        self._folded = folded
        self._near_dropped = near_dropped

    # -- signals --------------------------------------------------------------------------

    def _spider_opened(self, spider: Spider) -> None:
        self._started = time.monotonic()
        self._last = (self._started, 0)
        if self.config.progress_interval:
            self._progress.start(self.config.progress_interval, now=False)

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self._reason = reason
        if self._progress.running:
            self._progress.stop()

    def _feed_slot_closed(self, slot: FeedSlot) -> None:
        self._feeds.append(Feed(slot.uri_template, slot.itemcount))

    # -- progress -------------------------------------------------------------------------

    def _log_progress(self) -> None:
        if self.scope is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        now = time.monotonic()
        fetched = int(stats.get_value("response_received_count", 0))
        last_time, last_fetched = self._last
        rate = (fetched - last_fetched) / (now - last_time) if now > last_time else 0.0
        self._last = (now, fetched)
        level = self.scope.progress()
        errors = sum(count for name, count in self.scope.events.items() if name in _ERROR_EVENTS)
        left = f"≤ {level.pages_left} page(s) left on it"
        if rate > 0 and level.pages_left:
            left += f", ≤ {_duration(level.pages_left / rate)} at this pace"
        logger.info(
            "%s | level %d: %d/%d site(s) done, %s | %d page(s) fetched (%.1f/s), %d document(s) matched, %d error(s)",
            _duration(now - self._started), level.level, level.sites_done, level.sites, left, fetched, rate,
            self._matched(), errors,
        )  # fmt: skip

    def _matched(self) -> int:
        stats = self.crawler.stats
        assert stats is not None
        return int(stats.get_value("watch/match/matched", 0))

    # -- the end --------------------------------------------------------------------------

    def _write(self, **kwargs: Any) -> None:
        """Write the near misses and the coverage report, once the feeds are stored."""
        if self.scope is None or self.shared_role == "helper":  # no crawl, or the main writes the reports
            return
        if self.shared_role and self.incomplete:
            # This process saw part of a shared crawl only: the reports of an earlier run stay, and
            # the run that finishes the crawl writes the new ones.
            logger.error("No report written: %s", self.incomplete)
            return
        spider = self.crawler.spider
        assert spider is not None and self.crawler.stats is not None
        coverage = self.scope.coverage()
        evidence = self.ledger.in_read_order()
        near = self._near_misses(evidence)
        report = build_report(
            coverage,
            self._run(spider),
            documents=self._flow(coverage, evidence),
            match=match_tally(evidence, [term.text for term in self._terms], list(self.equations), near)
            if self.equations
            else None,
            seeds=self.seeds,
            not_crawled=[NotCrawled(host, NotCrawledReason.PRIVATE_ADDRESS) for host in coverage["sites_private"]],
            feeds=self._feeds or [Feed(str(uri)) for uri in self.crawler.settings.getdict("FEEDS")],
        )
        json_path, html_path = write_report(report, self.report_dir)
        for line in summary_lines(report):
            logger.info(line)
        self._log_levels(coverage)
        logger.info("Coverage report: %s and %s", json_path, html_path)

    def _run(self, spider: Spider) -> RunParameters:
        stats = self.crawler.stats
        assert stats is not None
        arguments = dict(getattr(spider, "given_arguments", {}))
        render = self.crawler.settings.get("WATCH_RENDER")
        unavailable = stats.get_value("watch/render/unavailable")
        return RunParameters(
            spider=spider.name,
            start_url=getattr(spider, "start_url", None) or "",
            equations=self.equations,
            arguments=arguments,
            render_mode=f"{render}, without a browser ({unavailable})" if unavailable else render,
            versions=software_versions(),
            started_at=stats.get_value("start_time"),
            finished_at=stats.get_value("finish_time") or datetime.now(timezone.utc),
            finish_reason=f"{self._reason}: {self.incomplete}" if self.incomplete else self._reason,
            interrupted=self._reason != "finished" or bool(self.incomplete),
        )

    def _flow(self, coverage: dict[str, Any], evidence: Sequence[Any]) -> DocumentFlow:
        """What became of the pages read, from the scope's pages and the ledger."""
        kinds = [
            page["outcome"]
            for site in coverage["sites"]
            for page in site["pages"]
            if page["status"] is not None and 200 <= page["status"] < 300
        ]
        read = sum(kind in _DOCUMENT_KINDS for kind in kinds)
        released = self._released
        return DocumentFlow(
            read=read,
            not_html=kinds.count("not_html"),
            not_text=kinds.count("not_text"),
            empty=kinds.count("empty"),
            unreadable=kinds.count("unreadable"),
            dropped_by_equation=sum(1 for entry in evidence if entry.equations == ()),
            not_exported_by_changes=released.not_exported_by_changes if released else 0,
            duplicates_folded=self._folded,
            near_duplicates_dropped=self._near_dropped,
            failed=read - len(evidence),
            exported=len(released.documents) if released else 0,
        )

    def _near_misses(self, evidence: Sequence[Any]) -> dict[str, Any]:
        """Near misses recorded in read order, written to ``near_misses.json`` and logged."""
        if not self.equations:
            return {}
        collector = NearMissCollector(self._terms)
        for entry in evidence:
            collector.record(entry.near_misses, entry.url)
        report = collector.report()
        path = self.report_dir / NEAR_MISSES_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        counts: dict[str, int] = {}
        for entry in evidence:
            for term in entry.terms:
                counts[term] = counts.get(term, 0) + 1
        lines = collector.summary_lines({term: counts.get(term, 0) for term in collector.terms})
        logger.info("Near misses of the search terms (all of them in %s):", path)
        for line in lines:
            # A term found nowhere with near misses is most likely a spelling the sites do not use.
            logger.log(logging.WARNING if line.startswith("0 documents") else logging.INFO, "  %s", line)
        if not lines:
            logger.info("  none")
        return near_misses_from(report)

    def _log_levels(self, coverage: dict[str, Any]) -> None:
        """The summary table: per level, sites, pages counted, documents, errors."""
        rows: dict[int, list[int]] = {}
        for site in coverage["sites"]:
            row = rows.setdefault(site["level"], [0, 0, 0, 0])
            row[0] += 1
            row[1] += site["pages_counted"]
            row[2] += sum(page["outcome"] in _DOCUMENT_KINDS for page in site["pages"])
            row[3] += sum(page["outcome"] in ("error", "lost") for page in site["pages"])
        logger.info("%6s %7s %7s %10s %7s", "level", "sites", "pages", "documents", "errors")
        for level, (sites, pages, documents, errors) in sorted(rows.items()):
            logger.info("%6d %7d %7d %10d %7d", level, sites, pages, documents, errors)


#: Scope events that are errors, for the progress line.
_ERROR_EVENTS = frozenset({"page_error", "page_lost", "page_redirect_refused"})


def _duration(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 05 s`` or ``12 s``.

    >>> _duration(3725), _duration(185), _duration(12.4)
    ('1 h 02 min', '3 min 05 s', '12 s')
    """
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    if whole >= 60:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole} s"


def evidence_of(crawler: Crawler) -> Evidence:
    """The run's :class:`Evidence` extension, which every watch component reports to."""
    evidence = crawler.get_extension(Evidence)
    if evidence is None:
        raise RuntimeError("spiders.evidence.Evidence must be in EXTENSIONS: watch's components report to it")
    return evidence
