"""The query matching pipeline: drops, explanations, stats, and what it leaves in the run's ledger."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from pipelines.match import MatchBatcher, QueryMatchPipeline
from spiders.evidence import evidence_of
from tests.conftest import project_settings
from watch.query import DocumentWords
from watch.document import Document

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler


def document(url: str, text: str, title: str = "", order: tuple[int, ...] = ()) -> Document:
    return Document(
        url=url,
        canonical_url=url,
        site="site.test",
        site_level=1,
        depth=1,
        referer="",
        status=200,
        content_type="text/html",
        title=title,
        published="",
        language="en",
        fetched_at="2026-01-01T00:00:00Z",
        text_length=len(text),
        fingerprint="0",
        text=text,
        read_order=order,
    )


def crawler_with(tmp_path: Path, **settings: Any) -> Crawler:
    # Batches of a few documents are decided after a short quiet time: keep the tests quick.
    crawler = get_crawler(
        Spider, project_settings({"WATCH_REPORT_DIR": str(tmp_path / "report"), "WATCH_MATCH_BATCH_QUIET": 0.01, **settings})
    )
    crawler._apply_settings()  # builds the extensions, the run's evidence among them
    return crawler


def run(pipeline: QueryMatchPipeline, items: list[Document]) -> tuple[list[Document], list[Document]]:
    """Drive the pipeline as Scrapy would, items processed concurrently; return the kept and the dropped."""

    async def process_all() -> list[Document | DropItem]:
        return await asyncio.gather(*(pipeline.process_item(item) for item in items), return_exceptions=True)

    pipeline.open_spider()
    outcomes = asyncio.run(process_all())
    kept = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert all(isinstance(outcome, DropItem) for outcome in outcomes if isinstance(outcome, BaseException))
    dropped = [item for item, outcome in zip(items, outcomes) if isinstance(outcome, DropItem)]
    return kept, dropped


@pytest.mark.parametrize("settings", [{}, {"WATCH_QUERY": "", "WATCH_QUERIES_FILE": ""}, {"WATCH_QUERY": "  "}])
def test_without_an_equation_the_pipeline_is_off(tmp_path: Path, settings: dict[str, str]) -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(QueryMatchPipeline, crawler_with(tmp_path, **settings))


def test_matching_documents_are_explained_and_the_rest_dropped(tmp_path: Path) -> None:
    crawler = crawler_with(tmp_path, WATCH_QUERY='Quorum OR Nationbuilder OR "Digital Box"')
    pipeline = build_from_crawler(QueryMatchPipeline, crawler)
    items = [
        document("http://a.test/1", "We chose Digital\nBox over QUORUM.", title="Tools"),
        document("http://a.test/2", "Nothing to see here, built with Nation Builder."),
        document("http://b.test/", "Body without the term", title="Quorum in the title"),
    ]
    kept, dropped = run(pipeline, items)
    assert [item.url for item in kept] == ["http://a.test/1", "http://b.test/"]
    assert [item.url for item in dropped] == ["http://a.test/2"]
    first = kept[0]
    assert first.matched_terms == ["Quorum", '"Digital Box"']
    assert first.matched_queries == ["query"]
    assert first.snippets == ["Tools We chose «Digital Box» over «QUORUM»."]
    assert kept[1].snippets == ["«Quorum» in the title Body without the term"]
    stats = crawler.stats.get_stats()
    assert stats["watch/match/documents"] == 3
    assert stats["watch/match/matched"] == 2
    assert stats["watch/match/dropped"] == 1
    assert stats["watch/match/query/query"] == 2
    assert stats["watch/match/term/Quorum"] == 2
    assert stats['watch/match/term/"Digital Box"'] == 1
    assert stats["watch/match/term/Nationbuilder"] == 0


def test_every_document_leaves_its_evidence_in_the_ledger(tmp_path: Path) -> None:
    crawler = crawler_with(tmp_path, WATCH_QUERY="Quorum OR Nationbuilder")
    pipeline = build_from_crawler(QueryMatchPipeline, crawler)
    items = [
        document("http://a.test/", "Built with Nation Builder by a quorum.", order=(1, 1, 0)),
        document("http://b.test/", "Nation builder again, no match", order=(1, 2, 0)),
    ]
    run(pipeline, items)
    evidence = evidence_of(crawler)
    assert evidence.equations == {"query": "Quorum OR Nationbuilder"}
    found = [(e.url, e.terms, e.equations, [(s.term, s.shown) for s in e.near_misses]) for e in evidence.ledger.in_read_order()]
    assert found == [
        ("http://a.test/", ("Quorum",), ("query",), [("Nationbuilder", "Nation Builder")]),
        ("http://b.test/", (), (), [("Nationbuilder", "Nation builder")]),
    ]


def test_several_equations_from_a_file_and_the_command_line(tmp_path: Path) -> None:
    equations = tmp_path / "equations.txt"
    equations.write_text(
        "# vendors of campaign software\n"
        "vendors: Nationbuilder OR Quorum\n"
        "polls: sondage* AND NOT \"fake news\"\n",
        encoding="utf-8",
    )
    crawler = crawler_with(tmp_path, WATCH_QUERY="quorum", WATCH_QUERIES_FILE=str(equations))
    pipeline = build_from_crawler(QueryMatchPipeline, crawler)
    items = [
        document("http://a.test/", "Sondages : Quorum en tête"),
        document("http://b.test/", "Un sondage, des fake news"),
        document("http://c.test/", "NationBuilder et les sondages"),
    ]
    kept, dropped = run(pipeline, items)
    assert [(item.url, item.matched_queries) for item in kept] == [
        ("http://a.test/", ["query", "vendors", "polls"]),
        ("http://c.test/", ["vendors", "polls"]),
    ]
    # terms as written, de-duplicated by spelling, in equation order
    assert kept[0].matched_terms == ["quorum", "Quorum", "sondage*"]
    assert kept[1].matched_terms == ["Nationbuilder", "sondage*"]
    assert [item.url for item in dropped] == ["http://b.test/"]
    stats = crawler.stats.get_stats()
    assert (stats["watch/match/query/vendors"], stats["watch/match/query/polls"]) == (2, 2)
    assert stats['watch/match/term/"fake news"'] == 1  # counted in every document, matched or not


def test_snippet_settings_are_applied(tmp_path: Path) -> None:
    text = " ".join(["filler"] * 40 + ["Quorum"] + ["filler"] * 40 + ["Quorum"] + ["filler"] * 40)
    crawler = crawler_with(
        tmp_path, WATCH_QUERY="Quorum", WATCH_MATCH_SNIPPETS_PER_TERM=1, WATCH_MATCH_SNIPPET_WIDTH=40
    )
    kept, _ = run(build_from_crawler(QueryMatchPipeline, crawler), [document("http://a.test/", text)])
    assert kept[0].snippets == ["… filler filler «Quorum» filler filler …"]


def test_dict_items_are_handled_too(tmp_path: Path) -> None:
    pipeline = build_from_crawler(QueryMatchPipeline, crawler_with(tmp_path, WATCH_QUERY="Quorum"))
    pipeline.open_spider()
    item = asyncio.run(pipeline.process_item({"url": "http://a.test/", "title": "Quorum", "text": ""}))
    assert item["matched_terms"] == ["Quorum"]


def test_many_equations_are_matched_in_batches(tmp_path: Path) -> None:
    # 20 equations: the batch circuit decides them; batches of 2 cut 5 documents in 3 batches.
    equations = tmp_path / "equations.txt"
    equations.write_text(
        "".join(f"v{number}: vendor{number} OR \"digital box {number}\"\n" for number in range(19))
        + "polls: sondage* AND NOT \"fake news\"\n",
        encoding="utf-8",
    )
    crawler = crawler_with(tmp_path, WATCH_QUERIES_FILE=str(equations), WATCH_MATCH_BATCH_SIZE=2)
    items = [
        document("http://a.test/", "Vendor3 et la Digital Box 7"),
        document("http://b.test/", "Un sondage, des fake news"),
        document("http://c.test/", "Sondages : vendor12"),
        document("http://d.test/", "rien"),
        document("http://e.test/", "digital box 19, vendor19"),
    ]
    kept, dropped = run(build_from_crawler(QueryMatchPipeline, crawler), items)
    assert [(item.url, item.matched_queries, item.matched_terms) for item in kept] == [
        ("http://a.test/", ["v3", "v7"], ["vendor3", '"digital box 7"']),
        ("http://c.test/", ["v12", "polls"], ["vendor12", "sondage*"]),
    ]
    assert [item.url for item in dropped] == ["http://b.test/", "http://d.test/", "http://e.test/"]
    stats = crawler.stats.get_stats()
    counts = [stats[f"watch/match/{event}"] for event in ("documents", "matched", "dropped")]
    assert counts == [5, 2, 3]
    assert stats['watch/match/term/"fake news"'] == 1
    assert stats["watch/match/term/sondage*"] == 2
    assert stats["watch/match/term/vendor18"] == 0


def test_a_full_batch_is_decided_without_waiting() -> None:
    batches: list[list[str]] = []

    def decide(docs: list[DocumentWords]) -> list[int]:
        batches.append([" ".join(doc.words) for doc in docs])
        return [len(doc.words) for doc in docs]

    batcher: MatchBatcher[int] = MatchBatcher(decide, size=2, quiet=3600, delay=3600)

    async def submit_all() -> list[int]:
        texts = ["a", "b c", "d e f", "g h i j"]
        return await asyncio.gather(*(batcher.submit(DocumentWords.from_text(text)) for text in texts))

    assert asyncio.run(asyncio.wait_for(submit_all(), timeout=60)) == [1, 2, 3, 4]
    assert batches == [["a", "b c"], ["d e f", "g h i j"]]


def test_a_batch_that_fails_fails_each_of_its_items() -> None:
    def decide(docs: list[DocumentWords]) -> list[int]:
        raise ValueError("broken matcher")

    batcher: MatchBatcher[int] = MatchBatcher(decide, size=10, quiet=0.01, delay=1)

    async def submit_two() -> list[int | BaseException]:
        documents = [DocumentWords.from_text("a"), DocumentWords.from_text("b")]
        return await asyncio.gather(*(batcher.submit(doc) for doc in documents), return_exceptions=True)

    outcomes = asyncio.run(submit_two())
    assert [str(outcome) for outcome in outcomes] == ["broken matcher", "broken matcher"]


def test_a_batch_waits_no_longer_than_a_quiet_time_after_its_last_document() -> None:
    decided: list[float] = []

    def decide(docs: list[DocumentWords]) -> list[int]:
        decided.append(asyncio.get_running_loop().time())
        return [0 for _ in docs]

    batcher: MatchBatcher[int] = MatchBatcher(decide, size=100, quiet=0.05, delay=3600)

    async def one_then_another() -> float:
        first = asyncio.ensure_future(batcher.submit(DocumentWords.from_text("a")))
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(batcher.submit(DocumentWords.from_text("b")))
        started = asyncio.get_running_loop().time()
        await asyncio.gather(first, second)
        return started

    last_submitted = asyncio.run(one_then_another())
    # One batch for both (the second came within the quiet time), decided after it, not after the delay.
    assert len(decided) == 1 and decided[0] - last_submitted < 10
