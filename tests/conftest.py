"""Shared fixtures: the local mock webs, and running ``scrapy crawl`` as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockweb.crawl_settings import settings_args
from tests.webs import build_small_web, build_test_web, serve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mockweb import MockWeb
    from tests.webs import TestWeb

REPO = Path(__file__).resolve().parent.parent

# Offline-safe: Scrapy's cookie middleware builds a tldextract object that would otherwise fetch the
# public-suffix list on first use; components built in-process by tests read this from the environment.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""


@dataclass
class CrawlRun:
    """A finished ``scrapy crawl``: its exit status, output, and what the mock web saw."""

    returncode: int
    stdout: str
    stderr: str
    requested: list[str]
    out_dir: Path

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
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return CrawlRun(done.returncode, done.stdout, done.stderr, self.web.requested_urls(), out_dir)


@pytest.fixture(scope="session")
def test_web() -> TestWeb:
    return build_test_web()


@pytest.fixture(scope="session")
def test_web_server(test_web: TestWeb) -> Iterator[MockWeb]:
    yield from serve(test_web)


@pytest.fixture(scope="session")
def small_web() -> TestWeb:
    return build_small_web()


@pytest.fixture(scope="session")
def small_web_server(small_web: TestWeb) -> Iterator[MockWeb]:
    yield from serve(small_web)


@pytest.fixture
def crawl(test_web_server: MockWeb, tmp_path: Path) -> Crawler:
    """``crawl("expertblogs", "-a", "start_url=...")`` against the full test web."""
    return Crawler(test_web_server, tmp_path)


@pytest.fixture
def crawl_small(small_web_server: MockWeb, tmp_path: Path) -> Crawler:
    return Crawler(small_web_server, tmp_path)
