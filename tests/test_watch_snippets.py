"""Match explanations: excerpts around the matched words, marked, readable in a CSV cell."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.query import DocumentWords, compile_query
from watch.query.snippets import snippets


def explain(equation: str, text: str, **options: int) -> list[str]:
    doc = DocumentWords.from_text(text)
    match = compile_query(equation).match(doc)
    assert match is not None, f"{equation!r} should match {text!r}"
    return snippets(doc, match, **options)


FILLER = " ".join(f"word{i}" for i in range(60))  # 60 plain words, about 400 characters


@pytest.mark.parametrize(
    ("equation", "text", "options", "expected"),
    [
        ("quorum", "Le QUORUM est atteint.", {}, ["Le «QUORUM» est atteint."]),
        # whitespace of every kind collapses; a phrase across a line break is one mark
        ('"digital box"', "We  use\tDigital\n  Box\u00a0today", {}, ["We use «Digital Box» today"]),
        # an elision stays whole: the excerpt is never cut inside l’Élection
        ("election", "l’Élection", {}, ["l’«Élection»"]),
        # every matched term is marked, in one excerpt when they are close
        ('quorum OR "digital box"', "Quorum and Digital Box.", {}, ["«Quorum» and «Digital Box»."]),
        # punctuation glued to the edge words is kept
        ("quorum", "(Quorum)", {}, ["(«Quorum»)"]),
        # cut on both sides: ellipses, and the budget respected
        (
            "target",
            f"{FILLER} target {FILLER}",
            {"width": 30},
            ["… word58 word59 «target» word0 …"],
        ),
        # cut at the start of the text only
        ("word0", f"word0 {FILLER}", {"width": 20}, ["«word0» «word0» word1 …"]),
        # per_term bounds the excerpts of one term
        (
            "target",
            f"target {FILLER} target {FILLER} target",
            {"width": 20, "per_term": 2},
            ["«target» word0 word1 …", "… word59 «target» word0 …"],
        ),
        # both sides of NEAR are marked, not the words between them
        (
            "Nationbuilder NEAR/5 municipales",
            "Pour les municipales, le parti a choisi Nationbuilder.",
            {},
            ["Pour les «municipales», le parti a choisi «Nationbuilder»."],
        ),
        # a NOT term is absent, so nothing of it is shown
        ("quorum NOT carata", "Quorum only", {}, ["«Quorum» only"]),
    ],
)
def test_snippets(equation: str, text: str, options: dict[str, int], expected: list[str]) -> None:
    assert explain(equation, text, **options) == expected


def test_an_occurrence_already_shown_needs_no_excerpt_of_its_own() -> None:
    text = f"Quorum and Carata together. {FILLER} Carata alone."
    shown = explain("quorum AND carata", text, width=40, per_term=1)
    assert shown == ["«Quorum» and «Carata» together. word0 word1 …"]


def test_overlapping_excerpts_are_merged() -> None:
    text = f"{FILLER} alpha word beta {FILLER}"
    shown = explain("alpha beta", text, width=40)
    assert len(shown) == 1
    assert "«alpha» word «beta»" in shown[0]


def test_excerpts_come_in_reading_order() -> None:
    text = f"beta {FILLER} alpha"
    shown = explain("alpha AND beta", text, width=20)
    assert [re.findall("«(.*?)»", excerpt) for excerpt in shown] == [["beta"], ["alpha"]]


_WORDS = st.sampled_from(["quorum", "Quorum,", "Digital", "box", "l’Élection", "et", "(de)", "x" * 30])
_SPACES = st.sampled_from([" ", "  ", "\n", "\t", " \u00a0"])


@given(
    st.lists(st.tuples(_WORDS, _SPACES), min_size=1, max_size=120),
    st.integers(min_value=10, max_value=200),
)
def test_an_excerpt_is_whole_words_of_the_text_with_every_occurrence_marked(
    parts: list[tuple[str, str]], width: int
) -> None:
    text = "".join(word + space for word, space in parts)
    doc = DocumentWords.from_text(text)
    match = compile_query("quorum OR election").match(doc)
    if match is None:
        return
    collapsed = f" {' '.join(text.split())} "
    for excerpt in snippets(doc, match, width=width):
        body = excerpt.removeprefix("… ").removesuffix(" …")
        plain = body.replace("«", "").replace("»", "")
        # a contiguous run of whole whitespace-separated words of the text
        assert f" {plain} " in collapsed
        # an ellipsis exactly where the text goes on
        if not excerpt.startswith("… "):
            assert collapsed.startswith(f" {plain} ")
        if not excerpt.endswith(" …"):
            assert collapsed.endswith(f" {plain} ")
        # no matched word left unmarked
        unmarked = re.sub("«.*?»", "", body)
        assert not {"quorum", "election"} & set(DocumentWords.from_text(unmarked).words)
