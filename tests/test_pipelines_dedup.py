"""The deduplication pipeline: each case of DESIGN §5, its stats, and the release to the feeds."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from pipelines.dedup import DedupPipeline, HeldForDeduplication
from tests.conftest import REPO, project_settings
from watch.document import Document
from watch.fingerprints import content_fingerprint

TEXT = " ".join(
    f"Le conseil municipal de la ville numéro {i} a atteint le quorum et voté le budget des écoles." for i in range(12)
)
# Four sentences of twelve edited: 2 bits away from TEXT's simhash.
EDITED = " ".join(
    f"Le conseil municipal de la ville {'district' if i < 4 else 'numéro'} {i}{'x' if i < 4 else ''} a atteint le"
    " quorum et voté le budget des écoles."
    for i in range(12)
)


#: Each test page's place in the crawl's read order (level, site order, rank in the site), as the
#: scope stamps it: a.test was entered first, then c.test, then b.test, then d.test.
READ_ORDER = {
    "https://a.test/1": (1, 1, 0), "https://a.test/amp/1": (1, 1, 1), "https://a.test/2": (1, 1, 2),
    "https://a.test/final": (1, 1, 3), "https://a.test/empty": (1, 1, 4),
    "https://c.test/x": (1, 2, 0), "https://c.test/short": (1, 2, 1),
    "https://b.test/copy": (1, 3, 0), "https://b.test/copy2": (1, 3, 1), "https://b.test/1": (1, 3, 2),
    "https://b.test/empty": (1, 3, 3), "https://d.test/short": (1, 4, 0),
}  # fmt: skip


def _document(url: str, site: str, text: str = TEXT, title: str = "Budget") -> Document:
    return Document(
        url=url, canonical_url=url, site=site, site_level=1, depth=1, referer="", status=200,
        content_type="text/html", title=title, published="", language="fr",
        fetched_at="2026-01-05T08:00:00+00:00", text_length=len(text),
        fingerprint=content_fingerprint(title, text), text=text, read_order=READ_ORDER.get(url, ()),
    )  # fmt: skip


class _Run:
    """A dedup pipeline in a crawler (with the run's evidence), and what it released to the feeds."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.crawler = get_crawler(Spider, project_settings(settings))
        self.crawler._apply_settings()  # builds the extensions, the run's evidence among them
        self.crawler.spider = Spider.from_crawler(self.crawler, name="t")
        self.pipeline = build_from_crawler(DedupPipeline, self.crawler)
        self.released: list[SimpleNamespace] = []
        self.crawler.signals.connect(
            lambda item: self.released.append(SimpleNamespace(**item)), signal=signals.item_scraped, weak=False
        )
        self.dropped: list[str] = []

    def feed(self, *documents: Document) -> list[SimpleNamespace]:
        for document in documents:
            with pytest.raises(DropItem) as raised:
                self.pipeline.process_item(document)
            if not isinstance(raised.value, HeldForDeduplication):
                self.dropped.append(document.url)
        self.crawler.stats.inc_value("item_dropped_count", len(documents))  # as Scrapy's CoreStats does
        self.crawler.stats.inc_value("item_dropped_reasons_count/HeldForDeduplication", len(documents) - len(self.dropped))
        asyncio.run(self.pipeline.close_spider())
        return self.released

    def stat(self, name: str) -> int | None:
        return self.crawler.stats.get_value(f"watch/dedup/{name}")


def test_same_text_same_site_is_dropped() -> None:
    run = _Run()
    released = run.feed(_document("https://a.test/1", "a.test"), _document("https://a.test/amp/1", "a.test"))
    assert [d.url for d in released] == ["https://a.test/1"] and released[0].also_at == []
    assert run.stat("same_content_same_site") == 1


def test_same_text_other_sites_is_exported_once_with_also_at() -> None:
    run = _Run()
    released = run.feed(
        _document("https://a.test/1", "a.test"),
        _document("https://b.test/copy", "b.test", TEXT.upper().replace(" ", "  ")),
        _document("https://c.test/x", "c.test", title="Other title | C"),
        _document("https://b.test/copy2", "b.test"),
    )
    # Decided in the scope's read order, not arrival order.
    assert [(d.url, d.also_at) for d in released] == [("https://a.test/1", ["https://c.test/x", "https://b.test/copy"])]
    assert run.stat("same_content_other_site") == 2 and run.stat("same_content_same_site") == 1


def test_which_copy_is_kept_does_not_depend_on_arrival_order() -> None:
    def copies() -> list[Document]:
        return [
            _document("https://b.test/copy", "b.test"),
            _document("https://a.test/1", "a.test"),
            _document("https://a.test/amp/1", "a.test"),
        ]

    first, second = _Run().feed(*copies()), _Run().feed(*reversed(copies()))
    assert [(d.url, d.also_at) for d in first] == [(d.url, d.also_at) for d in second]
    assert [(d.url, d.also_at) for d in first] == [("https://a.test/1", ["https://b.test/copy"])]


def test_same_final_url_gives_one_item() -> None:
    run = _Run()
    first = _document("https://a.test/final", "a.test")
    # Another page of the site, read later, whose request was redirected to the same final URL.
    second = replace(first, text=TEXT + " Mis à jour.", fingerprint="0" * 16, read_order=(1, 1, 9))
    assert [d.url for d in run.feed(first, second)] == ["https://a.test/final"]
    assert run.stat("same_url") == 1


@pytest.mark.parametrize(("settings", "kept", "dropped_stat"), [({}, 2, None), ({"WATCH_DEDUP_NEAR_DROP": True}, 1, 1)])
def test_near_duplicates_are_marked_and_kept_unless_asked(settings: dict, kept: int, dropped_stat: int | None) -> None:
    run = _Run(settings)
    released = run.feed(_document("https://a.test/1", "a.test"), _document("https://b.test/1", "b.test", EDITED))
    assert len(released) == kept
    assert run.stat("near_duplicate") == 1 and run.stat("near_duplicate_dropped") == dropped_stat
    if kept == 2:
        assert released[1].near_duplicate_of == "https://a.test/1" and released[0].near_duplicate_of == ""


def test_near_distance_is_a_setting() -> None:
    run = _Run({"WATCH_DEDUP_NEAR_DISTANCE": 1})
    released = run.feed(_document("https://a.test/1", "a.test"), _document("https://b.test/1", "b.test", EDITED))
    assert [d.near_duplicate_of for d in released] == ["", ""]


def test_pages_without_words_are_never_folded() -> None:
    run = _Run()
    released = run.feed(
        _document("https://a.test/1", "a.test", "", title=""), _document("https://a.test/2", "a.test", "", title="")
    )
    assert len(released) == 2 and run.stat("no_text") == 2


def test_distinct_documents_pass_in_order_and_stats_end_right() -> None:
    run = _Run()
    other = "Une tout autre page parle de la piscine municipale et de ses horaires d'été. " * 5
    released = run.feed(_document("https://a.test/1", "a.test"), _document("https://a.test/2", "a.test", other))
    assert [d.url for d in released] == ["https://a.test/1", "https://a.test/2"]
    assert run.stat("documents") == 2 and run.stat("exported") == 2
    assert run.crawler.stats.get_value("item_dropped_count") == 0
    assert run.crawler.stats.get_value("item_dropped_reasons_count/HeldForDeduplication") == 0


@pytest.mark.parametrize(
    ("feed_fields", "text_kept"),
    [(None, True), (["url", "text"], True), (["url", "title"], False)],
)
def test_held_documents_keep_their_text_only_if_a_feed_exports_it(feed_fields: list | None, text_kept: bool) -> None:
    run = _Run({"FEED_EXPORT_FIELDS": feed_fields})
    released = run.feed(_document("https://a.test/1", "a.test"))
    assert (getattr(released[0], "text", None) == TEXT) is text_kept


def test_refuses_to_run_before_another_pipeline() -> None:
    settings = {"ITEM_PIPELINES": {"pipelines.dedup.DedupPipeline": 400, "pipelines.match.QueryMatchPipeline": 500}}
    with pytest.raises(ValueError, match="must be the last of ITEM_PIPELINES"):
        _Run(settings)


# A real crawl with the project's settings: documents made up by the spider (no network), through
# the pipelines and the monitoring state, into a JSON Lines feed.
_CRAWL = """
import sys
from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
sys.path.insert(0, {tests!r})
from test_pipelines_dedup import _document, TEXT

class Made(Spider):
    name = "made"
    async def start(self):
        yield _document("https://a.test/1", "a.test")
        yield _document("https://a.test/2", "a.test", "Une autre page, sur la piscine. " * 9)
        yield _document("https://b.test/copy", "b.test")
        yield _document("https://a.test/amp/1", "a.test")

settings = get_project_settings()
settings.setdict({{
    "WATCH_STATE_PATH": sys.argv[2], "WATCH_STATE_CHANGES": sys.argv[3],
    "FEEDS": {{sys.argv[1]: {{"format": "jsonlines", "fields": ["url", "also_at", "change"]}}}},
    "LOG_LEVEL": "INFO",
}})
process = CrawlerProcess(settings)
process.crawl(Made)
process.start()
"""


def _crawl(tmp_path: Path, changes: str) -> list[dict]:
    feed = tmp_path / f"{changes}.jsonl"
    script = _CRAWL.format(tests=str(REPO / "tests"))
    done = subprocess.run(
        [sys.executable, "-c", script, str(feed), str(tmp_path / "state.sqlite"), changes],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in feed.read_text().splitlines()]


@pytest.mark.slow
def test_a_real_crawl_writes_the_released_documents_to_the_feed(tmp_path: Path) -> None:
    assert _crawl(tmp_path, "all") == [
        {"url": "https://a.test/1", "also_at": ["https://b.test/copy"], "change": "new"},
        {"url": "https://a.test/2", "also_at": [], "change": "new"},
    ]
    assert _crawl(tmp_path, "new") == []  # the first crawl's documents are known now


def test_short_or_empty_texts_are_never_near_duplicates() -> None:
    released = _Run().feed(
        _document("https://a.test/empty", "a.test", text="", title="Empty A"),
        _document("https://b.test/empty", "b.test", text="", title="Empty B"),
        _document("https://c.test/short", "c.test", text="Trois mots seulement", title="C"),
        _document("https://d.test/short", "d.test", text="Trois mots aussi", title="D"),
    )
    assert [d.near_duplicate_of for d in released] == ["", "", "", ""]
