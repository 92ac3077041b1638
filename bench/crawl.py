"""``python -m bench.crawl``: watch's ``expertblogs`` against a bare Scrapy spider, on real pages
with latency.

The web (:mod:`bench.crawl_web`): ``--sites`` sites (270) of 10 real pages each on levels 1-5,
plus one-page level-6 sites, served by :class:`~mockweb.MockWeb` with every answer (robots.txt
and 404s included) delayed by ``--latency`` seconds (0.25), as a distant server would. Pages are
gzip-encoded, as real servers send them.

Two crawls run one after the other, as subprocesses, against the same web:

* **bare**: :class:`bench.bare_spider.BareSpider`, a bare follow-all-links spider (``response.css("a::attr(href)")``)
  with Scrapy's default concurrency (16 requests, 8 per site) and the project's other engine
  settings (robots.txt obeyed, retries, timeouts, breadth-first queues). It follows everything,
  so it also reads the level-6 pages: they count in its pages, as work it did.
* **watch**: ``scrapy crawl expertblogs`` with the seed's equation, five levels of sites and ten
  pages per site, with the project's settings (32 requests, 2 per site), and ``render=never``:
  the web's one script-built corpus page would otherwise be read again in Chromium, whose
  requests for the page's scripts the bare spider never makes (``bench.render`` measures
  rendering).

Both must fetch every page of levels 0-5 (checked from the server's log); watch must request
nothing on level 6, not even robots.txt, and export exactly the pages where a term of the equation
was planted. Either failing ends the benchmark with status 1; speed never does.

For each crawl: pages fetched (robots.txt apart), wall time of the process (start-up included),
the crawl window (first to last request), CPU seconds and peak RSS of the crawl process
(``os.wait4``), and the CPU the mock web spent serving it. ``pages/s`` is pages over wall time.
For watch, the level barrier: at the end of each level, the time no page is in flight (``gap``:
last answer of level L to first page request of level L+1), the part of it before watch logs
"Level L+1" (``backlog``: finishing the last pages, noticing the idle), the part spent waiting
for robots.txt requested only after the level ended (``robots``: watch fetches a next-level
site's robots.txt as soon as it finds the site, so this is normally 0) and the ``drain`` (the
time before the last answer of level L during which fewer than half of watch's concurrent requests
were in flight: the level running out of work, or watch out of CPU).

The last line is JSON: ``{"latency_s", "bare_pages_per_s", "watch_pages_per_s", "ratio",
"bare_cpu_s", "watch_cpu_s", "bare_peak_rss_mb", "watch_peak_rss_mb", "rss_ratio",
"barrier_idle_s"}``; ``ratio`` = watch / bare pages per second, ``barrier_idle_s`` the sum of
watch's gaps. ``--no-latency`` measures the CPU-bound ratio instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import settings.base
from bench.crawl_web import EQUATION, LEVELS, PAGES_PER_SITE, START_URL, build_bench_web, level_sizes
from mockweb.crawl_settings import settings_args
from mockweb.server import MockWeb, RecordedRequest, resource_key

if TYPE_CHECKING:
    from bench.crawl_web import BenchWeb

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SITES = 270
QUICK_SITES = 30
LATENCY = 0.25
@dataclass(frozen=True)
class Measure:
    """What one crawl cost, measured from outside the crawl process."""

    name: str
    #: Every request the server saw for this crawl, in arrival order.
    requests: tuple[RecordedRequest, ...]
    wall_s: float  #: process start to exit
    cpu_s: float  #: user + system time of the crawl process
    peak_rss_mb: float
    #: CPU time of this process meanwhile: the mock web serving the crawl (a bottleneck if it
    #: nears ``wall_s``).
    server_cpu_s: float

    @property
    def pages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if urlsplit(r.url).path != "/robots.txt"]

    @property
    def distinct(self) -> frozenset[str]:
        return frozenset(resource_key(r.url) for r in self.pages)

    @property
    def window_s(self) -> float:
        """First request to last request."""
        return self.requests[-1].time - self.requests[0].time if self.requests else 0.0

    @property
    def pages_per_s(self) -> float:
        """Pages over the process's wall time: start-up and end-of-crawl work included."""
        return len(self.pages) / self.wall_s

    def row(self) -> str:
        pages = len(self.pages)
        window = pages / self.window_s if self.window_s else 0.0
        return (
            f"{self.name:<6}{pages:>7}{len(self.requests) - pages:>7}{self.wall_s:>8.2f}"
            f"{self.window_s:>8.2f}{self.pages_per_s:>9.1f}{window:>10.1f}{self.cpu_s:>8.2f}"
            f"{1000 * self.cpu_s / max(pages, 1):>9.2f}{self.peak_rss_mb:>8.1f}{self.server_cpu_s:>9.2f}"
        )


HEADER = (
    f"{'crawl':<6}{'pages':>7}{'robots':>7}{'wall s':>8}{'crawl s':>8}{'pages/s':>9}"
    f"{'crawl p/s':>10}{'CPU s':>8}{'CPU ms/p':>9}{'RSS MB':>8}{'web CPU':>9}"
)


@dataclass(frozen=True)
class Barrier:
    """What the level barrier cost at the end of one level (seconds)."""

    level: int
    #: Last answer of this level to the first page request of the next: nothing of either in
    #: flight but robots.txt (fetched early, as soon as a next-level site is found).
    gap_s: float
    #: Last answer of this level to watch's "Level L+1" log line: watch finishing the level's
    #: last pages (a CPU backlog) and noticing it is idle. The rest of ``gap_s`` is dispatch.
    backlog_s: float
    #: Within the gap, the wait for robots.txt requested after the level ended (0 when the next
    #: level's robots.txt were all fetched during this one).
    robots_s: float
    #: Before the last answer of this level, the time fewer than half the concurrency was in flight
    #: (since the level started); ``None`` without latency, when nothing stays in flight.
    drain_s: float | None


def barriers(
    requests: tuple[RecordedRequest, ...],
    levels: dict[str, int],
    latency: float,
    concurrency: int,
    level_starts: dict[int, float],
) -> list[Barrier]:
    """The barrier at the end of each level, from the server's log and the times watch started
    each level (``level_starts``, on the server log's clock).

    A request is taken as in flight from its arrival to its arrival plus ``latency`` (the server
    sleeps that long, then writes a body it holds ready).

    >>> from mockweb.server import RecordedRequest as R
    >>> log = (R("GET", "http://a.test/", 0.0, {}), R("GET", "http://b.test/robots.txt", 1.5, {}),
    ...        R("GET", "http://b.test/", 2.0, {}))
    >>> barriers(log, {"a.test": 1, "b.test": 2}, 1.0, 2, {1: 0.0, 2: 1.25})
    [Barrier(level=1, gap_s=1.0, backlog_s=0.25, robots_s=0.5, drain_s=1.0)]
    >>> early = (R("GET", "http://a.test/", 0.0, {}), R("GET", "http://b.test/robots.txt", 0.5, {}),
    ...          R("GET", "http://b.test/", 1.25, {}))
    >>> barriers(early, {"a.test": 1, "b.test": 2}, 1.0, 2, {1: 0.0, 2: 1.1})
    [Barrier(level=1, gap_s=0.25, backlog_s=0.1, robots_s=0.0, drain_s=0.5)]
    """
    by_level: dict[int, list[RecordedRequest]] = {}
    for request in requests:
        by_level.setdefault(levels[urlsplit(request.url).hostname or ""], []).append(request)
    found = []
    for level in sorted(by_level):
        following = by_level.get(level + 1)
        if level == 0 or not following:
            continue
        mine = by_level[level]
        start, end = min(r.time for r in mine), max(r.time for r in mine) + latency
        first_page = min(r.time for r in following if urlsplit(r.url).path != "/robots.txt")
        late_robots = [
            r.time for r in following if urlsplit(r.url).path == "/robots.txt" and end <= r.time <= first_page
        ]
        drain = end - _last_busy(requests, start, end, latency, concurrency) if latency else None
        backlog = level_starts.get(level + 1, first_page) - end
        robots = first_page - min(late_robots) if late_robots else 0.0
        found.append(Barrier(level, round(first_page - end, 6), round(backlog, 6), round(robots, 6), drain))
    return found


_LEVEL_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) \[spiders\.scope\] INFO: Level (\d+): (\d+) site\(s\)",
    re.M,
)
#: watch's log format in the benchmark: Scrapy's, with milliseconds.
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s"


def logged_levels(log: str, clock_offset: float) -> dict[int, tuple[float, int]]:
    """Level -> (when watch started it, sites) from its "Level L: N site(s)" lines, on the clock
    that is ``clock_offset`` seconds behind the wall clock (``time.time() - time.monotonic()``).

    >>> line = "2026-01-02 03:04:05.250 [spiders.scope] INFO: Level 2: 60 site(s), 60 page(s)"
    >>> stamp = time.mktime(time.strptime("2026-01-02 03:04:05", "%Y-%m-%d %H:%M:%S"))
    >>> logged_levels(line, stamp - 10.0)
    {2: (10.25, 60)}
    """
    found = {}
    for stamp, millis, level, sites in _LEVEL_LINE.findall(log):
        wall = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
        found[int(level)] = (wall - clock_offset, int(sites))
    return found


def _last_busy(
    requests: tuple[RecordedRequest, ...], start: float, end: float, latency: float, concurrency: int
) -> float:
    """The last moment in [``start``, ``end``) when half of ``concurrency`` requests or more were
    in flight; ``start`` if none was."""
    events = sorted(
        [(r.time, 1) for r in requests if r.time < end]
        + [(r.time + latency, -1) for r in requests if r.time < end]
    )
    in_flight, last_busy = 0, start
    for moment, change in events:
        in_flight += change
        if in_flight * 2 >= concurrency and start <= moment < end:
            last_busy = moment
    return last_busy


@dataclass
class Running:
    """A crawl process started by :func:`start_crawl`, measured by :func:`finish_crawl`."""

    name: str
    process: subprocess.Popen[bytes]
    web: MockWeb
    log: Path
    started: float  #: ``time.monotonic()`` at start
    served_before: float  #: this process's CPU seconds at start


def start_crawl(name: str, command: list[str], cwd: Path, env: dict[str, str], web: MockWeb, log: Path) -> Running:
    """Start one crawl process against ``web`` (its log cleared), its output in ``log``."""
    web.clear_log()
    served_before = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Running(name, process, web, log, started, served_before)


def finish_crawl(running: Running) -> Measure:
    """Wait for a crawl process to end and measure it; raise ``SystemExit`` when it failed."""
    # wait4, not wait: the rusage of this child alone (CPU time, peak RSS).
    _, wait_status, usage = os.wait4(running.process.pid, 0)
    wall = time.monotonic() - running.started
    served = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - running.served_before
    running.process.returncode = os.waitstatus_to_exitcode(wait_status)
    if running.process.returncode != 0:
        tail = running.log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        print(f"{running.name} crawl failed (exit status {running.process.returncode}); end of {running.log}:")
        print(*tail, sep="\n  ")
        raise SystemExit(1)
    return Measure(
        name=running.name,
        requests=tuple(running.web.requests),
        wall_s=wall,
        cpu_s=cpu_seconds(usage),
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        server_cpu_s=served,
    )


def run_crawl(name: str, command: list[str], cwd: Path, env: dict[str, str], web: MockWeb, log: Path) -> Measure:
    """Run one crawl to completion and measure it; raise ``SystemExit`` when it fails."""
    return finish_crawl(start_crawl(name, command, cwd, env, web, log))


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


SCRAPY = (sys.executable, "-m", "scrapy")


def _bare_command() -> list[str]:
    spider = Path(__file__).resolve().with_name("bare_spider.py")
    return [*SCRAPY, "runspider", str(spider), "-a", f"start_url={START_URL}", *settings_args()]


def watch_command(feed: Path) -> list[str]:
    """watch's crawl of the same web, with the seed's equation and the scope that covers levels 0-5."""
    scope = ["-a", f"pages_per_site={PAGES_PER_SITE}", "-a", f"site_depth={LEVELS}"]
    start = ["-a", f"start_url={START_URL}", "-a", f"query={EQUATION}", "-a", "render=never"]
    politeness_off = settings_args()
    return [*SCRAPY, "crawl", "expertblogs", *start, *scope, *politeness_off, "-s", f"LOG_FORMAT={LOG_FORMAT}", "-O", str(feed)]


def _python_path(env: dict[str, str]) -> list[str]:
    return [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]


def crawl_env(web: MockWeb) -> dict[str, str]:
    """The user's environment routed through the mock web, with no other project selected."""
    env = {**os.environ, **web.proxy_env()}
    for name in ("SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "SCRAPY_PYTHON_SHELL"):
        env.pop(name, None)
    return env


def check(
    bench: BenchWeb, bare: Measure, watch: Measure, levels_logged: dict[int, int], feed: Path
) -> list[str]:
    """Every way either crawl fell short of the work; empty when both did it."""
    problems = []
    for measure, expected in ((bare, bench.required | bench.beyond), (watch, bench.required)):
        missing, extra = len(expected - measure.distinct), len(measure.distinct - expected)
        if missing or extra:
            problems.append(f"{measure.name} fetched {missing} page(s) too few and {extra} too many")
    deep = {site for site, level in bench.levels.items() if level > LEVELS}
    touched = {urlsplit(r.url).hostname for r in watch.requests} & deep
    if touched:
        problems.append(f"watch sent requests to {len(touched)} level-{LEVELS + 1} site(s)")
    sizes = dict(Counter(level for level in bench.levels.values() if 1 <= level <= LEVELS))
    if levels_logged != sizes:
        problems.append(f"watch's levels {levels_logged} are not the web's {sizes}")
    exported = {json.loads(line)["url"] for line in feed.read_text("utf-8").splitlines() if line.strip()}
    if exported != set(bench.planted):
        problems.append(
            f"watch exported {len(exported)} document(s), {len(exported & set(bench.planted))} of the "
            f"{len(bench.planted)} pages that hold a term, and {len(exported - set(bench.planted))} other(s)"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    description = __doc__.splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=description)
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES, help="sites on levels 1-5 (270)")
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_SITES}-site web, for tests")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds before every answer (0.25)")
    parser.add_argument("--no-latency", action="store_true", help="answer at once: the CPU-bound ratio")
    parser.add_argument("--logs", type=Path, help="keep the crawl logs and feeds in this folder")
    args = parser.parse_args(argv)
    sites = QUICK_SITES if args.quick else args.sites
    if sites < LEVELS:
        parser.error(f"--sites: need at least {LEVELS} sites (one per level), got {sites}")
    latency = 0.0 if args.no_latency else args.latency
    if latency < 0:
        parser.error(f"--latency must be >= 0, got {latency}")
    bench = build_bench_web(sites)
    print(
        f"Local web: {len(bench.required)} pages on {sites} sites + the portal, sites per level "
        f"{'/'.join(map(str, level_sizes(sites)))}, {PAGES_PER_SITE} real pages each; "
        f"{len(bench.beyond)} level-6 pages; latency {latency} s; {len(bench.planted)} pages hold a term"
    )
    # The server logs time.monotonic(), watch's log the wall clock.
    clock_offset = time.time() - time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as scratch:
        work = Path(scratch)
        logs = args.logs.resolve() if args.logs else work
        logs.mkdir(parents=True, exist_ok=True)
        with MockWeb(bench.resources, latency=latency) as web:
            env = crawl_env(web)
            # The bare spider runs outside the project (no scrapy.cfg above ``work``).
            bare_env = {**env, "PYTHONPATH": os.pathsep.join([str(REPO), *_python_path(env)])}
            # Untimed: the first Python to import Scrapy pays for the disk cache.
            subprocess.run([sys.executable, "-c", "import scrapy"], check=True)
            bare = run_crawl("bare", _bare_command(), work, bare_env, web, logs / "bare.log")
            feed = logs / "watch.jsonl"
            watch = run_crawl("watch", watch_command(feed), REPO, env, web, logs / "watch.log")
        print(HEADER)
        print(bare.row())
        print(watch.row())
        logged = logged_levels((logs / "watch.log").read_text("utf-8"), clock_offset)
        starts = {level: moment for level, (moment, _) in logged.items()}
        found = barriers(watch.requests, bench.levels, latency, settings.base.CONCURRENT_REQUESTS, starts)
        print("watch's level barrier, s: levels    gap  backlog  robots.txt  drain")
        for b in found:
            drain = "-" if b.drain_s is None else f"{b.drain_s:.2f}"
            print(f"{b.level:>29} -> {b.level + 1}{b.gap_s:7.2f}{b.backlog_s:9.2f}{b.robots_s:12.2f}{drain:>7}")
        sites_logged = {level: sites for level, (_, sites) in logged.items()}
        problems = check(bench, bare, watch, sites_logged, feed)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(
        json.dumps(
            {
                "latency_s": latency,
                "bare_pages_per_s": round(bare.pages_per_s, 1),
                "watch_pages_per_s": round(watch.pages_per_s, 1),
                "ratio": round(watch.pages_per_s / bare.pages_per_s, 3),
                "bare_cpu_s": round(bare.cpu_s, 1),
                "watch_cpu_s": round(watch.cpu_s, 1),
                "bare_peak_rss_mb": round(bare.peak_rss_mb),
                "watch_peak_rss_mb": round(watch.peak_rss_mb),
                "rss_ratio": round(watch.peak_rss_mb / bare.peak_rss_mb, 2),
                "barrier_idle_s": round(sum(b.gap_s for b in found), 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
