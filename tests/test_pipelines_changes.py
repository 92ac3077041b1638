"""The monitoring-state pipeline: labels, what each `changes` value exports, when a run counts."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from pipelines.changes import ChangesPipeline
from watch.state import StateInUse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pipelines_dedup import _document  # noqa: E402


# The signals are sent by hand here, without a crawl: the extensions that listen to them would
# find nothing started.
_NO_EXTENSIONS = {
    "EXTENSIONS": {"scrapy.extensions.corestats.CoreStats": None, "scrapy.extensions.feedexport.FeedExporter": None}
}


def _pipeline(state: Path, changes: str = "all", **settings: Any) -> tuple[ChangesPipeline, Any]:
    crawler = get_crawler(
        Spider, {"WATCH_STATE_PATH": str(state), "WATCH_STATE_CHANGES": changes, **_NO_EXTENSIONS, **settings}
    )
    return build_from_crawler(ChangesPipeline, crawler), crawler


def _run(state: Path, pages: dict[str, str], changes: str = "all", **settings: Any) -> dict[str, str | None]:
    """One crawl: each page (url -> text) through the pipeline; return url -> exported change."""
    pipeline, crawler = _pipeline(state, changes, **settings)
    exported: dict[str, str | None] = {}
    for url, text in pages.items():
        try:
            exported[url] = pipeline.process_item(_document(url, "a.test", text)).change
        except DropItem:
            exported[url] = None
    closed = signals.feed_exporter_closed if settings.get("FEEDS") else signals.spider_closed
    asyncio.run(crawler.signals.send_catch_log_async(signal=closed, spider=crawler.spider, reason="finished"))
    return exported


WEEK_1 = {"https://a.test/1": "un", "https://a.test/2": "deux", "https://a.test/3": "trois"}
WEEK_2 = {"https://a.test/1": "un", "https://a.test/2": "deux, revu", "https://a.test/4": "quatre"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ("all", {"https://a.test/1": "unchanged", "https://a.test/2": "changed", "https://a.test/4": "new"}),
        ("changed", {"https://a.test/1": None, "https://a.test/2": "changed", "https://a.test/4": "new"}),
        ("new", {"https://a.test/1": None, "https://a.test/2": None, "https://a.test/4": "new"}),
    ],
)
def test_second_week_exports_what_the_setting_asks(tmp_path: Path, changes: str, expected: dict) -> None:
    state = tmp_path / "state.sqlite"
    assert set(_run(state, WEEK_1).values()) == {"new"}
    assert _run(state, WEEK_2, changes) == expected


def test_stats(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    _run(state, WEEK_1)
    pipeline, crawler = _pipeline(state, "new")
    for url, text in WEEK_2.items():
        try:
            pipeline.process_item(_document(url, "a.test", text))
        except DropItem:
            pass
    pipeline.finish()
    stats = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith("watch/changes/")} == {
        "watch/changes/new": 1, "watch/changes/changed": 1, "watch/changes/unchanged": 1,
        "watch/changes/not_exported": 2, "watch/changes/missing": 1,
    }  # fmt: skip


def test_off_without_a_state_path() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(ChangesPipeline, get_crawler(Spider, {"WATCH_STATE_PATH": ""}))


def test_rejects_an_unknown_changes_value(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="WATCH_STATE_CHANGES must be one of all, new, changed; got 'some'"):
        _pipeline(tmp_path / "state.sqlite", "some")


def test_a_second_crawl_on_the_same_state_is_refused(tmp_path: Path) -> None:
    first, _ = _pipeline(tmp_path / "state.sqlite")
    with pytest.raises(StateInUse, match="in use by another watch run"):
        _pipeline(tmp_path / "state.sqlite")
    first.finish()


def test_with_feeds_the_run_counts_only_once_they_are_stored(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    feeds = {"FEEDS": {str(tmp_path / "out.jsonl"): {"format": "jsonlines"}}}
    pipeline, crawler = _pipeline(state, **feeds)
    pipeline.process_item(_document("https://a.test/1", "a.test", "un"))
    asyncio.run(crawler.signals.send_catch_log_async(signal=signals.spider_closed, spider=None, reason="finished"))
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0  # feeds not stored yet
    asyncio.run(crawler.signals.send_catch_log_async(signal=signals.feed_exporter_closed))
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 1


def test_a_feed_that_failed_to_store_leaves_the_state_as_it_was(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "state.sqlite"
    pipeline, crawler = _pipeline(state)
    pipeline.process_item(_document("https://a.test/1", "a.test", "un"))
    crawler.stats.inc_value("feedexport/failed_count/FileFeedStorage")
    pipeline.finish()
    assert "could not be stored" in caplog.text
    assert _run(state, {"https://a.test/1": "un"}) == {"https://a.test/1": "new"}
