"""A page's words, read once: for its equations, snippets, near misses and fingerprints."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import chain

from watch import normalize
from watch.fingerprints import fingerprint_of, simhash
from watch.normalize import Spans, words
from watch.query.terms import NEAR, PHRASE, PREFIX, Term

Occurrences = list[tuple[int, int]]


class DocumentWords:
    """The normalised words of one document, indexed lazily for any number of equations.

    A page is its title then its text, read once (:meth:`from_page`): the same words give its
    content fingerprint, its simhash, the equations' matches and its near misses. A phrase or a
    ``NEAR`` never runs from the title into the text: they are two pieces of writing.

    Each index is built on first need and kept: a word's presence is a set lookup; positions,
    the sorted vocabulary (for prefixes) and each term's occurrences are computed once per
    document, however many equations ask. Where each word stands in the text (:attr:`spans`,
    for snippets) is only worked out when asked.

    >>> doc = DocumentWords.from_text("Digital Box\\nLa digital\\u00a0box")
    >>> doc.occurrences(Term('"digital box"', PHRASE, ("digital", "box")))
    [(0, 2), (3, 5)]
    >>> page = DocumentWords.from_page("Digital", "Box office")
    >>> page.occurrences(Term('"digital box"', PHRASE, ("digital", "box")))
    []
    """

    __slots__ = (
        "text", "words", "title_words", "_spans", "_vocabulary", "_pairs", "_positions",
        "_sorted", "_found", "_fingerprint", "_simhash",
    )  # fmt: skip

    def __init__(self, text: str, words: list[str], title_words: int = 0) -> None:
        """``words`` are the words of ``text`` (:func:`watch.normalize.words`), of which the
        first ``title_words`` are the title's."""
        self.text = text
        self.words = words
        self.title_words = title_words
        self._spans: Spans | None = None
        self._vocabulary: frozenset[str] | None = None
        self._pairs: frozenset[tuple[str, str]] | None = None
        self._positions: dict[str, list[int]] = {}
        self._sorted: list[str] | None = None
        self._found: dict[tuple[object, ...], Occurrences] = {}
        self._fingerprint: str | None = None
        self._simhash: int | None = None

    @classmethod
    def from_text(cls, text: str) -> DocumentWords:
        """Prepare ``text``, one piece of writing without a title, for matching."""
        return cls(text, words(text))

    @classmethod
    def from_page(cls, title: str, text: str) -> DocumentWords:
        """Prepare a page for matching: its ``title``, a line break, then its visible ``text``.

        >>> page = DocumentWords.from_page("Élection", "Le quorum est atteint.")
        >>> page.words, page.title_words, page.body_words
        (['election', 'le', 'quorum', 'est', 'atteint'], 1, ['le', 'quorum', 'est', 'atteint'])
        """
        title_words = words(title)
        return cls(f"{title}\n{text}", title_words + words(text), len(title_words))

    @property
    def body_words(self) -> list[str]:
        """The words of the text, without the title's."""
        return self.words[self.title_words :]

    @property
    def spans(self) -> Spans:
        """Where each word stands in :attr:`text` (for snippets and near misses), worked out on
        first use.

        >>> DocumentWords.from_page("Élection", "Le ﬁnal").spans
        Spans(starts=[0, 9, 12], ends=[8, 11, 16])
        """
        if self._spans is None:
            self._spans = normalize.spans(self.text)
        return self._spans

    @property
    def vocabulary(self) -> frozenset[str]:
        """The distinct words."""
        if self._vocabulary is None:
            self._vocabulary = frozenset(self.words)
        return self._vocabulary

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        """The distinct pairs of consecutive words: a two-word phrase occurs iff it is one.

        The last word of the title and the first of the text are not a pair.

        >>> sorted(DocumentWords.from_text("Digital Box, digital").pairs)
        [('box', 'digital'), ('digital', 'box')]
        >>> sorted(DocumentWords.from_page("Digital", "Box").pairs)
        []
        """
        if self._pairs is None:
            words, split = self.words, self.title_words
            title, body = words[:split], words[split:]
            self._pairs = frozenset(chain(zip(title, title[1:]), zip(body, body[1:])))
        return self._pairs

    @property
    def fingerprint(self) -> str:
        """The content fingerprint: of the text's words, or the title's when the text has none
        (:func:`watch.fingerprints.content_fingerprint`)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint_of(self.body_words or self.words)
        return self._fingerprint

    @property
    def simhash(self) -> int:
        """The simhash of the text's words (:func:`watch.fingerprints.simhash`), 0 without any."""
        if self._simhash is None:
            self._simhash = simhash(self.body_words)
        return self._simhash

    def release(self) -> None:
        """Keep the fingerprint and the simhash (computed now if need be), drop everything else.

        Deduplication holds documents until the crawl ends and only compares those two: the
        words, the text and the indexes need not wait with them. A released document has no
        words left.
        """
        _ = self.fingerprint, self.simhash  # cached in their slots, which stay
        self.text, self.words, self.title_words = "", [], 0
        self._spans = self._vocabulary = self._pairs = self._sorted = None
        self._positions, self._found = {}, {}

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
        split = doc.title_words
        return [
            (i, i + width)
            for i in doc.positions(words[0])
            if doc.words[i : i + width] == words and not i < split < i + width
        ]
    if term.kind == NEAR:
        left, right = (doc.occurrences(operand) for operand in term.operands)
        return _near(left, right, term, doc.title_words)
    return [(i, i + 1) for i in doc.positions(term.words[0])]


def _near(left: Occurrences, right: Occurrences, term: Term, split: int) -> Occurrences:
    """Pair each occurrence of one side with those of the other at most ``distance`` words away.

    The two must not overlap (``elect* NEAR/3 election`` needs two words), nor stand one in the
    title and one in the text (``split`` is where the text's words start); the range of a pair
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
            if between <= gap and (start < split) == (other_start < split):
                pairs.add((min(start, other_start), max(end, other_end)))
    return sorted(pairs)
