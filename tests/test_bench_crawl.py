"""The crawl benchmark's web is the one it claims, and ``python -m bench.crawl --quick`` runs.

Both crawls must be able to fetch exactly the pages the benchmark checks: every page of levels 1-5
links every page of its site, every link lands on a page of the web, sites lie on the levels
claimed, and the pages keep their real markup.
"""

from __future__ import annotations

import doctest
import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

import bench.crawl
import bench.crawl_web
from bench.crawl import Measure, barriers, check
from bench.crawl_web import CORPUS, LEVELS, PAGES_PER_SITE, START_URL, TERMS, build_bench_web, level_sizes
from mockweb.server import RecordedRequest, Resource, resource_key
from tests.conftest import REPO
from watch.text import visible_text
from watch.urls import site_of

QUICK = build_bench_web(30)
FULL = build_bench_web(270)


def _response(url: str, resource: Resource) -> HtmlResponse:
    return HtmlResponse(url, body=resource.encoded_body, headers={"Content-Type": resource.content_type})


def _links(url: str, resource: Resource) -> list[str]:
    """The links both crawlers take: watch's LinkExtractor and the bare spider's ``a::attr(href)``."""
    response = _response(url, resource)
    extracted = [link.url for link in LinkExtractor().extract_links(response)]
    followed = [response.urljoin(href) for href in response.css("a::attr(href)").getall()]
    return [resource_key(link) for link in extracted + followed]


@pytest.mark.parametrize(
    ("sites", "sizes"),
    [
        (270, (30, 60, 60, 60, 60)),
        (30, (3, 7, 7, 7, 6)),
        (5, (1, 1, 1, 1, 1)),
        (9, (1, 2, 2, 2, 2)),
        (100, (11, 23, 22, 22, 22)),
    ],
)
def test_level_sizes_share_out_every_site(sites: int, sizes: tuple[int, ...]) -> None:
    assert level_sizes(sites) == sizes
    assert sum(sizes) == sites


def test_level_sizes_need_one_site_per_level() -> None:
    with pytest.raises(ValueError, match="at least 5 sites"):
        level_sizes(4)


def test_sites_have_the_page_budget_and_level_six_one_page() -> None:
    pages = Counter(site_of(url) for url in QUICK.resources)
    assert pages.pop(site_of(START_URL)) == 1
    assert {QUICK.levels[site] for site in pages} == set(range(1, LEVELS + 2))
    assert {n for site, n in pages.items() if QUICK.levels[site] <= LEVELS} == {PAGES_PER_SITE}
    assert {n for site, n in pages.items() if QUICK.levels[site] > LEVELS} == {1}
    assert len(QUICK.beyond) == level_sizes(30)[-1]
    assert QUICK.required | QUICK.beyond == {resource_key(url) for url in QUICK.resources}


def test_the_web_is_closed_and_each_page_links_its_whole_site() -> None:
    keys = {resource_key(url) for url in QUICK.resources}
    for url, resource in QUICK.resources.items():
        links = set(_links(url, resource))
        assert links <= keys, url
        if QUICK.levels[site_of(url)] in range(1, LEVELS + 1):
            site_pages = {key for key in keys if site_of(key) == site_of(url)}
            assert site_pages <= links, url


def test_sites_lie_on_the_levels_claimed() -> None:
    """A site's level is the fewest site-to-site hops from the portal (a site-graph BFS)."""
    links_of: dict[str, set[str]] = {}
    for url, resource in QUICK.resources.items():
        links_of.setdefault(site_of(url), set()).update(site_of(u) for u in _links(url, resource))
    levels = {site_of(START_URL): 0}
    frontier = [site_of(START_URL)]
    while frontier:
        following = []
        for site in frontier:
            for target in sorted(links_of[site] - levels.keys()):
                levels[target] = levels[site] + 1
                following.append(target)
        frontier = following
    assert levels == QUICK.levels


def test_pages_keep_their_real_markup() -> None:
    """Apart from link values (and a planted sentence or a list of missing links), a page is its
    corpus page, byte for byte."""
    link_value = re.compile(rb"""(<(?:a|area|base)\b[^>]*?\shref\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
    originals = {
        link_value.sub(rb"\1", gzip.decompress(path.read_bytes()))
        for path in sorted(CORPUS.glob("*.html.gz"))
    }
    kept = 0
    for url, resource in QUICK.resources.items():
        body = link_value.sub(rb"\1", resource.encoded_body)
        planted = url in QUICK.planted or url == QUICK.planted_beyond
        if not planted and b'<ul class="more">' not in body and url != START_URL:
            assert body in originals, url
            kept += 1
    assert kept > len(QUICK.resources) * 0.9


def test_terms_appear_only_where_planted() -> None:
    """No corpus page holds a term of the equation, so watch must export exactly the planted pages."""
    for path in sorted(CORPUS.glob("*.html.gz")):
        text = visible_text(gzip.decompress(path.read_bytes())).text.casefold()
        assert not [term for term in TERMS if term.casefold() in text], path.name

    for web in (QUICK, FULL):
        assert len(web.planted) == bench.crawl_web.PLANTED_PAGES
        for url, term in {**web.planted, web.planted_beyond: "Carata"}.items():
            response = _response(url, web.resources[url])
            assert term in visible_text(response.text).text, url
        assert web.levels[site_of(web.planted_beyond)] == LEVELS + 1


def test_the_web_is_deterministic() -> None:
    assert build_bench_web(30) == QUICK


def test_barriers_from_a_log() -> None:
    def request(url: str, at: float) -> RecordedRequest:
        return RecordedRequest("GET", url, at, {})

    log = (
        request("http://a.test/robots.txt", 0.0), request("http://a.test/", 0.0),
        request("http://a.test/2", 1.0), request("http://a.test/3", 1.0),
        request("http://b.test/robots.txt", 3.0), request("http://b.test/", 4.0),
        request("http://c.test/robots.txt", 6.0), request("http://c.test/", 7.0),
    )  # fmt: skip
    levels = {"a.test": 1, "b.test": 2, "c.test": 3}
    found = barriers(log, levels, latency=1.0, concurrency=4, level_starts={2: 2.5, 3: 5.5})
    assert [(b.level, b.gap_s, b.backlog_s, b.robots_s, b.drain_s) for b in found] == [
        (1, 2.0, 0.5, 1.0, 1.0),  # half of 4 in flight until 1.0, the last answer at 2.0
        (2, 2.0, 0.5, 1.0, 2.0),  # never half: the whole level, 3.0 to 5.0
    ]


def _measure(name: str, urls: set[str]) -> Measure:
    requests = tuple(RecordedRequest("GET", url, float(i), {}) for i, url in enumerate(sorted(urls)))
    return Measure(name, requests, wall_s=1.0, cpu_s=1.0, peak_rss_mb=1.0, server_cpu_s=0.0)


def test_check_fails_a_crawl_that_did_not_do_the_work(tmp_path: Path) -> None:
    feed = tmp_path / "watch.jsonl"
    feed.write_text("".join(json.dumps({"url": url}) + "\n" for url in QUICK.planted))
    levels = dict(enumerate(level_sizes(30), start=1))
    bare = _measure("bare", set(QUICK.required | QUICK.beyond))
    watch = _measure("watch", set(QUICK.required))
    assert check(QUICK, bare, watch, levels, feed) == []
    one_short = _measure("watch", set(QUICK.required) - {START_URL})
    assert check(QUICK, bare, one_short, levels, feed) == ["watch fetched 1 page(s) too few and 0 too many"]
    too_deep = _measure("watch", set(QUICK.required | {QUICK.planted_beyond}))
    assert "watch sent requests to 1 level-6 site(s)" in check(QUICK, bare, too_deep, levels, feed)
    assert check(QUICK, bare, watch, {**levels, 5: 1}, feed)
    feed.write_text(json.dumps({"url": START_URL}) + "\n")
    assert check(QUICK, bare, watch, levels, feed) == [
        "watch exported 1 document(s), 0 of the 12 pages that hold a term, and 1 other(s)"
    ]


@pytest.mark.parametrize("module", [bench.crawl, bench.crawl_web])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.slow
def test_quick_benchmark_crawls_the_whole_web_twice() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.crawl", "--quick", "--latency", "0.05"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {
        "latency_s", "bare_pages_per_s", "watch_pages_per_s", "ratio", "bare_cpu_s", "watch_cpu_s",
        "bare_peak_rss_mb", "watch_peak_rss_mb", "rss_ratio", "barrier_idle_s",
    }  # fmt: skip
    assert result["latency_s"] == 0.05
    assert result["bare_pages_per_s"] > 0 and result["watch_pages_per_s"] > 0
    assert result["bare_peak_rss_mb"] > 0 and result["watch_peak_rss_mb"] > 0
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("bare ", "watch "))}
    required = len(QUICK.required)
    assert int(rows["bare"][1]) >= required + len(QUICK.beyond)
    assert int(rows["watch"][1]) >= required
    assert len([line for line in lines if "->" in line]) == LEVELS - 1
