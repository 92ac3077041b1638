"""What `scrapy equation` shows: the simplified tree and the warnings."""

from __future__ import annotations

import pytest

from watch.query import compile_query
from watch.query.explain import tree, warnings


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("Quorum", "quorum"),
        ("NOT NOT Quorum", "quorum"),
        ("a OR NOT a", "(every document)"),
        ("a AND NOT a", "(no document)"),
        ("(a b) OR a", "a"),
        ("a NOT (b OR c)", "AND\n  a\n  NOT b\n  NOT c"),
        ("NOT (a b)", "NOT\n  AND\n    a\n    b"),
        ("élect* NEAR/2 “Digital Box”", 'elect* NEAR/2 "digital box"'),
    ],
)
def test_tree(equation: str, expected: str) -> None:
    assert tree(compile_query(equation)) == expected


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("quorum OR carata", []),
        ("quorum or carata", ["'or' at column 8 is read as the operator OR"]),
        ("quorum et carata", ["'et' at column 8 is read as the operator AND"]),
        ("quorum and carata", ["'and' at column 8 is read as the operator AND"]),
        ("quorum sauf carata", ["'sauf' at column 8 is read as the operator NOT"]),
        ("NOT spam", ["NOT-only part"]),
        ("quorum OR NOT spam", ["NOT-only part"]),
        ("a OR NOT a", ["always true"]),
        ("a AND NOT a", ["can never be true"]),
        ("elect*", []),
        ("élec*", ["élec* matches every word starting with 'elec'", "accents removed"]),
        ("électorale", ["électorale is matched as electorale (accents removed)"]),
        ("Quorum", ["letter case is ignored: Quorum match in any case"]),
        ("l’election", ['matched as "l election" (split into words); write election to match']),
        ('"vote or not"', ["contains 'or', 'not', searched as words there"]),
        ('"elect* box"', ["'*' inside quotes is not a wildcard"]),
        ("électorale NEAR/2 vote", ["électorale is matched as electorale"]),
    ],
)
def test_warnings(equation: str, expected: list[str]) -> None:
    found = warnings(compile_query(equation))
    assert len(found) == len(expected), found
    for part in expected:
        assert any(part in warning for warning in found), (part, found)



def test_dropped_symbols_are_warned() -> None:
    from watch.query import compile_query
    from watch.query.explain import warnings

    assert "C++ is matched as c (punctuation and symbols dropped)" in warnings(compile_query("C++ OR Java"))
