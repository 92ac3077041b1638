"""Pages that declare no encoding are read as a browser reads them, not as a guesser guesses.

A page without a byte-order mark, a ``charset`` in its ``Content-Type`` or a ``<meta charset>`` is
read by Scrapy 2.19 as ASCII, else UTF-8, else as charset-normalizer guesses, and on a short
page the guess is often wrong (a French page in windows-1252 comes out as mac-latin2, its
accented words unsearchable). :class:`UndeclaredEncodingMiddleware` gives such a page the
encoding :func:`watch.text.undeclared_encoding` chooses (UTF-8 when the bytes are, else
windows-1252, the browsers' fallback for Western pages) before anything decodes it, so the
page's one parse reads the right text. A page that declares an encoding is left to Scrapy,
even when the declaration is wrong: the spider counts that (``bad_charset``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.http import HtmlResponse

from watch.text import undeclared_encoding

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response


class UndeclaredEncodingMiddleware:
    """Downloader middleware: the encoding of a web page that declares none (see the module).

    Pages read in the browser are left alone: the browser decoded them.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or "playwright" in response.flags:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        encoding = undeclared_encoding(content_type, response.body)
        return response if encoding is None else response.replace(encoding=encoding)
