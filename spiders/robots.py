"""robots.txt, obeyed to the letter: refusals a component can recognise, and ``Crawl-delay``.

Scrapy's :class:`~scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware` refuses a forbidden
page with a bare ``IgnoreRequest("Forbidden by robots.txt")``; telling that refusal from any other
ignored request would mean reading the message. :class:`WatchRobotsTxtMiddleware` raises
:class:`RobotsTxtRefused` instead, which the scope recognises by its type (the page gives its slot
back to the site's budget).

Scrapy reads ``Crawl-delay`` but never applies it. :class:`CrawlDelay` does: once a site's
robots.txt is parsed, the site's download slot waits at least that long between two requests
(capped by ``WATCH_ROBOTS_MAX_CRAWL_DELAY``, so that one site asking for an hour cannot hold a
weekly crawl for days; a capped delay is counted). With AutoThrottle on, the delay is a floor that
AutoThrottle's adjustments never go below; the slot's random jitter is switched off, since it
would shorten some waits below the floor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import redis
from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler

from spiders.arguments import setting_boolean
from spiders.config import read, seconds
from spiders.signals import site_discovered, sites_taken

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

    from watch.sharedcrawl import SharedCrawl

logger = logging.getLogger(__name__)


class RobotsTxtRefused(IgnoreRequest):
    """A page that the site's robots.txt forbids: never requested."""


class WatchRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, raising :class:`RobotsTxtRefused` for forbidden pages, and
    fetching the robots.txt of each next-level site as soon as the scope finds it
    (:data:`spiders.signals.site_discovered`): the level then starts without waiting for them.

    In a crawl shared through Redis (``spiders.shared``), the process that finds a site is often
    not the one that reads it: each robots.txt fetched is kept in Redis
    (:meth:`watch.sharedcrawl.SharedCrawl.keep_robots_txt`), and the sites a process takes
    (:data:`spiders.signals.sites_taken`) get theirs from there, in one round trip: the reader
    does not fetch it again, and the site's reading starts at once. One not kept (it failed, or
    the finder's fetch had not come back when the site was taken) is fetched by the reader, as in
    one process; after a Redis error, the process fetches every robots.txt itself.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        run = getattr(crawler.spider, "shared", None)
        self.shared: SharedCrawl | None = run.crawl if run is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware._site_discovered, signal=site_discovered)
        if middleware.shared is not None:
            crawler.signals.connect(middleware._sites_taken, signal=sites_taken)
        return middleware

    def _site_discovered(self, url: str) -> None:
        # Downloaded once per host and kept, as for any page of the site (errors are the parent's).
        deferred_from_coro(self.robot_parser(Request(url)))

    def _sites_taken(self, urls: list[str]) -> None:
        if self.shared is None:  # no longer shared (a Redis error)
            return
        first_pages = {urlsplit(url).netloc: url for url in reversed(urls)}  # a host's first page
        wanted = sorted(first_pages.keys() - self._parsers.keys())
        try:
            kept = self.shared.robots_txts(wanted)
        except redis.RedisError as exc:
            self._stop_sharing(exc)
            return
        for netloc, body in kept.items():
            parser = build_from_crawler(self._parserimpl, self.crawler, body)
            self._parsers[netloc] = parser
            self._stats.inc_value("watch/robots/from_shared_crawl")
            self.crawler.signals.send_catch_log(
                signal=signals.robots_parsed, robotparser=parser, request=Request(first_pages[netloc])
            )

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        if self.shared is None:
            return
        # Only what was fetched: a robots.txt that failed (an error, or this process stopping) is
        # tried again by the process that reads the site, as it would be alone.
        try:
            self.shared.keep_robots_txt(netloc, response.body)
        except redis.RedisError as exc:  # the process that reads the site fetches it again
            self._stop_sharing(exc)

    def _stop_sharing(self, exc: redis.RedisError) -> None:
        # Each call to an unreachable Redis blocks the crawl up to its timeout: one is enough. The
        # scope deals with the outage; robots.txt are fetched here from now on, as in one process.
        logger.warning("robots.txt no longer shared through Redis by this process (%s): fetched here", exc)
        self.shared = None

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:  # the parent's only refusal: forbidden by robots.txt
            raise RobotsTxtRefused(f"Forbidden by robots.txt: {request.url}") from None


@dataclass(frozen=True)
class CrawlDelayConfig:
    """The settings of :class:`CrawlDelay`, checked once."""

    enabled: bool  #: ``WATCH_ROBOTS_CRAWL_DELAY``
    max_delay: float  #: ``WATCH_ROBOTS_MAX_CRAWL_DELAY``, seconds

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            read(settings, "WATCH_ROBOTS_CRAWL_DELAY", setting_boolean),
            read(settings, "WATCH_ROBOTS_MAX_CRAWL_DELAY", seconds),
        )


class CrawlDelay:
    """Applies each site's robots.txt ``Crawl-delay`` to its download slot (``WATCH_ROBOTS_CRAWL_DELAY``).

    Must be built after AutoThrottle (a higher ``EXTENSIONS`` order): its ``response_downloaded``
    handler then runs after AutoThrottle's and lifts the delay back to the floor.
    """

    def __init__(self, crawler: Crawler, max_delay: float) -> None:
        self.crawler = crawler
        self.max_delay = max_delay
        self._floors: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = CrawlDelayConfig.from_settings(crawler.settings)
        if not (config.enabled and crawler.settings.getbool("ROBOTSTXT_OBEY")):
            raise NotConfigured("robots.txt Crawl-delay not applied")
        extension = cls(crawler, config.max_delay)
        crawler.signals.connect(extension._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(extension._response_downloaded, signal=signals.response_downloaded)
        return extension

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        user_agent = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or request.headers.get(
            b"User-Agent", self.crawler.settings.get("USER_AGENT")
        )
        asked = robotparser.crawl_delay(user_agent)
        if not asked or asked <= 0:
            return
        stats = self.crawler.stats
        assert stats is not None and self.crawler.engine is not None
        delay = min(asked, self.max_delay)
        stats.inc_value("watch/robots/crawl_delay_sites")
        if delay < asked:
            stats.inc_value("watch/robots/crawl_delay_capped")
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self._floors[key] = delay
        # The slot exists already (robots.txt itself went through it) or is created later with
        # the per-slot settings.
        # No jitter on such a slot: RANDOMIZE_DOWNLOAD_DELAY would otherwise go below the floor.
        downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0
        logger.info(
            "%s asks for a Crawl-delay of %s s: %s s between its requests", key, asked, delay
        )

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key = request.meta.get("download_slot")
        floor = self._floors.get(key) if key is not None else None
        if floor is None:
            return
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
