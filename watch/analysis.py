"""Reading a page: everything watch derives from its parsed HTML, in one function.

:func:`analyse_page` turns the parsed tree of a page into its title, visible text, publication
date, language and content fingerprint: the costly part of a crawl after fetching (measured step
by step by ``python -m bench.page``). The page is parsed once (:func:`watch.text.parse_html`, in
a crawl Scrapy's ``response.selector.root``) and every step reads that tree without changing it,
so the link extractor (:func:`watch.links.page_links`) can read it too. It needs nothing but the
tree and the URL, so it can be tested and timed on its own; its result is plain, picklable data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING

from watch.metadata import detect_language, published_date
from watch.query.document import DocumentWords

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.html import HtmlElement

    from watch.text import PageText

#: The default text extractor, by dotted path: a function ``(tree) -> PageText``.
VISIBLE_TEXT = "watch.text.visible_text"


@dataclass(frozen=True)
class PageAnalysis:
    """What a page says, as the exported document needs it."""

    title: str
    text: str
    published: str
    language: str
    fingerprint: str
    #: The page's words, read once: they serve the fingerprint, the simhash, the equations and
    #: the near misses (:class:`watch.query.document.DocumentWords`).
    words: DocumentWords


def analyse_page(root: HtmlElement, url: str, extractor: str = VISIBLE_TEXT) -> PageAnalysis:
    """Read the page whose parsed tree is ``root``, fetched from ``url``.

    ``extractor`` is the dotted path of the text extractor (``WATCH_TEXT_EXTRACTOR``), a function
    that takes the page's tree and returns its :class:`watch.text.PageText` without modifying the
    tree, which other readers share. The date is read from the same tree, the language from the
    text (:mod:`watch.metadata`); the title and text are split into words once
    (:meth:`DocumentWords.from_page`), which gives the fingerprint and serves every later step.

    >>> from watch.text import parse_html
    >>> root = parse_html("<html lang=fr><title>Élections</title><p>Le quorum est atteint.</p>")
    >>> page = analyse_page(root, "http://a.test/")
    >>> page.title, page.text, page.language, len(page.fingerprint)
    ('Élections', 'Le quorum est atteint.', 'fr', 16)
    """
    page = _extractor(extractor)(root)
    words = DocumentWords.from_page(page.title, page.text)
    return PageAnalysis(
        title=page.title,
        text=page.text,
        published=published_date(root, url),
        language=detect_language(page.text, page.lang),
        fingerprint=words.fingerprint,
        words=words,
    )


@lru_cache(maxsize=8)  # a crawl names one extractor; tests a few
def _extractor(path: str) -> Callable[[HtmlElement], PageText]:
    """The extractor function at dotted ``path`` (imported once per process)."""
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)
