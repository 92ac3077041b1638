"""Parse a search equation into a tree of terms and operators.

Grammar (precedence NOT > AND > OR; adjacent operands are joined by AND; NEAR binds two terms)::

    equation := and (OR and)*
    and      := unary ([AND] unary)*
    unary    := NOT unary | "(" equation ")" | term [NEAR/n term]

Every malformed equation raises :class:`QuerySyntaxError` naming the column of the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from watch.query.errors import QuerySyntaxError
from watch.query.lexer import AND, LPAREN, NEAR, NOT, OR, RPAREN, TERM, Lexeme, lex
from watch.query.terms import NEAR as NEAR_KIND
from watch.query.terms import Term


@dataclass(frozen=True)
class Leaf:
    """A term of the equation."""

    term: Term


@dataclass(frozen=True)
class Not:
    """Documents without what ``operand`` matches."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Documents matching every operand."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Documents matching any operand."""

    operands: tuple[Node, ...]


Node = Union[Leaf, Not, And, Or]

_BINARY = (AND, OR)
_OPERATORS = (AND, OR, NOT, NEAR)


def parse(equation: str) -> Node:
    """Return the tree of ``equation``.

    >>> parse("Quorum OR Carata Box").operands[1]  # doctest: +ELLIPSIS
    And(operands=(Leaf(term=Term(text='Carata', ...)), Leaf(term=Term(text='Box', ...))))
    """
    lexemes = lex(equation)
    if not lexemes:
        raise QuerySyntaxError(equation, 1, "empty equation: nothing to search")
    _check_parentheses(equation, lexemes)
    return _Parser(equation, lexemes).parse()


#: Deeper nesting than any analyst writes; it keeps the recursive parser within Python's stack.
MAX_NESTING = 64


def _check_parentheses(equation: str, lexemes: list[Lexeme]) -> None:
    # Checked first: an unbalanced parenthesis is the clearest explanation of what follows.
    opened: list[Lexeme] = []
    for lexeme in lexemes:
        if lexeme.kind == LPAREN:
            opened.append(lexeme)
            if len(opened) > MAX_NESTING:
                raise QuerySyntaxError(
                    equation, lexeme.column, f"parentheses nested more than {MAX_NESTING} deep"
                )
        elif lexeme.kind == RPAREN:
            if not opened:
                raise QuerySyntaxError(equation, lexeme.column, "unbalanced ')': no '(' to close")
            opened.pop()
    if opened:
        raise QuerySyntaxError(equation, opened[0].column, "unbalanced '(': no matching ')'")


class _Parser:
    """Recursive descent over the lexemes; ``position`` is the next lexeme to read."""

    def __init__(self, equation: str, lexemes: list[Lexeme]) -> None:
        self.equation = equation
        self.lexemes = lexemes
        self.position = 0

    def parse(self) -> Node:
        node = self._or()
        if self.position < len(self.lexemes):
            # Only a NEAR after a parenthesised group can stop the loops before the end.
            raise self._missing_operand()
        return node

    def _peek(self) -> Lexeme | None:
        return self.lexemes[self.position] if self.position < len(self.lexemes) else None

    def _kind(self) -> str | None:
        lexeme = self._peek()
        return lexeme.kind if lexeme is not None else None

    def _next(self) -> Lexeme:
        lexeme = self.lexemes[self.position]
        self.position += 1
        return lexeme

    def _or(self) -> Node:
        operands = [self._and()]
        while self._kind() == OR:
            self._next()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Node:
        operands = [self._unary()]
        while True:
            kind = self._kind()
            if kind == AND:
                self._next()
            elif kind not in (TERM, NOT, LPAREN):
                break
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _unary(self) -> Node:
        kind = self._kind()
        if kind == NOT:
            self._next()
            return Not(self._unary())
        if kind == LPAREN:
            self._next()
            node = self._or()
            if self._kind() != RPAREN:
                raise self._missing_operand()
            self._next()
            return node
        if kind == TERM:
            return Leaf(self._near(self._next()))
        raise self._missing_operand()

    def _near(self, left: Lexeme) -> Term:
        assert left.term is not None
        if self._kind() != NEAR:
            return left.term
        near = self._next()
        right = self._peek()
        if right is None:
            raise self._error(near, f"{near.text} has no right operand")
        if right.kind == LPAREN:
            raise self._error(right, f"{near.text} joins words, phrases or prefixes, not a group")
        if right.kind != TERM or right.term is None:
            raise self._error(near, f"{near.text} needs a word, phrase or prefix on its right")
        self._next()
        if self._kind() == NEAR:
            chained = self._next()
            raise self._error(chained, f"{chained.text} cannot follow another NEAR: join with AND")
        text = self.equation[left.column - 1 : right.column - 1 + len(right.text)]
        words = left.term.words + right.term.words
        return Term(text, NEAR_KIND, words, near.distance, (left.term, right.term))

    def _missing_operand(self) -> QuerySyntaxError:
        """The error for a place where an operand was expected and none stands."""
        found = self._peek()
        previous = self.lexemes[self.position - 1] if self.position else None
        if found is None or found.kind == RPAREN:
            assert previous is not None  # empty equations and ')' first fail earlier
            if previous.kind == LPAREN:
                return self._error(previous, "empty parentheses ()")
            side = "" if previous.kind == NOT else " right"
            return self._error(previous, f"{previous.text} has no{side} operand")
        if found.kind == NEAR:
            return self._error(found, f"{found.text} needs a word, phrase or prefix on its left")
        if previous is not None and previous.kind in _OPERATORS:
            return self._error(found, f"{found.text} follows {previous.text}: two operators in a row")
        return self._error(found, f"{found.text} has no left operand")

    def _error(self, lexeme: Lexeme, message: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.equation, lexeme.column, message)
