"""End to end: script-built pages read in Debian's Chromium (render=auto, never, always), on the mock web.

Each crawl is the real ``scrapy crawl`` command; what the mock web saw, the feed, the coverage
report and the processes the crawl left behind are checked. The crawl runs with a marker in its
environment, which Playwright's driver and Chromium's browser process inherit: they and their
descendants (Chromium's zygotes and renderers) are the crawl's processes, watched while it runs;
none may remain once it has ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psutil
import pytest

from bench.render import crawl_processes, still_running
from mockweb import MockWeb
from mockweb.crawl_settings import settings_args
from tests.conftest import REPO
from tests.webs_render import (
    FORBIDDEN,
    NOT_SHELLS,
    SCRIPT_TERM,
    SEEDS,
    SHELLS,
    TEMPLATE_TERM,
    build_render_web,
)
from watch.chromium import browser_problem

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"
QUERY = f"{SCRIPT_TERM} OR {TEMPLATE_TERM}"
#: The pages whose text holds a term once their scripts have run.
MATCHING = {"http://spa.test/", "http://spa.test/a2", "http://ng.test/"}
SITES = {urlsplit(seed).hostname for seed in SEEDS}
#: The shells a crawl without a browser reaches (spa.test's other pages are linked by its script).
SHELLS_REACHED_PLAINLY = [url for url in SHELLS if not url.startswith("http://spa.test/a")]


@dataclass
class RenderRun:
    returncode: int
    stderr: str
    requests: list[tuple[str, str]]  # (method, url) as the mock web saw them
    #: Executables (file names) of the processes the crawl started, seen while it ran.
    processes_seen: set[str]
    #: Those processes still running after the crawl ended (pid and command line).
    left_behind: list[str]
    out_dir: Path

    def feed(self) -> list[dict]:
        lines = (self.out_dir / "out.jsonl").read_text("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def outcomes(self) -> dict[str, tuple[str, str]]:
        report = json.loads((self.out_dir / "coverage.json").read_text("utf-8"))
        return {p["url"]: (p["outcome"], p["detail"]) for site in report["sites"] for p in site["pages"]}

    def render_mode(self) -> str:
        return json.loads((self.out_dir / "coverage.json").read_text("utf-8"))["render_mode"]

    def fetched(self) -> Counter[str]:
        return Counter(url for method, url in self.requests if method == "GET")

    def stat(self, name: str) -> int:
        for line in self.stderr.splitlines():
            if line.strip().startswith(f"'{name}':"):
                return int(line.split(":", 1)[1].strip().rstrip(","))
        return 0


def crawl_rendering(web: MockWeb, out_dir: Path, *args: str) -> RenderRun:
    """Run ``scrapy crawl sites`` on the render web, watching the processes it starts."""
    marker = uuid.uuid4().hex
    command = [
        sys.executable, "-m", "scrapy", "crawl", "sites", *settings_args(), "-a", f"urls={','.join(SEEDS)}",
        "-a", f"query={QUERY}", "-s", "WATCH_RENDER_TIMEOUT=3", *args, "-O", str(out_dir / "out.jsonl"),
    ]  # fmt: skip
    env = {**os.environ, **web.proxy_env(), "WATCH_PROCESS_MARKER": marker}
    web.clear_log()
    seen: dict[tuple[int, float], psutil.Process] = {}
    executables = set()
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "crawl.log"  # a file: a full pipe would stall the crawl while it is watched
    with log.open("w") as stderr, subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr) as crawl:
        deadline = time.monotonic() + 300
        while crawl.poll() is None and time.monotonic() < deadline:
            for key, process in crawl_processes(marker).items():
                if key[0] != crawl.pid and key not in seen:
                    seen[key] = process
                    with contextlib.suppress(psutil.Error):
                        executables.add(os.path.basename(process.exe()))
            time.sleep(0.1)
        crawl.wait(timeout=max(deadline - time.monotonic(), 1))
    # Processes being torn down get a moment to go; one still there after that was left behind.
    for _ in range(20):
        left = still_running(seen)
        if not left:
            break
        time.sleep(0.1)
    requests = [(request.method, request.url) for request in web.requests]
    return RenderRun(crawl.returncode, log.read_text("utf-8"), requests, executables, left, out_dir)


def _require_browser() -> None:
    problem = browser_problem(CHROMIUM)
    if problem is not None:
        pytest.fail(f"These tests read pages in Chromium: {problem}")


@pytest.fixture(scope="module")
def render_web() -> Iterator[MockWeb]:
    with MockWeb(build_render_web()) as web:
        yield web


@pytest.fixture(scope="module")
def auto(render_web: MockWeb, tmp_path_factory: pytest.TempPathFactory) -> RenderRun:
    _require_browser()
    return crawl_rendering(render_web, tmp_path_factory.mktemp("auto"), "-a", "render=auto")


@pytest.fixture(scope="module")
def always(render_web: MockWeb, tmp_path_factory: pytest.TempPathFactory) -> RenderRun:
    _require_browser()
    return crawl_rendering(render_web, tmp_path_factory.mktemp("always"), "-a", "render=always")


@pytest.fixture(scope="module")
def never(render_web: MockWeb, tmp_path_factory: pytest.TempPathFactory) -> RenderRun:
    return crawl_rendering(render_web, tmp_path_factory.mktemp("never"), "-a", "render=never")


@pytest.mark.slow
@pytest.mark.chromium
class TestAuto:
    def test_script_built_text_is_matched(self, auto: RenderRun) -> None:
        assert auto.returncode == 0, auto.stderr[-3000:]
        assert {doc["url"] for doc in auto.feed()} == MATCHING
        assert {term for doc in auto.feed() for term in doc["matched_terms"]} == {SCRIPT_TERM, TEMPLATE_TERM}

    def test_exactly_the_shells_were_rendered(self, auto: RenderRun) -> None:
        outcomes = auto.outcomes()
        assert {url for url, (outcome, _) in outcomes.items() if outcome == "rendered"} == set(SHELLS) - {
            "http://loop.test/"
        }
        assert {url: outcome for url, (outcome, _) in outcomes.items() if url in NOT_SHELLS} == dict.fromkeys(
            NOT_SHELLS, "read"
        )
        assert outcomes["http://ng.test/"][1].startswith("plain HTML looked script-built (44 characters of text")
        assert auto.stat("watch/render/candidates") == 6  # the shells fetched plainly (loop.test's too)
        assert auto.stat("watch/render/rendered") == len(SHELLS) - 1

    def test_two_shells_with_gain_send_the_site_straight_to_the_browser(self, auto: RenderRun) -> None:
        fetched = auto.fetched()
        # spa.test's first two pages were fetched plainly, then rendered; the others went straight
        # to the browser: one request each. No page used a second slot: five pages counted.
        assert [fetched[f"http://spa.test{path}"] for path in ("/", "/a1", "/a2", "/a3", "/a4")] == [2, 2, 1, 1, 1]
        assert auto.stat("watch/render/sites_direct") == 1
        # Rendering added nothing on quiet.test: both pages fetched plainly, rendered, never direct.
        assert (fetched["http://quiet.test/"], fetched["http://quiet.test/about"]) == (2, 2)
        assert auto.stat("watch/render/added_nothing") == 2
        assert all(fetched[url] == 1 for url in NOT_SHELLS)
        report = json.loads((auto.out_dir / "coverage.json").read_text("utf-8"))
        budgets = {site["site"]: site["pages_counted"] for site in report["sites"]}
        assert budgets["spa.test"] == 5 and budgets["quiet.test"] == 2

    def test_links_are_those_of_the_rendered_page(self, auto: RenderRun) -> None:
        urls = {url for _, url in auto.requests}
        assert "http://spa.test/a4" in urls  # written by the script only
        assert "http://spa.test/shell-only" not in urls  # in the shell, removed by the script

    def test_the_browser_reaches_nothing_but_the_crawl(self, auto: RenderRun) -> None:
        assert "http://spa.test/api/home.json" in {url for _, url in auto.requests}  # the browser did run scripts
        assert not set(FORBIDDEN) & {url for _, url in auto.requests}
        assert [request for request in auto.requests if request[0] != "GET"] == []  # no CONNECT (WebSocket, Google)
        assert {urlsplit(url).hostname for _, url in auto.requests} == SITES
        for reason in ("image", "font", "frame", "private_address"):
            assert auto.stat(f"watch/render/refused/{reason}") > 0

    def test_a_failed_rendering_keeps_the_plain_page(self, auto: RenderRun) -> None:
        outcome, detail = auto.outcomes()["http://loop.test/"]
        assert outcome == "script_shell"
        assert "rendering failed (TimeoutError: Page.goto: Timeout 3000ms exceeded." in detail
        assert auto.stat("watch/render/failed") == 1

    def test_one_browser_and_nothing_left_behind(self, auto: RenderRun) -> None:
        assert {"chromium", "node"} <= auto.processes_seen
        assert auto.stat("playwright/browser_count") == 1
        assert auto.left_behind == []


@pytest.mark.slow
class TestNever:
    def test_no_browser_and_the_gap_is_named(self, never: RenderRun) -> None:
        assert never.returncode == 0, never.stderr[-3000:]
        assert never.feed() == []
        assert not never.processes_seen & {"chromium", "node", "chrome"}
        assert "http://spa.test/app.js" not in {url for _, url in never.requests}
        outcomes = never.outcomes()
        # spa.test's other pages are linked by its script only: without a browser, never reached.
        reached = SHELLS_REACHED_PLAINLY
        assert {url: outcomes[url][0] for url in reached} == dict.fromkeys(reached, "script_shell")
        assert all(outcomes[url][1].endswith("read without a browser: render=never") for url in reached)
        assert "http://spa.test/a1" not in outcomes
        assert "http://spa.test/shell-only" in outcomes  # the shell's own link, followed
        assert never.render_mode() == "never"


@pytest.mark.slow
@pytest.mark.chromium
class TestAlways:
    def test_every_page_is_rendered(self, always: RenderRun) -> None:
        assert always.returncode == 0, always.stderr[-3000:]
        assert {doc["url"] for doc in always.feed()} == MATCHING
        outcomes = always.outcomes()
        assert {url for url, (outcome, _) in outcomes.items() if outcome == "rendered"} == {
            *SHELLS, *NOT_SHELLS
        } - {"http://loop.test/"}
        fetched = always.fetched()
        assert all(fetched[url] == 1 for url in (*SHELLS, *NOT_SHELLS) if url != "http://loop.test/")
        assert always.stat("watch/render/candidates") == 1  # only loop.test's plain fallback was looked at
        assert always.left_behind == []


@pytest.mark.slow
def test_without_chromium_auto_crawls_and_names_the_pages(render_web: MockWeb, tmp_path: Path) -> None:
    run = crawl_rendering(render_web, tmp_path, "-s", "WATCH_CHROMIUM_PATH=/nowhere/chromium")
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = [line for line in run.stderr.splitlines() if "read without a browser in this crawl" in line]
    assert len(warnings) == 1 and "Chromium is missing: no executable at /nowhere/chromium" in warnings[0]
    outcomes = run.outcomes()
    assert {url: outcomes[url][0] for url in SHELLS_REACHED_PLAINLY} == dict.fromkeys(SHELLS_REACHED_PLAINLY, "script_shell")
    assert "no browser (Chromium is missing" in outcomes["http://spa.test/"][1]
    assert run.render_mode().startswith("auto, without a browser (Chromium is missing")
    html = (tmp_path / "coverage.html").read_text("utf-8")
    assert "looked script-built, read without a browser" in html


@pytest.mark.slow
def test_always_without_chromium_is_refused_before_any_request(render_web: MockWeb, tmp_path: Path) -> None:
    run = crawl_rendering(render_web, tmp_path, "-a", "render=always", "-s", "WATCH_CHROMIUM_PATH=/nowhere/chromium")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "scrapy crawl sites: render=always needs a browser: Chromium is missing: no executable at "
        "/nowhere/chromium (apt-get install chromium, or set WATCH_CHROMIUM_PATH)"
    )
    assert run.requests == []
