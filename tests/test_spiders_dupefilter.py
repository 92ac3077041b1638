"""One request per canonical URL: the fingerprinter, the compact duplicate filter, and Scrapy's scheduler."""

from __future__ import annotations

import logging
import tracemalloc
from typing import TYPE_CHECKING

import pytest
from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from spiders.dupefilter import CompactDupeFilter
from tests.conftest import project_settings

if TYPE_CHECKING:
    pass

SETTINGS = {
    "REQUEST_FINGERPRINTER_CLASS": "spiders.dupefilter.CanonicalRequestFingerprinter",
    "DUPEFILTER_CLASS": "spiders.dupefilter.CompactDupeFilter",
}


def _fingerprint(request: Request, settings: dict | None = None) -> bytes:
    crawler = get_crawler(Spider, project_settings({**SETTINGS, **(settings or {})}))
    return crawler.request_fingerprinter.fingerprint(request)


@pytest.mark.parametrize(
    "variant",
    [
        "https://a.test/post?id=3&page=2",
        "https://a.test/post?page=2&id=3",
        "https://a.test/post?page=2&id=3#comments",
        "https://A.test:443/post?utm_source=feed&page=2&id=3&fbclid=x",
        "HTTPS://a.test/post?page=2&gclid=1&id=3&_hsenc=2&igshid=3",
    ],
)
def test_variants_of_one_url_share_a_fingerprint(variant: str) -> None:
    assert _fingerprint(Request(variant)) == _fingerprint(Request("https://a.test/post?id=3&page=2"))


@pytest.mark.parametrize(
    "other",
    [
        Request("https://a.test/post?id=4&page=2"),
        Request("http://a.test/post?id=3&page=2"),
        Request("https://a.test/amp/post?id=3&page=2"),
        Request("https://a.test/post?id=3&page=2", method="POST"),
        Request("https://a.test/post?id=3&page=2", method="POST", body=b"q=1"),
    ],
)
def test_different_requests_differ(other: Request) -> None:
    assert _fingerprint(other) != _fingerprint(Request("https://a.test/post?id=3&page=2"))


def test_fingerprints_are_8_bytes() -> None:
    assert len(_fingerprint(Request("https://a.test/"))) == 8


def test_tracking_parameters_setting_replaces_the_list() -> None:
    settings = {"WATCH_URLS_TRACKING_PARAMETERS": ["ref"]}
    assert _fingerprint(Request("https://a.test/?ref=x"), settings) == _fingerprint(Request("https://a.test/"), settings)
    assert _fingerprint(Request("https://a.test/?utm_source=x"), settings) != _fingerprint(
        Request("https://a.test/"), settings
    )


def test_verbatim_url_is_not_canonicalized() -> None:
    verbatim = Request("https://a.test/?b=1&a=2", meta={"verbatim_url": True})
    assert _fingerprint(verbatim) != _fingerprint(Request("https://a.test/?a=2&b=1"))


def _dupefilter(settings: dict | None = None) -> tuple[CompactDupeFilter, Spider]:
    crawler = get_crawler(Spider, project_settings({**SETTINGS, **(settings or {})}))
    spider = Spider.from_crawler(crawler, name="t")
    crawler.spider = spider
    dupefilter = build_from_crawler(CompactDupeFilter, crawler)
    return dupefilter, spider


def test_request_seen_once_per_canonical_url() -> None:
    dupefilter, _ = _dupefilter()
    assert not dupefilter.request_seen(Request("https://a.test/a?x=1&utm_medium=y"))
    assert dupefilter.request_seen(Request("https://a.test/a?x=1#top"))
    assert not dupefilter.request_seen(Request("https://a.test/b"))
    assert len(dupefilter) == 2


def test_logs_the_first_duplicate_then_says_how_to_see_all(caplog: pytest.LogCaptureFixture) -> None:
    dupefilter, spider = _dupefilter()
    caplog.set_level(logging.DEBUG, logger="spiders.dupefilter")
    for _ in range(3):
        dupefilter.log(Request("https://a.test/"), spider)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "DUPEFILTER_DEBUG" in messages[0]
    assert spider.crawler.stats.get_value("dupefilter/filtered") == 3


def test_debug_logs_every_duplicate_with_its_referer(caplog: pytest.LogCaptureFixture) -> None:
    dupefilter, spider = _dupefilter({"DUPEFILTER_DEBUG": True})
    caplog.set_level(logging.DEBUG, logger="spiders.dupefilter")
    for _ in range(3):
        dupefilter.log(Request("https://a.test/", headers={"Referer": "https://r.test/"}), spider)
    assert [r.getMessage().endswith("(referer: https://r.test/)") for r in caplog.records] == [True] * 3


def test_dont_filter_is_kept_by_the_scheduler() -> None:
    tracking = project_settings()["WATCH_URLS_TRACKING_PARAMETERS"]
    crawler = get_crawler(Spider, {**SETTINGS, "WATCH_URLS_TRACKING_PARAMETERS": tracking})
    crawler.spider = Spider.from_crawler(crawler, name="t")
    crawler.engine = crawler._create_engine()
    scheduler = build_from_crawler(Scheduler, crawler)
    scheduler.open(crawler.spider)
    try:
        assert isinstance(scheduler.df, CompactDupeFilter)
        assert scheduler.enqueue_request(Request("https://a.test/?utm_source=x"))
        assert not scheduler.enqueue_request(Request("https://a.test/"))
        assert scheduler.enqueue_request(Request("https://a.test/", dont_filter=True))
        assert crawler.stats.get_value("dupefilter/filtered") == 1
    finally:
        scheduler.close("finished")


@pytest.mark.slow
def test_at_most_16_bytes_per_seen_url_on_100k_urls() -> None:
    dupefilter, _ = _dupefilter()
    requests = [Request(f"https://site{i % 97}.test/post/{i}?utm_source=x&p={i % 7}") for i in range(100_000)]
    for request in requests:
        assert not request.meta  # Request makes its meta dict on first use: not the filter's memory
    tracemalloc.start()  # after the requests exist: only the filter's own memory is traced
    try:
        before = tracemalloc.get_traced_memory()[0]
        new = sum(not dupefilter.request_seen(request) for request in requests)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert new == len(dupefilter) == len(requests)  # every URL was recorded
    assert used / len(requests) <= 16
