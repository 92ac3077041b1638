"""Each document once: duplicates by URL, by exact text, and near-duplicates (DESIGN §5, issue 4).

Documents are held until the crawl ends (see below), then decided on in breadth-first read order
(the scope's order key of each page: level, site order, rank in the site), so which copy is kept
never depends on download timing.
For each document, in that order:

1. its canonical URL was already decided (two URLs that redirect to one page, a start URL read
   twice): dropped, ``watch/dedup/same_url``;
2. its content fingerprint (:func:`watch.fingerprints.content_fingerprint`, the normalised text)
   equals that of a kept document: dropped; from a site that document or one of its copies
   already comes from, ``watch/dedup/same_content_same_site``; from another site, its URL is
   added to the kept document's ``also_at``, ``watch/dedup/same_content_other_site``;
3. its simhash (texts of at least :data:`MIN_WORDS_FOR_NEAR` words) is within
   ``WATCH_DEDUP_NEAR_DISTANCE`` bits of a kept document's: it gets that
   document's URL in ``near_duplicate_of`` (``watch/dedup/near_duplicate``) and is kept, unless
   ``WATCH_DEDUP_NEAR_DROP`` is on (``watch/dedup/near_duplicate_dropped``).

A document without a single word of text or title has nothing to compare: it is kept
(``watch/dedup/no_text``).

**Why documents are held until the crawl ends.** Feeds are written as items pass, and a copy on
another site may be read at any time, so no document is final before the crawl ends: an item
written early could not get its ``also_at`` entries. This pipeline therefore keeps every document
it would export and releases them all in :meth:`DedupPipeline.close_spider`, by sending them
with the ``item_scraped`` signal, which is what the feed exporters listen to (and what
``item_scraped_count`` counts). That works in Scrapy 2.19 because the engine closes the item
pipelines (``Scraper.close_spider_async``, once every item has passed) *before* it sends
``spider_closed``, on which ``FeedExporter`` closes the feeds. A pipeline cannot simply wait in
``process_item`` instead: the engine does not become idle, so the crawl would never end. So the
kept documents leave ``process_item`` as a :class:`HeldForDeduplication` drop, logged at DEBUG;
Scrapy's ``item_dropped_count`` and ``item_dropped_reasons_count/HeldForDeduplication`` are
brought back down as they are released, so they end counting real drops only.

Consequences: this must be the *last* item pipeline (a later one would never see the held items;
:meth:`DedupPipeline.from_crawler` refuses any other order); documents reach the feeds at the
end of the crawl, all at once; holding costs the documents' memory, without their text when no
feed exports ``text``.
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

from watch.fingerprints import NearDuplicateIndex
from watch.query.document import DocumentWords

if TYPE_CHECKING:
    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


#: Texts shorter than this are never near-duplicates: a simhash of a few words (or of none: 0)
#: is near many unrelated ones.
MIN_WORDS_FOR_NEAR = 20


class HeldForDeduplication(DropItem):
    """Not a drop: the document is kept, and reaches the feeds when the crawl ends."""


class DuplicateDocument(DropItem):
    """The reason counted for documents folded into another one at the end of the crawl."""


@dataclass
class _Held:
    """A held document and what deciding on it needs (computed while its text is at hand)."""

    item: ItemAdapter
    fingerprint: str
    simhash: int | None  # None: too short for its simhash to say anything
    has_words: bool


class _Kept:
    """A document the pipeline will release, and the sites its text was found on."""

    __slots__ = ("item", "sites")

    def __init__(self, item: ItemAdapter, site: str) -> None:
        self.item = item
        self.sites = {site}


class DedupPipeline:
    """Fold duplicate documents into one, mark near-duplicates (see the module docstring)."""

    def __init__(
        self, crawler: Crawler, *, near_distance: int = 3, drop_near: bool = False, keep_text: bool = True
    ) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.drop_near = drop_near
        self.keep_text = keep_text
        self._near = NearDuplicateIndex(near_distance)
        self._urls: set[str] = set()
        self._kept: dict[str, _Kept] = {}
        self._held: list[_Held] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        _check_last(cls, settings)
        return cls(
            crawler,
            near_distance=settings.getint("WATCH_DEDUP_NEAR_DISTANCE", 3),
            drop_near=settings.getbool("WATCH_DEDUP_NEAR_DROP", False),
            keep_text=_text_exported(settings),
        )

    def process_item(self, item: Any) -> NoReturn:
        """Hold ``item`` until the crawl ends, with what deciding on it will need: always raises."""
        adapter = ItemAdapter(item)
        self.stats.inc_value("watch/dedup/documents")
        # The spider read the page's words once; a document from elsewhere is read here.
        doc = adapter.get("words") or DocumentWords.from_page(adapter.get("title") or "", adapter.get("text") or "")
        has_words = bool(doc.words)
        fingerprint = adapter.get("fingerprint") or doc.fingerprint
        comparable = len(doc.body_words) >= MIN_WORDS_FOR_NEAR
        near_hash = doc.simhash if comparable else None
        # Held until the end: keep only what the feeds need.
        doc.release()
        if "words" in adapter:
            adapter["words"] = None
        if not self.keep_text and "text" in adapter:
            adapter["text"] = ""
        if not self._held:
            logger.info(
                "Holding documents until the crawl ends, so that duplicates found later can still be"
                " folded into them (watch/dedup/...)"
            )
        self._held.append(_Held(adapter, fingerprint, near_hash, has_words))
        raise HeldForDeduplication(f"held until the crawl ends: {adapter.get('url')}", log_level="DEBUG")

    async def close_spider(self) -> None:
        """Decide on every held document in read order, then send the kept ones to the feeds."""
        held = sorted(self._held, key=_read_order)
        self._held.clear()
        kept = [document.item for document in held if self._keep(document)]
        spider = self.crawler.spider
        for item in kept:
            await self.crawler.signals.send_catch_log_async(
                signal=signals.item_scraped, item=item.item, response=None, spider=spider
            )
        self.stats.inc_value("watch/dedup/exported", len(kept))
        self.stats.inc_value("item_dropped_count", -len(kept))
        self.stats.inc_value(f"item_dropped_reasons_count/{HeldForDeduplication.__name__}", -len(held))
        self.stats.inc_value(f"item_dropped_reasons_count/{DuplicateDocument.__name__}", len(held) - len(kept))
        if held:
            logger.info("Released %d of %d documents to the feeds after deduplication", len(kept), len(held))

    def _keep(self, document: _Held) -> bool:
        """Apply the rules of the module docstring to one document; whether it is exported."""
        adapter = document.item
        url = adapter.get("url") or ""
        canonical_url = adapter.get("canonical_url") or url
        if canonical_url in self._urls:
            return self._drop("same_url", f"{url} was already read as {canonical_url}")
        self._urls.add(canonical_url)
        if not document.has_words:
            self.stats.inc_value("watch/dedup/no_text")
            return True
        site = adapter.get("site") or ""
        kept = self._kept.get(document.fingerprint)
        if kept is not None:
            original = kept.item["url"]
            if site in kept.sites:
                return self._drop("same_content_same_site", f"{url} has the text of {original}")
            kept.sites.add(site)
            kept.item["also_at"] = [*kept.item.get("also_at", []), url]
            return self._drop("same_content_other_site", f"{url} has the text of {original} (added to also_at)")
        self._kept[document.fingerprint] = _Kept(adapter, site)
        if document.simhash is None:
            self.stats.inc_value("watch/dedup/too_short_for_near")
            return True
        near = self._near.nearest(document.simhash)
        self._near.add(document.simhash, url)
        if near is not None:
            adapter["near_duplicate_of"] = near[0]
            self.stats.inc_value("watch/dedup/near_duplicate")
            if self.drop_near:
                return self._drop("near_duplicate_dropped", f"{url} is {near[1]} bits from {near[0]}")
        return True

    def _drop(self, case: str, reason: str) -> bool:
        self.stats.inc_value(f"watch/dedup/{case}")
        logger.debug("Dropped duplicate (%s): %s", case, reason)
        return False


def _read_order(document: _Held) -> tuple[tuple[int, ...], str]:
    """The scope's read order (level, site order, rank in the site), stamped on each page's
    request, so that which copy is kept never depends on download timing; the URL breaks ties
    between documents read outside the scope's slots."""
    adapter = document.item
    return (tuple(adapter.get("read_order") or ()), adapter.get("canonical_url") or adapter.get("url") or "")


def _check_last(cls: type, settings: BaseSettings) -> None:
    """Refuse to run unless ``cls`` is the last item pipeline: later ones would see nothing."""
    pipelines = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    loaded = [load_object(p) if isinstance(p, str) else p for p in pipelines]
    if cls in loaded and loaded[-1] is not cls:
        raise ValueError(
            f"{cls.__module__}.{cls.__qualname__} must be the last of ITEM_PIPELINES (it holds documents"
            f" until the crawl ends); it comes before {loaded[-1]!r}"
        )


def _text_exported(settings: BaseSettings) -> bool:
    """Whether some feed may export the ``text`` field (all fields, when a feed does not list them)."""
    default = settings.get("FEED_EXPORT_FIELDS")
    feeds = settings.getdict("FEEDS")
    field_lists = [options.get("fields", default) for options in feeds.values()] or [default]
    return any(fields is None or "text" in fields for fields in field_lists)
