"""The scope middleware as a Scrapy component: built from settings, holding and releasing requests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from spiders.scope import SEED_KEY, SITE_LEVEL_KEY, SLOT_KEY, START_PAGE_KEY, ScopeMiddleware

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable


def _middleware(**settings: Any) -> ScopeMiddleware:
    crawler = get_crawler(Spider, {"WATCH_SCOPE_SITE_DEPTH": 2, "WATCH_SCOPE_PAGES_PER_SITE": 2, **settings})
    return build_from_crawler(ScopeMiddleware, crawler)


async def _aiter(objects: Iterable[Any]) -> AsyncIterator[Any]:
    for obj in objects:
        yield obj


def _collect(stream: AsyncIterator[Any]) -> list[Any]:
    async def collect() -> list[Any]:
        return [obj async for obj in stream]

    return asyncio.run(collect())


def _response(request: Request, status: int = 200) -> HtmlResponse:
    return HtmlResponse(request.url, status=status, body=b"<html></html>", request=request)


def test_settings_configure_the_scope() -> None:
    middleware = _middleware(WATCH_SCOPE_SITE_DEPTH=3, WATCH_SCOPE_PAGES_PER_SITE=7)
    assert (middleware.scope.site_depth, middleware.scope.pages_per_site) == (3, 7)


def test_start_page_goes_out_and_seeds_wait_for_level_one() -> None:
    middleware = _middleware()
    start = Request("http://portal.test/", meta={START_PAGE_KEY: True})
    seed = Request("http://blog.test/", meta={SEED_KEY: True})
    sent = _collect(middleware.process_start(_aiter([start, seed])))
    assert sent == [start]
    assert start.meta[SLOT_KEY] == ("portal.test", 0) and start.meta[SITE_LEVEL_KEY] == 0
    assert [r.url for r in middleware.scope.next_level()] == ["http://blog.test/"]


def test_links_are_held_and_released_within_the_budget_in_link_order() -> None:
    middleware = _middleware()
    middleware.scope.add_seed("http://blog.test/", Request("http://blog.test/"))
    (home,) = middleware.scope.next_level()
    page = home.payload
    page.meta[SLOT_KEY] = tuple(home.key)
    links = [Request(f"http://blog.test/{n}") for n in (1, 2, 3)] + [Request("http://other.test/")]
    item = {"url": page.url}
    out = _collect(middleware.process_spider_output(_response(page), _aiter([item, *links])))
    assert out[0] is item  # documents pass through untouched
    assert [r.url for r in out[1:]] == ["http://blog.test/1"]  # 2 pages a site: home + 1
    assert out[1].meta[SITE_LEVEL_KEY] == 1


def test_error_pages_contribute_no_links() -> None:
    middleware = _middleware()
    middleware.scope.add_seed("http://blog.test/", Request("http://blog.test/"))
    (home,) = middleware.scope.next_level()
    home.payload.meta[SLOT_KEY] = tuple(home.key)
    out = _collect(middleware.process_spider_output(_response(home.payload, 404), _aiter([Request("http://blog.test/1")])))
    assert out == []
    assert middleware.scope.next_level() == []
