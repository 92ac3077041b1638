"""Many named equations matched together, with a presearch index in the manner of Lucene Monitor.

Every distinct term of every equation gets an id. Each equation is indexed by a minimal set of
*anchor* terms one of which any matching document must contain (Luwak's "query terms"): a term
anchors itself, OR needs the anchors of all its operands, AND only those of its most selective
operand, and NOT anchors nothing. Equations that are true as soon as one of their terms is
present (``Quorum OR Carata``, the OR branches of ``a OR (b AND c)``) are also indexed by those
*sufficient* terms, so most matches are found without evaluating anything.

A document is matched in four steps, each a pass in C over sets and tuples:

1. its distinct words give the ids of the terms they make present (a word, a prefix the word
   starts with), and of the phrases and NEAR terms they make possible; what a word gives is
   remembered, so after a few documents this is one dictionary lookup per distinct word;
2. a possible phrase or NEAR term is kept only if its positions agree (the only positional
   work, and only for terms whose rarest word is in the document);
3. the present terms select the equations they suffice for (matches) and those they anchor
   (candidates); an equation with no anchor (``NOT spam``) is a candidate for every document;
4. each remaining candidate is decided by its equation compiled once to Python bytecode over
   the set of present ids (:func:`watch.query.compiler.presence_source`): a few set lookups.
"""

from __future__ import annotations

import re
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from watch.query.compiler import ALGEBRA, Match, Query, compile_query, depth, presence_source
from watch.query.errors import QuerySyntaxError
from watch.query.terms import NEAR, PHRASE, PREFIX, Term

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import boolean

    from watch.query.document import DocumentWords

Anchor = tuple[bool, str]  # (is a prefix stem, the normalised word or stem)
Anchors = frozenset[Anchor]
# Decides one equation from the ids of the terms present in a document (and the document).
Decide = Callable[[set[int], "DocumentWords"], bool]

# Below this many equations, evaluating each is cheaper than looking words up.
_SCAN_ALL = 16
# Distinct words whose term ids are remembered before the memory is cleared.
_REMEMBERED_WORDS = 200_000
# Equations nested deeper than this are evaluated by their closures: Python's own parser
# refuses deeply nested source.
_DEEPEST_SOURCE = 40
_NAME = re.compile(r"\w[\w .\-]*")


class QuerySet:
    """Named equations matched together.

    >>> from watch.query.document import DocumentWords
    >>> queries = QuerySet({"vendors": "Quorum OR Nationbuilder", "polls": 'sondage* NOT "fake news"'})
    >>> sorted(queries.match(DocumentWords.from_text("Sondages : Quorum en tête")))
    ['polls', 'vendors']
    """

    def __init__(self, equations: Mapping[str, str]) -> None:
        queries: dict[str, Query] = {}
        for name, equation in equations.items():
            try:
                queries[name] = compile_query(equation)
            except QuerySyntaxError as err:
                message = f"{err.message} (query {name!r})"
                raise QuerySyntaxError(equation, err.column, message) from None
        self._build(queries)

    def _build(self, queries: dict[str, Query]) -> None:
        self.names = tuple(queries)
        self.queries: Mapping[str, Query] = queries
        self._list = list(queries.values())
        self._scan_all = len(self._list) < _SCAN_ALL
        index = _TermIndex()
        suffices: dict[int, list[int]] = {}
        anchoring: dict[int, list[int]] = {}
        self._always: list[int] = []
        sources: dict[str, list[int]] = {}
        self._decide: dict[int, Decide] = {}
        for number, query in enumerate(self._list):
            ids = tuple(index.add(term) for term in query.terms)
            expression = query.expression
            for symbol in _sufficient(expression):
                suffices.setdefault(ids[symbol], []).append(number)
            if _is_disjunction(expression):
                continue  # decided by its sufficient terms alone
            found = _anchor_terms(expression, query.terms)
            if found is None:
                self._always.append(number)
            for symbol in found or ():
                anchoring.setdefault(ids[symbol], []).append(number)
            if depth(expression) > _DEEPEST_SOURCE:
                self._decide[number] = _by_closures(query)
            else:
                sources.setdefault(presence_source(expression, ids), []).append(number)
        for decide, numbers in zip(_compile(list(sources)), sources.values()):
            for number in numbers:
                self._decide[number] = decide
        self._terms = index.terms
        self._needs = index.needs
        self._positional = frozenset(index.needs)
        self._suffices = [tuple(suffices.get(term, ())) for term in range(len(index.terms))]
        self._anchoring = [tuple(anchoring.get(term, ())) for term in range(len(index.terms))]
        self._words = _WordIndex(index.by_word, index.by_stem, index.by_pair)

    @classmethod
    def from_file(cls, path: str | Path) -> QuerySet:
        """Read one ``name: equation`` a line; ``#`` starts a comment line; blank lines are skipped.

        A malformed line raises :class:`QuerySyntaxError` whose equation is the whole line, whose
        column counts from the start of that line, and whose message names the file and line.
        """
        queries: dict[str, Query] = {}
        lines: dict[str, int] = {}
        text = Path(path).read_text(encoding="utf-8-sig")
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{path} line {number}"
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, colon, equation = line.partition(":")
            if not colon or not _NAME.fullmatch(name.strip()):
                raise QuerySyntaxError(line, 1, f"expected 'name: equation' ({where})")
            name = name.strip()
            if name in lines:
                message = f"query {name!r} already defined on line {lines[name]} ({where})"
                raise QuerySyntaxError(line, 1, message)
            try:
                queries[name] = compile_query(equation.strip())
            except QuerySyntaxError as err:
                # Columns count from the start of the line, as an editor shows them.
                column = len(line) - len(equation.lstrip()) + err.column
                message = f"{err.message} (query {name!r}, {where})"
                raise QuerySyntaxError(line, column, message) from None
            lines[name] = number
        query_set = cls.__new__(cls)
        query_set._build(queries)
        return query_set

    def candidates(self, doc: DocumentWords) -> list[str]:
        """Return the names of the equations presearch selects for ``doc``, in order.

        They are those its present terms suffice for or anchor, and those without anchors.
        """
        if self._scan_all:
            return list(self.names)
        _, matched, undecided = self._select(doc)
        return [self.names[number] for number in sorted(matched | undecided)]

    def matching(self, doc: DocumentWords) -> list[str]:
        """Return the names of the equations ``doc`` satisfies, without explaining them."""
        if self._scan_all:
            return [name for name, query in zip(self.names, self._list) if query.matches(doc)]
        names = self.names
        return [names[number] for number in self._matching(doc)]

    def match(self, doc: DocumentWords) -> dict[str, Match]:
        """Return the matching equations' explanations by name, in the set's order."""
        queries = self._list
        return {self.names[number]: queries[number].explain(doc) for number in self._matching(doc)}

    def _matching(self, doc: DocumentWords) -> list[int]:
        if self._scan_all:
            return [number for number, query in enumerate(self._list) if query.matches(doc)]
        present, matched, undecided = self._select(doc)
        decide = self._decide
        matched.update([number for number in undecided if decide[number](present, doc)])
        return sorted(matched)

    def _select(self, doc: DocumentWords) -> tuple[set[int], set[int], set[int]]:
        """Return the ids of the terms present, the equations they satisfy, and those to decide."""
        present = self._words.terms(doc)
        possible = present & self._positional
        if possible:
            present -= possible
            terms = self._terms
            needs = self._needs
            present.update(
                [term for term in possible if needs[term] <= present and doc.occurrences(terms[term])]
            )
        matched = set(chain.from_iterable(map(self._suffices.__getitem__, present)))
        undecided = set(chain.from_iterable(map(self._anchoring.__getitem__, present)))
        undecided.update(self._always)
        undecided -= matched
        return present, matched, undecided


class _TermIndex:
    """The distinct terms of many equations, numbered, and the words and stems that find them."""

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.needs: dict[int, frozenset[int]] = {}
        self.by_word: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        self.by_pair: dict[tuple[str, str], list[int]] = {}
        self._ids: dict[tuple[object, ...], int] = {}

    def add(self, term: Term) -> int:
        """Return the id of ``term``, numbering and indexing it the first time it is seen.

        A word, a prefix or a two-word phrase is present as soon as a word (a pair of
        consecutive words) of the document is, or starts with, it. A longer phrase or a NEAR
        term is only *possible* then, through an anchor; it also *needs* simpler terms (the
        phrase's pairs, NEAR's two sides), and only when all are present do positions decide.
        """
        number = self._ids.get(term.key)
        if number is not None:
            return number
        number = self._ids[term.key] = len(self.terms)
        self.terms.append(term)
        if term.kind == PHRASE:
            pairs = list(zip(term.words, term.words[1:]))
            # The pair of longest words is likely the rarest.
            anchor = max(pairs, key=lambda pair: len(pair[0]) + len(pair[1]))
            self.by_pair.setdefault(anchor, []).append(number)
            if len(pairs) > 1:
                self.needs[number] = frozenset(
                    self.add(Term(" ".join(pair), PHRASE, pair)) for pair in pairs
                )
            return number
        if term.kind == NEAR:
            operands = [self.add(operand) for operand in term.operands]
            self.needs[number] = frozenset().union(
                *(self.needs.get(operand, {operand}) for operand in operands)
            )
        for is_stem, text in _term_anchors(term):
            (self.by_stem if is_stem else self.by_word).setdefault(text, []).append(number)
        return number


class _WordIndex:
    """The ids of the terms a document's words make present (or, for positional terms, possible).

    Every step is a set operation or a ``map`` run in C, over the document's distinct words and
    pairs: sets keep their elements' hashes, so intersecting the document's vocabulary with the
    words known to the index costs one probe per distinct word, and only the few words that hit
    are looked up. Which prefix stems a word starts with is worked out the first time the word
    is seen, then remembered with the word's other terms.
    """

    def __init__(
        self,
        by_word: dict[str, list[int]],
        by_stem: dict[str, list[int]],
        by_pair: dict[tuple[str, str], list[int]],
    ) -> None:
        self._by_word = {word: tuple(ids) for word, ids in by_word.items()}
        self._by_stem = by_stem
        self._stem_lengths = sorted({len(stem) for stem in by_stem})
        self._by_pair = {pair: tuple(ids) for pair, ids in by_pair.items()}
        self._pairs = frozenset(self._by_pair)
        self._forget()

    def terms(self, doc: DocumentWords) -> set[int]:
        """Return the ids of the terms ``doc``'s words and pairs of words select."""
        vocabulary = doc.vocabulary
        if self._by_stem:
            unseen = vocabulary - self._seen
            if unseen:
                self._learn(unseen)
        present = set(chain.from_iterable(map(self._terms.__getitem__, vocabulary & self._known)))
        if self._pairs:
            present.update(chain.from_iterable(map(self._by_pair.__getitem__, doc.pairs & self._pairs)))
        return present

    def _learn(self, words: frozenset[str]) -> None:
        """Remember the stems each of ``words`` starts with (memory bounded: forget all at once)."""
        if len(self._seen) + len(words) > _REMEMBERED_WORDS:
            self._forget()
        self._seen.update(words)
        for word in words:
            stems = [
                term
                for length in self._stem_lengths
                if length <= len(word)
                for term in self._by_stem.get(word[:length], ())
            ]
            if stems:
                self._terms[word] = self._terms.get(word, ()) + tuple(stems)
                self._known.add(word)

    def _forget(self) -> None:
        self._terms = dict(self._by_word)
        self._known = set(self._terms)
        self._seen: set[str] = set()


def _compile(sources: Sequence[str]) -> tuple[Decide, ...]:
    """Compile each source of :func:`presence_source` into a function, all in one pass.

    The sources hold only integers, ``in``, ``not``, ``and``, ``or`` and parentheses.
    """
    if not sources:
        return ()
    code = ",".join(f"lambda p, d: {source}" for source in sources)
    return eval(compile(f"({code},)", "<equations>", "eval"), {"__builtins__": {}})  # noqa: S307


def _by_closures(query: Query) -> Decide:
    return lambda present, doc: query.matches(doc)


def _sufficient(expression: boolean.Expression) -> frozenset[int]:
    """Return the symbols whose presence alone makes ``expression`` true.

    >>> query = compile_query("Quorum OR (Carata AND Box) OR elect*")
    >>> sorted(query.terms[symbol].text for symbol in _sufficient(query.expression))
    ['Quorum', 'elect*']
    """
    if isinstance(expression, ALGEBRA.Symbol):
        return frozenset({expression.obj})
    if isinstance(expression, ALGEBRA.OR):
        return frozenset().union(*(_sufficient(argument) for argument in expression.args))
    if isinstance(expression, ALGEBRA.AND):
        return frozenset.intersection(*(_sufficient(argument) for argument in expression.args))
    return frozenset()


def _is_disjunction(expression: boolean.Expression) -> bool:
    """Return whether ``expression`` is a term or an OR of terms (true iff one is present)."""
    if isinstance(expression, ALGEBRA.OR):
        return all(isinstance(argument, ALGEBRA.Symbol) for argument in expression.args)
    return isinstance(expression, ALGEBRA.Symbol)


def anchors(expression: boolean.Expression, terms: tuple[Term, ...]) -> Anchors | None:
    """Return anchors (words or stems) one of which every document matching ``expression`` contains.

    None means no such set exists (the expression can match a document without any given
    word, as ``NOT spam`` does).

    >>> query = compile_query('(Quorum OR "Blue State Digital") AND elect*')
    >>> sorted(anchors(query.expression, query.terms))
    [(False, 'digital'), (False, 'quorum')]
    """
    symbols = _anchor_terms(expression, terms)
    if symbols is None:
        return None
    return _words_of(symbols, terms)


def _anchor_terms(expression: boolean.Expression, terms: tuple[Term, ...]) -> frozenset[int] | None:
    """Return the symbols one of which every document matching ``expression`` contains, or None."""
    if expression is ALGEBRA.TRUE:
        return None
    if expression is ALGEBRA.FALSE:
        return frozenset()
    if isinstance(expression, ALGEBRA.Symbol):
        return frozenset({expression.obj})
    if isinstance(expression, ALGEBRA.NOT):
        return None
    found = [_anchor_terms(argument, terms) for argument in expression.args]
    if isinstance(expression, ALGEBRA.OR):
        if any(each is None for each in found):
            return None
        return frozenset().union(*found)  # type: ignore[arg-type]
    usable = [each for each in found if each is not None]
    return min(usable, key=lambda symbols: _cost(_words_of(symbols, terms))) if usable else None


def _words_of(symbols: frozenset[int], terms: tuple[Term, ...]) -> Anchors:
    return frozenset().union(*(_term_anchors(terms[symbol]) for symbol in symbols))


def _term_anchors(term: Term) -> Anchors:
    if term.kind == NEAR:
        return min((_term_anchors(operand) for operand in term.operands), key=_cost)
    if term.kind == PREFIX:
        return frozenset({(True, term.words[0])})
    if term.kind == PHRASE:
        return frozenset({(False, max(term.words, key=len))})
    return frozenset({(False, term.words[0])})


def _cost(found: Anchors) -> float:
    """Guess how many documents contain one of ``found``: short words and stems are common."""
    return sum((4.0 if is_stem else 1.0) / len(text) for is_stem, text in found)
