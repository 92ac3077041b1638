"""PDF builders for tests and the mock web: small, valid PDF files written from plain values.

A test that needs a PDF says what it holds (pages of text, a title, a creation date, a password)
and :func:`make_pdf` writes it, so no binary file has to be kept and explained. The writer is the
simplest that real readers accept: PDF 1.4, one standard Type1 font (Helvetica, which every reader
has, so nothing is embedded) in WinAnsiEncoding, one text line per ``Tj`` operator, a classic
cross-reference table. Pages may also be a scan (:class:`ScannedPage`), a raw content stream
(:class:`RawPage`) or a decompression bomb (:class:`BombPage`), for the hostile cases.

Encryption is pypdf's own (``PdfWriter.encrypt``): the file is written plain, then encrypted by
the library that reads it, as any PDF producer would.

>>> data = make_pdf(["Digital Box", "Page two"], title="Veille")
>>> data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
True
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

#: A4, in points.
PAGE_WIDTH, PAGE_HEIGHT = 595, 842
_FONT_SIZE, _LEADING, _MARGIN = 11, 14, 50


@dataclass(frozen=True)
class ScannedPage:
    """A page that is only a picture, as a scanner makes it: an image and no text operator."""

    def content(self) -> tuple[bytes, str]:
        """The page's content stream and its extra resources (the image, as object ``%(image)s``)."""
        return b"q 495 0 0 742 50 50 cm /Scan Do Q", "/XObject << /Scan %(image)s >>"


@dataclass(frozen=True)
class RawPage:
    """A page whose content stream is given as is (e.g. deeply nested operands)."""

    stream: bytes

    def content(self) -> tuple[bytes, str]:
        return self.stream, ""


@dataclass(frozen=True)
class BombPage:
    """A page whose Flate-compressed content stream inflates to ``expanded_bytes`` bytes.

    Spaces compress about a thousand to one: 100 MB of content stream costs ~100 kB of PDF. The
    stream is compressed in chunks, so building it never holds the expanded bytes in memory.
    """

    expanded_bytes: int

    def content(self) -> tuple[bytes, str]:
        compressor = zlib.compressobj(9)
        chunk = b" " * 2**20
        parts = [compressor.compress(chunk) for _ in range(self.expanded_bytes // len(chunk))]
        parts.append(compressor.compress(b" " * (self.expanded_bytes % len(chunk))))
        parts.append(compressor.flush())
        return b"".join(parts), ""


Page = str | ScannedPage | RawPage | BombPage


def make_pdf(
    pages: Sequence[Page],
    *,
    title: str | None = None,
    created: datetime.datetime | str | None = None,
    xmp_title: str | None = None,
    xmp_created: str | None = None,
    compress: bool = False,
    user_password: str | None = None,
) -> bytes:
    """Return the bytes of a PDF document with ``pages``.

    Steps:

    1. A ``str`` page is drawn line by line (``\\n`` ends a line) in Helvetica, WinAnsiEncoding
       (Windows-1252: French and German accents, typographic quotes); a character outside it
       raises ``ValueError``. Other pages draw what their class says.
    2. ``title`` and ``created`` go to the document information dictionary (``/Title`` as
       UTF-16, ``/CreationDate`` as ``D:YYYYMMDDHHmmSS±HH'mm'``; a ``str`` date is written
       verbatim, to test malformed ones). ``xmp_title`` and ``xmp_created`` go to an XMP
       metadata stream (``dc:title``, ``xmp:CreateDate``).
    3. ``compress`` Flate-compresses the text pages' content streams, as most producers do.
    4. ``user_password`` encrypts the file with pypdf (AES-128, owner password ``owner``);
       ``""`` is the common case of a file encrypted only to restrict printing or copying, which
       any reader opens without asking.

    >>> b"/Title <feff00560065006900" + b"6c006c0065>" in make_pdf([""], title="Veille")
    True
    >>> b"/CreationDate (D:20240305100000+01'00')" in make_pdf([""], created="D:20240305100000+01'00'")
    True
    """
    objects: list[bytes] = [b""] * 4  # catalog, page tree, font, information: filled in below
    page_refs = []
    for page in pages:
        if isinstance(page, str):
            stream, resources = _text_stream(page), ""
            filters = ""
            if compress:
                stream, filters = zlib.compress(stream), "/Filter /FlateDecode "
        else:
            stream, resources = page.content()
            filters = "/Filter /FlateDecode " if isinstance(page, BombPage) else ""
        if isinstance(page, ScannedPage):
            objects.append(_stream(b"\x80" * 64, "/Type /XObject /Subtype /Image /Width 8 /Height 8 "
                                   "/ColorSpace /DeviceGray /BitsPerComponent 8 "))
            resources %= {"image": f"{len(objects)} 0 R"}
        objects.append(_stream(stream, filters))
        content_ref = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> {resources} >> /Contents {content_ref} 0 R >>".encode()
        )
        page_refs.append(f"{len(objects)} 0 R")
    metadata = ""
    if xmp_title is not None or xmp_created is not None:
        objects.append(_stream(_xmp(xmp_title, xmp_created), "/Type /Metadata /Subtype /XML "))
        metadata = f"/Metadata {len(objects)} 0 R "
    objects[0] = f"<< /Type /Catalog /Pages 2 0 R {metadata}>>".encode()
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(page_refs)}] /Count {len(page_refs)} >>".encode()
    objects[2] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects[3] = _information(title, created)
    data = _assemble(objects)
    return data if user_password is None else _encrypt(data, user_password)


def _text_stream(text: str) -> bytes:
    """The content stream drawing ``text``, one line of it per ``Tj``, from the top of the page."""
    top = PAGE_HEIGHT - _MARGIN
    lines = [b"(" + _escape(line.encode("cp1252")) + b") Tj T*" for line in text.split("\n")]
    header = f"BT /F1 {_FONT_SIZE} Tf {_LEADING} TL {_MARGIN} {top} Td\n".encode()
    return header + b"\n".join(lines) + b"\nET"


def _escape(raw: bytes) -> bytes:
    r"""A PDF literal string's content: backslash and parentheses escaped.

    >>> _escape(b"a (b) \\ c")
    b'a \\(b\\) \\\\ c'
    """
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _stream(data: bytes, entries: str) -> bytes:
    return f"<< {entries}/Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _information(title: str | None, created: datetime.datetime | str | None) -> bytes:
    entries = ["/Producer (watch mockweb)"]
    if title is not None:
        entries.append(f"/Title <feff{title.encode('utf-16-be').hex()}>")
    if created is not None:
        entries.append(f"/CreationDate ({created if isinstance(created, str) else _pdf_date(created)})")
    return f"<< {' '.join(entries)} >>".encode()


def _pdf_date(moment: datetime.datetime) -> str:
    """A PDF date string (ISO 32000-1 §7.9.4).

    >>> import datetime as dt
    >>> _pdf_date(dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    "D:20240305100000+01'00'"
    >>> _pdf_date(dt.datetime(2024, 3, 5, 10, 0))
    'D:20240305100000'
    """
    stamp = moment.strftime("D:%Y%m%d%H%M%S")
    offset = moment.utcoffset()
    if offset is None:
        return stamp
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{stamp}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _xmp(title: str | None, created: str | None) -> bytes:
    """A minimal XMP packet with a ``dc:title`` and an ``xmp:CreateDate``, as given."""
    properties = []
    if title is not None:
        properties.append(
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml_escape(title)}</rdf:li></rdf:Alt></dc:title>'
        )
    if created is not None:
        properties.append(f"<xmp:CreateDate>{_xml_escape(created)}</xmp:CreateDate>")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"{''.join(properties)}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _assemble(objects: list[bytes]) -> bytes:
    """Number ``objects`` from 1, and write them with their cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment: marks the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _encrypt(data: bytes, user_password: str) -> bytes:
    """``data`` encrypted by pypdf with ``user_password`` (AES-128; owner password ``owner``)."""
    from pypdf import PdfReader, PdfWriter  # the reader's library, needed only for this case

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
