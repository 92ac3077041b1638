"""The links a page gives to follow, read from the page's parsed tree (no second parse).

:func:`page_links` does what Scrapy's default ``LinkExtractor`` does with a page, on the tree the
text and the date are read from (:func:`watch.text.parse_html`, Scrapy's
``response.selector.root``): the ``href`` of every ``<a>`` and ``<area>``, resolved against the
page's ``<base href>``, in document order, each URL once. It keeps only ``http`` and ``https``
links: the only ones watch may request.

Resolving a link is most of the cost (``urljoin`` parses the base and the link each time), and
most links are plain: absolute, or relative to the site's root, made of characters no step would
change. Those are resolved by concatenation, which gives exactly what ``urljoin`` gives (a
property checked against ``urljoin`` in the tests); every other link goes through ``urljoin``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin, urlparse, urlsplit

from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

#: The characters HTML strips around a URL attribute (its "space characters").
HTML_WHITESPACE = " \t\n\r\x0c"

# A plain path, query and fragment: characters that urljoin's parse-and-rebuild leaves as they
# are (no ';' parameters, no spaces or tabs it would strip, nothing to escape), and a query and
# a fragment that are not empty (an empty '?' or '#' is dropped when the URL is rebuilt).
_PATH = r"[A-Za-z0-9\-._~!$&'()*+,=:@%/]*"
_QUERY_AND_FRAGMENT = r"(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]+)?(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]+)?"
_PLAIN_ABSOLUTE = re.compile(
    rf"https?://[A-Za-z0-9.\-_]+(?::[0-9]+)?(?P<path>/{_PATH})?{_QUERY_AND_FRAGMENT}\Z"
)
_PLAIN_FROM_ROOT = re.compile(rf"(?P<path>/(?!/){_PATH}){_QUERY_AND_FRAGMENT}\Z")
_PLAIN_FRAGMENT = re.compile(r"#[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]+\Z")


class PageLink(NamedTuple):
    """A link of a page: its absolute URL, and whether the page asks robots not to follow it."""

    url: str
    nofollow: bool = False


def page_links(
    root: HtmlElement,
    page_url: str,
    *,
    encoding: str = "utf-8",
    denied_extensions: Iterable[str] = (),
) -> list[PageLink]:
    """Return the links of the page whose tree is ``root``, fetched from ``page_url``.

    Steps:

    1. The base URL is the ``href`` of the page's first ``<base>`` that has one, resolved against
       ``page_url``; if that ``href`` is empty, or there is none, it is ``page_url``.
    2. Every ``<a>`` and ``<area>`` with an ``href``, in document order (hidden ones included:
       a link is followed whether or not its text shows), gives that ``href``, stripped of HTML
       whitespace and resolved against the base URL (``urljoin``). One that cannot be resolved
       (``http://[bad``) is skipped.
    3. A URL with characters outside ASCII is percent-encoded with the page's ``encoding`` (as a
       browser encodes a link's query); other characters that need escaping are left to Scrapy's
       ``Request``, which escapes every URL it is given.
    4. Only ``http`` and ``https`` URLs are kept, without those whose path ends with one of
       ``denied_extensions`` (``".pdf"``…, compared in lower case), each once (first occurrence).
       ``nofollow`` tells whether the element's ``rel`` says ``nofollow``.

    >>> from watch.text import parse_html
    >>> root = parse_html('<base href="/blog/"><a href="post.html">a</a><a href="mailto:x@a.test">b</a>'
    ...                   '<area href="https://b.test/" rel="nofollow"><a href=" post.html ">c</a>')
    >>> page_links(root, "https://a.test/index.html")
    [PageLink(url='https://a.test/blog/post.html', nofollow=False), PageLink(url='https://b.test/', nofollow=True)]
    """
    base = _base_url(root, page_url)
    resolve = _Resolver(base, encoding)
    extensions = tuple(extension.lower() for extension in denied_extensions)
    seen: set[str] = set()
    links: list[PageLink] = []
    for element in root.iter("a", "area"):
        href = element.get("href")
        if href is None:
            continue
        resolved = resolve(href.strip(HTML_WHITESPACE))
        if resolved is None:
            continue
        url, path = resolved
        if url in seen or (extensions and path.lower().endswith(extensions)):
            continue
        seen.add(url)
        rel = element.get("rel")
        links.append(PageLink(url, rel is not None and "nofollow" in rel.lower().replace(",", " ").split()))
    return links


def _base_url(root: HtmlElement, page_url: str) -> str:
    """The URL the page's relative links are resolved against (step 1 of :func:`page_links`)."""
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None:
            href = href.strip(HTML_WHITESPACE)
            return urljoin(page_url, href) if href else page_url
    return page_url


class _Resolver:
    """Resolves the links of one page against its base URL (steps 2 and 3 of :func:`page_links`)."""

    def __init__(self, base: str, encoding: str) -> None:
        self.base = base
        self.encoding = encoding
        try:
            parts = urlsplit(base)
        except ValueError:
            parts = None
        plain_base = parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)
        # A link from the site's root, or a fragment, is the base's origin, or the base without
        # its fragment, followed by the link: what urljoin builds from a plain link.
        self.origin = f"{parts.scheme}://{parts.netloc}" if plain_base and parts else None
        self.page = urljoin(base, "#") if plain_base else None
        self.page_path = self._path(self.page) if self.page is not None else ""

    def __call__(self, href: str) -> tuple[str, str] | None:
        """The absolute ``http(s)`` URL of ``href`` and its path, or ``None``."""
        plain = _PLAIN_ABSOLUTE.match(href)
        if plain is not None:
            return href, plain.group("path") or ""
        if self.origin is not None:
            plain = _PLAIN_FROM_ROOT.match(href)
            if plain is not None and "/." not in plain.group("path"):
                return self.origin + href, plain.group("path")
            if self.page is not None and _PLAIN_FRAGMENT.match(href):
                return self.page + href, self.page_path
        try:
            url = urljoin(self.base, href)
            if not url.isascii():
                url = safe_url_string(url, self.encoding)
        except ValueError:
            return None
        if url.split("://", 1)[0].lower() not in ("http", "https"):
            return None
        return url, self._path(url)

    @staticmethod
    def _path(url: str) -> str:
        try:
            return urlparse(url).path
        except ValueError:
            return ""
