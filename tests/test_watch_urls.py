"""Canonical URLs (DESIGN §5): examples, and the laws a canonical form must obey."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.urls import (
    DEFAULT_TRACKING_PARAMETERS,
    TrackingParameters,
    _canonicalize,
    _crawl_target,
    crawl_target,
    canonicalize,
    is_crawlable,
    site_of,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=nl&utm_medium=mail&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
        ("https://example.com/?fbclid=abc&gclid=def&dclid=1&msclkid=2", "https://example.com/"),
        ("https://example.com/?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&igshid=5&p=1", "https://example.com/?p=1"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a?q=a+b", "https://example.com/a?q=a+b"),
        # Not tracking: a parameter that only starts like one.
        ("https://example.com/a?utmost=1", "https://example.com/a?utmost=1"),
        # /amp/ mirrors are different URLs: the content fingerprint folds them, not the URL.
        ("https://example.com/amp/a", "https://example.com/amp/a"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_tracking_list_is_overridable() -> None:
    tracking = TrackingParameters(["ref", "src_*"])
    url = "https://example.com/a?ref=x&src_a=1&utm_source=kept"
    assert canonicalize(url, tracking) == "https://example.com/a?utm_source=kept"


def test_default_tracking_list_covers_the_issue() -> None:
    tracking = TrackingParameters(DEFAULT_TRACKING_PARAMETERS)
    for name in ("utm_source", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid"):
        assert tracking.matches(name), name


@pytest.mark.parametrize(
    ("url", "site"),
    [("https://www.Example.com/a", "example.com"), ("http://a.blogspot.com:8080/", "a.blogspot.com:8080")],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site


def test_is_crawlable() -> None:
    assert is_crawlable("https://b.test/") and not is_crawlable("ftp://b.test/")


# -- properties -----------------------------------------------------------------------------------

_NAME = st.text("abcdefgxyz_", min_size=1, max_size=6).filter(lambda n: not TrackingParameters().matches(n))
_VALUE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
_PARAMS = st.lists(st.tuples(_NAME, _VALUE), max_size=5)
_TRACKING = st.lists(
    st.tuples(st.sampled_from(["utm_source", "utm_x", "fbclid", "gclid", "_hsenc", "igshid", "UTM_Medium"]), _VALUE),
    min_size=1,
    max_size=3,
)
_SEGMENT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6)


@st.composite
def _urls(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    host = draw(st.sampled_from(["a.test", "WWW.B.test", "c.test:8080", "d.test:443", "e.test:80"]))
    path = "/".join(quote(segment, safe="") for segment in draw(st.lists(_SEGMENT, max_size=3)))
    fragment = draw(st.sampled_from(["", "#top", "#x=1"]))
    return f"{scheme}://{host}/{path}", draw(_PARAMS), fragment


def _join(base: str, pairs: list[tuple[str, str]], fragment: str = "") -> str:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return f"{base}{'?' + query if query else ''}{fragment}"


@given(_urls())
def test_canonicalize_is_idempotent(parts: tuple) -> None:
    base, pairs, fragment = parts
    once = canonicalize(_join(base, pairs, fragment))
    assert canonicalize(once) == once


@given(_urls(), st.randoms())
def test_canonicalize_ignores_query_order(parts: tuple, random) -> None:  # noqa: ANN001
    base, pairs, fragment = parts
    shuffled = list(pairs)
    random.shuffle(shuffled)
    assert canonicalize(_join(base, shuffled, fragment)) == canonicalize(_join(base, pairs))


@given(_urls(), _TRACKING, st.randoms())
def test_canonicalize_ignores_tracking_parameters(parts: tuple, tracking: list, random) -> None:  # noqa: ANN001
    base, pairs, fragment = parts
    with_tracking = pairs + tracking
    random.shuffle(with_tracking)
    assert canonicalize(_join(base, with_tracking, fragment)) == canonicalize(_join(base, pairs))


_URL_TEXT = st.text(alphabet="aZ09.-_~!$&'()*+,;=:@/%?#[] éA", max_size=30)


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9.-]{0,20}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080", ":0080", ":99999"]),
    _URL_TEXT,
)
def test_canonicalize_short_cut_gives_the_full_steps_result(scheme: str, host: str, port: str, rest: str) -> None:
    url = f"{scheme}://{host}{port}/{rest}"
    try:
        expected = _canonicalize(url)
    except ValueError:  # a URL w3lib cannot read: the short cut must not hide the error
        with pytest.raises(ValueError):
            canonicalize(url)
        return
    assert canonicalize(url) == expected


def test_canonicalize_short_cut_on_real_links() -> None:
    import gzip

    from scrapy.http import HtmlResponse

    from spiders.links import PageLinkExtractor
    from tests.conftest import REPO

    extractor = PageLinkExtractor()
    checked = 0
    for path in sorted((REPO / "corpus" / "realpages").glob("*.html.gz"))[:40]:
        response = HtmlResponse("https://www.example.test/page", body=gzip.decompress(path.read_bytes()))
        for link in extractor.extract_links(response):
            assert canonicalize(link.url) == _canonicalize(link.url), link.url
            checked += 1
    assert checked > 1000


@given(
    st.sampled_from(["http", "https", "HTTP", "ftp", "mailto"]),
    st.sampled_from(["://", ":", "//"]),
    st.from_regex(r"[a-zA-Z0-9@\[\]:.-]{0,20}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]),
    st.text(alphabet="/?#aZ09 .:@%é\t", max_size=12),
)
def test_crawl_target_short_cut_gives_urlsplit_answer(scheme: str, sep: str, host: str, port: str, rest: str) -> None:
    url = f"{scheme}{sep}{host}{port}{rest}"
    assert crawl_target(url) == _crawl_target(url)
