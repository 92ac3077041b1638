"""The coverage report: built from a real scope run and typed counts, reconciled, round-tripped
through JSON, summarised for a reader, and rebuilt by ``python -m watch.report``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO
from watch.query import DocumentWords, compile_query
from watch.query.nearmiss import NearMissCollector
from watch.report import (
    SCHEMA_VERSION,
    CoverageReport,
    DocumentFlow,
    EquationEvidence,
    Feed,
    LinkSkip,
    MatchTally,
    NearMiss,
    NotCrawled,
    NotCrawledReason,
    Outcome,
    OutcomeGroup,
    PageNote,
    PageRecord,
    ReportError,
    RunParameters,
    SiteRecord,
    TermEvidence,
    TermTally,
    build_report,
    main,
    near_misses_from,
    read_report,
    summary_lines,
    write_report,
)
from watch.scope import CrawlScope, SlotKey
from watch.seeds import Seed

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

EQUATION = 'Quorum OR "Digital Box"'
STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
RUN = RunParameters(
    spider="expertblogs",
    start_url="http://portal.test/",
    equations={"query": EQUATION},
    arguments={"start_url": "http://portal.test/", "query": EQUATION},
    versions={"watch": "0.1.0", "scrapy": "2.19.0", "python": "3.11.7"},
    started_at=STARTED,
    finished_at=STARTED + timedelta(minutes=4, seconds=10),
    finish_reason="finished",
)
HEADLINE = "0 documents matched, out of 4 documents from 4 sites on levels 1–2 and the start page"
#: What the crawl's components counted for the scope run below: 4 documents, none matching.
FLOW = DocumentFlow(read=4, not_html=1, dropped_by_equation=4, exported=0)


def _scope_coverage() -> tuple[dict[str, Any], dict[tuple[str, int], PageNote]]:
    """A small crawl through the real scope, with a page of every common outcome.

    Level 0 portal.test; level 1 a.test (read, robots, timeout, 404; one link beyond the budget),
    old.test (moved to new.test, which reads a page and a non-HTML file), closed.test (robots.txt
    refuses its only page); level 2 b.test (read; its second page never finishes; links to
    c.test, one level too deep).
    """
    scope: CrawlScope[None] = CrawlScope(site_depth=2, pages_per_site=3)
    start = scope.start_page("http://portal.test/", None)
    for url in ("http://a.test/", "http://old.test/", "http://closed.test/"):
        scope.add_seed(url, None)
    scope.page_read(start.key, 200, [])
    a0, old0, closed0 = scope.next_level()
    links = [(f"http://a.test/{n}", None) for n in range(1, 5)] + [("http://b.test/", None)]
    a1, a2 = scope.page_read(a0.key, 200, links)
    (a3,) = scope.page_failed(a1.key, "robots")
    scope.page_failed(a2.key, "error")
    scope.page_read(a3.key, 404, [])
    moved = scope.redirect(old0.key, "http://new.test/", None)
    assert moved is not None
    scope.page_failed(old0.key, "moved")
    (new1,) = scope.page_read(moved.key, 200, [("http://new.test/report.pdf", None)])
    scope.page_read(new1.key, 200, [])
    scope.page_failed(closed0.key, "robots")
    (b0,) = scope.next_level()
    (b1,) = scope.page_read(b0.key, 200, [("http://b.test/1", None), ("http://c.test/", None)])
    assert b1.url == "http://b.test/1"
    assert scope.next_level() == []  # b.test/1 never finished: closed as lost
    notes = {
        a2.key: PageNote(Outcome.TIMEOUT, detail="User timeout caused connection failure."),
        new1.key: PageNote(Outcome.NOT_HTML, detail="application/pdf"),
        b0.key: PageNote(title="<script>alert(1)</script> B"),
    }
    return scope.coverage(), notes


def _near_misses() -> dict[str, tuple[NearMiss, ...]]:
    collector = NearMissCollector(compile_query(EQUATION).terms)
    collector.add(DocumentWords.from_text("Three quorums and a DigitalBox."), "http://a.test/")
    return near_misses_from(collector.report())


def _report(**changes: Any) -> CoverageReport:
    coverage, notes = _scope_coverage()
    arguments: dict[str, Any] = {
        "documents": FLOW,
        "match": MatchTally(0, {"query": 0}, {"Quorum": TermTally(), '"Digital Box"': TermTally()},
                            _near_misses()),
        "seeds": [Seed("http://portal.test/", "Portal", 0), Seed("http://a.test/", "Blog A", 1),
                  Seed("http://old.test/", "Old", 2), Seed("http://closed.test/", "Closed", 3)],
        "pages": notes,
        "feeds": [Feed("results/out.jsonl", 0)],
    }  # fmt: skip
    arguments.update(changes)
    run = arguments.pop("run", RUN)
    return build_report(coverage, run, **arguments)


# -- building ----------------------------------------------------------------------------------


def test_sites_per_level_pages_per_site_and_their_outcomes() -> None:
    report = _report()
    assert {level: [s.site for s in sites] for level, sites in report.levels.items()} == {
        0: ["portal.test"],
        1: ["a.test", "old.test", "new.test", "closed.test"],
        2: ["b.test"],
    }
    sites = {site.site: site for site in report.sites}
    assert [(p.url, p.status, p.outcome) for p in sites["a.test"].pages] == [
        ("http://a.test/", 200, Outcome.READ),
        ("http://a.test/1", None, Outcome.ROBOTS),
        ("http://a.test/2", None, Outcome.TIMEOUT),  # the scope's "error", refined by a note
        ("http://a.test/3", 404, Outcome.HTTP_ERROR),
    ]
    assert (sites["a.test"].budget, sites["a.test"].pages_counted, sites["a.test"].budget_left) == (3, 3, 0)
    assert (sites["portal.test"].budget, sites["portal.test"].budget_left) == (1, 0)
    assert [p.outcome for p in sites["new.test"].pages] == [Outcome.READ, Outcome.NOT_HTML]
    assert [p.outcome for p in sites["old.test"].pages] == [Outcome.MOVED]
    assert [p.outcome for p in sites["b.test"].pages] == [Outcome.READ, Outcome.LOST]
    assert sites["b.test"].pages[0].title == "<script>alert(1)</script> B"
    assert sites["b.test"].budget_left == 1


def test_what_was_not_crawled_and_why() -> None:
    report = _report(not_crawled=[NotCrawled("intranet.test", NotCrawledReason.PRIVATE_ADDRESS)])
    assert report.not_crawled == (
        NotCrawled("c.test", NotCrawledReason.TOO_DEEP),
        NotCrawled("closed.test", NotCrawledReason.ROBOTS),  # robots.txt refused its only page
        NotCrawled("intranet.test", NotCrawledReason.PRIVATE_ADDRESS),
    )
    assert report.link_skips[LinkSkip.BEYOND_BUDGET] == 1  # a.test/4
    assert report.link_skips[LinkSkip.TOO_DEEP] == 1  # c.test


def test_terms_of_each_equation_with_their_hits_and_near_misses() -> None:
    equations = {"parties": "Quorum OR Carata", "tools": '"Digital Box" OR (Quorum NEAR/3 vote)'}
    match = MatchTally(
        matched=2,
        by_equation={"parties": 2, "tools": 0},
        by_term={"Quorum": TermTally(2, tuple(f"http://a.test/{n}" for n in range(8)))},
        near_misses=_near_misses(),
    )
    report = _report(run=dataclasses.replace(RUN, equations=equations), match=match)
    assert report.equations == (
        EquationEvidence("parties", "Quorum OR Carata", 2, ("Quorum", "Carata")),
        EquationEvidence(
            "tools", equations["tools"], 0, ('"Digital Box"', "Quorum NEAR/3 vote", "Quorum", "vote")
        ),
    )
    terms = {term.term: term for term in report.terms}
    assert list(terms) == ["Quorum", "Carata", '"Digital Box"', "Quorum NEAR/3 vote", "vote"]
    assert terms["Quorum"].documents == 2 and len(terms["Quorum"].first_urls) == 5
    assert terms["Carata"] == TermEvidence("Carata", 0)  # a term never counted hit nothing
    assert [m.form for m in terms["Quorum"].near_misses] == ["quorums"]
    assert [m.form for m in terms['"Digital Box"'].near_misses] == ["DigitalBox"]
    assert report.to_json()["term_hits"] == {term: terms[term].documents for term in terms}


def test_page_notes_must_name_slots_of_the_scope() -> None:
    coverage, _ = _scope_coverage()
    with pytest.raises(ValueError, match=r"never allocated: \[\('nowhere.test', 0\)\]"):
        build_report(coverage, RUN, documents=FLOW, pages={("nowhere.test", 0): PageNote(Outcome.EMPTY)})


def test_an_unknown_outcome_is_named() -> None:
    page = {"url": "http://a.test/", "status": None, "outcome": "eaten"}
    site = {"site": "a.test", "level": 1, "pages_counted": 1, "pages": [page]}
    coverage = {"site_depth": 1, "pages_per_site": 1, "sites_too_deep": [], "events": {}, "sites": [site]}
    with pytest.raises(ValueError, match="unknown page outcome 'eaten' \\(known: read, rendered, "):
        build_report(coverage, RUN, documents=FLOW)


def test_a_note_does_not_overrule_a_precise_verdict_of_the_scope() -> None:
    coverage, notes = _scope_coverage()
    notes[SlotKey("a.test", 1)] = PageNote(Outcome.EMPTY)  # a.test/1 was refused by robots.txt
    report = build_report(coverage, RUN, documents=FLOW, pages=notes)
    assert {s.site: s for s in report.sites}["a.test"].pages[1].outcome is Outcome.ROBOTS


# -- totals ------------------------------------------------------------------------------------


def test_totals_reconcile() -> None:
    checks = {check.label: check for check in _report().reconciliations()}
    assert list(checks) == [
        "pages requested", "pages answered 2xx", "documents read", "documents searched",
        "items in results/out.jsonl",
    ]  # fmt: skip
    assert all(check.balanced for check in checks.values()), [str(c) for c in checks.values()]
    # 8 pages counted: portal, a.test ×3, new.test ×2, b.test ×2; refusals and the move are not.
    assert str(checks["pages requested"]) == (
        "pages requested 8 = read 4 + not a web page 1 + HTTP status other than 2xx 1 + timed out 1"
        " + never finished 1"
    )
    assert str(checks["pages answered 2xx"]) == (
        "pages answered 2xx 5 = documents 4 + not web pages 1 + binary 0 + empty 0 + unreadable 0"
    )


def test_page_outcomes_counted_agree_with_the_scope() -> None:
    """Every outcome the scope gives back its slot for is an outcome that is not counted."""
    report = _report()
    for site in report.sites:
        assert site.pages_counted == sum(1 for page in site.pages if page.outcome.counted), site.site
    assert {o for o in Outcome if not o.counted} >= {Outcome.ROBOTS, Outcome.MOVED, Outcome.DUPLICATE}


@pytest.mark.parametrize(
    ("flow", "feed_items", "wrong"),
    [
        (dataclasses.replace(FLOW, read=5), 0, [
            "pages answered 2xx 5 ≠ documents 5 + not web pages 1 + binary 0 + empty 0 + unreadable 0 (1 too many)",
            "documents read 5 ≠ exported 0 + matching no equation 4 + not wanted by changes 0"
            " + duplicates folded 0 + near-duplicates dropped 0 + failed in a pipeline 0 (1 unaccounted for)",
            "documents searched 5 ≠ matched 0 + matching no equation 4 (1 unaccounted for)",
        ]),
        (FLOW, 3, ["items in results/out.jsonl 3 ≠ documents exported 0 (3 unaccounted for)"]),
    ],
)  # fmt: skip
def test_totals_that_do_not_reconcile_say_by_how_much(
    flow: DocumentFlow, feed_items: int, wrong: list[str]
) -> None:
    report = _report(documents=flow, feeds=[Feed("results/out.jsonl", feed_items)])
    assert [str(check) for check in report.reconciliations() if not check.balanced] == wrong
    prefix = "Does not reconcile: "
    assert [line[len(prefix) :] for line in summary_lines(report) if line.startswith(prefix)] == wrong
    assert "Totals that do not reconcile: " + "; ".join(wrong) in report.evidence()


# -- faults ------------------------------------------------------------------------------------


def test_faults_of_the_web_are_listed_by_kind_with_their_pages() -> None:
    """Pages whose outcome is a fault, by kind in the order of Outcome, URLs in read order; the
    crawl's own decisions (robots.txt, moves, lost pages) are not faults."""
    coverage = {
        "site_depth": 1, "pages_per_site": 5, "sites_too_deep": [], "events": {},
        "sites": [
            {"site": "a.test", "level": 1, "pages_counted": 5, "pages": [
                {"url": "http://a.test/", "status": 200, "outcome": "text_truncated", "fault": ""},
                {"url": "http://a.test/500", "status": 500, "outcome": "server_error", "fault": ""},
                {"url": "http://a.test/slow", "status": None, "outcome": "error", "fault": "timeout"},
                {"url": "http://a.test/robots", "status": None, "outcome": "robots", "fault": "robots"},
                {"url": "http://a.test/lost", "status": None, "outcome": None, "fault": ""},
            ]},
            {"site": "b.test", "level": 1, "pages_counted": 2, "pages": [
                {"url": "http://b.test/", "status": None, "outcome": "error", "fault": "timeout"},
                {"url": "http://b.test/x", "status": None, "outcome": "error", "fault": "something_new"},
            ]},
        ],
    }  # fmt: skip
    report = build_report(coverage, RunParameters("sites"), documents=DocumentFlow(read=1, exported=1))
    assert {outcome.value: [page.url for page in pages] for outcome, pages in report.faults.items()} == {
        "text_truncated": ["http://a.test/"],
        "server_error": ["http://a.test/500"],
        "error": ["http://b.test/x"],  # a kind the report does not name: a download error, with its detail
        "timeout": ["http://a.test/slow", "http://b.test/"],
    }
    data = json.loads(json.dumps(report.to_json()))
    assert data["faults"]["timeout"] == {
        "label": "timed out", "pages": 2, "urls": ["http://a.test/slow", "http://b.test/"]
    }  # fmt: skip
    assert list(data["faults"]) == ["text_truncated", "server_error", "error", "timeout"]
    assert "Faults of the web: 5 pages (text_truncated 1, server_error 1, error 1, timeout 2)" in summary_lines(report)
    assert CoverageReport.from_json(data).faults == report.faults


def test_faults_are_outcomes_of_pages_the_crawl_requested() -> None:
    faults = {outcome for outcome in Outcome if outcome.fault}
    assert all(outcome.counted for outcome in faults)
    assert {outcome.group for outcome in faults} == {OutcomeGroup.DOCUMENT, OutcomeGroup.NO_DOCUMENT, OutcomeGroup.ERROR}
    assert not {Outcome.ROBOTS, Outcome.PRIVATE_ADDRESS, Outcome.LOST, Outcome.NOT_HTML, Outcome.HTTP_ERROR} & faults


def test_a_report_written_before_a_count_was_added_reads_it_as_zero() -> None:
    data = json.loads(json.dumps(_report().to_json()))
    for name in ("not_text", "empty"):
        del data["documents"][name]
    assert CoverageReport.from_json(data).documents == FLOW


# -- headline and summary ----------------------------------------------------------------------


def test_a_zero_result_run_opens_with_what_it_read() -> None:
    report = _report()
    assert report.headline() == HEADLINE
    assert report.evidence()[:3] == [
        "8 pages requested on 4 sites (3 at most per site, 2 level(s) of sites): 4 read, 1 not a web page,"
        " 1 HTTP status other than 2xx, 1 timed out, 1 never finished",
        "Never requested, their slot given back: 1 redirected to another site, counted there,"
        " 2 refused by robots.txt",
        "1 site not crawled: deeper than site_depth: never requested, not even its robots.txt",
    ]
    assert "Quorum: 0 documents; near misses: 'quorums' in 1" in report.evidence()


@pytest.mark.parametrize(
    ("levels", "equations", "matched", "expected"),
    [
        (5, {"query": "Quorum"}, 0, "0 documents matched, out of 7 documents from 5 sites on levels 1–5"),
        (1, {"query": "Quorum"}, 1, "1 document matched, out of 7 documents from 1 site on level 1"),
        (0, {"query": "Quorum"}, 0, "0 documents matched, out of 7 documents from 0 sites"),
        (2, {}, 0, "6 documents exported, out of 7 documents from 2 sites on levels 1–2 (no equation)"),
    ],
)
def test_headline(levels: int, equations: dict[str, str], matched: int, expected: str) -> None:
    sites = [{"site": f"{n}.test", "level": n, "pages_counted": 0, "pages": []} for n in range(1, levels + 1)]
    coverage = {"site_depth": 5, "pages_per_site": 10, "sites": sites, "sites_too_deep": [], "events": {}}
    run = RunParameters("sites", equations=equations)
    flow = DocumentFlow(read=7, exported=6)
    report = build_report(coverage, run, documents=flow, match=MatchTally(matched))
    assert report.headline() == expected


def test_an_interrupted_run_says_so_first() -> None:
    report = _report(run=dataclasses.replace(RUN, finish_reason="shutdown", interrupted=True))
    assert report.headline() == f"Interrupted: {HEADLINE}"
    assert summary_lines(report)[0] == report.headline()


def test_summary_is_readable() -> None:
    lines = summary_lines(_report())
    assert lines[0] == HEADLINE
    assert "  level 1: 4 site(s), 5 page(s): a.test, old.test, new.test, closed.test" in lines
    too_deep = "deeper than site_depth: never requested, not even its robots.txt"
    assert f"  not crawled, {too_deep}: 1 site(s) (c.test)" in lines
    assert "Pages requested: 8 (HTTP 200: 5, 404: 1)" in lines
    assert 'Equation query: Quorum OR "Digital Box" (0 documents)' in lines
    assert 'Documents per term: Quorum: 0, "Digital Box": 0' in lines
    assert (
        "Links not followed: links beyond their site's page budget 1, links to sites deeper than site_depth 1"
    ) in lines
    assert not [line for line in lines if line.startswith("Does not reconcile")]


# -- JSON --------------------------------------------------------------------------------------


def test_json_keeps_the_keys_of_watch_0_1() -> None:
    data = json.loads(json.dumps(_report().to_json()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["levels"] == {
        "0": ["portal.test"], "1": ["a.test", "old.test", "new.test", "closed.test"], "2": ["b.test"]
    }  # fmt: skip
    assert data["equation"] == EQUATION
    assert data["pages_requested"] == 8
    assert data["statuses"] == {"200": 5, "404": 1}
    assert data["documents_read"] == 4 and data["documents_exported"] == 0
    assert data["skipped"]["robots_txt"] == 2
    assert data["skipped"]["links_beyond_page_budget"] == 1
    assert data["skipped"]["sites_too_deep"] == 1
    assert data["sites_too_deep"] == ["c.test"]
    assert data["term_hits"] == {"Quorum": 0, '"Digital Box"': 0}
    assert {site["site"]: site["pages_counted"] for site in data["sites"]}["a.test"] == 3
    assert data["outcomes"] == {
        "read": 4, "not_html": 1, "http_error": 1, "timeout": 1, "lost": 1, "moved": 1, "robots": 2
    }  # fmt: skip


def test_json_round_trip(tmp_path: Path) -> None:
    report = _report()
    json_path, html_path = write_report(report, tmp_path / "results")
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["coverage.html", "coverage.json"]
    assert read_report(json_path) == report
    assert html_path.read_text("utf-8").startswith("<!DOCTYPE html>")


def _report_with_equations(
    equations: tuple[EquationEvidence, ...], run: RunParameters, **fields: Any
) -> CoverageReport:
    """A report whose run names the equations its evidence is for (the report checks it)."""
    run = dataclasses.replace(run, equations={e.name: e.equation for e in equations})
    return CoverageReport(run=run, equations=equations, **fields)


_text = st.text(max_size=12)
_count = st.integers(0, 10_000)
_moment = st.none() | st.datetimes(timezones=st.just(timezone.utc))
_status = st.none() | st.integers(100, 599)
_page = st.builds(PageRecord, _text, _status, st.sampled_from(Outcome), _text, _text)
_pages = st.lists(_page, max_size=4).map(tuple)
_site = st.builds(SiteRecord, _text, st.integers(0, 9), _count, _count, _pages)
_near = st.builds(NearMiss, _text, _count, st.lists(_text, max_size=2).map(tuple))
_names = st.dictionaries(_text, _text, max_size=3)
_equations = st.lists(
    st.builds(EquationEvidence, _text, _text, _count, st.lists(_text).map(tuple)),
    max_size=2,
    unique_by=lambda evidence: evidence.name,
).map(tuple)
_reports = st.builds(
    _report_with_equations,
    _equations,
    run=st.builds(
        RunParameters, _text, _text, st.just({}), _names, _text, _names, _moment, _moment, _text,
        st.booleans(),
    ),
    site_depth=_count,
    pages_per_site=_count,
    seeds=st.lists(st.builds(Seed, _text, _text, _count), max_size=3).map(tuple),
    sites=st.lists(_site, max_size=3).map(tuple),
    not_crawled=st.lists(
        st.builds(NotCrawled, _text, st.sampled_from(NotCrawledReason)), max_size=3
    ).map(tuple),
    scope_events=st.dictionaries(_text, _count, max_size=3),
    terms=st.lists(
        st.builds(
            TermEvidence,
            _text,
            _count,
            st.lists(_text, max_size=2).map(tuple),
            st.lists(_near, max_size=2).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    documents_matched=_count,
    documents=st.builds(DocumentFlow, *[_count] * len(dataclasses.fields(DocumentFlow))),
    feeds=st.lists(st.builds(Feed, _text, st.none() | _count), max_size=2).map(tuple),
)  # fmt: skip


@given(_reports)
def test_any_report_survives_json(report: CoverageReport) -> None:
    assert CoverageReport.from_json(json.loads(json.dumps(report.to_json()))) == report


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"levels": {}, "sites": []}, "schema version 1, expected 2: rerun the crawl"),
        ([], "schema version None, expected 2"),
        ({"schema_version": 2}, "coverage report without the field 'spider'"),
        ({**_report().to_json(), "seeds": [{"url": "http://a.test/"}]}, "without the field 'text'"),
        (
            {**_report().to_json(), "not_crawled": [{"site": "x", "reason": "bored"}]},
            "malformed coverage report: 'bored'",
        ),
    ],
)
def test_a_report_it_cannot_read_is_refused_clearly(data: Any, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        CoverageReport.from_json(data)


# -- the command -------------------------------------------------------------------------------


def test_the_command_prints_the_summary_and_rebuilds_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report()
    json_path, html_path = write_report(report, tmp_path)
    html_path.unlink()
    assert main([str(json_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [*summary_lines(report), f"Coverage page: {html_path}"]
    assert "0 documents matched" in html_path.read_text("utf-8")
    elsewhere = tmp_path / "elsewhere" / "page.html"
    assert main([str(json_path), "--html", str(elsewhere)]) == 0
    assert elsewhere.read_text("utf-8") == html_path.read_text("utf-8")


def test_python_m_watch_report_runs_as_a_user_would(tmp_path: Path) -> None:
    json_path, html_path = write_report(_report(), tmp_path)
    html_path.unlink()
    done = subprocess.run([sys.executable, "-m", "watch.report", str(json_path)], cwd=REPO,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 documents matched, out of 4 documents")
    # The page was rendered from the same Outcome members as the report (one module, not two).
    assert ">1 timed out</span>" in html_path.read_text("utf-8")


@pytest.mark.parametrize(
    ("content", "message"), [("{", "cannot read the report"), ('{"levels": {}}', "schema version 1")]
)
def test_the_command_refuses_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "coverage.json"
    path.write_text(content, encoding="utf-8")
    assert main([str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}: ") and message in error
    assert not (tmp_path / "coverage.html").exists()
