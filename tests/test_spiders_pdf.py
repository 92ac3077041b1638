"""PDF files in the crawl: the bytes decide what a response is; the limits come from the settings."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from mockweb.pdf import make_pdf
from spiders.pdf import DocumentTypeMiddleware, is_pdf, pdf_limits

PDF = make_pdf(["Carata"])
HTML = b"<!DOCTYPE html><html><body><p>Une note.</p></body></html>"


def _middleware() -> DocumentTypeMiddleware:
    return build_from_crawler(DocumentTypeMiddleware, get_crawler(Spider))


@pytest.mark.parametrize(
    ("cls", "content_type", "body", "read_as"),
    [
        (Response, b"application/pdf", PDF, "pdf"),
        (Response, b"application/pdf; charset=binary", PDF, "pdf"),
        (Response, b"application/octet-stream", PDF, "pdf"),  # the bytes say PDF
        (HtmlResponse, b"text/html", PDF, "pdf"),  # a PDF served as a page
        (Response, b"application/pdf", b"\x00\x01garbage", "pdf"),  # neither: fails to read as a PDF
        (HtmlResponse, b"text/html", HTML, "page"),
        (Response, b"image/png", b"\x89PNG", "other"),
    ],
)
def test_the_bytes_decide(cls: type[Response], content_type: bytes, body: bytes, read_as: str) -> None:
    request = Request("http://a.test/x")
    response = cls("http://a.test/x", body=body, headers={"Content-Type": content_type}, request=request)
    seen = _middleware().process_response(request, response)
    assert seen.body == body and seen.request is request
    assert {"pdf": is_pdf(seen), "page": isinstance(seen, HtmlResponse), "other": not is_pdf(seen)}[read_as]
    if read_as == "pdf":
        assert not isinstance(seen, HtmlResponse)


def test_limits_come_from_the_settings_and_the_download_size() -> None:
    limits = pdf_limits(Settings({"DOWNLOAD_MAXSIZE": 1000, "WATCH_PDF_MAX_PAGES": 3, "WATCH_PDF_MAX_CHARS": 50,
                                  "WATCH_PDF_MAX_STREAM_BYTES": 4096}))  # fmt: skip
    assert (limits.max_bytes, limits.max_pages, limits.max_chars, limits.max_stream_bytes) == (1000, 3, 50, 4096)
    unlimited = pdf_limits(Settings({"DOWNLOAD_MAXSIZE": 0, "WATCH_PDF_MAX_PAGES": 3, "WATCH_PDF_MAX_CHARS": 50,
                                     "WATCH_PDF_MAX_STREAM_BYTES": 4096}))  # fmt: skip
    assert unlimited.max_bytes == 32 * 2**20  # watch.pdf's own


def test_a_page_served_as_a_pdf_is_a_page() -> None:
    """Scrapy guesses the response class from the body when the type does not tell (application/pdf)."""
    from scrapy.responsetypes import responsetypes

    assert responsetypes.from_args(headers={b"Content-Type": b"application/pdf"}, body=HTML) is HtmlResponse
