"""Many equations at once: QuerySet over one or many documents, its batch circuit, equation files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_watch_query_properties import equations, mentioned, texts
from watch.query import DocumentWords, QuerySet, QuerySyntaxError, batch, compile_query
from watch.query.presearch import anchors


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("Quorum", {(False, "quorum")}),
        ('"Blue State Digital"', {(False, "digital")}),
        ("elect*", {(True, "elect")}),
        ("Quorum OR elect*", {(False, "quorum"), (True, "elect")}),
        ("Nationbuilder AND Quorum", {(False, "nationbuilder")}),
        ("elect* AND Quorum", {(False, "quorum")}),
        ("Quorum NOT spam", {(False, "quorum")}),
        ("Nationbuilder NEAR/5 mun*", {(False, "nationbuilder")}),
        ("(a OR bb) AND ccc", {(False, "ccc")}),
        ("NOT spam", None),
        ("Quorum OR NOT spam", None),
        ("NOT a AND NOT b", None),
        ("a OR NOT a", None),
        ("a AND NOT a", set()),
    ],
)
def test_anchors(equation: str, expected: set[tuple[bool, str]] | None) -> None:
    query = compile_query(equation)
    assert anchors(query.expression, query.terms) == expected


def many(count: int) -> dict[str, str]:
    return {f"q{number}": f"word{number} OR (thing{number} AND other)" for number in range(count)}


def test_many_equations_are_decided_by_the_circuit() -> None:
    queries = QuerySet({**many(1000), "always": "NOT word5", "stems": "word99* AND other"})
    doc = DocumentWords.from_text("word5 and thing7, other things; word999")
    assert list(queries.match(doc)) == ["q5", "q7", "q999", "stems"]
    assert queries.matching(doc) == ["q5", "q7", "q999", "stems"]
    # Remembered words give the same answer the second time.
    assert list(queries.match(doc)) == ["q5", "q7", "q999", "stems"]
    assert queries.matching(DocumentWords.from_text("nothing at all")) == ["always"]


@pytest.mark.parametrize("count", [3, 20])
def test_one_document_or_many_in_one_call(count: int) -> None:
    # 3 equations are each evaluated; 20 go through the circuit.
    queries = QuerySet(many(count))
    texts = ["word1 thing2 other", "", "word2", "other", "thing0 other word1", "x"] * 30
    docs = [DocumentWords.from_text(text) for text in texts]
    expected = [queries.matching(doc) for doc in docs]
    assert expected[:6] == [["q1", "q2"], [], ["q2"], [], ["q0", "q1"], []]
    assert queries.matching_many(docs) == expected
    assert [list(found) for found in queries.match_many(docs)] == expected
    thing0, other = compile_query("thing0 other").terms
    assert queries.match_many(docs)[4]["q0"].terms == (thing0, other)
    assert queries.matching_many([]) == []


def test_a_large_batch_is_decided_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    queries = QuerySet({**many(20), "phrase": '"digital box" NEAR/2 elect*'})
    texts = [f"word{n % 23} thing{n % 7} other, élection de la digital box {n}" for n in range(300)]
    docs = [DocumentWords.from_text(text) for text in texts]
    whole = queries.matching_many(docs)
    monkeypatch.setattr(batch, "ROWS_BUDGET", 1)  # 64 documents a part
    assert queries.matching_many(docs) == whole
    assert whole == [queries.matching(doc) for doc in docs]
    assert sum(len(found) for found in whole) > 300


def test_query_set_exposes_names_and_queries() -> None:
    queries = QuerySet({"b": "Quorum", "a": '"Digital Box"'})
    assert queries.names == ("b", "a")
    assert queries.queries["a"].equation == '"Digital Box"'
    assert queries.match(DocumentWords.from_text("rien")) == {}


def test_query_set_error_names_the_query() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        QuerySet({"good": "a", "vendors": "(Quorum OR Carata"})
    assert str(info.value) == "column 1: unbalanced '(': no matching ')' (query 'vendors')"


def test_from_file(tmp_path: Path) -> None:
    path = tmp_path / "equations.txt"
    path.write_text(
        "\ufeff# Vendors of campaign software\n"
        "vendors: Quorum OR Nationbuilder\n"
        "\n"
        "   # indented comment\n"
        'boxes :  "Digital Box" NOT spam\n'
        "élections 2026: élect* NEAR/3 municipales\n",
        encoding="utf-8",
    )
    queries = QuerySet.from_file(path)
    assert queries.names == ("vendors", "boxes", "élections 2026")
    assert queries.queries["boxes"].equation == '"Digital Box" NOT spam'
    doc = DocumentWords.from_text("Élections municipales : Quorum et la digital box")
    assert list(queries.match(doc)) == ["vendors", "boxes", "élections 2026"]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("vendors: (Quorum OR Carata", 10, "unbalanced '(': no matching ')' (query 'vendors', {path} line 2)"),
        ("vendors:Quorum AND", 16, "AND has no right operand (query 'vendors', {path} line 2)"),
        ("  v :   el*", 9, "wildcard el* too short: at least 3 letters before '*' (query 'v', {path} line 2)"),
        ("Quorum OR Carata", 1, "expected 'name: equation' ({path} line 2)"),
        ("(x): a", 1, "expected 'name: equation' ({path} line 2)"),
        ("first: b", 1, "query 'first' already defined on line 1 ({path} line 2)"),
        ("empty:", 7, "empty equation: nothing to search (query 'empty', {path} line 2)"),
    ],
)
def test_from_file_errors_name_file_line_and_column(
    tmp_path: Path, line: str, column: int, message: str
) -> None:
    path = tmp_path / "equations.txt"
    path.write_text(f"first: a\n{line}\n", encoding="utf-8")
    with pytest.raises(QuerySyntaxError) as info:
        QuerySet.from_file(path)
    assert (info.value.equation, info.value.column) == (line, column)
    assert info.value.message == message.format(path=path)


@pytest.mark.parametrize(
    ("content", "equation", "column", "message"),
    [
        ("first: a\nsecond: Qualit\xe9 OR b\n".encode("latin-1"), "second: Qualit\ufffd OR b", 15,
         "byte 0xe9 is not UTF-8: expected a UTF-8 text file ({path} line 2)"),
        (b"\xff\xfe", "\ufffd\ufffd", 1, "byte 0xff is not UTF-8: expected a UTF-8 text file ({path} line 1)"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_utf8_is_refused_where_it_is_not(
    tmp_path: Path, content: bytes, equation: str, column: int, message: str
) -> None:
    path = tmp_path / "equations.txt"
    path.write_bytes(content)
    with pytest.raises(QuerySyntaxError) as info:
        QuerySet.from_file(path)
    assert (info.value.equation, info.value.column, info.value.message) == (equation, column, message.format(path=path))


@pytest.mark.parametrize("content", [b"", b"# only a comment\n\n   \n"])
def test_a_file_without_equations_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "equations.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="expected at least one 'name: equation' line") as info:
        QuerySet.from_file(path)
    assert not isinstance(info.value, QuerySyntaxError)


# -- the index path (16 equations or more) agrees with each equation alone -------------------


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_indexed_query_set_agrees_with_each_query(data: st.DataObject) -> None:
    written = data.draw(st.lists(equations(), min_size=16, max_size=40))
    likely = tuple(word for node, _ in written[:4] for word in mentioned(node))
    documents = data.draw(st.lists(texts(likely), min_size=1, max_size=4))
    equations_by_name = {f"q{number}": equation for number, (_, equation) in enumerate(written)}
    query_set = QuerySet(equations_by_name)
    for _, document in documents:
        doc = DocumentWords.from_text(document)
        expected = [
            name for name, equation in equations_by_name.items()
            if compile_query(equation).matches(DocumentWords.from_text(document))
        ]
        assert query_set.matching(doc) == expected


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_batch_agrees_with_each_query_on_each_document(data: st.DataObject) -> None:
    # Over 64 documents, so that a batch spans several 64-bit words of the circuit's rows.
    written = data.draw(st.lists(equations(), min_size=16, max_size=30))
    likely = tuple(word for node, _ in written[:4] for word in mentioned(node))
    documents = data.draw(st.lists(texts(likely), min_size=1, max_size=80))
    equations_by_name = {f"q{number}": equation for number, (_, equation) in enumerate(written)}
    alone = {name: compile_query(equation) for name, equation in equations_by_name.items()}
    expected = [
        [name for name, query in alone.items() if query.matches(DocumentWords.from_text(document))]
        for _, document in documents
    ]
    docs = [DocumentWords.from_text(document) for _, document in documents]
    assert QuerySet(equations_by_name).matching_many(docs) == expected
    # In two batches: the second one's words partly learned by the first, partly new.
    query_set = QuerySet(equations_by_name)
    half = data.draw(st.integers(0, len(docs)))
    assert query_set.matching_many(docs[:half]) + query_set.matching_many(docs[half:]) == expected


def alternating(levels: int) -> str:
    """``w1 OR (w2 AND (w3 OR (… quorum)))``: operators nested ``levels`` deep, nothing to simplify."""
    equation = "quorum"
    for level in range(levels, 0, -1):
        equation = f"w{level} {'AND' if level % 2 == 0 else 'OR'} ({equation})"
    return equation


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("w1", True),
        ("w2 w4 w6", False),
        (" ".join(f"w{level}" for level in range(2, 61, 2)) + " quorum", True),
        (" ".join(f"w{level}" for level in range(2, 59, 2)), False),
        ("w2 w3", True),
    ],
)
def test_deeply_nested_equations(text: str, matches: bool) -> None:
    deep = compile_query(alternating(60))  # within the parser's limit of 64
    queries = QuerySet({**many(20), "deep": deep.equation})
    doc = DocumentWords.from_text(text)
    assert deep.matches(doc) is matches
    assert ("deep" in queries.matching(doc)) is matches


@pytest.mark.parametrize(
    ("equation", "text", "matches"),
    [
        ('"blue state digital"', "Blue State Digital", True),
        ('"blue state digital"', "blue state, then state digital", False),
        ('"blue state digital"', "digital blue state", False),
        ('"digital box"', "box digital box", True),
        ('"digital box"', "digital, une box", False),
        ("quorum NEAR/1 box", "box un quorum", True),
        ("quorum NEAR/1 box", "box un deux quorum", False),
        ('"digital box" NEAR/2 elect*', "élection de la grande digital box", False),
        ('"digital box" NEAR/2 elect*', "élection, la digital box", True),
        ("elect* NEAR/0 election", "election", False),
        ("elect* NEAR/0 election", "electorale election", True),
    ],
)
def test_positional_terms_in_the_index(equation: str, text: str, matches: bool) -> None:
    queries = QuerySet({**many(20), "it": equation})
    assert ("it" in queries.matching(DocumentWords.from_text(text))) is matches


def test_remembered_words_are_forgotten_without_changing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "REMEMBERED_WORDS", 3)
    queries = QuerySet({**many(20), "stem": "elect*", "both": "elect* AND quorum"})
    texts_and_names = [
        ("élection quorum municipale", ["stem", "both"]),
        ("electorale, scrutin, vote, urne", ["stem"]),
        ("quorum", []),
        ("élection quorum municipale", ["stem", "both"]),
    ]
    for text, expected in texts_and_names * 2:
        assert queries.matching(DocumentWords.from_text(text)) == expected
