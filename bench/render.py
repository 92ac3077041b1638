"""``python -m bench.render``: pages read in Chromium against plain fetching, on one mock web.

The web (:func:`build_render_bench_web`) has ``--sites`` sites of :data:`PAGES` pages each, listed
by the seeds. Every page is script-built: its links are in its HTML, its text (with
:data:`TERM`) is written by its script. The same ``scrapy crawl sites`` runs three times on it:

* ``render=never``: plain fetching, the baseline: every page fetched, the term found nowhere;
* ``render=always``: every page read in Chromium: the term found on every page;
* ``render=auto``: plain first, shells read again, sites straight to the browser after two: the
  term found on every page, with fewer requests than plain + rendered.

For each: pages per second over the crawl process's wall time (browser start included), and
for the browser crawls, sampled every 0.2 s from the processes the crawl started (found by a
marker in their environment): the peak of Chromium's processes' summed PSS and RSS, and of
Playwright's node driver's RSS. Then Chromium is launched alone with the crawl's options
(:func:`spiders.browser.launch_options`), through the mock web as its proxy, and left idle for
``--idle`` seconds: every request the mock web sees then is background traffic, listed. The
crawls' own requests to hosts outside the web are counted too. It never fails on speed; it
fails when a crawl did not do the work. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from scrapy.settings import Settings

import settings.base
from mockweb import MockWeb, Resource
from mockweb.crawl_settings import settings_args
from mockweb.html import filler

REPO = Path(__file__).resolve().parent.parent
TERM = "Poligma"
PAGES = 5
DEFAULT_SITES = 20
QUICK_SITES = 4
CHROMIUM_EXECUTABLE = "chromium"


def build_render_bench_web(sites: int) -> tuple[dict[str, Resource], list[str]]:
    """``sites`` sites of :data:`PAGES` script-built pages each, and the seeds."""
    web: dict[str, Resource] = {}
    seeds = []
    for s in range(sites):
        base = f"http://r{s}.bench.test"
        seeds.append(f"{base}/")
        paths = ["/", *(f"/p{n}" for n in range(1, PAGES))]
        for n, path in enumerate(paths):
            links = "".join(f'<a href="{other}">Page</a> ' for other in paths if other != path)
            web[f"{base}{path}"] = Resource(
                f'<!DOCTYPE html><html lang="fr"><head><title>Site {s}</title></head><body>'
                f'<nav>{links}</nav><div id="root"></div><script src="/app.js"></script></body></html>'
            )
        # Each page its own text (the same text twice on a site would be folded as a duplicate).
        texts = {
            path: [ord(c) for c in " ".join(filler(s * PAGES + n, 3, lang="fr")) + f" Billet {s}-{n} : {TERM}."]
            for n, path in enumerate(paths)
        }
        web[f"{base}/app.js"] = Resource(
            f"var texts = {json.dumps(texts)};"
            'document.getElementById("root").innerHTML = "<p></p>";'
            'document.querySelector("#root p").textContent = String.fromCharCode.apply(null, texts[location.pathname]);',
            content_type="application/javascript",
        )
    return web, seeds


@dataclass
class Run:
    mode: str
    seconds: float
    pages: int
    matched: int
    requests: int
    outside: list[str]
    chromium_pss_mb: float = 0.0
    chromium_rss_mb: float = 0.0
    driver_rss_mb: float = 0.0
    chromium_processes: int = 0
    seen: set[str] = field(default_factory=set)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds


def crawl_processes(marker: str) -> dict[tuple[int, float], psutil.Process]:
    """The processes a crawl started: those whose environment holds ``marker`` (``WATCH_PROCESS_MARKER``:
    the crawl, Playwright's driver, Chromium's browser process) and their descendants (Chromium's
    zygotes, renderers and helpers, which it starts with an environment of their own), by
    ``(pid, start time)``."""
    family: dict[tuple[int, float], psutil.Process] = {}
    for process in psutil.process_iter():
        try:
            if process.environ().get("WATCH_PROCESS_MARKER") != marker:
                continue
            for member in (process, *process.children(recursive=True)):
                family[(member.pid, member.create_time())] = member
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return family


def still_running(seen: dict[tuple[int, float], psutil.Process]) -> list[str]:
    """Those of ``seen`` that still run (same pid, same start time), as ``pid executable``."""
    left = []
    for (pid, _), process in seen.items():
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{pid} {' '.join(process.cmdline())[:160]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return left


def _memory(processes: list[psutil.Process]) -> tuple[float, float, float, int]:
    """Chromium's summed PSS and RSS, the driver's RSS (MiB), and Chromium's process count."""
    pss = rss = driver = 0.0
    count = 0
    for process in processes:
        try:
            name = os.path.basename(process.exe())
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if name == CHROMIUM_EXECUTABLE:
            pss, rss, count = pss + info.pss / 2**20, rss + info.rss / 2**20, count + 1
        elif name == "node":
            driver += info.rss / 2**20
    return pss, rss, driver, count


def crawl(web: MockWeb, seeds: list[str], mode: str, folder: Path) -> Run:
    marker = uuid.uuid4().hex
    feed = folder / f"{mode}.jsonl"
    command = [
        sys.executable, "-m", "scrapy", "crawl", "sites", *settings_args(), "-a", f"urls={','.join(seeds)}",
        "-a", f"render={mode}", "-a", f"query={TERM}", "-a", f"pages_per_site={PAGES}", "-s", "LOG_LEVEL=WARNING",
        "-O", str(feed),
    ]  # fmt: skip
    web.clear_log()
    env = {**os.environ, **web.proxy_env(), "WATCH_PROCESS_MARKER": marker}
    started = time.monotonic()
    peak = (0.0, 0.0, 0.0, 0)
    seen: dict[tuple[int, float], psutil.Process] = {}
    log = folder / f"{mode}.log"  # a file: a full pipe would stall the crawl while it is watched
    with log.open("w") as stderr, subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr) as process:
        while process.poll() is None:
            family = crawl_processes(marker)
            seen |= family
            sample = _memory([p for p in family.values() if p.pid != process.pid])
            peak = tuple(max(a, b) for a, b in zip(peak, sample))  # type: ignore[assignment]
            time.sleep(0.2)
    time.sleep(1)  # processes being torn down get a moment to go
    left = still_running(seen)
    if left:
        raise SystemExit(f"render={mode}: processes left behind by the crawl: {left}")
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"render={mode}: the crawl failed:\n{log.read_text('utf-8')[-3000:]}")
    hosts = {urlsplit(seed).hostname for seed in seeds}
    requested = [request.url for request in web.requests]
    pages = len({url for url in requested if urlsplit(url).path not in ("/robots.txt", "/app.js")})
    matched = sum(1 for line in feed.read_text("utf-8").splitlines() if line.strip())
    outside = [url for url in requested if urlsplit(url).hostname not in hosts]
    return Run(mode, seconds, pages, matched, len(requested), outside, *peak)


async def _idle_browser(web: MockWeb, idle: float) -> list[str]:
    """Requests the mock web sees from Chromium launched with the crawl's options, left idle."""
    from playwright.async_api import async_playwright

    from spiders.browser import launch_options
    from spiders.render import RenderConfig

    defaults = {name: getattr(settings.base, name) for name in dir(settings.base) if name.isupper()}
    options = launch_options(RenderConfig.from_settings(Settings(defaults)), {"http": web.proxy_url, "https": web.proxy_url})
    web.clear_log()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**options)
        context = await browser.new_context(service_workers="block")
        page = await context.new_page()
        await page.goto("about:blank")
        await asyncio.sleep(idle)
        await browser.close()
    return [f"{request.method} {request.url}" for request in web.requests]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES, help=f"sites of {PAGES} pages (default {DEFAULT_SITES})")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds the idle browser is watched (default 30)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SITES} sites, 3 s idle: for a test")
    options = parser.parse_args(argv)
    sites, idle = (QUICK_SITES, 3.0) if options.quick else (options.sites, options.idle)
    resources, seeds = build_render_bench_web(sites)
    total = sites * PAGES
    with MockWeb(resources) as web, tempfile.TemporaryDirectory() as folder:
        runs = {mode: crawl(web, seeds, mode, Path(folder)) for mode in ("never", "always", "auto")}
        background = asyncio.run(_idle_browser(web, idle))
    expected = {"never": 0, "always": total, "auto": total}
    for mode, run in runs.items():
        if run.pages != total or run.matched != expected[mode]:
            raise SystemExit(f"render={mode}: work not done: {run.pages} pages of {total}, {run.matched} matched")
    print(f"bench.render: {sites} sites x {PAGES} script-built pages = {total} pages, on the mock web")
    print(f"{'render':<8}{'pages/s':>9}{'seconds':>9}{'requests':>10}{'matched':>9}"
          f"{'Chromium PSS':>14}{'RSS':>8}{'procs':>7}{'driver RSS':>12}")  # fmt: skip
    for mode, run in runs.items():
        print(f"{mode:<8}{run.pages_per_s:>9.1f}{run.seconds:>9.1f}{run.requests:>10}{run.matched:>9}"
              f"{run.chromium_pss_mb:>11.0f} MB{run.chromium_rss_mb:>5.0f} MB{run.chromium_processes:>7}"
              f"{run.driver_rss_mb:>9.0f} MB")  # fmt: skip
    outside = sorted({url for run in runs.values() for url in run.outside})
    print(f"requests to hosts outside the web during the crawls: {len(outside)} {outside[:5]}")
    print(f"requests from an idle browser in {idle:.0f} s: {len(background)} {background[:5]}")
    print(
        json.dumps(
            {
                "plain_pages_per_s": round(runs["never"].pages_per_s, 1),
                "rendered_pages_per_s": round(runs["always"].pages_per_s, 1),
                "auto_pages_per_s": round(runs["auto"].pages_per_s, 1),
                "chromium_pss_mb_peak": round(runs["always"].chromium_pss_mb),
                "chromium_rss_mb_peak": round(runs["always"].chromium_rss_mb),
                "driver_rss_mb_peak": round(runs["always"].driver_rss_mb),
                "background_requests": len(background) + len(outside),
            }
        )
    )


if __name__ == "__main__":
    main()
