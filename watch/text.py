"""The text of a page as a reader sees it: its title and its visible body text (DESIGN §3).

This is the only text the search equation is matched against, so what it leaves out matters as much
as what it keeps: scripts, styles, templates, comments, attributes (``alt``, ``title``, ``href``…),
SVG drawings, the ``<head>`` apart from the title, and elements the page hides are never searched.
Block elements end a line; inline elements do not break words, so ``Digital <em>Box</em>`` stays a
phrase and ``Digi<b>tal</b>`` stays one word.

It runs on every page read, so it builds no tree: lxml's parser (libxml2, lenient with broken
markup) streams its events into a small collector, which is about twice as fast as walking a tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from lxml.html import HTMLParser
from w3lib.encoding import html_to_unicode

if TYPE_CHECKING:
    from collections.abc import Mapping

# Content a browser does not show as the page's text: code, fallback content of embedded media
# (shown only when the media fails), drawings and form menus. The title is read apart.
_SKIPPED = frozenset(
    {
        "audio", "canvas", "datalist", "embed", "iframe", "noscript", "object", "script", "select",
        "style", "svg", "template", "title", "video",
    }
)  # fmt: skip

# Elements rendered as their own box (or a line break): their text never runs into its neighbours'.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
        "form", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html",
        "legend", "li", "listing", "main", "menu", "nav", "noframes", "ol", "p", "plaintext", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "xmp",
    }
)  # fmt: skip

# Inline styles that hide an element: (property, first word of its value).
_HIDING_STYLES = frozenset({("display", "none"), ("visibility", "hidden")})

# Invisible characters inside words: a soft hyphen or a zero-width space must not split a word.
_INVISIBLE = str.maketrans(dict.fromkeys("\u00ad\u200b\u2060\ufeff"))


@dataclass(frozen=True)
class PageText:
    """What a page says: its title and its visible body text, one block per line."""

    title: str
    text: str
    lang: str = ""  #: the language the page declares (``<html lang>``'s primary subtag), or empty

    @property
    def searched(self) -> str:
        """The text the search equation is matched against: the title, then the body text.

        >>> PageText("Quorum", "Digital Box").searched
        'Quorum\\nDigital Box'
        """
        return f"{self.title}\n{self.text}" if self.title else self.text


def visible_text(html: str | bytes, *, encoding: str | None = None) -> PageText:
    """Return the title and the visible text of the HTML page ``html``.

    Steps:

    1. Bytes are decoded with ``encoding`` when given (e.g. the HTTP response's), else by their
       BOM or ``<meta charset>``, else as UTF-8, bad bytes replaced.
    2. lxml parses the page leniently; comments and processing instructions are dropped.
    3. Scripts, styles, ``noscript``, templates, SVG, embedded-media fallbacks and form menus are
       skipped with everything inside them, as are elements hidden by the ``hidden`` attribute,
       ``aria-hidden="true"`` or an inline ``display: none`` / ``visibility: hidden`` style.
       Attributes are never read as text.
    4. Text runs are joined as they are: inline tags add nothing between them. Block elements and
       ``<br>`` end the line. Within a line, runs of whitespace become one space; empty lines
       are dropped; soft hyphens and zero-width spaces are removed.
    5. The title is the first ``<title>`` (not an SVG one), else the ``og:title`` meta property,
       else the text of the first visible ``<h1>``; whitespace is collapsed.

    >>> page = visible_text('<title>Veille</title><p>Digital <em>Box</em>,<br>Digi<b>tal</b>'
    ...                     '<script>var q = "Quorum";</script><img alt="Carata"></p>')
    >>> page.title, page.text
    ('Veille', 'Digital Box,\\nDigital')
    """
    if isinstance(html, bytes):
        html = html.decode(encoding, "replace") if encoding else html_to_unicode(None, html)[1]
    # lxml refuses str input that declares an encoding: hand it UTF-8 bytes, as parsel does.
    body = html.replace("\x00", "").encode("utf-8", "surrogatepass")
    if not body.strip():
        return PageText("", "")
    collector = _Collector()
    # A parser is cheap and holds its target: one per call keeps this safe to use from threads.
    parser = HTMLParser(
        target=collector,
        encoding="utf-8",
        recover=True,  # real pages are broken
        huge_tree=True,  # lift libxml2's limits on depth and text-node size
        remove_comments=True,
        remove_pis=True,
    )
    page: PageText = etree.fromstring(body, parser=parser)
    return page


class _Collector:
    """lxml parser target that gathers the visible text, line by line (steps 3 to 5 above)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._line: list[str] = []
        self._skipping = 0  # depth inside a skipped element, 0 while the text is visible
        self._title: list[str] = []  # the first <title>'s text
        self._title_seen = False
        self._in_title = False
        self._og_title = ""
        self._h1_start: int | None = None  # where the first visible <h1> starts in self._lines
        self._h1_end: int | None = None
        self._lang = ""

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if tag == "html" and not self._lang:
            self._lang = _primary_language(attrib.get("lang") or attrib.get("xml:lang") or "")
        elif tag == "meta" and "og:title" in (attrib.get("property"), attrib.get("name")):
            self._og_title = self._og_title or _collapse(attrib.get("content") or "")
        if self._skipping:
            self._skipping += 1
            return
        if tag in _BLOCKS:
            self._end_line()
        if tag in _SKIPPED or _hidden(attrib):
            self._skipping = 1
            self._in_title = tag == "title" and not self._title_seen
            self._title_seen = self._title_seen or self._in_title
        elif tag == "h1" and self._h1_start is None:
            self._h1_start = len(self._lines)

    def end(self, tag: str) -> None:
        if self._skipping > 1:  # inside a skipped element: nothing of it counts, not even blocks
            self._skipping -= 1
            return
        if self._skipping:  # the skipped element itself ends
            self._skipping = 0
            self._in_title = False
        elif tag == "h1" and self._h1_start is not None and self._h1_end is None:
            self._end_line()
            self._h1_end = len(self._lines)
        if tag in _BLOCKS:
            self._end_line()

    def data(self, text: str) -> None:
        if not self._skipping:
            self._line.append(text)
        elif self._in_title:
            self._title.append(text)

    def close(self) -> PageText:
        self._end_line()
        title = _collapse("".join(self._title)) or self._og_title
        if not title and self._h1_start is not None:
            title = " ".join(self._lines[self._h1_start : self._h1_end])
        return PageText(title=title, text="\n".join(self._lines), lang=self._lang)

    def _end_line(self) -> None:
        if self._line:
            line = _collapse("".join(self._line))
            if line:
                self._lines.append(line)
            self._line.clear()


def _collapse(text: str) -> str:
    """Return ``text`` on one line, whitespace runs made one space, invisible characters removed.

    >>> _collapse(" Digi\\u00adtal \\n\\t Box\\u00a0 ")
    'Digital Box'
    """
    return " ".join(text.translate(_INVISIBLE).split())


def _hidden(attrib: Mapping[str, str]) -> bool:
    """Tell whether an element with these attributes is hidden from every reader (step 3 above).

    >>> [_hidden(a) for a in ({"hidden": ""}, {"aria-hidden": "TRUE"}, {"style": "color:red"},
    ...                       {"style": "color: red; Display : none !important"}, {})]
    [True, True, False, True, False]
    """
    if not attrib:
        return False
    if "hidden" in attrib:
        return True
    if (attrib.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = attrib.get("style")
    if not style:
        return False
    for declaration in style.lower().split(";"):
        name, _, value = declaration.partition(":")
        first_word = value.replace("!", " ").split(maxsplit=1)[:1]
        if (name.strip(), *first_word) in _HIDING_STYLES:
            return True
    return False


def _primary_language(declared: str) -> str:
    """Return the primary subtag of a language tag (``fr`` for ``fr-CA``) if it is ISO 639-1.

    >>> [_primary_language(tag) for tag in ("fr-CA", "EN_us", "fra", "", " de ")]
    ['fr', 'en', '', '', 'de']
    """
    primary = declared.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else ""
