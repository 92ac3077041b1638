"""Tests of watch.links: a page's links, read from its parsed tree."""

from __future__ import annotations

import gzip
from urllib.parse import urljoin

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from w3lib.url import safe_url_string

from tests.conftest import REPO
from watch.links import PageLink, _Resolver, page_links
from watch.text import parse_html

PAGE = "https://www.a.test/blog/post.html?id=3#top"


def urls(html: str, page_url: str = PAGE, **options: object) -> list[str]:
    return [link.url for link in page_links(parse_html(html), page_url, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("https://b.test/x", "https://b.test/x"),
        ("http://b.test", "http://b.test"),
        ("/about", "https://www.a.test/about"),
        ("other.html", "https://www.a.test/blog/other.html"),
        ("../up/", "https://www.a.test/up/"),
        ("//cdn.test/a", "https://cdn.test/a"),
        ("?page=2", "https://www.a.test/blog/post.html?page=2"),
        ("#comments", "https://www.a.test/blog/post.html?id=3#comments"),
        ("", "https://www.a.test/blog/post.html?id=3#top"),
        (" \n/about\t ", "https://www.a.test/about"),
        ("/a/./b/../c", "https://www.a.test/a/c"),
        ("HTTPS://B.test/X", "https://B.test/X"),
        ("/caf\u00e9?q=\u00e9t\u00e9", "https://www.a.test/caf%C3%A9?q=%C3%A9t%C3%A9"),
        ("/a b", "https://www.a.test/a b"),  # escaped by Request, like every URL
    ],
)
def test_resolves_each_link(href: str, url: str) -> None:
    assert urls(f'<a href="{href}">x</a>') == [url]


@pytest.mark.parametrize(
    "href",
    ["mailto:a@b.test", "javascript:void(0)", "tel:+331", "ftp://b.test/f", "file:///etc/x",
     "data:text/html,x", "http:no-slashes", "http://[bad/", "whatsapp://send"],
)  # fmt: skip
def test_only_http_links(href: str) -> None:
    assert urls(f'<a href="{href}">x</a>') == []


def test_anchors_and_areas_in_document_order_each_once() -> None:
    html = """<head><link href="/style.css"><script src="/x.js"></script></head><body>
        <a href="/1">one</a><a>no href</a><img src="/i.png"><map><area href="/2"></map>
        <div hidden><a href="/3">hidden menus are followed</a></div>
        <a href="/1">again</a><a href="https://www.a.test/1">same URL written out</a>
        <svg><a href="/4">drawn</a></svg><template><a href="/5">in a template</a></template>"""
    assert urls(html) == [f"https://www.a.test/{n}" for n in range(1, 6)]


def test_nofollow() -> None:
    html = '<a href="/1" rel="Nofollow noopener">x</a><a href="/2" rel="external,nofollow">y</a><a href="/3">z</a>'
    links = page_links(parse_html(html), PAGE)
    assert links == [
        PageLink("https://www.a.test/1", True),
        PageLink("https://www.a.test/2", True),
        PageLink("https://www.a.test/3", False),
    ]


@pytest.mark.parametrize(
    ("head", "url"),
    [
        ('<base href="https://c.test/dir/">', "https://c.test/dir/page"),
        ('<base href="/other/">', "https://www.a.test/other/page"),
        ('<base target="_top"><base href="/second/">', "https://www.a.test/second/page"),
        ('<base href=""><base href="/ignored/">', "https://www.a.test/blog/page"),
        ("", "https://www.a.test/blog/page"),
    ],
)
def test_base_url(head: str, url: str) -> None:
    assert urls(f"<head>{head}</head><body><a href='page'>x</a>") == [url]


def test_base_url_far_into_the_page() -> None:
    """A browser reads <base> wherever it is; Scrapy's extractor only in the first 4,096 characters."""
    head = f"<head><script>{'var x = 1;' * 1000}</script><base href='/far/'></head>"
    assert urls(f"{head}<body><a href='page'>x</a>") == ["https://www.a.test/far/page"]


def test_denied_extensions() -> None:
    html = """<a href="/a.PDF">x</a><a href="/b.tar.gz?x=1">x</a><a href="/c.html">x</a>
              <a href="https://d.zip/">a .zip host is not an extension</a><a href="/e.jpg;jsessionid=1">x</a>
              <a href="/f.pdf#page=2">x</a><a href="#top">x</a>"""
    assert urls(html, denied_extensions=(".pdf", ".tar.gz", ".jpg")) == [
        "https://www.a.test/c.html",
        "https://d.zip/",
        "https://www.a.test/blog/post.html?id=3#top",
    ]


def test_non_ascii_urls_are_encoded_with_the_page_encoding() -> None:
    html = '<a href="/caf\u00e9?q=\u00e9t\u00e9">x</a>'
    assert urls(html, encoding="latin-1") == ["https://www.a.test/caf%C3%A9?q=%E9t%E9"]


def test_corpus_pages_are_left_as_they_were() -> None:
    for path in sorted((REPO / "corpus" / "realpages").glob("*.html.gz"))[:20]:
        root = parse_html(gzip.decompress(path.read_bytes()))
        before = etree.tostring(root)
        assert page_links(root, "https://www.a.test/")
        assert etree.tostring(root) == before


# The resolver's shortcuts must give what urljoin gives, for any link and base.
_URL_CHARACTERS = st.sampled_from(list("aZ09-._~!$&'()*+,;=:@%/?#[]\\ |{}\"<>^`\t\n\u00e9\u00a0"))
_HREFS = st.builds(
    str.__add__,
    st.sampled_from(["", "http://", "https://", "HTTP://", "/", "//", "#", "?", "./", "../", "a/"]),
    st.text(_URL_CHARACTERS, max_size=20),
)
_BASES = st.sampled_from(
    ["https://www.a.test/blog/post.html?id=3#top", "http://A.test:8080", "https://a.test/x/y/",
     "ftp://a.test/x", "https://a.test/p;params?q"]
)  # fmt: skip


def _urljoin_then_http(base: str, href: str) -> str | None:
    """What the resolver must return: urljoin's URL (non-ASCII encoded), if it is http(s)."""
    try:
        url = urljoin(base, href)
        url = url if url.isascii() else safe_url_string(url, "utf-8")
    except ValueError:
        return None
    return url if url.split("://", 1)[0].lower() in ("http", "https") else None


@given(_BASES, _HREFS)
@example("https://a.test/x/y/", "/a?#b")
@example("https://a.test/x/y/", "/a/../b")
@example("https://a.test/x/y/", "http://b.test?")
@example("https://a.test/x/y/", "#")
def test_resolver_shortcuts_agree_with_urljoin(base: str, href: str) -> None:
    resolved = _Resolver(base, "utf-8")(href)
    assert (resolved[0] if resolved else None) == _urljoin_then_http(base, href)
