"""Show an analyst how an equation will be read: its simplified tree and what deserves a second look.

Used by ``scrapy equation``; kept here, free of Scrapy, so it is tested like the rest of the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watch.normalize import fold
from watch.query.compiler import ALGEBRA
from watch.query.lexer import OPERATORS, TERM, lex
from watch.query.presearch import anchors
from watch.query.terms import PHRASE, PREFIX

if TYPE_CHECKING:
    import boolean

    from watch.query.compiler import Query
    from watch.query.terms import Term

WIDE_STEM = 5  # a wildcard stem shorter than this matches very many words
_OPERATOR_WORDS = {word.casefold() for word in OPERATORS} | {"near"}
_QUOTES = "\"“„«"
# French elided articles and pronouns: ``l’élection`` is the phrase "l election".
_ELISIONS = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"}


def tree(query: Query) -> str:
    """Return the simplified equation as an indented tree of operators and matched terms.

    >>> from watch.query.compiler import compile_query
    >>> print(tree(compile_query('Quorum OR ("Digital Box" SAUF Élect*)')))
    OR
      quorum
      AND
        "digital box"
        NOT elect*
    """
    lines: list[str] = []
    _render(query.expression, query.terms, 0, lines)
    return "\n".join(lines)


def _render(
    expression: boolean.Expression, terms: tuple[Term, ...], depth: int, lines: list[str]
) -> None:
    indent = "  " * depth
    if expression is ALGEBRA.TRUE:
        lines.append(f"{indent}(every document)")
    elif expression is ALGEBRA.FALSE:
        lines.append(f"{indent}(no document)")
    elif isinstance(expression, ALGEBRA.Symbol):
        lines.append(f"{indent}{terms[expression.obj]}")
    elif isinstance(expression, ALGEBRA.NOT) and isinstance(expression.args[0], ALGEBRA.Symbol):
        lines.append(f"{indent}NOT {terms[expression.args[0].obj]}")
    else:
        name = "NOT" if isinstance(expression, ALGEBRA.NOT) else expression.__class__.__name__
        lines.append(f"{indent}{name}")
        for argument in expression.args:
            _render(argument, terms, depth + 1, lines)


def warnings(query: Query) -> list[str]:
    """Return what in ``query`` an analyst may not have meant, one sentence each.

    >>> from watch.query.compiler import compile_query
    >>> for warning in warnings(compile_query('Quorum or "vote or not" l’Élection')):
    ...     print(warning)
    'or' at column 8 is read as the operator OR; quote it ("or") to search for the word
    "vote or not" contains 'or', 'not', searched as words there, not as operators
    l’Élection is matched as "l election" (accents removed, split into words); write election to match it without its article
    letter case is ignored: Quorum, l’Élection match in any case
    """
    found: list[str] = []
    case_only: list[str] = []
    for lexeme in lex(query.equation):
        if lexeme.kind in ("AND", "OR", "NOT") and lexeme.text != lexeme.text.upper():
            found.append(
                f"{lexeme.text!r} at column {lexeme.column} is read as the operator "
                f'{lexeme.kind}; quote it ("{lexeme.text}") to search for the word'
            )
        if lexeme.kind == TERM and lexeme.term is not None:
            for term in lexeme.term.operands or (lexeme.term,):
                found.extend(_term_warnings(term))
                if _written(term) != _written(term).casefold():
                    case_only.append(term.text)
    if case_only:
        found.append(f"letter case is ignored: {', '.join(case_only)} match in any case")
    found.extend(_equation_warnings(query))
    return found


def _written(term: Term) -> str:
    """The term's text without its quotes or wildcard."""
    return term.text[1:-1] if term.text[:1] in _QUOTES else term.text.rstrip("*")


def _term_warnings(term: Term) -> list[str]:
    found: list[str] = []
    written = _written(term)
    changes = []
    if fold(written) != written.casefold():
        changes.append("accents removed")
    if len(term.words) != len(written.split()):
        changes.append("split into words")
    elif "".join(term.words) != "".join(fold(written).replace("*", "").split()):  # '*': warned apart
        changes.append("punctuation and symbols dropped")
    if changes:
        warning = f"{term.text} is matched as {term} ({', '.join(changes)})"
        if term.words[0] in _ELISIONS and len(term.words) > 1:
            rest = " ".join(term.words[1:])
            warning += f"; write {rest} to match it without its article"
        found.append(warning)
    if term.kind == PREFIX and len(term.words[0]) < WIDE_STEM:
        stem = term.words[0]
        found.append(f"{term.text} matches every word starting with {stem!r}: very many words")
    if term.text[:1] in _QUOTES and "*" in written:
        found.append(f"{term.text}: '*' inside quotes is not a wildcard")
    if term.kind == PHRASE and term.text[:1] in _QUOTES:
        operators = [word for word in term.words if word in _OPERATOR_WORDS]
        if operators:
            listed = ", ".join(repr(word) for word in operators)
            found.append(f"{term.text} contains {listed}, searched as words there, not as operators")
    return found


def _equation_warnings(query: Query) -> list[str]:
    if query.expression is ALGEBRA.TRUE:
        return ["the equation is always true (as in a OR NOT a): every document matches"]
    if query.expression is ALGEBRA.FALSE:
        return ["the equation can never be true (as in a AND NOT a): no document matches"]
    if anchors(query.expression, query.terms) is None:
        return [
            "the equation can match a document containing none of its terms (a NOT-only "
            "part): it will match almost every page"
        ]
    return []
