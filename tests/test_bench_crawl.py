"""The crawl benchmark's web is the one it claims, and ``python -m bench.crawl --quick`` runs.

The web must let both crawls fetch exactly the same pages: every site has exactly the page
budget, every link lands on a page of the web, and the sites lie on levels 1 to 5.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urljoin

import lxml.html
import pytest

from bench.crawl import PAGES_PER_SITE, START_URL, build_bench_web, level_sizes
from mockweb.server import Resource, resource_key
from watch.urls import site_of
from tests.conftest import REPO

QUICK_WEB = build_bench_web(30)


def _links(url: str, resource: Resource) -> list[str]:
    body = resource.body if isinstance(resource.body, str) else resource.body.decode("utf-8")
    root = lxml.html.document_fromstring(body)
    return [resource_key(urljoin(url, href)) for href in root.xpath("//a/@href")]


def _site_levels(web: dict[str, Resource]) -> dict[str, int]:
    """Each site's level: the fewest site-to-site hops from the portal (a site-graph BFS)."""
    links_of: dict[str, set[str]] = {}
    for url, resource in web.items():
        links_of.setdefault(site_of(url), set()).update(site_of(u) for u in _links(url, resource))
    levels = {site_of(START_URL): 0}
    frontier = [site_of(START_URL)]
    while frontier:
        following = []
        for site in frontier:
            for target in sorted(links_of[site]):
                if target not in levels:
                    levels[target] = levels[site] + 1
                    following.append(target)
        frontier = following
    return levels


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


def test_every_site_has_exactly_the_page_budget() -> None:
    pages: dict[str, int] = {}
    for url in QUICK_WEB:
        pages[site_of(url)] = pages.get(site_of(url), 0) + 1
    del pages[site_of(START_URL)]
    assert len(pages) == 30
    assert set(pages.values()) == {PAGES_PER_SITE}


def test_the_web_is_closed_and_every_page_is_reached_from_its_home() -> None:
    keys = {resource_key(url) for url in QUICK_WEB}
    linked = {link for url, r in QUICK_WEB.items() for link in _links(url, r)}
    assert linked <= keys
    assert keys - linked == set()  # the portal is linked back to as well


def test_sites_lie_on_levels_one_to_five() -> None:
    levels = _site_levels(QUICK_WEB)
    by_level = [sum(1 for level in levels.values() if level == n) for n in range(1, 6)]
    assert tuple(by_level) == level_sizes(30)
    assert max(levels.values()) == 5


def test_the_web_is_deterministic() -> None:
    assert build_bench_web(30) == QUICK_WEB


@pytest.mark.slow
def test_quick_benchmark_crawls_the_whole_web_twice() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.crawl", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"bare_pages_per_s", "watch_pages_per_s", "ratio"}
    assert result["bare_pages_per_s"] > 0 and result["watch_pages_per_s"] > 0
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("bare", "watch"))}
    expected_pages = 30 * PAGES_PER_SITE + 1
    assert int(rows["bare"][1]) >= expected_pages
    assert int(rows["watch"][1]) >= expected_pages
