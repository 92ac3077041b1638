"""Text normalisation shared by the search equation, the matcher and the content fingerprints.

One definition of "a word" for the whole of watch: the equation's terms and the page's text go
through the same functions, so ``Élection``, ``l’élection`` and ``ELECTION`` meet as ``election``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Letters and digits; everything else (spaces of every width, apostrophes, hyphens, punctuation)
# separates words. Combining marks stay inside the word they decorate.
_WORD = re.compile(r"(?:[^\W_][\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff]*)+")

# Letters that NFKC and case folding leave whole but a French or German reader writes out.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i"})


class Token(NamedTuple):
    """A normalised word and where it stands in the text it was read from."""

    word: str
    start: int
    end: int


def fold(text: str) -> str:
    """Return ``text`` folded for comparison: the form every word is matched in.

    Steps: Unicode NFKC (ligatures, full-width and superscript forms), case folding
    (``ß`` → ``ss``), accents removed (NFD, then combining marks dropped), ``œ``/``æ`` written out.

    >>> fold("L’Œuvre ÉLECTORALE ﬁnale")
    'l’oeuvre electorale finale'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_LIGATURES)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised words, each with its span in ``text``.

    Words are runs of letters and digits; apostrophes (``'``, ``’``), hyphens, non-breaking and
    thin spaces separate them, so French elisions fall apart (``l’Élection`` → ``l``,
    ``election``). A run that folding turns into several words (``½`` → ``1⁄2``) yields each of
    them with the run's span.

    >>> [t.word for t in tokenize("l’Élection de Digital\u00a0Box")]
    ['l', 'election', 'de', 'digital', 'box']
    """
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        folded = fold(match.group())
        parts = _WORD.findall(folded)
        if len(parts) == 1:
            tokens.append(Token(parts[0], start, end))
        else:
            tokens.extend(Token(part, start, end) for part in parts)
    return tokens


def words(text: str) -> list[str]:
    """Return the normalised words of ``text``, in order (see :func:`tokenize`).

    >>> words("Quorum, QUORUMS et quorum’s")
    ['quorum', 'quorums', 'et', 'quorum', 's']
    """
    return [token.word for token in tokenize(text)]
