"""What an equation searches for: its terms, as the user wrote them and as they are matched."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

WORD = "word"
PHRASE = "phrase"
PREFIX = "prefix"
NEAR = "near"


@dataclass(frozen=True)
class Term:
    """One searchable term of an equation.

    ``text`` is the term exactly as the user wrote it (reports quote it back); ``words`` is what
    is matched, normalised by :func:`watch.normalize.words`:

    - ``word``: one whole word, ``("quorum",)``;
    - ``phrase``: consecutive words, ``("digital", "box")`` (a quoted phrase, or a bare term that
      normalisation splits, such as ``l’Élection`` or ``e-commerce``);
    - ``prefix``: ``("elect",)``, any word starting with the stem;
    - ``near``: the words of both ``operands`` (left then right), which must stand at most
      ``distance`` words apart, in either order.
    """

    text: str
    kind: str
    words: tuple[str, ...]
    distance: int = 0
    operands: tuple[Term, ...] = ()

    @cached_property
    def key(self) -> tuple[object, ...]:
        """What the term matches, whatever its spelling: equal keys match the same words.

        >>> Term('"Quorum"', WORD, ("quorum",)).key == Term("QUORUM", WORD, ("quorum",)).key
        True
        """
        if self.kind == NEAR:
            # A NEAR B and B NEAR A match the same places.
            sides = tuple(sorted((operand.key for operand in self.operands), key=repr))
            return (NEAR, self.distance, sides)
        return (self.kind, self.words)

    def __str__(self) -> str:
        """The term as it will be matched: ``quorum``, ``"digital box"``, ``elect*``."""
        if self.kind == NEAR:
            left, right = self.operands
            return f"{left} NEAR/{self.distance} {right}"
        if self.kind == PREFIX:
            return f"{self.words[0]}*"
        if self.kind == PHRASE:
            return '"' + " ".join(self.words) + '"'
        return self.words[0]
