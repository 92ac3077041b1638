"""URLs as watch sees them: a canonical form for "the same page" and a site key for "the same site".

Both are pure functions of the URL text, so a crawl, a test and a report agree on them without
sharing any state. They build on w3lib, which Scrapy itself uses for request fingerprints.

The canonical form only folds spellings of one URL. Different URLs serving one text (an ``/amp/``
mirror, a print view, a copy on another site) stay different here: the content fingerprint of
:mod:`watch.fingerprints` folds them, in the deduplication pipeline.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

#: Query parameters that identify a campaign or a click, never a document. ``*`` ends a prefix.
DEFAULT_TRACKING_PARAMETERS: tuple[str, ...] = (
    "utm_*",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "igshid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "_openstat",
    "spm",
    "ref_src",
    "xtor",
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
CRAWLABLE_SCHEMES = frozenset(_DEFAULT_PORTS)


class TrackingParameters:
    """A set of tracking parameter names and ``prefix*`` patterns, matched case-insensitively.

    >>> TrackingParameters(["utm_*", "fbclid"]).matches("UTM_Source")
    True
    """

    def __init__(self, patterns: tuple[str, ...] | list[str] = DEFAULT_TRACKING_PARAMETERS):
        names = [p.lower() for p in patterns if not p.endswith("*")]
        prefixes = [p[:-1].lower() for p in patterns if p.endswith("*")]
        self._names = frozenset(names)
        self._prefixes = tuple(prefixes)

    def matches(self, name: str) -> bool:
        name = name.lower()
        return name in self._names or name.startswith(self._prefixes)


_DEFAULT_TRACKING = TrackingParameters()


def canonicalize(url: str, tracking: TrackingParameters = _DEFAULT_TRACKING) -> str:
    """Return the canonical form of ``url``, the key under which watch reads a page once.

    Steps, in order:

    1. w3lib's ``canonicalize_url``: percent-encoding normalised, query arguments sorted,
       fragment removed, host lower-cased;
    2. tracking parameters (``utm_*``, ``fbclid``, …; see :data:`DEFAULT_TRACKING_PARAMETERS`)
       removed from the query;
    3. the scheme's default port dropped, an empty path written ``/``.

    A plain link (lower-case host, a path of characters that need no escaping, no query) is
    already in that form but for its fragment and default port: it takes a short cut, with the
    same result (a Hypothesis property checks it against the steps above).

    >>> canonicalize("HTTP://Example.COM:80/a?b=2&a=1&utm_source=x#top")
    'http://example.com/a?a=1&b=2'
    >>> canonicalize("https://example.com")
    'https://example.com/'
    """
    plain = _PLAIN.match(url)
    # Not for a port out of range (an error) or a path that may hold "." or ".." segments
    # (w3lib resolves them).
    if plain is not None and (plain[3] is None or int(plain[3]) <= 65535) and "/." not in (plain[4] or ""):
        scheme, host, port, path = plain.groups()
        if port is not None and int(port) != _DEFAULT_PORTS[scheme]:
            host = f"{host}:{int(port)}"
        return f"{scheme}://{host}{path or '/'}"
    return _canonicalize(url, tracking)


# The URLs canonicalize() may take a short cut for: nothing to escape, fold or sort (";" would
# start path parameters, which w3lib rewrites).
_PLAIN = re.compile(r"(https?)://([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*)(?::([0-9]{1,5}))?(/[A-Za-z0-9._~!$&'()*+,=:@/-]*)?(?:#.*)?\Z", re.S)


def _canonicalize(url: str, tracking: TrackingParameters = _DEFAULT_TRACKING) -> str:
    """The steps of :func:`canonicalize`, for any URL."""
    canonical = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(canonical)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not tracking.matches(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    netloc = parts.netloc
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))


_WWW = re.compile(r"^www\.")
_SPACE = re.compile(r"\s")


class Target(NamedTuple):
    """Where a crawlable URL leads: its site key and its host name (see :func:`crawl_target`)."""

    site: str
    host: str


@lru_cache(maxsize=65_536)
def crawl_target(url: str) -> Target | None:
    """The site and host of ``url`` if watch may request it at all, else ``None``.

    One parse of the URL for both questions a crawl asks of every link (may it be requested?
    which site is it on?); cached, since menus repeat the same links on every page of a site.
    Crawlable means: an ``http`` or ``https`` URL with a host, a valid port and no whitespace.
    The site is :func:`site_of`'s key.

    Most links are plain (an ASCII host, no user or IPv6 literal): one regular expression reads them;
    any other goes through ``urlsplit`` (a Hypothesis property checks both give the same answer).

    >>> crawl_target("https://WWW.Example.com:443/a")
    Target(site='example.com', host='www.example.com')
    >>> crawl_target("mailto:a@b.test"), crawl_target("http://b.test:99999/"), crawl_target("http://b.test/a b")
    (None, None, None)
    """
    plain = _PLAIN_TARGET.match(url)
    if plain is not None and not _SPACE.search(url):
        scheme, host, port = plain.groups()
        number = None if port is None else int(port)
        if number is None or number <= 65535:
            host = host.lower()
            return Target(_site_key(url, scheme, host, number), host)
        return None
    return _crawl_target(url)


# A plain http(s) link: ASCII host (no user, no IPv6 literal), optional port, then the path.
_PLAIN_TARGET = re.compile(r"(?i)(https?)://([a-z0-9][a-z0-9.-]*)(?::([0-9]{1,5}))?(?=[/?#]|\Z)")


def _crawl_target(url: str) -> Target | None:
    """:func:`crawl_target` for any URL, by ``urlsplit``."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port out of range or not a number
        hostname = parts.hostname
        if parts.scheme.lower() not in CRAWLABLE_SCHEMES or not hostname or _SPACE.search(url):
            return None
        # A host that cannot be written in IDNA (or a URL w3lib cannot read) is no link either.
        return Target(_site_key(url, parts.scheme, hostname, port), hostname)
    except ValueError:
        return None


@lru_cache(maxsize=65_536)
def site_of(url: str) -> str:
    """Return the site key of ``url``: what KB Crawl calls a site, and what budgets count against.

    The host, lower-cased, without a leading ``www.``, followed by ``:port`` when the port is not
    the scheme's default. Each blog on a shared host name (``a.blogspot.com``) is its own site.

    >>> site_of("https://WWW.Example.com/a")
    'example.com'
    >>> site_of("http://a.blogspot.com:8080/x")
    'a.blogspot.com:8080'
    >>> site_of("https://example.com:443/")
    'example.com'
    >>> site_of("http://bücher.test/") == site_of("http://xn--bcher-kva.test/")
    True
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return _site_key(url, parts.scheme, parts.hostname or "", port)


def _site_key(url: str, scheme: str, hostname: str, port: int | None) -> str:
    host = hostname.rstrip(".")
    if not host.isascii():
        # The same site however its name is spelt: as written (bücher.test) or as sent (IDNA).
        host = urlsplit(safe_url_string(url)).hostname or host
    host = _WWW.sub("", host, count=1)
    if port is not None and _DEFAULT_PORTS.get(scheme.lower()) != port:
        return f"{host}:{port}"
    return host


def is_crawlable(url: str) -> bool:
    """Whether watch may request ``url`` at all: an ``http`` or ``https`` URL with a host.

    >>> is_crawlable("mailto:a@b.test"), is_crawlable("https://b.test/")
    (False, True)
    >>> is_crawlable("http://b.test:99999/"), is_crawlable("http://b.test/a b")
    (False, False)
    """
    return crawl_target(url) is not None
