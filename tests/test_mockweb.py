"""The mock web: a forward proxy answering from memory, and its page builders."""

from __future__ import annotations

import doctest
import gzip
import http.client
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

import mockweb.bodies
import mockweb.html
import mockweb.server
import mockweb.tls
from mockweb import MockWeb, Resource, Stream
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
    "https://site.test/": Resource("secure home"),
    "https://secure.test:8443/x": Resource("secure port"),
    "http://site.test/late": Resource("late", delay=0.5),
    "http://site.test/gzip": Resource("squeezed " * 100, gzip=True),
    "http://site.test/counted": Resource(stream=Stream(b"0123456789", count=1000)),
    "http://site.test/endless": Resource(stream=Stream(b"z" * 4096)),
    "http://site.test/trickle": Resource(stream=Stream(b"drip\n", count=4, interval=0.2)),
    "http://site.test/reset": Resource(b"y" * 100_000, reset_after=5000),
    "http://site.test/raw": Resource(raw=b"HTTP/1.0 299 Odd\r\nX-Raw: yes\r\n\r\nraw body"),
    "http://site.test/untyped": Resource(b"\x00\x01", content_type=None),
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


@pytest.mark.parametrize("module", [mockweb.server, mockweb.html, mockweb.tls, mockweb.bodies])
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


# Behaviours of a resource


def _exchange(web: MockWeb, path: str) -> bytes:
    """Send one GET on a fresh socket and read until the server closes or resets it."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as sock:
        request = f"GET http://site.test{path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            received += b"<RST>"
    return bytes(received)


def test_delay_holds_its_own_answer_only(web: MockWeb) -> None:
    done: list[float] = []
    started = time.monotonic()
    slow = threading.Thread(target=lambda: done.append(_get(web, "http://site.test/late")[0]))
    slow.start()
    assert _get(web, "http://site.test/")[0] == 200
    assert not done, "a delayed answer held up another connection"
    slow.join()
    assert done == [200]
    assert time.monotonic() - started >= 0.5


def test_latency_delays_every_answer_in_parallel() -> None:
    with MockWeb(RESOURCES, latency=1.0) as slow_web:
        started = time.monotonic()
        urls = ["http://site.test/", "http://site.test/missing", "http://nowhere.test/"] * 3
        threads = [threading.Thread(target=_get, args=(slow_web, url)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started >= 1.0
        # Every request had arrived before the first answer came back: none waited for another.
        arrivals = [r.time for r in slow_web.requests]
        assert len(arrivals) == len(urls)
        assert max(arrivals) - min(arrivals) < 1.0
    with pytest.raises(ValueError, match="latency"):
        MockWeb(RESOURCES, latency=-1)


def test_gzip_body_is_encoded_once_and_declared(web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("GET", "http://site.test/gzip")
    response = connection.getresponse()
    body = response.read()
    assert response.getheader("Content-Encoding") == "gzip"
    assert int(response.getheader("Content-Length")) == len(body)
    assert gzip.decompress(body) == b"squeezed " * 100
    connection.close()


def test_a_counted_stream_declares_its_length(web: MockWeb) -> None:
    status, body, _ = _get(web, "http://site.test/counted")
    assert (status, body) == (200, b"0123456789" * 1000)


def test_an_endless_stream_goes_on_until_the_client_hangs_up(fresh_web: MockWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fresh_web.port, timeout=5)
    connection.request("GET", "http://site.test/endless")
    response = connection.getresponse()
    assert response.getheader("Content-Length") is None
    assert response.getheader("Connection") == "close"
    assert len(response.read(3_000_000)) == 3_000_000
    connection.close()


def test_a_trickle_sends_its_chunks_apart(web: MockWeb) -> None:
    started = time.monotonic()
    assert _get(web, "http://site.test/trickle")[1] == b"drip\n" * 4
    assert time.monotonic() - started >= 3 * 0.2


def test_reset_after_cuts_the_body_with_a_tcp_reset(web: MockWeb) -> None:
    received = _exchange(web, "/reset")
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"Content-Length: 100000" in head
    assert body == b"y" * 5000 + b"<RST>"


def test_raw_answers_are_written_verbatim(web: MockWeb) -> None:
    assert _exchange(web, "/raw") == b"HTTP/1.0 299 Odd\r\nX-Raw: yes\r\n\r\nraw body"


def test_no_content_type_when_none(web: MockWeb) -> None:
    assert b"Content-Type" not in _exchange(web, "/untyped").partition(b"\r\n\r\n")[0]


def test_stop_ends_streams_in_progress() -> None:
    streaming = MockWeb(RESOURCES).start()
    connection = http.client.HTTPConnection("127.0.0.1", streaming.port, timeout=5)
    connection.request("GET", "http://site.test/endless")
    response = connection.getresponse()
    response.read(100_000)
    streaming.stop()  # returns although the client never hangs up
    connection.close()


# https


def _https(web: MockWeb, host: str, port: int = 443) -> http.client.HTTPSConnection:
    """A client that verifies the mock web's certificates against its CA, through a tunnel."""
    context = ssl.create_default_context(cafile=str(web.ca_cert_path))
    connection = http.client.HTTPSConnection("127.0.0.1", web.port, timeout=5, context=context)
    connection.set_tunnel(host, port)
    return connection


def test_connect_opens_a_verified_tls_tunnel(fresh_web: MockWeb) -> None:
    connection = _https(fresh_web, "site.test")
    answers = []
    for path in ("/", "/missing", "/"):
        connection.request("GET", path)
        response = connection.getresponse()
        answers.append((response.status, response.read()))
    connection.close()
    assert answers[0] == answers[2] == (200, b"secure home")
    assert answers[1][0] == 404
    assert fresh_web.requested_urls() == [
        "https://site.test/", "https://site.test/missing", "https://site.test/"
    ]
    assert [t.url for t in fresh_web.tunnels] == ["site.test:443"]
    assert fresh_web.tunnels[0].method == "CONNECT"


def test_https_on_another_port(fresh_web: MockWeb) -> None:
    connection = _https(fresh_web, "secure.test", 8443)
    connection.request("GET", "/x")
    assert connection.getresponse().read() == b"secure port"
    connection.close()
    assert fresh_web.requested_urls() == ["https://secure.test:8443/x"]


@pytest.mark.parametrize("authority", ["nowhere.test:443", "other.test:443", "secure.test:443"])
def test_connect_to_an_origin_not_served_is_refused(fresh_web: MockWeb, authority: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fresh_web.port, timeout=5)
    connection.request("CONNECT", authority)
    response = connection.getresponse()
    assert (response.status, response.read()) == (502, b"unknown host")
    connection.close()
    assert fresh_web.requests == []
    assert [t.url for t in fresh_web.tunnels] == [authority]


def test_the_certificate_names_the_host_asked_for(web: MockWeb) -> None:
    context = ssl.create_default_context(cafile=str(web.ca_cert_path))
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as sock:
        sock.sendall(b"CONNECT site.test:443 HTTP/1.1\r\nHost: site.test:443\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        with pytest.raises(ssl.SSLCertVerificationError, match="other.test"):
            context.wrap_socket(sock, server_hostname="other.test")


def test_ca_certificate_lives_while_the_web_runs() -> None:
    web = MockWeb(RESOURCES)
    with pytest.raises(RuntimeError):
        web.ca_cert_path
    with web:
        path = web.ca_cert_path
        assert path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert not path.exists()


def test_origins_are_told_apart_by_scheme() -> None:
    web = MockWeb(RESOURCES)
    assert web.resolve("https://site.test/").body == "secure home"
    assert web.resolve("https://site.test/a?x=1") == mockweb.server.NOT_FOUND
    assert web.resolve("https://other.test/") == mockweb.server.UNKNOWN_HOST
    assert web.resolve("http://secure.test:8443/x") == mockweb.server.UNKNOWN_HOST


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
