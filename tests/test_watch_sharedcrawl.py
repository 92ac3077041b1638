"""The Redis side of a shared crawl, against a real redis-server on 127.0.0.1 (issue 10)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from watch.scope import Entry
from watch.sharedcrawl import MainHold, SharedCrawl, SharedCrawlError, SiteInfo, SiteWork, Status

pytestmark = pytest.mark.redis


def _crawl(client: redis.Redis, worker: str = "w1", lease_seconds: float = 30.0) -> SharedCrawl:
    return SharedCrawl(client, "test", worker, lease_seconds)


def _seeded(redis_client: redis.Redis) -> SharedCrawl:
    crawl = _crawl(redis_client)
    assert crawl.begin({"query": "Quorum"}) is False
    seeds = {
        "b.test": [Entry((2,), "http://b.test/", None)],
        "a.test": [Entry((1,), "http://a.test/", None), Entry((3,), "http://a.test/x", None)],
    }
    crawl.seed([("portal.test", SiteInfo(0, (0,)), b"portal")], seeds)
    assert crawl.advance() == 2
    return crawl


def test_a_new_crawl_then_resumed_only_with_its_arguments(redis_client: redis.Redis) -> None:
    crawl = _crawl(redis_client)
    assert crawl.status() is None
    assert crawl.begin({"query": "Quorum", "site_depth": 5}) is False
    assert crawl.status() is Status.SEEDING
    assert crawl.begin({"site_depth": 5, "query": "Quorum"}) is True  # same arguments: resumed
    with pytest.raises(SharedCrawlError, match="other arguments"):
        crawl.begin({"query": "Carata", "site_depth": 5})
    assert crawl.arguments() == {"query": "Quorum", "site_depth": 5}
    crawl.finish()
    assert crawl.begin({"query": "Carata"}) is False  # a finished crawl is started afresh
    assert crawl.arguments() == {"query": "Carata"}


def test_levels_sites_and_leases_in_read_order(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    assert crawl.level() == 1
    first = crawl.lease()
    assert first is not None and first.site == "a.test" and first.level == 1 and first.order == (1,)
    assert [entry.url for entry in first.entries] == ["http://a.test/", "http://a.test/x"]
    second = _crawl(redis_client, "w2").lease()
    assert second is not None and second.site == "b.test"
    assert crawl.lease() is None  # every site of the level is held
    assert crawl.advance() is None  # and the level is not complete
    # a.test found c.test (twice) and b.test (known: not a new site); b.test found c.test first.
    assert crawl.commit(first, b"A", {"c.test": [Entry((1, 0, 4), "http://c.test/late", None)]})
    assert crawl.commit(second, b"B", {"c.test": [Entry((2, 0, 0), "http://c.test/", None)], "d.test": [Entry((2, 1, 0), "http://d.test/", None)]})
    assert crawl.advance() == 2
    assert crawl.level() == 2
    third = crawl.lease()
    assert third is not None and third.site == "c.test" and third.order == (1, 0, 4)
    assert [entry.url for entry in third.entries] == ["http://c.test/late", "http://c.test/"]
    assert [name for name, _, _ in crawl.results()] == ["portal.test", "a.test", "b.test"]
    assert crawl.counters()["sites_level_2"] == 2


def test_a_process_takes_at_most_an_even_split_of_the_level_among_the_live_ones(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)  # level 1: a.test and b.test
    other = _crawl(redis_client, "w2")
    other.renew({})  # w2 reached Redis: it is live, and gets its half of the level
    first = crawl.lease(held=0, at_most=8)
    assert first is not None and first.site == "a.test"
    assert crawl.lease(held=1, at_most=8) is None  # its half is held
    second = other.lease(held=0, at_most=8)
    assert second is not None and second.site == "b.test"


def test_a_lone_process_takes_the_level_up_to_its_cap_and_the_dead_do_not_count(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    assert crawl.lease(held=0, at_most=1) is not None
    assert crawl.lease(held=1, at_most=1) is None  # its cap
    _crawl(redis_client, "gone", lease_seconds=0.3).renew({})  # live for a third of its lease
    time.sleep(0.15)
    alone = _crawl(redis_client, lease_seconds=0.3)  # "gone" has not reached Redis for 0.15 s
    assert alone.lease(held=1, at_most=8) is not None  # the whole level is its share


def test_the_last_level_leaves_the_crawl_assembling(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    for _ in range(2):
        work = crawl.lease()
        assert work is not None
        assert crawl.commit(work, b"done", {})
    assert crawl.advance() == 0
    assert crawl.status() is Status.ASSEMBLING
    assert crawl.lease() is None


def test_a_lapsed_lease_goes_to_another_process_and_its_commit_is_refused(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    slow = _crawl(redis_client, "slow", lease_seconds=0.2)
    held = slow.lease()
    assert held is not None and held.site == "a.test"
    time.sleep(0.3)
    taken = crawl.lease()  # a.test's lease lapsed: it is back first in line
    assert taken is not None and taken.site == "a.test" and taken.token != held.token
    assert not slow.commit(held, b"late", {})
    assert crawl.commit(taken, b"on time", {})
    assert dict((name, blob) for name, _, blob in crawl.results())["a.test"] == b"on time"
    assert crawl.counters()["leases_lapsed"] == 1


def test_renewed_leases_are_kept_and_lost_ones_reported(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    worker = _crawl(redis_client, "w", lease_seconds=0.3)
    held = worker.lease()
    assert held is not None
    for _ in range(4):
        time.sleep(0.1)
        assert worker.renew({held.site: held.token}) == (set(), True)
    assert crawl.lease() is not None  # b.test; a.test is still held
    assert crawl.lease() is None
    assert worker.renew({held.site: "someone-else"}) == ({held.site}, True)


def test_a_released_site_goes_back_to_the_queue(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    held = crawl.lease()
    assert held is not None and crawl.release(held.site, held.token)
    again = crawl.lease()
    assert again is not None and again.site == held.site


def test_a_site_reached_by_a_redirect_is_claimed_once(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    source = crawl.lease()
    assert source is not None
    info = SiteInfo(1, (*source.order, 0), via=(source.site, 0))
    landing = Entry((1, 0, 0), "http://moved.test/", None)
    claimed = crawl.claim("moved.test", info, landing)
    assert claimed is not None and claimed.level == 1
    assert _crawl(redis_client, "w2").claim("moved.test", info, landing) is None
    assert crawl.sites()["moved.test"].via == ("a.test", 0)
    # The claimed site counts in its level: the level ends only once it is committed too.
    other = crawl.lease()
    assert other is not None
    assert crawl.commit(source, b"A", {}) and crawl.commit(other, b"B", {})
    assert crawl.advance() is None
    assert crawl.commit(claimed, b"M", {})
    assert crawl.advance() == 0


def test_one_process_advances_the_level(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    for _ in range(2):
        work = crawl.lease()
        assert work is not None
        assert crawl.commit(work, b"x", {"n.test": [Entry((9,), "http://n.test/", None)]})
    outcomes: list[int | None] = []
    threads = [
        threading.Thread(target=lambda w=w: outcomes.append(_crawl(redis.Redis(connection_pool=redis_client.connection_pool), w).advance()))
        for w in ("p", "q", "r", "s")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [1, None, None, None]
    assert crawl.level() == 2


def test_a_failed_crawl_tells_why(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    crawl.fail("the start page could not be read")
    assert crawl.status() is Status.FAILED
    assert crawl.failure() == "the start page could not be read"
    crawl.clear()
    assert crawl.status() is None


def test_time_when_nobody_reached_redis_does_not_count_against_leases(redis_client: redis.Redis) -> None:
    """Redis stopped (or unreachable for everyone) longer than a lease: no lease lapses for it."""
    crawl = _seeded(redis_client)
    worker = _crawl(redis_client, "w", lease_seconds=0.6)
    held = worker.lease()
    assert held is not None
    time.sleep(1.0)  # nobody calls: as if Redis were unreachable
    other = _crawl(redis_client, "other", lease_seconds=0.6)
    taken = other.lease()
    assert taken is not None and taken.site != held.site  # a.test's lease did not lapse
    assert worker.renew({held.site: held.token}) == (set(), True)
    for _ in range(8):  # while others reach Redis, a lease not renewed lapses
        time.sleep(0.15)
        other.renew({taken.site: taken.token})
    lapsed = other.lease()
    assert lapsed is not None and lapsed.site == held.site
    assert crawl.counters()["leases_lapsed"] == 1


def test_a_commit_whose_answer_was_lost_is_repeated_safely(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    work = crawl.lease()
    assert work is not None
    assert crawl.commit(work, b"A", {})
    assert crawl.commit(work, b"A", {})  # same token: the first commit's answer
    other = _crawl(redis_client, "w2").lease()
    assert other is not None
    assert not crawl.commit(SiteWork(other.site, other.level, other.order, other.entries, work.token), b"B", {})
    assert crawl.remaining() == 1


def test_one_main_holds_the_crawl(redis_client: redis.Redis) -> None:
    _seeded(redis_client)
    first = _crawl(redis_client, "main@a:1:x", lease_seconds=0.5)
    assert first.hold_main() == MainHold(True, "", 0.0)
    second = _crawl(redis_client, "main@b:2:y", lease_seconds=0.5)
    refused = second.hold_main()
    assert not refused.taken and refused.holder == "main@a:1:x" and 0 < refused.seconds_left <= 0.5
    assert first.renew({}, main=True) == (set(), True)
    assert second.hold_main(force=True).taken
    assert first.renew({}, main=True) == (set(), False)  # taken over: the first main must stop


def test_a_dead_workers_sites_are_reclaimed(redis_client: redis.Redis) -> None:
    crawl = _seeded(redis_client)
    dead = _crawl(redis_client, "main@h:1:a")
    held = dead.lease()
    assert held is not None
    assert _crawl(redis_client, "main@h:1:ab").reclaim("main@h:1:ab") == 0  # another worker's name prefix
    assert crawl.reclaim("main@h:1:a") == 1
    again = crawl.lease()
    assert again is not None and again.site == held.site


def test_entry_links_keep_their_payloads(redis_client: redis.Redis) -> None:
    crawl = _crawl(redis_client)
    crawl.begin({})
    state = {"depth": 1, "referer": "http://portal.test/", "priority": -1}
    crawl.seed([], {"a.test": [Entry((1,), "http://a.test/", state)]})
    assert crawl.advance() == 1
    work = crawl.lease()
    assert work is not None and work.entries == (Entry((1,), "http://a.test/", state),)
