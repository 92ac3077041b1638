"""Split a search equation into operators, parentheses and terms, each with its column.

boolean.py has a tokenizer of its own, but it knows nothing of phrases, wildcards, ``NEAR/n``,
French operators or columns in the analyst's text: this one feeds the parser instead.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from watch.normalize import words
from watch.query.errors import QuerySyntaxError
from watch.query.terms import PHRASE, PREFIX, WORD, Term

LPAREN = "("
RPAREN = ")"
AND = "AND"
OR = "OR"
NOT = "NOT"
NEAR = "NEAR"
TERM = "TERM"

# Operator words, in any letter case, English and French.
OPERATORS = {"AND": AND, "ET": AND, "OR": OR, "OU": OR, "NOT": NOT, "SAUF": NOT}

# Each opening quote and the quotes that may close it (straight, typographic, French guillemets).
_QUOTES = {'"': '"”', "“": '”"', "„": '“”"', "«": "»"}

# A bare word ends at a space, a parenthesis or an opening quote.
_BARE = re.compile(r"[^\s()\"“„«]+")
_NEAR = re.compile(r"near/(.*)", re.IGNORECASE | re.DOTALL)
_DISTANCE = re.compile(r"[0-9]{1,3}")

MIN_STEM = 3  # letters a wildcard needs before its '*' (``el*`` would match half the language)


class Lexeme(NamedTuple):
    """One token of an equation: its kind, its 1-based column and its text as written."""

    kind: str
    column: int
    text: str
    term: Term | None = None
    distance: int = 0


def lex(equation: str) -> list[Lexeme]:
    """Return the tokens of ``equation``; raise :class:`QuerySyntaxError` on a bad token.

    Steps: skip spaces of every width; ``(`` and ``)`` stand alone; a quote opens a phrase that
    the matching quote closes (operator words inside it are plain words); any other run of
    characters is an operator word, ``NEAR/n``, a prefix ``stem*`` or a term.

    >>> [(t.kind, t.column) for t in lex('(Quorum OR "Digital Box") ET elect*')]
    [('(', 1), ('TERM', 2), ('OR', 9), ('TERM', 12), (')', 25), ('AND', 27), ('TERM', 30)]
    """
    lexemes: list[Lexeme] = []
    position = 0
    while position < len(equation):
        char = equation[position]
        column = position + 1
        if char.isspace():
            position += 1
        elif char in "()":
            lexemes.append(Lexeme(char, column, char))
            position += 1
        elif char in _QUOTES:
            end = _closing_quote(equation, position)
            lexemes.append(_phrase(equation, position, end))
            position = end + 1
        else:
            match = _BARE.match(equation, position)
            assert match is not None  # the branches above took every character it refuses
            lexemes.append(_bare(equation, match.group(), column))
            position = match.end()
    return lexemes


def _closing_quote(equation: str, start: int) -> int:
    closers = _QUOTES[equation[start]]
    for position in range(start + 1, len(equation)):
        if equation[position] in closers:
            return position
    raise QuerySyntaxError(equation, start + 1, "unterminated quote: no closing quote")


def _phrase(equation: str, start: int, end: int) -> Lexeme:
    text = equation[start : end + 1]
    phrase = tuple(words(text[1:-1]))
    if not phrase:
        raise QuerySyntaxError(equation, start + 1, f"empty phrase {text}: nothing to search")
    kind = WORD if len(phrase) == 1 else PHRASE
    return Lexeme(TERM, start + 1, text, Term(text, kind, phrase))


def _bare(equation: str, text: str, column: int) -> Lexeme:
    operator = OPERATORS.get(text.upper())
    if operator is not None:
        return Lexeme(operator, column, text)
    near = _NEAR.fullmatch(text)
    if near is not None:
        if not _DISTANCE.fullmatch(near.group(1)):
            raise QuerySyntaxError(
                equation, column, f"bad {text}: write NEAR/n with n a number of words from 0 to 999"
            )
        return Lexeme(NEAR, column, text, distance=int(near.group(1)))
    if text == "NEAR":
        raise QuerySyntaxError(equation, column, "NEAR needs a distance in words, e.g. NEAR/5")
    if text[0] in "-+" and len(text) > 1:
        # A web-search habit that would silently mean the opposite: '-Carata' searched as 'Carata'.
        operator = "NOT" if text[0] == "-" else "AND"
        raise QuerySyntaxError(
            equation, column, f"{text!r}: '{text[0]}' is not an operator here; write {operator} {text[1:]}"
        )
    star = text.find("*")
    if star != -1:
        return _prefix(equation, text, column, star)
    found = tuple(words(text))
    if not found:
        raise QuerySyntaxError(equation, column, f"{text!r} has no letter or digit to search")
    kind = WORD if len(found) == 1 else PHRASE
    return Lexeme(TERM, column, text, Term(text, kind, found))


def _prefix(equation: str, text: str, column: int, star: int) -> Lexeme:
    if star != len(text) - 1:
        raise QuerySyntaxError(equation, column + star, "'*' may only end a word, as in elect*")
    stem = words(text[:-1])
    if len(stem) != 1:
        problem = "needs a word before it" if not stem else "must end a single word"
        raise QuerySyntaxError(equation, column + star, f"the wildcard '*' {problem}, as in elect*")
    if len(stem[0]) < MIN_STEM:
        raise QuerySyntaxError(
            equation, column, f"wildcard {text} too short: at least {MIN_STEM} letters before '*'"
        )
    return Lexeme(TERM, column, text, Term(text, PREFIX, (stem[0],)))
