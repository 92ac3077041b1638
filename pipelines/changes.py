"""Only what is new or changed since the last run: the monitoring state as an item pipeline.

Thin adapter over :class:`watch.state.MonitoringState` (read its docstring for what "seen" means
and why a killed run is reported again rather than lost). Settings:

- ``WATCH_STATE_PATH``: the SQLite state file; empty switches the pipeline off (``NotConfigured``).
- ``WATCH_STATE_CHANGES``: ``all`` (export every document), ``new`` (only documents never seen
  before) or ``changed`` (new, or with another content fingerprint than last time).

Every document that reaches this pipeline gets ``change`` = ``new`` / ``changed`` /
``unchanged`` and is counted under ``watch/changes/<change>``; those the setting does not export
are dropped (``watch/changes/not_exported``).

The state is opened, and locked, when the crawl is built, so a second run on the same state stops
before its first request with :class:`watch.state.StateInUse`. The run's documents become known
(:meth:`~watch.state.MonitoringState.finish`) only once the feeds are stored: on
``feed_exporter_closed`` when ``FEEDS`` are set, on ``spider_closed`` otherwise, and not at all
if a feed failed to store (``feedexport/failed_count/...``), so the next run reports them again.

Place it before :class:`pipelines.dedup.DedupPipeline` (which must be last): then a document
already known at one URL and found new at another is exported at the new URL, which is news for
a watch (a copy on another site), and the state records every URL read, duplicates included.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from watch.state import MonitoringState

if TYPE_CHECKING:
    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from watch.state import Change

logger = logging.getLogger(__name__)

#: What each ``WATCH_STATE_CHANGES`` value exports.
EXPORTED: dict[str, frozenset[Change]] = {
    "all": frozenset(("new", "changed", "unchanged")),
    "new": frozenset(("new",)),
    "changed": frozenset(("new", "changed")),
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ChangesPipeline:
    """Label each document new/changed/unchanged against the state; export the wanted ones."""

    def __init__(self, state: MonitoringState, stats: StatsCollector, *, changes: str = "all") -> None:
        if changes not in EXPORTED:
            raise ValueError(f"WATCH_STATE_CHANGES must be one of {', '.join(EXPORTED)}; got {changes!r}")
        self.state = state
        self.stats = stats
        self.changes = changes
        self._exported = EXPORTED[changes]
        self._closed = False
        if state.abandoned:
            logger.warning(
                "The last run on %s did not finish; the %d documents it had read will be reported again",
                state.path,
                state.abandoned,
            )
            stats.inc_value("watch/changes/abandoned", state.abandoned)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        path = settings.get("WATCH_STATE_PATH", "")
        if not path:
            raise NotConfigured("no monitoring state (WATCH_STATE_PATH is empty)")
        changes = settings.get("WATCH_STATE_CHANGES", "all")
        if changes not in EXPORTED:  # checked before the state is locked
            raise ValueError(f"WATCH_STATE_CHANGES must be one of {', '.join(EXPORTED)}; got {changes!r}")
        assert crawler.stats is not None
        pipeline = cls(MonitoringState(path, started_at=_now()), crawler.stats, changes=changes)
        feeds_stored = signals.feed_exporter_closed if settings["FEEDS"] else signals.spider_closed
        crawler.signals.connect(pipeline.finish, signal=feeds_stored)
        return pipeline

    def process_item(self, item: Any) -> Any:
        """Label ``item``; return it, or raise ``DropItem`` if ``changes`` does not export it."""
        adapter = ItemAdapter(item)
        change = self.state.observe(
            adapter.get("canonical_url") or adapter["url"],
            adapter["fingerprint"],
            adapter.get("fetched_at") or _now(),
        )
        adapter["change"] = change
        self.stats.inc_value(f"watch/changes/{change}")
        if change not in self._exported:
            self.stats.inc_value("watch/changes/not_exported")
            raise DropItem(f"{change} since the last run (changes={self.changes}): {adapter['url']}",
                           log_level="DEBUG")  # fmt: skip
        return item

    def finish(self) -> None:
        """Make this run's documents known, unless a feed failed; then release the state."""
        if self._closed:
            return
        self._closed = True
        try:
            failed = {k: v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count/")}
            if failed:
                logger.error(
                    "A feed could not be stored (%s): the state at %s is left as before this run, so the"
                    " next run reports these documents again",
                    ", ".join(failed),
                    self.state.path,
                )
                return
            summary = self.state.finish(_now())
            self.stats.set_value("watch/changes/missing", summary.missing)
            logger.info(
                "Monitoring state %s: %d new, %d changed, %d unchanged; %d known pages not read this run",
                self.state.path, summary.new, summary.changed, summary.unchanged, summary.missing,
            )  # fmt: skip
        finally:
            self.state.close()
