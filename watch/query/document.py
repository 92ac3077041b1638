"""A document prepared once for matching, and where each kind of term occurs in it."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from watch.normalize import Token, tokenize
from watch.query.terms import NEAR, PHRASE, PREFIX, Term

Occurrences = list[tuple[int, int]]


class DocumentWords:
    """The normalised words of one document, indexed lazily for any number of equations.

    Each index is built on first need and kept: a word's presence is a set lookup; positions,
    the sorted vocabulary (for prefixes) and each term's occurrences are computed once per
    document, however many equations ask.

    >>> doc = DocumentWords.from_text("Digital Box\\nLa digital\\u00a0box")
    >>> doc.occurrences(Term('"digital box"', PHRASE, ("digital", "box")))
    [(0, 2), (3, 5)]
    """

    __slots__ = ("text", "tokens", "words", "vocabulary", "_pairs", "_positions", "_sorted", "_found")

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.words = [token.word for token in tokens]
        self.vocabulary = frozenset(self.words)
        self._pairs: frozenset[tuple[str, str]] | None = None
        self._positions: dict[str, list[int]] = {}
        self._sorted: list[str] | None = None
        self._found: dict[tuple[object, ...], Occurrences] = {}

    @classmethod
    def from_text(cls, text: str) -> DocumentWords:
        """Prepare ``text`` (title, a line break, then the visible text) for matching."""
        return cls(text, tokenize(text))

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        """The distinct pairs of consecutive words: a two-word phrase occurs iff it is one.

        >>> sorted(DocumentWords.from_text("Digital Box, digital").pairs)
        [('box', 'digital'), ('digital', 'box')]
        """
        if self._pairs is None:
            words = self.words
            self._pairs = frozenset(zip(words, words[1:]))
        return self._pairs

    def positions(self, word: str) -> list[int]:
        """Return the token indices of ``word``, in order."""
        found = self._positions.get(word)
        if found is None:
            found = self._positions[word] = []
            if word in self.vocabulary:
                # list.index scans in C: far cheaper than indexing every word of the document
                # when only the few words of the candidate equations are ever looked up.
                index = self.words.index
                position = -1
                try:
                    while True:
                        position = index(word, position + 1)
                        found.append(position)
                except ValueError:
                    pass
        return found

    def completions(self, stem: str) -> list[str]:
        """Return the distinct words of the document that start with ``stem``."""
        if self._sorted is None:
            self._sorted = sorted(self.vocabulary)
        start = bisect_left(self._sorted, stem)
        end = bisect_left(self._sorted, stem + "\U0010ffff", start)
        return self._sorted[start:end]

    def occurrences(self, term: Term) -> Occurrences:
        """Return the token ranges ``[start, end)`` where ``term`` occurs, in order."""
        key = term.key
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = _find(self, term)
        return found


def _find(doc: DocumentWords, term: Term) -> Occurrences:
    if term.kind == PREFIX:
        starts = sorted(i for word in doc.completions(term.words[0]) for i in doc.positions(word))
        return [(i, i + 1) for i in starts]
    if term.kind == PHRASE:
        if not doc.vocabulary.issuperset(term.words):
            return []
        width = len(term.words)
        words = list(term.words)
        return [
            (i, i + width) for i in doc.positions(words[0]) if doc.words[i : i + width] == words
        ]
    if term.kind == NEAR:
        return _near(doc.occurrences(term.operands[0]), doc.occurrences(term.operands[1]), term)
    return [(i, i + 1) for i in doc.positions(term.words[0])]


def _near(left: Occurrences, right: Occurrences, term: Term) -> Occurrences:
    """Pair each occurrence of one side with those of the other at most ``distance`` words away.

    The two must not overlap (``elect* NEAR/3 election`` needs two words); the range of a pair
    covers both.
    """
    if not left or not right:
        return []
    gap = term.distance
    right_starts = [start for start, _ in right]
    widest = max(end - start for start, end in right)
    pairs: set[tuple[int, int]] = set()
    for start, end in left:
        # Only right occurrences starting in this window can lie within ``gap`` words.
        low = bisect_left(right_starts, start - gap - widest)
        high = bisect_right(right_starts, end + gap)
        for other_start, other_end in right[low:high]:
            if other_start >= end:
                between = other_start - end
            elif other_end <= start:
                between = start - other_end
            else:
                continue
            if between <= gap:
                pairs.add((min(start, other_start), max(end, other_end)))
    return sorted(pairs)
