"""Shared fixtures: the local mock webs, and running ``scrapy crawl`` as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from mockweb.crawl_settings import settings_args
from mockweb.redis_server import RedisServer
from tests.webs import build_small_web, build_test_web, over_https, serve

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO

    from mockweb import MockWeb
    from tests.webs import TestWeb

REPO = Path(__file__).resolve().parent.parent

# Offline-safe: Scrapy's cookie middleware builds a tldextract object that would otherwise fetch the
# public-suffix list on first use; components built in-process by tests read this from the environment.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""


def project_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project's settings (``settings/base.py``: every default lives there), with ``overrides``,
    for components built in a test with ``scrapy.utils.test.get_crawler``."""
    import settings.base as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    return {**values, **(overrides or {})}


@dataclass
class CrawlRun:
    """A finished ``scrapy crawl``: its exit status, output, and what the mock web saw."""

    returncode: int
    stdout: str
    stderr: str
    requested: list[str]
    out_dir: Path
    #: Peak resident memory of the crawl process, in MB (its own, from ``os.wait4``).
    peak_rss_mb: float
    #: The ``host:port`` of every ``CONNECT`` (https tunnel) the mock web saw.
    tunnels: list[str]

    def feed(self, name: str = "out.jsonl") -> list[dict]:
        lines = (self.out_dir / name).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def coverage(self) -> dict:
        return json.loads((self.out_dir / "coverage.json").read_text(encoding="utf-8"))


class Crawler:
    """Runs the real ``python -m scrapy crawl`` command against a mock web, from the repo root."""

    def __init__(self, web: MockWeb, tmp_path: Path) -> None:
        self.web = web
        self.tmp_path = tmp_path

    def __call__(self, spider: str, *args: str, feeds: tuple[str, ...] = ("out.jsonl",),
                 timeout: float = 300) -> CrawlRun:
        out_dir = self.tmp_path / "results"
        command = [sys.executable, "-m", "scrapy", "crawl", spider, *settings_args(), *args]
        for feed in feeds:
            command += ["-O", str(out_dir / feed)]
        env = {**os.environ, **self.web.proxy_env()}
        self.web.clear_log()
        with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
            returncode, peak_rss_mb = _run_measured(command, env, stdout, stderr, timeout)
            stdout.seek(0)
            stderr.seek(0)
            tunnels = [request.url for request in self.web.tunnels]
            return CrawlRun(
                returncode, stdout.read(), stderr.read(), self.web.requested_urls(), out_dir,
                peak_rss_mb, tunnels,
            )  # fmt: skip


def _run_measured(
    command: list[str], env: dict[str, str], stdout: IO[str], stderr: IO[str], timeout: float
) -> tuple[int, float]:
    """Run ``command`` from the repo root; its exit status and peak RSS in MB (``os.wait4``: this
    child's own figure, not the largest of all children so far). Killed after ``timeout`` s."""
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        process.kill()

    killer = threading.Timer(timeout, kill)
    killer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(command, timeout)
    return process.returncode, usage.ru_maxrss / 1024  # kilobytes on Linux


@pytest.fixture(scope="session")
def test_web() -> TestWeb:
    return build_test_web()


@pytest.fixture(scope="session")
def test_web_server(test_web: TestWeb) -> Iterator[MockWeb]:
    yield from serve(test_web)


@pytest.fixture(scope="session")
def test_web_https(test_web: TestWeb) -> TestWeb:
    """The full test web over https (http:// everywhere replaced by https://)."""
    return over_https(test_web)


@pytest.fixture(scope="session")
def test_web_https_server(test_web_https: TestWeb) -> Iterator[MockWeb]:
    yield from serve(test_web_https)


@pytest.fixture(scope="session")
def small_web() -> TestWeb:
    return build_small_web()


@pytest.fixture(scope="session")
def small_web_server(small_web: TestWeb) -> Iterator[MockWeb]:
    yield from serve(small_web)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real ``redis-server`` of the test's own (loopback port, persistence off)."""
    with RedisServer() as running:
        yield running


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_server.url)
    yield connection
    connection.close()


@pytest.fixture
def crawl(test_web_server: MockWeb, tmp_path: Path) -> Crawler:
    """``crawl("expertblogs", "-a", "start_url=...")`` against the full test web."""
    return Crawler(test_web_server, tmp_path)


@pytest.fixture
def crawl_small(small_web_server: MockWeb, tmp_path: Path) -> Crawler:
    return Crawler(small_web_server, tmp_path)
