"""The scope middleware as a Scrapy component: built from settings, holding and releasing requests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from spiders.scope import (
    PAGE_KIND_KEY,
    PAGE_NOTE_KEY,
    READ_AGAIN_KEY,
    SEED_KEY,
    SITE_LEVEL_KEY,
    SLOT_KEY,
    START_PAGE_KEY,
    ScopeMiddleware,
)
from spiders.evidence import evidence_of
from tests.conftest import project_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable


def _middleware(**settings: Any) -> ScopeMiddleware:
    crawler = get_crawler(
        Spider, project_settings({"WATCH_SCOPE_SITE_DEPTH": 2, "WATCH_SCOPE_PAGES_PER_SITE": 2, **settings})
    )
    crawler._apply_settings()  # builds the extensions: the scope reports to the run's evidence
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
    assert evidence_of(middleware.crawler).scope is middleware.scope


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


def test_a_page_read_again_keeps_its_slot_and_gives_the_links_of_its_second_reading() -> None:
    middleware = _middleware(WATCH_SCOPE_PAGES_PER_SITE=3)
    middleware.scope.add_seed("http://blog.test/", Request("http://blog.test/"))
    (home,) = middleware.scope.next_level()
    page = home.payload
    page.meta.update({SLOT_KEY: tuple(home.key), "depth": 1})
    page.priority = -1
    shell = _response(page)
    # As the depth and referer middlewares leave it: one hop deeper, referred by the page itself.
    again = page.replace(meta={**page.meta, READ_AGAIN_KEY: True, "depth": 2}, priority=-2,
                         headers={"Referer": page.url}, dont_filter=True)  # fmt: skip
    out = _collect(middleware.process_spider_output(shell, _aiter([again, Request("http://blog.test/shell-link")])))
    assert out == [again]  # the shell's own links are not taken
    assert (again.meta["depth"], again.priority, again.headers.get("Referer")) == (1, -1, None)
    assert middleware.scope.in_flight() == [home.key]  # the slot waits for the second reading
    again.meta.update({PAGE_KIND_KEY: "rendered", PAGE_NOTE_KEY: "rendering added 800 characters of text"})
    rendered = _response(again)
    out = _collect(middleware.process_spider_output(rendered, _aiter([Request("http://blog.test/dom-link")])))
    assert [r.url for r in out] == ["http://blog.test/dom-link"]
    page_record = middleware.scope.coverage()["sites"][0]["pages"][0]
    assert (page_record["outcome"], page_record["fault"]) == ("rendered", "rendering added 800 characters of text")
