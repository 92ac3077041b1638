"""Reading a page: everything watch derives from its HTML, in one pure function.

:func:`analyse_page` turns the HTML of a page into its title, visible text, publication date,
language and content fingerprint: the costly part of a crawl (a few milliseconds a page, measured
by ``bench/crawl.py``). It needs nothing but the HTML and the URL, and its arguments and result
are plain, picklable data, so it can be tested, timed or moved to another process on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from watch.fingerprints import content_fingerprint
from watch.metadata import detect_language, published_date

if TYPE_CHECKING:
    from collections.abc import Callable

    from watch.text import PageText

#: The default text extractor, by dotted path.
VISIBLE_TEXT = "watch.text.visible_text"


@dataclass(frozen=True)
class PageAnalysis:
    """What a page says, as the exported document needs it."""

    title: str
    text: str
    published: str
    language: str
    fingerprint: str


def analyse_page(html: str, url: str, extractor: str = VISIBLE_TEXT) -> PageAnalysis:
    """Read ``html`` fetched from ``url`` with the text extractor named ``extractor``.

    >>> page = analyse_page("<html lang=fr><title>Élections</title><p>Le quorum est atteint.</p>", "http://a.test/")
    >>> page.title, page.text, page.language, len(page.fingerprint)
    ('Élections', 'Le quorum est atteint.', 'fr', 16)
    """
    page = _extractor(extractor)(html)
    return PageAnalysis(
        title=page.title,
        text=page.text,
        published=published_date(html, url),
        language=detect_language(page.text, page.lang),
        fingerprint=content_fingerprint(page.title, page.text),
    )


@cache
def _extractor(path: str) -> Callable[[str], PageText]:
    """The extractor function at dotted ``path`` (imported once per process)."""
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)
