"""Tests of watch.text: the searched text is the title and the visible text only (DESIGN §3).

The real pages in tests/data/text_*.html.gz come unmodified from trafilatura's test fixtures
(https://github.com/adbar/trafilatura, tests/cache, Apache-2.0), like ../shared/corpus/realpages.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml.html import HTMLParser

from watch.text import _BLOCKS, _SKIPPED, PageText, _collapse, _hidden, visible_text

DATA = Path(__file__).parent / "data"
REAL_PAGES = sorted(DATA.glob("text_*.html.gz"))


def read_page(name: str) -> bytes:
    return gzip.decompress((DATA / f"text_{name}.html.gz").read_bytes())


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Never searched: code, styles, templates, comments, attributes, URLs, drawings, the head.
        ("<p>Seen</p><script>var q = 'Quorum';</script>", "Seen"),
        ('<p>Seen</p><script type="application/ld+json">{"name": "Quorum"}</script>', "Seen"),
        ("<style>.Quorum { color: red }</style><p>Seen</p>", "Seen"),
        ("<p>Seen</p><noscript>Quorum needs JavaScript</noscript>", "Seen"),
        ("<template><p>Quorum</p></template><p>Seen</p>", "Seen"),
        ("<p>Seen<!-- Quorum --></p><!--[if IE]><p>Quorum</p><![endif]-->", "Seen"),
        ('<p>Seen <img alt="Quorum" title="Quorum" src="quorum.png"></p>', "Seen"),
        ('<p><a href="https://quorum.test/Quorum?q=Quorum" title="Quorum">Seen</a></p>', "Seen"),
        ("<p>Seen</p><svg><title>Quorum</title><text>Quorum</text></svg>", "Seen"),
        ('<head><meta name="description" content="Quorum"><link rel="x" href="/Quorum"></head>'
         "<body><p>Seen</p></body>", "Seen"),
        ("<p>Seen</p><iframe>Quorum</iframe><object>Quorum</object><video>Quorum</video>", "Seen"),
        ("<p>Seen</p><select><option>Quorum</option></select>", "Seen"),
        ("<p>Seen<?php echo 'Quorum'; ?></p>", "Seen"),
        ("<p>Seen<![CDATA[ Quorum ]]></p>", "Seen"),
        ('<input value="Quorum"><p>Seen</p>', "Seen"),
        # Hidden from every reader; the text after a hidden element is visible again.
        ("<p>Seen <span hidden>Quorum</span></p>", "Seen"),
        ('<p>Seen <span aria-hidden="true">Quorum</span></p>', "Seen"),
        ('<div style="display:none"><p>Quorum</p></div><p>Seen</p>', "Seen"),
        ('<div style="color: red; DISPLAY : none !important">Quorum</div><p>Seen</p>', "Seen"),
        ('<div style="visibility: hidden">Quorum</div><p>Seen</p>', "Seen"),
        ('<p><span hidden>Quorum</span>Seen</p>', "Seen"),
        ('<p><span aria-hidden="false">Seen</span></p>', "Seen"),
        ('<p><span style="display: block">Seen</span></p>', "Seen"),
        ('<div hidden><div><p>Quorum</p></div></div><p>Seen</p>', "Seen"),
        # A browser renders nothing of a hidden element, not even the blocks inside it.
        ("Seen<em hidden><p>Quorum</em>Seen", "SeenSeen"),
        # Inline tags do not break words; phrases run across them.
        ("<p>Digital <em>Box</em></p>", "Digital Box"),
        ("<p>Digi<b>tal</b></p>", "Digital"),
        ("<p><a><span><b>Blue</b> State</span> <i>Digital</i></a></p>", "Blue State Digital"),
        ("<p>Blue\n  State\tDigital</p>", "Blue State Digital"),
        ("<p>Digi&shy;tal Box</p>", "Digital Box"),
        ("<p>Digi\u200btal Box</p>", "Digital Box"),
        # Blocks and <br> end lines.
        ("<p>Digital</p><p>Box</p>", "Digital\nBox"),
        ("Digital<br>Box", "Digital\nBox"),
        ("<ul><li>Digital</li><li>Box</li></ul>", "Digital\nBox"),
        ("<table><tr><td>Digital</td><td>Box</td></tr></table>", "Digital\nBox"),
        ("<div>Digital<div>Box</div>after</div>", "Digital\nBox\nafter"),
        ("<h1>Digital</h1>Box", "Digital\nBox"),
        ("<p>  </p><p>\n</p><p>Box</p>", "Box"),
        # Entities are decoded.
        ("<p>Caf&eacute; &amp; th&#233; &#x00e9;lection&nbsp;2024</p>", "Café & thé élection 2024"),
        ("<p>&lt;script&gt;Quorum&lt;/script&gt;</p>", "<script>Quorum</script>"),
        # Broken markup.
        ("<p>unclosed <b>bold <i>italic</p> after", "unclosed bold italic\nafter"),
        ("</div></p>stray <p>a<p>b", "stray\na\nb"),
        ("<div><p>a</div>b", "a\nb"),
        ("text only", "text only"),
        # Nothing to read.
        ("", ""),
        ("   \n ", ""),
        ("<!-- only a comment -->", ""),
        ("<html><head><title>T</title></head><body></body></html>", ""),
        ("\x00", ""),
    ],
)  # fmt: skip
def test_visible_text(html: str, expected: str) -> None:
    assert visible_text(html).text == expected


@pytest.mark.parametrize(
    ("html", "title"),
    [
        ("<title> Digital \n Box </title><p>x</p>", "Digital Box"),
        ("<title>Caf&eacute; &amp; th&eacute;</title>", "Café & thé"),
        ('<meta property="og:title" content=" From  OG "><h1>From h1</h1>', "From OG"),
        ('<meta name="og:title" content="From OG">', "From OG"),
        ("<title></title><h1>From <em>h1</em></h1><h1>second</h1>", "From h1"),
        ("<h1 hidden>Hidden</h1><h1>Shown</h1>", "Shown"),
        ("<svg><title>Drawing</title></svg><p>x</p>", ""),
        ("<svg><title>Drawing</title></svg><title>Page</title>", "Page"),
        ("<title>First</title><title>Second</title>", "First"),
        ("<body><title>Late</title><p>x</p></body>", "Late"),
        ("<p>x</p>", ""),
        ("", ""),
    ],
)
def test_title(html: str, title: str) -> None:
    assert visible_text(html).title == title


def test_title_is_not_body_text() -> None:
    page = visible_text("<title>Quorum</title><h1>Carata</h1>")
    assert page == PageText(title="Quorum", text="Carata")
    assert page.searched == "Quorum\nCarata"


@pytest.mark.parametrize(
    ("html", "lang"),
    [
        ('<html lang="fr-CA"><p>x</p></html>', "fr"),
        ('<html xml:lang="de"><p>x</p></html>', "de"),
        ('<html lang="zz-invalid-but-two"><p>x</p></html>', "zz"),
        ('<html lang="fra"><p>x</p></html>', ""),
        ("<html><p>x</p></html>", ""),
        ('<div lang="fr"><p>x</p></div>', ""),
    ],
)
def test_declared_language(html: str, lang: str) -> None:
    assert visible_text(html).lang == lang


@pytest.mark.parametrize(
    ("html", "encoding", "expected"),
    [
        ('<meta charset="iso-8859-1"><p>\xe9lection</p>'.encode("latin-1"), None, "élection"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
         "<p>\x9cuvre \x80</p>".encode("latin-1"), None, "œuvre €"),
        ("<p>élection 東京</p>".encode(), None, "élection 東京"),
        ("<p>élection</p>".encode("latin-1"), "latin-1", "élection"),
        ("\ufeff<p>élection</p>".encode("utf-16-le"), None, "élection"),
        (b"<p>bad \xff byte</p>", None, "bad \ufffd byte"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><html><p>élection</p></html>', None,
         "élection"),
        ("<p>nul\x00byte</p>", None, "nulbyte"),
    ],
)  # fmt: skip
def test_encodings(html: str | bytes, encoding: str | None, expected: str) -> None:
    assert visible_text(html, encoding=encoding).text == expected


def test_huge_documents() -> None:
    long_run = "Quorum " * 2_000_000  # a 14 MB text node: beyond libxml2's default limit
    assert visible_text(f"<p>{long_run}</p><p>end</p>").text == f"{long_run.strip()}\nend"
    deep = "<div>" * 5000 + "deep" + "</div>" * 5000  # beyond libxml2's default depth
    assert visible_text(f"<p>start</p>{deep}").text == "start\ndeep"
    many = "".join(f"<p>paragraph {i}</p>" for i in range(50_000))
    assert visible_text(many).text.count("\n") == 49_999


@pytest.mark.parametrize(
    ("name", "title", "present", "absent"),
    [
        (
            "boingboing.net.millenials",
            "Hating Millennials - the prejudice you're allowed to boast about / Boing Boing",
            "Cartoonist Matt Bors got a spot on CNN",
            ("googletag", "jQuery", "function", "font-family", "og:description", "wp-content"),
        ),
        (
            "die-partei.net.luebeck",
            "Das Ministerium für Club-Kultur informiert… | Die PARTEI Lübeck",
            "Die GEMA dreht völlig am Zeiger!",
            ("function", "stylesheet", "wp-content", "addEventListener"),
        ),
        (
            "psl.eu.luniversite",
            "L’Université PSL : quand les grandes écoles font université | PSL",
            "Engagement, excellence et égalité des chances",
            ("googletag", "ga(", "window."),
        ),
        (
            "befifty.montauk",
            "BeFifty - Der Blog für Frauen über 40 und über 50",
            "BeFifty ist der Blog von Beate",
            ("Squarespace", "twitter:card", "display:none", "function"),
        ),
    ],
)
def test_real_pages(name: str, title: str, present: str, absent: tuple[str, ...]) -> None:
    html = read_page(name)
    page = visible_text(html)
    assert page.title == title
    assert present in page.text
    raw = html.decode("utf-8")
    for term in absent:
        assert term in raw  # the trap is really in the page...
        assert term not in page.text  # ...and never in its text
    assert page.text == _reference_text(raw)


# A slow, obviously correct reference: build lxml's tree of the page, then walk it. visible_text
# streams the parser's events instead; both must read the same text.
_TREE_PARSER = HTMLParser(
    encoding="utf-8", recover=True, huge_tree=True, remove_comments=True, remove_pis=True
)


def _reference_text(html: str) -> str:
    body = html.replace("\x00", "").encode("utf-8", "surrogatepass")
    if not body.strip():
        return ""
    root = etree.fromstring(body, parser=_TREE_PARSER)
    lines: list[str] = []
    line: list[str] = []

    def end_line() -> None:
        text = _collapse("".join(line))
        if text:
            lines.append(text)
        line.clear()

    def visit(element: etree._Element) -> None:
        if not isinstance(element.tag, str):
            return
        if element.tag in _BLOCKS:
            end_line()
        if element.tag not in _SKIPPED and not _hidden(element.attrib):
            line.append(element.text or "")
            for child in element:
                visit(child)
                line.append(child.tail or "")
        if element.tag in _BLOCKS:
            end_line()

    if root is not None:
        visit(root)
    end_line()
    return "\n".join(lines)


_TAGS = ("p", "div", "li", "ul", "b", "em", "span", "a", "br", "td", "h1", "script", "style",
         "noscript", "template", "svg", "title", "pre")  # fmt: skip
_ATTRIBUTES = ("", " hidden", ' aria-hidden="true"', ' style="display:none"', ' title="x y"')
_pieces = st.one_of(
    st.sampled_from(["Quorum", "Digital", "Box", " ", "\n", "é", "&amp;", "&nbsp;", "l’"]),
    st.builds("<{}{}>".format, st.sampled_from(_TAGS), st.sampled_from(_ATTRIBUTES)),
    st.builds("</{}>".format, st.sampled_from(_TAGS)),
    st.just("<!-- Quorum -->"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=40).map("".join))
def test_streamed_text_equals_tree_text(html: str) -> None:
    assert visible_text(html).text == _reference_text(html)
