"""Seeds of a portal page: only the main list, first page only, never the portal itself."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from watch.seeds import Seed, SeedSelectorError, extract_seeds, read_seeds_file, write_seeds_file

if TYPE_CHECKING:
    from pathlib import Path

PORTAL = "https://www.portal.test/blogs-experts"


def _urls(html: str, css: str | None = None) -> list[str]:
    return [seed.url for seed in extract_seeds(html, PORTAL, css).seeds]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # chrome around <main> is ignored
        (
            "<header><a href='http://h.test/'>h</a></header><main><a href='http://a.test/'>A</a></main>"
            "<footer><a href='http://f.test/'>f</a></footer>",
            ["http://a.test/"],
        ),
        # chrome inside <main> too
        (
            "<main><aside><a href='http://ad.test/'>ad</a></aside><ul><li><a href='http://a.test/'>A</a>"
            "</ul><div class='share-buttons social'><a href='http://tw.test/'>t</a></div></main>",
            ["http://a.test/"],
        ),
        # no <main>: the body without its landmarks
        (
            "<body><nav><a href='http://n.test/'>n</a></nav><div id='content'><a href='http://a.test/'>A</a>"
            "<a href='http://b.test/'>B</a></div><div role='contentinfo'><a href='http://c.test/'>c</a></div></body>",
            ["http://a.test/", "http://b.test/"],
        ),
        # the portal's own pages (www. or not) are not seeds; relative links resolve against it
        (
            "<main><a href='/fiche/1'>fiche</a><a href='https://portal.test/x'>x</a>"
            "<a href='//blog.test/'>B</a></main>",
            ["https://blog.test/"],
        ),
        # pagination in all its forms is set aside
        (
            "<main><a href='http://a.test/'>A</a><a href='?page=2'>2</a><a rel='next' href='/p/next'>»</a>"
            "<div class='pager'><a href='/blogs-experts/page/3'>3</a></div></main>",
            ["http://a.test/"],
        ),
        # a WordPress post id is not pagination
        ("<main><a href='http://a.test/?p=123'>post</a></main>", ["http://a.test/?p=123"]),
        # duplicates by canonical form, non-http links
        (
            "<main><a href='http://a.test/?utm_source=x'>A</a><a href='http://a.test/#top'>A again</a>"
            "<a href='mailto:x@a.test'>m</a><a href='javascript:void(0)'>j</a></main>",
            ["http://a.test/?utm_source=x"],
        ),
        # <base href> is honoured
        ("<head><base href='http://elsewhere.test/'></head><main><a href='b'>B</a></main>", ["http://elsewhere.test/b"]),
        ("", []),
    ],
)  # fmt: skip
def test_main_content_heuristics(html: str, expected: list[str]) -> None:
    assert _urls(html) == expected


def test_css_selector_names_the_list_even_inside_chrome() -> None:
    html = "<aside id='blogroll'><a href='http://a.test/'>A</a></aside><main><a href='http://m.test/'>M</a></main>"
    assert _urls(html, "#blogroll") == ["http://a.test/"]
    assert _urls(html, "#blogroll a") == ["http://a.test/"]


def test_invalid_selector_is_reported() -> None:
    with pytest.raises(SeedSelectorError):
        extract_seeds("<p>x</p>", PORTAL, "ul[[")


def test_ranks_and_anchor_texts() -> None:
    found = extract_seeds("<main><a href='http://a.test/'> Blog\n  A </a><a href='http://b.test/'>B</a></main>", PORTAL)
    assert found.seeds == [Seed("http://a.test/", "Blog A", 1), Seed("http://b.test/", "B", 2)]
    assert found.links_in_content == 2


def test_seed_file_round_trip(tmp_path: Path) -> None:
    seeds = [Seed("http://a.test/", "Blog « é »", 1), Seed("http://b.test/x,y", "B, with comma", 2)]
    path = tmp_path / "out" / "seeds.csv"
    write_seeds_file(path, seeds)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_seeds_file(path) == seeds


def test_plain_seed_list_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("# my blogs\nhttp://a.test/\n\nhttps://b.test/  # second\n", encoding="utf-8")
    assert [s.url for s in read_seeds_file(path)] == ["http://a.test/", "https://b.test/"]


def test_bad_seed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("http://a.test/\nftp://b.test/\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 'ftp://b.test/' is not an http"):
        read_seeds_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)), "binary data, not text: expected a UTF-8 text file: a CSV with a 'url' column, or one URL a line"),
        ("http://a.test/\nhttp://b.test/été\n".encode("latin-1"), "line 2: byte 0xe9 is not UTF-8: expected a UTF-8 text file"),
        (b"name,site\nBlog A,http://a.test/\n", "line 1: 'name,site' is a CSV header without a 'url' column: expected"),
        (b"rank;url;text\n1;http://a.test/;A\n", "line 1: 'rank;url;text' is not an http(s) URL"),
    ],
)  # fmt: skip
def test_a_seed_file_that_cannot_be_read_says_why_and_where(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "seeds.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(message)):
        read_seeds_file(path)


def test_a_seed_file_that_is_a_folder_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read the file \(Is a directory\): expected a UTF-8 text file"):
        read_seeds_file(tmp_path)


def test_a_comment_with_commas_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("# blogs, checked in May\nhttp://a.test/\n", encoding="utf-8")
    assert [seed.url for seed in read_seeds_file(path)] == ["http://a.test/"]
