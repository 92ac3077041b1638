"""The batch matcher's own parts: documents of few words, learned words, the pair table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.query import DocumentWords, compile_query
from watch.query import batch
from watch.query.batch import BatchMatcher, _PairTable


def matcher(*equations: str) -> BatchMatcher:
    return BatchMatcher([compile_query(equation) for equation in equations])


def test_documents_of_no_word_or_one_word() -> None:
    found = matcher("quorum", "NOT quorum", '"digital box"').matching(
        [DocumentWords.from_text(text) for text in ["", "Quorum", "box", "digital box"]]
    )
    assert found == [[1], [0], [1], [1, 2]]


def test_prefixes_complete_words_learned_in_any_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    prefixes = matcher("elect* AND NOT electorale", "electorale", "quorum NEAR/1 elect*")
    texts = ["élection", "électorale", "quorum élections", "electricité, vote et quorum"]
    expected = [[0], [1], [0, 2], [0]]
    assert prefixes.matching([DocumentWords.from_text(text) for text in texts]) == expected
    assert [prefixes.matching([DocumentWords.from_text(text)])[0] for text in texts] == expected
    monkeypatch.setattr(batch, "REMEMBERED_WORDS", 1)  # forgotten before every batch
    assert prefixes.matching([DocumentWords.from_text(text) for text in texts]) == expected


@given(st.sets(st.integers(0, 2**40), max_size=300), st.lists(st.integers(0, 2**40), max_size=50))
def test_the_pair_table_finds_its_pairs_and_no_other(codes: set[int], others: list[int]) -> None:
    table = _PairTable({code: (number,) for number, code in enumerate(sorted(codes))})
    asked = sorted(codes) + others
    starts, values = table.terms
    entries = table.find(np.array(asked, dtype=np.int64)).tolist()
    found = [values[starts[entry]] if entry >= 0 else None for entry in entries]
    numbers = {code: number for number, code in enumerate(sorted(codes))}
    assert found == [numbers.get(code) for code in asked]
