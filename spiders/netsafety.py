"""Keep a crawl off this machine and the private networks around it (DESIGN §9, :mod:`watch.netsafety`).

Two checks, because a request can reach a refused address in two ways:

* :class:`NetworkSafetyMiddleware`, a downloader middleware, refuses every request whose URL names
  a refused host — ``localhost``, an IP literal in a refused range, a metadata service's name —
  before anything is sent: page requests, redirects (each hop comes back through the downloader
  middlewares), robots.txt requests and start pages alike. It raises :class:`PrivateAddressRefused`.
* :class:`GuardedResolver`, Scrapy's caching DNS resolver with one more step, refuses a name whose
  address falls in a refused range, at the moment Scrapy resolves it to connect: no second lookup,
  so a name cannot answer "public" to a check and "private" to the connection. Twisted turns any
  resolver failure into a DNS lookup error, so the refused name is also recorded
  (:func:`resolved_refusal`): :mod:`spiders.faults` tells a refused name from a name that does
  not exist by the request's host, not by the error's message. IP literals are never resolved
  for a target (the URL check judged them), and the crawl's own proxy, named in ``http_proxy`` /
  ``https_proxy``, may live on a private address: neither is refused here. When the crawl goes
  through a proxy, the proxy resolves the names, not Scrapy: only the URL check applies there.

``WATCH_ALLOW_PRIVATE_NETWORKS = True`` switches both off (tests and the offline demo, whose sites
live on 127.0.0.1). Refusals are counted under ``watch/safety/refused/<kind>``; the scope counts
the pages they cost (outcome ``private_address``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached

from watch.netsafety import Refusal, address_refusal, host_refusal, parse_address

if TYPE_CHECKING:
    from collections.abc import Sequence

    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred
    from typing_extensions import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

#: The setting that switches both checks off.
ALLOW_SETTING = "WATCH_ALLOW_PRIVATE_NETWORKS"


class PrivateAddressRefused(IgnoreRequest):
    """A request to a refused host, stopped before it was sent."""

    def __init__(self, url: str, refusal: Refusal) -> None:
        super().__init__(f"refused: {url} is {refusal.reason} ({ALLOW_SETTING} is off)")
        self.refusal = refusal


#: Names the resolver refused in this process, with why (one per refused host; forgotten all at
#: once past :data:`_REMEMBERED_REFUSALS`, so that a web of such names cannot grow it without bound).
_RESOLVED_REFUSALS: dict[str, Refusal] = {}
_REMEMBERED_REFUSALS = 10_000


def resolved_refusal(host: str) -> Refusal | None:
    """Why the resolver refused ``host`` in this crawl, or ``None`` if it did not."""
    return _RESOLVED_REFUSALS.get(host)


class NetworkSafetyMiddleware:
    """Refuses requests to refused hosts (see the module docstring)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.getbool(ALLOW_SETTING):
            raise NotConfigured(f"{ALLOW_SETTING} is on")
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        refusal = host_refusal(host)
        if refusal is None:
            return
        self.stats.inc_value(f"watch/safety/refused/{refusal.kind}")
        if host not in self._logged:
            self._logged.add(host)
            logger.warning(
                "Refused %s: %s is %s (each host logged once; see watch/safety/refused/*)",
                request.url, host, refusal.reason,
            )  # fmt: skip
        raise PrivateAddressRefused(request.url, refusal)


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's default resolver, refusing answers in a refused range (``TWISTED_DNS_RESOLVER``)."""

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, guard: bool, proxies: frozenset[str]
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.guard = guard
        self.proxies = proxies  # host names of the crawl's own proxies: never refused

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        proxies = frozenset(
            urlsplit(url).hostname or "" for scheme, url in getproxies().items() if scheme in ("http", "https")
        )
        return cls(
            reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), not settings.getbool(ALLOW_SETTING), proxies
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 (Twisted's name)
        resolved = super().getHostByName(name, timeout)
        if self.guard and name not in self.proxies and parse_address(name) is None:
            resolved.addCallback(_checked, name)
        return resolved


def _checked(address: str, name: str) -> Any:
    refusal = address_refusal(address)
    if refusal is not None:
        if len(_RESOLVED_REFUSALS) >= _REMEMBERED_REFUSALS:
            _RESOLVED_REFUSALS.clear()
        _RESOLVED_REFUSALS[name] = refusal
        logger.warning("Refused %s: it resolves to %s, %s", name, address, refusal.reason)
        raise PrivateAddressError(f"refused: {name} resolves to {address}, {refusal.reason} ({ALLOW_SETTING} is off)")
    return address


class PrivateAddressError(Exception):
    """Raised by the resolver for a refused answer (Twisted reports it as a DNS lookup error)."""
