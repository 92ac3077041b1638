"""A boolean circuit over rows of bits: many equations evaluated for a batch of documents at once.

A row holds one bit per document of the batch, 64 to a word: the first two rows hold no
document and every document, then come the leaves (one row per term, its documents) and the
gates. Each gate combines two rows (AND, OR, AND NOT); equal gates are made once and shared by
every equation that needs them, and a :class:`Plan` groups them by depth, so that a whole batch
is computed by a few numpy operations per depth, each over thousands of gates at once.

>>> from watch.query.compiler import compile_query
>>> query = compile_query("(a OR b) NOT c")
>>> circuit = Circuit(leaves=3)
>>> result = circuit.build(query.expression, circuit.leaf)
>>> plan = circuit.plan()
>>> rows = empty_rows(circuit.rows, documents=4)
>>> a, b, c = 0, 1, 2  # the leaves' numbers, as the query numbers its terms
>>> leaves = np.array([a, a, b, c]) + circuit.leaf(0)
>>> set_bits(rows, leaves, np.array([0, 2, 1, 2]))  # a in documents 0 and 2, b in 1, c in 2
>>> plan.run(rows)
>>> ones(rows.take([result], axis=0))[1].tolist()  # documents 0 and 1
[0, 1]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from watch.query.compiler import ALGEBRA

if TYPE_CHECKING:
    from collections.abc import Callable

    import boolean
    from numpy.typing import NDArray

    Ints = NDArray[np.int64]
    Rows = NDArray[np.uint64]

_AND, _OR, _AND_NOT = 0, 1, 2
# The first rows: no document, every document of the batch; the leaves follow.
NONE, ALL, FIRST_LEAF = 0, 1, 2
_ONE = np.uint64(1)


class Circuit:
    """Gates over ``leaves`` rows of bits, built from boolean.py expressions."""

    def __init__(self, leaves: int) -> None:
        self.rows = FIRST_LEAF + leaves
        self._gates: dict[tuple[int, int, int], int] = {}
        self._depths = [0] * self.rows
        self._new: list[tuple[int, int, int, int]] = []  # (row, operation, first, second)

    def leaf(self, number: int) -> int:
        """Return the row of leaf ``number``."""
        return FIRST_LEAF + number

    def build(self, expression: boolean.Expression, leaf: Callable[[int], int]) -> int:
        """Add the gates of ``expression`` (``leaf`` gives a symbol's row) and return its row."""
        if expression is ALGEBRA.TRUE:
            return ALL
        if expression is ALGEBRA.FALSE:
            return NONE
        if isinstance(expression, ALGEBRA.Symbol):
            return leaf(expression.obj)
        if isinstance(expression, ALGEBRA.NOT):
            return self._gate(_AND_NOT, ALL, self.build(expression.args[0], leaf))
        if isinstance(expression, ALGEBRA.OR):
            return self._fold(_OR, [self.build(argument, leaf) for argument in expression.args])
        kept: list[int] = []
        excluded: list[int] = []
        for argument in expression.args:
            if isinstance(argument, ALGEBRA.NOT):
                excluded.append(self.build(argument.args[0], leaf))
            else:
                kept.append(self.build(argument, leaf))
        if not excluded:
            return self.all_of(kept)
        return self._gate(_AND_NOT, self.all_of(kept), self._fold(_OR, excluded))

    def all_of(self, rows: list[int]) -> int:
        """Add the gates of the AND of ``rows`` (of none: every document) and return its row."""
        return self._fold(_AND, rows) if rows else ALL

    def plan(self) -> Plan:
        """Return the gates added since the last plan, to be run after it."""
        steps: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for row, operation, first, second in self._new:
            steps.setdefault((self._depths[row], operation), []).append((row, first, second))
        self._new = []
        return Plan(
            [
                (operation, *(np.array(column, dtype=np.int64) for column in zip(*gates)))
                for (_, operation), gates in sorted(steps.items())
            ]
        )

    def _fold(self, operation: int, rows: list[int]) -> int:
        # A balanced tree of gates: fewer depths, so fewer numpy steps, than a chain.
        while len(rows) > 1:
            paired = [self._gate(operation, rows[i], rows[i + 1]) for i in range(0, len(rows) - 1, 2)]
            rows = paired + rows[len(rows) - len(rows) % 2 :]
        return rows[0]

    def _gate(self, operation: int, first: int, second: int) -> int:
        if operation != _AND_NOT and first > second:
            first, second = second, first
        key = (operation, first, second)
        row = self._gates.get(key)
        if row is None:
            row = self._gates[key] = self.rows
            self.rows += 1
            self._depths.append(1 + max(self._depths[first], self._depths[second]))
            self._new.append((row, operation, first, second))
        return row


class Plan:
    """Gates grouped by depth and operation: each group is computed by one numpy operation."""

    def __init__(self, steps: list[tuple[int, Ints, Ints, Ints]]) -> None:
        self._steps = steps  # (operation, output rows, first inputs, second inputs)

    def run(self, rows: Rows) -> None:
        """Compute the plan's gates in ``rows``, shallowest first."""
        for operation, out, first, second in self._steps:
            left = rows.take(first, axis=0)
            right = rows.take(second, axis=0)
            if operation == _AND:
                np.bitwise_and(left, right, out=left)
            elif operation == _OR:
                np.bitwise_or(left, right, out=left)
            else:
                np.bitwise_and(left, np.invert(right, out=right), out=left)
            put_rows(rows, out, left)


def put_rows(rows: Rows, numbers: Ints, values: Rows) -> None:
    """``rows[numbers] = values``, several times faster: each row is put as one element.

    (Rows are read the fast way with ``rows.take(numbers, axis=0)``; fancy indexing copies a
    row word by word.)
    """
    whole_row = np.dtype((np.void, rows.shape[1] * rows.itemsize))
    rows.view(whole_row).put(numbers, values.view(whole_row))


def empty_rows(count: int, documents: int) -> Rows:
    """Return ``count`` rows for a batch of ``documents``: all empty but :data:`ALL`."""
    rows = np.zeros((count, (documents + 63) >> 6), dtype=np.uint64)
    full, rest = divmod(documents, 64)
    rows[ALL, :full] = ~np.uint64(0)
    if rest:
        rows[ALL, full] = (_ONE << np.uint64(rest)) - _ONE
    return rows


def set_bits(rows: Rows, numbers: Ints, holders: Ints) -> None:
    """Set bit ``holders[i]`` of row ``numbers[i]``, for every i (couples may repeat)."""
    bits = numbers.astype(np.int64) * (rows.shape[1] * 64) + holders
    np.bitwise_or.at(rows.reshape(-1), bits >> 6, np.left_shift(_ONE, (bits & 63).astype(np.uint64)))


def ones(rows: Rows) -> tuple[Ints, Ints]:
    """Return the (row, bit) of every set bit of ``rows``, row by row, bits in order."""
    # Few bits are set: find the non-zero words, then their non-zero octets, then the bits.
    width = rows.shape[1]
    flat = rows.reshape(-1)
    # flatnonzero of a boolean array: several times faster than of the integers themselves.
    words = np.flatnonzero(flat != 0)
    octets = flat.take(words).view(np.uint8)  # little-endian: bit i of a word is in its octet i // 8
    some = np.flatnonzero(octets != 0)
    bits = np.flatnonzero(np.unpackbits(octets[some], bitorder="little"))
    octet = some[bits >> 3]
    word = words[octet >> 3]
    return word // width, (word % width) * 64 + (octet & 7) * 8 + (bits & 7)
