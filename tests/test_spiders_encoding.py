"""A page that declares no encoding is read as UTF-8 when it is, else as windows-1252."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse

from spiders.encoding import UndeclaredEncodingMiddleware

FRENCH = "<html><body><p>Qualité élevée, déjà vue.</p></body></html>"


def _seen(body: bytes, content_type: bytes = b"text/html", cls: type[Response] = HtmlResponse,
          flags: list[str] | None = None) -> Response:  # fmt: skip
    request = Request("http://a.test/")
    response = cls("http://a.test/", body=body, headers={"Content-Type": content_type}, request=request, flags=flags)
    return UndeclaredEncodingMiddleware().process_response(request, response)


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (FRENCH.encode("cp1252"), "cp1252"),
        (FRENCH.encode("utf-8"), "utf-8"),
        (FRENCH.replace("é", "e").replace("à", "a").encode("ascii"), "utf-8"),
    ],
)
def test_a_page_without_charset(body: bytes, encoding: str) -> None:
    seen = _seen(body)
    assert isinstance(seen, HtmlResponse) and seen.body == body and seen.flags == []
    assert seen.encoding == encoding
    assert "Qualité élevée" in seen.text or "Qualite elevee" in seen.text


def test_scrapy_alone_misreads_it() -> None:
    """What the middleware is for: charset-normalizer's guess on the same page."""
    alone = HtmlResponse("http://a.test/", body=FRENCH.encode("cp1252"), headers={"Content-Type": b"text/html"})
    assert "Qualité élevée" not in alone.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (FRENCH.encode("cp1252"), b"text/html; charset=utf-8"),  # declared wrongly: the spider counts it
        (FRENCH.replace("<html>", '<html><meta charset="iso-8859-15">').encode("latin-1"), b"text/html"),
        ("\ufeff".encode("utf-16-le") + FRENCH.encode("utf-16-le"), b"text/html"),
    ],
)
def test_a_declared_encoding_is_left_to_scrapy(body: bytes, content_type: bytes) -> None:
    response = HtmlResponse("http://a.test/", body=body, headers={"Content-Type": content_type})
    assert _seen(body, content_type).encoding == response.encoding


def test_pages_from_the_browser_and_other_texts_are_left_alone() -> None:
    body = FRENCH.encode("cp1252")
    rendered = _seen(body, flags=["playwright"])
    assert rendered.flags == ["playwright"] and rendered.encoding != "cp1252"
    plain = _seen(body, b"text/plain", TextResponse)
    assert plain.encoding != "cp1252"
