"""The monitoring-state pipeline: labels, what each `changes` value exports, when a run counts."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from pipelines.changes import ChangesConfig, MonitoringChanges
from spiders.config import SettingError
from tests.conftest import project_settings
from watch.ledger import Deduplicator, DocumentEvidence, HeldDocument, release

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pipelines_dedup import _document  # noqa: E402


# The signals are sent by hand here, without a crawl: the extensions that listen to them would
# find nothing started.
_NO_EXTENSIONS = {
    "EXTENSIONS": {"scrapy.extensions.corestats.CoreStats": None, "scrapy.extensions.feedexport.FeedExporter": None}
}


def _changes(state: Path, changes: str = "all", **settings: Any) -> tuple[MonitoringChanges, Any]:
    crawler = get_crawler(
        Spider,
        project_settings({"WATCH_STATE_PATH": str(state), "WATCH_STATE_CHANGES": changes, **_NO_EXTENSIONS, **settings}),
    )
    return MonitoringChanges.from_crawler(crawler), crawler


def _fields(url: str, text: str) -> dict[str, Any]:
    document = _document(url, "a.test", text)
    return {"url": document.url, "canonical_url": document.canonical_url, "fingerprint": document.fingerprint,
            "fetched_at": document.fetched_at, "site": document.site}  # fmt: skip


def _run(state: Path, pages: dict[str, str], changes: str = "all", **settings: Any) -> dict[str, str | None]:
    """One crawl: each page (url -> text) labelled; return url -> exported change (None: not exported)."""
    monitoring, crawler = _changes(state, changes, **settings)
    exported: dict[str, str | None] = {}
    for url, text in pages.items():
        change, wanted = monitoring.label(_fields(url, text))
        exported[url] = change if wanted else None
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


def test_the_end_of_the_crawl_labels_then_deduplicates_in_read_order(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    _run(state, WEEK_1)
    monitoring, crawler = _changes(state, "new")
    evidence = [
        DocumentEvidence((1, 1, number), url, held=HeldDocument(_fields(url, text), _fields(url, text)["fingerprint"], None, True))
        for number, (url, text) in enumerate(WEEK_2.items())
    ]
    released = release(evidence, Deduplicator(), monitoring.label)
    assert [fields["url"] for fields in released.documents] == ["https://a.test/4"]
    assert released.documents[0]["change"] == "new"
    assert released.not_exported_by_changes == 2
    assert dict(released.counts) == {"watch/changes/new": 1, "watch/changes/changed": 1, "watch/changes/unchanged": 1,
                                     "watch/dedup/too_short_for_near": 1}  # fmt: skip
    monitoring.finish()
    assert crawler.stats.get_value("watch/changes/missing") == 1


def test_no_state_without_a_state_path() -> None:
    assert ChangesConfig.from_settings(get_crawler(Spider, project_settings()).settings).path is None


def test_rejects_an_unknown_changes_value(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="invalid setting WATCH_STATE_CHANGES='some': expected one of all, new, changed"):
        _changes(tmp_path / "state.sqlite", "some")


def test_a_second_crawl_on_the_same_state_is_refused(tmp_path: Path) -> None:
    first, _ = _changes(tmp_path / "state.sqlite")
    with pytest.raises(SettingError, match="in use by another watch run"):
        _changes(tmp_path / "state.sqlite")
    first.finish()


def test_with_feeds_the_run_counts_only_once_they_are_stored(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    feeds = {"FEEDS": {str(tmp_path / "out.jsonl"): {"format": "jsonlines"}}}
    monitoring, crawler = _changes(state, **feeds)
    monitoring.label(_fields("https://a.test/1", "un"))
    asyncio.run(crawler.signals.send_catch_log_async(signal=signals.spider_closed, spider=None, reason="finished"))
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0  # feeds not stored yet
    asyncio.run(crawler.signals.send_catch_log_async(signal=signals.feed_exporter_closed))
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 1


def test_a_feed_that_failed_to_store_leaves_the_state_as_it_was(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "state.sqlite"
    monitoring, crawler = _changes(state)
    monitoring.label(_fields("https://a.test/1", "un"))
    crawler.stats.inc_value("feedexport/failed_count/FileFeedStorage")
    monitoring.finish()
    assert "could not be stored" in caplog.text
    assert _run(state, {"https://a.test/1": "un"}) == {"https://a.test/1": "new"}
