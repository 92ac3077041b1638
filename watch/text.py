"""The text of a page as a reader sees it: its title and its visible body text (DESIGN §3).

This is the only text the search equation is matched against, so what it leaves out matters as much
as what it keeps: scripts, styles, templates, comments, attributes (``alt``, ``title``, ``href``…),
SVG drawings, the ``<head>`` apart from the title, and elements the page hides are never searched.
Block elements end a line; inline elements do not break words, so ``Digital <em>Box</em>`` stays a
phrase and ``Digi<b>tal</b>`` stays one word.

A page is parsed once (:func:`parse_html`, the same lxml tree Scrapy's ``response.selector``
holds), and that tree serves the text, the links, the date and the language. Reading the text is
one walk over the tree (:func:`visible_text`), which never modifies it: other readers share it.
The walk stops at a number of characters (``WATCH_TEXT_MAX_CHARS``), so that a page of megabytes
costs what its first megabyte does in every step after it: words, fingerprints, matching, export.

Before a page is parsed, its bytes are judged (:func:`looks_binary`, :func:`undeclared_encoding`),
and after it is decoded, whether its charset fitted (:func:`decoding_replaced`): servers send
images labelled ``text/html``, and pages in windows-1252 labelled UTF-8 or not labelled at all.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from parsel import Selector
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.html import HtmlElement

# Content a browser does not show as the page's text: code, fallback content of embedded media
# (shown only when the media fails), drawings and form menus. The title is read apart.
_SKIPPED = frozenset(
    {
        "audio", "canvas", "datalist", "iframe", "noscript", "object", "script", "select", "style",
        "svg", "template", "title", "video",
    }
)  # fmt: skip

# Elements that never have content (HTML's void elements). libxml2 does not know some of them
# (embed, source, track, wbr, keygen…) and nests what follows them inside them, so they are never
# skipped: what the parser put in them is their parent's content, shown whatever they carry.
_VOID = frozenset(
    {
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
        "keygen", "link", "meta", "param", "source", "track", "wbr",
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

# Inline elements that libxml2 closes when one of these blocks starts inside them, where a browser
# keeps the block inside: ``<b hidden><p>secret</p></b>`` becomes ``<b hidden/><p>secret</p>``
# (tests/test_watch_text.py checks this table against the installed libxml2).
_CLOSED_EARLY: dict[str, frozenset[str]] = {
    "a": frozenset({"fieldset", "table"}),
    "b": frozenset({"center", "p"}),
    "big": frozenset({"p"}),
    "font": frozenset({"center"}),
    "i": frozenset({"center", "p"}),
    "s": frozenset({"p"}),
    "small": frozenset({"p"}),
    "strike": frozenset({"p"}),
    "tt": frozenset({"p"}),
    "u": frozenset({"p"}),
}

# Inline styles that hide an element: (property, first word of its value).
_HIDING_STYLES = frozenset({("display", "none"), ("visibility", "hidden")})

# Ends a line among the text runs of a page. libxml2's text is a C string: it never holds a NUL.
_BREAK = "\x00"

# Invisible characters inside words: a soft hyphen or a zero-width space must not split a word.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")

# With a cap on the text, the walk counts what it gathered every this many text runs, at the
# start of a block (where every line gathered so far is complete).
_RUNS_BETWEEN_COUNTS = 4096

# The WHATWG's "binary data bytes" (MIME Sniffing §7.2): control characters no text holds.
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_NOT_BINARY = bytes(sorted(set(range(256)) - set(_BINARY_BYTES)))
# The bytes judged (a browser sniffs the first 1,445), and the share of binary data bytes among
# them from which a body is binary: 1 in 50 (random bytes hold 29 in 256; a text page, none, or a
# stray one).
_SNIFFED_BYTES = 1024
_BINARY_SHARE = 50
# Encodings whose text is full of bytes that look binary in any other (NUL, for ASCII letters).
_WIDE_ENCODINGS = ("utf-16", "utf-32", "utf_16", "utf_32")


@dataclass(frozen=True)
class PageText:
    """What a page says: its title and its visible body text, one block per line."""

    title: str
    text: str
    lang: str = ""  #: the language the page declares (``<html lang>``'s primary subtag), or empty
    #: The text stopped at the cap it was read with (``max_chars``): the page says more.
    truncated: bool = False

    @property
    def searched(self) -> str:
        """The text the search equation is matched against: the title, then the body text.

        >>> PageText("Quorum", "Digital Box").searched
        'Quorum\\nDigital Box'
        """
        return f"{self.title}\n{self.text}" if self.title else self.text


def parse_html(html: str | bytes, *, encoding: str | None = None) -> HtmlElement:
    """Return the lxml tree of the page ``html``: the one parse every reader of the page shares.

    Steps:

    1. Bytes are decoded with ``encoding`` when given (e.g. the HTTP response's), else by their
       BOM or ``<meta charset>``, else as UTF-8, bad bytes replaced.
    2. parsel builds the tree exactly as it builds Scrapy's ``response.selector.root``: lxml's
       lenient HTML parser (libxml2), huge documents allowed, NUL characters dropped (and lone
       surrogates, which only a hand-made string holds, replaced). Comments and processing
       instructions stay in the tree; readers skip them. libxml2 builds trees at most 2,048
       elements deep: what lies deeper, and everything after it, is not in the tree.

    >>> parse_html("<title>Veille</title><p>Quorum").findtext(".//p")
    'Quorum'
    """
    if isinstance(html, bytes):
        html = html.decode(encoding, "replace") if encoding else html_to_unicode(None, html)[1]
    try:
        root: HtmlElement = Selector(text=html, type="html").root
    except UnicodeEncodeError:  # a lone surrogate, which no decoded page holds: replaced
        html = html.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        root = Selector(text=html, type="html").root
    return root


def visible_text(
    page: HtmlElement | str | bytes, *, encoding: str | None = None, max_chars: int | None = None
) -> PageText:
    """Return the title and the visible text of ``page``, a parsed tree or its HTML.

    This is the default text extractor (``WATCH_TEXT_EXTRACTOR``): the crawl hands it the page's
    shared tree (:func:`parse_html`, Scrapy's ``response.selector.root``), which it only reads,
    and the cap on the text (``WATCH_TEXT_MAX_CHARS``). HTML (``str``, or ``bytes`` with an
    optional ``encoding``) is parsed first.

    Steps:

    1. Comments and processing instructions are not text (what follows them is).
    2. Scripts, styles, ``noscript``, templates, SVG, embedded-media fallbacks and form menus are
       skipped with everything inside them, as are elements hidden by the ``hidden`` attribute or
       an inline ``display: none`` / ``visibility: hidden`` style. ``aria-hidden`` hides from
       screen readers only: sighted readers see that text, so it is read. Attributes are never
       read as text.
    3. Where the parser's tree is not what a browser shows, the browser wins: what libxml2 nests in
       a void element (``<embed>``, ``<wbr>``…) is read as its parent's content, and a block that
       libxml2 moved out of an empty hidden inline element (``<b hidden><p>x</p></b>``) is hidden.
    4. Text runs are joined as they are: inline tags add nothing between them. Block elements and
       ``<br>`` end the line. Within a line, runs of whitespace become one space; empty lines
       are dropped; soft hyphens and zero-width spaces are removed.
    5. The title is the first ``<title>`` (not an SVG one), else the ``og:title`` meta property,
       else the text of the first visible ``<h1>``; whitespace is collapsed.
    6. With ``max_chars``, the walk stops once it has that many characters of text, and the text
       is cut there (:func:`cut_text`), ``truncated``. The title is read whole wherever it is.

    >>> page = visible_text('<title>Veille</title><p>Digital <em>Box</em>,<br>Digi<b>tal</b>'
    ...                     '<script>var q = "Quorum";</script><img alt="Carata"></p>')
    >>> page.title, page.text
    ('Veille', 'Digital Box,\\nDigital')
    >>> page = visible_text("<p>Quorum is met.<p>Carata", max_chars=12)
    >>> page.text, page.truncated
    ('Quorum is', True)
    """
    if not isinstance(page, etree._Element):
        page = parse_html(page, encoding=encoding)
    return _read(page, max_chars)


def cut_text(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, between words when there is a space to cut
    at (a word cut in two would be searched as another word).

    >>> cut_text("Digital Box", 9), cut_text("Digital Box", 11), cut_text("Quorum", 3)
    ('Digital', 'Digital Box', 'Quo')
    """
    if len(text) <= max_chars:
        return text
    if text[max_chars].isspace():
        return text[:max_chars].rstrip()
    kept = text[:max_chars]
    cut = max(kept.rfind(" "), kept.rfind("\n"))
    return kept[:cut].rstrip() if cut >= 0 else kept


def looks_binary(body: bytes, encoding: str = "utf-8") -> bool:
    """Whether ``body``, served as text in ``encoding``, is binary data (an image, an archive, noise).

    One byte in 50 of its first kilobyte is a binary data byte (WHATWG MIME Sniffing §7.2: a
    control character other than tab, line feed, form feed, carriage return and escape), which no
    text holds. Text in UTF-16 or UTF-32 is full of NUL bytes: never binary.

    >>> looks_binary(b"<html><p>Quorum\\tvote\\r\\n"), looks_binary(bytes(range(256)))
    (False, True)
    >>> looks_binary("<p>Quorum".encode("utf-16"), "utf-16")
    False
    """
    if encoding.lower().startswith(_WIDE_ENCODINGS):
        return False
    head = body[:_SNIFFED_BYTES]
    binary = len(head.translate(None, _NOT_BINARY))
    return binary > 0 and binary * _BINARY_SHARE >= len(head)


def undeclared_encoding(content_type: str, body: bytes) -> str | None:
    """The encoding to read a page in when it declares none, else ``None`` (its declaration rules).

    A page declares its encoding by a byte-order mark, the ``charset`` of its ``Content-Type``, or
    a ``<meta charset>`` in its first 4 kB (w3lib reads them as Scrapy does). One that declares
    none is read as UTF-8 when its bytes are valid UTF-8, else as windows-1252, the encoding
    browsers fall back to for Western pages (WHATWG Encoding §4.2). Scrapy would ask
    charset-normalizer, whose guess on a short page is a coin toss (it reads a French
    windows-1252 page as mac-latin2).

    >>> undeclared_encoding("text/html", "Qualité".encode("cp1252"))
    'cp1252'
    >>> undeclared_encoding("text/html", "Qualité".encode("utf-8")), undeclared_encoding("text/html", b"Quorum")
    ('utf-8', 'utf-8')
    >>> undeclared_encoding("text/html; charset=iso-8859-15", b"Qualit\\xe9") is None
    True
    """
    if read_bom(body)[0] or http_content_type_encoding(content_type) or html_body_declared_encoding(body):
        return None
    if body.isascii():
        return "utf-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decoding_replaced(body: bytes, text: str, encoding: str) -> bool:
    """Whether decoding ``body`` in ``encoding`` into ``text`` replaced bytes the encoding has no
    character for (``text`` then holds U+FFFD where the page had them): the page's charset is wrong.

    A page may hold U+FFFD itself: only a strict decoding of its bytes tells, and it is tried only
    when ``text`` holds one, so a page decoded cleanly costs one search of its text.

    >>> page = "Qualité élevée".encode("cp1252")
    >>> decoding_replaced(page, page.decode("utf-8", "replace"), "utf-8")
    True
    >>> decoding_replaced(page, page.decode("cp1252"), "cp1252")
    False
    >>> decoding_replaced("U+FFFD: \\ufffd".encode(), "U+FFFD: \\ufffd", "utf-8")
    False
    """
    if "\ufffd" not in text:
        return False
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return True
    return False


def _read(root: HtmlElement, max_chars: int | None = None) -> PageText:
    """Walk the tree under ``root`` once, in document order (steps 1 to 6 of :func:`visible_text`).

    The walk keeps its own stack rather than recursing: real pages nest deeper than Python's
    recursion limit. An element is *entered* (its children visited) only when it is visible and
    has children; its end (block break, then its tail) comes when its children are done. Text runs
    and line breaks (``_BREAK``) are gathered in one list and cut into lines at the end; with a
    cap, the runs gathered are cut into lines every ``_RUNS_BETWEEN_COUNTS`` runs, at the start of
    a block (a line break: the lines gathered are whole), to count them, and the walk stops at
    the cap. That costs one comparison per block element on pages under the cap.
    """
    parts: list[str] = []
    append = parts.append
    cap = sys.maxsize if max_chars is None else max_chars
    lines: list[str] = []
    counted = 0  # runs cut into lines so far
    size = 0  # characters of those lines, joined
    next_count = sys.maxsize if max_chars is None else _RUNS_BETWEEN_COUNTS  # runs gathered by the next count
    stopped = False  # at the cap
    title: str | None = None
    h1: HtmlElement | None = None  # the first visible <h1>, and where its parts start and end
    h1_parts = [0, 0]
    swallowed: HtmlElement | None = None  # a block moved out of a hidden element (step 3)
    stack: list[tuple[HtmlElement, bool, Iterator[HtmlElement]]] = []  # entered, is a block, siblings
    children: Iterator[HtmlElement] = iter((root,))
    while True:
        for element in children:
            tag = element.tag
            if tag.__class__ is not str:  # a comment or processing instruction: only its tail
                tail = element.tail
                if tail:
                    append(tail)
                continue
            block = tag in _BLOCKS
            if block:
                append(_BREAK)
                if len(parts) >= next_count:
                    counted, size = _count_lines(parts, counted, lines, size)
                    if size > cap:  # more text than the cap: the cut below is the cut of the whole
                        stopped = True
                        if h1 is not None and not h1_parts[1]:
                            h1_parts[1] = len(parts)
                        stack.clear()
                        children = iter(())
                        break
                    next_count = len(parts) + _RUNS_BETWEEN_COUNTS
            # Skipped with what it holds: code and the like, and what the page hides (step 2).
            if tag not in _VOID and (
                tag in _SKIPPED
                or element.get("hidden") is not None
                or ((style := element.get("style")) is not None and _hiding_style(style))
                or element is swallowed
            ):
                if tag == "title" and title is None:
                    title = _collapse("".join(element.itertext()))
                moved_out = _swallowed(element)
                if moved_out is not None:
                    swallowed = moved_out
            else:
                if tag == "h1" and h1 is None:
                    h1 = element
                    h1_parts[0] = len(parts)
                text = element.text
                if text:
                    append(text)
                if len(element):
                    stack.append((element, block, children))
                    children = iter(element)
                    break
                if element is h1:
                    h1_parts[1] = len(parts)
            if block:
                append(_BREAK)
            tail = element.tail
            if tail:
                append(tail)
        else:
            if not stack:
                break
            element, block, children = stack.pop()
            if element is h1:
                h1_parts[1] = len(parts)
            if block:
                append(_BREAK)
            tail = element.tail
            if tail:
                append(tail)
    lines.extend(_lines("".join(parts[counted:])))
    text = "\n".join(lines)
    truncated = stopped or len(text) > cap
    if truncated:
        text = cut_text(text, cap)
    if title is None and stopped:
        title = _first_title(root)
    if not title:
        title = _og_title(root)
    if not title and h1 is not None:
        title = _collapse("".join(parts[h1_parts[0] : h1_parts[1]]).replace(_BREAK, " "))
    lang = _primary_language(root.get("lang") or root.get("xml:lang") or "")
    return PageText(title=title, text=text, lang=lang, truncated=truncated)


def _count_lines(parts: list[str], counted: int, lines: list[str], size: int) -> tuple[int, int]:
    """Cut the runs gathered since ``counted`` into ``lines``; return how many runs are cut, and
    the characters of the lines, one line break each (their size once joined, plus one)."""
    new = _lines("".join(parts[counted:]))
    lines.extend(new)
    return len(parts), size + sum(map(len, new)) + len(new)


def _first_title(root: HtmlElement) -> str:
    """The first ``<title>`` outside SVG drawings, collapsed (a walk stopped at the cap may not
    have reached it)."""
    for element in root.iter("title"):
        if not any(ancestor.tag == "svg" for ancestor in element.iterancestors()):
            return _collapse("".join(element.itertext()))
    return ""


def _lines(text: str) -> list[str]:
    """The non-empty lines of ``text`` cut at ``_BREAK``, each collapsed (:func:`_collapse`).

    >>> _lines(" Digital\\n Box\\x00\\x00 \\x00Quorum\\u00ad")
    ['Digital Box', 'Quorum']
    """
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return [line for line in (" ".join(run.split()) for run in text.split(_BREAK)) if line]


def _swallowed(element: HtmlElement) -> HtmlElement | None:
    """The block libxml2 closed the hidden ``element`` for, when a browser would keep it inside.

    Only an empty element right before the block counts: ``<b hidden></b><p>`` written as such
    gives the same tree, but an empty hidden ``<b>`` closed by hand right before a block is far
    rarer than the broken nesting, and a non-empty one (``<b hidden>x<p>``) is left alone, since
    the tree cannot tell it from ``<b hidden>x</b><p>``: visible text is never dropped on a guess.
    """
    closers = _CLOSED_EARLY.get(element.tag)
    if closers is None or element.tail is not None or len(element) or (element.text or "").strip():
        return None
    block = element.getnext()
    return block if block is not None and block.tag in closers else None


def _og_title(root: HtmlElement) -> str:
    """The first non-empty ``og:title`` meta property anywhere in the page, collapsed."""
    for meta in root.iter("meta"):
        if "og:title" in (meta.get("property"), meta.get("name")):
            title = _collapse(meta.get("content") or "")
            if title:
                return title
    return ""


def _collapse(text: str) -> str:
    """Return ``text`` on one line, whitespace runs made one space, invisible characters removed.

    >>> _collapse(" Digi\\u00adtal \\n\\t Box\\u00a0 ")
    'Digital Box'
    """
    if not text.isascii():  # a cheap test in C; most lines of most pages are ASCII
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def _hiding_style(style: str) -> bool:
    """Tell whether an inline ``style`` hides its element: ``display: none``, ``visibility: hidden``.

    >>> [_hiding_style(style) for style in ("color:red", "color: red; Display : none !important",
    ...                                     "visibility:hidden", "")]
    [False, True, True, False]
    """
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
