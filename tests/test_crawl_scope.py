"""End to end: the real ``scrapy crawl`` against the mock web, checked against the server's log.

The expected crawl comes from :func:`tests.reference.reference_crawl`, a slow sequential reading
of the scope rules, and from the test web's own map (decoys, depths, robots.txt).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import TYPE_CHECKING

import pytest

from tests.reference import reference_crawl
from watch.document import EXPORT_FIELDS
from watch.urls import canonicalize, site_of

if TYPE_CHECKING:
    from tests.conftest import CrawlRun, Crawler
    from tests.webs import TestWeb

pytestmark = pytest.mark.slow


def _pages_by_site(requested: list[str]) -> dict[str, list[str]]:
    pages: dict[str, list[str]] = defaultdict(list)
    for url in requested:
        if not url.endswith("/robots.txt"):
            pages[site_of(url)].append(canonicalize(url))
    return pages


@pytest.fixture(scope="module")
def default_run(test_web_server, test_web: TestWeb, tmp_path_factory) -> CrawlRun:
    from tests.conftest import Crawler

    crawler = Crawler(test_web_server, tmp_path_factory.mktemp("default"))
    return crawler("expertblogs", "-a", f"start_url={test_web.start_url}", feeds=("out.jsonl", "out.csv"))


def test_default_crawl_succeeds(default_run: CrawlRun) -> None:
    assert default_run.returncode == 0, default_run.stderr[-3000:]


@pytest.mark.parametrize(("site_depth", "pages_per_site"), [(5, 10), (2, 3), (7, 4), (1, 1)])
def test_requests_are_exactly_the_reference_crawl(
    crawl: Crawler, test_web: TestWeb, site_depth: int, pages_per_site: int
) -> None:
    run = crawl(
        "expertblogs",
        "-a", f"start_url={test_web.start_url}",
        "-a", f"site_depth={site_depth}",
        "-a", f"pages_per_site={pages_per_site}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    expected = reference_crawl(
        test_web.resources,
        seeds=test_web.seeds,
        start_url=test_web.start_url,
        site_depth=site_depth,
        pages_per_site=pages_per_site,
    )
    got = _pages_by_site(run.requested)
    assert {site: sorted(pages) for site, pages in got.items()} == {
        site: sorted(pages) for site, pages in expected.pages.items() if pages
    }
    coverage = run.coverage()
    for site, level in expected.site_levels.items():
        assert coverage["levels"][str(level)].count(site) == 1, site
    # Never a request of any kind (robots.txt included) to a site beyond the depth or a decoy.
    requested_sites = {site_of(url) for url in run.requested}
    assert not requested_sites & (expected.never_requested_sites | test_web.decoy_sites)
    assert requested_sites == set(expected.site_levels)


def test_no_request_under_a_robots_disallow(default_run: CrawlRun, test_web: TestWeb) -> None:
    expected = reference_crawl(test_web.resources, seeds=test_web.seeds, start_url=test_web.start_url)
    disallowed = {canonicalize(url) for urls in expected.disallowed.values() for url in urls}
    assert disallowed, "the test web must have robots.txt disallows inside the budget"
    assert not disallowed & {canonicalize(url) for url in default_run.requested}


def test_pagination_blogs_and_chrome_links_are_never_touched(
    default_run: CrawlRun, test_web: TestWeb
) -> None:
    requested_sites = {site_of(url) for url in default_run.requested}
    assert not requested_sites & test_web.decoy_sites
    assert [u for u in default_run.requested if site_of(u) == "portal.test"] == [
        "http://portal.test/robots.txt",
        test_web.start_url,
    ]


def test_seeds_are_written_in_order(default_run: CrawlRun, test_web: TestWeb) -> None:
    rows = list(csv.DictReader(io.StringIO((default_run.out_dir / "seeds.csv").read_text("utf-8-sig"))))
    # Rank 0 is the start page, so that a rerun from this file knows the portal as level 0.
    assert [row["url"] for row in rows] == [test_web.start_url, *test_web.seeds]
    assert [row["rank"] for row in rows] == [str(i) for i in range(len(test_web.seeds) + 1)]


def test_feeds_carry_every_field(default_run: CrawlRun) -> None:
    documents = default_run.feed("out.jsonl")
    assert documents
    for document in documents:
        assert list(document) == list(EXPORT_FIELDS)
    raw = (default_run.out_dir / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(documents)
    assert list(rows[0]) == list(EXPORT_FIELDS)
    levels = {document["site"]: document["site_level"] for document in documents}
    assert levels["portal.test"] == 0
    assert levels["chain1.test"] == 1
    assert levels["chain5.test"] == 5


def test_coverage_report_explains_the_run(default_run: CrawlRun) -> None:
    coverage = default_run.coverage()
    assert coverage["levels"]["0"] == ["portal.test"]
    assert "chain6.test" in coverage["sites_too_deep"]
    assert coverage["skipped"]["robots_txt"] > 0
    assert coverage["skipped"]["links_beyond_page_budget"] > 0
    assert coverage["documents_exported"] == len(default_run.feed("out.jsonl"))
    assert "Pages requested:" in default_run.stderr


def test_rerun_from_the_frozen_seed_list(crawl: Crawler, default_run: CrawlRun, test_web: TestWeb) -> None:
    seeds = default_run.out_dir / "seeds.csv"
    frozen = seeds.with_name("frozen-seeds.csv")
    frozen.write_bytes(seeds.read_bytes())
    run = crawl("expertblogs", "-a", f"seeds_file={frozen}")
    assert run.returncode == 0, run.stderr[-3000:]
    first = {u for u in default_run.requested if site_of(u) != "portal.test"}
    assert set(run.requested) == first


def test_sites_spider_takes_seeds_from_arguments(crawl: Crawler, test_web: TestWeb) -> None:
    run = crawl("sites", "-a", "urls=http://wide.test/,http://chain4.test/", "-a", "site_depth=2")
    assert run.returncode == 0, run.stderr[-3000:]
    expected = reference_crawl(
        test_web.resources, seeds=["http://wide.test/", "http://chain4.test/"], site_depth=2
    )
    assert {canonicalize(u) for u in run.requested if not u.endswith("robots.txt")} == {
        url for pages in expected.pages.values() for url in pages
    }


def test_full_text_only_when_asked(crawl_small: Crawler, small_web: TestWeb) -> None:
    plain = crawl_small("expertblogs", "-a", f"start_url={small_web.start_url}")
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert all("text" not in document for document in plain.feed())
    full = crawl_small("expertblogs", "-a", f"start_url={small_web.start_url}", "-a", "with_text=1")
    assert full.returncode == 0, full.stderr[-3000:]
    texts = {document["url"]: document["text"] for document in full.feed()}
    assert "The Quorum met today." in texts["http://one.test/post"]
    assert list(full.feed()[0])[-1] == "text"
