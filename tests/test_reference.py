"""The reference crawl against hand-written expectations, and the test web against its own map.

If the reference and these expectations disagree, one of them misreads the scope rules; if the
test web does not say what its map says, an end-to-end test would test something else.
"""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockweb import MockWeb, Resource
from mockweb.html import page
from tests.reference import ReferenceCrawl, reference_crawl
from tests.webs import TestWeb, build_small_web, build_test_web
from watch.normalize import words
from watch.urls import site_of

WEB = build_test_web()


@pytest.fixture(scope="module")
def crawl() -> ReferenceCrawl:
    return reference_crawl(WEB.resources, seeds=WEB.seeds, start_url=WEB.start_url)


@pytest.mark.parametrize(
    ("level", "sites"),
    [
        (0, ["portal.test"]),
        (1, ["chain1.test", "a.blogs.test", "b.blogs.test", "wide.test"]),
        (2, ["chain2.test", "longchain.test", "robots.test", "twice.test"]),
        (3, ["chain3.test", "gone.test", "forum.test"]),
        (4, ["chain4.test"]),
        (5, ["chain5.test"]),
    ],
)
def test_sites_per_level(crawl: ReferenceCrawl, level: int, sites: list[str]) -> None:
    assert crawl.sites_at(level) == sites


def test_sites_beyond_depth_are_never_requested(crawl: ReferenceCrawl) -> None:
    assert crawl.never_requested_sites == {"chain6.test"}
    requested_sites = {site_of(url) for url in crawl.requested_urls()}
    assert not requested_sites & ({"chain6.test", "chain7.test", "unseen.test"} | WEB.decoy_sites)
    assert set(crawl.site_levels) == requested_sites


def test_deeper_site_depth_reaches_further() -> None:
    deeper = reference_crawl(WEB.resources, seeds=WEB.seeds, start_url=WEB.start_url, site_depth=7)
    assert deeper.sites_at(6) == ["chain6.test"]
    assert deeper.sites_at(7) == ["chain7.test"]
    assert deeper.never_requested_sites == {"chain8.test"}


def test_only_the_start_page_of_the_portal_is_read(crawl: ReferenceCrawl) -> None:
    assert crawl.pages["portal.test"] == [WEB.start_url]
    assert "http://portal.test/blogs-experts?page=2" not in crawl.requested_urls()


def test_wide_tree_reads_a_breadth_first_prefix(crawl: ReferenceCrawl) -> None:
    base = "http://wide.test"
    assert crawl.pages["wide.test"] == [
        f"{base}/",
        *(f"{base}/s{i}" for i in range(1, 6)),
        f"{base}/s3/a2",  # linked from home, so before the sections' articles
        f"{base}/s1/a1",
        f"{base}/s1/a2",
        f"{base}/s1/a3",
    ]


def test_long_chain_is_read_from_both_entries(crawl: ReferenceCrawl) -> None:
    base = "http://longchain.test"
    assert crawl.entries["longchain.test"] == [f"{base}/", f"{base}/page/8"]
    assert crawl.pages["longchain.test"] == [
        f"{base}/", f"{base}/page/8",
        f"{base}/page/2", f"{base}/page/9",
        f"{base}/page/3", f"{base}/page/10",
        f"{base}/page/4", f"{base}/page/11",
        f"{base}/page/5", f"{base}/page/12",
    ]  # fmt: skip


def test_trap_site_counts_errors_and_the_redirect_once(crawl: ReferenceCrawl) -> None:
    base = "http://b.blogs.test"
    assert crawl.pages["b.blogs.test"] == [
        f"{base}/",
        f"{base}/a-propos",
        f"{base}/missing",
        f"{base}/broken",
        f"{base}/broken",  # 500: asked again (RETRY_HTTP_CODES), counted once
        f"{base}/old-post",  # 301: the landing URL takes the slot
        f"{base}/new-post",
        f"{base}/rapport.pdf",  # a PDF is a document: it takes a slot like a page
        f"{base}/post-1",  # tracking, fragment and reordered variants are the same page
        f"{base}/liste?a=1&b=2",
        f"{base}/post-2",
        f"{base}/archives",
    ]
    assert crawl.counted["b.blogs.test"] == 10
    assert f"{base}/archives/2023" not in crawl.requested_urls()  # beyond the budget now


def test_robots_disallowed_pages_do_not_count(crawl: ReferenceCrawl) -> None:
    base = "http://robots.test"
    assert crawl.disallowed["robots.test"] == [
        f"{base}/private/rapport",
        f"{base}/private/notes",
        f"{base}/tmp-export",
    ]
    assert crawl.pages["robots.test"] == [f"{base}/", *(f"{base}/public/{i}" for i in range(1, 10))]


def test_robots_txt_is_fetched_once_per_site_read(crawl: ReferenceCrawl) -> None:
    assert [site_of(url) for url in crawl.robots_urls] == list(crawl.site_levels)
    assert len(set(crawl.robots_urls)) == len(crawl.robots_urls)


def test_every_page_answers_as_the_map_says(crawl: ReferenceCrawl) -> None:
    """Guards the web against typos: only the planted errors fail."""
    web = MockWeb(WEB.resources)
    statuses = {url: web.resolve(url).status for url in crawl.requested_urls()}
    failing = {url: status for url, status in statuses.items() if status != 200}
    assert failing == {
        "http://portal.test/robots.txt": 404,
        **{url: 404 for url in crawl.robots_urls if "robots.test" not in url and "gone" not in url},
        "http://b.blogs.test/missing": 404,
        "http://b.blogs.test/broken": 500,
        "http://b.blogs.test/old-post": 301,
        "http://gone.test/robots.txt": 502,
        "http://gone.test/": 502,
    }


def _main_links_to_other_sites(web: TestWeb) -> list[str]:
    root = lxml.html.document_fromstring(web.resources[web.start_url].encoded_body)
    root.make_links_absolute(web.start_url)
    anchors = root.xpath("//main//a[not(ancestor::nav)]/@href")
    portal = site_of(web.start_url)
    return [str(href) for href in anchors if href.startswith("http") and site_of(href) != portal]


@pytest.mark.parametrize("web", [WEB, build_small_web()], ids=["test_web", "small_web"])
def test_seeds_are_the_main_content_links_to_other_sites(web: TestWeb) -> None:
    assert _main_links_to_other_sites(web) == web.seeds


@pytest.mark.parametrize("web", [WEB, build_small_web()], ids=["test_web", "small_web"])
def test_decoys_exist_and_are_linked_from_the_portal(web: TestWeb) -> None:
    portal_html = "".join(
        r.encoded_body.decode() for url, r in web.resources.items() if site_of(url) == "portal.test"
    )
    for site in web.decoy_sites:
        assert any(site_of(url) == site for url in web.resources)
        assert f"http://{site}/" in portal_html


def _visible_words(resource: Resource) -> list[str]:
    root = lxml.html.document_fromstring(resource.encoded_body)
    for element in root.xpath("//script | //style"):
        element.drop_tree()
    return words(" ".join(root.itertext()))


def _contains(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack)))


def test_planted_terms_are_where_the_web_says() -> None:
    for term, urls in WEB.visible_terms.items():
        pages = {
            url: r
            for url, r in WEB.resources.items()
            if r.status == 200 and r.content_type.startswith("text/html")
        }
        found = {url for url, r in pages.items() if _contains(_visible_words(r), words(term))}
        assert found == set(urls), term
    for term, urls in WEB.hidden_terms.items():
        for url in urls:
            assert term in WEB.resources[url].encoded_body.decode()
            assert not _contains(_visible_words(WEB.resources[url]), words(term))


def test_duplicates_serve_the_same_page() -> None:
    for first, second in WEB.duplicates:
        assert WEB.resources[first].body == WEB.resources[second].body


def test_small_web() -> None:
    web = build_small_web()
    crawl = reference_crawl(web.resources, seeds=web.seeds, start_url=web.start_url)
    assert crawl.site_levels == {"portal.test": 0, "one.test": 1, "two.test": 1, "three.test": 2}
    assert crawl.requested_urls() == {
        "http://portal.test/blogs-experts",
        "http://one.test/",
        "http://one.test/post",
        "http://two.test/",
        "http://three.test/",
        *(f"http://{s}/robots.txt" for s in ("portal.test", "one.test", "two.test", "three.test")),
    }


def test_sites_spider_without_a_start_page() -> None:
    crawl = reference_crawl(WEB.resources, seeds=["http://wide.test/s2"], pages_per_site=3)
    assert crawl.site_levels == {"wide.test": 1}
    assert crawl.pages["wide.test"] == [
        "http://wide.test/s2",
        "http://wide.test/",  # the header's logo link comes first
        "http://wide.test/s2/a1",
    ]


def test_cross_site_redirect_is_refused() -> None:
    resources = {
        "http://a.test/": Resource(page("A", [], ["/go"])),
        "http://a.test/go": Resource(status=302, headers=(("Location", "http://b.test/"),)),
    }
    with pytest.raises(ValueError, match="same-site redirects only"):
        reference_crawl(resources, seeds=["http://a.test/"])


# A random web whose every page is reachable from its site's home and whose cross-site links
# point to homes: with a budget larger than any site, every reached site is read whole, so a
# site's level must be its distance from the seeds in the graph of sites.
_SITES = 6
_PAGES = 3
_cross_links = st.lists(
    st.tuples(st.integers(0, _SITES - 1), st.integers(0, _PAGES - 1), st.integers(0, _SITES - 1)),
    max_size=12,
)


def _random_web(cross_links: list[tuple[int, int, int]]) -> dict[str, Resource]:
    links: dict[tuple[int, int], list[str]] = {}
    for site in range(_SITES):
        links[site, 0] = [f"http://s{site}.test/p{p}" for p in range(1, _PAGES)]
    for site, page_number, target in cross_links:
        links.setdefault((site, page_number), []).append(f"http://s{target}.test/")
    return {
        (f"http://s{s}.test/" if p == 0 else f"http://s{s}.test/p{p}"): Resource(
            page(f"{s}.{p}", [], links.get((s, p), []))
        )
        for s in range(_SITES)
        for p in range(_PAGES)
    }


def _site_distances(cross_links: list[tuple[int, int, int]]) -> dict[str, int]:
    distance = {"s0.test": 1}
    frontier = [0]
    while frontier:
        following = []
        for site in frontier:
            for source, _, target in cross_links:
                if source == site and f"s{target}.test" not in distance:
                    distance[f"s{target}.test"] = distance[f"s{site}.test"] + 1
                    following.append(target)
        frontier = following
    return distance


@settings(max_examples=40, deadline=None)
@given(_cross_links, st.integers(1, 6))
def test_levels_are_distances_in_the_site_graph(
    cross_links: list[tuple[int, int, int]], site_depth: int
) -> None:
    crawl = reference_crawl(
        _random_web(cross_links), seeds=["http://s0.test/"], site_depth=site_depth
    )
    distances = _site_distances(cross_links)
    assert crawl.site_levels == {s: d for s, d in distances.items() if d <= site_depth}
    assert crawl.never_requested_sites == {s for s, d in distances.items() if d == site_depth + 1}
    assert all(len(crawl.pages[site]) == _PAGES for site in crawl.site_levels)


@settings(max_examples=40, deadline=None)
@given(_cross_links, st.integers(1, 4))
def test_budget_is_never_exceeded(cross_links: list[tuple[int, int, int]], budget: int) -> None:
    crawl = reference_crawl(
        _random_web(cross_links), seeds=["http://s0.test/"], pages_per_site=budget
    )
    for site, site_pages in crawl.pages.items():
        assert len(site_pages) == min(budget, _PAGES) == crawl.counted[site]
        assert len(set(site_pages)) == len(site_pages)
