"""The publication date of the documents a crawl exports, read once they have matched.

Reading a page's date (htmldate: metadata, JSON-LD, ``<time>``, then patterns over the pruned
page) costs about a millisecond a page, as much as reading its text — and with an equation nearly
every page is dropped. So a crawl with an equation leaves the date for later: the spider keeps the
page's HTML on the document (``html``, never exported), and this pipeline, placed after the
matching pipeline, reads the date of the documents that reach it, then drops the HTML. Without an
equation every page is exported, and the spider reads the date at once from the tree it has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from watch.metadata import published_date
from watch.text import parse_html

if TYPE_CHECKING:
    # typing.Self requires Python 3.11
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class PublishedDatePipeline:
    """Read ``published`` from the ``html`` a document carries, then drop the HTML."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        html = adapter.get("html")
        if html:
            adapter["published"] = published_date(parse_html(html), adapter.get("url") or "")
            adapter["html"] = ""
            self.stats.inc_value("watch/published/read_after_matching")
        return item
