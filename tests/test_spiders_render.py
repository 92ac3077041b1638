"""Rendering as Scrapy components: the settings, the render middleware, the browser's set-up."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

import settings.base
from spiders.browser import BACKGROUND_HOSTS, ContextRotation, launch_options
from spiders.render import (
    PLAIN_RESPONSE_KEY,
    RENDER_FAILED_KEY,
    RENDER_KEY,
    SHELL,
    RenderConfig,
    RenderMiddleware,
    RenderUnavailable,
    page_rendered,
)
from spiders.scope import SLOT_KEY

WATCH = {name: getattr(settings.base, name) for name in dir(settings.base) if name.startswith("WATCH_")}


def _config(**overrides: Any) -> RenderConfig:
    return RenderConfig.from_settings(Settings({**WATCH, **overrides}))


def _middleware(**overrides: Any) -> RenderMiddleware:
    return build_from_crawler(RenderMiddleware, get_crawler(Spider, {**WATCH, **overrides}))


def _page(url: str, **meta: Any) -> Request:
    return Request(url, meta={SLOT_KEY: ("a.test", 0), **meta})


def test_defaults_are_read_from_the_settings() -> None:
    config = _config()
    assert (config.mode, config.chromium_path) == ("auto", "/usr/lib/chromium/chromium")
    assert (config.shell.text_chars, config.shell.template_share) == (200, 0.25)
    assert (config.site_shells, config.pages_per_context, config.concurrency) == (2, 20, 4)
    assert {"image", "media", "font"} <= config.blocked_resources


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("WATCH_RENDER", "sometimes", "invalid setting WATCH_RENDER='sometimes': expected one of never, auto, always"),
        ("WATCH_RENDER_TEXT_CHARS", "many", "invalid setting WATCH_RENDER_TEXT_CHARS='many': expected a whole number >= 0"),
        ("WATCH_RENDER_SITE_SHELLS", 0, "invalid setting WATCH_RENDER_SITE_SHELLS=0: expected a whole number >= 1"),
        ("WATCH_RENDER_TIMEOUT", 0, "invalid setting WATCH_RENDER_TIMEOUT=0: expected a number >= 0.1"),
        ("WATCH_RENDER_TEMPLATE_SHARE", 2, "invalid WATCH_RENDER_* thresholds: ShellConfig.template_share must be in (0, 1]"),
        ("WATCH_RENDER_HINTED_TEXT_CHARS", 10, "invalid WATCH_RENDER_* thresholds: ShellConfig.text_chars (200) must not exceed"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(setting: str, value: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        _config(**{setting: value})
    assert str(raised.value).startswith(message)


def test_never_builds_no_middleware() -> None:
    with pytest.raises(NotConfigured):
        _middleware(WATCH_RENDER="never")


def test_without_a_browser_auto_warns_and_crawls_plainly(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(Spider, {**WATCH, "WATCH_CHROMIUM_PATH": "/nowhere/chromium"})
    with pytest.raises(NotConfigured):
        build_from_crawler(RenderMiddleware, crawler)
    assert crawler.stats is not None
    assert crawler.stats.get_value("watch/render/unavailable").startswith("Chromium is missing")
    assert "Pages are read without a browser in this crawl: Chromium is missing" in caplog.text
    with pytest.raises(RenderUnavailable, match="render=always, but Chromium is missing"):
        _middleware(WATCH_RENDER="always", WATCH_CHROMIUM_PATH="/nowhere/chromium")


def test_pages_go_to_the_browser_when_their_site_does() -> None:
    middleware = _middleware()
    plain = _page("http://a.test/1")
    middleware.process_request(plain)
    assert "playwright" not in plain.meta
    middleware._page_rendered("a.test", shell=True, added=500)
    middleware._page_rendered("a.test", shell=True, added=500)
    direct, report, robots = _page("http://a.test/2"), _page("http://a.test/r.PDF"), Request("http://a.test/robots.txt")
    for request in (direct, report, robots):
        middleware.process_request(request)
    assert direct.meta["playwright"] and direct.meta[RENDER_KEY] == "direct"
    assert "playwright" not in report.meta  # a file: Chromium would download it
    assert "playwright" not in robots.meta  # not a page of the scope
    other = _page("http://b.test/")
    middleware.process_request(other)
    assert "playwright" not in other.meta
    assert middleware.stats.get_value("watch/render/requests/direct") == 1
    assert middleware.stats.get_value("watch/render/sites_direct") == 1


def test_always_sends_every_page_and_shells_keep_their_reason() -> None:
    middleware = _middleware(WATCH_RENDER="always")
    page, shell = _page("http://a.test/"), _page("http://a.test/x", **{RENDER_KEY: SHELL})
    middleware.process_request(page)
    middleware.process_request(shell)
    assert (page.meta[RENDER_KEY], shell.meta[RENDER_KEY]) == ("direct", SHELL)
    assert page.meta["playwright"] and shell.meta["playwright"]


def test_a_failed_rendering_gives_the_plain_page_back() -> None:
    middleware = _middleware()
    plain_request = _page("http://a.test/")
    plain = HtmlResponse("http://a.test/", body=b"<div id=root></div>", request=plain_request)
    shell = _page("http://a.test/", **{RENDER_KEY: SHELL, PLAIN_RESPONSE_KEY: plain, "playwright": True})
    read = middleware.process_exception(shell, TimeoutError("Page.goto: Timeout 20000ms exceeded."))
    assert isinstance(read, HtmlResponse) and read.body == plain.body and read.request is shell
    assert read.meta[RENDER_FAILED_KEY] == "TimeoutError: Page.goto: Timeout 20000ms exceeded."
    # A page that went straight to the browser is fetched plainly, with its slot and without the browser.
    direct = _page("http://a.test/2", **{RENDER_KEY: "direct", "playwright": True, "playwright_context": "watch-0"})
    again = middleware.process_exception(direct, RuntimeError("Target crashed"))
    assert isinstance(again, Request) and again.dont_filter and again.url == direct.url
    assert again.meta[SLOT_KEY] == ("a.test", 0) and again.meta[RENDER_FAILED_KEY] == "RuntimeError: Target crashed"
    assert not {"playwright", "playwright_context", RENDER_KEY} & set(again.meta)
    middleware.process_request(again)
    assert "playwright" not in again.meta  # not sent to the browser a second time
    assert middleware.stats.get_value("watch/render/failed") == 2
    assert middleware.process_exception(_page("http://a.test/3"), TimeoutError()) is None  # not ours


def test_a_browser_redirect_to_another_site_is_fetched_plainly_for_the_scope_to_decide() -> None:
    middleware = _middleware()
    request = _page("http://a.test/", **{RENDER_KEY: "direct", "playwright": True, "redirect_urls": ["http://a.test/"]})
    response = HtmlResponse("http://b.test/", body=b"<p>x</p>", request=request, flags=["playwright"])
    again = middleware.process_response(request, response)
    assert isinstance(again, Request) and again.url == "http://a.test/" and "playwright" not in again.meta
    assert middleware.stats.get_value("watch/render/failed/redirect_elsewhere") == 1


def test_the_spider_signal_feeds_the_policy() -> None:
    crawler = get_crawler(Spider, WATCH)
    middleware = build_from_crawler(RenderMiddleware, crawler)
    for _ in range(2):
        crawler.signals.send_catch_log(page_rendered, site="a.test", shell=True, added=900)
    assert middleware.policy.is_direct("a.test")


def test_launch_options_use_the_crawls_proxy_and_keep_background_calls_inside() -> None:
    config = _config()
    proxy = "http://127.0.0.1:3128"
    options = launch_options(config, {"http": proxy, "https": proxy, "no": "intranet.example, .corp"})
    assert options["executable_path"] == config.chromium_path and options["headless"]
    assert options["proxy"] == {"server": proxy, "bypass": ",".join([*BACKGROUND_HOSTS, "intranet.example", ".corp"])}
    rules = next(arg for arg in options["args"] if arg.startswith("--host-resolver-rules="))
    assert all(f"MAP {host} ~NOTFOUND" in rules for host in BACKGROUND_HOSTS)
    assert "--disable-quic" in options["args"]
    assert not any(arg.startswith("--disable-features") for arg in options["args"])  # would replace Playwright's
    split = launch_options(config, {"https": "http://proxy.example:8080"})
    assert "proxy" not in split
    assert "--proxy-server=https=http://proxy.example:8080" in split["args"]
    assert "proxy" not in launch_options(config, {})


def test_contexts_are_recycled_once_their_pages_are_done() -> None:
    rotation = ContextRotation(3)
    names = [rotation.take() for _ in range(7)]
    assert names == ["watch-0"] * 3 + ["watch-1"] * 3 + ["watch-2"]
    assert [rotation.give_back("watch-0") for _ in range(3)] == [None, None, "watch-0"]
    assert [rotation.give_back("watch-1") for _ in range(3)] == [None, None, "watch-1"]
    assert rotation.give_back("watch-2") is None  # still takes pages
