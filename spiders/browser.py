"""One Chromium for the crawl, driven through scrapy-playwright's download handler.

:class:`BrowserDownloadHandler` is scrapy-playwright's handler (Scrapy's own HTTP handler for
plain requests, Chromium for requests with ``meta["playwright"]``), set up the way a crawler that
must reach nothing but the crawl needs it:

* **One browser, started late.** The handler is shared by http and https
  (:class:`spiders.render.DownloadHandler`); the Playwright driver and Chromium start with the first
  page to render (:class:`_LateStart`), so a crawl that never needs one never starts one. Playwright
  launches Chromium itself (``--remote-debugging-pipe``: no port, no connection through a proxy)
  and closes it, and its driver, when the crawl's download handlers close; a driver whose Python
  process died closes its browser too.
* **The crawl's proxy, and nothing else.** Chromium goes through ``http_proxy`` / ``https_proxy``
  when they are set (scrapy-playwright ignores ``meta["proxy"]``, so the proxy is given at launch),
  honours ``no_proxy``, and sends loopback through the proxy too. Playwright's default switches
  already turn off background networking, component updates, sync, and more; QUIC and pings are
  turned off here too. The hosts Chromium still calls on its own (:data:`BACKGROUND_HOSTS`) are
  kept off the proxy and made unresolvable, so those calls die inside the browser.
* **Every sub-request obeys the crawl's URL rules** (:meth:`BrowserDownloadHandler._refused`, as
  scrapy-playwright's ``PLAYWRIGHT_ABORT_REQUEST``): only http(s), no refused host
  (:func:`watch.netsafety.host_refusal`, unless private networks are allowed), none of
  ``WATCH_RENDER_BLOCKED_RESOURCES`` (images, media, fonts…), no frame inside the page (its text is
  not the page's), no navigation of the page to another site. WebSockets are refused and service
  workers blocked. ``data:`` and ``blob:`` URLs never reach the network, nor the route.
* **Bounded.** At most ``WATCH_RENDER_CONCURRENCY`` pages are open at once; each browser
  context serves ``WATCH_RENDER_PAGES_PER_CONTEXT`` pages and is closed when the last of them is
  done (:class:`ContextRotation`), since a long-lived context grows (caches, leaked documents).
* **The page, settled.** After the load event, the page is given ``WATCH_RENDER_SETTLE_TIMEOUT``
  seconds for the network to go quiet (text fetched by scripts); then its DOM is read. For a page
  that went straight to the browser, the HTML its server sent is kept too (``RAW_HTML_KEY``), so
  the spider can tell what rendering added.

Known limit: without a proxy, Chromium resolves names itself, so a public name that resolves to
a private address is refused for Scrapy's requests (:class:`spiders.netsafety.GuardedResolver`)
but not for the browser's sub-requests, which are judged by name only.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import suppress
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

from spiders.netsafety import ALLOW_SETTING
from spiders.render import DIRECT, RAW_HTML_KEY, RENDER_KEY
from watch.netsafety import host_refusal
from watch.urls import is_crawlable, site_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from playwright.async_api import Browser, Page, WebSocketRoute
    from playwright.async_api import Request as BrowserRequest
    from playwright.async_api import Response as BrowserResponse

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from spiders.render import RenderConfig

logger = logging.getLogger(__name__)


class _FailureLogged(logging.Filter):
    """scrapy-playwright logs every failed page with its traceback; watch logs the failure (and
    reads the plain page) in :class:`spiders.render.RenderMiddleware`, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Closing page due to failed request")


logging.getLogger("scrapy-playwright").addFilter(_FailureLogged())

#: Hosts Chromium calls on its own, whatever its switches say (seen on the mock web: accounts
#: and update checks), and the other Google services its builds are known to call. They never
#: reach the proxy: they are kept off it and their names do not resolve.
BACKGROUND_HOSTS = (
    "accounts.google.com", "update.googleapis.com", "clients2.google.com", "clientservices.googleapis.com",
    "safebrowsing.googleapis.com", "optimizationguide-pa.googleapis.com", "content-autofill.googleapis.com",
    "redirector.gvt1.com", "edgedl.me.gvt1.com",
)  # fmt: skip

#: Switches added to Playwright's defaults (which already disable background networking,
#: component updates, sync, extensions, default apps, crash reports, and many features; passing
#: our own ``--disable-features`` would replace that list, so none is passed).
EXTRA_SWITCHES = (
    "--disable-quic",  # HTTP over UDP would bypass an HTTP proxy
    "--no-pings",  # <a ping> reports
    "--disable-domain-reliability",  # Google's network error reports
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",  # WebRTC would reach out around the proxy
)

#: Options of every browser context: no service worker (it would fetch beside the page's route).
CONTEXT_OPTIONS: dict[str, Any] = {"service_workers": "block"}


def launch_options(config: RenderConfig, proxies: Mapping[str, str]) -> dict[str, Any]:
    """Playwright's ``launch`` options for the crawl's Chromium, with the proxies of the
    environment (``urllib.request.getproxies()``: ``http``, ``https``, ``no``).

    >>> import settings.base
    >>> from scrapy.settings import Settings
    >>> from spiders.render import RenderConfig
    >>> config = RenderConfig.from_settings(Settings(vars(settings.base)))
    >>> options = launch_options(config, {"http": "http://u:p@127.0.0.1:3128", "https": "http://u:p@127.0.0.1:3128"})
    >>> options["proxy"]["server"], options["proxy"]["username"], options["proxy"]["bypass"].split(",")[:1]
    ('http://127.0.0.1:3128', 'u', ['accounts.google.com'])
    """
    unresolvable = ", ".join(f"MAP {host} ~NOTFOUND" for host in BACKGROUND_HOSTS)
    args = [*EXTRA_SWITCHES, f"--host-resolver-rules={unresolvable}"]
    options: dict[str, Any] = {"executable_path": config.chromium_path, "headless": True, "args": args}
    bypass = [*BACKGROUND_HOSTS, *(h.strip() for h in proxies.get("no", "").split(",") if h.strip())]
    http, https = proxies.get("http"), proxies.get("https")
    if http and http == https:
        options["proxy"] = {**_proxy_server(http), "bypass": ",".join(bypass)}
    elif http or https:
        # One proxy per scheme: Chromium's own syntax; Playwright's option takes one server only.
        servers = ";".join(f"{scheme}={_proxy_server(url)['server']}" for scheme, url in (("http", http), ("https", https)) if url)
        args += [f"--proxy-server={servers}", f"--proxy-bypass-list={';'.join([*bypass, '<-loopback>'])}"]
    return options


def _proxy_server(url: str) -> dict[str, str]:
    """A proxy URL as Playwright's proxy option: the server, and its credentials apart."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    server = {"server": f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"}
    if parts.username:
        server |= {"username": unquote(parts.username), "password": unquote(parts.password or "")}
    return server


class ContextRotation:
    """Which browser context each page opens in: ``pages_per_context`` pages per context, then a
    new one; a context whose pages are all done, and that takes no more, is to be closed.

    >>> rotation = ContextRotation(2)
    >>> [rotation.take() for _ in range(3)]
    ['watch-0', 'watch-0', 'watch-1']
    >>> rotation.give_back("watch-0"), rotation.give_back("watch-0"), rotation.give_back("watch-1")
    (None, 'watch-0', None)
    """

    def __init__(self, pages_per_context: int) -> None:
        self.pages_per_context = pages_per_context
        self._generation = 0
        self._taken = 0  # pages opened in the current context
        self._open: Counter[int] = Counter()

    def take(self) -> str:
        """The context for the next page."""
        if self._taken >= self.pages_per_context:
            self._generation += 1
            self._taken = 0
        self._taken += 1
        self._open[self._generation] += 1
        return f"watch-{self._generation}"

    def give_back(self, name: str) -> str | None:
        """A page of context ``name`` is done; return ``name`` if that context is to be closed now."""
        generation = int(name.rsplit("-", 1)[1])
        self._open[generation] -= 1
        full = generation < self._generation or self._taken >= self.pages_per_context
        if self._open[generation] or not full:
            return None
        del self._open[generation]
        return name


class _LateStart(PlaywrightBrowserProvider):
    """scrapy-playwright's browser provider, starting Playwright's driver with the first browser."""

    async def start(self) -> None:
        """Nothing yet: a crawl that renders no page starts no driver (about 175 MiB)."""

    async def launch_browser(self) -> Browser:
        if self.playwright is None:
            await super().start()
        return await super().launch_browser()


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler with watch's browser set-up (see the module docstring)."""

    def __init__(self, crawler: Crawler, config: RenderConfig) -> None:
        super().__init__(crawler)
        self.render = config
        self.config = replace(
            self.config,
            cdp_url=None,
            connect_url=None,
            browser_type_name="chromium",
            launch_options=launch_options(config, getproxies()),
            max_pages_per_context=config.concurrency,
            max_contexts=None,
            startup_context_kwargs={},
            navigation_timeout_ms=config.timeout * 1000,
        )
        self.browser_provider_cls = _LateStart
        self.abort_request = self._refused
        self._allow_private = crawler.settings.getbool(ALLOW_SETTING)
        self._pages = asyncio.Semaphore(config.concurrency)
        self._contexts = ContextRotation(config.pages_per_context)
        self._closed = False

    async def close(self) -> None:
        # Shared by http and https: Scrapy closes it once per scheme.
        if not self._closed:
            self._closed = True
            await super().close()

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        async with self._pages:
            name = self._contexts.take()
            request.meta["playwright_context"] = name
            request.meta["playwright_context_kwargs"] = CONTEXT_OPTIONS
            request.meta["playwright_page_init_callback"] = partial(
                _page_opened, settle=self.render.settle_timeout, keep_raw=request.meta.get(RENDER_KEY) == DIRECT
            )
            try:
                return await super()._download_request(request, spider)
            finally:
                retired = self._contexts.give_back(name)
                if retired is not None:
                    await self._close_context(retired)

    async def _close_context(self, name: str) -> None:
        wrapper = self.context_wrappers.get(name)
        if wrapper is None:
            return
        with suppress(PlaywrightError):
            await wrapper.context.close()
        self.stats.inc_value("watch/render/contexts_closed")

    async def _refused(self, request: BrowserRequest) -> bool:
        """Whether the browser must not send ``request`` (scrapy-playwright aborts it)."""
        reason = _refusal(request, self.render.blocked_resources, self._allow_private)
        if reason is None:
            return False
        self.stats.inc_value(f"watch/render/refused/{reason}")
        return True


def _refusal(request: BrowserRequest, blocked: frozenset[str], allow_private: bool) -> str | None:
    """Why the browser must not send ``request``, or ``None`` (see the module docstring)."""
    if request.resource_type in blocked:
        return request.resource_type
    url = request.url
    if not is_crawlable(url):
        return "not_http"
    if not allow_private and host_refusal(urlsplit(url).hostname or "") is not None:
        return "private_address"
    if request.is_navigation_request():
        try:
            frame = request.frame
            if frame.parent_frame is not None:
                return "frame"
            shown = frame.page.url
        except PlaywrightError:  # a service worker's request has no frame; they are blocked anyway
            return None
        if is_crawlable(shown) and site_of(shown) != site_of(url):
            return "navigation_elsewhere"
    return None


async def _page_opened(page: Page, request: Request, *, settle: float, keep_raw: bool) -> None:
    """scrapy-playwright's ``playwright_page_init_callback``: refuse WebSockets, keep the page's
    first document response when its raw HTML is wanted, and settle the page after its load."""
    await page.route_web_socket("**", _refuse_websocket)
    documents: list[BrowserResponse] = []
    if keep_raw:

        def keep(response: BrowserResponse) -> None:
            if response.frame == page.main_frame and response.request.is_navigation_request():
                documents.append(response)

        page.on("response", keep)
    request.meta["playwright_page_methods"] = [PageMethod(_settle, request, documents, settle)]


async def _settle(page: Page, request: Request, documents: list[BrowserResponse], settle: float) -> None:
    """Give the page ``settle`` seconds for its network to go quiet; keep its raw HTML if asked."""
    if settle:
        with suppress(PlaywrightTimeoutError):
            await page.wait_for_load_state("networkidle", timeout=settle * 1000)
    document = next((response for response in documents if not 300 <= response.status < 400), None)
    if document is not None:
        with suppress(PlaywrightError):
            request.meta[RAW_HTML_KEY] = await document.text()


async def _refuse_websocket(websocket: WebSocketRoute) -> None:
    await websocket.close(code=1008, reason="watch reads pages, not WebSockets")
