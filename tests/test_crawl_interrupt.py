"""End to end: a crawl interrupted by Ctrl-C (SIGINT) leaves valid feeds and says it was interrupted.

A real ``scrapy crawl`` of a slow web (every page answers after a delay) gets one SIGINT once it
has read pages (the first links of the sites' home pages are requested). Scrapy then closes the
crawl gracefully: the documents read so far, which the deduplication holds until the end, reach
the feeds; the coverage report says the run was interrupted. The run did not finish: its exit
status is 1, as for any run that ended before its end (2 is for bad input).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import lxml.html
import pytest

from mockweb import MockWeb, Resource
from mockweb.crawl_settings import settings_args
from mockweb.html import page
from tests.conftest import REPO, Crawler
from watch.document import EXPORT_FIELDS

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

SITES = 6
PAGES = 8  # besides each home page
#: Seconds each page of the slow web takes to answer: a crawl of it lasts several seconds.
DELAY = 1.0


def _web(delay: float) -> dict[str, Resource]:
    resources = {}
    for site in range(SITES):
        home = f"http://slow{site}.test/"
        links = [f"{home}p{number}" for number in range(PAGES)]
        resources[home] = Resource(page(f"Site {site}", [f"Home of site {site}."], links, lang="en"), delay=delay)
        for number, url in enumerate(links):
            text = f"Page {number} of site {site} says zqx{site}{number}."
            resources[url] = Resource(page(f"Page {number}", [text], lang="en"), delay=delay)
    return resources


def _arguments() -> list[str]:
    seeds = ",".join(f"http://slow{site}.test/" for site in range(SITES))
    return ["-a", f"urls={seeds}", "-a", "site_depth=1", "-a", f"pages_per_site={PAGES + 1}"]


@pytest.fixture(scope="module")
def full_run_urls(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The documents a crawl of the same web exports when nothing stops it (no delay: same pages)."""
    with MockWeb(_web(delay=0)) as web:
        run = Crawler(web, tmp_path_factory.mktemp("full"))("sites", *_arguments())
    assert run.returncode == 0, run.stderr[-3000:]
    urls = {document["url"] for document in run.feed()}
    assert len(urls) == SITES * (PAGES + 1)
    return urls


class Interrupted:
    """The outcome of the interrupted crawl."""

    def __init__(self, returncode: int, stderr: str, out_dir: Path) -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.out_dir = out_dir


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Interrupted:
    out_dir = tmp_path_factory.mktemp("interrupted") / "results"
    command = [
        sys.executable, "-m", "scrapy", "crawl", "sites", *settings_args(), *_arguments(),
        "-O", str(out_dir / "out.jsonl"), "-O", str(out_dir / "out.csv"),
    ]  # fmt: skip
    with MockWeb(_web(DELAY)) as web:
        env = {**os.environ, **web.proxy_env()}
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            # A link of a home page requested: that home page was read, and the crawl goes on.
            deadline = time.monotonic() + 60
            while not any("/p" in url for url in web.requested_urls()):
                assert time.monotonic() < deadline and process.poll() is None, "the crawl never got going"
                time.sleep(0.05)
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        requested = [url for url in web.requested_urls() if not url.endswith("/robots.txt")]
    assert len(requested) < SITES * (PAGES + 1), "the crawl finished before it was interrupted"
    return Interrupted(process.returncode, stderr, out_dir)


def test_the_run_stops_gracefully_and_says_it_did_not_finish(interrupted: Interrupted) -> None:
    assert "Received SIGINT, shutting down gracefully" in interrupted.stderr
    assert "'finish_reason': 'shutdown'" in interrupted.stderr
    assert "Traceback" not in interrupted.stderr
    assert interrupted.returncode == 1


def test_the_feeds_are_valid_and_hold_only_what_a_full_run_exports(
    interrupted: Interrupted, full_run_urls: set[str]
) -> None:
    lines = (interrupted.out_dir / "out.jsonl").read_text("utf-8").splitlines()
    documents = [json.loads(line) for line in lines]
    assert documents, "the documents read before the interruption were lost"
    assert {document["url"] for document in documents} <= full_run_urls
    assert len({document["url"] for document in documents}) == len(documents)
    rows = list(csv.DictReader(io.StringIO((interrupted.out_dir / "out.csv").read_text("utf-8-sig"))))
    assert rows and list(rows[0]) == list(EXPORT_FIELDS)
    assert [row["url"] for row in rows] == [document["url"] for document in documents]


def test_the_report_says_the_run_was_interrupted(interrupted: Interrupted) -> None:
    coverage = json.loads((interrupted.out_dir / "coverage.json").read_text("utf-8"))
    assert coverage["interrupted"] is True
    assert coverage["finish_reason"] == "shutdown"
    assert coverage["headline"].startswith("Interrupted: ")
    exported = len((interrupted.out_dir / "out.jsonl").read_text("utf-8").splitlines())
    assert coverage["documents_exported"] == exported
    root = lxml.html.parse(str(interrupted.out_dir / "coverage.html")).getroot()
    assert root.xpath("string(//h1)") == coverage["headline"]
    assert "This run was interrupted (shutdown)" in root.xpath("string(//p[@class='warning'])")
