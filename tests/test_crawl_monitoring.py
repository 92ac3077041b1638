"""Duplicates and weekly monitoring end to end: the real crawl, a real state file, a real kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import filler, page
from mockweb.crawl_settings import settings_args
from tests.conftest import REPO, Crawler

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

BODY = filler(7, 3, lang="fr")


def _article(title: str, paragraphs: list[str], links: list[str] = ()) -> Resource:
    return Resource(page(title, paragraphs, list(links)))


def _variants_web() -> dict[str, Resource]:
    """One page reachable through every kind of duplicate URL and copy."""
    home_links = [
        "http://a.test/p1",
        "http://a.test/p2?b=2&a=1",
        "http://a.test/p2?a=1&b=2&utm_source=x&fbclid=y",
        "http://a.test/p2?a=1&b=2#comments",
        "http://a.test/amp/p1",
        "http://a.test/old",
        "http://a.test/moved",
        "http://a.test/p3",
        "http://b.test/copy",
        "http://b.test/near",
    ]
    p1 = BODY
    return {
        "http://a.test/": _article("A", filler(8, 1, lang="fr"), home_links),
        # The same article under three addresses (an AMP mirror, a copy on another site)...
        "http://a.test/p1": _article("Premier", p1),
        "http://a.test/amp/p1": _article("Premier", p1),
        # The first link's spelling is the one requested.
        "http://a.test/p2?b=2&a=1": _article("Deuxième", filler(9, 2, lang="fr")),
        "http://a.test/old": Resource("", status=301, headers=(("Location", "http://a.test/p1"),)),
        "http://a.test/moved": Resource("", status=301, headers=(("Location", "http://a.test/p3"),)),
        "http://a.test/p3": _article("Troisième", filler(10, 2, lang="fr")),
        "http://b.test/copy": _article("Premier", p1),
        # ... and a near-duplicate: one sentence added.
        "http://b.test/near": _article("Premier", [*p1[:-1], p1[-1] + " Une phrase ajoutée."]),
    }


def test_each_duplicate_variant_yields_one_item(tmp_path: Path) -> None:
    with MockWeb(_variants_web()) as web:
        run = Crawler(web, tmp_path)("sites", "-a", "urls=http://a.test/")
    assert run.returncode == 0, run.stderr[-3000:]
    requested = [u for u in run.requested if not u.endswith("/robots.txt")]
    assert sum("/p2" in u for u in requested) == 1  # one request per canonical URL
    assert requested.count("http://a.test/p1") == 1
    assert requested.count("http://a.test/p3") == 1
    documents = {d["url"]: d for d in run.feed()}
    assert set(documents) == {
        "http://a.test/", "http://a.test/p1", "http://a.test/p2?b=2&a=1", "http://a.test/p3",
        "http://b.test/near",
    }  # fmt: skip
    assert documents["http://a.test/p1"]["also_at"] == ["http://b.test/copy"]
    assert documents["http://b.test/near"]["near_duplicate_of"] == "http://a.test/p1"


def _weekly_web(week: int) -> dict[str, Resource]:
    pages = {f"http://w.test/{n}": _article(f"Page {n}", filler(20 + n, 2, lang="fr")) for n in range(1, 25)}
    if week >= 2:
        pages["http://w.test/2"] = _article("Page 2", [*filler(22, 2, lang="fr"), "Mise à jour."])
        pages["http://w.test/new"] = _article("Nouvelle", filler(60, 2, lang="fr"))
        del pages["http://w.test/3"]
    links = sorted(pages)
    return {"http://w.test/": _article("W", filler(61, 1, lang="fr"), links), **pages}


def _weekly_args(state: Path, changes: str) -> tuple[str, ...]:
    return ("sites", "-a", "urls=http://w.test/", "-a", "pages_per_site=40", "-a", f"state={state}",
            "-a", f"changes={changes}")  # fmt: skip


#: What week 2 changed: the home page lists the new page and lost a removed one, so it changed too.
WEEK_TWO_CHANGES = {"http://w.test/": "changed", "http://w.test/2": "changed", "http://w.test/new": "new"}


def _start_slow_run(web: MockWeb, state: Path, changes: str) -> subprocess.Popen[bytes]:
    """A crawl in the background, slowed down so that it is still running when the test acts."""
    command = [sys.executable, "-m", "scrapy", "crawl", *_weekly_args(state, changes), *settings_args(),
               "-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]  # fmt: skip
    return subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **web.proxy_env()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_requests(web: MockWeb, process: subprocess.Popen[bytes], count: int) -> None:
    deadline = time.monotonic() + 60
    while len(web.requested_urls()) < count:
        assert process.poll() is None and time.monotonic() < deadline, "the run ended too early"
        time.sleep(0.05)


def test_second_run_exports_only_what_is_new_or_changed(tmp_path: Path) -> None:
    state = tmp_path / "watch.sqlite"
    with MockWeb(_weekly_web(1)) as web:
        first = Crawler(web, tmp_path / "1")(*_weekly_args(state, "all"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert {d["change"] for d in first.feed()} == {"new"}
    with MockWeb(_weekly_web(2)) as web:
        second = Crawler(web, tmp_path / "2")(*_weekly_args(state, "changed"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert {d["url"]: d["change"] for d in second.feed()} == WEEK_TWO_CHANGES


def test_a_killed_run_loses_nothing(tmp_path: Path) -> None:
    state = tmp_path / "watch.sqlite"
    with MockWeb(_weekly_web(1)) as web:
        assert Crawler(web, tmp_path / "1")(*_weekly_args(state, "all")).returncode == 0
    with MockWeb(_weekly_web(2)) as web:
        killed = _start_slow_run(web, state, "changed")
        _wait_for_requests(web, killed, 12)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        third = Crawler(web, tmp_path / "3")(*_weekly_args(state, "changed"))
    assert third.returncode == 0, third.stderr[-3000:]
    assert {d["url"]: d["change"] for d in third.feed()} == WEEK_TWO_CHANGES


def test_two_runs_on_one_state_are_refused(tmp_path: Path) -> None:
    state = tmp_path / "watch.sqlite"
    with MockWeb(_weekly_web(1)) as web:
        running = _start_slow_run(web, state, "all")
        try:
            _wait_for_requests(web, running, 3)
            second = Crawler(web, tmp_path / "2")(*_weekly_args(state, "all"))
        finally:
            running.kill()
            running.wait(timeout=30)
    assert second.returncode == 2
    assert "is in use by another watch run" in second.stderr
    assert second.stderr.count("\n") == 1
