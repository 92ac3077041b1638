"""Tests of pipelines.feeds: the CSV feed opens right in a spreadsheet; JSON Lines stays plain."""

from __future__ import annotations

import codecs
import csv
import doctest
import io
import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from scrapy.exporters import JsonLinesItemExporter

from pipelines import feeds
from pipelines.feeds import AnalystCsvItemExporter, defuse_formula
from watch.document import EXPORT_FIELDS, Document

if TYPE_CHECKING:
    from pathlib import Path

BOM = codecs.BOM_UTF8

DOCUMENT = Document(
    url="https://blog.test/élection?q=1",
    canonical_url="https://blog.test/élection?q=1",
    site="blog.test",
    site_level=1,
    depth=2,
    referer="https://portal.test/",
    status=200,
    content_type="text/html",
    title="Élection à Straße, 東京",
    published="2024-03-05",
    language="fr",
    fetched_at="2024-03-06T10:00:00+00:00",
    text_length=1234,
    fingerprint="00ab12cd34ef5678",
    matched_terms=["Quorum", '"Digital Box"'],
    snippets=["… le [Quorum] a voté …", "première ligne\nseconde ligne"],
    matched_queries=["veille"],
)


def export_csv(
    documents: list[Document], file: io.BytesIO | None = None, **options: object
) -> bytes:
    """Run the exporter as Scrapy's FeedExporter does, into ``file``; return all its bytes."""
    file = file if file is not None else io.BytesIO()
    options.setdefault("fields_to_export", list(EXPORT_FIELDS))
    options.setdefault("encoding", "utf-8")
    exporter = AnalystCsvItemExporter(file, **options)
    exporter.start_exporting()
    for document in documents:
        exporter.export_item(document)
    exporter.finish_exporting()
    return file.getvalue()


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_round_trips_through_a_spreadsheet_reader() -> None:
    data = export_csv([DOCUMENT, replace(DOCUMENT, url="https://blog.test/2", matched_terms=[])])
    assert data.startswith(BOM)
    assert data.count(BOM) == 1
    header, first, second = read_csv(data)
    assert tuple(header) == EXPORT_FIELDS
    row = dict(zip(header, first))
    assert row["title"] == "Élection à Straße, 東京"
    assert row["url"] == "https://blog.test/élection?q=1"
    assert row["matched_terms"] == 'Quorum | "Digital Box"'
    assert row["snippets"] == "… le [Quorum] a voté … | première ligne\nseconde ligne"
    assert row["site_level"] == "1"
    assert row["also_at"] == ""
    assert dict(zip(header, second))["matched_terms"] == ""


def test_csv_is_rfc_4180() -> None:
    data = export_csv([DOCUMENT])
    records = data[len(BOM) :].split(b"\r\n")
    assert records[-1] == b""  # every record ends with CRLF
    assert records[0] == ",".join(EXPORT_FIELDS).encode()
    # The line break inside a snippet stays inside its quoted cell, as a bare LF.
    assert b'seconde ligne"' in data
    assert b",200,text/html," in data  # integers are written as numbers, unquoted
    assert b",1234," in data


def test_no_formula_injection() -> None:
    hostile = replace(
        DOCUMENT,
        title='=HYPERLINK("https://evil.test","click")',
        referer="@SUM(1+1)*cmd|' /C calc'!A0",
        content_type="+text/html",
        snippets=["-2+3", "=1+1"],
        matched_terms=["-12"],
        fingerprint="\tx",
        published="\r2024",
    )
    row = dict(zip(EXPORT_FIELDS, read_csv(export_csv([hostile]))[1]))
    assert row["title"] == '\'=HYPERLINK("https://evil.test","click")'
    assert row["referer"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["content_type"] == "'+text/html"
    assert row["snippets"] == "'-2+3 | =1+1"  # the cell starts with the formula
    assert row["matched_terms"] == "-12"  # a plain number is data, not a formula
    assert row["fingerprint"] == "'\tx"
    assert row["published"] == "'\r2024"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("- item", "'- item"),
        ("-12", "-12"),
        ("-3.5", "-3.5"),
        ("-3,5", "-3,5"),
        ("+33", "+33"),
        ("-1e5", "'-1e5"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
        ("Quorum", "Quorum"),
    ],
)
def test_defuse_formula(cell: str, safe: str) -> None:
    assert defuse_formula(cell) == safe


def test_doctests() -> None:
    result = doctest.testmod(feeds)
    assert result.attempted > 0
    assert result.failed == 0


def test_header_written_when_the_feed_opens() -> None:
    """A run that exports nothing still leaves a valid table: BOM and header."""
    data = export_csv([])
    assert data == BOM + ",".join(EXPORT_FIELDS).encode() + b"\r\n"


def test_appending_writes_no_second_bom_or_header() -> None:
    file = io.BytesIO()
    export_csv([DOCUMENT], file)
    export_csv([replace(DOCUMENT, url="https://blog.test/2")], file)  # `-o`: the file grows
    data = file.getvalue()
    assert data.count(BOM) == 1
    rows = read_csv(data)
    assert [row[0] for row in rows] == ["url", DOCUMENT.url, "https://blog.test/2"]


class _Pipe(io.BytesIO):
    """A pipe or terminal, as ``-o -:csv`` writes to: no position."""

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError(29, "Illegal seek")


def test_no_bom_on_a_stream_without_position() -> None:
    data = export_csv([DOCUMENT], _Pipe())
    assert not data.startswith(BOM)
    assert data.startswith(b"url,")


def test_no_bom_in_other_encodings() -> None:
    data = export_csv([replace(DOCUMENT, title="Élection", snippets=[])], encoding="latin-1")
    assert data.startswith(b"url,")
    assert "Élection".encode("latin-1") in data


def test_without_export_fields_scrapy_writes_the_header_at_the_first_item() -> None:
    data = export_csv([DOCUMENT], fields_to_export=None)
    assert data.count(BOM) == 1
    header, row = read_csv(data)
    assert header == [name for name in Document.__dataclass_fields__]
    assert dict(zip(header, row))["text"] == ""


def test_list_separator_can_be_changed_per_feed() -> None:
    data = export_csv([DOCUMENT], join_multivalued="; ")
    assert dict(zip(EXPORT_FIELDS, read_csv(data)[1]))["matched_terms"] == 'Quorum; "Digital Box"'


def test_jsonl_with_scrapy_exporter() -> None:
    """JSON Lines needs no exporter of ours: lists stay arrays, accents stay themselves."""
    file = io.BytesIO()
    exporter = JsonLinesItemExporter(file, fields_to_export=list(EXPORT_FIELDS), encoding="utf-8")
    exporter.start_exporting()
    exporter.export_item(DOCUMENT)
    exporter.finish_exporting()
    line = file.getvalue()
    assert "Élection à Straße, 東京".encode() in line
    record = json.loads(line)
    assert list(record) == list(EXPORT_FIELDS)
    assert record["matched_terms"] == ["Quorum", '"Digital Box"']
    assert record["site_level"] == 1


_CRAWL = textwrap.dedent(
    """
    import sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from watch.document import EXPORT_FIELDS, Document

    class Documents(scrapy.Spider):
        name = "documents"

        async def start(self):
            for number in range(2):
                yield Document(
                    url=f"https://blog.test/{number}", canonical_url="", site="blog.test",
                    site_level=1, depth=1, referer="", status=200, content_type="text/html",
                    title="Élection à Straße, 東京", published="", language="fr",
                    fetched_at="", text_length=0, fingerprint="", matched_terms=["a", "b"],
                )

    path, overwrite = sys.argv[1], sys.argv[2] == "-O"
    process = CrawlerProcess({
        "FEEDS": {path: {"format": "csv", "overwrite": overwrite}},
        "FEED_EXPORTERS": {"csv": "pipelines.feeds.AnalystCsvItemExporter"},
        "FEED_EXPORT_FIELDS": list(EXPORT_FIELDS),
        "FEED_EXPORT_ENCODING": "utf-8",
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": [],
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
    })
    process.crawl(Documents)
    process.start()
    """
)


@pytest.mark.slow
def test_through_scrapy_feed_exports(tmp_path: Path) -> None:
    """``-O`` starts the feed afresh, ``-o`` appends rows: one BOM, one header, in both cases."""
    out = tmp_path / "out.csv"

    def crawl(mode: str) -> None:
        subprocess.run([sys.executable, "-c", _CRAWL, str(out), mode], check=True, timeout=120)

    crawl("-O")
    crawl("-o")
    data = out.read_bytes()
    assert data.count(BOM) == 1
    rows = read_csv(data)
    assert [row[0] for row in rows] == ["url", *["https://blog.test/0", "https://blog.test/1"] * 2]
    assert {row[EXPORT_FIELDS.index("title")] for row in rows[1:]} == {"Élection à Straße, 東京"}
    assert {row[EXPORT_FIELDS.index("matched_terms")] for row in rows[1:]} == {"a | b"}
    crawl("-O")
    assert len(read_csv(out.read_bytes())) == 3
