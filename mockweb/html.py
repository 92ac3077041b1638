"""Page builders for the mock web: realistic HTML5 pages in a few lines.

A page has the boilerplate real sites have (``<header>``, ``<nav>``, ``<aside>``, ``<footer>``
full of links) around a ``<main>`` article, so seed extraction, link following and text
extraction meet the same structure as on the web. Body text comes from real pages
(:func:`filler`), so language detection, snippets and fingerprints see real prose.

Links appear in document order: header links, nav links, then in ``<main>`` the paragraphs, the
``links`` list and ``main_html``, then aside links, then footer links.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import html
import random
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
from w3lib.encoding import html_to_unicode

if TYPE_CHECKING:
    from collections.abc import Iterable

#: A link: its ``href`` (the text is then the href itself) or ``(href, text)``.
Link = str | tuple[str, str]

CORPUS = Path(__file__).parent / "corpus"
#: Language of each corpus page (see ``corpus/README.md`` for where they come from).
CORPUS_LANGUAGES: dict[str, str] = {
    "sauvonsluniversite.com.spip.html.gz": "fr",
    "soundofscience.fr.1927.html.gz": "fr",
    "psl.eu.luniversite.html.gz": "fr",
    "cdu-fraktion-erfurt.de.waldorfschule.html.gz": "de",
    "futurezone.at.lyft.html.gz": "de",
    "computerbase.de.htc.html.gz": "de",
    "novalanalove.com.ear-candy.html.gz": "de",
    "wikimediafoundation.org.turkey.html.gz": "en",
    "womencantalksports.com.top10.html.gz": "en",
    "boingboing.net.millenials.html.gz": "en",
}
#: Shorter ``<p>`` are bylines, captions and cookie notices rather than prose.
_MIN_PARAGRAPH_LENGTH = 80


class Markup(str):
    """Text that is already HTML, inserted verbatim (e.g. a paragraph with inline tags).

    >>> print(render_paragraph(Markup("Digital <b>Box</b>")) + render_paragraph("a < b"), end="")
    <p>Digital <b>Box</b></p>
    <p>a &lt; b</p>
    """


def render_paragraph(paragraph: str) -> str:
    """A ``<p>`` element; plain text is escaped, :class:`Markup` is not."""
    inner = paragraph if isinstance(paragraph, Markup) else html.escape(paragraph, quote=False)
    return f"<p>{inner}</p>\n"


def render_links(links: Iterable[Link]) -> str:
    """An ``<ul>`` of links, in the given order (empty string when there are none).

    >>> print(render_links(["/a", ("/b?x=1&y=2", "B & co")]), end="")
    <ul><li><a href="/a">/a</a></li><li><a href="/b?x=1&amp;y=2">B &amp; co</a></li></ul>
    """
    items = []
    for link in links:
        href, text = (link, link) if isinstance(link, str) else link
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>')
    return f"<ul>{''.join(items)}</ul>\n" if items else ""


def page(
    title: str,
    paragraphs: Iterable[str],
    links: Iterable[Link] = (),
    *,
    header_links: Iterable[Link] = (),
    nav_links: Iterable[Link] = (),
    footer_links: Iterable[Link] = (),
    aside_links: Iterable[Link] = (),
    lang: str = "fr",
    extra_head: str = "",
    published: datetime.date | str | None = None,
    main_html: str = "",
) -> str:
    """A full HTML5 document: ``title`` as ``<title>`` and ``<h1>``, the paragraphs and ``links``
    in ``<main>``, the other link lists in their boilerplate elements.

    ``published`` (a date or an ISO 8601 string) becomes an ``article:published_time`` meta and
    a ``<time>`` element; ``extra_head`` (e.g. a ``<script>``) and ``main_html`` (e.g. a
    pagination block) are inserted verbatim.
    """
    escaped_title = html.escape(title)
    head = [
        '<meta charset="utf-8">',
        f"<title>{escaped_title}</title>",
    ]
    time_element = ""
    if published is not None:
        stamp = published if isinstance(published, str) else published.isoformat()
        head.append(f'<meta property="article:published_time" content="{html.escape(stamp)}">')
        time_element = f'<time datetime="{html.escape(stamp)}">{html.escape(stamp)}</time>'
    head.append(extra_head)
    body = "".join(render_paragraph(p) for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n'
        f'<head>{"".join(head)}</head>\n<body>\n'
        f'<header><a class="logo" href="/">{escaped_title}</a>\n'
        f"{render_links(header_links)}</header>\n"
        f"<nav>{render_links(nav_links)}</nav>\n"
        f"<main><article><h1>{escaped_title}</h1>\n{time_element}\n{body}</article>\n"
        f"{render_links(links)}{main_html}</main>\n"
        f"<aside>{render_links(aside_links)}</aside>\n"
        f"<footer>{render_links(footer_links)}</footer>\n"
        "</body></html>\n"
    )


@functools.cache
def corpus_paragraphs(name: str) -> tuple[str, ...]:
    """The prose paragraphs of one corpus page, whitespace-collapsed, in document order."""
    raw = gzip.decompress((CORPUS / name).read_bytes())
    _, text = html_to_unicode(None, raw)
    root = lxml.html.document_fromstring(text)
    paragraphs = (" ".join(p.text_content().split()) for p in root.iter("p"))
    return tuple(p for p in paragraphs if len(p) >= _MIN_PARAGRAPH_LENGTH)


def filler(seed: int, n: int, *, lang: str | None = None) -> list[str]:
    """``n`` paragraphs of real text, the same ones for the same ``seed``.

    A run of consecutive paragraphs from one corpus page (in ``lang`` when given), wrapping
    around, so the text reads like one article.

    >>> filler(7, 2) == filler(7, 2) and filler(7, 2) != filler(8, 2)
    True
    >>> len(filler(1, 40, lang="de"))
    40
    """
    names = sorted(n for n, code in CORPUS_LANGUAGES.items() if lang in (None, code))
    if not names:
        raise ValueError(f"no corpus page in language {lang!r}")
    rng = random.Random(seed)
    pool = corpus_paragraphs(rng.choice(names))
    start = rng.randrange(len(pool))
    return [pool[(start + i) % len(pool)] for i in range(n)]
