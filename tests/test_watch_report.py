"""The coverage report: built from a real scope run, summarised for a reader."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from watch.report import build_report, main, summary_lines, write_report
from watch.scope import CrawlScope

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _report() -> dict:
    scope: CrawlScope[None] = CrawlScope(site_depth=1, pages_per_site=2)
    start = scope.start_page("http://portal.test/", None)
    scope.add_seed("http://a.test/", None)
    scope.page_read(start.key, 200, [])
    (first,) = scope.next_level()
    links = [(u, None) for u in ("http://a.test/private", "http://a.test/1", "http://a.test/2", "http://b.test/")]
    released = scope.page_read(first.key, 200, links)
    scope.page_failed(released[0].key, "robots")
    (second,) = [r for r in scope.in_flight()]
    scope.page_read(second, 404, [])
    assert scope.next_level() == []
    stats = {"watch/pages/documents": 2, "item_scraped_count": 0, "watch/match/term/Quorum": 0,
             "watch/match/term/\"Digital Box\"": 0, "finish_reason": "finished"}  # fmt: skip
    return build_report(scope.coverage(), stats, start_url="http://portal.test/",
                        equation='Quorum OR "Digital Box"', feeds=["results/out.csv"])  # fmt: skip


def test_report_counts_what_was_read_and_why_the_rest_was_not() -> None:
    report = _report()
    assert report["levels"] == {"0": ["portal.test"], "1": ["a.test"]}
    assert report["pages_requested"] == 3
    assert report["statuses"] == {"200": 2, "404": 1}
    assert report["skipped"]["robots_txt"] == 1
    assert report["skipped"]["links_beyond_page_budget"] == 1
    assert report["skipped"]["sites_too_deep"] == 1
    assert report["sites_too_deep"] == ["b.test"]
    assert report["term_hits"] == {"Quorum": 0, '"Digital Box"': 0}


def test_summary_is_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _report()
    lines = summary_lines(report)
    assert "  level 1: 1 site(s), 2 page(s): a.test" in lines
    assert "Documents per term: Quorum: 0, \"Digital Box\": 0" in lines
    assert any(line.startswith("  deeper than level 1, never requested: 1 site(s) (b.test)") for line in lines)
    path = tmp_path / "coverage.json"
    write_report(report, path)
    assert json.loads(path.read_text("utf-8"))["levels"] == report["levels"]
    assert main([str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == lines
