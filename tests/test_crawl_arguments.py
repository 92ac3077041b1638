"""Bad input stops the run before any request, with one line naming the argument and the value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Crawler
    from tests.webs import TestWeb

pytestmark = pytest.mark.slow

START = "start_url=http://portal.test/blogs-experts"


@pytest.mark.parametrize(
    ("spider", "arguments", "message"),
    [
        ("expertblogs", [START, "site_depth=abc"], "invalid argument site_depth='abc': expected a whole number >= 0"),
        ("expertblogs", [START, "site_depth=-1"], "invalid argument site_depth='-1': expected a whole number >= 0"),
        ("expertblogs", [START, "pages_per_site=0"], "invalid argument pages_per_site='0': expected a whole number >= 1"),
        ("expertblogs", [START, "pages_per_site=2.5"], "invalid argument pages_per_site='2.5'"),
        ("expertblogs", ["start_url=ftp://portal.test/"], "invalid argument start_url='ftp://portal.test/': expected an absolute http:// or https:// URL"),
        ("expertblogs", ["start_url=portal.test/blogs"], "invalid argument start_url='portal.test/blogs'"),
        ("expertblogs", [START, "seeds_file=/no/such/seeds.csv"], "invalid argument seeds_file='/no/such/seeds.csv': expected the path of an existing file"),
        ("expertblogs", [START, "deapth=3"], "unknown argument deapth='3': expected one of"),
        ("expertblogs", [START, "seed_css=ul[[li"], "invalid argument seed_css='ul[[li'"),
        ("expertblogs", [START, "with_text=maybe"], "invalid argument with_text='maybe'"),
        ("expertblogs", [START, "changes=new"], "invalid argument changes='new': needs state=PATH"),
        ("sites", ["site_depth=2"], "missing argument: give urls=URL,URL or seeds_file=PATH"),
        ("sites", ["urls=http://a.test/,mailto:x@y.test"], "invalid argument urls="),
        ("sites", ["urls=http://a.test:99999/"], "invalid argument urls="),
    ],
)  # fmt: skip
def test_bad_argument_stops_before_any_request(
    crawl: Crawler, spider: str, arguments: list[str], message: str
) -> None:
    options = [part for argument in arguments for part in ("-a", argument)]
    run = crawl(spider, *options)
    assert run.returncode == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr  # one line, no traceback
    assert run.requested == []


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("WATCH_SCOPE_PAGES_PER_SITE=0", "invalid setting WATCH_SCOPE_PAGES_PER_SITE='0': expected a whole number >= 1"),
        ("WATCH_DEDUP_NEAR_DISTANCE=64", "invalid setting WATCH_DEDUP_NEAR_DISTANCE='64'"),
        ("WATCH_STATE_CHANGES=bogus", "invalid setting WATCH_STATE_CHANGES='bogus'"),
        ("WATCH_EXPERTBLOGS_SEED_EXTRACTOR=nope.nope", "invalid setting WATCH_EXPERTBLOGS_SEED_EXTRACTOR"),
        ("JOBDIR=/tmp/watch-job", "JOBDIR='/tmp/watch-job' is not supported"),
    ],
)  # fmt: skip
def test_bad_setting_stops_before_any_request(crawl: Crawler, setting: str, message: str) -> None:
    run = crawl("expertblogs", "-a", START, "-s", setting)
    assert run.returncode == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.requested == []


def test_urls_may_be_separated_by_spaces(crawl: Crawler) -> None:
    run = crawl("sites", "-a", "urls=http://chain4.test/ http://chain5.test/", "-a", "site_depth=1")
    assert run.returncode == 0, run.stderr[-3000:]
    assert {u.split("/")[2] for u in run.requested} == {"chain4.test", "chain5.test"}
    assert "http://chain4.test/" in run.requested and "http://chain5.test/" in run.requested


def test_unreachable_start_page_is_an_error(crawl: Crawler) -> None:
    run = crawl("expertblogs", "-a", "start_url=http://nowhere.test/blogs")
    assert run.returncode == 1
    assert "Start page http://nowhere.test/blogs answered HTTP 502" in run.stderr
    assert all(url.startswith("http://nowhere.test/") for url in run.requested)


def test_start_page_without_seeds_is_an_error(crawl: Crawler, test_web: TestWeb) -> None:
    run = crawl("expertblogs", "-a", f"start_url={test_web.start_url}", "-a", "seed_css=table.none")
    assert run.returncode == 1
    assert "No seeds on the start page" in run.stderr
    assert {url.split("/")[2] for url in run.requested} == {"portal.test"}


def test_seeds_file_with_a_bad_line_names_it(crawl: Crawler, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://a.blogs.test/\nnot a url\n", encoding="utf-8")
    run = crawl("sites", "-a", f"seeds_file={seeds}")
    assert run.returncode == 2
    assert "line 2: 'not a url' is not an http(s) URL" in run.stderr
    assert run.requested == []
