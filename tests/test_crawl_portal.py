"""The portal page as the web serves it: charsets, redirects, blank or non-HTML answers."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import page
from tests.conftest import Crawler

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

WEB = {
    # UTF-8 declared only in the HTTP header: no <meta charset>.
    "http://header.test/": Resource(
        "<html><body><main><a href='http://blog.test/'>Blog écrit à Orléans</a></main></body></html>",
        content_type="text/html; charset=utf-8",
    ),
    "http://blog.test/": Resource(page("Blog", ["Un billet."], [])),
    # The portal moved: its old address's links are still the portal's own pages.
    "http://old-portal.test/list": Resource("", status=301, headers=(("Location", "http://new-portal.test/list"),)),
    "http://new-portal.test/list": Resource(
        page("Liste", ["Les blogs."], ["http://old-portal.test/archives", "http://blog.test/"])
    ),
    "http://blank.test/": Resource("   \n  "),
    "http://pdf.test/list.pdf": Resource(b"%PDF-1.4", content_type="application/pdf"),
}


@pytest.fixture(scope="module")
def web() -> MockWeb:
    with MockWeb(WEB) as served:
        yield served


def _seeds(out_dir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out_dir / "seeds.csv").read_text("utf-8-sig"))))


def test_charset_from_the_http_header(web: MockWeb, tmp_path: Path) -> None:
    run = Crawler(web, tmp_path)("expertblogs", "-a", "start_url=http://header.test/")
    assert run.returncode == 0, run.stderr[-3000:]
    assert [(row["url"], row["text"]) for row in _seeds(run.out_dir)][1:] == [
        ("http://blog.test/", "Blog écrit à Orléans")
    ]


def test_links_back_to_a_moved_portal_are_not_seeds(web: MockWeb, tmp_path: Path) -> None:
    run = Crawler(web, tmp_path)("expertblogs", "-a", "start_url=http://old-portal.test/list")
    assert run.returncode == 0, run.stderr[-3000:]
    assert [row["url"] for row in _seeds(run.out_dir)][1:] == ["http://blog.test/"]


@pytest.mark.parametrize(
    ("start_url", "message"),
    [
        ("http://blank.test/", "No seeds on the start page http://blank.test/"),
        ("http://pdf.test/list.pdf", "is not a web page (application/pdf)"),
    ],
)
def test_unusable_start_page_is_an_error(web: MockWeb, tmp_path: Path, start_url: str, message: str) -> None:
    run = Crawler(web, tmp_path)("expertblogs", "-a", f"start_url={start_url}")
    assert run.returncode == 1
    assert message in run.stderr
    assert "Traceback" not in run.stderr
