"""``python -m bench.scale``: one watch process against a main and a helper sharing the crawl.

The web is :mod:`bench.crawl`'s (``--sites`` sites of 10 real pages on levels 1-5, one-page sites
on level 6), served with no latency (the CPU-bound case: a second process helps when the first one
is short of CPU) and with ``--latency`` seconds (0.25) before every answer. For each, side by side
in one run, as subprocesses:

* **one**: ``scrapy crawl expertblogs`` as :mod:`bench.crawl` runs it, without Redis;
* **shared**: the same command with ``-s WATCH_REDIS_URL=...`` (the main) and, started at the
  same moment, ``scrapy crawl expertblogs -a helper=1`` with the same Redis, each process behind
  its own mock web (the same pages), against a ``redis-server`` on a loopback port (persistence
  off).

Both must fetch every page of levels 0-5 exactly once in all (the shared processes between them,
checked from the servers' logs), nothing on level 6, and export the same feed (the pages where a
term was planted; fetch times apart); the helper must have read pages. Either failing ends the
benchmark with status 1; speed never does.

Per crawl: pages fetched (robots.txt apart), wall time (first process started to last one ended,
start-up included), pages per second over that time, CPU seconds and peak RSS of each process
(``os.wait4``), and the CPU the mock webs spent. For the shared crawl: Redis round trips per page
(counted by the crawl processes: ``watch/shared/redis_round_trips``), Redis commands per page
(``INFO commandstats`` before and after: the commands run inside Lua scripts count too), and the
crawl's Redis memory per 1,000 pages (``MEMORY USAGE`` of its keys once it is finished, and the
``used_memory`` growth at the end and at its peak during the crawl, sampled every 0.2 s: the links
to the next level's sites come and go with each level).

The last line is JSON: ``{"speedup", "speedup_no_latency", "latency_s", "one_pages_per_s",
"shared_pages_per_s", "one_pages_per_s_no_latency", "shared_pages_per_s_no_latency",
"redis_round_trips_per_page", "redis_commands_per_page", "redis_kb_per_1000_pages",
"redis_peak_kb_per_1000_pages", "sites_at_once",
"load_average", "machine_parallelism"}``; ``speedup`` = shared pages/s ÷ one process's, with
latency. The figures are only as good as the cores the crawls got, and other work on the machine
takes its share: each crawl runs ``--rounds`` times (3), one and shared in turn, and the best of
each is kept; ``load_average`` is the machine's one-minute load before the first crawl, and
``machine_parallelism`` how much more work two busy Python processes got done than one just
before (2.0 on two idle cores: the ceiling of a speedup measured then).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import redis

import settings.base
from bench.crawl import (
    DEFAULT_SITES,
    LATENCY,
    QUICK_SITES,
    REPO,
    SCRAPY,
    Measure,
    crawl_env,
    finish_crawl,
    run_crawl,
    start_crawl,
    watch_command,
)
from bench.crawl_web import LEVELS, PAGES_PER_SITE, build_bench_web, level_sizes
from mockweb.crawl_settings import settings_args
from mockweb.redis_server import RedisServer
from mockweb.server import MockWeb, resource_key

if TYPE_CHECKING:
    from bench.crawl_web import BenchWeb

#: Sites each process of the shared crawl holds at once, at most (``WATCH_REDIS_SITES_AT_ONCE``'s default).
SITES_AT_ONCE = settings.base.WATCH_REDIS_SITES_AT_ONCE
_ROUND_TRIPS = re.compile(r"'watch/shared/redis_round_trips': (\d+)")


@dataclass(frozen=True)
class Crawl:
    """One side of the comparison: its processes' measures and what they exported."""

    name: str
    measures: tuple[Measure, ...]
    wall_s: float
    web_cpu_s: float
    feed: list[dict[str, object]]
    levels: dict[str, list[str]]

    @property
    def pages(self) -> int:
        return sum(len(m.pages) for m in self.measures)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    def rows(self) -> list[str]:
        lines = [
            f"{self.name:<22}{self.pages:>7}{self.wall_s:>8.2f}{self.pages_per_s:>9.1f}"
            f"{sum(m.cpu_s for m in self.measures):>8.2f}{self.web_cpu_s:>9.2f}"
        ]
        if len(self.measures) > 1:
            lines += [
                f"  {m.name:<20}{len(m.pages):>7}{m.wall_s:>8.2f}{'':>9}{m.cpu_s:>8.2f}{'':>9}{m.peak_rss_mb:>8.1f}"
                for m in self.measures
            ]
        else:
            lines[0] += f"{self.measures[0].peak_rss_mb:>8.1f}"
        return lines


HEADER = f"{'crawl':<22}{'pages':>7}{'wall s':>8}{'pages/s':>9}{'CPU s':>8}{'web CPU':>9}{'RSS MB':>8}"


@dataclass(frozen=True)
class RedisCost:
    """What the shared crawl asked of Redis."""

    round_trips: int  #: counted by the crawl processes
    commands: int  #: ``INFO commandstats`` calls, script-inner commands included
    key_bytes: int  #: ``MEMORY USAGE`` of the crawl's keys, once finished
    used_memory_delta: int  #: ``INFO memory`` ``used_memory`` after minus before
    peak_memory_delta: int  #: the largest ``used_memory`` seen during the crawl (every 0.2 s), minus before


class _MemorySampler(threading.Thread):
    """Samples Redis's ``used_memory`` while the crawl runs: its frontier (the links to the next
    level's sites) comes and goes with each level."""

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.peak = int(client.info("memory")["used_memory"])
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.wait(0.2):
            self.peak = max(self.peak, int(self.client.info("memory")["used_memory"]))

    def stop(self) -> int:
        self._finished.set()
        self.join()
        return self.peak


def _commands(client: redis.Redis) -> int:
    return sum(int(entry["calls"]) for name, entry in client.info("commandstats").items() if name != "cmdstat_info")


def _key_bytes(client: redis.Redis, crawl_id: str) -> int:
    return sum(int(client.memory_usage(key) or 0) for key in client.scan_iter(match=f"watch:{crawl_id}:*"))


def _feed(path: Path) -> list[dict[str, object]]:
    documents = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return sorted(({k: v for k, v in d.items() if k != "fetched_at"} for d in documents), key=lambda d: str(d["url"]))


def _levels(out: Path) -> dict[str, list[str]]:
    return dict(json.loads((out / "coverage.json").read_text("utf-8"))["levels"])


def _web_cpu(measures: tuple[Measure, ...]) -> float:
    return max(m.server_cpu_s for m in measures)


def run_one(bench: BenchWeb, latency: float, work: Path) -> Crawl:
    """One process, no Redis."""
    out = work / f"one-{latency}"
    out.mkdir(parents=True)
    with MockWeb(bench.resources, latency=latency) as web:
        measure = run_crawl("one", watch_command(out / "watch.jsonl"), REPO, crawl_env(web), web, out / "watch.log")
    return Crawl("one process", (measure,), measure.wall_s, measure.server_cpu_s, _feed(out / "watch.jsonl"), _levels(out))


def run_shared(bench: BenchWeb, latency: float, work: Path, server: RedisServer, sites_at_once: int) -> tuple[Crawl, RedisCost]:
    """A main and a helper, started together, each behind its own mock web, one Redis."""
    out = work / f"shared-{latency}"
    out.mkdir(parents=True)
    crawl_id = f"bench-{latency}-{work.name}"
    shared = ["-a", f"crawl_id={crawl_id}", "-s", f"WATCH_REDIS_URL={server.url}",
              "-s", f"WATCH_REDIS_SITES_AT_ONCE={sites_at_once}"]  # fmt: skip
    client = redis.Redis.from_url(server.url)
    commands_before, memory_before = _commands(client), int(client.info("memory")["used_memory"])
    sampler = _MemorySampler(redis.Redis.from_url(server.url))
    sampler.start()
    with MockWeb(bench.resources, latency=latency) as main_web, MockWeb(bench.resources, latency=latency) as helper_web:
        started = time.monotonic()
        main = start_crawl("main", [*watch_command(out / "watch.jsonl"), *shared], REPO, crawl_env(main_web), main_web,
                           out / "main.log")  # fmt: skip
        helper_command = [*SCRAPY, "crawl", "expertblogs", "-a", "helper=1", *settings_args(), *shared]
        helper = start_crawl("helper", helper_command, REPO, crawl_env(helper_web), helper_web, out / "helper.log")
        measures = (finish_crawl(main), finish_crawl(helper))
        wall = time.monotonic() - started
    peak = sampler.stop()
    cost = RedisCost(
        round_trips=sum(int(_ROUND_TRIPS.findall(m.read_text("utf-8"))[-1]) for m in (out / "main.log", out / "helper.log")),
        commands=_commands(client) - commands_before,
        key_bytes=_key_bytes(client, crawl_id),
        used_memory_delta=int(client.info("memory")["used_memory"]) - memory_before,
        peak_memory_delta=peak - memory_before,
    )
    client.close()
    crawl = Crawl("main + helper (Redis)", measures, wall, _web_cpu(measures), _feed(out / "watch.jsonl"), _levels(out))
    return crawl, cost


_BURN = """
import time
end, n, d = time.monotonic() + {seconds}, 0, {{}}
while time.monotonic() < end:
    for i in range(1000):
        d[i % 97] = str(i) * 3
    n += 1
print(n)
"""


def machine_parallelism(seconds: float = 3.0) -> float:
    """How much more pure-Python work two busy processes get done than one, in the same time, on
    this machine now (2.0 on two idle cores): the ceiling of any speedup measured next to it."""
    code = _BURN.format(seconds=seconds)

    def burn(copies: int) -> int:
        running = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for _ in range(copies)]
        return sum(int(process.communicate()[0]) for process in running)

    return burn(2) / burn(1)


def check(bench: BenchWeb, one: Crawl, shared: Crawl) -> list[str]:
    """Every way either crawl fell short of the work or of the other's answer; empty when none."""
    problems = []
    sizes = dict(Counter(str(level) for level in bench.levels.values() if 1 <= level <= LEVELS))
    for crawl in (one, shared):
        fetched = [resource_key(r.url) for m in crawl.measures for r in m.pages]
        missing, extra = len(bench.required - set(fetched)), len(set(fetched) - bench.required)
        twice = len(fetched) - len(set(fetched))
        if missing or extra or twice:
            problems.append(f"{crawl.name} fetched {missing} page(s) too few, {extra} too many, {twice} twice")
        deep = {site for site, level in bench.levels.items() if level > LEVELS}
        if {urlsplit(r.url).hostname for m in crawl.measures for r in m.requests} & deep:
            problems.append(f"{crawl.name} sent requests to level-{LEVELS + 1} sites")
        counted = {level: len(sites) for level, sites in crawl.levels.items() if level != "0"}
        if counted != sizes:
            problems.append(f"{crawl.name}'s levels {counted} are not the web's {sizes}")
        if {str(d["url"]) for d in crawl.feed} != set(bench.planted):
            problems.append(f"{crawl.name} did not export exactly the {len(bench.planted)} pages that hold a term")
    if shared.feed != one.feed:
        problems.append("the shared crawl's feed is not the single process's")
    if not shared.measures[1].pages:
        problems.append("the helper read no page")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES, help=f"sites on levels 1-5 ({DEFAULT_SITES})")
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_SITES}-site web, for tests")
    parser.add_argument("--latency", type=float, default=LATENCY, help=f"seconds before every answer ({LATENCY})")
    parser.add_argument("--sites-at-once", type=int, default=SITES_AT_ONCE, help="WATCH_REDIS_SITES_AT_ONCE")
    parser.add_argument("--logs", type=Path, help="keep the crawl logs and feeds in this folder")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both crawls; the best of each is kept (3)")
    args = parser.parse_args(argv)
    sites = QUICK_SITES if args.quick else args.sites
    rounds = 1 if args.quick else args.rounds
    if sites < LEVELS or args.latency <= 0 or args.sites_at_once < 1 or rounds < 1:
        parser.error(f"need --sites >= {LEVELS}, --latency > 0, --sites-at-once >= 1 and --rounds >= 1")
    bench = build_bench_web(sites)
    print(
        f"Local web: {len(bench.required)} pages on {sites} sites + the portal, {PAGES_PER_SITE} real pages each,"
        f" sites per level {'/'.join(map(str, level_sizes(sites)))}; {len(bench.beyond)} level-6 pages;"
        f" best of {rounds} round(s)"
    )
    load = os.getloadavg()[0]
    parallelism = machine_parallelism()
    print(f"Two busy processes get {parallelism:.2f} times the work of one on this machine now (load {load:.2f})")
    best_one: dict[float, Crawl] = {}
    best_shared: dict[float, tuple[Crawl, RedisCost]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch, RedisServer() as server:
        work = args.logs.resolve() if args.logs else Path(scratch)
        subprocess.run([sys.executable, "-c", "import scrapy"], check=True)  # untimed: the disk cache
        for latency in (0.0, args.latency):
            print(f"\nLatency {latency} s ({'CPU-bound' if not latency else 'network-bound'}):")
            print(HEADER)
            for round_ in range(rounds):
                print(f"round {round_ + 1}, load average {os.getloadavg()[0]:.2f}")
                place = work / f"round{round_}"
                one = run_one(bench, latency, place)
                shared, cost = run_shared(bench, latency, place, server, args.sites_at_once)
                for line in (*one.rows(), *shared.rows()):
                    print(line)
                pages = shared.pages
                print(
                    f"speedup {shared.pages_per_s / one.pages_per_s:.2f}; Redis: {cost.round_trips / pages:.2f} round"
                    f" trips/page, {cost.commands / pages:.2f} commands/page (script-inner included),"
                    f" {cost.key_bytes / pages:.0f} B/page in the crawl's keys"
                    f" (used_memory: {cost.used_memory_delta / pages:.0f} B/page more at the end,"
                    f" {cost.peak_memory_delta / pages:.0f} B/page at the peak)"
                )
                problems += [f"latency {latency}: {problem}" for problem in check(bench, one, shared)]
                if latency not in best_one or one.pages_per_s > best_one[latency].pages_per_s:
                    best_one[latency] = one
                if latency not in best_shared or shared.pages_per_s > best_shared[latency][0].pages_per_s:
                    best_shared[latency] = (shared, cost)
            kept_one, kept_shared = best_one[latency], best_shared[latency][0]
            print(f"best: {kept_one.pages_per_s:.1f} and {kept_shared.pages_per_s:.1f} pages/s,"
                  f" speedup {kept_shared.pages_per_s / kept_one.pages_per_s:.2f}")  # fmt: skip
    for problem in problems:
        print(problem)
    if problems:
        return 1
    one0, (shared0, _), one1, (shared1, cost1) = (
        best_one[0.0], best_shared[0.0], best_one[args.latency], best_shared[args.latency]
    )
    print(
        json.dumps(
            {
                "speedup": round(shared1.pages_per_s / one1.pages_per_s, 3),
                "speedup_no_latency": round(shared0.pages_per_s / one0.pages_per_s, 3),
                "latency_s": args.latency,
                "one_pages_per_s": round(one1.pages_per_s, 1),
                "shared_pages_per_s": round(shared1.pages_per_s, 1),
                "one_pages_per_s_no_latency": round(one0.pages_per_s, 1),
                "shared_pages_per_s_no_latency": round(shared0.pages_per_s, 1),
                "redis_round_trips_per_page": round(cost1.round_trips / shared1.pages, 3),
                "redis_commands_per_page": round(cost1.commands / shared1.pages, 3),
                "redis_kb_per_1000_pages": round(cost1.key_bytes / shared1.pages, 1),
                "redis_peak_kb_per_1000_pages": round(cost1.peak_memory_delta / shared1.pages, 1),
                "sites_at_once": args.sites_at_once,
                "load_average": round(load, 2),
                "machine_parallelism": round(parallelism, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
