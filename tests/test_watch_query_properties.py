"""The compiled matcher and the presearch index agree with a slow, obviously correct evaluator.

Random equations over a small vocabulary are rendered as an analyst would type them (operators
in any spelling, AND often implicit, only the parentheses precedence requires) and checked,
on random documents, against a direct reading of the same tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from hypothesis import given, settings
from hypothesis import strategies as st

from watch.query import DocumentWords, QuerySet, compile_query

# Canonical words and spellings that normalise to them.
SPELLINGS = {
    "quorum": ["quorum", "Quorum", "QUORUM"],
    "quorums": ["quorums", "Quorums"],
    "electorale": ["electorale", "électorale", "ÉLECTORALE"],
    "election": ["election", "élection", "Élection"],
    "elections": ["elections", "élections"],
    "digital": ["digital", "Digital"],
    "box": ["box", "BOX"],
    "carata": ["carata", "Carata"],
}
VOCABULARY = sorted(SPELLINGS)
STEMS = ["elec", "quo", "quorum", "dig", "box"]
SEPARATORS = [" ", "\u00a0", "\u2009", ", ", "\n", " – ", " (", ") "]


@dataclass(frozen=True)
class Word:
    word: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    stem: str


@dataclass(frozen=True)
class Near:
    left: Operand
    right: Operand
    distance: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Binary:
    operator: str  # "AND" or "OR"
    left: Node
    right: Node


Operand = Union[Word, Phrase, Prefix]
Node = Union[Word, Phrase, Prefix, Near, Not, Binary]


# -- the reference: direct, slow, obvious -------------------------------------------------


def spans(term: Operand | Near, words: list[str]) -> list[tuple[int, int]]:
    found = []
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            if covers(term, words, start, end):
                found.append((start, end))
    return found


def covers(term: Operand | Near, words: list[str], start: int, end: int) -> bool:
    if isinstance(term, Word):
        return end == start + 1 and words[start] == term.word
    if isinstance(term, Phrase):
        return tuple(words[start:end]) == term.words
    if isinstance(term, Prefix):
        return end == start + 1 and words[start].startswith(term.stem)
    for left in spans(term.left, words):
        for right in spans(term.right, words):
            first, second = sorted([left, right])
            between = second[0] - first[1]
            if 0 <= between <= term.distance and (min(left[0], right[0]), max(left[1], right[1])) == (start, end):
                return True
    return False


def reference(node: Node, words: list[str]) -> bool:
    if isinstance(node, Not):
        return not reference(node.operand, words)
    if isinstance(node, Binary):
        if node.operator == "AND":
            return reference(node.left, words) and reference(node.right, words)
        return reference(node.left, words) or reference(node.right, words)
    return bool(spans(node, words))


# -- rendering as an analyst types ---------------------------------------------------------

PRECEDENCE = {"OR": 1, "AND": 2}
SPELLED = {"AND": ["AND", "and", "ET", "et", ""], "OR": ["OR", "or", "OU", "Ou"], "NOT": ["NOT", "not", "SAUF"]}


def render(node: Node, draw: st.DrawFn, context: int = 0) -> str:
    if isinstance(node, Word):
        return draw(st.sampled_from(SPELLINGS[node.word]))
    if isinstance(node, Phrase):
        return '"' + " ".join(draw(st.sampled_from(SPELLINGS[word])) for word in node.words) + '"'
    if isinstance(node, Prefix):
        return node.stem + "*"
    if isinstance(node, Near):
        return f"{render(node.left, draw)} NEAR/{node.distance} {render(node.right, draw)}"
    if isinstance(node, Not):
        inner = render(node.operand, draw, 3)
        return f"{draw(st.sampled_from(SPELLED['NOT']))} {inner}"
    precedence = PRECEDENCE[node.operator]
    operator = draw(st.sampled_from(SPELLED[node.operator]))
    text = f"{render(node.left, draw, precedence)} {operator} {render(node.right, draw, precedence)}"
    # Same-operator chains need no parentheses (AND and OR are associative); others do.
    return f"({text})" if precedence < context or (context == 3) else text


operands = st.one_of(
    st.builds(Word, st.sampled_from(VOCABULARY)),
    st.builds(Phrase, st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=3).map(tuple)),
    st.builds(Prefix, st.sampled_from(STEMS)),
)
leaves = st.one_of(operands, st.builds(Near, operands, operands, st.integers(0, 3)))
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(Binary, st.sampled_from(["AND", "OR"]), children, children),
    ),
    max_leaves=8,
)


def mentioned(node: Node) -> list[str]:
    """The vocabulary words ``node`` can match: documents drawn from them often match."""
    if isinstance(node, Word):
        return [node.word]
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Prefix):
        return [word for word in VOCABULARY if word.startswith(node.stem)]
    if isinstance(node, Near):
        return mentioned(node.left) + mentioned(node.right)
    if isinstance(node, Not):
        return mentioned(node.operand)
    return mentioned(node.left) + mentioned(node.right)


@st.composite
def equations(draw: st.DrawFn) -> tuple[Node, str]:
    node = draw(trees)
    return node, render(node, draw)


@st.composite
def texts(draw: st.DrawFn, likely: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """A document of vocabulary words, mostly ``likely`` ones, with varied spellings and spaces."""
    pool = sorted(set(likely)) + draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=2))
    words = draw(st.lists(st.sampled_from(pool), max_size=12))
    parts = []
    for word in words:
        parts.append(draw(st.sampled_from(SPELLINGS[word])))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return words, "".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_compiled_matcher_agrees_with_reference(data: st.DataObject) -> None:
    node, written = data.draw(equations())
    words, document = data.draw(texts(tuple(mentioned(node))))
    query = compile_query(written)
    doc = DocumentWords.from_text(document)
    assert doc.words == words
    match = query.match(doc)
    assert (match is not None) is reference(node, words), written
    if match is not None:
        for term in match.terms:
            assert match.occurrences[term]
        missing = [term for term in query.terms if term not in match.terms]
        assert all(not doc.occurrences(term) for term in missing)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_query_set_agrees_with_each_query(data: st.DataObject) -> None:
    # Over 16 equations the set uses its presearch index; fewer are simply all evaluated.
    written = data.draw(st.lists(equations(), min_size=1, max_size=40))
    likely = tuple(word for node, _ in written[:3] for word in mentioned(node))
    docs = data.draw(st.lists(texts(likely), min_size=1, max_size=4))
    equations_by_name = {f"q{number}": equation for number, (_, equation) in enumerate(written)}
    query_set = QuerySet(equations_by_name)
    for _, document in docs:
        doc = DocumentWords.from_text(document)
        separately = {}
        for name, equation in equations_by_name.items():
            found = compile_query(equation).match(DocumentWords.from_text(document))
            if found is not None:
                separately[name] = found
        assert query_set.match(doc) == separately
        assert list(query_set.match(doc)) == list(separately)
        assert query_set.matching(doc) == list(separately)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_occurrences_are_exactly_where_the_term_stands(data: st.DataObject) -> None:
    node = data.draw(leaves)
    written = render(node, data.draw)
    words, document = data.draw(texts(tuple(mentioned(node))))
    match = compile_query(written).match(DocumentWords.from_text(document))
    expected = spans(node, words)
    assert (list(match.occurrences.values()) if match else []) == ([expected] if expected else [])
