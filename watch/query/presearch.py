"""Many named equations matched at once, with a presearch index in the manner of Lucene Monitor.

Each equation is indexed by a minimal set of *anchors*, words or prefix stems one of which any
matching document must contain (Luwak's "query terms"): a term anchors itself (a phrase by its
longest word, ``A NEAR/n B`` by its cheaper side), OR needs the anchors of all its operands,
AND only those of its most selective operand, and NOT anchors nothing. A document's distinct
words then select the candidate equations, and only those are evaluated; an equation with no
anchor (``NOT spam``) is a candidate for every document. The anchors a word selects are
remembered, so after a few documents presearch costs one dictionary lookup per distinct word,
however many equations there are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from watch.query.compiler import ALGEBRA, Match, Query, compile_query
from watch.query.errors import QuerySyntaxError
from watch.query.terms import NEAR, PHRASE, PREFIX, Term

if TYPE_CHECKING:
    from collections.abc import Mapping

    import boolean

    from watch.query.document import DocumentWords

Anchor = tuple[bool, str]  # (is a prefix stem, the normalised word or stem)
Anchors = frozenset[Anchor]

# Below this many equations, evaluating each is cheaper than looking words up.
_SCAN_ALL = 16
# Distinct words whose candidate equations are remembered before the memory is cleared.
_REMEMBERED_WORDS = 200_000
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
        self._always: list[int] = []
        self._by_word: dict[str, list[int]] = {}
        self._by_stem: dict[str, list[int]] = {}
        for number, query in enumerate(self._list):
            found = anchors(query.expression, query.terms)
            if found is None:
                self._always.append(number)
                continue
            for is_stem, text in found:
                (self._by_stem if is_stem else self._by_word).setdefault(text, []).append(number)
        self._stem_lengths = sorted({len(stem) for stem in self._by_stem})
        self._remembered: dict[str, tuple[int, ...]] = {}

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
        """Return the names of the equations presearch selects for ``doc``, in order."""
        return [self.names[number] for number in self._candidates(doc)]

    def matching(self, doc: DocumentWords) -> list[str]:
        """Return the names of the equations ``doc`` satisfies, without explaining them."""
        return [
            self.names[number]
            for number in self._candidates(doc)
            if self._list[number].matches(doc)
        ]

    def match(self, doc: DocumentWords) -> dict[str, Match]:
        """Return the matching equations' explanations by name, in the set's order."""
        matches: dict[str, Match] = {}
        for number in self._candidates(doc):
            found = self._list[number].match(doc)
            if found is not None:
                matches[self.names[number]] = found
        return matches

    def _candidates(self, doc: DocumentWords) -> list[int] | range:
        if self._scan_all:
            return range(len(self._list))
        selected = set(self._always)
        remembered = self._remembered
        for word in doc.vocabulary:
            numbers = remembered.get(word)
            if numbers is None:
                numbers = self._selected_by(word)
            if numbers:
                selected.update(numbers)
        return sorted(selected)

    def _selected_by(self, word: str) -> tuple[int, ...]:
        numbers = list(self._by_word.get(word, ()))
        for length in self._stem_lengths:
            if length > len(word):
                break
            numbers.extend(self._by_stem.get(word[:length], ()))
        if len(self._remembered) >= _REMEMBERED_WORDS:
            self._remembered.clear()
        found = self._remembered[word] = tuple(numbers)
        return found


def anchors(expression: boolean.Expression, terms: tuple[Term, ...]) -> Anchors | None:
    """Return anchors one of which every document matching ``expression`` contains.

    None means no such set exists (the expression can match a document without any given
    word, as ``NOT spam`` does).

    >>> query = compile_query('(Quorum OR "Blue State Digital") AND elect*')
    >>> sorted(anchors(query.expression, query.terms))
    [(False, 'digital'), (False, 'quorum')]
    """
    if expression is ALGEBRA.TRUE:
        return None
    if expression is ALGEBRA.FALSE:
        return frozenset()
    if isinstance(expression, ALGEBRA.Symbol):
        return _term_anchors(terms[expression.obj])
    if isinstance(expression, ALGEBRA.NOT):
        return None
    found = [anchors(argument, terms) for argument in expression.args]
    if isinstance(expression, ALGEBRA.OR):
        if any(each is None for each in found):
            return None
        return frozenset().union(*found)  # type: ignore[arg-type]
    usable = [each for each in found if each is not None]
    return min(usable, key=_cost) if usable else None


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
