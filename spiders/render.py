"""Reading script-built pages in Chromium: the render modes, the policy per site, the fallbacks.

``-a render=never|auto|always`` (``WATCH_RENDER``) says which pages are read in a browser
(scrapy-playwright, with Debian's Chromium: :mod:`spiders.browser`):

* ``never``: none; no browser, no Playwright driver, is ever started;
* ``auto`` (default): every page is fetched plainly first; the spider reads it and, when its
  plain HTML looks script-built (:func:`watch.shell.shell_verdict`), asks for it again in the
  browser. The page keeps its slot of its site's budget, its depth and its Referer; the scope
  takes the links of the rendered DOM, never those of the shell. A site with
  ``WATCH_RENDER_SITE_SHELLS`` shells whose rendering added text goes straight to the browser for
  its other pages; a site where rendering added nothing goes back to plain fetching
  (:class:`watch.render.RenderPolicy`);
* ``always``: every page (links to files such as ``.pdf`` apart) is read in the browser.

A page is never lost to the browser: when rendering fails (timeout, crash, a redirect to another
site), the plain document is read instead (``watch/render/failed``): the shell already fetched,
or a plain request for a page that went straight to the browser. Without a browser that
Playwright can drive (:func:`watch.chromium.browser_problem`), ``auto`` crawls plainly after one
warning, and the coverage report lists the pages that looked script-built (outcome
``script_shell``); ``always`` is refused before any request.

Counted under ``watch/render/``: ``candidates`` (shells seen, and per signal ``signal/<name>``),
``requests/shell`` and ``requests/direct`` (pages sent to the browser), ``rendered``, ``failed``
(and ``failed/<reason>``), ``added_chars`` (text the renderings added, :func:`watch.render.added_text`),
``added_nothing``, ``unrendered`` (shells read without a browser), ``sites_direct``,
``sites_back_to_plain``, and what the browser was refused (``refused/<reason>``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.url import url_has_any_extension

from spiders.arguments import choice, number
from spiders.config import SettingError, read, seconds, whole_number
from spiders.scope import SLOT_KEY
from watch.chromium import browser_problem
from watch.render import RENDER_MODES, RenderMode, RenderPolicy
from watch.shell import ShellConfig
from watch.urls import site_of

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

#: Request meta: why a page goes to the browser, ``"shell"`` (its plain HTML looked script-built)
#: or ``"direct"`` (its site goes straight to the browser, or ``render=always``).
RENDER_KEY = "watch_render"
SHELL = "shell"
DIRECT = "direct"
#: Request meta of a shell read again: the visible text and the response of its plain fetch.
PLAIN_TEXT_KEY = "watch_plain_text"
PLAIN_RESPONSE_KEY = "watch_plain_response"
#: Request meta of a shell read again: why its plain HTML looked script-built (for the report).
SHELL_BECAUSE_KEY = "watch_shell_because"
#: Request meta of a page read without the browser after rendering failed: why it failed.
RENDER_FAILED_KEY = "watch_render_failed"
#: Request meta of a page read straight in the browser: the HTML its server sent (before scripts).
RAW_HTML_KEY = "watch_raw_html"
#: The meta keys that send a request to the browser (dropped when it falls back to plain fetching).
BROWSER_KEYS = (
    "playwright", "playwright_context", "playwright_context_kwargs", "playwright_page_init_callback",
    "playwright_page_methods", "playwright_page_goto_kwargs", RENDER_KEY, PLAIN_TEXT_KEY, PLAIN_RESPONSE_KEY,
    SHELL_BECAUSE_KEY,
)  # fmt: skip

#: Sent by the spider for each page read in the browser: ``site``, ``shell`` (its plain HTML
#: looked script-built), ``added`` (characters of text rendering added).
page_rendered = object()

# Links to files are fetched plainly even when their site goes to the browser: Chromium would
# download them, not show them. PDF is among Scrapy's extensions of files.
_FILE_EXTENSIONS = tuple(f".{extension}" for extension in IGNORED_EXTENSIONS)


@dataclass(frozen=True)
class RenderConfig:
    """The rendering settings (``WATCH_RENDER*``, ``WATCH_CHROMIUM_PATH``), read and checked once.

    :meth:`from_settings` raises ``ValueError`` naming the setting, its value and what was expected.
    """

    mode: RenderMode
    chromium_path: str
    shell: ShellConfig
    site_shells: int
    min_added_chars: int
    timeout: float
    settle_timeout: float
    concurrency: int
    pages_per_context: int
    blocked_resources: frozenset[str]

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        try:
            shell = ShellConfig(
                text_chars=read(settings, "WATCH_RENDER_TEXT_CHARS", whole_number(0)),
                hinted_text_chars=read(settings, "WATCH_RENDER_HINTED_TEXT_CHARS", whole_number(0)),
                root_text_chars=read(settings, "WATCH_RENDER_ROOT_TEXT_CHARS", whole_number(0)),
                inline_script_chars=read(settings, "WATCH_RENDER_INLINE_SCRIPT_CHARS", whole_number(0)),
                template_share=read(settings, "WATCH_RENDER_TEMPLATE_SHARE", number(0)),
            )
        except ValueError as exc:
            if isinstance(exc, SettingError):
                raise
            raise SettingError(f"invalid WATCH_RENDER_* thresholds: {exc}") from None
        return cls(
            mode=cast("RenderMode", read(settings, "WATCH_RENDER", choice(*RENDER_MODES))),
            chromium_path=str(settings.get("WATCH_CHROMIUM_PATH")),
            shell=shell,
            site_shells=read(settings, "WATCH_RENDER_SITE_SHELLS", whole_number(1)),
            min_added_chars=read(settings, "WATCH_RENDER_MIN_ADDED_CHARS", whole_number(0)),
            timeout=read(settings, "WATCH_RENDER_TIMEOUT", number(0.1)),
            settle_timeout=read(settings, "WATCH_RENDER_SETTLE_TIMEOUT", seconds),
            concurrency=read(settings, "WATCH_RENDER_CONCURRENCY", whole_number(1)),
            pages_per_context=read(settings, "WATCH_RENDER_PAGES_PER_CONTEXT", whole_number(1)),
            blocked_resources=frozenset(settings.getlist("WATCH_RENDER_BLOCKED_RESOURCES")),
        )

    def browser_problem(self) -> str | None:
        """Why this crawl cannot render, in one line (no browser, a mismatched one); ``None`` if it
        can, or if it never renders."""
        return None if self.mode == "never" else browser_problem(self.chromium_path)


class RenderUnavailable(Exception):
    """``render=always`` in a crawl that cannot start a browser (the crawl command refuses it first)."""


class RenderMiddleware:
    """Sends pages to the browser and brings failed renderings back to plain fetching.

    A downloader middleware placed next to the downloader (see the module docstring): its
    ``process_exception`` runs before Retry's, so a failed rendering is read plainly at once
    instead of being rendered again.
    """

    def __init__(self, config: RenderConfig, stats: StatsCollector) -> None:
        self.config = config
        self.stats = stats
        self.policy = RenderPolicy(config.site_shells, config.min_added_chars)
        self._failures_logged = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = RenderConfig.from_settings(crawler.settings)
        if config.mode == "never":
            raise NotConfigured("render=never")
        assert crawler.stats is not None
        problem = config.browser_problem()
        if problem is not None:
            if config.mode == "always":
                raise RenderUnavailable(f"render=always, but {problem}")
            crawler.stats.set_value("watch/render/unavailable", problem)
            logger.warning(
                "Pages are read without a browser in this crawl: %s. Pages that look script-built are "
                "read as they are and listed in the coverage report (outcome script_shell).",
                problem,
            )
            raise NotConfigured(problem)
        middleware = cls(config, crawler.stats)
        if config.mode == "auto":  # "always" renders every page whatever the sites are like
            crawler.signals.connect(middleware._page_rendered, signal=page_rendered)
        return middleware

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if meta.get("playwright"):
            return
        render = meta.get(RENDER_KEY)
        if render is None:
            if SLOT_KEY not in meta or RENDER_FAILED_KEY in meta or url_has_any_extension(request.url, _FILE_EXTENSIONS):
                return
            if self.config.mode != "always" and not self.policy.is_direct(site_of(request.url)):
                return
            render = meta[RENDER_KEY] = DIRECT
        meta["playwright"] = True
        self.stats.inc_value(f"watch/render/requests/{render}")

    def process_response(self, request: Request, response: Response) -> Response | Request:
        if not request.meta.get("playwright") or RENDER_FAILED_KEY in request.meta:  # not rendered, or fell back
            return response
        if response.meta.get("redirect_urls") and site_of(response.url) != site_of(request.url):
            # The browser followed a redirect the scope never saw: fetched plainly, the scope decides.
            return self._fallback(request, "redirect_elsewhere", f"redirected to {response.url}")
        self.stats.inc_value("watch/render/rendered")
        return response

    def process_exception(self, request: Request, exception: Exception) -> Response | Request | None:
        if not request.meta.get("playwright"):
            return None
        reason = type(exception).__name__
        message = " ".join(str(exception).split())[:200]
        return self._fallback(request, reason, f"{reason}: {message}")

    def _fallback(self, request: Request, reason: str, detail: str) -> Response | Request:
        """The plain document instead of the rendered one: the shell already fetched, or a plain request."""
        self.stats.inc_value("watch/render/failed")
        self.stats.inc_value(f"watch/render/failed/{reason}")
        if self._failures_logged < 10:
            self._failures_logged += 1
            logger.warning("Rendering failed, reading the plain page instead: %s (%s)%s", request.url, detail,
                           " (first 10 logged; see watch/render/failed/*)" if self._failures_logged == 10 else "")  # fmt: skip
        plain: Response | None = request.meta.get(PLAIN_RESPONSE_KEY)
        request.meta[RENDER_FAILED_KEY] = detail
        if plain is not None:
            return plain.replace(request=request)
        meta = {key: value for key, value in request.meta.items() if key not in BROWSER_KEYS}
        return request.replace(meta=meta, dont_filter=True)

    def _page_rendered(self, site: str, shell: bool, added: int) -> None:
        change = self.policy.rendered(site, shell=shell, added=added)
        if change == "direct":
            self.stats.inc_value("watch/render/sites_direct")
            logger.info("%s: its pages are script-built, the next ones go straight to the browser", site)
        elif change == "plain":
            self.stats.inc_value("watch/render/sites_back_to_plain")
            logger.info("%s: rendering added no text, its next pages are fetched plainly", site)


class DownloadHandler:
    """The crawl's http and https download handler (``DOWNLOAD_HANDLERS``).

    Scrapy's own HTTP handler when the crawl never renders (``render=never``, or no usable
    browser); else one :class:`spiders.browser.BrowserDownloadHandler`, shared by both schemes,
    so that one Chromium serves the whole crawl (scrapy-playwright would start one per scheme).
    Playwright is imported only then.
    """

    lazy = False  # built when the crawl starts, so that the browser handler hears engine_started
    _shared: WeakKeyDictionary[Crawler, Any] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        config = RenderConfig.from_settings(crawler.settings)
        if config.browser_problem() is not None or config.mode == "never":
            return build_from_crawler(HTTP11DownloadHandler, crawler)
        handler = cls._shared.get(crawler)
        if handler is None:
            from spiders.browser import BrowserDownloadHandler

            handler = cls._shared[crawler] = BrowserDownloadHandler(crawler, config)
        return handler
