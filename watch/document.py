"""The document record watch exports: one per page read, in a fixed, documented column order."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watch.query.document import DocumentWords


@dataclass
class Document:
    """One page read by the crawl, as exported to the feeds (DESIGN §4).

    The field order is the feed's column order. ``text`` is carried through the pipelines (matching
    and deduplication need it) but exported only when the user asks for it.
    """

    url: str  #: final URL, after redirects
    canonical_url: str
    site: str
    site_level: int
    depth: int  #: page hops from the start page
    referer: str
    status: int
    content_type: str
    title: str
    published: str  #: ISO 8601 date, or empty when the page does not tell
    language: str  #: ISO 639-1 code, best effort
    fetched_at: str  #: UTC, ISO 8601
    text_length: int
    fingerprint: str  #: 64-bit content fingerprint of the normalised text, hex
    matched_terms: list[str] = field(default_factory=list)
    snippets: list[str] = field(default_factory=list)
    matched_queries: list[str] = field(default_factory=list)
    also_at: list[str] = field(default_factory=list)
    near_duplicate_of: str = ""
    change: str = ""
    text: str = ""
    #: Where the page stands in the crawl's read order (level, site order, rank in the site):
    #: which of two copies came first. Never exported.
    read_order: tuple[int, ...] = ()
    #: The title's and text's words, read once by the spider for every later step (matching,
    #: deduplication); dropped once used. Never exported.
    words: DocumentWords | None = field(default=None, repr=False, compare=False)
    #: The page's HTML while its publication date is still to be read: a crawl with an equation
    #: reads it only for the documents that match (``pipelines/published.py``). Never exported.
    html: str = field(default="", repr=False, compare=False)


#: Fields carried through the pipelines but never exported.
_INTERNAL = frozenset({"text", "read_order", "words", "html"})
#: Feed columns, in order, without the full text.
EXPORT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Document) if f.name not in _INTERNAL)
#: Feed columns when the user asks for the full text (``-a with_text=1``).
EXPORT_FIELDS_WITH_TEXT: tuple[str, ...] = (*EXPORT_FIELDS, "text")
