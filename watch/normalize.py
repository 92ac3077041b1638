"""Text normalisation shared by the search equation, the matcher and the content fingerprints.

One definition of "a word" for the whole of watch: the equation's terms and the page's text go
through the same functions, so ``Élection``, ``l’élection`` and ``ELECTION`` meet as ``election``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Letters and digits; everything else (spaces of every width, apostrophes, hyphens, punctuation)
# separates words. Combining marks stay inside the word they decorate, and so do soft hyphens and
# zero-width characters, which page authors put inside words (SPIP and Word do) and folding drops.
_WORD = re.compile(
    r"(?:[^\W_][\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u00ad\u200b-\u200d\u2060]*)+"
)

# Letters that NFKC and case folding leave whole but a French or German reader writes out, and
# the invisible characters that may sit inside a word.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i"}
    | dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060")
)


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


_new_token = tuple.__new__


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> tuple[str, ...]:
    """The normalised word(s) of one run of letters and digits; cached, since words repeat."""
    if word.isascii():
        return (word.lower(),)
    return tuple(_WORD.findall(fold(word)))


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised words, each with its span in ``text``.

    Words are runs of letters and digits; apostrophes (``'``, ``’``), hyphens, non-breaking and
    thin spaces separate them, so French elisions fall apart (``l’Élection`` → ``l``,
    ``election``). A run that folding turns into several words (``½`` → ``1⁄2``) yields each of
    them with the run's span.

    >>> [t.word for t in tokenize("l’Élection de Digital\u00a0Box")]
    ['l', 'election', 'de', 'digital', 'box']
    >>> [t.word for t in tokenize("réor\u00adga\u00adni\u00adsa\u00adtion")]
    ['reorganisation']
    """
    tokens: list[Token] = []
    append = tokens.append
    for match in _WORD.finditer(text):
        parts = _fold_word(match.group())
        if len(parts) == 1:
            # tuple.__new__ skips NamedTuple's Python-level constructor: this loop runs per word.
            append(_new_token(Token, (parts[0], *match.span())))
        else:
            start, end = match.span()
            tokens.extend(_new_token(Token, (part, start, end)) for part in parts)
    return tokens


def words(text: str) -> list[str]:
    """Return the normalised words of ``text``, in order (see :func:`tokenize`).

    >>> words("Quorum, QUORUMS et quorum’s")
    ['quorum', 'quorums', 'et', 'quorum', 's']
    """
    return list(_words(text))


@lru_cache(maxsize=16)
def _words(text: str) -> tuple[str, ...]:
    # A page's text is read for words more than once (its fingerprint, then deduplication): the
    # few most recent answers are kept. A str caches its hash, and the same object compares at once.
    # Spans are not needed here: findall is twice as fast as building tokens.
    fold_word = _fold_word
    return tuple(word for run in _WORD.findall(text) for word in fold_word(run))
