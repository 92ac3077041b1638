"""End to end: the real ``scrapy crawl`` against the mock web, checked against the server's log.

The expected crawl comes from :func:`tests.reference.reference_crawl`, a slow sequential reading
of the scope rules, and from the test web's own map (decoys, depths, robots.txt). Every test that
crawls the test web runs twice: over http, and over https (the same web, every URL in https,
served through the proxy's TLS tunnels).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import TYPE_CHECKING

import pytest

from tests.conftest import Crawler
from tests.reference import reference_crawl
from watch.document import EXPORT_FIELDS
from watch.urls import canonicalize, site_of

if TYPE_CHECKING:
    from pathlib import Path

    from mockweb import MockWeb
    from tests.conftest import CrawlRun
    from tests.webs import TestWeb

pytestmark = pytest.mark.slow


def _pages_by_site(requested: list[str]) -> dict[str, list[str]]:
    pages: dict[str, list[str]] = defaultdict(list)
    for url in requested:
        if not url.endswith("/robots.txt"):
            pages[site_of(url)].append(canonicalize(url))
    return pages


@pytest.fixture(scope="module", params=["http", "https"])
def web(request: pytest.FixtureRequest) -> TestWeb:
    """The test web over http, then over https."""
    return request.getfixturevalue("test_web" if request.param == "http" else "test_web_https")


@pytest.fixture(scope="module")
def web_server(request: pytest.FixtureRequest, web: TestWeb) -> MockWeb:
    return request.getfixturevalue(
        "test_web_server" if web.scheme == "http" else "test_web_https_server"
    )


@pytest.fixture
def crawl(web_server: MockWeb, tmp_path: Path) -> Crawler:
    return Crawler(web_server, tmp_path)


@pytest.fixture(scope="module")
def default_run(
    web_server: MockWeb, web: TestWeb, tmp_path_factory: pytest.TempPathFactory
) -> CrawlRun:
    crawler = Crawler(web_server, tmp_path_factory.mktemp(f"default-{web.scheme}"))
    return crawler("expertblogs", "-a", f"start_url={web.start_url}", feeds=("out.jsonl", "out.csv"))


def test_default_crawl_succeeds(default_run: CrawlRun) -> None:
    assert default_run.returncode == 0, default_run.stderr[-3000:]


def test_every_request_uses_the_web_s_scheme(default_run: CrawlRun, web: TestWeb) -> None:
    assert {url.split(":", 1)[0] for url in default_run.requested} == {web.scheme}
    hosts = {url.split("/")[2] for url in default_run.requested}
    tunnels = {authority.removesuffix(":443") for authority in default_run.tunnels}
    assert bool(tunnels) == (web.scheme == "https")
    if tunnels:
        # Scrapy opens a tunnel per connection; every host read was reached through one.
        assert hosts <= tunnels
        # Scrapy does not verify certificates, but warns when one does not name its host.
        assert "Remote certificate is not valid" not in default_run.stderr


@pytest.mark.parametrize(("site_depth", "pages_per_site"), [(5, 10), (2, 3), (7, 4), (1, 1)])
def test_requests_are_exactly_the_reference_crawl(
    crawl: Crawler, web: TestWeb, site_depth: int, pages_per_site: int
) -> None:
    run = crawl(
        "expertblogs",
        "-a", f"start_url={web.start_url}",
        "-a", f"site_depth={site_depth}",
        "-a", f"pages_per_site={pages_per_site}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    expected = reference_crawl(
        web.resources,
        seeds=web.seeds,
        start_url=web.start_url,
        site_depth=site_depth,
        pages_per_site=pages_per_site,
    )
    # Over https, a host the web does not serve (gone.test) refuses the tunnel: the page request
    # never reaches the server, its CONNECT does.
    served = {site_of(url) for url in web.resources}
    tunnelled = {site_of(f"https://{authority}/") for authority in run.tunnels}
    reached = {site for site in expected.pages if site in served or web.scheme == "http"}
    got = _pages_by_site(run.requested)
    assert {site: sorted(pages) for site, pages in got.items()} == {
        site: sorted(pages) for site, pages in expected.pages.items() if pages and site in reached
    }
    if web.scheme == "https":
        assert {site for site, pages in expected.pages.items() if pages} <= tunnelled
    coverage = run.coverage()
    for site, level in expected.site_levels.items():
        assert coverage["levels"][str(level)].count(site) == 1, site
    # Never a request of any kind (robots.txt included) to a site beyond the depth or a decoy.
    requested_sites = {site_of(url) for url in run.requested} | tunnelled
    assert not requested_sites & (expected.never_requested_sites | web.decoy_sites)
    assert requested_sites == set(expected.site_levels)


def test_no_request_under_a_robots_disallow(default_run: CrawlRun, web: TestWeb) -> None:
    expected = reference_crawl(web.resources, seeds=web.seeds, start_url=web.start_url)
    disallowed = {canonicalize(url) for urls in expected.disallowed.values() for url in urls}
    assert disallowed, "the test web must have robots.txt disallows inside the budget"
    assert not disallowed & {canonicalize(url) for url in default_run.requested}


def test_pagination_blogs_and_chrome_links_are_never_touched(
    default_run: CrawlRun, web: TestWeb
) -> None:
    requested_sites = {site_of(url) for url in default_run.requested}
    assert not requested_sites & web.decoy_sites
    assert [u for u in default_run.requested if site_of(u) == "portal.test"] == [
        web.url("http://portal.test/robots.txt"),
        web.start_url,
    ]


def test_seeds_are_written_in_order(default_run: CrawlRun, web: TestWeb) -> None:
    rows = list(csv.DictReader(io.StringIO((default_run.out_dir / "seeds.csv").read_text("utf-8-sig"))))
    # Rank 0 is the start page, so that a rerun from this file knows the portal as level 0.
    assert [row["url"] for row in rows] == [web.start_url, *web.seeds]
    assert [row["rank"] for row in rows] == [str(i) for i in range(len(web.seeds) + 1)]


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


def test_rerun_from_the_frozen_seed_list(crawl: Crawler, default_run: CrawlRun, web: TestWeb) -> None:
    seeds = default_run.out_dir / "seeds.csv"
    frozen = seeds.with_name("frozen-seeds.csv")
    frozen.write_bytes(seeds.read_bytes())
    run = crawl("expertblogs", "-a", f"seeds_file={frozen}")
    assert run.returncode == 0, run.stderr[-3000:]
    first = {u for u in default_run.requested if site_of(u) != "portal.test"}
    assert set(run.requested) == first


def test_sites_spider_takes_seeds_from_arguments(crawl: Crawler, web: TestWeb) -> None:
    seeds = [web.url("http://wide.test/"), web.url("http://chain4.test/")]
    run = crawl("sites", "-a", f"urls={','.join(seeds)}", "-a", "site_depth=2")
    assert run.returncode == 0, run.stderr[-3000:]
    expected = reference_crawl(web.resources, seeds=seeds, site_depth=2)
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
