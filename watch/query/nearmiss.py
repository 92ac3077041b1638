"""Near misses: what the crawled text wrote that nearly matches a term, so no result explains itself.

An analyst who searched ``Nationbuilder`` and got nothing wants to hear that three pages wrote
``Nation Builder``; one who searched ``"Digital Box"`` wants to see ``DigitaleBox``. For each term,
:class:`NearMissCollector` keeps the runs of words of each document that are not the term itself
but

- spell it word for word with a few edits in all (``quorums``, ``Blue State Digitale``): see
  :func:`allowed_edits`;
- or spell its letters split or joined differently (``Nation Builder`` for ``Nationbuilder``,
  ``bluestate digital``), one word fewer to one word more than the term has;
- or, as one word, spell the letters of a phrase with a few edits (``DigitaleBox``).

A prefix term ``elect*`` has near misses among the words that start with its first letter and
whose beginning is a few edits from the stem (``elektro``). A ``NEAR`` term is checked through
its two sides, each reported under its own text. Terms too short for even one edit are left out.

Distances are optimal string alignment (Levenshtein plus adjacent transpositions: ``Quroum`` is
one edit from ``Quorum``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING, NamedTuple

from watch.query.terms import NEAR, PREFIX, Term

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from watch.query import DocumentWords

#: Words longer than this are not compared with prefix terms (tokens of base64, hashes, ...).
_LONGEST_WORD = 40

# A word's near-miss verdict: (target index, position of the term word it is near, or _WHOLE
# when it spells the whole term alone; edits).
_WHOLE = -1
_Verdict = tuple[tuple[int, int, int], ...]


def allowed_edits(length: int) -> int:
    """Return how many edits a form may be from a term of ``length`` letters and still be near.

    Short terms get fewer: at two edits, ``forum`` and ``worum`` would be near ``Quorum``.

    >>> [allowed_edits(n) for n in (3, 4, 7, 8, 13)]
    [0, 1, 1, 2, 2]
    """
    if length < 4:
        return 0
    return 1 if length < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Return the optimal string alignment distance of ``a`` and ``b``, or ``limit + 1`` if larger.

    Insertions, deletions, substitutions and transpositions of adjacent letters each cost one.
    The computation stops as soon as the distance is known to exceed ``limit``.

    >>> edit_distance("quroum", "quorum", 2), edit_distance("digitalebox", "digitalbox", 2)
    (1, 1)
    >>> edit_distance("quorumville", "quorum", 2)
    3
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = previous[j - 1] + (char_a != char_b)
            cost = min(cost, previous[j] + 1, current[j - 1] + 1)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        # A transposition reaches back one row more, so both rows must be out of reach.
        if min(current) > limit and min(previous) >= limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


@lru_cache(maxsize=1 << 16)
def _letters(word: str) -> int:
    """A bit set of the letters of ``word`` (folded into 64 bits: a filter, never a verdict)."""
    mask = 0
    for char in word:
        mask |= 1 << (ord(char) & 63)
    return mask


@dataclass(frozen=True)
class _Target:
    """A term as the collector compares it: its words, run together, and its edit budget."""

    text: str
    words: tuple[str, ...]
    joined: str
    edits: int
    prefix: bool

    @classmethod
    def of(cls, term: Term) -> _Target:
        joined = "".join(term.words)
        prefix = term.kind == PREFIX
        # A stem has one letter of slack less: the words it starts go on after it.
        edits = allowed_edits(len(joined) - 1 if prefix else len(joined))
        return cls(term.text, term.words, joined, edits, prefix)

    def budget(self, position: int) -> int:
        """Edits allowed at ``position``: a word of a phrase gets at most what a word of its own
        length would, though a short one still gets one (``Digital Bix``).

        >>> phrase = _Target.of(Term('"digital box"', "phrase", ("digital", "box")))
        >>> phrase.budget(_WHOLE), phrase.budget(0), phrase.budget(1)
        (2, 1, 1)
        """
        if position == _WHOLE:
            return self.edits
        return min(self.edits, allowed_edits(max(4, len(self.words[position]))))

    def references(self) -> Iterator[tuple[int, range]]:
        """What a single word is compared with (a word position, or _WHOLE) and at which lengths."""
        if self.prefix:
            yield _WHOLE, range(len(self.joined) - self.edits, _LONGEST_WORD + 1)
            return
        for position, word in enumerate(self.words):
            edits = self.budget(position)
            yield position, range(len(word) - edits, len(word) + edits + 1)
        if len(self.words) > 1:
            yield _WHOLE, range(len(self.joined) - self.edits, len(self.joined) + self.edits + 1)

    def distance(self, word: str, position: int, edits: int) -> int:
        """Edits from ``word`` to the term's word at ``position`` (or to the whole term).

        Returns ``edits + 1`` when ``word`` is farther, or starts with the stem of a prefix term.
        """
        if self.prefix:
            stem = self.joined
            if word.startswith(stem) or word[0] != stem[0]:
                return edits + 1
            return min(
                edit_distance(word[:length], stem, edits)
                for length in range(len(stem) - edits, len(stem) + edits + 1)
            )
        reference = self.joined if position == _WHOLE else self.words[position]
        # Each letter only one side has costs at least one edit: a cheap, exact pre-filter.
        letters, wanted = _letters(word), _letters(reference)
        if (letters & ~wanted).bit_count() > edits or (wanted & ~letters).bit_count() > edits:
            return edits + 1
        return edit_distance(word, reference, edits)


class Sighting(NamedTuple):
    """A near miss seen in one document: the term (as written), the form's normalised words, and
    the form as the document writes it."""

    term: str
    run: tuple[str, ...]
    shown: str


@dataclass
class _Form:
    """One near-miss form of a term: how it was first written, where, and in how many documents."""

    shown: str
    seen: int  #: order of first sighting, for stable ties
    count: int = 0
    examples: list[str] = field(default_factory=list)


class NearMissCollector:
    """Collect, over a crawl, the forms that nearly match each term, with counts and example URLs.

    Memory stays bounded whatever the crawl: each distinct word is judged once and its verdict
    remembered for up to ``cache_size`` words (then all are forgotten at once, and judged again
    as they come back), and each term keeps at most twice
    ``max_forms_per_term`` forms (the least frequent are pruned, so a form first seen after a
    pruning may be under-counted). Counts are documents, not occurrences.

    >>> from watch.query import DocumentWords, compile_query
    >>> collector = NearMissCollector(compile_query("Nationbuilder").terms)
    >>> collector.add(DocumentWords.from_text("Built with Nation Builder."), "http://a.test/1")
    >>> collector.add(DocumentWords.from_text("nationbuilder, NationBuildr"), "http://b.test/")
    >>> collector.report()
    {'Nationbuilder': [{'form': 'Nation Builder', 'count': 1, 'examples': ['http://a.test/1']}, \
{'form': 'NationBuildr', 'count': 1, 'examples': ['http://b.test/']}]}
    """

    def __init__(
        self,
        terms: Sequence[Term],
        *,
        max_forms_per_term: int = 50,
        max_examples: int = 3,
        cache_size: int = 1 << 16,
    ) -> None:
        self.max_forms_per_term = max_forms_per_term
        self.max_examples = max_examples
        targets: dict[str, _Target] = {}
        for term in _searched(terms):
            target = _Target.of(term)
            if target.edits and target.text not in targets:
                targets[target.text] = target
        self._targets = tuple(targets.values())
        self._forms: dict[str, dict[tuple[str, ...], _Form]] = {t.text: {} for t in self._targets}
        self._sightings = 0
        # word length -> what a word of that length may be near: (target index, position, edits)
        self._by_length: dict[int, list[tuple[int, int, int]]] = {}
        # letters of a term run together -> the targets, for runs of words split differently
        self._joined: dict[str, list[int]] = {}
        # first letters of a term run together: the words a differently split run can start with
        self._joined_starts: set[str] = set()
        sizes: set[int] = set()
        for index, target in enumerate(self._targets):
            for position, lengths in target.references():
                entry = (index, position, target.budget(position))
                for length in lengths:
                    self._by_length.setdefault(length, []).append(entry)
            if not target.prefix:
                self._joined.setdefault(target.joined, []).append(index)
                joined = target.joined
                self._joined_starts.update(joined[:end] for end in range(1, len(joined)))
                sizes.update(range(max(2, len(target.words) - 1), len(target.words) + 2))
        self._joined_sizes = sorted(sizes)
        # The words judged, and the verdicts of those near a term: a document's new words and
        # its words with a verdict are then found by set operations in C, not a call per word.
        self._cache_size = cache_size
        self._judged: set[str] = set()
        self._near: set[str] = set()
        self._verdicts: dict[str, _Verdict] = {}

    @property
    def terms(self) -> tuple[str, ...]:
        """The terms checked, as written; NEAR terms are checked through their sides."""
        return tuple(target.text for target in self._targets)

    def add(self, doc: DocumentWords, url: str) -> None:
        """Record the near misses of one document, each form counted once per document."""
        self.record(self.observe(doc), url)

    def record(self, sightings: Iterable[Sighting], url: str) -> None:
        """Count what :meth:`observe` saw in the document at ``url``.

        Observing and recording are apart so that documents observed in several processes are
        recorded in one, in read order: counts, examples and ties then come out as in one run.
        """
        for term, run, shown in sightings:
            self._record(term, run, shown, url)

    def observe(self, doc: DocumentWords) -> tuple[Sighting, ...]:
        """The near misses of one document: each term's forms found in it, once each.

        Each distinct word is judged once per crawl (while it is remembered); runs of words
        are then put together, only where a word with a verdict or the start of a term's
        letters stands, from their words' verdicts and a lookup of their joined letters. A run
        never goes from the title into the text.
        """
        words = doc.words
        vocabulary = doc.vocabulary
        self._judge_all(vocabulary)
        verdicts = {word: self._verdicts[word] for word in vocabulary & self._near}
        wanted = verdicts.keys() | (vocabulary & self._joined_starts)
        if not wanted:
            return ()
        split = doc.title_words
        found: dict[tuple[int, tuple[str, ...]], int] = {}
        # Where the wanted words stand, in one pass in C.
        for start in compress(range(len(words)), map(wanted.__contains__, words)):
            word = words[start]
            if word in verdicts:
                for index, position, edits in verdicts[word]:
                    if position == _WHOLE:
                        found.setdefault((index, (word,)), start)
                    elif position == 0:
                        size = len(self._targets[index].words)
                        if start < split < start + size:
                            continue
                        total = edits + _word_by_word(verdicts, words, start, size, index)
                        if 0 < total <= self._targets[index].edits:
                            found.setdefault((index, tuple(words[start : start + size])), start)
            if word in self._joined_starts:
                for size in self._joined_sizes:
                    if start < split < start + size:
                        continue
                    run = tuple(words[start : start + size])
                    for index in self._joined.get("".join(run), ()):
                        if len(run) == size and run != self._targets[index].words:
                            found.setdefault((index, run), start)
        if not found:
            return ()
        starts, ends = doc.spans
        return tuple(
            Sighting(self._targets[index].text, run, " ".join(doc.text[starts[start] : ends[start + len(run) - 1]].split()))
            for (index, run), start in found.items()
        )

    def report(self) -> dict[str, list[dict[str, object]]]:
        """Return ``{term: [{"form", "count", "examples"}, ...]}``, most frequent forms first."""
        return {
            text: [
                {"form": form.shown, "count": form.count, "examples": list(form.examples)}
                for form in self._ranked(text)[: self.max_forms_per_term]
            ]
            for text in self._forms
        }

    def summary_lines(self, hits: Mapping[str, int] | None = None, *, top: int = 3) -> list[str]:
        """Return one readable line per term with near misses, the most telling first.

        ``hits`` maps a term to the number of documents that contain it (a term it leaves out
        is not counted); with it, terms found nowhere come first and say so (``0 documents contain Nationbuilder; ...``), since their
        near misses are most likely what the analyst meant.

        >>> from watch.query import DocumentWords, compile_query
        >>> collector = NearMissCollector(compile_query("Nationbuilder OR Quorum").terms)
        >>> collector.add(DocumentWords.from_text("Nation Builder, quorums"), "http://a.test/")
        >>> for line in collector.summary_lines({"Nationbuilder": 0, "Quorum": 4}):
        ...     print(line)
        0 documents contain Nationbuilder; 1 contains 'Nation Builder' (e.g. http://a.test/)
        4 documents contain Quorum; near misses: 1 contains 'quorums' (e.g. http://a.test/)
        """
        lines: list[tuple[bool, int, str]] = []
        for order, text in enumerate(self._forms):
            forms = self._ranked(text)[:top]
            hit = None if hits is None else hits.get(text)
            if not forms and hit != 0:
                continue
            described = ", ".join(
                f"{form.count} {'contains' if form.count == 1 else 'contain'} '{form.shown}'"
                f" (e.g. {form.examples[0]})"
                for form in forms
            )
            if hit is None:
                line = f"{text}: near misses: {described}"
            elif hit == 0:
                line = f"0 documents contain {text}; " + (described or "no near misses either")
            else:
                documents = "document contains" if hit == 1 else "documents contain"
                line = f"{hit} {documents} {text}; near misses: {described}"
            lines.append((hit != 0, order, line))
        return [line for _, _, line in sorted(lines)]

    def _judge_all(self, vocabulary: frozenset[str]) -> None:
        """Judge the words of ``vocabulary`` not judged yet, and remember their verdicts; when
        memory is full, forget all others first."""
        unjudged = vocabulary - self._judged
        if len(self._judged) + len(unjudged) > self._cache_size:
            self._judged.clear()
            self._near.clear()
            self._verdicts.clear()
            unjudged = vocabulary
        self._judged.update(unjudged)
        for word in unjudged:
            verdict = self._judge(word)
            if verdict:
                self._verdicts[word] = verdict
                self._near.add(word)

    def _judge(self, word: str) -> _Verdict:
        """What ``word`` is near: term words (exact ones too, for phrases) and whole terms."""
        verdict = []
        for index, position, budget in self._by_length.get(len(word), ()):
            target = self._targets[index]
            edits = target.distance(word, position, budget)
            if edits <= budget and (edits or len(target.words) > 1):
                verdict.append((index, position, edits))
        return tuple(verdict)

    def _record(self, text: str, run: tuple[str, ...], shown: str, url: str) -> None:
        """Count the form ``run`` of term ``text``, written ``shown`` where it was first seen."""
        forms = self._forms[text]
        form = forms.get(run)
        if form is None:
            self._sightings += 1
            form = forms[run] = _Form(shown, self._sightings)
            if len(forms) > 2 * self.max_forms_per_term:
                # Keep the most frequent forms, and the new one so that it is counted.
                keep = {id(f) for f in self._ranked(text)[: self.max_forms_per_term]} | {id(form)}
                self._forms[text] = {key: f for key, f in forms.items() if id(f) in keep}
        form.count += 1
        if len(form.examples) < self.max_examples:
            form.examples.append(url)

    def _ranked(self, text: str) -> list[_Form]:
        return sorted(self._forms[text].values(), key=lambda form: (-form.count, form.seen))


def _word_by_word(
    verdicts: Mapping[str, _Verdict], words: Sequence[str], start: int, size: int, index: int
) -> int:
    """Edits of the words after ``start`` from the words of target ``index`` after its first.

    Returns a large number when a word is not near its counterpart or the document ends first.
    """
    total = 0
    for offset in range(1, size):
        if start + offset >= len(words):
            return 1 << 20
        verdict = verdicts.get(words[start + offset], ())
        edits = [e for i, p, e in verdict if i == index and p == offset]
        if not edits:
            return 1 << 20
        total += edits[0]
    return total


def _searched(terms: Sequence[Term]) -> Iterator[Term]:
    """The terms to check: NEAR terms through their sides, each other term as it is."""
    for term in terms:
        if term.kind == NEAR:
            yield from _searched(term.operands)
        else:
            yield term
