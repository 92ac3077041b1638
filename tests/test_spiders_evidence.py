"""The run's evidence extension: report folder, seeds, progress, and what it settles in read order."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from spiders.evidence import Evidence, evidence_of, report_dir
from tests.conftest import project_settings
from watch.ledger import HeldDocument, Released
from watch.query import QuerySet
from watch.query.nearmiss import Sighting
from watch.scope import CrawlScope
from watch.seeds import Seed, read_seeds_file

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler


def _crawler(**settings: Any) -> Crawler:
    crawler = get_crawler(Spider, project_settings(settings))
    crawler._apply_settings()
    crawler.spider = Spider.from_crawler(crawler, name="t")
    return crawler


@pytest.mark.parametrize(
    ("settings", "folder"),
    [
        ({"WATCH_REPORT_DIR": "reports/week1"}, "reports/week1"),
        ({"FEEDS": {"out/matches.csv": {"format": "csv"}}}, "out"),
        ({"FEEDS": {"file:///tmp/x/matches.jsonl": {"format": "jsonlines"}}}, "/tmp/x"),
        ({"FEEDS": {"results/%(name)s/%(time)s.csv": {"format": "csv"}}}, "results"),
        ({"FEEDS": {"s3://bucket/matches.csv": {"format": "csv"}}}, "results"),
        ({}, "results"),
    ],
)
def test_the_report_folder(settings: dict[str, Any], folder: str) -> None:
    assert str(report_dir(_crawler(**settings).settings)) == folder


def test_seeds_are_written_at_once(tmp_path: Path) -> None:
    crawler = _crawler(WATCH_REPORT_DIR=str(tmp_path))
    seeds = [Seed("http://portal.test/", "Portal", 0), Seed("http://a.test/", "A", 1), Seed("http://b.test/", "B", 2)]
    evidence_of(crawler).record_seeds(seeds)
    assert read_seeds_file(tmp_path / "seeds.csv") == seeds
    assert crawler.stats.get_value("watch/seeds/count") == 2


def _crawled(evidence: Evidence) -> CrawlScope[None]:
    """A scope whose level-1 site a.test read three pages, the third an error."""
    scope: CrawlScope[None] = CrawlScope(site_depth=1, pages_per_site=3)
    scope.add_seed("http://a.test/", None)
    (home,) = scope.next_level()
    links = [("http://a.test/1", None), ("http://a.test/2", None)]
    one, two = scope.page_read(home.key, 200, links)
    scope.page_read(one.key, 200, [])
    scope.page_failed(two.key, "error", fault="timeout")
    assert scope.next_level() == []
    evidence.watch_scope(scope)
    return scope


def test_the_end_settles_terms_and_near_misses_in_read_order(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawler = _crawler(WATCH_REPORT_DIR=str(tmp_path))
    evidence = evidence_of(crawler)
    _crawled(evidence)
    queries = QuerySet({"query": "Quorum OR Nationbuilder"})
    evidence.use_equations(queries, queries.every_term())
    near = (Sighting("Nationbuilder", ("nation", "builder"), "Nation Builder"),)
    # Recorded as downloads finished: a.test/1 before a.test/ — settled in read order.
    for order, url, terms in (((1, 1, 1), "http://a.test/1", ("Quorum",)), ((1, 1, 0), "http://a.test/", ("Quorum",))):
        entry = evidence.ledger.evidence("a.test", order, url)
        entry.terms, entry.equations, entry.near_misses = terms, ("query",), near
        entry.held = HeldDocument({"url": url}, url, None, True)
    evidence.released(Released(documents=[{"url": "http://a.test/"}, {"url": "http://a.test/1"}]), 0, 0)
    evidence._spider_closed(crawler.spider, "finished")
    with caplog.at_level(logging.INFO, logger="spiders.evidence"):
        evidence._write()
    near_misses = json.loads((tmp_path / "near_misses.json").read_text("utf-8"))
    assert near_misses == {
        "Quorum": [],
        "Nationbuilder": [{"form": "Nation Builder", "count": 2, "examples": ["http://a.test/", "http://a.test/1"]}],
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["  0 documents contain Nationbuilder; 2 contain 'Nation Builder' (e.g. http://a.test/)"]
    coverage = json.loads((tmp_path / "coverage.json").read_text("utf-8"))
    quorum = next(term for term in coverage["terms"] if term["term"] == "Quorum")
    assert quorum["first_urls"] == ["http://a.test/", "http://a.test/1"]
    assert coverage["documents"]["read"] == 2 and coverage["documents"]["exported"] == 2
    assert coverage["interrupted"] is False
    assert (tmp_path / "coverage.html").is_file()
    messages = [r.getMessage() for r in caplog.records]
    assert any(message.split() == ["1", "1", "3", "2", "1"] for message in messages)  # the per-level table


def test_an_interrupted_run_says_so(tmp_path: Path) -> None:
    crawler = _crawler(WATCH_REPORT_DIR=str(tmp_path))
    evidence = evidence_of(crawler)
    _crawled(evidence)
    evidence._spider_closed(crawler.spider, "shutdown")
    evidence._write()
    assert json.loads((tmp_path / "coverage.json").read_text("utf-8"))["interrupted"] is True


def test_the_progress_line(caplog: pytest.LogCaptureFixture) -> None:
    crawler = _crawler()
    evidence = evidence_of(crawler)
    scope: CrawlScope[None] = CrawlScope(site_depth=2, pages_per_site=10)
    for site in ("a", "b"):
        scope.add_seed(f"http://{site}.test/", None)
    first, _ = scope.next_level()
    scope.page_read(first.key, 200, [])
    evidence.watch_scope(scope)
    crawler.stats.set_value("response_received_count", 5)
    with caplog.at_level(logging.INFO, logger="spiders.evidence"):
        evidence._log_progress()
    (line,) = [r.getMessage() for r in caplog.records]
    assert "level 1: 1/2 site(s) done, ≤ 10 page(s) left on it" in line
    assert "5 page(s) fetched" in line and "0 document(s) matched" in line and "0 error(s)" in line


def test_no_progress_line_when_switched_off() -> None:
    crawler = _crawler(WATCH_PROGRESS_INTERVAL=0)
    evidence = evidence_of(crawler)
    evidence._spider_opened(crawler.spider)
    assert not evidence._progress.running
