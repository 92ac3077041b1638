"""End to end: PDF files linked from pages in scope are fetched within the budget, read and searched."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from mockweb import MockWeb
from tests.conftest import Crawler, CrawlRun
from tests.webs_render import PDF_TERM, PDF_TITLE, build_pdf_web

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    with MockWeb(build_pdf_web()) as web:
        yield Crawler(web, tmp_path_factory.mktemp("pdf"))(
            "sites", "-a", "urls=http://docs.test/", "-a", "pages_per_site=6", "-a", f"query={PDF_TERM}",
            "-a", "with_text=1", "-a", "render=never",
        )  # fmt: skip


def _outcomes(run: CrawlRun) -> dict[str, tuple[str, str]]:
    report = run.coverage()
    return {p["url"]: (p["outcome"], p["detail"]) for site in report["sites"] for p in site["pages"]}


def test_a_pdf_with_the_term_is_matched_with_its_metadata(run: CrawlRun) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    documents = {doc["url"]: doc for doc in run.feed()}
    assert set(documents) == {"http://docs.test/rapport.pdf", "http://docs.test/fiche"}
    report = documents["http://docs.test/rapport.pdf"]
    assert (report["title"], report["published"], report["content_type"]) == (PDF_TITLE, "2024-03-05", "application/pdf")
    assert report["matched_terms"] == [PDF_TERM] and f"«{PDF_TERM}»" in report["snippets"][0]
    assert report["text"].startswith("Introduction\nLes campagnes s'outillent.") and len(report["fingerprint"]) == 16
    # Served as text/html, read as the PDF its bytes say it is.
    assert (documents["http://docs.test/fiche"]["title"], documents["http://docs.test/fiche"]["content_type"]) == (
        "Fiche", "application/pdf"
    )


def test_pdfs_count_in_the_budget_and_beyond_it_are_never_requested(run: CrawlRun) -> None:
    pages = [url for url in run.requested if not url.endswith("/robots.txt")]
    assert sorted(pages) == sorted([
        "http://docs.test/", "http://docs.test/rapport.pdf", "http://docs.test/casse.pdf",
        "http://docs.test/verrou.pdf", "http://docs.test/fiche", "http://docs.test/note.pdf",
    ])  # fmt: skip
    assert "http://docs.test/au-dela.pdf" not in run.requested
    assert run.coverage()["skipped"]["links_beyond_page_budget"] == 1


def test_broken_and_encrypted_pdfs_are_counted_never_fatal(run: CrawlRun) -> None:
    outcomes = _outcomes(run)
    assert outcomes["http://docs.test/casse.pdf"][0] == "unreadable"
    assert outcomes["http://docs.test/casse.pdf"][1].startswith("PDF not read (broken):")
    assert outcomes["http://docs.test/verrou.pdf"] == ("unreadable", "PDF not read (encrypted): a password is needed to read it")
    assert outcomes["http://docs.test/rapport.pdf"] == ("pdf", "2 of 2 page(s) read")
    assert outcomes["http://docs.test/note.pdf"][0] == "read"  # a page served as application/pdf
    for stat in ("'watch/pdf/broken': 1", "'watch/pdf/encrypted': 1", "'watch/pdf/read': 2",
                 "'watch/pdf/served_as_text': 1"):  # fmt: skip
        assert stat in run.stderr
    assert all(total["balanced"] for total in run.coverage()["totals"])
    assert "Traceback" not in run.stderr


def test_the_coverage_page_shows_pdfs(run: CrawlRun, tmp_path: Path) -> None:
    html = (run.out_dir / "coverage.html").read_text("utf-8")
    assert "read as PDF" in html and "PDF not read (encrypted)" in html
    assert json.loads((run.out_dir / "coverage.json").read_text("utf-8"))["outcomes"]["pdf"] == 2
