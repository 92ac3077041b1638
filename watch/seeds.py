"""Seeds: the sites a portal page lists, taken from that page's first page only.

A portal page such as UniVersDoc's "blogs experts" wraps its list of blogs in site chrome (header,
menus, footer, sidebars) and a pagination block. Only the list is wanted: the seeds are the links
of the page's main content that lead to *other* sites, in document order, and never the blogs of
page 2 (KB Crawl's "first page" rule). When the heuristics do not fit a portal, the analyst names
the list with a CSS selector, or freezes the seeds in a file and reruns from it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import lxml.html
from cssselect import SelectorError

from watch.text import looks_binary
from watch.urls import canonicalize, is_crawlable, site_of

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from lxml.html import HtmlElement

# Landmarks that frame the content rather than being it.
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside", "form"})
_CHROME_ROLES = frozenset({"banner", "navigation", "contentinfo", "complementary", "search"})
_CHROME_WORDS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|footer|header|sidebar|breadcrumbs?|pagination|pager|"
    r"share|social|skip|cookie|banner|widget)(?:$|[\s_-])",
    re.IGNORECASE,
)
_PAGINATION_CLASS = re.compile(r"pagination|pager|page-numbers|nav-links", re.IGNORECASE)
_PAGINATION_HREF = re.compile(r"[?&](?:page|paged|pg|start|offset)=\d+|/page/\d+/?$", re.IGNORECASE)
_PAGINATION_TEXT = re.compile(r"^(?:\d+|suivant\w*|précédent\w*|next|prev\w*|»|«|›|‹|>|<)$", re.I)


@dataclass(frozen=True)
class Seed:
    """A level-1 entry: a link of the portal's list, with its anchor text and rank (1-based).

    Rank 0 is kept for the start page itself in a seed file: a rerun then knows the portal as
    level 0 (never read again) instead of reaching it as an ordinary site through back-links.
    """

    url: str
    text: str
    rank: int


@dataclass
class SeedList:
    """The seeds of a portal page and what was left out, so a run can say why a link is absent."""

    seeds: list[Seed] = field(default_factory=list)
    pagination: list[str] = field(default_factory=list)
    same_site: list[str] = field(default_factory=list)
    not_http: list[str] = field(default_factory=list)
    links_in_content: int = 0


class SeedSelectorError(ValueError):
    """The ``seed_css`` selector is not valid CSS."""


def extract_seeds(
    html: str, page_url: str, css: str | None = None, portal_urls: Iterable[str] = ()
) -> SeedList:
    """Return the seeds listed on the portal page ``html`` fetched from ``page_url``.

    ``html`` is the decoded page (the HTTP charset already applied); ``portal_urls`` are other
    addresses of the portal (those it redirected from), whose sites are not seeds either.

    Steps:

    1. the content region: the elements ``css`` selects when given; otherwise ``<main>`` (or
       ``[role=main]``), else the ``<body>``;
    2. its ``<a href>`` links in document order, except those inside chrome (``header``,
       ``nav``, ``footer``, ``aside``, ARIA landmarks, ``menu``/``sidebar``-like classes) unless
       ``css`` names them explicitly;
    3. pagination links (``rel=next/prev``, ``.pagination``, ``?page=2``, ``/page/2``) set
       aside, as are links to the portal's own site and non-http links;
    4. one seed per canonical URL, ranked in order.

    >>> page = '''<body><nav><a href="http://menu.test/">M</a></nav><main><ul>
    ... <li><a href="http://a.test/">Blog A</a><li><a href="/about">About</a>
    ... <li><a href="http://b.test/x?utm_source=p">Blog B</a></ul>
    ... <nav class="pagination"><a rel="next" href="?page=2">2</a></nav></main></body>'''
    >>> found = extract_seeds(page, "http://portal.test/blogs")
    >>> [(s.url, s.text, s.rank) for s in found.seeds]
    [('http://a.test/', 'Blog A', 1), ('http://b.test/x?utm_source=p', 'Blog B', 2)]
    >>> found.pagination, found.same_site
    (['http://portal.test/blogs?page=2'], ['http://portal.test/about'])
    """
    root = _parse(html)
    base = _base_url(root, page_url)
    if css:
        try:
            regions = root.cssselect(css)
        except SelectorError as exc:
            raise SeedSelectorError(f"{css!r} is not a valid CSS selector: {exc}") from exc
        anchors = _anchors(regions, skip_chrome=False)
    else:
        anchors = _anchors(_main_regions(root), skip_chrome=True)
    portal = {site_of(page_url), *(site_of(url) for url in portal_urls)}
    result = SeedList()
    seen: set[str] = set()
    for anchor in anchors:
        url = urljoin(base, anchor.get("href", "").strip())
        result.links_in_content += 1
        if not is_crawlable(url):
            result.not_http.append(url)
        elif _is_pagination(anchor, url):
            if url not in result.pagination:
                result.pagination.append(url)
        elif site_of(url) in portal:
            result.same_site.append(url)
        else:
            canonical = canonicalize(url)
            if canonical not in seen:
                seen.add(canonical)
                text = " ".join(anchor.text_content().split())
                result.seeds.append(Seed(url, text, len(result.seeds) + 1))
    return result


#: What a seed file holds, for the messages that say what was expected.
_SEED_FILE = "a UTF-8 text file: a CSV with a 'url' column, or one URL a line"


def read_seeds_file(path: Path) -> list[Seed]:
    """Read seeds from a file written by :func:`write_seeds_file` (or any CSV with a ``url``
    column, or a plain list of URLs, one a line; ``#`` starts a comment). A row of rank 0 is the
    start page of the run that wrote the file.

    Raises ``ValueError`` with one line saying what is wrong, where, and what was expected: a file
    that cannot be read, binary data, bytes that are not UTF-8 (their line), a CSV header without
    a ``url`` column, the first entry that is not an http(s) URL (its line).
    """
    lines = _seed_lines(path)
    seeds: list[Seed] = []
    columns = [c.strip().lower() for c in lines[0].split(",")] if lines else []
    header = len(columns) > 1 and not lines[0].lstrip().startswith("#")  # a comment is no header
    if header and "url" not in columns and not is_crawlable(columns[0]):
        raise ValueError(f"line 1: {lines[0]!r} is a CSV header without a 'url' column: expected {_SEED_FILE}")
    if "url" in columns:
        for number, row in enumerate(csv.DictReader(lines), start=2):
            url = (row.get("url") or "").strip()
            if url:
                start_page = (row.get("rank") or "").strip() == "0"
                rank = 0 if start_page else sum(1 for seed in seeds if seed.rank) + 1
                seeds.append(_checked_seed(url, row.get("text") or "", rank, number))
        return seeds
    for number, line in enumerate(lines, start=1):
        url = line.split("#", 1)[0].strip()
        if url:
            seeds.append(_checked_seed(url, "", len(seeds) + 1, number))
    return seeds


def write_seeds_file(path: Path, seeds: Iterable[Seed]) -> None:
    """Write ``seeds`` as CSV (``rank,url,text``), so a run can be repeated after the portal changes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["rank", "url", "text"])
        for seed in seeds:
            writer.writerow([seed.rank, seed.url, seed.text])


def _seed_lines(path: Path) -> list[str]:
    """The lines of the seed file at ``path``; ``ValueError`` when it is not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file ({exc.strerror or exc}): expected {_SEED_FILE}") from None
    if looks_binary(data):
        raise ValueError(f"binary data, not text: expected {_SEED_FILE}")
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"line {line}: byte 0x{data[exc.start]:02x} is not UTF-8: expected {_SEED_FILE}") from None


def _checked_seed(url: str, text: str, rank: int, line: int) -> Seed:
    if not is_crawlable(url):
        raise ValueError(f"line {line}: {url!r} is not an http(s) URL")
    return Seed(url, text.strip(), rank)


# Text in, bytes to lxml: a str with an XML encoding declaration is refused by lxml, and an
# empty document raises, so the decoded page is handed over as UTF-8 bytes with that encoding.
_PARSER = lxml.html.HTMLParser(encoding="utf-8")


def _parse(html: str) -> HtmlElement:
    data = html.encode("utf-8", "replace") if html.strip() else b"<html></html>"
    return lxml.html.document_fromstring(data, parser=_PARSER)


def _base_url(root: HtmlElement, page_url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href:
            return urljoin(page_url, href.strip())
    return page_url


def _main_regions(root: HtmlElement) -> list[HtmlElement]:
    mains = root.xpath("//main | //*[@role='main']")
    if mains:
        # Nested landmarks would list their links twice: keep the outermost ones.
        return [m for m in mains if not any(a in mains for a in m.iterancestors())]
    body = root.find("body")
    return [body if body is not None else root]


def _anchors(regions: list[HtmlElement], *, skip_chrome: bool) -> list[HtmlElement]:
    anchors: list[HtmlElement] = []
    seen: set[int] = set()
    for region in regions:
        candidates = [region] if region.tag == "a" else region.iter("a")
        for anchor in candidates:
            if anchor.get("href") is None or id(anchor) in seen:
                continue
            if skip_chrome and _in_chrome(anchor, region):
                continue
            seen.add(id(anchor))
            anchors.append(anchor)
    return anchors


def _in_chrome(anchor: HtmlElement, region: HtmlElement) -> bool:
    for element in anchor.iterancestors():
        if element is region:
            return False
        if _is_chrome(element):
            return True
    return False


def _is_chrome(element: HtmlElement) -> bool:
    if element.tag in _CHROME_TAGS or element.get("role") in _CHROME_ROLES:
        return not _PAGINATION_CLASS.search(element.get("class", ""))
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(_CHROME_WORDS.search(names)) and not _PAGINATION_CLASS.search(names)


def _is_pagination(anchor: HtmlElement, url: str) -> bool:
    rel = anchor.get("rel", "").lower().split()
    if "next" in rel or "prev" in rel:
        return True
    for element in anchor.iterancestors():
        if _PAGINATION_CLASS.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return True
    path = urlsplit(url)
    if _PAGINATION_HREF.search(f"{path.path}?{path.query}"):
        return True
    text = " ".join(anchor.text_content().split())
    return bool(_PAGINATION_TEXT.match(text)) and bool(path.query)
