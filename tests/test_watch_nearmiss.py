"""Near misses: what the crawled text wrote instead of the terms, with counts and example URLs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.query import DocumentWords, compile_query
from watch.query.nearmiss import NearMissCollector, allowed_edits, edit_distance


def near_forms(equation: str, *texts: str) -> dict[str, list[str]]:
    """The near-miss forms per term after reading ``texts`` (one document each)."""
    collector = NearMissCollector(compile_query(equation).terms)
    for number, text in enumerate(texts):
        collector.add(DocumentWords.from_text(text), f"http://site.test/{number}")
    return {term: [entry["form"] for entry in forms] for term, forms in collector.report().items()}


@pytest.mark.parametrize(
    ("equation", "text", "expected"),
    [
        # split, joined, misspelt, transposed
        ("Nationbuilder", "Nation Builder", ["Nation Builder"]),
        ("Nationbuilder", "nation-builder", ["nation-builder"]),
        ("Nationbuilder", "NationBuildr", ["NationBuildr"]),
        ("Quorum", "Quroum", ["Quroum"]),
        ("Quorum", "quorums", ["quorums"]),
        ('"Digital Box"', "DigitaleBox", ["DigitaleBox"]),
        ('"Digital Box"', "digitalbox", ["digitalbox"]),
        ('"Digital Box"', "Digitale Box", ["Digitale Box"]),
        ('"Blue State Digital"', "Blue Stat Digital", ["Blue Stat Digital"]),
        ('"Blue State Digital"', "BlueState Digital", ["BlueState Digital"]),
        ('"Blue State Digital"', "blue statedigital", ["blue statedigital"]),
        ('"Blue State Digital"', "Blue State Digitale", ["Blue State Digitale"]),
        ("elect*", "Elektromobilität", ["Elektromobilität"]),
        ("électorale", "electoral", ["electoral"]),
        # a NEAR term is checked through its sides, each under its own text
        ("Nationbuilder NEAR/5 municipales", "Nation Builder", ["Nation Builder"]),
        # the term itself, in any case or accent, is not a near miss
        ("Quorum", "QUORUM quorum Quorum", []),
        ('"Digital Box"', "digital box", []),
        ("elect*", "élections electoral", []),
        # neighbours and elisions do not make near misses of the term itself
        ("Quorum", "a quorum, Quorum's, l'quorum", []),
        ('"Digital Box"', "a Digital Box", []),
        # too many edits for the length
        ("Quorum", "forum worum", []),
        ("Carata", "Canada", []),
        ("Quorum", "Quorumville", []),
        ("elect*", "select selection", []),
    ],
)
def test_near_misses(equation: str, text: str, expected: list[str]) -> None:
    forms = near_forms(equation, text)
    assert [form for found in forms.values() for form in found] == expected


def test_short_terms_are_not_checked() -> None:
    assert near_forms("AI OR box OR Quorum", "AL bix") == {"Quorum": []}


@pytest.mark.parametrize(
    ("length", "edits"), [(1, 0), (3, 0), (4, 1), (5, 1), (7, 1), (8, 2), (20, 2)]
)
def test_allowed_edits_grow_with_the_term(length: int, edits: int) -> None:
    assert allowed_edits(length) == edits


@pytest.mark.parametrize(
    ("a", "b", "limit", "distance"),
    [
        ("quorum", "quorum", 2, 0),
        ("quorum", "quroum", 2, 1),
        ("quorum", "quorums", 2, 1),
        ("quorum", "forum", 2, 2),
        ("quorum", "forum", 1, 2),
        ("", "abc", 2, 3),
        ("abc", "", 1, 2),
        ("ca", "abc", 3, 3),
    ],
)
def test_edit_distance(a: str, b: str, limit: int, distance: int) -> None:
    assert edit_distance(a, b, limit) == distance


def _reference_distance(a: str, b: str) -> int:
    """Optimal string alignment, the textbook full table."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1,
                table[i][j - 1] + 1,
                table[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


@given(st.text("abcd", max_size=9), st.text("abcd", max_size=9), st.integers(0, 4))
def test_edit_distance_agrees_with_the_full_table(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(_reference_distance(a, b), limit + 1)


def test_counts_are_documents_and_examples_are_bounded() -> None:
    collector = NearMissCollector(compile_query("Nationbuilder").terms, max_examples=2)
    for number in range(4):
        text = "Nation Builder " * 3  # three times in one document counts once
        collector.add(DocumentWords.from_text(text), f"http://site{number}.test/")
    collector.add(DocumentWords.from_text("NationBuildr"), "http://other.test/")
    assert collector.report() == {
        "Nationbuilder": [
            {"form": "Nation Builder", "count": 4, "examples": ["http://site0.test/", "http://site1.test/"]},
            {"form": "NationBuildr", "count": 1, "examples": ["http://other.test/"]},
        ]
    }
    json.dumps(collector.report())


def test_forms_are_merged_by_their_normalised_words_and_shown_as_first_written() -> None:
    forms = near_forms("Nationbuilder", "Nation Builder", "NATION builder", "nation\nbuilder")
    assert forms == {"Nationbuilder": ["Nation Builder"]}


def test_forms_per_term_are_capped_keeping_the_most_frequent() -> None:
    collector = NearMissCollector(compile_query("Quorum").terms, max_forms_per_term=2)
    # frequent forms first, then many one-off forms that must not push them out
    for url in ("http://a.test/", "http://b.test/", "http://c.test/"):
        collector.add(DocumentWords.from_text("quorums quroum"), url)
    for letter in "bcdefghjklmnptvwxyz":
        collector.add(DocumentWords.from_text(f"quorum{letter}"), f"http://{letter}.test/")
    forms = collector.report()["Quorum"]
    assert [(form["form"], form["count"]) for form in forms] == [("quorums", 3), ("quroum", 3)]
    assert len(collector._forms["Quorum"]) <= 4  # bounded memory: at most twice the cap


def test_summary_puts_terms_found_nowhere_first() -> None:
    collector = NearMissCollector(compile_query('Quorum OR Nationbuilder OR "Digital Box"').terms)
    collector.add(DocumentWords.from_text("Quorum quorums Nation Builder"), "http://a.test/")
    collector.add(DocumentWords.from_text("Nation builder"), "http://b.test/")
    lines = collector.summary_lines({"Quorum": 1, "Nationbuilder": 0, '"Digital Box"': 0})
    assert lines == [
        "0 documents contain Nationbuilder; 2 contain 'Nation Builder' (e.g. http://a.test/)",
        '0 documents contain "Digital Box"; no near misses either',
        "1 document contains Quorum; near misses: 1 contains 'quorums' (e.g. http://a.test/)",
    ]
    assert collector.summary_lines() == [
        "Quorum: near misses: 1 contains 'quorums' (e.g. http://a.test/)",
        "Nationbuilder: near misses: 2 contain 'Nation Builder' (e.g. http://a.test/)",
    ]


def test_each_distinct_word_is_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = NearMissCollector(compile_query("Quorum").terms, cache_size=1000)
    judged: list[str] = []
    judge = collector._judge
    monkeypatch.setattr(collector, "_judge", lambda word: judged.append(word) or judge(word))
    for number in range(50):
        collector.add(DocumentWords.from_text("the quorums of the assembly"), f"http://{number}.test/")
    assert sorted(judged) == ["assembly", "of", "quorums", "the"]
    assert collector.report()["Quorum"][0]["count"] == 50


def test_remembered_verdicts_are_bounded() -> None:
    collector = NearMissCollector(compile_query("Quorum").terms, cache_size=10)
    for number in range(30):
        collector.add(DocumentWords.from_text(f"quorums w{number} x{number} y{number}"), f"http://{number}.test/")
        assert len(collector._judged) <= 10
    assert collector.report()["Quorum"][0]["count"] == 30
