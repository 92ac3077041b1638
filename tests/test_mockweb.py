"""The mock web: a forward proxy answering from memory, and its page builders."""

from __future__ import annotations

import doctest
import http.client
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

import mockweb.html
import mockweb.server
from mockweb import MockWeb, Resource
from mockweb.html import CORPUS_LANGUAGES, Markup, corpus_paragraphs, filler, page
from mockweb.server import resource_key

if TYPE_CHECKING:
    from collections.abc import Iterator

RESOURCES = {
    "http://site.test/": Resource("<html><body><a href='/a'>a</a></body></html>"),
    "http://site.test/a?x=1": Resource("x is 1", content_type="text/plain"),
    "http://site.test/robots.txt": Resource("User-agent: *\nDisallow: /private\n"),
    "http://site.test/broken": Resource("oops", status=500),
    "http://site.test/old": Resource(status=301, headers=(("Location", "http://site.test/"),)),
    "HTTP://Other.TEST:80": Resource("other home"),
    "http://other.test:8080/": Resource("other port"),
}


@pytest.fixture(scope="module")
def web() -> Iterator[MockWeb]:
    with MockWeb(RESOURCES) as started:
        yield started


@pytest.fixture
def fresh_web(web: MockWeb) -> MockWeb:
    web.clear_log()
    return web


def _get(web: MockWeb, url: str) -> tuple[int, bytes, str]:
    """GET ``url`` through the proxy as urllib does: status, body, content type."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers["Content-Type"]


@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        ("http://site.test/", 200, b"<html><body><a href='/a'>a</a></body></html>"),
        ("http://SITE.test/", 200, b"<html><body><a href='/a'>a</a></body></html>"),
        ("http://site.test", 200, b"<html><body><a href='/a'>a</a></body></html>"),
        ("http://site.test/a?x=1", 200, b"x is 1"),
        ("http://site.test/a?x=1#frag", 200, b"x is 1"),
        ("http://site.test/a?x=2", 404, None),
        ("http://site.test/a", 404, None),
        ("http://site.test/robots.txt", 200, b"User-agent: *\nDisallow: /private\n"),
        ("http://other.test/robots.txt", 404, None),
        ("http://site.test/broken", 500, b"oops"),
        ("http://site.test/old", 200, b"<html><body><a href='/a'>a</a></body></html>"),
        ("http://other.test/", 200, b"other home"),
        ("http://other.test:8080/", 200, b"other port"),
        ("http://other.test:8081/", 502, b"unknown host"),
        ("http://nowhere.test/", 502, b"unknown host"),
    ],
)
def test_answers(web: MockWeb, url: str, status: int, body: bytes | None) -> None:
    got_status, got_body, _ = _get(web, url)
    assert got_status == status
    if body is not None:
        assert got_body == body


def test_content_types(web: MockWeb) -> None:
    assert _get(web, "http://site.test/")[2] == "text/html; charset=utf-8"
    assert _get(web, "http://site.test/a?x=1")[2] == "text/plain"
    status, body, content_type = _get(web, "http://site.test/missing")
    assert (status, content_type) == (404, "text/html; charset=utf-8")
    assert b"Not Found" in body


def test_every_request_is_recorded_in_order(fresh_web: MockWeb) -> None:
    urls = ["http://site.test/", "http://nowhere.test/x", "http://site.test/robots.txt"]
    for url in urls:
        _get(fresh_web, url)
    _get(fresh_web, "http://site.test/old")  # urllib follows the redirect
    assert fresh_web.requested_urls() == [*urls, "http://site.test/old", "http://site.test/"]
    first = fresh_web.requests[0]
    assert first.method == "GET"
    assert first.headers["Host"] == "site.test"
    assert [r.time for r in fresh_web.requests] == sorted(r.time for r in fresh_web.requests)
    fresh_web.clear_log()
    assert fresh_web.requests == []


def test_keep_alive_serves_many_requests_on_one_connection(fresh_web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fresh_web.port, timeout=5)
    sockets = set()
    for path in ("/", "/a?x=1", "/missing", "/broken", "/"):
        connection.request("GET", f"http://site.test{path}")
        response = connection.getresponse()
        body = response.read()
        assert response.version == 11
        assert response.getheader("Connection") != "close"
        assert int(response.getheader("Content-Length")) == len(body)
        sockets.add(id(connection.sock))
    connection.close()
    assert len(sockets) == 1
    assert len(fresh_web.requests) == 5


def test_origin_form_uses_the_host_header(fresh_web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fresh_web.port, timeout=5)
    connection.request("GET", "/a?x=1", headers={"Host": "site.test"})
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"x is 1")
    connection.close()
    assert fresh_web.requested_urls() == ["http://site.test/a?x=1"]


def test_head_sends_headers_only(web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("HEAD", "http://site.test/")
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == b""
    assert int(response.getheader("Content-Length")) == len(RESOURCES["http://site.test/"].body)
    connection.close()


def test_connect_is_refused(fresh_web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fresh_web.port, timeout=5)
    connection.request("CONNECT", "site.test:443")
    response = connection.getresponse()
    assert response.status == 501
    response.read()
    connection.close()
    assert fresh_web.requests[0].method == "CONNECT"


def test_proxy_env_points_every_variable_at_the_proxy(web: MockWeb) -> None:
    env = web.proxy_env()
    assert web.proxy_url == f"http://127.0.0.1:{web.port}"
    assert {env[k] for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")} == {
        web.proxy_url
    }
    assert env["no_proxy"] == env["NO_PROXY"] == ""


def test_stop_frees_the_port_and_start_can_be_repeated() -> None:
    web = MockWeb(RESOURCES).start()
    assert _get(web, "http://site.test/")[0] == 200
    web.stop()
    web.stop()
    with pytest.raises(RuntimeError):
        web.port
    web.start()
    assert _get(web, "http://site.test/")[0] == 200
    web.stop()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://a.test", "http://a.test/"),
        ("HTTP://A.Test/Path", "http://a.test/Path"),
        ("http://a.test:80/x", "http://a.test/x"),
        ("https://a.test:443/x", "https://a.test/x"),
        ("http://a.test:8080/x", "http://a.test:8080/x"),
        ("http://a.test/x?b=2&a=1#top", "http://a.test/x?b=2&a=1"),
        ("http://a.test/caf\u00e9", "http://a.test/caf%C3%A9"),
    ],
)
def test_resource_key(url: str, key: str) -> None:
    assert resource_key(url) == key
    assert resource_key(key) == key


@pytest.mark.parametrize("url", ["/relative", "mailto:a@b.test", ""])
def test_resource_key_rejects_non_absolute_urls(url: str) -> None:
    with pytest.raises(ValueError, match="not an absolute URL"):
        resource_key(url)


def test_resolve_answers_without_a_request() -> None:
    web = MockWeb(RESOURCES)
    assert web.resolve("http://site.test/broken").status == 500
    assert web.resolve("http://site.test/nothing") == mockweb.server.NOT_FOUND
    assert web.resolve("http://nowhere.test/") == mockweb.server.UNKNOWN_HOST


@pytest.mark.parametrize("module", [mockweb.server, mockweb.html])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_command_line_serves_a_web() -> None:
    root = Path(__file__).parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "mockweb", "tests.webs:build_small_web"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        proxy_url = first_line.rsplit(" ", 1)[-1].strip()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}))
        with opener.open("http://one.test/", timeout=5) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


# Page builders


def _links(html: str, xpath: str) -> list[str]:
    root = lxml.html.document_fromstring(html)
    return [str(href) for href in root.xpath(f"{xpath}//a/@href")]


def test_page_puts_each_link_list_in_its_element() -> None:
    html = page(
        "Titre",
        ["Un paragraphe."],
        ["http://main.test/"],
        header_links=["http://header.test/"],
        nav_links=["http://nav.test/"],
        aside_links=["http://aside.test/"],
        footer_links=["http://footer.test/"],
        main_html='<nav class="pagination"><a href="?page=2" rel="next">2</a></nav>',
    )
    assert _links(html, "//header") == ["/", "http://header.test/"]
    assert _links(html, "/html/body/nav") == ["http://nav.test/"]
    assert _links(html, "//main") == ["http://main.test/", "?page=2"]
    assert _links(html, "//aside") == ["http://aside.test/"]
    assert _links(html, "//footer") == ["http://footer.test/"]
    response = HtmlResponse("http://p.test/x", body=html.encode(), encoding="utf-8")
    assert [link.url for link in LinkExtractor().extract_links(response)] == [
        "http://p.test/",
        "http://header.test/",
        "http://nav.test/",
        "http://main.test/",
        "http://p.test/x?page=2",
        "http://aside.test/",
        "http://footer.test/",
    ]


def test_page_escapes_text_but_not_markup() -> None:
    html = page(
        "A <b> & c",
        ["x < y", Markup("Digital <em>Box</em>")],
        [("http://a.test/?p=1&q=2", "A & B")],
        lang="de",
        published="2024-05-02",
        extra_head="<script>var hidden = 1;</script>",
    )
    root = lxml.html.document_fromstring(html)
    assert root.findtext(".//title") == "A <b> & c"
    assert root.get("lang") == "de"
    assert [p.text_content() for p in root.iter("p")] == ["x < y", "Digital Box"]
    assert root.xpath("//main//a/@href") == ["http://a.test/?p=1&q=2"]
    assert root.xpath("//meta[@property='article:published_time']/@content") == ["2024-05-02"]
    assert root.xpath("//time/@datetime") == ["2024-05-02"]
    assert root.xpath("//head/script/text()") == ["var hidden = 1;"]


@pytest.mark.parametrize("name", sorted(CORPUS_LANGUAGES))
def test_every_corpus_page_gives_prose(name: str) -> None:
    paragraphs = corpus_paragraphs(name)
    assert len(paragraphs) >= 4
    assert all(len(p) >= 80 and "  " not in p for p in paragraphs)


@pytest.mark.parametrize(
    ("lang", "marker"), [("fr", " les "), ("de", " die "), ("en", " the ")]
)
def test_filler_is_deterministic_real_text_in_the_language_asked(lang: str, marker: str) -> None:
    texts = [filler(seed, 6, lang=lang) for seed in range(5)]
    assert texts == [filler(seed, 6, lang=lang) for seed in range(5)]
    assert len({tuple(t) for t in texts}) > 1
    for paragraphs in texts:
        assert len(paragraphs) == 6
        assert marker in " ".join(paragraphs).lower()


def test_filler_rejects_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="no corpus page"):
        filler(1, 1, lang="xx")
