"""The Scrapy side of the crawl scope: every outgoing request passes through here.

:class:`ScopeMiddleware` is a spider middleware placed after Scrapy's referer and depth
middlewares, so the requests it sees already carry their ``Referer`` and page ``depth``. It holds
every link a page yields and hands them to :class:`watch.scope.CrawlScope`, which decides; it
sends only what the scope releases. Outcomes that never reach a spider callback are brought to
it by signals: download errors and robots.txt refusals (the spider's errback sends
:data:`page_failed`), redirects (``request_scheduled``) and requests the duplicate filter drops
(``request_dropped``). When the crawl falls idle, the next level starts (``spider_idle``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest

from spiders.arguments import setting_boolean
from spiders.config import read, tracking_parameters, whole_number
from spiders.evidence import evidence_of
from spiders.faults import page_fault
from spiders.signals import page_failed, site_discovered
from watch.scope import CrawlScope, RedirectRefused, Release, SlotKey
from watch.urls import TrackingParameters

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from twisted.python.failure import Failure
    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: Request meta keys set by the scope.
SLOT_KEY = "watch_slot"
SITE_LEVEL_KEY = "watch_site_level"
#: The page's read order (:attr:`watch.scope.Release.order`): which copy of a document came first.
READ_ORDER_KEY = "watch_read_order"
#: Request meta keys set by spiders for the scope to read.
START_PAGE_KEY = "watch_start_page"
SEED_KEY = "watch_seed"
#: ``START_PAGE_KEY`` value of the start page of an earlier run (a rerun from its seeds): never sent.
KNOWN_START_PAGE = "known"
#: Response meta keys set by the spider for the scope: how the page was read (``read``,
#: ``rendered``, ``pdf``, ``not_html``, ``script_shell``, ``unreadable``: its outcome in the
#: coverage report, see :meth:`watch.scope.CrawlScope.page_read`), and a note on why.
PAGE_KIND_KEY = "watch_page_kind"
PAGE_NOTE_KEY = "watch_page_note"
#: Request meta of a page the spider asks for again, read another way (a script-built page, in
#: the browser): it keeps its slot, depth and priority, and the scope takes the links of that
#: second reading, never those of the first.
READ_AGAIN_KEY = "watch_read_again"


@dataclass(frozen=True)
class ScopeConfig:
    """The scope's settings, checked once."""

    site_depth: int  #: ``WATCH_SCOPE_SITE_DEPTH`` (the ``site_depth`` argument writes it)
    pages_per_site: int  #: ``WATCH_SCOPE_PAGES_PER_SITE`` (the ``pages_per_site`` argument)
    tracking: TrackingParameters  #: ``WATCH_URLS_TRACKING_PARAMETERS``
    max_redirects: int  #: ``REDIRECT_MAX_TIMES``: a request that used them all looped
    allow_private: bool  #: ``WATCH_ALLOW_PRIVATE_NETWORKS``

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            site_depth=read(settings, "WATCH_SCOPE_SITE_DEPTH", whole_number(0)),
            pages_per_site=read(settings, "WATCH_SCOPE_PAGES_PER_SITE", whole_number(1)),
            tracking=tracking_parameters(settings),
            max_redirects=read(settings, "REDIRECT_MAX_TIMES", whole_number(0)),
            allow_private=read(settings, "WATCH_ALLOW_PRIVATE_NETWORKS", setting_boolean),
        )


class ScopeMiddleware:
    """Applies DESIGN §2 (levels of sites × pages per site) to every request of a crawl
    (:class:`ScopeConfig` says which settings)."""

    def __init__(self, crawler: Crawler, config: ScopeConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.scope: CrawlScope[Request] = self._make_scope(config)
        self._logged_level = 0

    def _make_scope(self, config: ScopeConfig) -> CrawlScope[Request]:
        return CrawlScope(config.site_depth, config.pages_per_site, config.tracking, allow_private=config.allow_private)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        config = ScopeConfig.from_settings(crawler.settings)
        run = getattr(crawler.spider, "shared", None)
        if run is not None:  # a process of a crawl shared through Redis
            from spiders.shared import SharedScopeMiddleware

            middleware: ScopeMiddleware = SharedScopeMiddleware(crawler, config, run)
        else:
            middleware = cls(crawler, config)
        evidence_of(crawler).watch_scope(middleware.scope)
        middleware.connect_signals()
        return middleware

    def connect_signals(self) -> None:
        signals_ = self.crawler.signals
        signals_.connect(self._page_failed, signal=page_failed)
        signals_.connect(self._request_scheduled, signal=signals.request_scheduled)
        signals_.connect(self._request_dropped, signal=signals.request_dropped)
        signals_.connect(self._spider_idle, signal=signals.spider_idle)
        signals_.connect(self._spider_closed, signal=signals.spider_closed)

    # -- requests from the spider ----------------------------------------------------------

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The start page is level 0; seeds wait for level 1, which starts when the crawl idles."""
        async for obj in start:
            if not isinstance(obj, Request):
                yield obj
            elif obj.meta.get(START_PAGE_KEY) == KNOWN_START_PAGE:
                self.scope.known_start_page(obj.url)
            elif obj.meta.get(START_PAGE_KEY):
                yield self._prepare(self.scope.start_page(obj.url, obj))
            else:
                self.scope.add_seed(obj.url, obj)
        self._announce()

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Hold the page's links, report the page to the scope, send what it releases."""
        key = response.meta.get(SLOT_KEY)
        links: list[tuple[str, Request]] = []
        read_again = False
        async for obj in result:
            if not isinstance(obj, Request):
                yield obj
            elif key is not None and obj.meta.get(READ_AGAIN_KEY) and obj.meta.get(SLOT_KEY) == key:
                # The same page, read another way: the depth and referer middlewares took it for
                # a link of the page, one hop deeper, referred by the page itself.
                read_again = True
                obj.meta["depth"] = response.meta.get("depth", 0)
                if response.request is not None:
                    obj.priority = response.request.priority
                    referer = response.request.headers.get("Referer")
                    if referer is None:
                        obj.headers.pop("Referer", None)
                    else:
                        obj.headers["Referer"] = referer
                yield obj
            elif key is None or obj.meta.get(SEED_KEY):
                self.scope.add_seed(obj.url, obj)
            else:
                links.append((obj.url, obj))
        if key is None or read_again:
            return
        if not 200 <= response.status < 300:
            links = []
        landed = response.url if response.meta.get("redirect_urls") else None
        kind = response.meta.get(PAGE_KIND_KEY, "read")
        note = response.meta.get(PAGE_NOTE_KEY, "")
        for release in self.scope.page_read(SlotKey(*key), response.status, links, landed, kind=kind, note=note):
            yield self._prepare(release)
        self._announce()

    # -- outcomes brought by signals --------------------------------------------------------

    def _page_failed(self, request: Request, failure: Failure) -> None:
        key = request.meta.get(SLOT_KEY)
        if key is None:
            return
        fault = page_fault(failure.value, request, self.config.max_redirects)
        stats = self.crawler.stats
        assert stats is not None
        if fault.outcome == "error":  # robots.txt and private addresses are the crawl's own refusals
            stats.inc_value(f"watch/faults/{fault.kind}")
            logger.info("Page failed (%s): %s (%s)", fault.kind, request.url, failure.getErrorMessage())
        self._send(self.scope.page_failed(SlotKey(*key), fault.outcome, fault=fault.kind))

    def _request_scheduled(self, request: Request, spider: Spider) -> None:
        key = request.meta.get(SLOT_KEY)
        if key is None or "redirect_urls" not in request.meta:
            return
        source = SlotKey(*key)
        if request.meta.get("watch_redirect_checked") == request.url:
            return
        request.meta["watch_redirect_checked"] = request.url
        try:
            release = self.scope.redirect(source, request.url, request)
        except RedirectRefused as refused:
            logger.info("Redirect not followed (%s): %s", refused.reason, request.url)
            self._send(self.scope.page_failed(source, "redirect_refused", fault=f"redirect_{refused.reason}"))
            raise IgnoreRequest(f"redirect out of scope: {request.url}") from None
        if release is not None:
            _stamp(request, release)
            self._send(self.scope.page_failed(source, "moved"))

    def _request_dropped(self, request: Request, spider: Spider) -> None:
        key = request.meta.get(SLOT_KEY)
        if key is not None:
            # A redirect's first hop was fetched, so it counts; a plain duplicate was never sent.
            reason = "redirect_to_known" if "redirect_urls" in request.meta else "duplicate"
            self._send(self.scope.page_failed(SlotKey(*key), reason))

    def _spider_idle(self, spider: Spider) -> None:
        released = self.scope.next_level()
        if not released:
            return
        self._log_level(released)
        self._send(released)
        raise DontCloseSpider

    def _log_level(self, released: list[Release[Request]]) -> None:
        if self.scope.level != self._logged_level:
            self._logged_level = self.scope.level
            logger.info(
                "Level %d: %d site(s), %d page(s) to start with",
                self.scope.level,
                len({r.key.site for r in released}),
                len(released),
            )

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        """Count every scope decision in the stats."""
        stats = self.crawler.stats
        assert stats is not None
        for event, count in self.scope.events.items():
            stats.set_value(f"watch/scope/{event}", count)
        stats.set_value("watch/scope/levels_reached", self.scope.level)

    # -- helpers -----------------------------------------------------------------------------

    def _prepare(self, release: Release[Request]) -> Request:
        return _stamp(release.payload, release)

    def _send(self, releases: list[Release[Request]]) -> None:
        assert self.crawler.engine is not None
        for release in releases:
            self.crawler.engine.crawl(self._prepare(release))
        self._announce()

    def _announce(self) -> None:
        """Tell the crawl about next-level sites just found (their robots.txt is fetched early)."""
        for url in self.scope.take_discovered():
            self.crawler.signals.send_catch_log(site_discovered, url=url)


def _stamp(request: Request, release: Release[Request]) -> Request:
    """Write the scope's decision on ``request``: its slot, its site's level, its read order."""
    request.meta[SLOT_KEY] = tuple(release.key)
    request.meta[SITE_LEVEL_KEY] = release.site_level
    request.meta[READ_ORDER_KEY] = release.order
    return request
