"""Many named equations matched together, and the words an equation cannot match without.

:class:`QuerySet` holds named equations and matches them over documents, one or many at a time.
Below :data:`_SCAN_ALL` equations each is simply evaluated on each document; from there on the
equations are compiled once into the bitset circuit of :mod:`watch.query.batch`, which decides a
whole batch of documents with a few numpy operations per depth of the circuit. Matching many
documents in one call is what makes it fast: with 10,000 equations, a document matched alone
costs about ten times what it costs in a batch of a few hundred.

:func:`anchors` gives the words (or prefix stems) one of which every document matching an
equation contains, in the manner of Lucene Monitor's presearch; ``scrapy equation`` warns about
an equation without any (``NOT spam`` alone matches almost everything).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from watch.query.batch import BatchMatcher
from watch.query.compiler import ALGEBRA, Match, Query, compile_query
from watch.query.errors import QuerySyntaxError
from watch.query.terms import NEAR, PHRASE, PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import boolean
    from numpy.typing import NDArray

    from watch.query.document import DocumentWords
    from watch.query.terms import Term

Anchor = tuple[bool, str]  # (is a prefix stem, the normalised word or stem)
Anchors = frozenset[Anchor]

# Below this many equations, evaluating each on each document is cheaper than the circuit.
_SCAN_ALL = 16
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
        self._matcher = BatchMatcher(self._list) if len(self._list) >= _SCAN_ALL else None
        self._labels = np.array(self.names, dtype=object)  # names read by number, many at once

    @classmethod
    def from_file(cls, path: str | Path) -> QuerySet:
        """Read one ``name: equation`` a line; ``#`` starts a comment line; blank lines are skipped.

        A malformed line raises :class:`QuerySyntaxError` whose equation is the whole line, whose
        column counts from the start of that line, and whose message names the file and line:
        a line without a name and a colon, a name used twice, an equation that does not compile,
        bytes that are not UTF-8 (the column of the first). A file without any equation raises
        ``ValueError`` (nothing would be searched); one that cannot be read, ``OSError``.
        """
        queries: dict[str, Query] = {}
        lines: dict[str, int] = {}
        for number, line in enumerate(_text_lines(Path(path)), start=1):
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
        if not queries:
            raise ValueError(f"expected at least one 'name: equation' line ({path} has none)")
        query_set = cls.__new__(cls)
        query_set._build(queries)
        return query_set

    def every_term(self) -> list[Term]:
        """Every term of every equation, once (as written), NEAR terms followed by their sides, in
        equation order: what per-term counts and near misses are kept for.

        >>> [term.text for term in QuerySet({"a": "Quorum NEAR/3 vote", "b": "quorum OR Carata"}).every_term()]
        ['Quorum NEAR/3 vote', 'Quorum', 'vote', 'quorum', 'Carata']
        """
        found: dict[str, Term] = {}

        def take(terms: Sequence[Term]) -> None:
            for term in terms:
                found.setdefault(term.text, term)
                if term.kind == NEAR:
                    take(term.operands)

        for name in self.names:
            take(self.queries[name].terms)
        return list(found.values())

    def matching(self, doc: DocumentWords) -> list[str]:
        """Return the names of the equations ``doc`` satisfies, without explaining them."""
        return self.matching_many([doc])[0]

    def match(self, doc: DocumentWords) -> dict[str, Match]:
        """Return the matching equations' explanations by name, in the set's order."""
        return self.match_many([doc])[0]

    def matching_many(self, docs: Sequence[DocumentWords]) -> list[list[str]]:
        """Return, for each of ``docs``, the names of the equations it satisfies, in order."""
        return self._matching(docs, self._labels)

    def match_many(self, docs: Sequence[DocumentWords]) -> list[dict[str, Match]]:
        """Return, for each of ``docs``, its matching equations' explanations by name, in order."""
        names = self.names
        queries = self._list
        return [
            {names[number]: queries[number].explain(doc) for number in numbers}
            for doc, numbers in zip(docs, self._matching(docs, None))
        ]

    def _matching(self, docs: Sequence[DocumentWords], labels: NDArray[Any] | None) -> list[list[Any]]:
        """For each of ``docs``, its equations in order: their numbers, or their ``labels``."""
        if self._matcher is None:
            queries = list(zip(range(len(self._list)) if labels is None else labels.tolist(), self._list))
            return [[label for label, query in queries if query.matches(doc)] for doc in docs]
        return self._matcher.matching(docs, labels)


def _text_lines(path: Path) -> list[str]:
    """The lines of the UTF-8 file at ``path`` (a byte-order mark allowed); bytes that are not
    UTF-8 raise :class:`QuerySyntaxError` at their line and column."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        line = data[start : None if end < 0 else end]
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        number = data.count(b"\n", 0, start) + 1
        message = f"byte 0x{data[exc.start]:02x} is not UTF-8: expected a UTF-8 text file ({path} line {number})"
        raise QuerySyntaxError(line.decode("utf-8", "replace"), column, message) from None


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
