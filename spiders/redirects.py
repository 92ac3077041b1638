"""Redirects a crawl cannot follow, made failures of the page that asked for them.

Scrapy's ``RedirectMiddleware`` hands a redirect to a ``file://``, ``ftp://`` or any other non-http
address to the spider as the 3xx answer itself, and sends a redirect back to a page of its own
chain (``a → b → a``) to the duplicate filter, which drops it as a page requested already. Both
are faults of the site, and the coverage report must say so: this subclass raises
:class:`RedirectNotHttp` and :class:`RedirectLoop` instead, so that the page's errback receives
them and :func:`spiders.faults.page_fault` names them (``redirect_not_http``, ``redirect_loop``).
Everything else is Scrapy's behaviour, ``REDIRECT_MAX_TIMES`` included (a chain too long is the
``IgnoreRequest`` Scrapy raises; ``page_fault`` tells it by ``redirect_times``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirectMiddleware
from scrapy.exceptions import IgnoreRequest

from spiders.config import tracking_parameters
from watch.urls import canonicalize

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

#: The statuses Scrapy's RedirectMiddleware follows when they carry a ``Location``.
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectLoop(IgnoreRequest):
    """A redirect to a page of the redirect chain that led to it."""


class RedirectNotHttp(IgnoreRequest):
    """A redirect to an address that is not http(s): never followed."""


class RedirectMiddleware(ScrapyRedirectMiddleware):
    """Scrapy's redirects, with loops and non-http targets raised as faults (see the module)."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self._tracking = tracking_parameters(settings)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        # Before Scrapy's: a target without "://" (mailto:, javascript:) would make it raise.
        target = _non_http_target(request, response)
        if target is not None:
            raise RedirectNotHttp(f"redirect to an address that is not http(s): {target}")
        followed = super().process_response(request, response)
        if isinstance(followed, Request):
            chain = [*request.meta.get("redirect_urls", ()), request.url]
            landing = canonicalize(followed.url, self._tracking)
            if any(canonicalize(url, self._tracking) == landing for url in chain):
                raise RedirectLoop(f"redirect loop: {request.url} redirects to {followed.url}, met before")
        return followed


def _non_http_target(request: Request, response: Response) -> str | None:
    """The address ``response`` redirects to, when it is a redirect Scrapy would follow but for
    its scheme; else ``None``."""
    location = response.headers.get("Location")
    if response.status not in _REDIRECT_STATUSES or location is None or request.meta.get("dont_redirect"):
        return None
    target = urljoin(request.url, location.decode("latin-1").strip())
    return None if urlsplit(target).scheme in ("http", "https") else target
