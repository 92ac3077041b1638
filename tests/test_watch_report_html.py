"""The coverage page: self-contained, every page-derived string escaped, key figures readable in a
real Chromium, on screen and printed."""

from __future__ import annotations

import importlib.util
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.report import (
    DocumentFlow,
    Feed,
    MatchTally,
    NearMiss,
    NotCrawled,
    NotCrawledReason,
    Outcome,
    PageNote,
    RunParameters,
    TermTally,
    build_report,
    write_report,
)
from watch.report_html import render_html
from watch.seeds import Seed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser

    from watch.report import CoverageReport

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
CHROMIUM = Path("/usr/lib/chromium/chromium")
#: Every element the page may hold: anything else came from a string that was not escaped.
ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "header", "footer", "nav", "section",
    "h1", "h2", "h3", "p", "ul", "ol", "li", "table", "tr", "th", "td",
    "a", "span", "code", "q", "br", "div", "details", "summary",
}  # fmt: skip


def _coverage(sites: list[dict[str, Any]], too_deep: list[str] = ()) -> dict[str, Any]:
    return {"site_depth": 5, "pages_per_site": 10, "sites": sites, "sites_too_deep": list(too_deep),
            "events": {"budget_exhausted": 12, "too_deep_link": 3}}  # fmt: skip


def _site(name: str, level: int, pages: list[tuple[str, int | None, str]]) -> dict[str, Any]:
    counted = sum(1 for _, _, outcome in pages if outcome not in ("robots", "moved", "duplicate"))
    records = [{"url": url, "status": status, "outcome": outcome} for url, status, outcome in pages]
    return {"site": name, "level": level, "pages_counted": counted, "pages": records}


def _hostile_report() -> CoverageReport:
    """A zero-result run whose every page-derived string tries to break out of the page."""
    sites = [
        _site("portal.test", 0, [("http://portal.test/", 200, "read")]),
        _site("a.test", 1, [("http://a.test/", 200, "read"), (f"http://a.test/{BREAKOUT}", 200, "read"),
                            ("http://a.test/private", None, "robots"),
                            ("http://a.test/report.pdf", 200, "read")]),
        _site("b.test", 1, [("http://b.test/", None, "error")]),
        _site("c.test", 2, [("http://c.test/", 404, "read"), ("javascript:alert(1)", None, "lost")]),
    ]  # fmt: skip
    notes = {
        ("a.test", 0): PageNote(title=SCRIPT),
        ("a.test", 1): PageNote(title=BREAKOUT, detail=SCRIPT),
        ("a.test", 3): PageNote(outcome=Outcome.NOT_HTML, detail="application/pdf"),
        ("b.test", 0): PageNote(outcome=Outcome.CONNECTION_RESET, detail=BREAKOUT),
    }
    started = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
    run = RunParameters(
        spider="expertblogs",
        start_url=f"http://portal.test/?q={BREAKOUT}",
        equations={"query": f'Quorum OR "{SCRIPT}"'},
        arguments={"seeds_file": f"/tmp/{SCRIPT}.csv"},
        versions={"watch": SCRIPT, "scrapy": "2.19.0", "python": "3.11.7"},
        started_at=started,
        finished_at=started.replace(minute=4),
        finish_reason="finished",
    )
    near = {"Quorum": (NearMiss(f"Quorums{SCRIPT}", 2, (f"http://a.test/{BREAKOUT}",)),)}
    return build_report(
        _coverage(sites, too_deep=[f"deep{SCRIPT}.test"]),
        run,
        documents=DocumentFlow(read=3, not_html=1, dropped_by_equation=3),
        match=MatchTally(0, {"query": 0}, {"Quorum": TermTally(0)}, near),
        seeds=[Seed("http://a.test/", SCRIPT, 1), Seed("javascript:alert(1)", BREAKOUT, 2)],
        pages=notes,
        not_crawled=[NotCrawled(f"intranet{BREAKOUT}", NotCrawledReason.PRIVATE_ADDRESS)],
        feeds=[Feed(f"results/{SCRIPT}.jsonl", 0)],
    )


def _check_inert(page: str) -> lxml.html.HtmlElement:
    """Parse ``page``; fail unless it holds only the page's own elements, no handler, no script
    URL, nothing loaded from anywhere."""
    root = lxml.html.document_fromstring(page)
    assert {element.tag for element in root.iter() if isinstance(element.tag, str)} <= ELEMENTS
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert name not in ("src", "style", "srcdoc", "formaction"), (name, value)
            if name == "href":
                assert re.match(r"#[a-z0-9-]+$|https?://", value), value
    (style,) = root.iter("style")
    assert "url(" not in style.text and "@import" not in style.text
    return root


def test_every_page_derived_string_stays_text() -> None:
    page = render_html(_hostile_report())
    root = _check_inert(page)
    text = root.text_content()
    assert text.count(SCRIPT) >= 8 and text.count(BREAKOUT) >= 6
    # javascript: URLs are shown, never linked.
    assert "javascript:alert(1)" in text and "javascript:" not in " ".join(root.xpath("//a/@href"))


#: Text mixed with the pieces of markup a hostile page would use.
_strings = st.lists(
    st.sampled_from(["<", ">", '"', "'", "&", "=", "/", " ", "script", "img", "onerror", "amp;", "<!--"])
    | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=5),
    min_size=1,
    max_size=12,
).map("".join)


@given(title=_strings, path=_strings, form=_strings)
def test_any_string_stays_text(title: str, path: str, form: str) -> None:
    url = f"http://a.test/{path}"
    coverage = _coverage([_site("a.test", 1, [(url, 200, "read")])])
    report = build_report(
        coverage,
        RunParameters("sites", equations={"query": "Quorum"}),
        documents=DocumentFlow(read=1, dropped_by_equation=1),
        match=MatchTally(0, {"query": 0}, {}, {"Quorum": (NearMiss(form, 1, (url,)),)}),
        pages={("a.test", 0): PageNote(title=title)},
    )
    root = _check_inert(render_html(report))
    text = root.text_content()
    assert title.strip() in text and form.strip() in text
    assert root.xpath("//details[@id='site-1']//a/@href") == [url]


def test_the_page_is_laid_out_for_an_analyst() -> None:
    root = lxml.html.document_fromstring(render_html(_hostile_report()))
    (h1,) = root.iter("h1")
    assert h1.text_content() == (
        "0 documents matched, out of 3 documents from 3 sites on levels 1–2 and the start page"
    )
    assert h1.get("class") == "zero"
    assert [h2.getparent().get("id") for h2 in root.iter("h2")] == [
        "parameters", "equations", "levels", "faults", "not-crawled", "totals", "feeds", "seeds"
    ]  # fmt: skip
    sites = root.xpath("//details[@class='site']")
    names = [details.xpath("string(summary/span[1])") for details in sites]
    assert names == ["portal.test", "a.test", "b.test", "c.test"]
    summary = sites[1].find("summary").text_content()
    assert "3 of 10" in summary and "2 read" in summary and "1 refused by robots.txt" in summary
    assert "1 not a web page" in summary
    assert "1 connection reset" in sites[2].find("summary").text_content()
    rows = sites[3].xpath(".//tr[td]")
    assert [r.xpath("string(td[2])") for r in rows] == ["/", "javascript:alert(1)"]
    assert [r.xpath("string(td[3])") for r in rows] == ["404", ""]
    assert [r.xpath("string(td[4])") for r in rows] == ["HTTP status other than 2xx", "never finished"]
    totals = root.xpath("string(//section[@id='totals'])")
    assert "pages requested" in totals and "✗" not in totals and totals.count("✓ reconciles") == 5
    (faults,) = root.xpath("//section[@id='faults']//details")
    assert faults.xpath("string(summary)") == "connection reset 1 page connection_reset"
    assert faults.xpath(".//a/@href") == ["http://b.test/"]
    not_crawled = root.xpath("string(//section[@id='not-crawled'])")
    assert f"deep{SCRIPT}.test" in not_crawled and "links beyond their site's page budget12" in not_crawled


def test_three_hundred_sites_of_ten_pages() -> None:
    sites = [
        _site(f"site{n}.test", 1 + n % 5, [(f"http://site{n}.test/page/{p}", 200, "read") for p in range(10)])
        for n in range(300)
    ]
    flow = DocumentFlow(read=3000, exported=3000)
    report = build_report(_coverage(sites), RunParameters("sites"), documents=flow)
    page = render_html(report)
    root = _check_inert(page)
    assert len(root.xpath("//details[@class='site']")) == 300
    assert len(root.xpath("//details[@class='site']//a")) == 3000
    assert root.xpath("string(//h1)") == (
        "3000 documents exported, out of 3000 documents from 300 sites on levels 1–5 (no equation)"
    )


# -- in a real browser -------------------------------------------------------------------------


@contextmanager
def _chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright. Called in the test itself, not in a fixture, so that a
    missing piece makes the test FAIL (not error, never skip) with a message naming it."""
    if importlib.util.find_spec("playwright") is None:
        pytest.fail("Playwright is missing: install the playwright Python package (requirements.txt)",
                    pytrace=False)  # fmt: skip
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing: no executable at {CHROMIUM} (apt-get install chromium)",
                    pytrace=False)  # fmt: skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
            # Chromium's own background requests would go to a closed loopback port, never out.
            proxy={"server": "http://127.0.0.1:9"},
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.mark.chromium
def test_chromium_shows_the_key_figures_and_loads_nothing(tmp_path: Path) -> None:
    report = _hostile_report()
    _, html_path = write_report(report, tmp_path)
    with _chromium() as browser:
        _check_in_chromium(browser, report, html_path)


def _check_in_chromium(browser: Browser, report: CoverageReport, html_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested: list[str] = []
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def only_the_file(route: Any) -> None:
        if route.request.url == html_path.as_uri():
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(html_path.as_uri())
    screenshot = html_path.with_name("coverage.png")
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.inner_text("body")
    assert text.startswith(report.headline() + "\n")
    for figure in (
        "7 pages requested on 4 sites",
        "1 refused by robots.txt",
        "Quorum: 0 documents; near misses: 'Quorums<script>alert(1)</script>' in 2",
        "1 site not crawled: deeper than site_depth",
        "Totals reconcile.",
        "pages requested\t7\t= read 3 + not a web page 1 + HTTP status other than 2xx 1 + connection reset 1"
        " + never finished 1",
        SCRIPT,
    ):
        assert figure in text, figure
    assert page.evaluate("document.scripts.length") == 0
    assert requested == [] and dialogs == []
    # A site's pages are folded away on screen and all shown on paper.
    assert "/report.pdf" not in text
    page.emulate_media(media="print")
    assert "/report.pdf" in page.inner_text("body")
    page.close()
