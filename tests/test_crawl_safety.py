"""Safe and polite by default, end to end: private destinations refused, robots.txt Crawl-delay kept.

Every request here goes to the mock web's proxy on 127.0.0.1: a link to 10.0.0.1 that watch did
send would reach the proxy (and its log), never the 10.0.0.0/8 network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import page
from tests.conftest import Crawler

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

PRIVATE_LINKS = [
    "http://127.0.0.1:9/secret",
    "http://localhost/admin",
    "http://[::1]/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://10.0.0.1/intranet",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
]


def _moved(target: str) -> Resource:
    return Resource("", status=302, headers=(("Location", target),))


SAFETY_WEB = {
    "http://blog.test/": Resource(page("Blog", ["Home."], ["http://blog.test/a", "http://blog.test/jump", *PRIVATE_LINKS, "http://public.test/"])),
    "http://blog.test/a": Resource(page("A", ["Article."], [])),
    "http://blog.test/jump": _moved("http://192.168.1.1/router"),
    "http://public.test/": Resource(page("Public", ["Level two."], [])),
}  # fmt: skip


def test_private_destinations_are_refused_and_reported(tmp_path: Path) -> None:
    with MockWeb(SAFETY_WEB) as web:
        run = Crawler(web, tmp_path)("sites", "-a", "urls=http://blog.test/")
    assert run.returncode == 0, run.stderr[-3000:]
    hosts = {urlsplit(url).hostname for url in run.requested}
    assert hosts == {"blog.test", "public.test"}, run.requested
    coverage = run.coverage()
    refused = {entry["site"] for entry in coverage["not_crawled"] if entry["reason"] == "private_address"}
    assert refused == {
        "127.0.0.1", "localhost", "::1", "2130706433", "10.0.0.1", "169.254.169.254",
        "metadata.google.internal", "192.168.1.1",
    }  # fmt: skip
    pages = {p["url"]: p for site in coverage["sites"] for p in site["pages"]}
    assert pages["http://blog.test/jump"]["outcome"] == "redirect_refused"
    assert pages["http://blog.test/jump"]["detail"] == "redirect_private_address"
    assert {d["url"] for d in run.feed()} == {"http://blog.test/", "http://blog.test/a", "http://public.test/"}


def test_private_destinations_allowed_when_asked(tmp_path: Path) -> None:
    web_pages = {
        "http://blog.test/": Resource(page("Blog", ["Home."], ["http://127.0.0.1:9/secret", "http://localhost/admin"])),
    }
    with MockWeb(web_pages) as web:
        run = Crawler(web, tmp_path)(
            "sites", "-a", "urls=http://blog.test/", "-s", "WATCH_ALLOW_PRIVATE_NETWORKS=1"
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert {"http://127.0.0.1:9/secret", "http://localhost/admin"} <= set(run.requested)
    assert run.coverage()["not_crawled"] == []


CRAWL_DELAY_WEB = {
    "http://slow.test/robots.txt": Resource("User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"),
    "http://slow.test/": Resource(page("Slow", ["Home."], [f"http://slow.test/{n}" for n in range(1, 4)])),
    **{f"http://slow.test/{n}": Resource(page(f"P{n}", [f"Page {n}."], [])) for n in range(1, 4)},
}


@pytest.mark.parametrize("autothrottle", ["0", "1"])
def test_robots_crawl_delay_is_kept_between_requests(tmp_path: Path, autothrottle: str) -> None:
    with MockWeb(CRAWL_DELAY_WEB) as web:
        run = Crawler(web, tmp_path)(
            "sites", "-a", "urls=http://slow.test/",
            "-s", "WATCH_ROBOTS_CRAWL_DELAY=1", "-s", f"AUTOTHROTTLE_ENABLED={autothrottle}",
            "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "WATCH_CONTACT=mailto:veille@example.org",
        )  # fmt: skip
        arrivals = [r.time for r in web.requests if not r.url.endswith("/robots.txt")]
        agents = {r.headers.get("User-Agent") for r in web.requests}
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(arrivals) == 4
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    # A lower bound on the site's own pacing, not a speed measurement: the site asked for 1 s.
    assert min(gaps) >= 0.95, gaps
    assert agents == {"watch/0.2 (web monitoring crawler; +mailto:veille@example.org)"}
