"""Compile a search equation into a fast matcher.

boolean.py does the algebra: the parsed tree becomes a boolean.py expression whose symbols are
the equation's terms, and ``simplify()`` removes what is redundant (``NOT NOT a``, absorbed
operands, contradictions). That expression is then compiled into nested Python closures over a
:class:`DocumentWords`, cheapest operands first, so matching never walks boolean.py objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import boolean

from watch.query.errors import QuerySyntaxError
from watch.query.parser import And, Leaf, Node, Not, parse
from watch.query.terms import PHRASE, PREFIX, WORD, Term

if TYPE_CHECKING:
    from watch.query.document import DocumentWords, Occurrences

ALGEBRA = boolean.BooleanAlgebra()

Evaluator = Callable[["DocumentWords"], bool]

# Relative cost of deciding whether a term is present: a set lookup for a word, a scan of
# positions for a phrase, a scan of the sorted vocabulary for a prefix, pairs for NEAR.
_COST = {WORD: 1, PHRASE: 3, PREFIX: 4}
_NEAR_COST = 6


@dataclass(frozen=True)
class Match:
    """Why a document matched: the terms found in it and where.

    ``terms`` lists the equation's terms present in the document, positive or negated, in the
    order of the equation; ``occurrences`` gives each one's token ranges ``[start, end)``.
    """

    terms: tuple[Term, ...]
    occurrences: dict[Term, list[tuple[int, int]]]


class Query:
    """A compiled search equation.

    >>> from watch.query.document import DocumentWords
    >>> query = compile_query('Quorum OR "Digital Box"')
    >>> query.match(DocumentWords.from_text("Le QUORUM est atteint")).terms
    (Term(text='Quorum', kind='word', words=('quorum',), distance=0, operands=()),)
    >>> query.match(DocumentWords.from_text("Des quorums, une box")) is None
    True
    """

    def __init__(self, equation: str, terms: tuple[Term, ...], expression: boolean.Expression):
        self.equation = equation
        self.terms = terms
        self.expression = expression
        self._evaluate = _compile(expression, terms)

    def __repr__(self) -> str:
        return f"compile_query({self.equation!r})"

    def matches(self, doc: DocumentWords) -> bool:
        """Return whether ``doc`` satisfies the equation (without explaining why)."""
        return self._evaluate(doc)

    def match(self, doc: DocumentWords) -> Match | None:
        """Return what matched in ``doc``, or None when the equation is false for it."""
        if not self._evaluate(doc):
            return None
        return self.explain(doc)

    def explain(self, doc: DocumentWords) -> Match:
        """Return which of the equation's terms ``doc`` contains and where, matching or not."""
        occurrences: dict[Term, Occurrences] = {}
        for term in self.terms:
            found = doc.occurrences(term)
            if found:
                occurrences[term] = found
        return Match(tuple(occurrences), occurrences)


def compile_query(equation: str) -> Query:
    """Parse, simplify and compile ``equation``; raise :class:`QuerySyntaxError` if malformed.

    >>> str(compile_query("(a OR b) AND NOT NOT a").expression)
    '0'
    """
    terms: dict[tuple[object, ...], int] = {}
    ordered: list[Term] = []
    try:
        expression = _algebra(parse(equation), terms, ordered).simplify()
    except RecursionError:
        # Only a pathological equation gets here (hundreds of NOT in a row, say).
        raise QuerySyntaxError(equation, 1, "equation nested too deeply to evaluate") from None
    return Query(equation, tuple(ordered), expression)


def _algebra(
    node: Node, numbers: dict[tuple[object, ...], int], terms: list[Term]
) -> boolean.Expression:
    """Translate the parsed tree into boolean.py; a symbol is the index of a distinct term."""
    if isinstance(node, Leaf):
        number = numbers.get(node.term.key)
        if number is None:
            number = numbers[node.term.key] = len(terms)
            terms.append(node.term)
        return ALGEBRA.Symbol(number)
    if isinstance(node, Not):
        return ALGEBRA.NOT(_algebra(node.operand, numbers, terms))
    operands = [_algebra(operand, numbers, terms) for operand in node.operands]
    return (ALGEBRA.AND if isinstance(node, And) else ALGEBRA.OR)(*operands)


def cost(expression: boolean.Expression, terms: tuple[Term, ...]) -> int:
    """Estimate how expensive ``expression`` is to decide on a document."""
    if isinstance(expression, ALGEBRA.Symbol):
        term = terms[expression.obj]
        if term.kind in _COST:
            return _COST[term.kind]
        return _NEAR_COST + sum(_COST[operand.kind] for operand in term.operands)
    return sum(cost(argument, terms) for argument in expression.args)


def _compile(expression: boolean.Expression, terms: tuple[Term, ...]) -> Evaluator:
    if expression is ALGEBRA.TRUE:
        return lambda doc: True
    if expression is ALGEBRA.FALSE:
        return lambda doc: False
    if isinstance(expression, ALGEBRA.Symbol):
        return _present(terms[expression.obj])
    if isinstance(expression, ALGEBRA.NOT):
        operand = _compile(expression.args[0], terms)
        return lambda doc: not operand(doc)
    arguments = sorted(expression.args, key=lambda argument: cost(argument, terms))
    operands = [_compile(argument, terms) for argument in arguments]
    # Nested two-operand closures: cheaper per call than all()/any() over a generator.
    combine = _both if isinstance(expression, ALGEBRA.AND) else _either
    evaluate = operands[-1]
    for operand in reversed(operands[:-1]):
        evaluate = combine(operand, evaluate)
    return evaluate


def _both(first: Evaluator, second: Evaluator) -> Evaluator:
    return lambda doc: first(doc) and second(doc)


def _either(first: Evaluator, second: Evaluator) -> Evaluator:
    return lambda doc: first(doc) or second(doc)


def _present(term: Term) -> Evaluator:
    if term.kind == WORD:
        word = term.words[0]
        return lambda doc: word in doc.vocabulary
    return lambda doc: bool(doc.occurrences(term))
