"""``expertblogs``: the blogs listed on a portal page (UniVersDoc's "blogs experts") and beyond.

The portal page is level 0 and the only page of the portal that is read; the blogs it lists on its
first page are the level-1 seeds. The seeds used are written to ``seeds.csv`` beside the feeds, so
a run can be repeated from them (``-a seeds_file=results/seeds.csv``) after the portal changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.misc import load_object

from spiders.arguments import Argument, css_selector, dotted_path, http_url, optional, seed_list_file
from spiders.config import read
from spiders.base import COMMON_ARGUMENTS, WatchSpider
from spiders.scope import START_PAGE_KEY
from watch.seeds import Seed, read_seeds_file

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from twisted.python.failure import Failure

    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.http import Response

    from watch.seeds import SeedList

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpertBlogsConfig:
    """The ``WATCH_EXPERTBLOGS_*`` settings, checked once."""

    start_url: str  #: the portal page ("" = none built in: ``-a start_url=`` is needed)
    seed_css: str  #: CSS selector of the blog list ("" = the main-content heuristics)
    seed_extractor: str  #: dotted path of the seed extractor

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            read(settings, "WATCH_EXPERTBLOGS_START_URL", optional(http_url)),
            read(settings, "WATCH_EXPERTBLOGS_SEED_CSS", optional(css_selector)),
            read(settings, "WATCH_EXPERTBLOGS_SEED_EXTRACTOR", dotted_path),
        )


class ExpertBlogsSpider(WatchSpider):
    """Crawl the blogs a portal page lists, level by level, within the scope."""

    name = "expertblogs"
    arguments: ClassVar[dict[str, Argument]] = {
        **COMMON_ARGUMENTS,
        "start_url": Argument(http_url, "the portal page (default: WATCH_EXPERTBLOGS_START_URL)"),
        "seed_css": Argument(
            css_selector, "CSS selector of the blog list on the portal page", "WATCH_EXPERTBLOGS_SEED_CSS"
        ),
        "seeds_file": Argument(seed_list_file, "rerun from a frozen seed list (seeds.csv) instead of the portal"),
    }

    config: ExpertBlogsConfig
    #: ``(html, url, css, portal_urls) -> SeedList`` (``WATCH_EXPERTBLOGS_SEED_EXTRACTOR``).
    extract_seeds: Callable[..., SeedList]

    def __init__(
        self, start_url: str | None = None, seeds_file: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.seeds_file = seeds_file

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = ExpertBlogsConfig.from_settings(crawler.settings)
        spider.extract_seeds = load_object(spider.config.seed_extractor)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if self.seeds_file is not None:
            seeds = read_seeds_file(self.seeds_file)
            self.record_seeds(seeds)
            for request in self.seed_requests(seeds):
                yield request
            return
        start_url = self.start_url or self.config.start_url
        if not start_url:
            self.fail(
                "no_start_url",
                "No start page: pass -a start_url=URL or set WATCH_EXPERTBLOGS_START_URL",
            )
        yield Request(
            start_url,
            callback=self.parse_portal,
            errback=self.portal_failed,
            meta={START_PAGE_KEY: True},
            dont_filter=True,
        )

    async def parse_portal(self, response: Response) -> AsyncIterator[Any]:
        """Read the portal page (level 0) and take the blogs it lists as level-1 seeds.

        A portal whose page is script-built is read again in the browser first (``render=auto``):
        its seeds are those of the rendered page, which comes back here.
        """
        if not 200 <= response.status < 300:
            self.fail("start_page_failed", f"Start page {response.url} answered HTTP {response.status}")
        if not isinstance(response, HtmlResponse):
            content_type = response.headers.get("Content-Type", b"").decode("latin-1") or "no Content-Type"
            self.fail("start_page_unreadable", f"Start page {response.url} is not a web page ({content_type})")
        reading = [item async for item in self.parse_page(response)]
        if any(isinstance(item, Request) for item in reading):
            for item in reading:
                yield item
            return
        try:
            found = self.extract_seeds(
                response.text,
                response.url,
                self.config.seed_css or None,
                response.meta.get("redirect_urls", ()),
            )
        except Exception as exc:
            self.fail("start_page_unreadable", f"Start page {response.url} could not be read for seeds: {exc!r}")
        if found.pagination:
            logger.info(
                "Start page: %d pagination link(s) skipped (blogs listed after the first page are "
                "not seeds): %s",
                len(found.pagination),
                ", ".join(found.pagination),
            )
        if not found.seeds:
            self.fail(
                "no_seeds",
                f"No seeds on the start page {response.url}: {found.links_in_content} link(s) in its "
                f"main content, {len(found.same_site)} to the portal itself, {len(found.pagination)} "
                "pagination; name the blog list with -a seed_css=SELECTOR",
            )
        title = (response.css("title::text").get() or "").strip()
        self.record_seeds([Seed(response.url, title, 0), *found.seeds])
        for item in reading:
            yield item
        for seed in found.seeds:
            yield self.seed_request(seed.url)

    def portal_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.fail("start_page_failed", f"Start page {request.url} could not be read: {failure.getErrorMessage()}")
