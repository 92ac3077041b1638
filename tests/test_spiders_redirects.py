"""Redirects a crawl cannot follow are faults of the page: loops and non-http targets."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from spiders.redirects import RedirectLoop, RedirectMiddleware, RedirectNotHttp
from watch.urls import DEFAULT_TRACKING_PARAMETERS


def _middleware() -> RedirectMiddleware:
    settings = {"REDIRECT_MAX_TIMES": 5, "WATCH_URLS_TRACKING_PARAMETERS": list(DEFAULT_TRACKING_PARAMETERS)}
    return build_from_crawler(RedirectMiddleware, get_crawler(Spider, settings))


def _redirect(request: Request, location: str, status: int = 301) -> Request | Response:
    response = Response(request.url, status=status, headers={"Location": location}, request=request)
    return _middleware().process_response(request, response)


def test_a_redirect_is_followed_as_scrapy_does() -> None:
    followed = _redirect(Request("http://a.test/old"), "/new")
    assert isinstance(followed, Request) and followed.url == "http://a.test/new"
    assert followed.meta["redirect_urls"] == ["http://a.test/old"]


@pytest.mark.parametrize(
    ("chain", "location"),
    [
        ([], "http://a.test/a"),  # to itself
        (["http://a.test/a"], "/a"),  # a -> b -> a
        (["http://a.test/a?utm_source=x"], "http://A.test:80/a#top"),  # the same page, canonically
        (["http://a.test/a", "http://a.test/c"], "http://a.test/a"),
    ],
)
def test_a_redirect_back_into_its_chain_is_a_loop(chain: list[str], location: str) -> None:
    url = "http://a.test/a" if not chain else "http://a.test/b"
    with pytest.raises(RedirectLoop):
        _redirect(Request(url, meta={"redirect_urls": chain, "redirect_times": len(chain)}), location, 302)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://ftp.a.test/pub/x", "mailto:x@a.test"])
def test_a_redirect_to_another_scheme_is_refused(location: str) -> None:
    with pytest.raises(RedirectNotHttp, match="not http"):
        _redirect(Request("http://a.test/x"), location)


def test_what_is_not_followed_otherwise_passes_through() -> None:
    request = Request("http://a.test/x", meta={"dont_redirect": True})
    response = Response(request.url, status=301, headers={"Location": "ftp://a.test/"}, request=request)
    assert _middleware().process_response(request, response) is response
    plain = Response("http://a.test/x", status=200, headers={"Location": "ftp://a.test/"})
    assert _middleware().process_response(Request("http://a.test/x"), plain) is plain
