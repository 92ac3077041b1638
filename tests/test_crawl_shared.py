"""Several processes, one crawl (issue 10), end to end: real ``scrapy crawl`` processes, a real
``redis-server`` on a loopback port with persistence off, real ``kill -9``.

The web (:func:`build_shared_web`): a portal listing six blogs, then levels of sites down to
level 6 (``site_depth`` 4 cuts it), sites of 2 to 9 pages (``pages_per_site`` 5 cuts the larger
ones), links back to earlier levels and across a level, the same text on pages of several sites
(``also_at``) and twice on one site, a near-duplicate, a blog that moved to a new domain (a 301 to a
site linked from nowhere else), a robots.txt, and a random delay before each answer (a seeded RNG),
so that the processes finish pages in a different order on every run.

Every process gets its own mock web (same pages, its own log), so what each one requested is
known. The reference is one process without Redis; a shared crawl must give its answer exactly:
the same sites per level, the same pages per site (from the servers' logs and coverage.json), the
same feed (fetch times apart), the same coverage report, near misses and seed list, and no request
to a site beyond ``site_depth``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import redis

from mockweb import MockWeb, Resource
from mockweb.crawl_settings import settings_args
from mockweb.html import filler, page
from mockweb.redis_server import RedisServer
from tests.conftest import REPO
from watch.urls import site_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.redis]

START_URL = "http://portal.test/blogs-experts"
QUERY = 'Quorum OR Carata OR "Digital Box"'
SITE_DEPTH = 4
PAGES_PER_SITE = 5
#: Sites per level (level 5 and 6: beyond ``site_depth``, never requested).
LEVEL_SIZES = {1: 6, 2: 10, 3: 12, 4: 10, 5: 6, 6: 3}
MOVED_FROM, MOVED_TO = "http://oldblog.test/", "http://newblog.test/"
#: The arguments every run of the reference crawl takes.
CRAWL_ARGUMENTS = (
    "-a", f"start_url={START_URL}", "-a", f"query={QUERY}", "-a", f"site_depth={SITE_DEPTH}",
    "-a", f"pages_per_site={PAGES_PER_SITE}", "-a", "render=never",
)  # fmt: skip
#: Few sites held at once, so that every process of a small web gets some.
SHARED_SETTINGS = {"WATCH_REDIS_SITES_AT_ONCE": "2", "WATCH_REDIS_LEASE": "3"}


# -- the web ---------------------------------------------------------------------------------


@dataclass
class SharedWeb:
    """A web to crawl with several processes (see the module docstring)."""

    resources: dict[str, Resource]
    #: Site -> the level it is built for (the crawl's own levels are the reference's).
    built_levels: dict[str, int]


def _site(level: int, index: int) -> str:
    return f"http://l{level}s{index}.test/"


def build_shared_web(week: int = 1, seed: int = 2026) -> SharedWeb:
    """The shared crawl's web; ``week`` 2 changes a few pages and adds one (for monitoring runs)."""
    rng = random.Random(seed)
    updates = random.Random(seed + week)  # which pages week 2 updated: the web's shape stays the same
    sites = {level: [_site(level, i) for i in range(size)] for level, size in LEVEL_SIZES.items()}
    every = [home for level in sorted(sites) for home in sites[level]]
    pages_of = {home: [home, *(f"{home}p/{k}" for k in range(1, rng.randint(2, 9)))] for home in every}
    children: dict[str, list[str]] = {home: [] for home in every}
    for level in sorted(sites)[1:]:
        parents = sites[level - 1]
        for position, home in enumerate(sites[level]):
            children[parents[position % len(parents)]].append(home)
    sites[2].append(MOVED_FROM)
    children[sites[1][1]].append(MOVED_FROM)
    moved_pages = [MOVED_TO, f"{MOVED_TO}p/1", f"{MOVED_TO}p/2"]
    children[MOVED_TO] = [_site(3, 11)]
    pages_of[MOVED_TO] = moved_pages

    # Texts that travel: the same press release on three sites (twice on one), a near copy of it.
    release = filler(901, 3, lang="en")
    release[1] += " The Quorum report names Carata."
    near = [*release[:-1], release[-1] + " One sentence was added to this copy."]
    copies = {f"{_site(1, 2)}p/1": release, _site(1, 2): release, f"{_site(2, 4)}p/1": release,
              _site(3, 7): release, f"{_site(4, 1)}p/1": near}  # fmt: skip

    resources: dict[str, Resource] = {}
    portal_links = [(home, f"Blog {n}") for n, home in enumerate(sites[1])]
    resources[START_URL] = Resource(page("Blogs d'experts", filler(1, 1, lang="fr"), portal_links,
                                         nav_links=["http://decoy.test/"]))  # fmt: skip
    for home, pages in pages_of.items():
        level = next((lv for lv, homes in sites.items() if home in homes), 3)
        for k, url in enumerate(pages):
            inside = [pages[i] for i in (2 * k + 1, 2 * k + 2) if i < len(pages)]
            links: list[str] = [*inside, home]
            if k == 0:
                links += children[home]
            if rng.random() < 0.5:  # back to an earlier level, or across this one
                links.append(rng.choice([h for lv in range(1, level + 1) for h in sites[lv]]))
            if rng.random() < 0.3:
                links.append(START_URL)
            if k == 3 and home == _site(2, 0):
                links.append(f"{home}missing")
            extra: list[str] = []
            roll = rng.random()
            if roll < 0.25:
                extra.append(f"Le rapport Quorum est publié (page {k}).")
            elif roll < 0.32:
                extra.append("Les Quorums ne sont pas atteints.")
            elif roll < 0.38:
                extra.append("Die neue Digital Box kommt.")
            paragraphs = copies.get(url) or [*filler(rng.randrange(10_000), 2, lang="fr"), *extra]
            title = "Communiqué" if url in copies else f"Page {k} de {urlsplit(home).hostname}"
            if updates.random() < 0.15 and week == 2:
                paragraphs = [*paragraphs, "Mise à jour de la semaine."]
            if url in copies:  # links without text: a copy's text is the copied text alone
                html = page(title, paragraphs, main_html="".join(f'<a href="{link}"></a>' for link in links))
            else:
                html = page(title, paragraphs, links)
            resources[url] = Resource(html, delay=round(rng.uniform(0, 0.12), 3))
    resources[MOVED_FROM] = Resource(status=301, headers=(("Location", MOVED_TO),))
    resources[f"{_site(2, 3)}robots.txt"] = Resource(
        "User-agent: *\nDisallow: /p/2\n", content_type="text/plain; charset=utf-8"
    )
    resources["http://decoy.test/"] = Resource(page("Decoy", filler(5, 1)))
    if week == 2:
        resources[f"{_site(1, 0)}p/new"] = Resource(page("Nouvelle", [*filler(77, 2, lang="fr"), "Quorum."]))
        first = resources[_site(1, 0)]
        body = str(first.body).replace("<ul>", f'<ul><li><a href="{_site(1, 0)}p/new">new</a></li>', 1)
        resources[_site(1, 0)] = Resource(body, delay=first.delay)
    built = {site_of(home): level for level, homes in sites.items() for home in homes}
    built[site_of(MOVED_TO)] = 2
    return SharedWeb(resources, built)


# -- running processes ------------------------------------------------------------------------


@dataclass
class Process:
    """One ``scrapy crawl`` process of a shared crawl, with its own mock web."""

    name: str
    popen: subprocess.Popen[bytes]
    web: MockWeb
    log_path: Path
    out_dir: Path | None

    def wait(self, timeout: float = 240) -> int:
        return self.popen.wait(timeout=timeout)

    @property
    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def kill(self) -> None:
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


@dataclass
class Outcome:
    """What a crawl answered (one process, or a main with its helpers)."""

    feed: list[dict[str, Any]]
    coverage: dict[str, Any]
    near_misses: Any
    seeds: list[dict[str, str]]
    #: Page URL -> how many times the processes requested it (robots.txt apart).
    requested: Counter[str]
    #: Every host any process sent a request to (robots.txt included).
    hosts: set[str]
    #: What the deduplication said it released, of how many documents held (the last main's log).
    released: str


def _comparable_coverage(coverage: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The coverage report without what differs from run to run (times, paths, crawl name)."""
    kept = {k: v for k, v in coverage.items() if k not in ("started_at", "finished_at", "feeds", "versions")}
    kept["arguments"] = {k: v for k, v in coverage["arguments"].items() if k != "crawl_id"}
    return json.loads(json.dumps(kept).replace(str(out_dir), "OUT"))


def outcome(out_dir: Path, processes: list[Process]) -> Outcome:
    feed = [
        {k: v for k, v in json.loads(line).items() if k != "fetched_at"}
        for line in (out_dir / "out.jsonl").read_text("utf-8").splitlines()
    ]
    requests = [url for process in processes for url in process.web.requested_urls()]
    with (out_dir / "seeds.csv").open(encoding="utf-8-sig") as seeds:
        rows = list(csv.DictReader(seeds))
    return Outcome(
        feed=sorted(feed, key=lambda d: d["url"]),
        coverage=_comparable_coverage(json.loads((out_dir / "coverage.json").read_text("utf-8")), out_dir),
        near_misses=json.loads((out_dir / "near_misses.json").read_text("utf-8")),
        seeds=rows,
        requested=Counter(url for url in requests if not url.endswith("/robots.txt")),
        hosts={urlsplit(url).hostname or "" for url in requests},
        released=[
            line.split("INFO: ", 1)[1]
            for process in processes
            for line in process.log.splitlines()
            if "to the feeds after deduplication" in line
        ][-1],
    )


class Rig:
    """Starts the processes of a shared crawl against one Redis, each behind its own mock web."""

    def __init__(self, web: SharedWeb, redis_server: RedisServer | None, tmp_path: Path) -> None:
        self.web = web
        self.server = redis_server
        self.tmp_path = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []

    def start(
        self,
        name: str,
        *args: str,
        out_dir: Path | None = None,
        settings: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        url: str | None = None,
    ) -> Process:
        """Start ``scrapy crawl expertblogs *args`` (with ``-O out_dir/out.jsonl`` when given)."""
        web = MockWeb(self.web.resources).start()
        chosen = dict(SHARED_SETTINGS) if self.server is not None else {}
        if self.server is not None:
            chosen["WATCH_REDIS_URL"] = url or self.server.url
        chosen.update(settings or {})
        command = [sys.executable, "-m", "scrapy", "crawl", "expertblogs", *args, *settings_args(),
                   *settings_args(chosen)]  # fmt: skip
        if out_dir is not None:
            command += ["-O", str(out_dir / "out.jsonl")]
        log_path = self.tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                command, cwd=REPO, env={**os.environ, **web.proxy_env(), **(env or {})},
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        process = Process(name, popen, web, log_path, out_dir)
        self.processes.append(process)
        return process

    def main(self, name: str = "main", *extra: str, out_dir: Path | None = None, **options: Any) -> Process:
        return self.start(name, *CRAWL_ARGUMENTS, *extra, out_dir=out_dir or self.tmp_path / "out", **options)

    def helper(self, name: str = "helper", *extra: str, **options: Any) -> Process:
        return self.start(name, "-a", "helper=1", *extra, **options)

    def close(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.kill()
            process.web.stop()


def _finished(process: Process, timeout: float = 240) -> None:
    returncode = process.wait(timeout)
    assert returncode == 0, f"{process.name} exited {returncode}:\n{process.log[-4000:]}"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def committed(process: Process) -> int:
    """Sites a process read and committed, from its log."""
    line = next(line for line in process.log.splitlines() if "site(s) read here and committed" in line)
    return int(line.split("INFO: ")[1].split()[0])


def holds_sites(redis_client: redis.Redis, process: Process, crawl_id: str = "expertblogs") -> bool:
    """Whether ``process`` holds a site of the crawl now (its lease tokens name its pid)."""
    marker = f"@{socket.gethostname()}:{process.popen.pid}:".encode()
    leases = redis_client.zrange(f"watch:{crawl_id}:leases", 0, -1)
    tokens = [redis_client.get(f"watch:{crawl_id}:lease:{site.decode()}") or b"" for site in leases]
    return any(marker in token for token in tokens)


def counters(redis_client: redis.Redis, crawl_id: str = "expertblogs") -> dict[str, int]:
    return {k.decode(): int(v) for k, v in redis_client.hgetall(f"watch:{crawl_id}:counters").items()}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_web() -> SharedWeb:
    return build_shared_web()


def _single(web: SharedWeb, tmp_path: Path, *extra: str) -> Outcome:
    rig = Rig(web, None, tmp_path)
    try:
        process = rig.main("single", *extra)
        _finished(process)
        return outcome(tmp_path / "out", [process])
    finally:
        rig.close()


@pytest.fixture(scope="module")
def reference(shared_web: SharedWeb, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One process without Redis: the answer every shared crawl must give."""
    found = _single(shared_web, tmp_path_factory.mktemp("single"))
    assert all(count == 1 for count in found.requested.values())
    return found


@pytest.fixture
def rig(shared_web: SharedWeb, redis_server: RedisServer, tmp_path: Path) -> Iterator[Rig]:
    running = Rig(shared_web, redis_server, tmp_path)
    yield running
    running.close()


def assert_same_answer(found: Outcome, reference: Outcome, *, once: bool = True) -> None:
    """``found`` gives ``reference``'s answer; ``once``: every page was requested once in all."""
    assert found.feed == reference.feed
    assert found.coverage == reference.coverage
    assert found.near_misses == reference.near_misses
    assert found.seeds == reference.seeds
    assert found.released == reference.released
    assert set(found.requested) == set(reference.requested)
    if once:
        assert found.requested == reference.requested
    assert found.hosts <= reference.hosts  # no site beyond site_depth, not even its robots.txt


# -- the reference web is what the tests need ----------------------------------------------------


def test_the_web_exercises_every_rule(reference: Outcome, shared_web: SharedWeb) -> None:
    coverage = reference.coverage
    assert set(coverage["levels"]) == {"0", "1", "2", "3", "4"}
    too_deep = set(coverage["sites_too_deep"])
    assert too_deep and all(shared_web.built_levels[site] >= 5 for site in too_deep)
    assert not too_deep & {urlsplit(url).hostname for url in reference.requested}
    events = coverage["events"]
    assert events["budget_exhausted"] > 0 and events["known_site_link"] > 0
    assert events["redirect_new_site"] == 1 and events["page_robots"] == 1
    assert site_of(MOVED_TO) in coverage["levels"]["2"]
    documents = {d["url"]: d for d in reference.feed}
    assert any(d["also_at"] for d in documents.values())
    assert any(d["near_duplicate_of"] for d in documents.values())
    copy = f"{_site(1, 2)}p/1"  # the same text as its site's home page: folded into it
    assert copy in reference.requested and copy not in documents
    assert len(documents) > 20


# -- one, two and three processes ---------------------------------------------------------------


@pytest.mark.parametrize("helpers", [0, 1, 2])
def test_any_number_of_processes_gives_the_single_answer(
    rig: Rig, reference: Outcome, redis_client: redis.Redis, tmp_path: Path, helpers: int
) -> None:
    main = rig.main()
    others = [rig.helper(f"helper{n}") for n in range(helpers)]
    _finished(main)
    for helper in others:
        _finished(helper)
    found = outcome(tmp_path / "out", rig.processes)
    assert_same_answer(found, reference)
    # Every robots.txt fetched was kept for the process that reads its site (obeyed there: the
    # page_robots event of the coverage is the single process's).
    assert {netloc.decode() for netloc in redis_client.hkeys("watch:expertblogs:robots")} == found.hosts
    for helper in others:
        assert committed(helper) > 0, helper.log[-3000:]  # helpers really read sites
        assert not any(urlsplit(url).path == "/blogs-experts" for url in helper.web.requested_urls())
    assert "Resuming" not in main.log


# -- faults ---------------------------------------------------------------------------------------


def _requests(*processes: Process) -> int:
    return sum(len(process.web.requested_urls()) for process in processes)


def test_a_helper_killed_mid_level_leaves_its_sites_to_the_others(
    rig: Rig, redis_client: redis.Redis, reference: Outcome, tmp_path: Path
) -> None:
    main = rig.main()
    helper = rig.helper()
    wait_until(lambda: _requests(helper) >= 20 and holds_sites(redis_client, helper), "the helper to hold sites")
    helper.kill()
    _finished(main)
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference, once=False)
    assert counters(redis_client)["leases_lapsed"] >= 1  # the helper's sites were read again, by the main


def test_the_main_killed_and_run_again_resumes_the_crawl(
    rig: Rig, reference: Outcome, tmp_path: Path
) -> None:
    first = rig.main("main1")
    wait_until(lambda: _requests(first) >= 60, "the main to be well into the crawl")
    first.kill()
    again = rig.main("main2")
    _finished(again)
    assert "Resuming the shared crawl" in again.log
    assert START_URL not in again.web.requested_urls()  # seeded before it died: not read again
    assert _requests(again) < len(reference.requested)
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference, once=False)


def test_every_process_killed_then_the_same_commands_again(
    rig: Rig, redis_client: redis.Redis, reference: Outcome, tmp_path: Path
) -> None:
    first = [rig.main("main1"), rig.helper("helper1"), rig.helper("helper2")]
    wait_until(lambda: _requests(*first) >= 70, "the crawl to be well under way")
    for process in first:
        process.kill()
    again = [rig.main("main2"), rig.helper("helper3"), rig.helper("helper4")]
    for process in again:
        _finished(process)
    assert "Resuming the shared crawl" in again[0].log
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference, once=False)


def _earlier_run(out: Path) -> Callable[[], None]:
    """Files an earlier run left in ``out``; returns a check that they are still as they were."""
    out.mkdir()
    earlier = {name: f"an earlier run's {name}\n" for name in ("out.jsonl", "coverage.json", "near_misses.json")}
    for name, text in earlier.items():
        (out / name).write_text(text, encoding="utf-8")
    stamps = {name: (out / name).stat().st_mtime_ns for name in earlier}

    def untouched() -> None:
        assert {name: (out / name).read_text("utf-8") for name in earlier} == earlier
        assert {name: (out / name).stat().st_mtime_ns for name in earlier} == stamps

    return untouched


def test_ctrl_c_of_the_main_writes_nothing_and_gives_its_sites_back(
    rig: Rig, redis_client: redis.Redis, reference: Outcome, tmp_path: Path
) -> None:
    untouched = _earlier_run(tmp_path / "out")
    main = rig.main("main1")
    wait_until(lambda: _requests(main) >= 30 and holds_sites(redis_client, main), "the main to hold sites")
    main.popen.send_signal(signal.SIGINT)
    assert main.wait(120) != 0
    untouched()
    assert redis_client.zcard("watch:expertblogs:leases") == 0  # given back, not left to lapse
    assert "No document released to the feeds: the shared crawl is not read yet" in main.log
    again = rig.main("main2")
    _finished(again)
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference, once=False)


def test_redis_restarted_without_its_data_stops_the_crawl_and_writes_nothing(
    rig: Rig, redis_server: RedisServer, tmp_path: Path
) -> None:
    untouched = _earlier_run(tmp_path / "out")
    main = rig.main()
    helper = rig.helper()
    wait_until(lambda: _requests(main, helper) >= 40, "the crawl to be under way")
    redis_server.stop()
    redis_server.start()  # same port, no data
    for process in (main, helper):
        assert process.wait(120) != 0, process.log[-3000:]
        assert "is gone from Redis (restarted without persistence?)" in process.log
        assert "Traceback" not in process.log
    untouched()


def test_redis_paused_longer_than_a_lease_the_crawl_goes_on(
    rig: Rig, redis_server: RedisServer, redis_client: redis.Redis, reference: Outcome, tmp_path: Path
) -> None:
    """Redis unreachable (no answer at all) for 4 s, leases of 3 s: no lease lapses for it."""
    main = rig.main()
    helper = rig.helper()
    wait_until(lambda: _requests(main, helper) >= 40 and holds_sites(redis_client, helper), "the crawl to be under way")
    redis_server.pause()
    time.sleep(4)
    redis_server.resume()
    _finished(main)
    _finished(helper)
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference)
    assert counters(redis_client).get("leases_lapsed", 0) == 0


def test_redis_restarted_with_its_data_the_crawl_goes_on(
    shared_web: SharedWeb, reference: Outcome, tmp_path: Path
) -> None:
    """Redis down for 4 s (connections refused), then back with its data: a clear error, then the
    crawl goes on and gives the same answer."""
    with RedisServer(persistent=True) as redis_server:
        rig = Rig(shared_web, redis_server, tmp_path)
        try:
            main = rig.main()
            helper = rig.helper()
            wait_until(lambda: _requests(main, helper) >= 40, "the crawl to be under way")
            redis_server.stop()
            time.sleep(4)
            redis_server.start()
            _finished(main)
            _finished(helper)
            assert "is unreachable" in main.log + helper.log
            assert_same_answer(outcome(tmp_path / "out", rig.processes), reference, once=False)
        finally:
            rig.close()


def test_a_main_that_died_after_its_feeds_writes_them_again(
    rig: Rig, redis_client: redis.Redis, reference: Outcome, tmp_path: Path
) -> None:
    """Killed between writing the feeds and marking the crawl finished: the same command writes
    the same feeds and reports again, reading no page."""
    _finished(rig.main("main1"))
    redis_client.hset("watch:expertblogs:meta", "status", "assembling")
    for written in (tmp_path / "out").iterdir():
        written.unlink()
    again = rig.main("main2")
    _finished(again)
    assert again.web.requested_urls() == []
    found = outcome(tmp_path / "out", rig.processes)
    assert_same_answer(found, reference)
    assert redis_client.hget("watch:expertblogs:meta", "status") == b"finished"


# -- joining ------------------------------------------------------------------------------------


def test_a_helper_started_first_waits_for_the_main(rig: Rig, reference: Outcome, tmp_path: Path) -> None:
    helper = rig.helper(settings={"WATCH_REDIS_JOIN_WAIT": "120"})
    wait_until(lambda: "Waiting up to 120 s for the main run of the crawl 'expertblogs'" in helper.log, "the helper to wait")
    time.sleep(1)
    main = rig.main()
    _finished(main)
    _finished(helper)
    assert committed(helper) > 0
    assert_same_answer(outcome(tmp_path / "out", rig.processes), reference)


def test_a_helper_with_no_crawl_to_join_says_so(rig: Rig) -> None:
    helper = rig.helper(settings={"WATCH_REDIS_JOIN_WAIT": "1"})
    assert helper.wait(60) == 2
    lines = helper.log.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Waiting up to 1 s")
    assert lines[1].startswith("scrapy crawl expertblogs: no crawl to join: the crawl 'expertblogs' in Redis at")
    assert "is not started (waited 1 s for the main run; start it, or check -a crawl_id)" in lines[1]
    assert helper.web.requested_urls() == []


def test_a_helper_takes_no_argument_of_its_own(rig: Rig) -> None:
    helper = rig.helper("helper", "-a", "query=Carata", "-a", "site_depth=2")
    assert helper.wait(60) == 2
    assert helper.log.strip().splitlines() == [
        "scrapy crawl expertblogs: a helper takes the crawl's arguments from Redis, so that they cannot"
        " disagree: drop query, site_depth"
    ]


def test_a_second_main_of_a_running_crawl_is_refused(rig: Rig, tmp_path: Path) -> None:
    first = rig.main("main1")
    wait_until(lambda: _requests(first) >= 10, "the first main to crawl")
    second = rig.main("main2", out_dir=tmp_path / "second")
    assert second.wait(60) == 2
    assert "is being run by another main run (main@" in second.log
    assert second.web.requested_urls() == []
    _finished(first)


def test_crawl_ids_keep_two_crawls_apart_on_one_redis(
    rig: Rig, redis_client: redis.Redis, shared_web: SharedWeb, reference: Outcome, tmp_path: Path
) -> None:
    smaller = ("-a", "pages_per_site=2", "-a", "site_depth=3")
    expected = _single(shared_web, tmp_path / "single", *smaller)
    alpha = rig.main("alpha", "-a", "crawl_id=alpha", out_dir=tmp_path / "alpha")
    beta = rig.main("beta", "-a", "crawl_id=beta", *smaller, out_dir=tmp_path / "beta")
    helpers = [rig.helper("helper-alpha", "-a", "crawl_id=alpha"), rig.helper("helper-beta", "-a", "crawl_id=beta")]
    for process in (alpha, beta, *helpers):
        _finished(process)
    alpha_processes = [alpha, helpers[0]]
    assert_same_answer(outcome(tmp_path / "alpha", alpha_processes), reference)
    assert_same_answer(outcome(tmp_path / "beta", [beta, helpers[1]]), expected)
    assert redis_client.hget("watch:alpha:meta", "status") == redis_client.hget("watch:beta:meta", "status") == b"finished"


def test_the_redis_password_is_never_shown(shared_web: SharedWeb, reference: Outcome, tmp_path: Path) -> None:
    password = "s3cret-Pa55word"
    with RedisServer(password=password) as redis_server:
        rig = Rig(shared_web, redis_server, tmp_path)
        try:
            main = rig.main()  # the password in the URL
            bare = redis_server.url.replace(f":{password}@", "")
            helper = rig.helper(url=bare, env={"WATCH_REDIS_PASSWORD": password})
            _finished(main)
            _finished(helper)
            assert_same_answer(outcome(tmp_path / "out", rig.processes), reference)
        finally:
            rig.close()
    assert "Starting the shared crawl 'expertblogs' in Redis at redis://:***@127.0.0.1:" in main.log
    assert "Helping the shared crawl 'expertblogs' in Redis at redis://:***@127.0.0.1:" in helper.log
    shown = [main.log, helper.log, *(path.read_text("utf-8") for path in (tmp_path / "out").iterdir())]
    assert not [text for text in shown if password in text]


# -- weekly monitoring ------------------------------------------------------------------------


def test_weekly_shared_runs_label_documents_as_single_runs_do(tmp_path: Path) -> None:
    """The monitoring state is written once, by the main: two weeks of shared runs give the labels
    (new, changed, unchanged) of two weeks of single runs."""
    labels: dict[str, list[dict[str, str]]] = {"single": [], "shared": []}
    for week in (1, 2):
        web = build_shared_web(week)
        single = Rig(web, None, tmp_path / f"single{week}")
        try:
            process = single.main("single", "-a", f"state={tmp_path / 'single.sqlite'}")
            _finished(process)
            labels["single"].append(_labels(tmp_path / f"single{week}" / "out"))
        finally:
            single.close()
        with RedisServer() as redis_server:
            shared = Rig(web, redis_server, tmp_path / f"shared{week}")
            try:
                main = shared.main("main", "-a", f"state={tmp_path / 'shared.sqlite'}")
                helper = shared.helper()
                _finished(main)
                _finished(helper)
                assert committed(helper) > 0
                labels["shared"].append(_labels(tmp_path / f"shared{week}" / "out"))
            finally:
                shared.close()
    assert labels["shared"] == labels["single"]
    first, second = labels["single"]
    assert set(first.values()) == {"new"}
    assert {"new", "changed", "unchanged"} <= set(second.values())


def _labels(out_dir: Path) -> dict[str, str]:
    lines = (out_dir / "out.jsonl").read_text("utf-8").splitlines()
    return {document["url"]: document["change"] for document in map(json.loads, lines)}
