"""The demo web says what it claims: its seeds, its levels, and where each planted mention lies.

The scope claims (which pages the default crawl reads) are checked against the reference
reading of the scope rules (:func:`tests.reference.reference_crawl`), so that the demo's closing
lines ("a planted mention lies beyond the page budget…") cannot drift from the web they describe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from protego import Protego
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from demo.web import (
    HIT,
    MENTIONS,
    MISSING_SITES,
    NEAR_MISS,
    OUTSIDE,
    PAGE_2_URL,
    SEEDS,
    START_URL,
    TRAP,
    UNREACHED_SITES,
    Mention,
    build_demo_web,
)
from mockweb.server import Resource, resource_key
from tests.reference import reference_crawl
from watch.normalize import words
from watch.urls import site_of
from tests.conftest import REPO

WEB = build_demo_web()
_RESOURCES = {resource_key(url): resource for url, resource in WEB.items()}
_HOSTS = {urlsplit(url).netloc for url in _RESOURCES}
#: The seed equation's terms, as word sequences.
TERMS = (
    ("quorum",),
    ("carata",),
    ("poligma",),
    ("nationbuilder",),
    ("digital", "box"),
    ("blue", "state", "digital"),
)


def _body(resource: Resource) -> str:
    return resource.encoded_body.decode("utf-8")


def _html_pages() -> dict[str, str]:
    return {
        url: _body(r)
        for url, r in WEB.items()
        if r.status == 200 and r.content_type.startswith("text/html")
    }


def _visible_words(html: str) -> list[str]:
    """Title and body text, without script, style, noscript, template, comments or attributes."""
    root = lxml.html.document_fromstring(html)
    for node in root.xpath("//script | //style | //noscript | //template | //comment()"):
        node.drop_tree()
    return words(" ".join(root.itertext()))


def _terms_in(page_words: list[str]) -> set[tuple[str, ...]]:
    return {
        term
        for term in TERMS
        for start in range(len(page_words) - len(term) + 1)
        if tuple(page_words[start : start + len(term)]) == term
    }


def _main_content_seeds(url: str, html: str) -> list[str]:
    """Links in ``<main>`` to other sites, outside pagination blocks, in document order."""
    root = lxml.html.document_fromstring(html)
    hrefs = root.xpath("//main//a[not(ancestor::nav) and not(@rel)]/@href")
    links = [urljoin(url, href) for href in hrefs]
    return [link for link in links if site_of(link) != site_of(url)]


def _robots(site: str) -> Protego | None:
    resource = _RESOURCES.get(f"http://{site}/robots.txt")
    if resource is None or resource.status != 200:
        return None
    return Protego.parse(_body(resource))


def _links(url: str, resource: Resource) -> list[str]:
    if resource.status != 200 or "html" not in resource.content_type:
        return []
    response = HtmlResponse(url, body=resource.encoded_body, encoding="utf-8")
    return [link.url for link in LinkExtractor().extract_links(response)]


PLAN = reference_crawl(
    WEB, seeds=_main_content_seeds(START_URL, _body(WEB[START_URL])), start_url=START_URL
)
#: Every page the default scope requests, as resource keys.
REQUESTED = {resource_key(url) for pages in PLAN.pages.values() for url in pages}


def test_the_web_is_deterministic() -> None:
    assert build_demo_web() == WEB


def test_start_page_lists_the_expected_blogs_in_its_main_content() -> None:
    seeds = _main_content_seeds(START_URL, _body(WEB[START_URL]))
    assert seeds == [url for url, _ in SEEDS]
    assert len({site_of(url) for url in seeds}) == 8
    assert {"veille.blogs.test", "doc.blogs.test"} <= {site_of(url) for url in seeds}


def test_start_page_paginates_to_other_blogs_and_has_boilerplate_links() -> None:
    root = lxml.html.document_fromstring(_body(WEB[START_URL]))
    (next_page,) = root.xpath("//a[@rel='next']/@href")
    assert urljoin(START_URL, next_page) == PAGE_2_URL
    page_2_blogs = _main_content_seeds(PAGE_2_URL, _body(WEB[PAGE_2_URL]))
    assert page_2_blogs and not set(page_2_blogs) & {url for url, _ in SEEDS}
    boilerplate = root.xpath("//header//a/@href | //nav//a/@href | //aside//a/@href")
    boilerplate += root.xpath("//footer//a/@href")
    external = {site_of(urljoin(START_URL, href)) for href in boilerplate} - {"universdoc.test"}
    assert external == {"actualites-doc.test", "partenaire-formation.test"}


def test_every_link_target_exists_or_is_intentionally_missing() -> None:
    targets = {
        urlsplit(link).netloc for url, resource in WEB.items() for link in _links(url, resource)
    }
    assert targets - _HOSTS == set(MISSING_SITES)
    assert not MISSING_SITES & _HOSTS


def test_the_default_scope_reads_about_thirty_sites_over_five_levels() -> None:
    assert [len(PLAN.sites_at(level)) for level in range(6)] == [1, 8, 10, 7, 4, 1]
    assert PLAN.never_requested_sites == {"confins-du-web.test"}
    assert 25 <= len(PLAN.site_levels) <= 35


def test_some_sites_have_more_pages_than_the_budget() -> None:
    pages_by_site: dict[str, int] = {}
    for url in _html_pages():
        pages_by_site[site_of(url)] = pages_by_site.get(site_of(url), 0) + 1
    large = {site for site, count in pages_by_site.items() if count > 10}
    assert large == {"bibliotheques-demain.test", "mediatheques.test"}
    assert all(PLAN.counted[site] == 10 for site in large)


def test_hits_are_read_and_outside_mentions_never_requested() -> None:
    hits = {resource_key(m.url) for m in MENTIONS if m.kind == HIT}
    outside = {resource_key(m.url) for m in MENTIONS if m.kind == OUTSIDE}
    assert len(hits) == 8 and len(outside) == 4
    assert hits <= REQUESTED
    assert not outside & REQUESTED
    assert not set(PLAN.site_levels) & set(UNREACHED_SITES)


def test_robots_txt_hides_a_page_the_site_links() -> None:
    robots = _robots("data-publique.test")
    assert robots is not None
    behind = [m.url for m in MENTIONS if "robots.txt" in m.why]
    assert behind and not robots.can_fetch(behind[0], "*")
    linked = _links("http://data-publique.test/", WEB["http://data-publique.test/"])
    assert behind[0] in linked
    assert PLAN.disallowed["data-publique.test"] == behind


def test_the_equation_terms_are_visible_exactly_on_the_hit_and_outside_pages() -> None:
    with_terms = {
        url for url, html in _html_pages().items() if _terms_in(_visible_words(html))
    }
    planted = {m.url for m in MENTIONS if m.kind in (HIT, OUTSIDE)}
    assert with_terms == planted


def test_every_term_has_an_in_scope_hit() -> None:
    hit_terms: set[tuple[str, ...]] = set()
    for mention in MENTIONS:
        if mention.kind == HIT:
            hit_terms |= _terms_in(_visible_words(_body(WEB[mention.url])))
    assert hit_terms == set(TERMS)


@pytest.mark.parametrize("mention", [m for m in MENTIONS if m.kind == TRAP], ids=lambda m: m.why)
def test_traps_hold_the_term_only_where_the_matcher_must_not_look(mention: Mention) -> None:
    html = _body(WEB[mention.url])
    assert mention.term.casefold() in f"{mention.url} {html}".casefold()
    assert not _terms_in(_visible_words(html))


@pytest.mark.parametrize(
    "mention", [m for m in MENTIONS if m.kind == NEAR_MISS], ids=lambda m: m.term
)
def test_near_misses_are_visible_but_match_no_term(mention: Mention) -> None:
    page_words = _visible_words(_body(WEB[mention.url]))
    near = words(mention.term)
    assert any(page_words[i : i + len(near)] == near for i in range(len(page_words)))
    assert not _terms_in(page_words)


def test_a_same_site_redirect_lands_on_a_page_that_exists() -> None:
    redirects = {url: r for url, r in WEB.items() if r.status in (301, 302)}
    assert redirects
    for url, resource in redirects.items():
        location = urljoin(url, dict(resource.headers)["Location"])
        assert site_of(location) == site_of(url)
        assert WEB[location].status == 200


@pytest.mark.slow
def test_make_demo_crawls_the_demo_web_and_its_checks_pass(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "demo", "--results", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("(never requested)") == 4
    for name in ("matches.jsonl", "matches.csv", "coverage.json", "seeds.csv", "crawl.log"):
        assert (tmp_path / name).is_file(), name
    exported = {
        resource_key(json.loads(line)["url"])
        for line in (tmp_path / "matches.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert exported == {resource_key(m.url) for m in MENTIONS if m.kind == HIT}
