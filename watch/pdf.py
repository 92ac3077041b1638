"""Reading a PDF file as a document: its text, title, publication date and size (issue 8).

A PDF linked from a page in scope is a document like a page: its text is searched and exported.
:func:`read_pdf` turns the file's bytes into a :class:`PdfDocument` with pypdf (chosen over
pdfminer.six: as good a text on the PDFs measured, in content-stream order, two to three times
faster, and with limits of its own against hostile files). The language is left to the caller,
which detects it from the text as it does for pages.

What it promises:

* **Bounded.** A file larger than :attr:`PdfLimits.max_bytes` is refused before parsing. Only the
  first :attr:`PdfLimits.max_pages` pages are read, and the text stops at
  :attr:`PdfLimits.max_chars`: the document is then marked ``truncated`` and still searched, since
  the start of a long report is better than nothing. No stream is inflated beyond
  :attr:`PdfLimits.max_stream_bytes` (pypdf's own limits, set for the call), so a decompression
  bomb costs milliseconds; deep nesting ends in Python's recursion limit, also caught. There is no
  wall-clock timeout: every loop pypdf runs on a page is bounded by those limits.
* **Never fatal.** A file that cannot be read at all raises :class:`PdfError`, whose ``kind`` the
  caller counts (``watch/pdf/<kind>``). A page that cannot be read (broken content, a part over a
  limit) is skipped and listed in ``skipped_pages``; the others are kept.
* **No OCR.** A scan (pages that are only pictures) has no text to extract: its text is empty and
  ``textless_pages`` says how many pages gave none. Recognising the text of images is out of scope.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError
from pypdf.xmp import XMP_NAMESPACE

from watch.text import _collapse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pypdf import PageObject
    from pypdf.xmp import XmpInformation

logger = logging.getLogger(__name__)

#: Why a PDF file could not be read at all, as counted under ``watch/pdf/<kind>``.
PdfErrorKind = Literal["not_pdf", "too_large", "encrypted", "broken", "limit"]


class PdfError(Exception):
    """A PDF file that cannot be read at all; ``kind`` says why, the message says what.

    * ``not_pdf``: no ``%PDF-`` header in the first kilobyte (an HTML error page, an image…);
    * ``too_large``: more bytes than :attr:`PdfLimits.max_bytes`, refused without parsing;
    * ``encrypted``: a password is needed (the empty one was tried), or the cipher is unsupported;
    * ``broken``: damaged or truncated beyond repair;
    * ``limit``: a part of the file is beyond a safety limit (decompression bomb, huge or deeply
      nested structure) on every page read, or in the document's structure.
    """

    def __init__(self, kind: PdfErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: PdfErrorKind = kind


@dataclass(frozen=True)
class PdfLimits:
    """How much of a PDF file is read (settings ``WATCH_PDF_*``)."""

    max_bytes: int = 32 * 2**20  #: larger files are refused unread (``PdfError("too_large")``)
    max_pages: int = 100  #: pages read, from the first; the rest are not, and ``truncated`` is set
    max_chars: int = 1_000_000  #: text kept, about 300 pages; the rest is cut, ``truncated`` set
    max_stream_bytes: int = 16 * 2**20  #: inflated size of any one stream; beyond, its page is skipped

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pages", "max_chars", "max_stream_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"PdfLimits.{name} must be at least 1, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class PdfDocument:
    """What a PDF file says, as the exported document needs it (the language is the caller's)."""

    title: str  #: the metadata title when it means something, else the first line of text
    text: str  #: the text of the pages read, one line per line of print (see :func:`read_pdf`)
    published: str  #: the creation date, ``YYYY-MM-DD``, or ``""`` when the file does not tell
    pages: int  #: pages in the document
    pages_read: int  #: pages whose text was extracted (or tried: skipped pages count)
    truncated: bool  #: a limit stopped the reading: pages or text beyond it are not in ``text``
    skipped_pages: tuple[int, ...] = ()  #: numbers (from 1) of pages whose text could not be read
    textless_pages: int = 0  #: pages read that hold no text (scans, drawings): no OCR is done


# pypdf reports what it repairs in a document on its loggers, at WARNING: in a crawl these are
# facts about third-party files, not about watch. They go to watch.pdf's log at DEBUG instead.
class _ToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("pypdf: %s", record.getMessage())


_pypdf_logger = logging.getLogger("pypdf")
_pypdf_logger.addHandler(_ToDebug())
_pypdf_logger.propagate = False

# A PDF header may follow some junk; readers look for it in the first kilobyte (ISO 32000-2 §7.5.2).
_HEADER_WINDOW = 1024
_TITLE_CHARS = 200  # a "first line" longer than this is prose, not a title: it is cut
_FIRST_PDF_YEAR = 1993  # PDF 1.0: an earlier creation date is a producer's placeholder (1970…)
# Control characters that broken font encodings put in extracted text (tab and newline are kept).
_CONTROLS = str.maketrans(dict.fromkeys([*range(0x09), *range(0x0E, 0x20), 0x7F]))
_SOFT_HYPHEN_BREAK = re.compile("\u00ad[ \t]*\r?\n")
_LINE_END_HYPHENS = ("-", "\u2010")


def read_pdf(data: bytes, limits: PdfLimits = PdfLimits()) -> PdfDocument:
    """Read the PDF file ``data`` within ``limits``; raise :class:`PdfError` if it cannot be read.

    Steps:

    1. Refuse ``data`` without parsing when it is larger than ``max_bytes`` (``too_large``) or
       has no ``%PDF-`` header in its first kilobyte (``not_pdf``). A file cut short (no
       ``%%EOF`` in its last kilobyte) is given a recovery tail, so that the objects it still holds are found.
    2. Open it with pypdf, under pypdf limits set from ``max_stream_bytes`` for the whole call.
       An encrypted file is tried with the empty password, which opens the many files encrypted
       only to forbid printing or copying; else ``encrypted``.
    3. Extract the text of the first ``max_pages`` pages, page after page, until ``max_chars``
       characters. A page that fails is skipped and listed. If every page read failed, the file
       raises (``limit`` when a limit was the cause, else ``broken``).
    4. Normalise the text as :mod:`watch.text` does for pages: whitespace runs become one space
       within a line, empty lines go, invisible and control characters are removed. A word
       hyphenated at the end of a line is joined: the hyphen goes when the letters around it
       have the same case (``Nation-`` / ``builder`` → ``Nationbuilder``, ``SE-`` / ``QUENCE``),
       as typesetting hyphenates; it stays otherwise (``Jean-`` / ``Pierre``, ``COVID-`` /
       ``19``). So a term split by typesetting is found; a compound split at its own hyphen
       (``long-`` / ``term``) reads ``longterm``, the price of that choice.
    5. Title: the metadata title (``/Title``, else XMP ``dc:title``) unless it is a placeholder
       (``Untitled``, ``Document1``…) or a file name (``Microsoft Word - x.doc``); else the
       first line of text with a letter in it; else the file name the metadata gave, cleaned
       (``rapport annuel``); else ``""``.
    6. Published: ``/CreationDate``, else XMP ``xmp:CreateDate``, as the local date written
       there (``YYYY-MM-DD``; a missing month or day is January or the first, as the PDF
       standard says); a date before 1993 or in the future is a placeholder, not a date.

    >>> from mockweb.pdf import make_pdf
    >>> doc = read_pdf(make_pdf(["Le quorum est atteint.\\nNation-\\nbuilder"], created="D:20240305"))
    >>> doc.title, doc.text, doc.published, doc.pages
    ('Le quorum est atteint.', 'Le quorum est atteint.\\nNationbuilder', '2024-03-05', 1)
    """
    if len(data) > limits.max_bytes:
        raise PdfError("too_large", f"{len(data)} bytes, more than the limit of {limits.max_bytes}")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise PdfError("not_pdf", f"no %PDF- header in the first {_HEADER_WINDOW} bytes")
    cut_short = b"%%EOF" not in data[-_HEADER_WINDOW:]
    stream = _with_recovery_tail(data) if cut_short else data
    with apply_configuration(**_pypdf_limits(limits)):
        try:
            reader = PdfReader(io.BytesIO(stream))
            _decrypt(reader)
            page_count = len(reader.pages)
        except PdfError:
            raise
        except (LimitReachedError, RecursionError) as exc:
            raise PdfError("limit", f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # pypdf raises many kinds on damaged files: all mean "broken"
            raise PdfError("broken", f"{type(exc).__name__}: {exc}") from exc
        if not page_count:
            raise PdfError("broken", "the document has no page")
        return _read_document(reader, page_count, limits, cut_short)


def _read_document(reader: PdfReader, page_count: int, limits: PdfLimits, cut_short: bool) -> PdfDocument:
    """Steps 3 to 6 of :func:`read_pdf`, on an opened document."""
    lines: list[str] = []
    chars = 0
    skipped: list[int] = []
    first_failure: BaseException | None = None
    textless = pages_read = 0
    for index in range(min(page_count, limits.max_pages)):
        if chars >= limits.max_chars:
            break
        pages_read += 1
        try:
            page_lines = _page_lines(reader.pages[index])
        except Exception as exc:  # a damaged page costs that page only
            logger.debug("page %d unreadable: %r", index + 1, exc)
            skipped.append(index + 1)
            first_failure = first_failure or exc
            continue
        textless += not page_lines
        lines += page_lines
        chars += sum(map(len, page_lines)) + len(page_lines)
    if len(skipped) == pages_read:  # at least one page was read: page_count and max_pages are >= 1
        kind: PdfErrorKind = "limit" if isinstance(first_failure, LimitReachedError | RecursionError) else "broken"
        raise PdfError(kind, f"no page could be read: {type(first_failure).__name__}: {first_failure}")
    text = "\n".join(_join_hyphenated(lines))
    truncated = cut_short or pages_read < page_count or len(text) > limits.max_chars
    text = text[: limits.max_chars]
    return PdfDocument(
        title=_title(reader, text),
        text=text,
        published=_published(reader),
        pages=page_count,
        pages_read=pages_read,
        truncated=truncated,
        skipped_pages=tuple(skipped),
        textless_pages=textless,
    )


def _pypdf_limits(limits: PdfLimits) -> dict[str, int]:
    """pypdf's configuration for one call: no stream inflates beyond ``max_stream_bytes``."""
    output = limits.max_stream_bytes
    return {
        "zlib_maximum_output_length": output,
        "lzw_maximum_output_length": output,
        "run_length_maximum_output_length": output,
        "brotli_maximum_output_length": output,
        "jbig2_maximum_output_length": output,
        "array_based_stream_maximum_output_length": output,
        "stream_decoding_work_maximum_length": 4 * output,  # chained filters decode a stream more than once
    }


def _with_recovery_tail(data: bytes) -> bytes:
    """``data``, cut short, followed by a trailer and a wrong ``startxref`` that make pypdf rebuild.

    pypdf reads a file from its end. Given ``startxref 0``, it rebuilds the cross-reference table
    by scanning the objects, then looks for the catalog among the first ``/Size`` objects: the
    highest object number in the file. A file whose catalog was in the lost part stays ``broken``.
    """
    numbers = [int(match.group(1)) for match in re.finditer(rb"(\d{1,9})\s+\d{1,5}\s+obj\b", data)]
    size = max(numbers, default=0) + 1
    return data + f"\ntrailer\n<< /Size {size} >>\nstartxref\n0\n%%EOF\n".encode()


def _decrypt(reader: PdfReader) -> None:
    """Open an encrypted document with the empty password, or raise ``PdfError("encrypted")``."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except (DependencyError, NotImplementedError, FileNotDecryptedError) as exc:
        raise PdfError("encrypted", f"encrypted with an unsupported method: {exc}") from exc
    if not opened:
        raise PdfError("encrypted", "a password is needed to read it")


def _page_lines(page: PageObject) -> list[str]:
    """The non-empty lines of one page's text, whitespace collapsed (step 4 of :func:`read_pdf`)."""
    raw = page.extract_text()
    if "\u00ad" in raw:  # a soft hyphen ending a line is a word break the producer marked as such
        raw = _SOFT_HYPHEN_BREAK.sub("", raw)
    raw = raw.translate(_CONTROLS)
    return [line for line in map(_collapse, raw.splitlines()) if line]


def _join_hyphenated(lines: list[str]) -> list[str]:
    """Join the words hyphenated across line ends (step 4 of :func:`read_pdf`).

    >>> _join_hyphenated(["Nation-", "builder et", "Jean-", "Pierre", "COVID-", "19", "SE-", "QUENCE"])
    ['Nationbuilder et', 'Jean-Pierre', 'COVID-19', 'SEQUENCE']
    >>> _join_hyphenated(["a list -", "b", "-", "c"])
    ['a list -', 'b', '-', 'c']
    """
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else ""
        if len(previous) > 1 and previous.endswith(_LINE_END_HYPHENS) and previous[-2].isalnum() and line[0].isalnum():
            before, after = previous[-2], line[0]
            same_case = (before.islower() and after.islower()) or (before.isupper() and after.isupper())
            joined[-1] = previous[:-1] + line if same_case else previous + line
        else:
            joined.append(line)
    return joined


# Titles a producer writes when the author gave none. Numbered ones are caught by the pattern.
_PLACEHOLDER_TITLES = frozenset(
    {
        "untitled", "untitled document", "no title", "title", "document", "new document",
        "powerpoint presentation", "presentation", "slide 1", "microsoft word",
        "sans titre", "document sans titre", "titre", "nouveau document", "présentation powerpoint",
        "diapositive 1", "ohne titel", "unbenannt", "titel", "dokument", "neues dokument",
        "powerpoint-präsentation", "präsentation", "folie 1",
    }
)  # fmt: skip
_NUMBERED_PLACEHOLDER = re.compile(
    r"(?:untitled|document|doc|dokument|presentation|présentation|präsentation|book|classeur|mappe)"
    r"[\s_-]*\d+",
    re.IGNORECASE,
)
# "Microsoft Word - rapport.doc", "Microsoft PowerPoint - x.pptx": the producer named the file.
_PRODUCER_PREFIX = re.compile(r"(?:microsoft\s+)?(?:word|powerpoint|excel|publisher)\s+-\s+", re.IGNORECASE)
_FILE_EXTENSION = re.compile(
    r"\.(?:docx?|dotx?|rtf|odt|odp|ods|pptx?|xlsx?|pdf|indd|qxd|qxp|pub|txt|tex|dvi|e?ps|html?|pages|key|wpd)$",
    re.IGNORECASE,
)


def _title(reader: PdfReader, text: str) -> str:
    """The document's title (step 5 of :func:`read_pdf`)."""
    file_name = ""
    for raw in _metadata_titles(reader):
        title, is_file_name = _clean_title(raw)
        if title and not is_file_name:
            return title
        file_name = file_name or title
    first_line = next((line for line in text.splitlines() if any(c.isalpha() for c in line)), "")
    return first_line[:_TITLE_CHARS].rstrip() or file_name


def _metadata_titles(reader: PdfReader) -> Iterator[str]:
    """``/Title``, then XMP ``dc:title``: read lazily (XMP is XML to parse), damage ignored."""
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except Exception:  # damaged metadata is no metadata
        title = None
    if isinstance(title, str):
        yield title
    xmp = _xmp(reader)
    titles = xmp.dc_title if xmp is not None else None
    if titles:
        yield titles.get("x-default") or next(iter(titles.values()))


def _clean_title(raw: str) -> tuple[str, bool]:
    r"""A metadata title made readable, and whether it was a file name rather than a title.

    >>> [_clean_title(t) for t in ("Rapport annuel 2023", "Untitled", "Document1", "  ")]
    [('Rapport annuel 2023', False), ('', False), ('', False), ('', False)]
    >>> _clean_title("Microsoft Word - rapport_annuel.doc"), _clean_title("C:\\Temp\\Plan.pdf")
    (('rapport annuel', True), ('Plan', True))
    """
    title = _collapse(raw.translate(_CONTROLS))
    is_file_name = False
    if (prefix := _PRODUCER_PREFIX.match(title)) is not None:
        title, is_file_name = title[prefix.end() :], True
    if _FILE_EXTENSION.search(title):
        title = title.replace("\\", "/").rsplit("/", 1)[-1]
        title, is_file_name = _FILE_EXTENSION.sub("", title), True
    if is_file_name:
        title = _collapse(title.replace("_", " "))
    placeholder = title.casefold() in _PLACEHOLDER_TITLES or _NUMBERED_PLACEHOLDER.fullmatch(title)
    if placeholder or not any(c.isalpha() for c in title):
        return "", False
    return title, is_file_name


def _published(reader: PdfReader) -> str:
    """The creation date (step 6 of :func:`read_pdf`), ``""`` when the file does not tell."""
    try:
        info = reader.metadata
        raw = info.get("/CreationDate") if info is not None else None
    except Exception:  # damaged metadata is no metadata
        raw = None
    if isinstance(raw, bytes):  # a date not written as a text string: its bytes are ASCII anyway
        raw = raw.decode("latin-1")
    found = _date(str(raw)) if raw is not None else ""
    if found:
        return found
    xmp = _xmp(reader)
    return _date(_xmp_value(xmp, XMP_NAMESPACE, "CreateDate")) if xmp is not None else ""


_DATE = re.compile(r"\s*(?:D:)?\s*(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?")


def _date(raw: str) -> str:
    """The date of a PDF date string (``D:20240305…``) or an XMP one (``2024-03-05T…``).

    >>> [_date(d) for d in ("D:20240305100000+01'00'", "2024-03-05T23:30:00-05:00", "D:2024",
    ...                     "D:19700101000000Z", "D:20241305", "D:99991231", "garbage")]
    ['2024-03-05', '2024-03-05', '2024-01-01', '', '', '', '']
    """
    match = _DATE.match(raw)
    if match is None:
        return ""
    year, month, day = (int(part or 1) for part in match.groups())
    try:
        found = datetime.date(year, month, day)
    except ValueError:
        return ""
    # A day ahead of UTC is still today somewhere (UTC+14).
    tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
    if found.year < _FIRST_PDF_YEAR or found > tomorrow:
        return ""
    return found.isoformat()


def _xmp(reader: PdfReader) -> XmpInformation | None:
    """The document's XMP metadata, or ``None`` when it has none or it is damaged."""
    try:
        return reader.xmp_metadata
    except Exception:  # damaged metadata is no metadata
        return None


def _xmp_value(xmp: XmpInformation, namespace: str, name: str) -> str:
    """The text of a simple XMP property, written as an attribute or as an element; else ``""``."""
    try:
        for node in xmp.get_element("", namespace, name):
            if node.nodeType == node.ATTRIBUTE_NODE:
                return str(node.nodeValue)
            return "".join(child.data for child in node.childNodes if child.nodeType == child.TEXT_NODE)
    except Exception:  # damaged metadata is no metadata
        return ""
    return ""
