"""Redirects end to end: counted once, for the site where they land; over http, https, and from
http to https (the move most blogs made)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mockweb import MockWeb, Resource
from mockweb.html import page
from tests.conftest import Crawler

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


def _moved(target: str) -> Resource:
    return Resource("", status=301, headers=(("Location", target),))


def _web(scheme: str) -> dict[str, Resource]:
    """Two moves, all URLs in ``scheme``."""
    base = f"{scheme}://"
    return {
        # A blog that moved to a new domain: its pages are read there, at its level.
        f"{base}old.test/": _moved(f"{base}new.test/"),
        f"{base}new.test/": Resource(
            page("New home", ["Moved here."], [f"{base}new.test/a", f"{base}new.test/b"])
        ),
        f"{base}new.test/a": Resource(page("A", ["Page A."], [f"{base}next.test/"])),
        f"{base}new.test/b": Resource(page("B", ["Page B."], [])),
        f"{base}next.test/": Resource(page("Next", ["Level two."], [])),
        # A same-site redirect keeps its slot.
        f"{base}same.test/": _moved(f"{base}same.test/home"),
        f"{base}same.test/home": Resource(
            page("Home", ["Same site."], [f"{base}same.test/1", f"{base}same.test/2"])
        ),
        f"{base}same.test/1": Resource(page("One", ["1"], [])),
        f"{base}same.test/2": Resource(page("Two", ["2"], [])),
    }


def _pages(requested: list[str]) -> list[str]:
    return sorted(u for u in requested if not u.endswith("/robots.txt"))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_redirects_count_where_they_land(tmp_path: Path, scheme: str) -> None:
    with MockWeb(_web(scheme)) as web:
        run = Crawler(web, tmp_path)(
            "sites", "-a", f"urls={scheme}://old.test/,{scheme}://same.test/", "-a", "pages_per_site=2"
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert _pages(run.requested) == sorted(
        f"{scheme}://{path}"
        for path in (
            "old.test/", "new.test/", "new.test/a",
            "same.test/", "same.test/home", "same.test/1",
            "next.test/",
        )
    )  # fmt: skip
    coverage = run.coverage()
    # new.test takes its place in read order right after the page that redirected to it
    assert coverage["levels"]["1"] == ["old.test", "new.test", "same.test"]
    assert coverage["levels"]["2"] == ["next.test"]
    counted = {site["site"]: site["pages_counted"] for site in coverage["sites"]}
    assert counted == {"old.test": 0, "new.test": 2, "same.test": 2, "next.test": 1}
    documents = {d["url"]: d for d in run.feed()}
    assert documents[f"{scheme}://new.test/"]["site"] == "new.test"
    assert documents[f"{scheme}://new.test/"]["site_level"] == 1


UPGRADES = {
    # A blog that moved to https on the same host: one site, the slot taken where it lands.
    "http://upgraded.test/": _moved("https://upgraded.test/"),
    "https://upgraded.test/": Resource(
        page("Upgraded", ["Now over https."], ["https://upgraded.test/1", "http://upgraded.test/2"])
    ),
    "https://upgraded.test/1": Resource(page("One", ["Secure page one."], [])),
    # An old http link inside the site, moved like the rest.
    "http://upgraded.test/2": _moved("https://upgraded.test/2"),
    "https://upgraded.test/2": Resource(page("Two", ["Secure page two."], [])),
    "https://upgraded.test/3": Resource(page("Three", ["Beyond the budget."], [])),
    # A blog that moved to another domain and to https at once.
    "http://moved.test/": _moved("https://elsewhere.test/"),
    "https://elsewhere.test/": Resource(
        page("Elsewhere", ["Moved and secure."], ["https://elsewhere.test/a"])
    ),
    "https://elsewhere.test/a": Resource(page("A", ["Page A."], ["https://upgraded.test/3"])),
}


def test_http_to_https_moves(tmp_path: Path) -> None:
    with MockWeb(UPGRADES) as web:
        run = Crawler(web, tmp_path)(
            "sites", "-a", "urls=http://upgraded.test/,http://moved.test/", "-a", "pages_per_site=3"
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert _pages(run.requested) == sorted([
        "http://upgraded.test/", "https://upgraded.test/", "https://upgraded.test/1",
        "http://upgraded.test/2", "https://upgraded.test/2",
        "http://moved.test/", "https://elsewhere.test/", "https://elsewhere.test/a",
    ])  # fmt: skip
    assert {authority.split(":")[0] for authority in run.tunnels} == {"upgraded.test", "elsewhere.test"}
    coverage = run.coverage()
    assert coverage["levels"]["1"] == ["upgraded.test", "moved.test", "elsewhere.test"]
    counted = {site["site"]: site["pages_counted"] for site in coverage["sites"]}
    assert counted == {"upgraded.test": 3, "moved.test": 0, "elsewhere.test": 2}
    documents = {d["url"]: d for d in run.feed()}
    assert set(documents) == {
        "https://upgraded.test/", "https://upgraded.test/1", "https://upgraded.test/2",
        "https://elsewhere.test/", "https://elsewhere.test/a",
    }  # fmt: skip
    assert documents["https://elsewhere.test/"]["site_level"] == 1
