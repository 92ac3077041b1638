"""Search equations end to end: exactly the pages that contain the terms, explained; bad ones stop early."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.reference import reference_crawl
from watch.urls import canonicalize

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Crawler
    from tests.webs import TestWeb

pytestmark = pytest.mark.slow


def _read_in_scope(test_web: TestWeb) -> set[str]:
    """Canonical URLs of the documents a crawl exports: read within the scope, copies folded."""
    expected = reference_crawl(test_web.resources, seeds=test_web.seeds, start_url=test_web.start_url)
    copies = {canonicalize(copy) for _, copy in test_web.duplicates}
    return {url for pages in expected.pages.values() for url in pages} - copies


@pytest.mark.parametrize(
    ("equation", "column", "problem"),
    [
        ("(Quorum OR Carata", 1, "("),
        ('Quorum OR "Digital Box', 11, "quote"),
        ("Quorum OR", 8, "OR"),
        ("Quorum AND OR Carata", 12, "two operators"),
        ("el*", 1, "wildcard"),
        ("", 1, "empty"),
    ],
)
def test_malformed_equation_stops_before_any_request(
    crawl: Crawler, test_web: TestWeb, equation: str, column: int, problem: str
) -> None:
    run = crawl("expertblogs", "-a", f"start_url={test_web.start_url}", "-a", f"query={equation}")
    assert run.returncode == 2
    first, *context = run.stderr.splitlines()
    assert first.startswith("scrapy crawl expertblogs: invalid argument query=")
    assert f"column {column}" in first
    assert problem.lower() in first.lower()
    assert "Traceback" not in run.stderr
    assert run.requested == []
    if equation:
        assert context[0].strip() == equation.strip()
        assert context[1].index("^") - context[0].index(equation.strip()[0]) == column - 1


def test_query_exports_exactly_the_matching_pages(crawl: Crawler, test_web: TestWeb) -> None:
    run = crawl(
        "expertblogs", "-a", f"start_url={test_web.start_url}",
        "-a", 'query=Quorum OR Carata OR "Digital Box" OR electorale',
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    in_scope = _read_in_scope(test_web)
    expected = {
        canonicalize(url)
        for term in ("Quorum", "Carata", "Digital Box", "electorale")
        for url in test_web.visible_terms[term]
        if canonicalize(url) in in_scope
    }
    assert expected, "the test web must plant terms inside the scope"
    documents = run.feed()
    assert {document["canonical_url"] for document in documents} == expected
    hidden = {canonicalize(u) for urls in test_web.hidden_terms.values() for u in urls}
    assert not hidden & {document["canonical_url"] for document in documents}
    for document in documents:
        assert document["matched_terms"]
        assert document["matched_queries"] == ["query"]
        assert any("«" in snippet and "»" in snippet for snippet in document["snippets"])
    coverage = run.coverage()
    assert list(coverage["term_hits"]) == ["Quorum", "Carata", '"Digital Box"', "electorale"]
    assert coverage["documents_exported"] == len(documents)


def test_near_misses_are_reported(crawl: Crawler, test_web: TestWeb) -> None:
    run = crawl("expertblogs", "-a", f"start_url={test_web.start_url}", "-a", "query=Quorum")
    assert run.returncode == 0, run.stderr[-3000:]
    near = json.loads((run.out_dir / "near_misses.json").read_text("utf-8"))
    forms = {entry["form"].lower() for entry in near["Quorum"]}
    assert "quorums" in forms
    assert "Quorums" in run.stderr  # the end-of-crawl summary names it


def test_several_equations_at_once(crawl: Crawler, test_web: TestWeb, tmp_path: Path) -> None:
    equations = tmp_path / "equations.txt"
    equations.write_text(
        "# veille\nassemblees: Quorum\nboites: \"Digital Box\" OR Carata\n", encoding="utf-8"
    )
    run = crawl("expertblogs", "-a", f"start_url={test_web.start_url}", "-a", f"queries_file={equations}")
    assert run.returncode == 0, run.stderr[-3000:]
    by_url = {document["canonical_url"]: document for document in run.feed()}
    in_scope = _read_in_scope(test_web)
    for url in test_web.visible_terms["Quorum"]:
        if canonicalize(url) in in_scope:
            assert "assemblees" in by_url[canonicalize(url)]["matched_queries"]
    for url in test_web.visible_terms["Digital Box"]:
        if canonicalize(url) in in_scope:
            assert "boites" in by_url[canonicalize(url)]["matched_queries"]
