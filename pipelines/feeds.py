"""Feed exporters for analysts: a CSV that opens right in a spreadsheet (DESIGN §4).

Registered in the settings under ``FEED_EXPORTERS``, so that ``-o out.csv`` and ``-O out.csv``
use it.
JSON Lines needs nothing of ours: Scrapy's ``JsonLinesItemExporter`` with ``FEED_EXPORT_ENCODING =
"utf-8"`` writes one object a line, lists as arrays, accents as themselves.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from scrapy.exporters import CsvItemExporter

if TYPE_CHECKING:
    from scrapy.item import Field

#: How list fields (``matched_terms``, ``snippets``…) are joined in a cell: readable, and rare in
#: the values themselves. ``FEEDS`` can change it per feed: ``"item_export_kwargs":
#: {"join_multivalued": "; "}``.
LIST_SEPARATOR = " | "

# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...except a plain number, which a spreadsheet reads as a number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


class AnalystCsvItemExporter(CsvItemExporter):
    """CSV for spreadsheets: UTF-8 with a BOM, a header, readable lists, no formula injection.

    On top of Scrapy's ``CsvItemExporter`` (whose options all still apply):

    - **BOM.** With the UTF-8 encoding, the file starts with a byte-order mark, without which Excel
      reads UTF-8 as the local code page and breaks every accent. It is written only at the start
      of the file: appending (``-o`` to an existing feed) writes neither a second BOM nor a second
      header in the middle of the data. A pipe (``-o -:csv``) gets the header but no BOM.
    - **Header and column order.** With ``FEED_EXPORT_FIELDS`` set, the header is written as soon
      as the feed opens, so a run that finds nothing still leaves a valid, empty table.
    - **Lists** are joined with ``LIST_SEPARATOR`` (``a | b``).
    - **Formula injection.** A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
      carriage return gets a leading ``'``, which spreadsheets show as text. Plain numbers
      written as text (``-12``, ``-3,5``, ``+33``) are left alone: they cannot run anything; quoting
      them would turn numbers into text. Integer fields are written as numbers.
    - Cells keep their line breaks (quoted, RFC 4180), and rows end with ``\\r\\n``.
    """

    def __init__(self, file: IO[bytes], *, join_multivalued: str = LIST_SEPARATOR, **kwargs: Any):
        # Scrapy annotates ``file`` as BytesIO; any binary file object works.
        super().__init__(
            file,  # type: ignore[arg-type]
            join_multivalued=join_multivalued,
            **kwargs,
        )
        self._file = file

    def start_exporting(self) -> None:
        position = _position(self._file)
        if position:
            self.include_headers_line = False  # the feed we append to has its BOM and header
            return
        # A pipe (position None) is a fresh stream too, but read by a program: no BOM for it.
        if position == 0 and codecs.lookup(self.encoding or "utf-8").name == "utf-8":
            self.stream.write("\ufeff")
        if self.include_headers_line and self.fields_to_export:
            names = (
                self.fields_to_export.values()
                if isinstance(self.fields_to_export, Mapping)
                else self.fields_to_export
            )
            self.csv_writer.writerow(list(names))
            self.include_headers_line = False  # written: Scrapy must not write it again

    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        value = super().serialize_field(field, name, value)  # joins lists
        return defuse_formula(value) if isinstance(value, str) else value


def defuse_formula(cell: str) -> str:
    """Return ``cell`` made safe to open in a spreadsheet: a formula becomes text.

    >>> [defuse_formula(c) for c in ("=HYPERLINK(\\"x\\")", "@SUM(A1)", "-12", "-3.5", "Quorum")]
    ['\\'=HYPERLINK("x")', "'@SUM(A1)", '-12', '-3.5', 'Quorum']
    >>> defuse_formula("-2+3+cmd|' /C calc'!A0")
    "'-2+3+cmd|' /C calc'!A0"
    """
    if cell.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _position(file: IO[bytes]) -> int | None:
    """Return where ``file`` stands: 0 for a new feed or one being overwritten (``-O``), the size
    of the existing feed when appending (``-o``), None for a pipe or a terminal."""
    try:
        return file.tell()
    except (OSError, ValueError):
        return None
