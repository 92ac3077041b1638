"""robots.txt in a crawl shared through Redis: fetched by the process that finds a site, obeyed by
the one that reads it (a real redis-server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import Request, Spider, signals
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from spiders.robots import WatchRobotsTxtMiddleware
from spiders.signals import sites_taken
from tests.conftest import project_settings
from watch.sharedcrawl import SharedCrawl

if TYPE_CHECKING:
    import redis

    from mockweb.redis_server import RedisServer

pytestmark = pytest.mark.redis

ROBOTS = b"User-agent: *\nDisallow: /private\nCrawl-delay: 2\n"


def _middleware(shared: SharedCrawl | None) -> tuple[WatchRobotsTxtMiddleware, list[dict[str, Any]]]:
    crawler = get_crawler(Spider, project_settings())
    crawler._apply_settings()
    crawler.spider = Spider("test")
    if shared is not None:
        crawler.spider.shared = SimpleNamespace(crawl=shared)  # type: ignore[attr-defined]
    parsed: list[dict[str, Any]] = []
    crawler.signals.connect(lambda **kwargs: parsed.append(kwargs), signal=signals.robots_parsed, weak=False)
    return WatchRobotsTxtMiddleware.from_crawler(crawler), parsed


def _allowed(middleware: WatchRobotsTxtMiddleware, netloc: str, url: str) -> bool:
    parser = middleware._parsers[netloc]
    assert parser is not None and not isinstance(parser, Deferred)
    return bool(parser.allowed(url, "watch"))


def test_sites_taken_get_the_robots_txt_another_process_kept(redis_client: redis.Redis) -> None:
    finder = SharedCrawl(redis_client, "test", "finder")
    finder.keep_robots_txt("a.test", ROBOTS)
    finder.keep_robots_txt("a.test", b"User-agent: *\nDisallow: /\n")  # the first one kept stays
    middleware, parsed = _middleware(SharedCrawl(redis_client, "test", "reader"))
    middleware.crawler.signals.send_catch_log(
        sites_taken, urls=["http://a.test/x", "http://a.test/", "http://c.test/"]
    )
    assert not _allowed(middleware, "a.test", "http://a.test/private/1")
    assert _allowed(middleware, "a.test", "http://a.test/public")
    assert "c.test" not in middleware._parsers  # kept by nobody: fetched when its first page goes out
    assert middleware.crawler.stats.get_value("watch/robots/from_shared_crawl") == 1
    # The Crawl-delay applies as for a robots.txt fetched here: the signal names the site's first page.
    assert [(kwargs["request"].url, kwargs["robotparser"].crawl_delay("watch")) for kwargs in parsed] == [
        ("http://a.test/x", 2)
    ]


def _fetch(middleware: WatchRobotsTxtMiddleware, netloc: str, response: TextResponse | None) -> None:
    """What the parent does once robots.txt answered (``response``) or failed (``None``)."""
    middleware._parsers[netloc] = Deferred()
    if response is None:
        middleware._robots_error(ConnectionRefusedError(), netloc)
    else:
        asyncio.run(middleware._parse_robots(response, netloc, Request(f"http://{netloc}/")))


def _robots_response(netloc: str) -> TextResponse:
    return TextResponse(f"http://{netloc}/robots.txt", body=ROBOTS, headers={"Content-Type": "text/plain"})


def test_a_robots_txt_fetched_is_kept_and_one_that_failed_is_not(redis_client: redis.Redis) -> None:
    shared = SharedCrawl(redis_client, "test", "finder")
    middleware, _ = _middleware(shared)
    _fetch(middleware, "d.test", _robots_response("d.test"))
    _fetch(middleware, "e.test", None)  # tried again by the process that reads the site
    assert not _allowed(middleware, "d.test", "http://d.test/private")
    assert middleware._parsers["e.test"] is None
    assert shared.robots_txts(["d.test", "e.test"]) == {"d.test": ROBOTS}


def test_redis_unreachable_robots_txt_are_fetched_as_in_one_process(redis_server: RedisServer) -> None:
    import redis as redis_py

    client = redis_py.Redis.from_url(redis_server.url)
    middleware, _ = _middleware(SharedCrawl(client, "test", "reader"))
    redis_server.stop()
    middleware._sites_taken(["http://a.test/"])  # raises nothing
    assert "a.test" not in middleware._parsers
    # One failed call is enough: no other is made (each would block the crawl up to its timeout).
    assert middleware.shared is None
    middleware._sites_taken(["http://b.test/"])  # the next level's sites: nothing asked of Redis
    assert "b.test" not in middleware._parsers
    _fetch(middleware, "a.test", _robots_response("a.test"))
    assert not _allowed(middleware, "a.test", "http://a.test/private")
    client.close()


def test_a_single_process_crawl_keeps_nothing() -> None:
    middleware, _ = _middleware(None)
    assert middleware.shared is None
    _fetch(middleware, "a.test", _robots_response("a.test"))
    assert not _allowed(middleware, "a.test", "http://a.test/private")
