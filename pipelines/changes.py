"""Only what is new or changed since the last run: the monitoring state of a crawl.

Thin adapter over :class:`watch.state.MonitoringState` (read its docstring for what "seen" means
and why a killed run is reported again rather than lost). Settings, read by :class:`ChangesConfig`:

- ``WATCH_STATE_PATH``: the SQLite state file; empty means no state (every run stands alone).
- ``WATCH_STATE_CHANGES``: ``all`` (export every document), ``new`` (only documents never seen
  before) or ``changed`` (new, or with another content fingerprint than last time).

The deduplication pipeline settles the crawl's documents at its end, in read order, and asks
:meth:`MonitoringChanges.label` about each one before deciding on duplicates: each gets
``change`` = ``new`` / ``changed`` / ``unchanged`` (counted under ``watch/changes/<change>``), and
those the setting does not want are left out (``watch/changes/not_exported``). Labelling before
deduplication means that a document already known at one URL and found new at another is exported
at the new URL, which is news for a watch (a copy on another site), and that the state records
every URL read, duplicates included.

The state is opened, and locked, when the crawl is built, so a second run on the same state stops
before its first request with :class:`watch.state.StateInUse`. The run's documents become known
(:meth:`~watch.state.MonitoringState.finish`) only once the feeds are stored: on
``feed_exporter_closed`` when ``FEEDS`` are set, on ``spider_closed`` otherwise, and not at all
if a feed failed to store (``feedexport/failed_count/...``), so the next run reports them again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dataclasses import dataclass
from pathlib import Path

from scrapy import signals

from spiders.arguments import choice, optional, state_file
from spiders.config import read
from watch.state import MonitoringState

if TYPE_CHECKING:
    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
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


@dataclass(frozen=True)
class ChangesConfig:
    """The monitoring settings, checked once (the state file itself is checked when it is opened)."""

    path: Path | None  #: ``None``: no monitoring state
    changes: str

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        path = read(settings, "WATCH_STATE_PATH", optional(state_file))
        return cls(path or None, read(settings, "WATCH_STATE_CHANGES", choice(*EXPORTED)))


class MonitoringChanges:
    """Label each document new/changed/unchanged against the state; say which are wanted."""

    def __init__(self, state: MonitoringState, stats: StatsCollector, *, changes: str = "all") -> None:
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
        """The crawl's monitoring state, opened and locked now (``WATCH_STATE_PATH`` must be set)."""
        config = ChangesConfig.from_settings(crawler.settings)
        assert config.path is not None and crawler.stats is not None
        changes = cls(MonitoringState(config.path, started_at=_now()), crawler.stats, changes=config.changes)
        feeds_stored = signals.feed_exporter_closed if crawler.settings["FEEDS"] else signals.spider_closed
        crawler.signals.connect(changes.finish, signal=feeds_stored)
        return changes

    def label(self, fields: dict[str, Any]) -> tuple[str, bool]:
        """A held document's change since the last run, and whether the run exports it."""
        change = self.state.observe(
            fields.get("canonical_url") or fields["url"], fields["fingerprint"], fields.get("fetched_at") or _now()
        )
        return change, change in self._exported

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
