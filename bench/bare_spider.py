"""The crawl benchmark's baseline: a bare follow-all-links Scrapy spider (issue 7 item 4).

Run by ``scrapy runspider`` on this file, outside the project, so that it carries nothing of
watch: Scrapy's default concurrency (16 requests, 8 per site), and from the project only the
engine settings that make the two crawls do the same work (robots.txt obeyed, retries, timeouts,
size limits, breadth-first queues). Its module imports nothing else, so its memory is Scrapy's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from scrapy.http import TextResponse

import settings.base

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

#: Engine settings the bare spider takes from the project; its concurrency stays Scrapy's default.
#: Politeness is off for both crawls, on their command lines (``mockweb.crawl_settings``).
SHARED_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "ROBOTSTXT_PARSER",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "RETRY_TIMES",
    "DOWNLOAD_MAXSIZE",
    "HTTPERROR_ALLOW_ALL",
    "REDIRECT_MAX_TIMES",
    "COOKIES_ENABLED",
    "TELNETCONSOLE_ENABLED",
    "RETRY_HTTP_CODES",
    "CONCURRENT_ITEMS",
    "REMOTE_CONTROL_ENABLED",
    "DEPTH_PRIORITY",
    "SCHEDULER_DISK_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "TWISTED_REACTOR",
    "LOG_LEVEL",
)


class BareSpider(scrapy.Spider):
    """Follows every link (``a::attr(href)``) from the start page and keeps nothing."""

    name = "bare"
    custom_settings: ClassVar[dict[str, Any]] = {
        name: value for name, value in vars(settings.base).items() if name in SHARED_SETTINGS
    }

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url)

    def parse(self, response: scrapy.http.Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        if isinstance(response, TextResponse):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href)
