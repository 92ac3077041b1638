"""Reading a page: everything watch derives from its parsed HTML (or its PDF file), in one function.

:func:`analyse_page` turns the parsed tree of a page into its title, visible text, publication
date, language and content fingerprint: the costly part of a crawl after fetching (measured step
by step by ``python -m bench.page``). The page is parsed once (:func:`watch.text.parse_html`, in
a crawl Scrapy's ``response.selector.root``) and every step reads that tree without changing it,
so the link extractor (:func:`watch.links.page_links`) can read it too. It needs nothing but the
tree and the URL, so it can be tested and timed on its own; its result is plain, picklable data.
The text is capped (``WATCH_TEXT_MAX_CHARS``): from the walk over the tree on, a page of
megabytes costs what its first megabyte of text does.

:func:`analyse_pdf` does the same for a PDF file (:func:`watch.pdf.read_pdf`), so that a report
found as a PDF is searched, deduplicated and exported like a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING

from watch.metadata import detect_language, published_date
from watch.pdf import PdfLimits, read_pdf
from watch.query.document import DocumentWords
from watch.text import cut_text

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
    published: str | None  #: ``None``: not read (see :func:`analyse_page`'s ``date``)
    language: str
    fingerprint: str
    #: The page's words, read once: they serve the fingerprint, the simhash, the equations and
    #: the near misses (:class:`watch.query.document.DocumentWords`).
    words: DocumentWords
    #: The text stops at a limit (``WATCH_TEXT_MAX_CHARS``; for a PDF, see :class:`PdfLimits`).
    truncated: bool


def analyse_page(
    root: HtmlElement, url: str, extractor: str = VISIBLE_TEXT, max_chars: int | None = None, *, date: bool = True
) -> PageAnalysis:
    """Read the page whose parsed tree is ``root``, fetched from ``url``.

    ``extractor`` is the dotted path of the text extractor (``WATCH_TEXT_EXTRACTOR``), a function
    ``(tree, *, max_chars) -> PageText`` that returns the page's :class:`watch.text.PageText`,
    at most ``max_chars`` characters of its text (``WATCH_TEXT_MAX_CHARS``; ``None``: all), without
    modifying the tree, which other readers share. A text still longer is cut here
    (:func:`watch.text.cut_text`): whatever the extractor, no step after it reads more. The date is
    read from the same tree (unless ``date`` is false: a crawl with an equation reads it only for
    the pages that match, :mod:`pipelines.published`), the language from the text
    (:mod:`watch.metadata`); the title and text are split into words once
    (:meth:`DocumentWords.from_page`), which gives the fingerprint and serves every later step.

    >>> from watch.text import parse_html
    >>> root = parse_html("<html lang=fr><title>Élections</title><p>Le quorum est atteint.</p>")
    >>> page = analyse_page(root, "http://a.test/")
    >>> page.title, page.text, page.language, len(page.fingerprint), page.truncated
    ('Élections', 'Le quorum est atteint.', 'fr', 16, False)
    >>> analyse_page(root, "http://a.test/", max_chars=10).text
    'Le quorum'
    """
    page = _extractor(extractor)(root, max_chars=max_chars)
    text = page.text if max_chars is None else cut_text(page.text, max_chars)
    words = DocumentWords.from_page(page.title, text)
    return PageAnalysis(
        title=page.title,
        text=text,
        published=published_date(root, url) if date else None,
        language=detect_language(text, page.lang),
        fingerprint=words.fingerprint,
        words=words,
        truncated=page.truncated or len(text) < len(page.text),
    )


@dataclass(frozen=True)
class PdfAnalysis(PageAnalysis):
    """What a PDF file says, with how much of it was read."""

    pages: int  #: pages in the document
    pages_read: int  #: pages whose text was extracted (the first ones)
    skipped_pages: int  #: pages read whose text could not be extracted (damaged, a bomb)
    textless_pages: int  #: pages read that hold no text (scans: no OCR is done)


def analyse_pdf(data: bytes, limits: PdfLimits = PdfLimits()) -> PdfAnalysis:
    """Read the PDF file ``data`` as a document; raise :class:`watch.pdf.PdfError` if it cannot be read.

    Title, text and date come from :func:`watch.pdf.read_pdf` (metadata title, else first line;
    creation date); the language is detected from the text and the fingerprint computed as for
    a page, so that the same text found as a page and as a PDF is one document. Pure Python and
    about 20 to 55 ms a PDF page: a crawl calls it off the reactor's thread.

    >>> from mockweb.pdf import make_pdf
    >>> pdf = analyse_pdf(make_pdf(["Le quorum est atteint. L'assemblée générale a voté la réforme des statuts de l'association."], title="Rapport"))
    >>> pdf.title, pdf.language, pdf.pages, pdf.truncated
    ('Rapport', 'fr', 1, False)
    """
    document = read_pdf(data, limits)
    words = DocumentWords.from_page(document.title, document.text)
    return PdfAnalysis(
        title=document.title,
        text=document.text,
        published=document.published,
        language=detect_language(document.text),
        fingerprint=words.fingerprint,
        words=words,
        pages=document.pages,
        pages_read=document.pages_read,
        skipped_pages=len(document.skipped_pages),
        textless_pages=document.textless_pages,
        truncated=document.truncated,
    )


@lru_cache(maxsize=8)  # a crawl names one extractor; tests a few
def _extractor(path: str) -> Callable[..., PageText]:
    """The extractor function at dotted ``path`` (imported once per process)."""
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)
