"""Tests of watch.pdf: a PDF file read as a document, and every bad file counted, never fatal.

Every PDF here is written by mockweb.pdf from the values the test states (pypdf encrypts the
encrypted ones), so no binary file needs explaining.
"""

from __future__ import annotations

import datetime
import logging
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockweb.pdf import BombPage, RawPage, ScannedPage, make_pdf
from watch.pdf import PdfDocument, PdfError, PdfLimits, read_pdf
from watch.query import DocumentWords, compile_query

PARIS = datetime.timezone(datetime.timedelta(hours=1))
REPORT = make_pdf(
    ["Rapport de veille\nLe quorum est atteint.", "Deuxième page\nBlue State\nDigital", "Fin"],
    title="Rapport annuel",
    created=datetime.datetime(2024, 3, 5, 10, 0, tzinfo=PARIS),
    compress=True,
)


def matches(equation: str, doc: PdfDocument) -> bool:
    """Whether ``equation`` matches ``doc`` as the crawl matches pages: title, then text."""
    return compile_query(equation).matches(DocumentWords.from_text(f"{doc.title}\n{doc.text}"))


def test_a_report_is_read_whole() -> None:
    doc = read_pdf(REPORT)
    assert doc == PdfDocument(
        title="Rapport annuel",
        text="Rapport de veille\nLe quorum est atteint.\nDeuxième page\nBlue State\nDigital\nFin",
        published="2024-03-05",
        pages=3,
        pages_read=3,
        truncated=False,
    )


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("quorum", True),  # a planted word, on the first page
        ('"Blue State Digital"', True),  # a phrase printed on two lines
        ('"atteint Deuxième"', True),  # a phrase across a page break: pages join line after line
        ("Quorums", False),
        ("Fin AND rapport", True),
    ],
)
def test_the_text_is_searched_like_a_page(equation: str, expected: bool) -> None:
    assert matches(equation, read_pdf(REPORT)) is expected


def test_winansi_accents_and_typography_survive() -> None:
    line = "Élection à Besançon : « l’œuvre » de Müller, Grüße, 5 €"
    assert read_pdf(make_pdf([line])).text == line


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        # Typesetting hyphenates inside words: the word is whole again, and found.
        (["Nation-", "builder"], "Nationbuilder"),
        (["SE-", "QUENCE"], "SEQUENCE"),
        (["élec-", "torale"], "électorale"),
        # A case change or a digit says the hyphen belongs to the word: it stays.
        (["Jean-", "Pierre"], "Jean-Pierre"),
        (["COVID-", "19"], "COVID-19"),
        # A dash standing alone, or a line that starts with one, is punctuation.
        (["un tiret -", "puis"], "un tiret -\npuis"),
        (["liste", "- point"], "liste\n- point"),
        # The cost of the rule, documented: a compound split at its own hyphen loses it.
        (["long-", "term"], "longterm"),
    ],
)
def test_words_hyphenated_at_line_ends(lines: list[str], text: str) -> None:
    assert read_pdf(make_pdf(["\n".join(lines)])).text == text


def test_whitespace_is_normalised_like_pages() -> None:
    doc = read_pdf(make_pdf(["  Digital \t  Box  \n\n   \nQuorum\u00a0 Carata "]))
    assert doc.text == "Digital Box\nQuorum Carata"


@pytest.mark.parametrize(
    ("metadata", "title"),
    [
        ({"title": "Rapport annuel 2023"}, "Rapport annuel 2023"),
        ({"title": "  Élections  municipales "}, "Élections municipales"),
        ({}, "Premier titre"),  # no metadata: the first line of text
        ({"title": ""}, "Premier titre"),
        ({"title": "Untitled"}, "Premier titre"),
        ({"title": "Document1"}, "Premier titre"),
        ({"title": "Sans titre"}, "Premier titre"),
        ({"title": "Présentation PowerPoint"}, "Premier titre"),
        ({"title": "1"}, "Premier titre"),
        # A file name is worse than the document's own first line…
        ({"title": "Microsoft Word - rapport_final_v3.doc"}, "Premier titre"),
        ({"title": "C:\\Users\\jo\\Desktop\\plan.pdf"}, "Premier titre"),
        # …and XMP's dc:title is metadata too.
        ({"title": "Untitled", "xmp_title": "Le rapport XMP"}, "Le rapport XMP"),
        ({"xmp_title": "Le rapport XMP"}, "Le rapport XMP"),
    ],
)
def test_title(metadata: dict[str, str], title: str) -> None:
    assert read_pdf(make_pdf(["12\nPremier titre\nla suite"], **metadata)).title == title  # type: ignore[arg-type]


def test_a_file_name_is_the_title_of_last_resort() -> None:
    doc = read_pdf(make_pdf([ScannedPage()], title="Microsoft Word - rapport_final_v3.doc"))
    assert doc.title == "rapport final v3"


def test_a_first_line_that_is_prose_is_cut() -> None:
    assert read_pdf(make_pdf(["mot " * 100])).title == ("mot " * 50).strip()


@pytest.mark.parametrize(
    ("dates", "published"),
    [
        # The date as written where it was made, not moved to UTC.
        ({"created": datetime.datetime(2024, 3, 5, 0, 30, tzinfo=PARIS)}, "2024-03-05"),
        ({"created": "D:20190612"}, "2019-06-12"),
        ({"created": "D:2019"}, "2019-01-01"),  # missing month and day: the standard's defaults
        ({"created": "2019-06-12T08:00:00Z"}, "2019-06-12"),  # a producer writing ISO
        ({"created": "D:19700101000000Z"}, ""),  # a placeholder, before PDF existed
        ({"created": "D:29990101"}, ""),  # the future
        ({"created": "D:20191341"}, ""),  # no such day
        ({"created": "yesterday"}, ""),
        ({}, ""),
        # XMP when the information dictionary does not tell.
        ({"xmp_created": "2021-06-17T23:30:00-05:00"}, "2021-06-17"),
        ({"created": "garbage", "xmp_created": "2021-06-17"}, "2021-06-17"),
        ({"created": "D:20200101", "xmp_created": "2021-06-17"}, "2020-01-01"),
        ({"xmp_created": "not a date"}, ""),
    ],
)
def test_published(dates: dict[str, object], published: str) -> None:
    assert read_pdf(make_pdf(["x"], **dates)).published == published  # type: ignore[arg-type]


def test_encrypted_with_the_empty_password_is_read() -> None:
    """Many PDFs are encrypted only to forbid copying or printing: any reader opens them."""
    doc = read_pdf(make_pdf(["Le quorum est atteint."], title="Protégé", user_password=""))
    assert (doc.title, doc.text) == ("Protégé", "Le quorum est atteint.")


def test_encrypted_with_a_password_is_refused() -> None:
    with pytest.raises(PdfError, match="password") as raised:
        read_pdf(make_pdf(["Le quorum est atteint."], user_password="secret"))
    assert raised.value.kind == "encrypted"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000,
        b" " * 1024 + b"%PDF-1.4\n",  # a header beyond the first kilobyte
    ],
)
def test_not_a_pdf(data: bytes) -> None:
    with pytest.raises(PdfError) as raised:
        read_pdf(data)
    assert raised.value.kind == "not_pdf"


def test_junk_before_the_header_is_tolerated() -> None:
    assert read_pdf(b"\r\n" * 100 + REPORT).pages == 3


def test_too_large_is_refused_before_parsing() -> None:
    limits = PdfLimits(max_bytes=len(REPORT) - 1)
    with pytest.raises(PdfError, match=f"{len(REPORT)} bytes") as raised:
        read_pdf(REPORT, limits)
    assert raised.value.kind == "too_large"
    # Not parsed at all: bytes that are no PDF say "too_large" too.
    with pytest.raises(PdfError) as raised:
        read_pdf(b"x" * 100, PdfLimits(max_bytes=99))
    assert raised.value.kind == "too_large"


def test_pages_beyond_the_limit_are_not_read() -> None:
    doc = read_pdf(make_pdf([f"page {n}" for n in range(1, 31)]), PdfLimits(max_pages=10))
    assert (doc.pages, doc.pages_read, doc.truncated) == (30, 10, True)
    assert doc.text.splitlines() == [f"page {n}" for n in range(1, 11)]


def test_text_beyond_the_limit_is_cut() -> None:
    pages = ["Quorum " + "mot " * 200] * 20
    doc = read_pdf(make_pdf(pages), PdfLimits(max_chars=1000))
    assert len(doc.text) == 1000 and doc.truncated
    assert doc.pages_read == 2  # reading stopped once the text was long enough
    assert matches("Quorum", doc)


def test_a_document_within_every_limit_is_not_truncated() -> None:
    data = make_pdf(["abc"] * 3)
    doc = read_pdf(data, PdfLimits(max_bytes=len(data), max_pages=3, max_chars=11))
    assert (doc.text, doc.truncated) == ("abc\nabc\nabc", False)


def test_a_scan_has_no_text_and_says_so() -> None:
    doc = read_pdf(make_pdf([ScannedPage(), ScannedPage(), "Annexe"], title="Arrêté municipal"))
    assert (doc.title, doc.text, doc.textless_pages, doc.pages_read) == ("Arrêté municipal", "Annexe", 2, 3)
    only_scans = read_pdf(make_pdf([ScannedPage()]))
    assert (only_scans.title, only_scans.text, only_scans.textless_pages) == ("", "", 1)


def test_a_file_cut_short_gives_what_it_holds() -> None:
    """A download cut short keeps its complete objects: they are read, and the document is marked."""
    data = make_pdf(["page un", "page deux", "page trois"])
    cut = data[: data.index(b"xref")]  # the cross-reference table and trailer are lost
    doc = read_pdf(cut)
    assert (doc.text, doc.truncated) == ("page un\npage deux\npage trois", True)
    half = read_pdf(data[: data.index(b"page trois")])
    assert (half.text, half.truncated) == ("page un\npage deux", True)


def test_a_file_cut_before_its_pages_is_broken() -> None:
    data = make_pdf(["page un"])
    with pytest.raises(PdfError) as raised:
        read_pdf(data[: data.index(b"3 0 obj")])  # the catalog and page tree only
    assert raised.value.kind == "broken"


def test_a_decompression_bomb_is_bounded() -> None:
    """100 MB of content stream in 100 kB of PDF: inflating stops at the limit, memory stays low."""
    bomb = make_pdf([BombPage(100 * 2**20), "Quorum après la bombe"])
    assert len(bomb) < 2**20
    tracemalloc.start()
    try:
        doc = read_pdf(bomb, PdfLimits(max_stream_bytes=2**20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert (doc.text, doc.skipped_pages) == ("Quorum après la bombe", (1,))


def test_a_bomb_alone_is_a_limit_error() -> None:
    with pytest.raises(PdfError, match="no page could be read") as raised:
        read_pdf(make_pdf([BombPage(100 * 2**20)]), PdfLimits(max_stream_bytes=2**20))
    assert raised.value.kind == "limit"


def test_deep_nesting_costs_its_page_only() -> None:
    nested = RawPage(b"BT /F1 11 Tf " + b"[" * 100_000 + b"]" * 100_000 + b" TJ ET")
    doc = read_pdf(make_pdf([nested, "Quorum"]))
    assert (doc.text, doc.skipped_pages, doc.pages_read) == ("Quorum", (1,), 2)
    with pytest.raises(PdfError) as raised:
        read_pdf(make_pdf([nested]))
    assert raised.value.kind == "limit"


def test_deep_nesting_in_the_metadata_is_ignored() -> None:
    data = make_pdf(["Quorum"], title="T").replace(b"/Producer", b"/Deep " + b"[" * 50_000 + b"]" * 50_000 + b" /Producer")
    assert read_pdf(data).text == "Quorum"


def test_a_damaged_page_costs_that_page_only() -> None:
    damaged = RawPage(b"BT /F1 11 Tf (unterminated Tj ET")
    doc = read_pdf(make_pdf(["avant", damaged, "après"]))
    assert doc.text.splitlines()[0] == "avant" and doc.text.splitlines()[-1] == "après"


def test_pypdf_warnings_stay_out_of_the_crawl_log() -> None:
    """pypdf repairs files noisily, at WARNING: what reaches the root logger (the crawl log) is
    watch.pdf's DEBUG copy. (pytest's caplog also hooks non-propagating loggers: a handler of
    our own on the root logger sees what Scrapy's would.)"""
    records: list[logging.LogRecord] = []
    recorder = logging.Handler()
    recorder.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    try:
        data = make_pdf(["page un"])
        read_pdf(data[: data.index(b"xref")])
    finally:
        root.removeHandler(recorder)
        root.setLevel(level)
    assert any("startxref" in r.getMessage() for r in records), "pypdf said nothing about the lost xref"
    assert {(r.name, r.levelno) for r in records} == {("watch.pdf", logging.DEBUG)}


@pytest.mark.parametrize("field", ["max_bytes", "max_pages", "max_chars", "max_stream_bytes"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"PdfLimits.{field} must be at least 1, got 0"):
        PdfLimits(**{field: 0})


# -- any bytes: a document or a PdfError, never anything else ----------------------------------

SAMPLE = make_pdf(["Le quorum est atteint.", "Nation-\nbuilder"], title="T", created="D:20240305", compress=True)


def _read_or_error(data: bytes) -> PdfDocument | str:
    try:
        return read_pdf(data, PdfLimits(max_stream_bytes=2**20))
    except PdfError as exc:
        return exc.kind


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(SAMPLE)))
def test_any_prefix_of_a_pdf_is_read_or_refused(length: int) -> None:
    result = _read_or_error(SAMPLE[:length])
    assert isinstance(result, PdfDocument) or result in ("not_pdf", "broken", "limit")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(SAMPLE) - 1), st.binary(min_size=1, max_size=8)),
                min_size=1, max_size=5))
def test_any_damage_to_a_pdf_is_read_or_refused(damage: list[tuple[int, bytes]]) -> None:
    data = bytearray(SAMPLE)
    for offset, junk in damage:
        data[offset : offset + len(junk)] = junk
    result = _read_or_error(bytes(data))
    assert isinstance(result, PdfDocument) or result in ("not_pdf", "broken", "limit", "encrypted")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_after_a_header_are_read_or_refused(junk: bytes) -> None:
    result = _read_or_error(b"%PDF-1.7\n" + junk)
    assert isinstance(result, PdfDocument) or result in ("broken", "limit", "encrypted")
