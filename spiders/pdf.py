"""PDF files in the crawl: which responses are PDFs, and how much of one is read.

A PDF linked from a page in scope is requested like a page (it takes a slot of its site's
budget) and read as a document (:func:`watch.analysis.analyse_pdf`, by the spider, off the
reactor's thread). Servers mislabel files, so **the bytes decide**: a body that starts with
``%PDF-`` is a PDF whatever its ``Content-Type`` (:class:`DocumentTypeMiddleware`; a PDF served as
``text/html`` would otherwise be parsed as a page of garbage, and Scrapy itself guesses a text
response for some PDF bodies). A body labelled ``application/pdf`` that is an HTML page is read as
a page: Scrapy's ``responsetypes`` already look at the body of a type they do not know as text.
A body labelled PDF that is neither is read as a PDF, and fails (``watch/pdf/not_pdf``).

One size rule for every body: a PDF larger than ``DOWNLOAD_MAXSIZE`` is not downloaded (counted
as a download error, ``too_large``), like any page. What is read of a PDF is bounded by
``WATCH_PDF_MAX_PAGES``, ``WATCH_PDF_MAX_CHARS`` and ``WATCH_PDF_MAX_STREAM_BYTES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.http import Response, TextResponse

from spiders.config import read, whole_number
from watch.pdf import PdfLimits

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

#: Content types servers give PDF files.
PDF_TYPES = (b"application/pdf", b"application/x-pdf", b"application/acrobat", b"text/pdf")
# Readers look for the header in the first kilobyte (ISO 32000-2 §7.5.2), as watch.pdf does.
_HEADER_WINDOW = 1024


def pdf_limits(settings: BaseSettings) -> PdfLimits:
    """The crawl's :class:`watch.pdf.PdfLimits`: the ``WATCH_PDF_*`` settings, and
    ``DOWNLOAD_MAXSIZE`` as the byte limit (0, no limit, leaves watch.pdf's own)."""
    maxsize = settings.getint("DOWNLOAD_MAXSIZE")
    limits = PdfLimits(
        max_pages=read(settings, "WATCH_PDF_MAX_PAGES", whole_number(1)),
        max_chars=read(settings, "WATCH_PDF_MAX_CHARS", whole_number(1)),
        max_stream_bytes=read(settings, "WATCH_PDF_MAX_STREAM_BYTES", whole_number(1)),
    )
    return PdfLimits(maxsize, limits.max_pages, limits.max_chars, limits.max_stream_bytes) if maxsize > 0 else limits


def declared_pdf(response: Response) -> bool:
    """Whether the server says the body is a PDF (its ``Content-Type``)."""
    declared = response.headers.get(b"Content-Type", b"").split(b";", 1)[0].strip().lower()
    return declared in PDF_TYPES


def looks_like_pdf(body: bytes) -> bool:
    """Whether ``body`` starts as a PDF file does (``%PDF-`` in its first kilobyte).

    >>> looks_like_pdf(b"%PDF-1.7\\n..."), looks_like_pdf(b"\\n\\n%PDF-1.4"), looks_like_pdf(b"<html>")
    (True, True, False)
    """
    return b"%PDF-" in body[:_HEADER_WINDOW]


def is_pdf(response: Response) -> bool:
    """Whether the spider reads ``response`` as a PDF: it is not a text response (see
    :class:`DocumentTypeMiddleware`), and its type says PDF or its bytes do."""
    return not isinstance(response, TextResponse) and (declared_pdf(response) or looks_like_pdf(response.body))


class DocumentTypeMiddleware:
    """Downloader middleware: a body that is a PDF file is read as one, whatever its label.

    Counted under ``watch/pdf/served_as_text`` (a PDF labelled as text or HTML).
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if isinstance(response, TextResponse):
            if "playwright" not in response.flags and looks_like_pdf(response.body):
                if not declared_pdf(response):  # Scrapy makes some PDF types text responses itself
                    self.stats.inc_value("watch/pdf/served_as_text")
                # TextResponse.replace would pass its encoding on to Response, which takes none.
                return Response(**{name: getattr(response, name) for name in Response.attributes})
        return response
