"""The Scrapy side of network safety: the request check and the guarded resolver (no traffic sent)."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from scrapy.resolver import dnscache
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from spiders.faults import page_fault
from spiders.netsafety import GuardedResolver, NetworkSafetyMiddleware, PrivateAddressError, PrivateAddressRefused


def _middleware(**settings: object) -> NetworkSafetyMiddleware:
    crawler = get_crawler(Spider, settings)
    crawler.spider = crawler._create_spider("safety")
    return build_from_crawler(NetworkSafetyMiddleware, crawler)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://localhost:8080/admin", "https://[::1]/", "http://10.0.0.7/x",
     "http://169.254.169.254/latest/meta-data/", "http://metadata.google.internal/", "http://127.1/"],
)  # fmt: skip
def test_requests_to_refused_hosts_are_stopped_and_counted(url: str) -> None:
    middleware = _middleware()
    with pytest.raises(PrivateAddressRefused) as refused:
        middleware.process_request(Request(url))
    kind = refused.value.refusal.kind
    assert middleware.stats.get_value(f"watch/safety/refused/{kind}") == 1


def test_public_requests_pass() -> None:
    assert _middleware().process_request(Request("https://blog.example/post")) is None


def test_switched_off_when_private_networks_are_allowed() -> None:
    with pytest.raises(NotConfigured):
        _middleware(WATCH_ALLOW_PRIVATE_NETWORKS=True)


def _resolver(guard: bool = True, proxies: frozenset[str] = frozenset()) -> GuardedResolver:
    from twisted.internet import reactor

    return GuardedResolver(reactor, cache_size=100, timeout=5.0, guard=guard, proxies=proxies)


def _answer(resolver: GuardedResolver, name: str) -> object:
    """What the resolver answers for a name whose address is already in Scrapy's DNS cache
    (so no lookup is made: the answer is ready at once)."""
    outcome: list[object] = []
    resolver.getHostByName(name).addBoth(outcome.append)
    return outcome[0]


def test_resolver_refuses_names_that_resolve_into_refused_ranges() -> None:
    dnscache["intranet.example"] = "192.168.10.20"
    dnscache["www.example"] = "93.184.216.34"
    dnscache["proxy.corp.example"] = "10.1.1.1"
    resolver = _resolver(proxies=frozenset({"proxy.corp.example"}))
    refused = _answer(resolver, "intranet.example")
    assert refused.check(PrivateAddressError)  # type: ignore[attr-defined]
    assert _answer(resolver, "www.example") == "93.184.216.34"
    # The crawl's own proxy may live on a private network.
    assert _answer(resolver, "proxy.corp.example") == "10.1.1.1"
    assert _answer(_resolver(guard=False), "intranet.example") == "192.168.10.20"
    # Twisted reports a resolver's failure as a DNS error: the fault is told by the refused host.
    request = Request("http://intranet.example/wiki")
    fault = page_fault(CannotResolveHostError("DNS lookup failed"), request, max_redirects=5)
    assert fault == ("private_address", "private_address_private")
    unknown = page_fault(CannotResolveHostError("DNS lookup failed"), Request("http://nx.example/"), 5)
    assert unknown == ("error", "dns_error")
