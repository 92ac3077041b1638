"""Redirects end to end: counted once, for the site where they land."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import page
from tests.conftest import Crawler

pytestmark = pytest.mark.slow


def _moved(target: str) -> Resource:
    return Resource("", status=301, headers=(("Location", target),))


WEB = {
    # A blog that moved to a new domain: its pages are read there, at its level.
    "http://old.test/": _moved("http://new.test/"),
    "http://new.test/": Resource(page("New home", ["Moved here."], ["http://new.test/a", "http://new.test/b"])),
    "http://new.test/a": Resource(page("A", ["Page A."], ["http://next.test/"])),
    "http://new.test/b": Resource(page("B", ["Page B."], [])),
    "http://next.test/": Resource(page("Next", ["Level two."], [])),
    # A same-site redirect keeps its slot.
    "http://same.test/": _moved("http://same.test/home"),
    "http://same.test/home": Resource(page("Home", ["Same site."], ["http://same.test/1", "http://same.test/2"])),
    "http://same.test/1": Resource(page("One", ["1"], [])),
    "http://same.test/2": Resource(page("Two", ["2"], [])),
}


def test_redirects_count_where_they_land(tmp_path: Path) -> None:
    with MockWeb(WEB) as web:
        run = Crawler(web, tmp_path)(
            "sites", "-a", "urls=http://old.test/,http://same.test/", "-a", "pages_per_site=2"
        )
    assert run.returncode == 0, run.stderr[-3000:]
    pages = [u for u in run.requested if not u.endswith("/robots.txt")]
    assert sorted(pages) == sorted([
        "http://old.test/", "http://new.test/", "http://new.test/a",
        "http://same.test/", "http://same.test/home", "http://same.test/1",
        "http://next.test/",
    ])  # fmt: skip
    coverage = run.coverage()
    # new.test takes its place in read order right after the page that redirected to it
    assert coverage["levels"]["1"] == ["old.test", "new.test", "same.test"]
    assert coverage["levels"]["2"] == ["next.test"]
    counted = {site["site"]: site["pages_counted"] for site in coverage["sites"]}
    assert counted == {"old.test": 0, "new.test": 2, "same.test": 2, "next.test": 1}
    documents = {d["url"]: d for d in run.feed()}
    assert documents["http://new.test/"]["site"] == "new.test"
    assert documents["http://new.test/"]["site_level"] == 1
