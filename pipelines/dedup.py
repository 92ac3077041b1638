"""Each document once, decided at the end of the crawl in read order (DESIGN §5, issue 4).

The last item pipeline. Every document that reaches it is *held*: what the feeds need and what
deciding on duplicates needs (fingerprint, simhash) go into the run's ledger
(:class:`watch.ledger.Ledger`, owned by :class:`spiders.evidence.Evidence`), under the page's read
order. When the crawl ends (:meth:`DedupPipeline.close_spider`, also after Ctrl-C), the held
documents are settled in read order — the scope's order key of each page (level, site order, rank
in the site) — so which copy is kept never depends on download timing
(:func:`watch.ledger.release`):

1. with a monitoring state (``WATCH_STATE_PATH``), each is labelled new/changed/unchanged and those
   ``WATCH_STATE_CHANGES`` does not want are left out (:class:`pipelines.changes.MonitoringChanges`);
2. then each text is kept once (:class:`watch.ledger.Deduplicator`: same URL, same text on the same
   site, same text on another site → ``also_at``, near-duplicates → ``near_duplicate_of``).

**Why documents are held until the crawl ends.** Feeds are written as items pass, and a copy on
another site may be read at any time, so no document is final before the crawl ends: an item
written early could not get its ``also_at`` entries. So the kept documents are sent to the feeds
with the ``item_scraped`` signal, which is what the feed exporters listen to (and what
``item_scraped_count`` counts), from ``close_spider``. That works in Scrapy 2.19 because the
engine closes the item pipelines (once every item has passed) *before* it sends
``spider_closed``, on which ``FeedExporter`` closes the feeds. A pipeline cannot simply wait in
``process_item`` instead: the engine would never be idle, so the crawl would never end. So the
held documents leave ``process_item`` as a :class:`HeldForDeduplication` drop, logged at DEBUG;
Scrapy's ``item_dropped_count`` and ``item_dropped_reasons_count/HeldForDeduplication`` are brought
back down as they are released, so they end counting real drops only.

Consequences: this must be the *last* item pipeline (a later one would never see the held items;
:meth:`DedupPipeline.from_crawler` refuses any other order); documents reach the feeds at the end
of the crawl, all at once; holding costs the documents' exported fields only (the page's words are
released, the text dropped unless a feed exports it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from pipelines.changes import MonitoringChanges
from spiders.config import read, whole_number
from spiders.evidence import evidence_of
from watch.ledger import MIN_WORDS_FOR_NEAR, Deduplicator, HeldDocument, release
from watch.query.document import DocumentWords

if TYPE_CHECKING:
    from collections.abc import Sequence

    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from spiders.evidence import Evidence

logger = logging.getLogger(__name__)


class HeldForDeduplication(DropItem):
    """Not a drop: the document is kept, and reaches the feeds when the crawl ends."""


class DuplicateDocument(DropItem):
    """The reason counted for documents folded into another one at the end of the crawl."""


@dataclass(frozen=True)
class DedupConfig:
    """The settings of :class:`DedupPipeline`, checked once."""

    near_distance: int  #: simhash bits within which two texts are near-duplicates
    drop_near: bool
    fields: tuple[str, ...] | None  #: fields some feed exports (``None``: every field)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        from spiders.arguments import setting_boolean

        return cls(
            near_distance=read(settings, "WATCH_DEDUP_NEAR_DISTANCE", whole_number(0, 31)),
            drop_near=read(settings, "WATCH_DEDUP_NEAR_DROP", setting_boolean),
            fields=_exported_fields(settings),
        )


class DedupPipeline:
    """Hold every document, then release each text once (see the module docstring)."""

    def __init__(
        self, crawler: Crawler, config: DedupConfig, evidence: Evidence, changes: MonitoringChanges | None
    ) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.config = config
        self.evidence = evidence
        self.changes = changes
        self._held = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        _check_last(cls, settings)
        changes = MonitoringChanges.from_crawler(crawler) if settings.get("WATCH_STATE_PATH") else None
        return cls(crawler, DedupConfig.from_settings(settings), evidence_of(crawler), changes)

    def process_item(self, item: Any) -> NoReturn:
        """Hold ``item`` until the crawl ends, with what deciding on it will need: always raises."""
        adapter = ItemAdapter(item)
        self.stats.inc_value("watch/dedup/documents")
        # The spider read the page's words once; a document from elsewhere is read here.
        doc = adapter.get("words") or DocumentWords.from_page(adapter.get("title") or "", adapter.get("text") or "")
        fields = {name: adapter.get(name) for name in self.config.fields or adapter.field_names() if name in adapter}
        fields.pop("words", None)
        fields.pop("read_order", None)
        held = HeldDocument(
            fields,
            adapter.get("fingerprint") or doc.fingerprint,
            doc.simhash if len(doc.body_words) >= MIN_WORDS_FOR_NEAR else None,
            bool(doc.words),
        )
        doc.release()  # held until the end: only what the feeds need stays
        url = adapter.get("url") or ""
        evidence = self.evidence.ledger.evidence(adapter.get("site") or "", tuple(adapter.get("read_order") or ()), url)
        evidence.held = held
        if not self._held:
            logger.info(
                "Holding documents until the crawl ends, so that duplicates found later can still be"
                " folded into them (watch/dedup/...)"
            )
        self._held += 1
        raise HeldForDeduplication(f"held until the crawl ends: {url}", log_level="DEBUG")

    async def close_spider(self) -> None:
        """Settle the held documents in read order, then send the kept ones to the feeds (none
        when the run stopped short of an answer it must not present as complete)."""
        if self.evidence.shared_role == "helper":
            return  # its sites went to Redis with their documents: the main releases them
        if self.evidence.shared_role == "main" and not self.evidence.shared_complete and not self.evidence.incomplete:
            self.evidence.stop_short(
                "the shared crawl is not read yet and goes on in Redis: rerun the same command to resume it"
            )
        if self.evidence.incomplete:
            logger.error("No document released to the feeds: %s", self.evidence.incomplete)
            return
        deduplicator = Deduplicator(self.config.near_distance, self.config.drop_near)
        released = release(
            self.evidence.ledger.in_read_order(), deduplicator, self.changes.label if self.changes else None
        )
        for name, count in released.counts.items():
            self.stats.inc_value(name, count)
        if released.not_exported_by_changes:
            self.stats.inc_value("watch/changes/not_exported", released.not_exported_by_changes)
        spider = self.crawler.spider
        for fields in released.documents:
            await self.crawler.signals.send_catch_log_async(
                signal=signals.item_scraped, item=fields, response=None, spider=spider
            )
        # The documents this process held were provisional drops; what the crawl holds (all its
        # processes' documents, for the main of a shared crawl) and does not release is dropped.
        kept = len(released.documents)
        self.stats.inc_value("watch/dedup/exported", kept)
        self.stats.inc_value("item_dropped_count", released.held - self._held - kept)
        self.stats.inc_value(f"item_dropped_reasons_count/{HeldForDeduplication.__name__}", -self._held)
        self.stats.inc_value(
            f"item_dropped_reasons_count/{DuplicateDocument.__name__}",
            released.held - kept - released.not_exported_by_changes,
        )
        self.evidence.released(released, deduplicator.folded, deduplicator.counts["watch/dedup/near_duplicate_dropped"])
        if released.held:
            logger.info("Released %d of %d documents to the feeds after deduplication", kept, released.held)


def _check_last(cls: type, settings: BaseSettings) -> None:
    """Refuse to run unless ``cls`` is the last item pipeline: later ones would see nothing."""
    pipelines = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    loaded = [load_object(p) if isinstance(p, str) else p for p in pipelines]
    if cls in loaded and loaded[-1] is not cls:
        raise ValueError(
            f"{cls.__module__}.{cls.__qualname__} must be the last of ITEM_PIPELINES (it holds documents"
            f" until the crawl ends); it comes before {loaded[-1]!r}"
        )


#: Fields the end of the crawl decides with (duplicates, changes), held whatever the feeds export.
_DECISION_FIELDS = ("url", "canonical_url", "site", "fingerprint", "fetched_at", "also_at", "near_duplicate_of", "change")


def _exported_fields(settings: BaseSettings) -> tuple[str, ...] | None:
    """The fields to hold: those some feed may export, and those the decisions need (``None``,
    every field, when a feed does not list its own)."""
    default = settings.getlist("FEED_EXPORT_FIELDS") or None
    lists: Sequence[Any] = [options.get("fields", default) for options in settings.getdict("FEEDS").values()] or [default]
    if any(fields is None for fields in lists):
        return None
    return tuple(dict.fromkeys([*_DECISION_FIELDS, *(field for fields in lists for field in fields)]))
