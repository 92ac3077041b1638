"""The publication date of the documents a crawl with an equation exports, read after matching."""

from __future__ import annotations

from scrapy import Spider
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from pipelines.published import PublishedDatePipeline
from spiders.base import SpiderConfig
from tests.conftest import project_settings

PAGE = (
    '<html><head><meta property="article:published_time" content="2024-03-05T10:00:00+01:00">'
    "<title>Quorum</title></head><body><p>Le quorum est atteint.</p></body></html>"
)


def _pipeline() -> tuple[PublishedDatePipeline, object]:
    crawler = get_crawler(Spider, project_settings())
    return build_from_crawler(PublishedDatePipeline, crawler), crawler


def test_the_date_is_read_from_the_html_then_the_html_dropped() -> None:
    pipeline, crawler = _pipeline()
    item = pipeline.process_item({"url": "http://a.test/post", "published": "", "html": PAGE})
    assert item == {"url": "http://a.test/post", "published": "2024-03-05", "html": ""}
    assert crawler.stats.get_value("watch/published/read_after_matching") == 1  # type: ignore[attr-defined]


def test_a_document_whose_date_was_read_passes_as_it_is() -> None:
    pipeline, _ = _pipeline()
    item = {"url": "http://a.test/post", "published": "2021-06-17", "html": ""}
    assert pipeline.process_item(dict(item)) == item


def test_dates_are_left_for_later_only_with_an_equation() -> None:
    def later(**settings: object) -> bool:
        return SpiderConfig.from_settings(get_crawler(Spider, project_settings(settings)).settings).dates_later

    assert later() is False
    assert later(WATCH_QUERY="Quorum") is True
    assert later(WATCH_QUERY="  ") is False
