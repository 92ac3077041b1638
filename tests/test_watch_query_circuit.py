"""The boolean circuit over rows of bits: bits in and out, gates shared, constants."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from watch.query.circuit import ALL, NONE, Circuit, empty_rows, ones, set_bits
from watch.query.compiler import compile_query


@given(st.integers(1, 200), st.data())
def test_bits_set_are_the_bits_read(documents: int, data: st.DataObject) -> None:
    circuit = Circuit(leaves=5)
    couples = data.draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, documents - 1))))
    rows = empty_rows(circuit.rows, documents)
    leaves = np.array([leaf for leaf, _ in couples], dtype=np.int64) + circuit.leaf(0)
    set_bits(rows, leaves, np.array([holder for _, holder in couples], dtype=np.int64))
    found_rows, found_bits = ones(rows[circuit.leaf(0) : circuit.leaf(5)])
    assert list(zip(found_rows.tolist(), found_bits.tolist())) == sorted(set(couples))
    assert ones(rows[[ALL]])[1].tolist() == list(range(documents))
    assert not rows[NONE].any()


def test_equal_gates_are_made_once() -> None:
    circuit = Circuit(leaves=3)
    first = compile_query("(a OR b) NOT c")
    second = compile_query("c AND (a OR b)")
    leaf = circuit.leaf
    rows_before = circuit.rows
    circuit.build(first.expression, leaf)
    after_first = circuit.rows
    # The second's terms c, a, b are the first's 2, 0, 1.
    circuit.build(second.expression, lambda symbol: leaf([2, 0, 1][symbol]))
    # a OR b is shared; only the second's AND with c is new.
    assert (after_first - rows_before, circuit.rows - after_first) == (2, 1)


def test_constant_equations() -> None:
    circuit = Circuit(leaves=1)
    assert circuit.build(compile_query("a OR NOT a").expression, circuit.leaf) == ALL
    assert circuit.build(compile_query("a AND NOT a").expression, circuit.leaf) == NONE
    assert circuit.all_of([]) == ALL
