"""Deployment: ``scrapyd-deploy`` to a real Scrapyd on 127.0.0.1, then a job with the same arguments.

Scrapyd starts job processes with its own environment, so it is started with the mock web's proxy
variables: the job's requests go to the mock web like any crawl's.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockweb.redis_server import RedisServer
from tests.conftest import REPO

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mockweb import MockWeb
    from tests.conftest import Crawler
    from tests.webs import TestWeb

pytestmark = [pytest.mark.slow, pytest.mark.scrapyd]

# Talk to Scrapyd directly, never through the mock web's proxy.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(url: str, data: dict[str, str] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with _DIRECT.open(url, data=body, timeout=30) as answer:
        return json.loads(answer.read())


@dataclass
class Scrapyd:
    url: str
    home: Path


@contextmanager
def _running_scrapyd(home: Path, web: MockWeb) -> Iterator[Scrapyd]:
    """A Scrapyd on a free loopback port, its folders in ``home``, its jobs behind ``web``."""
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"items_dir = {home / 'items'}\ndbs_dir = {home / 'dbs'}\n"
        "poll_interval = 0.5\nmax_proc = 2\n",
        encoding="utf-8",
    )
    env = {**os.environ, **web.proxy_env(), "no_proxy": "127.0.0.1,localhost"}
    errors = home / "scrapyd.err"
    with errors.open("wb") as stderr:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("scrapyd"))],
            cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _call(url + "daemonstatus.json")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(errors.read_text()) from None
                time.sleep(0.2)
        yield Scrapyd(url, home)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def scrapyd(test_web_server: MockWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    with _running_scrapyd(tmp_path_factory.mktemp("scrapyd"), test_web_server) as running:
        yield running


def _deploy_tool() -> str:
    return str(Path(sys.executable).with_name("scrapyd-deploy"))


def test_egg_packs_exactly_the_project(tmp_path: Path) -> None:
    egg = tmp_path / "watch.egg"
    subprocess.run([_deploy_tool(), "--build-egg", str(egg)], cwd=REPO, check=True, capture_output=True)
    with zipfile.ZipFile(egg) as archive:
        names = archive.namelist()
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    packages = {name.split("/")[0] for name in names if name.endswith(".py")}
    assert packages == {"watch", "spiders", "pipelines", "settings"}
    assert "settings = settings" in entry_points


def _deploy(scrapyd: Scrapyd) -> None:
    deployed = subprocess.run(
        [_deploy_tool(), "env"],
        cwd=REPO,
        env={**os.environ, "SCRAPYD_URL": scrapyd.url, "no_proxy": "127.0.0.1,localhost"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr


def _wait_for_start(scrapyd: Scrapyd, job: str, timeout: float = 60) -> None:
    """Wait until ``job`` is running (or already finished)."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = _call(scrapyd.url + "listjobs.json?project=watch")
        if any(j["id"] == job for j in [*jobs["running"], *jobs["finished"]]):
            return
        assert time.monotonic() < deadline, f"the Scrapyd job {job} did not start"
        time.sleep(0.2)


def _wait_for_job(scrapyd: Scrapyd, job: str, timeout: float = 240) -> str:
    """Wait until ``job`` is finished; return its log."""
    deadline = time.monotonic() + timeout
    while not any(j["id"] == job for j in _call(scrapyd.url + "listjobs.json?project=watch")["finished"]):
        assert time.monotonic() < deadline, f"the Scrapyd job {job} did not finish"
        time.sleep(0.5)
    return (scrapyd.home / "logs" / "watch" / "expertblogs" / f"{job}.log").read_text("utf-8")


def test_deploy_and_run_a_job(scrapyd: Scrapyd, test_web: TestWeb) -> None:
    _deploy(scrapyd)
    spiders = _call(scrapyd.url + "listspiders.json?project=watch")["spiders"]
    assert {"expertblogs", "sites"} <= set(spiders)
    job = _call(
        scrapyd.url + "schedule.json",
        {"project": "watch", "spider": "expertblogs", "start_url": test_web.start_url,
         "site_depth": "2", "pages_per_site": "3", "query": "Quorum OR Carata"},
    )["jobid"]  # fmt: skip
    deadline = time.monotonic() + 240
    while not any(j["id"] == job for j in _call(scrapyd.url + "listjobs.json?project=watch")["finished"]):
        assert time.monotonic() < deadline, "the Scrapyd job did not finish"
        time.sleep(0.5)
    log = (scrapyd.home / "logs" / "watch" / "expertblogs" / f"{job}.log").read_text("utf-8")
    assert "Spider closed (finished)" in log, log[-3000:]
    assert " ERROR: " not in log, log[-3000:]
    items_dir = scrapyd.home / "items" / "watch" / "expertblogs"
    coverage = json.loads((items_dir / "coverage.json").read_text("utf-8"))
    assert coverage["levels"]["1"] == [seed.split("/")[2] for seed in test_web.seeds]
    assert set(coverage["levels"]) == {"0", "1", "2"}
    assert coverage["equation"] == "Quorum OR Carata"
    assert (items_dir / f"{job}.jl").exists()


def test_bad_argument_fails_the_job_before_any_request(scrapyd: Scrapyd, test_web_server: MockWeb) -> None:
    test_web_server.clear_log()
    job = _call(
        scrapyd.url + "schedule.json",
        {"project": "watch", "spider": "expertblogs", "start_url": "http://portal.test/", "site_depth": "x"},
    )["jobid"]
    deadline = time.monotonic() + 120
    while not any(j["id"] == job for j in _call(scrapyd.url + "listjobs.json?project=watch")["finished"]):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert test_web_server.requested_urls() == []


@pytest.mark.redis
def test_a_helper_job_on_a_second_scrapyd_shares_the_main_job_crawl(
    scrapyd: Scrapyd, test_web: TestWeb, test_web_server: MockWeb, crawl: Crawler,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two Scrapyd (two machines, as far as the crawl can tell) and one Redis: the main job on
    one, a helper job on the other; the main's items and coverage are one process's."""
    arguments = {"start_url": test_web.start_url, "query": "Quorum OR Carata", "site_depth": "3", "pages_per_site": "4"}
    single = crawl("expertblogs", *(part for name, value in arguments.items() for part in ("-a", f"{name}={value}")))
    assert single.returncode == 0, single.stderr[-3000:]
    local = ["AUTOTHROTTLE_ENABLED=0", "WATCH_ROBOTS_CRAWL_DELAY=0", "WATCH_REDIS_SITES_AT_ONCE=1"]
    with RedisServer() as redis_server, _running_scrapyd(tmp_path_factory.mktemp("scrapyd2"), test_web_server) as second:
        _deploy(scrapyd)
        _deploy(second)
        shared = [("setting", f"WATCH_REDIS_URL={redis_server.url}"), *(("setting", value) for value in local)]
        # The helper first: it waits for the main's crawl, so it cannot miss it. Pages answered as
        # a distant server would keep the main's crawl longer than the helper's start-up: without
        # it, the main can read this small web whole before the helper opens.
        helper = _schedule(second, [("helper", "1"), ("crawl_id", "scrapyd"), *shared])
        _wait_for_start(second, helper)
        latency, test_web_server.latency = test_web_server.latency, 0.2
        try:
            main = _schedule(scrapyd, [*arguments.items(), ("crawl_id", "scrapyd"), *shared])
            main_log = _wait_for_job(scrapyd, main)
            helper_log = _wait_for_job(second, helper)
        finally:
            test_web_server.latency = latency
    for log in (main_log, helper_log):
        assert "Spider closed (finished)" in log, log[-3000:]
        # The test web's broken page is a page fault (Scrapy logs giving up on it as an error).
        errors = [line for line in log.splitlines() if " ERROR: " in line and "Gave up retrying" not in line]
        assert errors == [], log[-3000:]
    assert re.search(r"INFO: [1-9]\d* site\(s\) read here and committed", helper_log), helper_log[-3000:]
    assert not list((second.home / "items").rglob("*.jl"))  # a helper exports nothing
    items_dir = scrapyd.home / "items" / "watch" / "expertblogs"
    coverage = json.loads((items_dir / "coverage.json").read_text("utf-8"))
    expected = single.coverage()
    for key in ("levels", "sites", "events", "terms", "sites_too_deep"):
        assert coverage[key] == expected[key], key
    items = [json.loads(line) for line in (items_dir / f"{main}.jl").read_text("utf-8").splitlines()]
    assert _without_times(items) == _without_times(single.feed())


def _schedule(scrapyd: Scrapyd, fields: list[tuple[str, str]]) -> str:
    body = urllib.parse.urlencode([("project", "watch"), ("spider", "expertblogs"), *fields]).encode()
    with _DIRECT.open(scrapyd.url + "schedule.json", data=body, timeout=30) as answer:
        return str(json.loads(answer.read())["jobid"])


def _without_times(items: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in item.items() if k != "fetched_at"} for item in items), key=lambda i: i["url"])
