"""The search-equation language: grammar, precedence, errors with their column, normalisation."""

from __future__ import annotations

import pickle

import pytest

from watch.query import DocumentWords, QuerySyntaxError, Term, compile_query
from watch.query.parser import And, Leaf, Not, Or, parse


def matches(equation: str, text: str) -> bool:
    return compile_query(equation).match(DocumentWords.from_text(text)) is not None


def shape(node: object) -> object:
    """The parsed tree with each term reduced to its text: easy to write in a table."""
    if isinstance(node, Leaf):
        return node.term.text
    if isinstance(node, Not):
        return ("NOT", shape(node.operand))
    assert isinstance(node, (And, Or))
    return (type(node).__name__.upper(), *(shape(operand) for operand in node.operands))


@pytest.mark.parametrize(
    ("equation", "tree"),
    [
        ("Quorum", "Quorum"),
        ("Quorum OR Carata", ("OR", "Quorum", "Carata")),
        ("Quorum Carata", ("AND", "Quorum", "Carata")),
        ("a OR b AND c", ("OR", "a", ("AND", "b", "c"))),
        ("a AND b OR c", ("OR", ("AND", "a", "b"), "c")),
        ("NOT a AND b", ("AND", ("NOT", "a"), "b")),
        ("NOT a OR b", ("OR", ("NOT", "a"), "b")),
        ("a NOT b", ("AND", "a", ("NOT", "b"))),
        ("a OR NOT b c", ("OR", "a", ("AND", ("NOT", "b"), "c"))),
        ("(a OR b) c", ("AND", ("OR", "a", "b"), "c")),
        ("NOT (a OR b)", ("NOT", ("OR", "a", "b"))),
        ("NOT NOT a", ("NOT", ("NOT", "a"))),
        ("a ET b OU c SAUF d", ("OR", ("AND", "a", "b"), ("AND", "c", ("NOT", "d")))),
        ("a and b or not c", ("OR", ("AND", "a", "b"), ("NOT", "c"))),
        ("a Et b oU c", ("OR", ("AND", "a", "b"), "c")),
        ('"a NOT b"', '"a NOT b"'),
        ('"a OR b" c', ("AND", '"a OR b"', "c")),
        ("“Digital Box” OR «vote blanc»", ("OR", "“Digital Box”", "«vote blanc»")),
        ("((a))", "a"),
        ("elect* NOT election", ("AND", "elect*", ("NOT", "election"))),
        ("Nationbuilder NEAR/5 municipales", "Nationbuilder NEAR/5 municipales"),
        ('a near/2 "b c" OR d', ("OR", 'a near/2 "b c"', "d")),
        ("NOT x NEAR/1 y", ("NOT", "x NEAR/1 y")),
        ("near", "near"),
        ("a\u00a0OR\tb", ("OR", "a", "b")),
    ],
)
def test_grammar(equation: str, tree: object) -> None:
    assert shape(parse(equation)) == tree


@pytest.mark.parametrize(
    ("equation", "kind", "words", "distance"),
    [
        ("Quorum", "word", ("quorum",), 0),
        ('"Quorum"', "word", ("quorum",), 0),
        ('"Digital  Box"', "phrase", ("digital", "box"), 0),
        ("l’Élection", "phrase", ("l", "election"), 0),
        ("e-commerce", "phrase", ("e", "commerce"), 0),
        ("Élect*", "prefix", ("elect",), 0),
        ("ÉLÈVE", "word", ("eleve",), 0),
        ("Œuvre", "word", ("oeuvre",), 0),
        ('Nationbuilder NEAR/5 "les municipales"', "near", ("nationbuilder", "les", "municipales"), 5),
        ("a NEAR/0 b", "near", ("a", "b"), 0),
    ],
)
def test_terms(equation: str, kind: str, words: tuple[str, ...], distance: int) -> None:
    (term,) = compile_query(equation).terms
    assert (term.text, term.kind, term.words, term.distance) == (equation, kind, words, distance)


def test_terms_are_distinct_in_order_of_appearance() -> None:
    query = compile_query('b OR a OR "B" OR (a c) OR x NEAR/2 y OR y NEAR/2 x')
    assert [term.text for term in query.terms] == ["b", "a", "c", "x NEAR/2 y"]


@pytest.mark.parametrize(
    ("equation", "column", "message"),
    [
        ("", 1, "empty equation"),
        ("   ", 1, "empty equation"),
        ("(Quorum OR Carata", 1, "unbalanced '('"),
        ("Quorum OR (Carata AND (x)", 11, "unbalanced '('"),
        ("Quorum)", 7, "unbalanced ')'"),
        ("(a) b) c", 6, "unbalanced ')'"),
        ('Quorum OR "Digital Box', 11, "unterminated quote"),
        ("a “b", 3, "unterminated quote"),
        ('a ""', 3, "empty phrase"),
        ('a " , "', 3, "empty phrase"),
        ("A AND", 3, "AND has no right operand"),
        ("A OR", 3, "OR has no right operand"),
        ("OR B", 1, "OR has no left operand"),
        ("(AND b)", 2, "AND has no left operand"),
        ("A AND OR B", 7, "two operators in a row"),
        ("A OR OR B", 6, "two operators in a row"),
        ("A NOT AND B", 7, "two operators in a row"),
        ("NOT", 1, "NOT has no operand"),
        ("a OR NOT", 6, "NOT has no operand"),
        ("(a OR)", 4, "OR has no right operand"),
        ("()", 1, "empty parentheses"),
        ("a ( ) b", 3, "empty parentheses"),
        ("el*", 1, "too short"),
        ("a OR É*", 6, "too short"),
        ("*", 1, "needs a word"),
        ("el*ect", 3, "may only end a word"),
        ("l’élect*", 8, "single word"),
        ("a NEAR/x b", 3, "bad NEAR/x"),
        ("a NEAR/ b", 3, "bad NEAR/"),
        ("a NEAR/1000 b", 3, "bad NEAR/1000"),
        ("a NEAR b", 3, "NEAR needs a distance"),
        ("a NEAR/3", 3, "NEAR/3 has no right operand"),
        ("NEAR/3 b", 1, "on its left"),
        ("a OR NEAR/3 b", 6, "on its left"),
        ("(a) NEAR/3 b", 5, "on its left"),
        ("a NEAR/3 (b)", 10, "not a group"),
        ("a NEAR/3 OR b", 3, "on its right"),
        ("a NEAR/3 b NEAR/3 c", 12, "cannot follow another NEAR"),
        ("a & b", 3, "no letter or digit"),
    ],
)
def test_errors(equation: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(equation)
    err = info.value
    assert (err.column, err.equation) == (column, equation)
    assert message in err.message
    assert str(err) == f"column {column}: {err.message}"
    first, caret, last = err.display().split("\n")
    assert len(first) == len(equation) and caret == " " * (column - 1) + "^" and last == str(err)


def test_error_is_a_value_error_that_pickles() -> None:
    with pytest.raises(ValueError):
        compile_query("(a")
    err = QuerySyntaxError("(a", 1, "unbalanced")
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


@pytest.mark.parametrize(
    ("equation", "text", "expected"),
    [
        ("Quorum", "Le quorum est atteint.", True),
        ("Quorum", "QUORUM", True),
        ("Quorum", "Des quorums", False),
        ("Quorum", "Quorumville", False),
        ("Quorum", "quorum’s vote", True),
        ("electorale", "la campagne électorale", True),
        ("Électorale", "ELECTORALE", True),
        ("election", "l’Élection présidentielle", True),
        ("election", "d'élection", True),
        ("l’Élection", "l'election", True),
        ("l’Élection", "une élection", False),
        ("oeuvre", "son Œuvre", True),
        ('"Digital Box"', "Digital\u00a0Box", True),
        ('"Digital Box"', "Digital\u2009Box", True),
        ('"Digital Box"', "Digital\u202fBox", True),
        ('"Digital Box"', "Digital\n   Box", True),
        ('"Digital Box"', "Digital, Box", True),
        ('"Digital Box"', "Box Digital", False),
        ('"Digital Box"', "Digital the Box", False),
        ('"Digital Box"', "DigitalBox", False),
        ("e-commerce", "le e-commerce", True),
        ("e-commerce", "e commerce", True),
        ("ﬁnale", "finale", True),
        ("elect*", "Élections", True),
        ("elect*", "elect", True),
        ("elect*", "réélection", False),
        ("Quorum OR Carata", "carata", True),
        ("Quorum Carata", "carata", False),
        ("Quorum NOT Carata", "quorum carata", False),
        ("Quorum SAUF Carata", "quorum", True),
        ("NOT spam", "", True),
        ("a OR NOT a", "", True),
        ("a AND NOT a", "a", False),
        ('"a NOT b"', "A not B", True),
        ('"a NOT b"', "a", False),
        ("Nationbuilder NEAR/5 municipales", "Nationbuilder pour les élections municipales", True),
        ("Nationbuilder NEAR/5 municipales", "municipales : Nationbuilder", True),
        ("Nationbuilder NEAR/2 municipales", "Nationbuilder pour les élections municipales", False),
        ("Nationbuilder NEAR/3 municipales", "Nationbuilder pour les élections municipales", True),
        ("a NEAR/0 b", "b a", True),
        ("a NEAR/0 b", "a x b", False),
        ("elect* NEAR/1 election", "election", False),
        ("elect* NEAR/1 election", "élections, election", True),
        ('"digital box" NEAR/1 quorum', "quorum x digital box", True),
        ('"digital box" NEAR/1 quorum', "digital box x y quorum", False),
    ],
)
def test_matching(equation: str, text: str, expected: bool) -> None:
    assert matches(equation, text) is expected


def test_match_lists_found_terms_in_equation_order_with_their_places() -> None:
    query = compile_query('Carata OR "digital box" OR NOT Quorum OR absent')
    doc = DocumentWords.from_text("Quorum et DIGITAL Box, quorum.")
    match = query.match(doc)
    assert match is not None
    assert [term.text for term in match.terms] == ['"digital box"', "Quorum"]
    digital_box, quorum = match.terms
    assert match.occurrences == {digital_box: [(2, 4)], quorum: [(0, 1), (4, 5)]}
    start, end = doc.spans.starts[2], doc.spans.ends[3]
    assert doc.text[start:end] == "DIGITAL Box"


def test_near_occurrences_cover_both_sides() -> None:
    query = compile_query("municipales NEAR/3 Nationbuilder")
    match = query.match(DocumentWords.from_text("Nationbuilder aux municipales, Nationbuilder"))
    assert match is not None
    assert list(match.occurrences.values()) == [[(0, 3), (2, 4)]]
    assert match.terms == (
        Term(
            "municipales NEAR/3 Nationbuilder",
            "near",
            ("municipales", "nationbuilder"),
            3,
            (Term("municipales", "word", ("municipales",)), Term("Nationbuilder", "word", ("nationbuilder",))),
        ),
    )


def test_simplified_equation_matches_like_the_written_one() -> None:
    query = compile_query("(a OR b) AND NOT NOT a")
    assert str(query.expression) == "0"
    assert [term.text for term in query.terms] == ["a", "b"]


@pytest.mark.parametrize(
    ("equation", "column", "message"),
    [
        ("(" * 65 + "a" + ")" * 65, 65, "nested more than 64 deep"),
        ("NOT " * 3000 + "a", 1, "nested too deeply"),
    ],
)
def test_pathological_nesting_is_a_syntax_error(equation: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query(equation)
    assert caught.value.column == column
    assert message in caught.value.message



@pytest.mark.parametrize(
    ("equation", "column", "advice"),
    [("Quorum -Carata", 8, "write NOT Carata"), ("+Quorum Carata", 1, "write AND Quorum")],
)
def test_web_search_signs_are_refused_with_advice(equation: str, column: int, advice: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query(equation)
    assert caught.value.column == column
    assert advice in caught.value.message
