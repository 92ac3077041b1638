"""``python -m bench.scale`` checks that both crawls did the work and gave the same answer, and runs
(no duration asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from bench.crawl import Measure
from bench.crawl_web import START_URL, build_bench_web
from bench.scale import Crawl, check
from mockweb.server import RecordedRequest
from tests.conftest import REPO

if TYPE_CHECKING:
    from bench.crawl_web import BenchWeb

QUICK = build_bench_web(30)


def _crawl(name: str, bench: BenchWeb, pages: list[set[str]], feed: list[str] | None = None) -> Crawl:
    measures = tuple(
        Measure(f"{name}{n}", tuple(RecordedRequest("GET", url, 0.0, {}) for url in sorted(urls)), 1.0, 1.0, 1.0, 0.0)
        for n, urls in enumerate(pages)
    )
    levels: dict[str, list[str]] = {}
    for site, level in bench.levels.items():
        if level <= 5:
            levels.setdefault(str(level), []).append(site)
    documents = [{"url": url} for url in sorted(bench.planted if feed is None else feed)]
    return Crawl(name, measures, 1.0, 0.0, documents, levels)  # type: ignore[arg-type]


def test_check_passes_the_work_done_and_fails_any_shortfall() -> None:
    pages = sorted(QUICK.required)
    one = _crawl("one", QUICK, [set(pages)])
    shared = _crawl("shared", QUICK, [set(pages[::2]), set(pages[1::2])])
    assert check(QUICK, one, shared) == []
    twice = _crawl("shared", QUICK, [set(pages[::2]), set(pages[::3]) | set(pages[1::2])])
    assert check(QUICK, one, twice) == [f"shared fetched 0 page(s) too few, 0 too many, {len(pages[::6])} twice"]
    helper_idle = _crawl("shared", QUICK, [set(pages), set()])
    assert check(QUICK, one, helper_idle) == ["the helper read no page"]
    short = _crawl("shared", QUICK, [set(pages[1:]) - {START_URL}, set()], feed=[START_URL])
    problems = check(QUICK, one, short)
    assert "shared fetched 1 page(s) too few, 0 too many, 0 twice" in problems
    assert "the shared crawl's feed is not the single process's" in problems
    assert "shared did not export exactly the 12 pages that hold a term" in problems


@pytest.mark.slow
@pytest.mark.redis
def test_quick_run_shares_the_crawl() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--quick", "--latency", "0.05", "--sites-at-once", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {
        "speedup", "speedup_no_latency", "latency_s", "one_pages_per_s", "shared_pages_per_s",
        "one_pages_per_s_no_latency", "shared_pages_per_s_no_latency", "redis_round_trips_per_page",
        "redis_commands_per_page", "redis_kb_per_1000_pages", "redis_peak_kb_per_1000_pages", "sites_at_once",
        "load_average",
        "machine_parallelism",
    }  # fmt: skip
    assert figures["latency_s"] == 0.05 and figures["sites_at_once"] == 2
    assert figures["speedup"] > 0 and figures["speedup_no_latency"] > 0
    assert 0 < figures["redis_round_trips_per_page"] <= figures["redis_commands_per_page"]
    assert figures["redis_kb_per_1000_pages"] > 0 and figures["machine_parallelism"] > 0
