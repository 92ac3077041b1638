"""The one error a search equation can raise: where it went wrong, and what."""

from __future__ import annotations


class QuerySyntaxError(ValueError):
    """A malformed search equation, with the 1-based column of the problem.

    Like boolean.py's ``ParseError`` it carries the position; unlike it, ``str(err)`` is one
    readable line meant for an analyst, and :meth:`display` shows the equation with a caret.

    >>> err = QuerySyntaxError("(Quorum OR Carata", 1, "unbalanced '(': no matching ')'")
    >>> str(err)
    "column 1: unbalanced '(': no matching ')'"
    >>> print(err.display())
    (Quorum OR Carata
    ^
    column 1: unbalanced '(': no matching ')'
    """

    def __init__(self, equation: str, column: int, message: str) -> None:
        self.equation = equation
        self.column = column
        self.message = message
        super().__init__(f"column {column}: {message}")

    def display(self) -> str:
        """Return three lines: the equation, a caret under the column, the problem."""
        # Tabs and newlines would shift the caret: show them as single spaces.
        shown = "".join(" " if c.isspace() else c for c in self.equation)
        return f"{shown}\n{' ' * (self.column - 1)}^\n{self}"

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[str, int, str]]:
        return (type(self), (self.equation, self.column, self.message))
