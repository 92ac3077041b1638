"""The crawl rules' link extractor: Scrapy's LinkExtractor shape and results, one parse per page."""

from __future__ import annotations

import asyncio
import gzip
from typing import TYPE_CHECKING

import pytest
from lxml import etree
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.link import Link
from scrapy.linkextractors import LinkExtractor
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.utils.test import get_reactor_settings

import settings.base
from spiders.base import WatchSpider
from spiders.links import DENIED_EXTENSIONS, PageLinkExtractor
from spiders.sites import SitesSpider
from tests.conftest import REPO
from watch.document import Document

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

CORPUS = sorted((REPO / "corpus" / "realpages").glob("*.html.gz"))
# The one corpus page whose <base href> lies beyond the 4,096 characters Scrapy's extractor reads.
BASE_FAR_INTO_THE_PAGE = "lanouvellerepublique.fr.martin.html.gz"


def corpus_response(path: Path) -> HtmlResponse:
    url = f"https://www.{path.name[: -len('.html.gz')]}/dir/page.html?x=1"
    return HtmlResponse(url=url, body=gzip.decompress(path.read_bytes()), request=Request(url))


def requested(links: list[Link]) -> list[str]:
    """The URLs the links become once Scrapy's Request escapes them, each once, in order."""
    return list(dict.fromkeys(Request(link.url).url for link in links))


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_same_links_as_scrapys_extractor(path: Path) -> None:
    response = corpus_response(path)
    ours = requested(PageLinkExtractor().extract_links(response))
    scrapys = requested(
        [link for link in LinkExtractor(deny_extensions=DENIED_EXTENSIONS).extract_links(response)
         if link.url.startswith(("http://", "https://"))]
    )
    if path.name == BASE_FAR_INTO_THE_PAGE:
        # <base href="/"> at character 30,278: the empty href is the site's root, as a browser reads it.
        assert scrapys == [response.url]
        assert ours == ["https://www.lanouvellerepublique.fr.martin/"]
    else:
        assert ours == scrapys


def test_links_have_scrapys_shape() -> None:
    response = HtmlResponse(
        url="https://a.test/",
        body=b'<a href="/x" rel="nofollow">X</a><a href="/y.zip">Y</a><a href="/r.PDF">R</a><a href="/z">Z</a>',
    )
    assert PageLinkExtractor().extract_links(response) == [
        Link("https://a.test/x", nofollow=True),
        Link("https://a.test/r.PDF"),  # PDF files are documents: followed
        Link("https://a.test/z"),
    ]
    assert [link.url for link in PageLinkExtractor(deny_extensions=()).extract_links(response)] == [
        "https://a.test/x",
        "https://a.test/y.zip",
        "https://a.test/r.PDF",
        "https://a.test/z",
    ]


@pytest.fixture
def spider() -> WatchSpider:
    """A ``sites`` spider built as ``scrapy crawl`` builds it: arguments first, then settings."""
    project = {name: getattr(settings.base, name) for name in dir(settings.base) if name.isupper()}
    runner = AsyncCrawlerRunner({**get_reactor_settings(), **project})
    crawler = runner.create_crawler(SitesSpider)
    crawler.spider = crawler._create_spider(urls="https://a.test/")
    crawler._apply_settings()
    return crawler.spider


def test_a_page_is_parsed_once(spider: WatchSpider, monkeypatch: pytest.MonkeyPatch) -> None:
    """The document (title, text, date, language) and the rule's links come from one lxml parse."""
    parses = []
    parse = etree.fromstring

    def counting_parse(*args: object, **kwargs: object) -> etree._Element:
        parses.append(1)
        return parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(etree, "fromstring", counting_parse)
    response = corpus_response(CORPUS[0])
    documents = asyncio.run(_collect(spider.parse_page(response)))
    requests = list(spider._requests_to_follow(response))
    assert len(parses) == 1
    assert len(documents) == 1 and isinstance(documents[0], Document)
    assert documents[0].title and documents[0].text and documents[0].language == "de"
    assert [request.url for request in requests] == requested(
        LinkExtractor(deny_extensions=DENIED_EXTENSIONS).extract_links(response)
    )


async def _collect(results: AsyncIterator[object]) -> list[object]:
    return [result async for result in results]
