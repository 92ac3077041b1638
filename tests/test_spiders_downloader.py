"""Each site gets at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests at once, delay or no delay.

Scrapy 2.19's downloader sends a site's whole queue at once when an answer frees a slot and no
download delay applies (``spiders/downloader.py``); these crawls run with AutoThrottle off, as
the local-web settings have it, on a web that answers after a fixed latency, and count, from the
server's log, the requests each site had in flight at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import filler, page
from tests.conftest import Crawler

if TYPE_CHECKING:
    from pathlib import Path

LATENCY = 0.3
START = "http://portal.test/blogs-experts"
SITES = ("http://wide.test/", "http://broad.test/")
PAGES = 9  # linked from each site's home page: all asked for at once


def _web() -> dict[str, Resource]:
    resources = {START: Resource(page("Blogs d'experts", filler(1, 1), list(SITES)))}
    for number, home in enumerate(SITES):
        links = [f"{home}p/{index}" for index in range(1, PAGES + 1)]
        resources[home] = Resource(page("Home", filler(number, 2, lang="en"), links, lang="en"))
        for index, url in enumerate(links):
            resources[url] = Resource(page(f"Page {index}", filler(10 * number + index, 2, lang="en"), lang="en"))
    return resources


def _most_at_once(arrivals: list[float]) -> int:
    """The most requests of one site that arrived within less than a latency of each other: each
    was in flight then (the server answers each one a latency after it came)."""
    arrivals = sorted(arrivals)
    most, first = 0, 0
    for last, arrived in enumerate(arrivals):
        while arrived - arrivals[first] >= 0.9 * LATENCY:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.slow
@pytest.mark.parametrize("per_site", [1, 2, 3])
def test_a_site_never_gets_more_requests_at_once_than_allowed(tmp_path: Path, per_site: int) -> None:
    with MockWeb(_web(), latency=LATENCY) as web:
        run = Crawler(web, tmp_path)(
            "expertblogs", "-a", f"start_url={START}", "-a", "query=anything", "-a", "site_depth=1",
            "-a", f"pages_per_site={PAGES + 1}", "-a", "render=never",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={per_site}",
        )  # fmt: skip
        requests = list(web.requests)
    assert run.returncode == 0, run.stderr[-2000:]
    for home in SITES:
        host = home.split("/")[2]
        arrivals = [r.time for r in requests if r.url.split("/")[2] == host and not r.url.endswith("/robots.txt")]
        assert len(arrivals) == PAGES + 1
        assert _most_at_once(arrivals) == per_site, f"{host}: requests at once"
