"""Bad input stops the run before any request, with one line naming the argument, setting or
file, the value or line, and what was expected (and, for an equation, the equation with a caret)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Crawler, CrawlRun
    from tests.webs import TestWeb

pytestmark = pytest.mark.slow

START = "start_url=http://portal.test/blogs-experts"
#: A folder no run may write in, whoever runs it (sysfs refuses new files even to root).
UNWRITABLE_FOLDER = "/sys"


def _refused_before_any_request(run: CrawlRun, message: str, lines: int = 1) -> None:
    """Exit status 2, ``message`` on the first line of the error, ``lines`` lines in all (3 for
    an equation: itself and a caret under the column), no traceback, and the web saw nothing."""
    assert run.returncode == 2, run.stderr[-3000:]
    assert message in run.stderr.splitlines()[0], run.stderr
    assert run.stderr.count("\n") == lines, run.stderr
    assert run.requested == []


def test_an_unknown_argument_is_named_and_the_known_ones_listed_with_their_use(crawl: Crawler) -> None:
    from spiders.expertblogs import ExpertBlogsSpider

    known = ExpertBlogsSpider.arguments
    run = crawl("expertblogs", "-a", START, "-a", "deapth=3")
    _refused_before_any_request(run, "unknown argument deapth='3': expected one of", lines=1 + len(known))
    assert f"  site_depth: {known['site_depth'].help}" in run.stderr.splitlines()


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
    _refused_before_any_request(crawl(spider, *options), message)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("WATCH_SCOPE_PAGES_PER_SITE=0", "invalid setting WATCH_SCOPE_PAGES_PER_SITE='0': expected a whole number >= 1"),
        ("WATCH_DEDUP_NEAR_DISTANCE=64", "invalid setting WATCH_DEDUP_NEAR_DISTANCE='64'"),
        ("WATCH_STATE_CHANGES=bogus", "invalid setting WATCH_STATE_CHANGES='bogus'"),
        ("WATCH_EXPERTBLOGS_SEED_EXTRACTOR=nope.nope", "invalid setting WATCH_EXPERTBLOGS_SEED_EXTRACTOR"),
        ("JOBDIR=/tmp/watch-job", "JOBDIR='/tmp/watch-job' is not supported"),
        ("WATCH_QUERIES_FILE=/no/such/queries.txt", "invalid setting WATCH_QUERIES_FILE='/no/such/queries.txt': expected the path of an existing file"),
        (f"WATCH_STATE_PATH={UNWRITABLE_FOLDER}/watch.sqlite", f"invalid setting WATCH_STATE_PATH='{UNWRITABLE_FOLDER}/watch.sqlite': cannot create the lock file"),
        ("WATCH_EXPORT_TEXT=maybe", "invalid setting WATCH_EXPORT_TEXT='maybe': expected 1 or 0"),
        ("WATCH_DEDUP_NEAR_DROP=yes", "invalid setting WATCH_DEDUP_NEAR_DROP='yes': expected 1 or 0"),
        ("WATCH_ALLOW_PRIVATE_NETWORKS=on", "invalid setting WATCH_ALLOW_PRIVATE_NETWORKS='on'"),
        ("WATCH_ROBOTS_MAX_CRAWL_DELAY=soon", "invalid setting WATCH_ROBOTS_MAX_CRAWL_DELAY='soon': expected a number of seconds >= 0"),
        ("WATCH_TEXT_MAX_CHARS=0", "invalid setting WATCH_TEXT_MAX_CHARS='0': expected a whole number >= 1"),
        (f"WATCH_REPORT_DIR={REPO / 'README.md'}", "invalid setting WATCH_REPORT_DIR="),
        ("WATCH_CONTACT=call me", "invalid setting WATCH_CONTACT='call me': expected mailto:ADDRESS or an http(s) URL"),
        ("WATCH_EXPERTBLOGS_START_URL=portal.test", "invalid setting WATCH_EXPERTBLOGS_START_URL='portal.test'"),
    ],
)  # fmt: skip
def test_bad_setting_stops_before_any_request(crawl: Crawler, setting: str, message: str) -> None:
    _refused_before_any_request(crawl("expertblogs", "-a", START, "-s", setting), message)


def test_a_bad_equation_setting_shows_where(crawl: Crawler) -> None:
    run = crawl("expertblogs", "-a", START, "-s", "WATCH_QUERY=(Quorum OR")
    _refused_before_any_request(run, "invalid setting WATCH_QUERY='(Quorum OR': column 1: unbalanced '('", lines=3)
    assert run.stderr.splitlines()[1:] == ["(Quorum OR", "^"]


def _sqlite(user_version: int) -> Callable[[Path], None]:
    """An SQLite file holding a table of something else, at ``user_version``."""

    def write(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
            db.execute(f"PRAGMA user_version = {user_version}")
        db.close()

    return write


@pytest.mark.parametrize(
    ("argument", "content", "message", "lines"),
    [
        ("seeds_file", b"", "expected a file listing at least one seed URL", 1),
        ("seeds_file", bytes(range(256)) * 4, "binary data, not text: expected a UTF-8 text file", 1),
        ("seeds_file", "http://a.blogs.test/\nhttp://été.test/\n".encode("latin-1"), "line 2: byte 0xe9 is not UTF-8: expected", 1),
        ("seeds_file", b"name,site\nBlog A,http://a.blogs.test/\n", "line 1: 'name,site' is a CSV header without a 'url' column", 1),
        ("seeds_file", None, "expected the path of an existing file", 1),
        ("queries_file", b"vendors: Quorum\nvendors: Carata\n", "column 1: query 'vendors' already defined on line 1", 3),
        ("queries_file", b": Quorum\n", "column 1: expected 'name: equation'", 3),
        ("queries_file", b"Quorum OR Carata\n", "column 1: expected 'name: equation'", 3),
        ("queries_file", "vendors: Qu\xe9rum\n".encode("latin-1"), "column 12: byte 0xe9 is not UTF-8: expected a UTF-8 text file", 3),
        ("queries_file", b"# to do\n", "expected at least one 'name: equation' line", 1),
        ("queries_file", None, "expected the path of an existing file", 1),
        ("state", b"not a database at all " * 100, "{path} is not a watch state file (file is not a database): expected a watch state file", 1),
        ("state", _sqlite(0), "{path} is an SQLite file but not a watch state: expected a watch state file", 1),
        ("state", _sqlite(99), "{path} was written by a newer watch (state version 99): expected version 1 or older", 1),
        ("state", None, "expected a file path", 1),
    ],
)  # fmt: skip
def test_a_bad_file_is_named_with_its_line_before_any_request(
    crawl: Crawler,
    tmp_path: Path,
    argument: str,
    content: bytes | Callable[[Path], None] | None,
    message: str,
    lines: int,
) -> None:
    """``None``: the path is a folder; ``{path}`` in the message: the path."""
    path = tmp_path / "input"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        content(path)
    run = crawl("sites", "-a", "urls=http://a.blogs.test/", "-a", f"{argument}={path}")
    _refused_before_any_request(run, f"invalid argument {argument}='{path}': {message.format(path=path)}", lines)


def test_a_state_in_a_folder_no_run_may_write_is_refused(crawl: Crawler) -> None:
    path = f"{UNWRITABLE_FOLDER}/watch.sqlite"
    run = crawl("sites", "-a", "urls=http://a.blogs.test/", "-a", f"state={path}")
    _refused_before_any_request(run, f"cannot create the lock file {path}.lock (Permission denied): expected a state in a folder this run may write")


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
    _refused_before_any_request(run, "line 2: 'not a url' is not an http(s) URL")
