"""Many equations decided over many documents at once: bitsets over the batch and a boolean circuit.

Matching one document at a time costs, for each document, Python work per word and per candidate
equation. Over a batch of documents the work is shared:

1. every word of every document becomes a word id, all of a document's words looked up in one
   C call (``operator.itemgetter``); ids number the words some term needs (0 for all others, a
   fresh id for a new word that completes a prefix), so the batch becomes one array of integers;
2. numpy finds in that array the terms each word makes present and the two-word phrases (pairs
   of consecutive ids), and sets one bit per (term, document): each term becomes a row of 64-bit
   words, a bitset over the batch's documents;
3. every equation was compiled once into a boolean circuit of two-input gates (AND, OR,
   AND NOT), shared between equations and grouped by depth: a batch is decided by a few numpy
   operations per depth, each over thousands of gates, whatever the number of documents;
4. the set bits of the equations' rows are read back as, per document, the numbers of the
   equations it satisfies.

Phrases of three words or more and NEAR terms need positions: the circuit first finds the
(document, term) couples where every pair or side they need is present, each of those alone is
decided by :meth:`DocumentWords.occurrences`, and only then are the equations evaluated.

Word ids are remembered from batch to batch in a table of at most :data:`REMEMBERED_WORDS`
words, forgotten all at once when full.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from watch.query.compiler import ALGEBRA
from watch.query.terms import NEAR, PHRASE, PREFIX, WORD, Term

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    import boolean
    from numpy.typing import NDArray

    from watch.query.compiler import Query
    from watch.query.document import DocumentWords

    Ints = NDArray[np.int64]
    Rows = NDArray[np.uint64]
    Step = tuple[int, Ints, Ints, Ints]  # operation, output rows, first inputs, second inputs

#: Distinct words whose ids are remembered between batches before the table is reset.
REMEMBERED_WORDS = 200_000
#: Bytes the circuit's rows may take for one part of a batch (larger batches are cut in parts).
ROWS_BUDGET = 16_000_000
# Documents of one part are numbered in 16 bits (sorted by a radix sort).
_LARGEST_PART = 1 << 13

_AND, _OR, _AND_NOT = 0, 1, 2
# The first rows of the circuit: no document, every document of the batch; then one row a term.
_NONE, _ALL, _LEAVES = 0, 1, 2
_ONE = np.uint64(1)


class BatchMatcher:
    """Decide compiled equations over batches of documents (see the module docstring).

    >>> from watch.query.compiler import compile_query
    >>> from watch.query.document import DocumentWords
    >>> matcher = BatchMatcher([compile_query("Quorum OR elect*"), compile_query('"digital box" NOT spam')])
    >>> texts = ["Élections : QUORUM", "La Digital Box", "Digital box spam", "rien"]
    >>> matcher.matching([DocumentWords.from_text(text) for text in texts])
    [[0], [1], [], []]
    """

    def __init__(self, queries: Sequence[Query]) -> None:
        index = _TermIndex()
        symbols = [[index.add(term) for term in query.terms] for query in queries]
        self._terms = index.terms
        self._words = _WordTable(index)
        circuit = _Circuit(_LEAVES + len(index.terms))
        # Positional terms are decided first, from terms found without positions only.
        self._positional = np.array(sorted(index.needs), dtype=np.int64)
        candidates = [
            circuit.fold(_AND, [_LEAVES + need for need in sorted(index.needs[term])])
            for term in self._positional.tolist()
        ]
        self._before = circuit.plan()
        self._candidates = np.array(candidates, dtype=np.int64)
        self._equations = np.array(
            [
                circuit.build(query.expression, lambda symbol, ids=ids: _LEAVES + ids[symbol])
                for query, ids in zip(queries, symbols)
            ],
            dtype=np.int64,
        )
        self._after = circuit.plan()
        self._rows = circuit.rows

    def matching(self, docs: Sequence[DocumentWords]) -> list[list[int]]:
        """Return, for each of ``docs``, the numbers of the equations it satisfies, in order."""
        # A part's rows fit the budget: 64 documents a 64-bit word, one word a row.
        part = min(_LARGEST_PART, max(64, ROWS_BUDGET // (self._rows * 8) * 64))
        found: list[list[int]] = []
        for start in range(0, len(docs), part):
            found.extend(self._matching(docs[start : start + part]))
        return found

    def _matching(self, docs: Sequence[DocumentWords]) -> list[list[int]]:
        count = len(docs)
        if not count:
            return []
        terms, holders = self._words.present(docs)
        rows = np.zeros((self._rows, (count + 63) >> 6), dtype=np.uint64)
        _set_bits(rows, terms + _LEAVES, holders)
        full, rest = divmod(count, 64)
        rows[_ALL, :full] = ~np.uint64(0)
        if rest:
            rows[_ALL, full] = (_ONE << np.uint64(rest)) - _ONE
        _run(self._before, rows)
        self._decide_positions(docs, rows)
        _run(self._after, rows)
        numbers, holders = _ones(rows[self._equations])
        # A stable sort keeps each document's equations in order.
        order = np.argsort(holders.astype(np.uint16), kind="stable")
        ordered = numbers[order].tolist()
        ends = np.cumsum(np.bincount(holders, minlength=count)).tolist()
        return [ordered[start:end] for start, end in zip([0, *ends], ends)]

    def _decide_positions(self, docs: Sequence[DocumentWords], rows: Rows) -> None:
        """Set each positional term's row to the documents where its positions agree."""
        if not len(self._positional):
            return
        decided = np.zeros((len(self._positional), rows.shape[1]), dtype=np.uint64)
        numbers, holders = _ones(rows[self._candidates])
        positional = self._positional.tolist()
        for number, holder in zip(numbers.tolist(), holders.tolist()):
            if docs[holder].occurrences(self._terms[positional[number]]):
                decided[number, holder >> 6] |= _ONE << np.uint64(holder & 63)
        rows[self._positional + _LEAVES] = decided


class _TermIndex:
    """The distinct terms of many equations, numbered, and what makes each present.

    A word, a prefix or a two-word phrase is present as soon as a word (a pair of consecutive
    words) of the document is, or starts with, it. A longer phrase or a NEAR term *needs* simpler
    terms (the phrase's pairs, NEAR's two sides): positions decide where all of them are present.
    """

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.needs: dict[int, frozenset[int]] = {}
        self.by_word: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        self.by_pair: dict[tuple[str, str], list[int]] = {}
        self._ids: dict[tuple[object, ...], int] = {}

    def add(self, term: Term) -> int:
        """Return the id of ``term``, numbering and indexing it the first time it is seen."""
        number = self._ids.get(term.key)
        if number is not None:
            return number
        number = self._ids[term.key] = len(self.terms)
        self.terms.append(term)
        if term.kind == WORD:
            self.by_word.setdefault(term.words[0], []).append(number)
        elif term.kind == PREFIX:
            self.by_stem.setdefault(term.words[0], []).append(number)
        elif term.kind == PHRASE and len(term.words) == 2:
            self.by_pair.setdefault((term.words[0], term.words[1]), []).append(number)
        elif term.kind == PHRASE:
            pairs = zip(term.words, term.words[1:])
            self.needs[number] = frozenset(self.add(Term(" ".join(pair), PHRASE, pair)) for pair in pairs)
        else:
            assert term.kind == NEAR
            sides = [self.add(operand) for operand in term.operands]
            self.needs[number] = frozenset().union(*(self.needs.get(side, {side}) for side in sides))
        return number


class _WordTable:
    """Word ids, and the terms each word, or pair of consecutive words, makes present.

    The words of the terms (a word, each word of a phrase) have their ids for good; a word met in
    a document gets 0 if it matters to no term, or a fresh id if it completes a prefix.
    """

    def __init__(self, index: _TermIndex) -> None:
        self._by_stem = index.by_stem
        self._stem_lengths = sorted({len(stem) for stem in index.by_stem})
        words = {word: tuple(ids) for word, ids in index.by_word.items()}
        for pair in index.by_pair:
            for word in pair:
                words.setdefault(word, ())
        self._base = {word: ids + self._stems(word) for word, ids in words.items()}
        self._forget()
        pairs = {
            (self._ids[first] << 32) | self._ids[second]: ids
            for (first, second), ids in index.by_pair.items()
        }
        codes = sorted(pairs)
        self._pair_codes = np.array(codes, dtype=np.int64)
        self._pair_starts, self._pair_terms = _flatten([pairs[code] for code in codes])
        # Whether a word may start (end) a phrase's pair. Words learned later are in no phrase:
        # their ids, past the end, are clipped to the last entry, False.
        self._starts_pair = np.zeros(len(self._base) + 2, dtype=bool)
        self._starts_pair[[self._ids[first] for first, _ in index.by_pair]] = True
        self._ends_pair = np.zeros(len(self._base) + 2, dtype=bool)
        self._ends_pair[[self._ids[second] for _, second in index.by_pair]] = True

    def present(self, docs: Sequence[DocumentWords]) -> tuple[Ints, Ints]:
        """Return the (term, document) couples found in ``docs`` without positions, as two arrays.

        A couple may repeat (a word found twice in a document).
        """
        if len(self._ids) > REMEMBERED_WORDS:
            self._forget()
        ids: list[int] = []
        lengths: list[int] = []
        table = self._ids
        for doc in docs:
            words = doc.words
            if len(words) < 2:  # itemgetter needs two keys to return a tuple; "" is no word
                words = [*words, "", ""][:2]
            try:
                found = itemgetter(*words)(table)
            except KeyError:
                self._learn(doc.vocabulary.difference(table))
                found = itemgetter(*words)(table)
            ids.extend(found)
            lengths.append(len(words))
        if self._learned:
            self._extend()
        tokens = np.fromiter(ids, dtype=np.int32, count=len(ids))
        holders = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)
        places = np.flatnonzero(tokens)
        words_found = tokens[places]
        holders_found = holders[places]
        terms, term_holders = _expand(words_found, holders_found, self._starts, self._flat)
        if not len(self._pair_codes):
            return terms, term_holders
        # A word that may start a phrase's pair followed, in the same document, by one that may
        # end one: look the pair up.
        next_to = np.flatnonzero(
            self._starts_pair.take(words_found[:-1], mode="clip")
            & self._ends_pair.take(words_found[1:], mode="clip")
            & (places[1:] == places[:-1] + 1)
            & (holders_found[1:] == holders_found[:-1])
        )
        codes = (words_found[next_to].astype(np.int64) << 32) | words_found[next_to + 1]
        where = np.minimum(np.searchsorted(self._pair_codes, codes), len(self._pair_codes) - 1)
        hits = self._pair_codes[where] == codes
        pair_terms, pair_holders = _expand(
            where[hits], holders_found[next_to[hits]], self._pair_starts, self._pair_terms
        )
        return np.concatenate([terms, pair_terms]), np.concatenate([term_holders, pair_holders])

    def _learn(self, words: Iterable[str]) -> None:
        """Give each new word its id: a fresh one if it completes a prefix, else 0."""
        for word in words:
            stems = self._stems(word)
            if stems:
                self._ids[word] = self._known + len(self._learned)
                self._learned.append(stems)
            else:
                self._ids[word] = 0

    def _stems(self, word: str) -> tuple[int, ...]:
        """The ids of the prefix terms ``word`` completes."""
        by_stem = self._by_stem
        return tuple(
            term
            for length in self._stem_lengths
            if length <= len(word)
            for term in by_stem.get(word[:length], ())
        )

    def _forget(self) -> None:
        """Keep only the words of the terms (the table starts over)."""
        self._ids = {"": 0} | {word: number for number, word in enumerate(self._base, start=1)}
        self._starts, self._flat = _flatten([(), *self._base.values()])
        self._known = len(self._base) + 1
        self._learned: list[tuple[int, ...]] = []

    def _extend(self) -> None:
        """Append the terms of the words learned since the last batch to the arrays."""
        starts, values = _flatten(self._learned)
        self._starts = np.concatenate([self._starts, starts[1:] + self._starts[-1]])
        self._flat = np.concatenate([self._flat, values])
        self._known += len(self._learned)
        self._learned = []


class _Circuit:
    """Two-input gates over rows of bits, each distinct gate made once and shared."""

    def __init__(self, leaves: int) -> None:
        self.rows = leaves
        self._gates: dict[tuple[int, int, int], int] = {}
        self._depths = [0] * leaves
        self._new: list[tuple[int, int, int, int]] = []  # (row, operation, first, second)

    def build(self, expression: boolean.Expression, leaf: Callable[[int], int]) -> int:
        """Add the gates of ``expression`` (``leaf`` gives a symbol's row); return its row."""
        if expression is ALGEBRA.TRUE:
            return _ALL
        if expression is ALGEBRA.FALSE:
            return _NONE
        if isinstance(expression, ALGEBRA.Symbol):
            return leaf(expression.obj)
        if isinstance(expression, ALGEBRA.NOT):
            return self._gate(_AND_NOT, _ALL, self.build(expression.args[0], leaf))
        if isinstance(expression, ALGEBRA.OR):
            return self.fold(_OR, [self.build(argument, leaf) for argument in expression.args])
        kept: list[int] = []
        excluded: list[int] = []
        for argument in expression.args:
            if isinstance(argument, ALGEBRA.NOT):
                excluded.append(self.build(argument.args[0], leaf))
            else:
                kept.append(self.build(argument, leaf))
        if not excluded:
            return self.fold(_AND, kept)
        return self._gate(_AND_NOT, self.fold(_AND, kept), self.fold(_OR, excluded))

    def fold(self, operation: int, rows: list[int]) -> int:
        """Combine ``rows`` with ``operation`` in a balanced tree: fewer depths than a chain."""
        if not rows:
            return _ALL
        while len(rows) > 1:
            paired = [self._gate(operation, rows[i], rows[i + 1]) for i in range(0, len(rows) - 1, 2)]
            rows = paired + rows[len(rows) - len(rows) % 2 :]
        return rows[0]

    def plan(self) -> list[Step]:
        """Return the gates added since the last plan as numpy steps, shallowest first."""
        steps: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for row, operation, first, second in self._new:
            steps.setdefault((self._depths[row], operation), []).append((row, first, second))
        self._new = []
        return [
            (operation, *(np.array(column, dtype=np.int64) for column in zip(*gates)))
            for (_, operation), gates in sorted(steps.items())
        ]

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


def _run(steps: list[Step], rows: Rows) -> None:
    """Compute the gates of ``steps`` in ``rows``, a depth and an operation at a time."""
    for operation, out, first, second in steps:
        left = rows[first]
        right = rows[second]
        if operation == _AND:
            np.bitwise_and(left, right, out=left)
        elif operation == _OR:
            np.bitwise_or(left, right, out=left)
        else:
            np.bitwise_and(left, np.invert(right, out=right), out=left)
        rows[out] = left


def _set_bits(rows: Rows, numbers: Ints, holders: Ints) -> None:
    """Set bit ``holders[i]`` of row ``numbers[i]``, for every i (couples may repeat)."""
    if not len(numbers):
        return
    bits = numbers.astype(np.int64) * (rows.shape[1] * 64) + holders
    bits.sort()
    distinct = np.empty(len(bits), dtype=bool)
    distinct[0] = True
    np.not_equal(bits[1:], bits[:-1], out=distinct[1:])
    bits = bits[distinct]
    words = bits >> 6
    values = np.left_shift(_ONE, (bits & 63).astype(np.uint64))
    starts = np.flatnonzero(np.concatenate(([True], words[1:] != words[:-1])))
    rows.reshape(-1)[words[starts]] = np.bitwise_or.reduceat(values, starts)


def _ones(rows: Rows) -> tuple[Ints, Ints]:
    """Return the (row, bit) of every set bit of ``rows``, row by row, bits in order."""
    # Few bits are set: find the non-zero words, then their non-zero octets, then the bits.
    row, word = np.nonzero(rows)
    octets = rows[row, word].view(np.uint8).reshape(-1, 8)  # little-endian: bit i in octet i // 8
    which, octet = np.nonzero(octets)
    bits = np.unpackbits(octets[which, octet][:, None], axis=1, bitorder="little")
    each, bit = np.nonzero(bits)
    which = which[each]
    return row[which], word[which] * 64 + octet[each] * 8 + bit


def _flatten(lists: Sequence[Sequence[int]]) -> tuple[Ints, Ints]:
    """Return lists of ints as (starts, values): list i is ``values[starts[i]:starts[i + 1]]``."""
    starts = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, lists), dtype=np.int32, count=len(lists)), out=starts[1:])
    values = np.fromiter((value for each in lists for value in each), dtype=np.int32, count=int(starts[-1]))
    return starts, values


def _expand(keys: Ints, holders: Ints, starts: Ints, values: Ints) -> tuple[Ints, Ints]:
    """Return every value of each key's list, each with the holder of its key."""
    counts = starts[keys + 1] - starts[keys]
    if counts.max(initial=0) <= 1:  # the usual case: a word is in one term, or in none
        some = counts.astype(bool)
        return values[starts[keys[some]]], holders[some]
    ends = np.cumsum(counts)
    offsets = np.arange(int(ends[-1])) - np.repeat(ends - counts, counts)
    return values[np.repeat(starts[keys], counts) + offsets], np.repeat(holders, counts)
