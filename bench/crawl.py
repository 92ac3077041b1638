"""``python -m bench.crawl``: watch's ``expertblogs`` against a bare Scrapy spider, on one web.

The local web (:func:`build_bench_web`) has ``--sites`` sites (270 by default) of exactly
:data:`PAGES_PER_SITE` pages each, over five levels: a portal page lists the level-1 sites, and
each site of level L links to sites of level L+1, back to a site of level L-1 and to the portal.
Every site having exactly as many pages as watch's page budget, and no site lying deeper than
level 5, watch (``pages_per_site=10``, ``site_depth=5``) and the bare spider (which follows every
link) must fetch the same pages: the benchmark checks that they do, from the server's log, and
fails when either crawl did less than the whole web.

Both crawls run as subprocesses with the project's engine settings (concurrency, robots.txt,
breadth-first queues), one after the other, against the same :class:`~mockweb.MockWeb`. For each:
wall time of the process, pages fetched (from the server log, robots.txt apart), CPU seconds and
peak RSS of the crawl process (``os.wait4``). ``pages/s`` is pages over the process's wall time,
start-up included; the crawl window (first to last request) is printed beside it. The last line
is ``{"bare_pages_per_s": …, "watch_pages_per_s": …, "ratio": …}``, ratio = watch / bare.

:class:`BareSpider` is the baseline: run by ``scrapy runspider`` on this file, outside the
project, with only the shared settings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor

import settings.base
from mockweb.html import filler, page
from mockweb.server import MockWeb, Resource, resource_key

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from mockweb.html import Link

REPO = Path(__file__).resolve().parent.parent
START_URL = "http://portal.bench.test/"
PAGES_PER_SITE = 10
LEVELS = 5
DEFAULT_SITES = 270
QUICK_SITES = 30
#: Engine settings both crawls share, read from the project's defaults.
SHARED_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "ROBOTSTXT_PARSER",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_TIMEOUT",
    "RETRY_TIMES",
    "DOWNLOAD_MAXSIZE",
    "HTTPERROR_ALLOW_ALL",
    "REDIRECT_MAX_TIMES",
    "COOKIES_ENABLED",
    "TELNETCONSOLE_ENABLED",
    "RETRY_HTTP_CODES",
    "CONCURRENT_ITEMS",
    "REMOTE_CONTROL_ENABLED",
    "DEPTH_PRIORITY",
    "SCHEDULER_DISK_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "TWISTED_REACTOR",
    "LOG_LEVEL",
)


class BareSpider(scrapy.Spider):
    """Follows every link from the start page and keeps nothing: the baseline."""

    name = "bare"
    custom_settings: ClassVar[dict[str, Any]] = {
        name: value for name, value in vars(settings.base).items() if name in SHARED_SETTINGS
    }

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.link_extractor = LinkExtractor()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url)

    def parse(self, response: scrapy.http.Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        if isinstance(response, TextResponse):
            for link in self.link_extractor.extract_links(response):
                yield scrapy.Request(link.url)


def level_sizes(sites: int) -> tuple[int, ...]:
    """How many sites each level holds: a ninth at level 1, the rest spread over levels 2-5.

    >>> level_sizes(270), level_sizes(30)
    ((30, 60, 60, 60, 60), (3, 7, 7, 7, 6))
    """
    if sites < LEVELS:
        raise ValueError(f"need at least {LEVELS} sites, one per level, got {sites}")
    first = max(1, sites // 9)
    rest = sites - first
    deeper = LEVELS - 1
    return (first, *(rest // deeper + (1 if i < rest % deeper else 0) for i in range(deeper)))


def _home(index: int) -> str:
    return f"http://s{index:03d}.bench.test/"


def build_bench_web(sites: int = DEFAULT_SITES) -> dict[str, Resource]:
    """The benchmark's web: a portal and ``sites`` sites of :data:`PAGES_PER_SITE` pages each.

    A site is a home page linking its nine other pages (``/p/1`` … ``/p/9``, each linking the
    next); the level-(L+1) sites are shared out among the level-L sites, each linked from one
    page of its parent; page 9 links back to a site of the level above and to the portal.
    """
    levels: list[list[int]] = []
    first_index = 0
    for size in level_sizes(sites):
        levels.append(list(range(first_index, first_index + size)))
        first_index += size
    children: dict[int, list[int]] = {}
    for parents, kids in zip(levels, levels[1:]):
        for position, kid in enumerate(kids):
            children.setdefault(parents[position % len(parents)], []).append(kid)
    above = {index: levels[depth - 1] for depth in range(1, LEVELS) for index in levels[depth]}
    resources = {
        START_URL: Resource(
            page(
                "Portail",
                filler(0, 1),
                [(_home(index), f"Site {index}") for index in levels[0]],
            )
        )
    }
    for index in range(sites):
        resources.update(_site_resources(index, children.get(index, []), above.get(index)))
    return resources


def _site_resources(index: int, kids: list[int], above: list[int] | None) -> dict[str, Resource]:
    home = _home(index)
    per_page: dict[int, list[Link]] = {}
    for position, kid in enumerate(kids):
        per_page.setdefault(1 + position % (PAGES_PER_SITE - 1), []).append(
            (_home(kid), f"Site {kid}")
        )
    last = PAGES_PER_SITE - 1
    if above is not None:
        per_page.setdefault(last, []).append((_home(above[index % len(above)]), "Retour"))
    per_page.setdefault(last, []).append((START_URL, "Portail"))
    resources = {
        home: Resource(
            page(
                f"Site {index}",
                filler(index * PAGES_PER_SITE, 4),
                [(f"/p/{number}", f"Page {number}") for number in range(1, PAGES_PER_SITE)],
            )
        )
    }
    for number in range(1, PAGES_PER_SITE):
        following = f"/p/{number % last + 1}"
        resources[f"{home}p/{number}"] = Resource(
            page(
                f"Site {index}, page {number}",
                filler(index * PAGES_PER_SITE + number, 6),
                [(following, "Suite"), *per_page.get(number, [])],
            )
        )
    return resources


@dataclass(frozen=True)
class Measure:
    """What one crawl cost, measured from outside the crawl process."""

    name: str
    pages: int  #: page requests the server saw, robots.txt apart
    robots: int  #: robots.txt requests
    distinct: frozenset[str]  #: the distinct page URLs requested
    wall_s: float  #: process start to exit
    window_s: float  #: first request to last request
    cpu_s: float  #: user + system time of the crawl process
    peak_rss_mb: float
    #: CPU time of this process meanwhile: the mock web serving the crawl (a bottleneck if it
    #: nears ``wall_s``).
    server_cpu_s: float

    @property
    def pages_per_s(self) -> float:
        """Pages over the process's wall time: start-up and end-of-crawl work included."""
        return self.pages / self.wall_s

    def row(self) -> str:
        window = self.pages / self.window_s if self.window_s else 0.0
        return (
            f"{self.name:<6}{self.pages:>7}{self.robots:>7}{self.wall_s:>8.2f}{self.window_s:>8.2f}"
            f"{self.pages_per_s:>9.1f}{window:>10.1f}{self.cpu_s:>8.2f}"
            f"{1000 * self.cpu_s / max(self.pages, 1):>9.2f}{self.peak_rss_mb:>8.1f}"
            f"{self.server_cpu_s:>9.2f}"
        )


HEADER = (
    f"{'crawl':<6}{'pages':>7}{'robots':>7}{'wall s':>8}{'crawl s':>8}{'pages/s':>9}"
    f"{'crawl p/s':>10}{'CPU s':>8}{'CPU ms/p':>9}{'RSS MB':>8}{'web CPU':>9}"
)


def _run(
    name: str, command: list[str], cwd: Path, env: dict[str, str], web: MockWeb, log: Path
) -> Measure:
    """Run one crawl to completion and measure it; raise ``SystemExit`` when it fails."""
    web.clear_log()
    started = time.monotonic()
    served_before = _cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4, not wait: the rusage of this child alone (CPU time, peak RSS).
        _, wait_status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    served = _cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - served_before
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        print(f"{name} crawl failed (exit status {process.returncode}); end of {log}:")
        print(*tail, sep="\n  ")
        raise SystemExit(1)
    requests = web.requests
    pages = [r for r in requests if urlsplit(r.url).path != "/robots.txt"]
    window = requests[-1].time - requests[0].time if requests else 0.0
    return Measure(
        name=name,
        pages=len(pages),
        robots=len(requests) - len(pages),
        distinct=frozenset(resource_key(r.url) for r in pages),
        wall_s=wall,
        window_s=window,
        cpu_s=_cpu_seconds(usage),
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        server_cpu_s=served,
    )


def _cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


_SCRAPY = (sys.executable, "-m", "scrapy")


def _bare_command() -> list[str]:
    return [*_SCRAPY, "runspider", str(Path(__file__).resolve()), "-a", f"start_url={START_URL}"]


def _watch_command(feed: Path) -> list[str]:
    """watch's crawl of the same web, with the scope that covers exactly all of it."""
    scope = ["-a", f"pages_per_site={PAGES_PER_SITE}", "-a", f"site_depth={LEVELS}"]
    start = ["-a", f"start_url={START_URL}"]
    return [*_SCRAPY, "crawl", "expertblogs", *start, *scope, "-O", str(feed)]


def _python_path(env: dict[str, str]) -> list[str]:
    return [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]


def _crawl_env(web: MockWeb) -> dict[str, str]:
    """The user's environment routed through the mock web, with no other project selected."""
    env = {**os.environ, **web.proxy_env()}
    for name in ("SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "SCRAPY_PYTHON_SHELL"):
        env.pop(name, None)
    return env


def main(argv: list[str] | None = None) -> int:
    description = __doc__.splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=description)
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES, help="sites in the web (270)")
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_SITES}-site web, for tests")
    parser.add_argument("--logs", type=Path, help="keep the crawl logs and feeds in this folder")
    args = parser.parse_args(argv)
    sites = QUICK_SITES if args.quick else args.sites
    if sites < LEVELS:
        parser.error(f"--sites: need at least {LEVELS} sites (one per level), got {sites}")
    resources = build_bench_web(sites)
    expected = frozenset(resource_key(url) for url in resources)
    print(
        f"Local web: {len(expected)} pages on {sites} sites + the portal, "
        f"sites per level {'/'.join(map(str, level_sizes(sites)))}, {PAGES_PER_SITE} pages each"
    )
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as scratch:
        work = Path(scratch)
        logs = args.logs.resolve() if args.logs else work
        logs.mkdir(parents=True, exist_ok=True)
        with MockWeb(resources) as web:
            env = _crawl_env(web)
            # The bare spider runs outside the project (no scrapy.cfg above ``work``).
            bare_env = {**env, "PYTHONPATH": os.pathsep.join([str(REPO), *_python_path(env)])}
            # Untimed: the first Python to import Scrapy pays for the disk cache.
            subprocess.run([sys.executable, "-c", "import scrapy"], check=True)
            bare = _run("bare", _bare_command(), work, bare_env, web, logs / "bare.log")
            watch_command = _watch_command(logs / "watch.jsonl")
            watch = _run("watch", watch_command, REPO, env, web, logs / "watch.log")
    print(HEADER)
    print(bare.row())
    print(watch.row())
    failed = False
    for measure in (bare, watch):
        if measure.distinct != expected:
            missing, extra = len(expected - measure.distinct), len(measure.distinct - expected)
            print(f"{measure.name} did not fetch the web's pages: {missing} missing, {extra} extra")
            failed = True
    if failed:
        return 1
    ratio = watch.pages_per_s / bare.pages_per_s
    print(
        json.dumps(
            {
                "bare_pages_per_s": round(bare.pages_per_s, 1),
                "watch_pages_per_s": round(watch.pages_per_s, 1),
                "ratio": round(ratio, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
