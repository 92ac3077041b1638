"""The scope rules of watch/scope.py, without Scrapy: tables of cases and an order-independence law.

The law: however the pages of a level finish (any interleaving, any order), the pages the scope
hands out are those a sequential breadth-first reader takes (``_sequential`` below).
"""

from __future__ import annotations

import random
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watch.scope import CrawlScope, RedirectRefused, SlotKey
from watch.urls import site_of

# A web is {url: [linked urls]}; a URL missing from it is a failed page; ROBOTS are refused.
Web = dict[str, list[str]]


def _run(
    web: Web,
    seeds: list[str],
    site_depth: int,
    pages_per_site: int,
    *,
    robots: frozenset[str] = frozenset(),
    rng: random.Random | None = None,
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Drive a CrawlScope, finishing in-flight pages in a random order; return pages and levels."""
    rng = rng or random.Random(0)
    scope: CrawlScope[str] = CrawlScope(site_depth, pages_per_site)
    for seed in seeds:
        scope.add_seed(seed, seed)
    requested: dict[str, list[str]] = {}
    in_flight = scope.next_level()
    while in_flight:
        while in_flight:
            release = in_flight.pop(rng.randrange(len(in_flight)))
            url = release.url
            if url in robots:
                in_flight += scope.page_failed(release.key, "robots")
                continue
            requested.setdefault(release.key.site, []).append(url)
            if url in web:
                links = [(link, link) for link in web[url]]
                in_flight += scope.page_read(release.key, 200, links)
            else:
                in_flight += scope.page_failed(release.key, "error", 404)
        in_flight = scope.next_level()
    levels = {site: level for level, sites in scope.coverage()["levels"].items() for site in sites}
    return requested, {site: int(level) for site, level in levels.items()}


def _sequential(
    web: Web, seeds: list[str], site_depth: int, pages_per_site: int, robots: frozenset[str] = frozenset()
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The rules read one page at a time: the obviously-correct version."""
    levels: dict[str, int] = {}
    entries: dict[str, list[str]] = {}
    for seed in seeds:
        levels.setdefault(site_of(seed), 1)
        entries.setdefault(site_of(seed), []).append(seed)
    requested: dict[str, list[str]] = {}
    for level in range(1, site_depth + 1):
        for site in [s for s, lv in levels.items() if lv == level]:
            queue, seen, counted = deque(entries[site]), set(), 0
            while queue and counted < pages_per_site:
                url = queue.popleft()
                if url in seen:
                    continue
                seen.add(url)
                if url in robots:
                    continue
                counted += 1
                requested.setdefault(site, []).append(url)
                for link in web.get(url, []):
                    if site_of(link) == site:
                        queue.append(link)
                    elif site_of(link) not in levels:
                        levels[site_of(link)] = level + 1
                        entries[site_of(link)] = [link]
                    elif levels[site_of(link)] == level + 1:
                        entries[site_of(link)].append(link)
    return requested, {site: lv for site, lv in levels.items() if lv <= site_depth and site in requested}


@st.composite
def webs(draw: st.DrawFn) -> tuple[Web, list[str], frozenset[str]]:
    n_sites = draw(st.integers(1, 6))
    urls = [f"http://s{s}.test/p{p}" for s in range(n_sites) for p in range(draw(st.integers(1, 6)))]
    web: Web = {}
    for url in urls:
        if draw(st.integers(0, 9)) == 0:
            continue  # a failed page
        web[url] = draw(st.lists(st.sampled_from(urls), max_size=6))
    seeds = draw(st.lists(st.sampled_from(urls), min_size=1, max_size=3))
    robots = frozenset(draw(st.lists(st.sampled_from(urls), max_size=2)))
    return web, seeds, robots


@settings(max_examples=300, deadline=None)
@given(webs(), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32))
def test_parallel_scope_reads_what_a_sequential_reader_reads(
    case: tuple[Web, list[str], frozenset[str]], site_depth: int, pages_per_site: int, order: int
) -> None:
    web, seeds, robots = case
    got_pages, got_levels = _run(
        web, seeds, site_depth, pages_per_site, robots=robots, rng=random.Random(order)
    )
    want_pages, want_levels = _sequential(web, seeds, site_depth, pages_per_site, robots)
    assert {s: sorted(p) for s, p in got_pages.items()} == {s: sorted(p) for s, p in want_pages.items()}
    assert {s: lv for s, lv in got_levels.items() if s in got_pages} == want_levels


def test_budget_counts_distinct_canonical_pages() -> None:
    web = {
        "http://a.test/": ["http://a.test/x?b=2&a=1", "http://a.test/x?a=1&b=2#top", "http://a.test/y"],
        "http://a.test/x?b=2&a=1": [],
        "http://a.test/y": [],
    }
    pages, _ = _run(web, ["http://a.test/"], 1, 10)
    assert sorted(pages["a.test"]) == ["http://a.test/", "http://a.test/x?b=2&a=1", "http://a.test/y"]


def test_robots_refusal_gives_the_slot_to_the_next_page() -> None:
    web = {"http://a.test/": ["http://a.test/private", "http://a.test/1", "http://a.test/2"]}
    pages, _ = _run(web, ["http://a.test/"], 1, 2, robots=frozenset({"http://a.test/private"}))
    assert pages["a.test"] == ["http://a.test/", "http://a.test/1"]


def test_site_gets_its_smallest_level_and_deeper_sites_are_never_released() -> None:
    web = {
        "http://a.test/": ["http://b.test/", "http://a.test/2"],
        "http://a.test/2": ["http://c.test/"],
        "http://b.test/": ["http://c.test/deep", "http://d.test/"],
        "http://c.test/": [],
        "http://d.test/": ["http://e.test/"],
    }
    pages, levels = _run(web, ["http://a.test/"], 2, 10)
    assert levels == {"a.test": 1, "b.test": 2, "c.test": 2}
    assert pages["c.test"] == ["http://c.test/"]  # entered at level 2; its level-3 link adds nothing
    assert "d.test" not in pages and "e.test" not in pages


def test_too_deep_sites_are_reported() -> None:
    scope: CrawlScope[None] = CrawlScope(site_depth=1, pages_per_site=5)
    scope.add_seed("http://a.test/", None)
    (first,) = scope.next_level()
    scope.page_read(first.key, 200, [("http://b.test/", None), ("mailto:x@a.test", None)])
    assert scope.next_level() == []
    coverage = scope.coverage()
    assert coverage["sites_too_deep"] == ["b.test"]
    assert coverage["events"]["too_deep_link"] == 1
    assert coverage["events"]["not_http"] == 1


def test_start_page_is_level_zero_and_only_page_of_its_site() -> None:
    scope: CrawlScope[None] = CrawlScope(site_depth=2, pages_per_site=5)
    start = scope.start_page("http://portal.test/list", None)
    assert start.site_level == 0
    scope.add_seed("http://portal.test/about", None)  # the portal's own page: not a seed
    scope.add_seed("http://blog.test/", None)
    assert scope.page_read(start.key, 200, [("http://portal.test/other", None)]) == []
    assert [r.url for r in scope.next_level()] == ["http://blog.test/"]
    assert scope.events["seed_on_known_site"] == 1


def test_cross_site_redirect_counts_where_it_lands() -> None:
    scope: CrawlScope[None] = CrawlScope(site_depth=2, pages_per_site=1)
    scope.add_seed("http://old.test/", None)
    (first,) = scope.next_level()
    moved = scope.redirect(first.key, "http://new.test/", None)
    assert moved is not None and moved.key == SlotKey("new.test", 0) and moved.site_level == 1
    scope.page_failed(first.key, "moved")
    scope.page_read(moved.key, 200, [])
    assert scope.coverage()["levels"]["1"] == ["old.test", "new.test"]
    with pytest.raises(RedirectRefused):  # new.test has no room left
        scope.redirect(SlotKey("old.test", 0), "http://new.test/other", None)


def test_same_site_redirect_keeps_its_slot() -> None:
    scope: CrawlScope[None] = CrawlScope(site_depth=1, pages_per_site=2)
    scope.add_seed("http://a.test/", None)
    (first,) = scope.next_level()
    assert scope.redirect(first.key, "http://a.test/home", None) is None
    released = scope.page_read(first.key, 200, [("http://a.test/home", None), ("http://a.test/2", None)])
    assert [r.url for r in released] == ["http://a.test/2"]


def test_lost_pages_are_closed_at_the_barrier() -> None:
    scope: CrawlScope[None] = CrawlScope(site_depth=1, pages_per_site=2)
    scope.add_seed("http://a.test/", None)
    scope.next_level()
    assert scope.in_flight() == [SlotKey("a.test", 0)]
    assert scope.next_level() == []
    assert scope.events["page_lost"] == 1


@pytest.mark.parametrize(("site_depth", "pages_per_site"), [(-1, 1), (1, 0)])
def test_rejects_meaningless_limits(site_depth: int, pages_per_site: int) -> None:
    with pytest.raises(ValueError):
        CrawlScope(site_depth, pages_per_site)


def test_redirect_into_a_site_waiting_for_the_next_level_keeps_one_site_and_one_budget() -> None:
    scope: CrawlScope[str] = CrawlScope(site_depth=5, pages_per_site=2)
    scope.add_seed("http://red.test/", "r")
    (home,) = scope.next_level()
    (jump,) = scope.page_read(home.key, 200, [("http://target.test/", "t"), ("http://red.test/jump", "j")])
    moved = scope.redirect(jump.key, "http://target.test/x", "x")
    assert moved is not None and moved.site_level == 1
    scope.page_failed(jump.key, "moved")
    released = scope.page_read(moved.key, 200, [("http://target.test/1", "1"), ("http://target.test/2", "2")])
    assert [r.url for r in released] == ["http://target.test/1"]  # budget of 2: /x and /1
    scope.page_read(released[0].key, 200, [])
    assert scope.next_level() == []  # target.test is not entered again at level 2
    (target,) = [site for site in scope.coverage()["sites"] if site["site"] == "target.test"]
    assert (target["level"], target["pages_counted"]) == (1, 2)
