"""Many equations decided over many documents at once: bitsets over the batch and a boolean circuit.

Matching one document at a time costs, for each document, Python work per word and per candidate
equation. Over a batch of documents the work is shared:

1. every word of every document becomes a word id, all of a document's words looked up in one
   C call (``operator.itemgetter``); ids number the words some term needs (0 for all others, a
   fresh id for a new word that completes a prefix), so the batch becomes one array of integers.
   A word the table does not know yet is inserted by the lookup itself, with a placeholder (a
   ``defaultdict`` whose factory hands out -1, -2...: a dict subclass written in Python would
   make every lookup a third slower); after the batch's lookups, the new words are the table's
   newest keys, each learned once, and numpy replaces the placeholders of all their occurrences;
2. numpy finds in that array the terms each word makes present and the two-word phrases (pairs
   of consecutive ids), and sets one bit per (term, document): each term becomes a row of 64-bit
   words, a bitset over the batch's documents;
3. every equation was compiled once into a boolean circuit of two-input gates (AND, OR,
   AND NOT), shared between equations and grouped by depth: a batch is decided by a few numpy
   operations per depth, each over thousands of gates, whatever the number of documents;
4. the set bits of the equations' rows are read back as, per document, the numbers of the
   equations it satisfies.

A two-word phrase is present where its words are consecutive in :attr:`DocumentWords.words`,
which is what :attr:`DocumentWords.pairs` says too. Phrases of three words or more and NEAR
terms need positions: the circuit first finds the (document, term) couples where every pair or
side they need is present, each of those alone is decided by :meth:`DocumentWords.occurrences`,
and only then are the equations evaluated.

Word ids are remembered from batch to batch in a table of at most :data:`REMEMBERED_WORDS`
words, forgotten all at once when full.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from itertools import compress, count, islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from watch.query.circuit import FIRST_LEAF, Circuit, empty_rows, ones, put_rows, set_bits
from watch.query.terms import NEAR, PHRASE, PREFIX, WORD, Term

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from watch.query.compiler import Query
    from watch.query.document import DocumentWords

    Ints = NDArray[np.int64]
    Rows = NDArray[np.uint64]

#: Distinct words whose ids are remembered between batches before the table is reset.
REMEMBERED_WORDS = 200_000
#: Bytes the circuit's rows may take for one part of a batch (larger batches are cut in parts).
ROWS_BUDGET = 16_000_000
# Documents of one part are numbered in 16 bits (sorted by a radix sort).
_LARGEST_PART = 1 << 13

_ID = np.dtype("<i4")  # a word id, as the word table holds it
_IRRELEVANT = bytes(_ID.itemsize)  # the id of the words that matter to no term
# The placeholder of the batch's n-th new word (n = -1, -2...), inserted by the lookup itself.
_PLACEHOLDER = struct.Struct("<i").pack  # _ID's bytes (a partial of int.to_bytes is twice as slow)
_SEVERAL = -2  # in _WordTable._first: the word is in several terms
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
        # The circuit itself is only needed while building: its plans and rows are kept.
        circuit = Circuit(leaves=len(index.terms))
        # Positional terms are decided first, from the terms found without positions only.
        positional = sorted(index.needs)
        self._positional = np.array(positional, dtype=np.int64)
        needs = [[circuit.leaf(need) for need in sorted(index.needs[term])] for term in positional]
        self._candidates = np.array([circuit.all_of(rows) for rows in needs], dtype=np.int64)
        self._before = circuit.plan()
        self._equations = np.array(
            [
                circuit.build(query.expression, lambda symbol, ids=ids: circuit.leaf(ids[symbol]))
                for query, ids in zip(queries, symbols)
            ],
            dtype=np.int64,
        )
        self._after = circuit.plan()
        self._rows = circuit.rows

    def matching(self, docs: Sequence[DocumentWords], labels: NDArray[Any] | None = None) -> list[list[Any]]:
        """Return, for each of ``docs``, the equations it satisfies, in order: their numbers, or
        their ``labels`` (``labels[number]``, read for all documents at once)."""
        # A part's rows fit the budget: 64 documents a 64-bit word, one word a row.
        part = min(_LARGEST_PART, max(64, ROWS_BUDGET // (self._rows * 8) * 64))
        found: list[list[Any]] = []
        for start in range(0, len(docs), part):
            found.extend(self._matching(docs[start : start + part], labels))
        return found

    def _matching(self, docs: Sequence[DocumentWords], labels: NDArray[Any] | None) -> list[list[Any]]:
        count = len(docs)
        if not count:
            return []
        rows = empty_rows(self._rows, count)
        terms, holders = self._words.present(docs)
        set_bits(rows, terms + FIRST_LEAF, holders)
        self._before.run(rows)
        self._decide_positions(docs, rows)
        self._after.run(rows)
        numbers, holders = ones(rows.take(self._equations, axis=0))
        # A stable sort keeps each document's equations in order.
        order = np.argsort(holders.astype(np.uint16), kind="stable")
        found = numbers[order]
        ordered = (found if labels is None else labels[found]).tolist()
        ends = np.cumsum(np.bincount(holders, minlength=count)).tolist()
        return [ordered[start:end] for start, end in zip([0, *ends], ends)]

    def _decide_positions(self, docs: Sequence[DocumentWords], rows: Rows) -> None:
        """Set each positional term's row to the documents where its positions agree."""
        if not len(self._positional):
            return
        decided = np.zeros((len(self._positional), rows.shape[1]), dtype=np.uint64)
        numbers, holders = ones(rows.take(self._candidates, axis=0))
        positional = self._positional.tolist()
        for number, holder in zip(numbers.tolist(), holders.tolist()):
            if docs[holder].occurrences(self._terms[positional[number]]):
                decided[number, holder >> 6] |= _ONE << np.uint64(holder & 63)
        put_rows(rows, self._positional + FIRST_LEAF, decided)


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
    a document gets 0 if it matters to no term, or a fresh id if it completes a prefix. The table
    holds each id as 4 little-endian bytes: a document's ids are joined in C, and the batch's read
    by numpy without a conversion per word.
    """

    def __init__(self, index: _TermIndex) -> None:
        # The stems by length, each with what cuts a word to that length: prefixes are found
        # one length at a time over many words, in C.
        by_length: dict[int, dict[str, tuple[int, ...]]] = {}
        for stem, ids in index.by_stem.items():
            by_length.setdefault(len(stem), {})[stem] = tuple(ids)
        self._stems = [(itemgetter(slice(length)), stems) for length, stems in sorted(by_length.items())]
        words = {word: tuple(ids) for word, ids in index.by_word.items()}
        for pair in index.by_pair:
            for word in pair:
                words.setdefault(word, ())
        stems = self._stems_of(list(words))
        self._base = {word: ids + more for (word, ids), more in zip(words.items(), stems)}
        number = {word: number for number, word in enumerate(self._base, start=1)}
        self._pairs = _PairTable(
            {(number[first] << 32) | number[second]: ids for (first, second), ids in index.by_pair.items()}
        )
        # Whether a word may start (end) a phrase's pair. Words learned later are in no phrase:
        # their ids, past the end, are clipped to the last entry, False.
        self._starts_pair = np.zeros(len(self._base) + 2, dtype=bool)
        self._starts_pair[[number[first] for first, _ in index.by_pair]] = True
        self._ends_pair = np.zeros(len(self._base) + 2, dtype=bool)
        self._ends_pair[[number[second] for _, second in index.by_pair]] = True
        self._forget()

    def present(self, docs: Sequence[DocumentWords]) -> tuple[Ints, Ints]:
        """Return the (term, document) couples found in ``docs`` without positions, as two arrays.

        A couple may repeat (a word found twice in a document).
        """
        if len(self._ids) > REMEMBERED_WORDS:
            self._forget()
        table = self._ids
        known = len(table)
        # A word not in the table is inserted with a placeholder: -1 for the batch's first new
        # word, -2 for the second... (~id is its place among the table's newest keys).
        table.default_factory = map(_PLACEHOLDER, count(-1, -1)).__next__
        lengths: list[int] = []
        ids: list[bytes] = []
        for doc in docs:
            words = doc.words
            split = doc.title_words
            if 0 < split < len(words):
                # "" (no word) between the title and the text: no pair, so no phrase, spans them.
                words = [*words[:split], "", *words[split:]]
            if len(words) < 2:  # itemgetter needs two keys to return a tuple; "" is no word
                words = [*words, "", ""][:2]
            lengths.append(len(words))
            ids.append(b"".join(itemgetter(*words)(table)))
        tokens = np.frombuffer(b"".join(ids), dtype=_ID)
        if len(table) > known:
            learned = self._learn([*islice(reversed(table), len(table) - known)][::-1])
            tokens = tokens.copy()
            # Indices taken from flatnonzero, here and below: a boolean mask indexes several
            # times slower.
            new = np.flatnonzero(tokens < 0)
            tokens[new] = learned.take(~tokens.take(new))
        places = np.flatnonzero(tokens != 0)
        words_found = tokens.take(places)
        holders_found = np.repeat(np.arange(len(lengths)), lengths).take(places)
        first = self._first.take(words_found)
        one = np.flatnonzero(first >= 0)
        terms = [first.take(one)]
        term_holders = [holders_found.take(one)]
        several = np.flatnonzero(first == _SEVERAL)
        if len(several):
            _expand(words_found.take(several), holders_found.take(several), self._starts, self._flat, terms, term_holders)
        # A word that may start a phrase's pair followed, in the same document, by one that may
        # end one: look the pair up.
        next_to = np.flatnonzero(
            self._starts_pair.take(words_found[:-1], mode="clip")
            & self._ends_pair.take(words_found[1:], mode="clip")
            & (places[1:] == places[:-1] + 1)
            & (holders_found[1:] == holders_found[:-1])
        )
        pairs = self._pairs.find((words_found[next_to].astype(np.int64) << 32) | words_found[next_to + 1])
        hits = pairs >= 0
        starts, values = self._pairs.terms
        _expand(pairs[hits], holders_found[next_to[hits]], starts, values, terms, term_holders)
        return np.concatenate(terms), np.concatenate(term_holders)

    def _learn(self, new: list[str]) -> Ints:
        """Give the words met for the first time in a batch, ``new`` (in the order they were
        met, each in the table with its placeholder), their ids, and return those ids.

        A new word gets a fresh id if it completes a prefix, else 0 (irrelevant).
        """
        learned = [_IRRELEVANT] * len(new)
        stems = self._stems_of(new)
        for place in compress(range(len(new)), stems):
            learned[place] = (self._known + len(self._learned)).to_bytes(_ID.itemsize, "little")
            self._learned.append(stems[place])
        self._ids.update(zip(new, learned))
        if self._learned:
            self._extend()
        return np.frombuffer(b"".join(learned), dtype=_ID)

    def _stems_of(self, words: list[str]) -> list[tuple[int, ...]]:
        """The ids of the prefix terms each of ``words`` completes."""
        found: list[tuple[int, ...]] = [()] * len(words)
        for cut, stems in self._stems:
            # A word shorter than the stems is cut to itself, shorter than every one of them.
            heads = list(map(cut, words))
            for place in compress(range(len(words)), map(stems.__contains__, heads)):
                found[place] += stems[heads[place]]
        return found

    def _forget(self) -> None:
        """Keep only the words of the terms (the table starts over)."""
        # A word not in the table is looked up as a placeholder, and learned after the batch's
        # lookups (see present).
        self._ids: defaultdict[str, bytes] = defaultdict(None, {"": _IRRELEVANT})
        self._ids.update((word, number.to_bytes(_ID.itemsize, "little")) for number, word in enumerate(self._base, start=1))
        self._known = 0
        self._starts = np.zeros(1, dtype=np.int32)
        self._flat = self._first = np.zeros(0, dtype=np.int32)
        self._learned: list[tuple[int, ...]] = [(), *self._base.values()]
        self._extend()

    def _extend(self) -> None:
        """Append the terms of the words learned since the last batch to the arrays."""
        starts, values = _flatten(self._learned)
        self._starts = np.concatenate([self._starts, starts[1:] + self._starts[-1]])
        self._flat = np.concatenate([self._flat, values])
        first = [ids[0] if len(ids) == 1 else _SEVERAL if ids else -1 for ids in self._learned]
        self._first = np.concatenate([self._first, np.array(first, dtype=np.int32)])
        self._known += len(self._learned)
        self._learned = []


class _PairTable:
    """Pairs of word ids (``first << 32 | second``) and the terms each makes present.

    An open-addressing hash table, probed for many pairs at once by numpy: a few vectorised
    rounds, where a sorted array's binary search costs a branchy search per pair.
    """

    def __init__(self, pairs: dict[int, tuple[int, ...]]) -> None:
        codes = list(pairs)
        self.terms = _flatten([pairs[code] for code in codes])
        self._bits = max(4, (2 * len(codes)).bit_length())  # at most half full
        self._codes = np.full(1 << self._bits, -1, dtype=np.int64)
        self._entries = np.full(1 << self._bits, -1, dtype=np.int64)
        mask = (1 << self._bits) - 1
        self._rounds = 1
        slots = self._slots(np.array(codes, dtype=np.int64)).tolist()
        for entry, (code, slot) in enumerate(zip(codes, slots)):
            rounds = 1
            while self._codes[slot] != -1:
                slot = (slot + 1) & mask
                rounds += 1
            self._codes[slot] = code
            self._entries[slot] = entry
            self._rounds = max(self._rounds, rounds)

    def find(self, codes: Ints) -> Ints:
        """Return the entry of each pair in :attr:`terms`, or -1 for a pair of no phrase."""
        found = np.full(len(codes), -1, dtype=np.int64)
        pending = np.arange(len(codes))
        slots = self._slots(codes)
        mask = (1 << self._bits) - 1
        for _ in range(self._rounds):
            held = self._codes[slots]
            hit = held == codes[pending]
            found[pending[hit]] = self._entries[slots[hit]]
            go_on = ~hit & (held != -1)
            pending = pending[go_on]
            slots = (slots[go_on] + 1) & mask
        return found

    def _slots(self, codes: Ints) -> Ints:
        # Fibonacci hashing: the top bits of the product by 2**64 / golden ratio.
        product = codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return (product >> np.uint64(64 - self._bits)).astype(np.int64)


def _flatten(lists: Sequence[Sequence[int]]) -> tuple[Ints, Ints]:
    """Return lists of ints as (starts, values): list i is ``values[starts[i]:starts[i + 1]]``."""
    starts = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, lists), dtype=np.int32, count=len(lists)), out=starts[1:])
    values = np.fromiter((value for each in lists for value in each), dtype=np.int32, count=int(starts[-1]))
    return starts, values


def _expand(
    keys: Ints, holders: Ints, starts: Ints, values: Ints, into: list[Ints], into_holders: list[Ints]
) -> None:
    """Append every value of each key's list to ``into``, and the key's holder to ``into_holders``."""
    counts = starts[keys + 1] - starts[keys]
    ends = np.cumsum(counts)
    offsets = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)
    into.append(values[np.repeat(starts[keys], counts) + offsets])
    into_holders.append(np.repeat(holders, counts))
