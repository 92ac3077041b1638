"""Text normalisation shared by the search equation, the matcher and the content fingerprints.

One definition of "a word" for the whole of watch: the equation's terms and the page's text go
through the same functions, so ``Élection``, ``l’élection`` and ``ELECTION`` meet as ``election``.

A word is a run of letters and digits, with the combining marks of any script that follow them
(``हिन्दी`` and ``كِتَاب`` are one word each) and the invisible characters page authors put inside
words (soft hyphens, zero-width spaces and joiners). Everything else separates words: spaces of
every width, punctuation, symbols, apostrophes (``'``, ``’`` and ``ʼ``), hyphens, underscores.
Each word is then folded (:func:`fold`): Unicode NFKC, case folding, every diacritic removed, a few
letters written out, invisible characters dropped.

Compared with SQLite FTS5's ``unicode61 remove_diacritics 2`` tokenizer (``python -m bench.fts5``
runs the comparison on the corpus pages), these are watch's documented choices:

- NFKC: ligatures, full-width, superscript and other compatibility forms are their plain
  letters and digits (``ﬁnale`` → ``finale``, ``m²`` → ``m2``, ``½`` → ``1``, ``2``);
- case folding, not lower-casing: ``ß`` → ``ss``;
- ``œ æ ø đ ł ħ ı`` written out as French and German readers do (``œuvre`` → ``oeuvre``);
- diacritics removed in every script, not only Latin: Greek tonos, Cyrillic ``й`` → ``и``,
  Arabic and Hebrew vowel points;
- combining marks stay inside their word (FTS5's default categories split ``हिन्दी`` at them);
  those that only change how a character is drawn (variation selectors, enclosing marks such as
  the keycap of ``1️⃣``) are dropped like diacritics;
- ``ʼ`` (U+02BC) is an apostrophe, so ``lʼélection`` contains ``election`` (FTS5: one word);
- soft hyphens and zero-width characters inside a word are dropped, not word breaks;
- private-use characters (icon fonts) separate words (FTS5 keeps them as letters), and so do
  emoji and the other symbols beyond U+FFFF (FTS5 reads some, such as 🙂, as words).

Speed: every page is read once for its words (11 KB of text on average), so :func:`words` works
on the whole text at once: each distinct non-ASCII character is folded once (cached) and replaced
everywhere by one ``str.replace``, ASCII is folded by one ``bytes.translate``, ``str.split`` cuts
the words. Only a character whose folding depends on its neighbours sends the text through the
reference path, which folds each run of letters on its own; both give the same words
(``tests/test_watch_normalize.py`` checks it). ``python -m bench.tokenize`` measures both against
the tokeniser they replaced.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add, sub
from typing import NamedTuple

# Invisible characters that may sit inside a word.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060"
# Unicode files it under modifier letters, but it is the apostrophe of ``lʼélection``.
_APOSTROPHE = "\u02bc"
# Marks that only change how a character is drawn: the combining grapheme joiner and the
# variation selectors (text or emoji presentation, ideographic variants).
_PRESENTATION = [0x034F, 0x180B, 0x180C, 0x180D, 0x180F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]


def _ranges(codes: list[int]) -> str:
    """A regex class body for sorted code points, as ranges."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


# Every combining mark (categories Mn, Mc, Me) of this Python's Unicode: they live in planes 0
# and 1 and among the variation selectors of plane 14, which take a few tens of milliseconds to
# scan, once per process. A regex class holds characters beyond U+FFFF as a list of ranges tried
# one by one: they are kept apart, behind a cheap test, so that common text never tries them.
_MARK_CODES = [
    code
    for code in [*range(0x20000), *range(0xE0100, 0xE01F0)]
    if unicodedata.category(chr(code))[0] == "M"
]
_INSIDE = (
    f"(?:[{_ranges([code for code in _MARK_CODES if code <= 0xFFFF])}{_INVISIBLE}]"
    f"|(?=[\\U00010000-\\U0010ffff])[{_ranges([code for code in _MARK_CODES if code > 0xFFFF])}])"
)
# A run of letters and digits (not ʼ) with the marks and invisible characters that follow them.
_RUN = re.compile(rf"(?:[^\W_{_APOSTROPHE}]{_INSIDE}*)+")

# What folding drops with the diacritics: invisible characters, and marks that only change how a
# character is drawn (variation selectors, the combining grapheme joiner, enclosing marks).
_DROPPED = dict.fromkeys(
    [*map(ord, _INVISIBLE), *_PRESENTATION]
    + [code for code in _MARK_CODES if unicodedata.category(chr(code)) == "Me"]
)
# Letters that NFKC and case folding leave whole but a French or German reader writes out.
_WRITTEN_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i"})

# A mark that folding keeps (a Devanagari vowel sign) after a space: in the folded text of
# :func:`words`, letters are \w and marks are the only other non-space characters.
_LONE_MARKS = re.compile(r"(?<!\S)[^\w\s]+")

# The characters that canonical composition joins to the character before them and that folding
# keeps (combining class 0: the others fold away): second parts of Indic vowel signs, Hangul vowel
# and final jamo. Only a text holding one needs NFC once its characters are replaced one by one.
# ``tests/test_watch_normalize.py`` recomputes the list from this Python's Unicode.
_COMPOSING = re.compile(
    "[\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf\u0ddf"
    "\u102e\u1161-\u1175\u11a8-\u11c2\u1b35\U00011127\U0001133e\U00011357\U000114b0\U000114ba"
    "\U000114bd\U000115af\U00011930]"
)

_ASCII = bytes(range(128))
# ASCII letters lower-cased, digits kept, every other ASCII byte a space; the bytes of UTF-8
# multi-byte sequences (0x80 and above) are left alone.
_ASCII_FOLD = bytes(
    byte if byte >= 0x80 else ord(chr(byte).lower()) if chr(byte).isalnum() else 0x20
    for byte in range(256)
)

# For spans, each character becomes one byte of its class: a letter, an inside character
# (a mark or an invisible one) or a separator.
_LETTER, _INSIDE_CHAR, _SEPARATOR = "a", "'", " "
_ASCII_CLASS = bytes(
    byte if byte >= 0x80 else ord(_LETTER) if chr(byte).isalnum() else ord(_SEPARATOR)
    for byte in range(256)
)
_SWAP_CLASSES = bytes.maketrans(b"a ", b" a")
_LONE_INSIDE = re.compile(r"(?<![a'])'+")


class Token(NamedTuple):
    """A normalised word and where it stands in the text it was read from."""

    word: str
    start: int
    end: int


class Spans(NamedTuple):
    """Where the words of a text stand: word ``i`` was read from ``text[starts[i]:ends[i]]``."""

    starts: list[int]
    ends: list[int]


def fold(text: str) -> str:
    """Return ``text`` folded for comparison: the form every word is matched in.

    Steps: Unicode NFKC (ligatures, full-width and superscript forms), case folding
    (``ß`` → ``ss``), accents removed (NFD, then combining marks dropped, and with them invisible
    characters, variation selectors and enclosing marks), ``œ``/``æ`` written out.

    >>> fold("L’Œuvre ÉLECTORALE ﬁnale")
    'l’oeuvre electorale finale'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text).translate(_DROPPED)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_WRITTEN_OUT)


def words(text: str) -> list[str]:
    """Return the normalised words of ``text``, in order.

    Words are runs of letters and digits; apostrophes (``'``, ``’``, ``ʼ``), hyphens, non-breaking
    and thin spaces separate them, so French elisions fall apart (``l’Élection`` → ``l``,
    ``election``). A run that folding turns into several words (``½`` → ``1⁄2``) gives each.

    Steps: replace each distinct non-ASCII character by its folding, all its occurrences at
    once (a character whose folding depends on its neighbours sends the whole text to the
    reference path instead: each run of letters folded on its own); fold ASCII with one byte
    table; drop marks left after a space; compose what the replacements put side by side (NFC,
    only for the few characters that need it); split on whitespace.

    >>> words("l’Élection de Digital\\u00a0Box")
    ['l', 'election', 'de', 'digital', 'box']
    >>> words("Quorum, QUORUMS et quorum’s")
    ['quorum', 'quorums', 'et', 'quorum', 's']
    >>> words("réor\\u00adga\\u00adni\\u00adsa\\u00adtion, Straße, ½")
    ['reorganisation', 'strasse', '1', '2']
    """
    data = text.encode("utf-8", "surrogatepass")
    if text.isascii():
        return data.translate(_ASCII_FOLD).decode("ascii").split()
    replaced = text
    kept_marks = ""
    composing = False
    for char in _non_ascii(data):
        replacement = _replacement(char)
        if replacement is None:
            return _words_by_run(text)
        if replacement.target != char:
            replaced = replaced.replace(char, replacement.target)
        kept_marks += replacement.kept_marks
        composing = composing or replacement.composing
    # The targets are folded already: the table only changes the ASCII the text had.
    encoded = replaced.encode("utf-8", "surrogatepass").translate(_ASCII_FOLD)
    folded = encoded.decode("utf-8", "surrogatepass")
    if any(folded.startswith(mark) or f" {mark}" in folded for mark in set(kept_marks)):
        folded = _LONE_MARKS.sub("", folded)
    if composing:
        folded = unicodedata.normalize("NFC", folded)
    return folded.split()


def spans(text: str) -> Spans:
    """Return where each word of ``text`` (:func:`words`) stands in it.

    A word's span is the run of ``text`` it was read from, however folding changed its length
    (``ﬁ`` → ``fi``); a run that folding turns into several words gives each of them its span.
    Working spans out costs about as much as reading the words: documents only do it for their
    snippets and near misses.

    >>> spans("l’Élection ½")
    Spans(starts=[0, 2, 11, 11], ends=[1, 10, 12, 12])
    """
    found = _run_spans(text)
    if found is not None:
        return found
    starts: list[int] = []
    ends: list[int] = []
    for run in _RUN.finditer(text):
        count = len(_fold_run(run.group()))
        starts += [run.start()] * count
        ends += [run.end()] * count
    return Spans(starts, ends)


def tokenize(text: str) -> list[Token]:
    """Return the words of ``text``, each with its span (:func:`words`, :func:`spans`).

    >>> [tuple(token) for token in tokenize("l’Élection ½")]
    [('l', 0, 1), ('election', 2, 10), ('1', 11, 12), ('2', 11, 12)]
    """
    found = spans(text)
    # tuple.__new__ skips NamedTuple's Python-level constructor: map runs it per word, in C.
    return list(map(tuple.__new__, repeat(Token), zip(words(text), found.starts, found.ends)))


def _words_by_run(text: str) -> list[str]:
    """The reference path of :func:`words`: each run of letters folded on its own."""
    return [word for run in _RUN.findall(text) for word in _fold_run(run)]


@lru_cache(maxsize=50_000)
def _fold_run(run: str) -> tuple[str, ...]:
    """The normalised word(s) of one run of letters and digits; cached, since words repeat (the
    reference path serves few texts: a bounded cache of moderate size)."""
    if run.isascii():
        return (run.lower(),)
    return tuple(_RUN.findall(fold(run)))


def _run_spans(text: str) -> Spans | None:
    """The starts and ends of the runs of letters of ``text``, or None if some run may not be
    exactly one word.

    Steps: write each character as one ASCII character of its class (a table classes ASCII,
    :func:`_replacement` each distinct non-ASCII character); an inside character after a
    separator is a separator; then the lengths of the runs and of the gaps before them,
    accumulated, are the ends of the runs: ``split``, ``map`` and ``accumulate`` work in C.
    """
    data = text.encode("utf-8", "surrogatepass")
    if not text.isascii():
        classes = data.translate(_ASCII_CLASS).decode("utf-8", "surrogatepass")
        inside = False
        for char in _non_ascii(data):
            replacement = _replacement(char)
            if replacement is None or not replacement.one_word:
                return None
            classes = classes.replace(char, replacement.kind)
            inside = inside or replacement.kind == _INSIDE_CHAR
        if inside:
            classes = _LONE_INSIDE.sub(lambda lone: _SEPARATOR * len(lone.group()), classes)
            classes = classes.replace(_INSIDE_CHAR, _LETTER)
        data = classes.encode("ascii")
    else:
        data = data.translate(_ASCII_CLASS)
    lengths = list(map(len, data.split()))
    gaps = list(map(len, data.translate(_SWAP_CLASSES).split()))
    if data[:1] == b"a":
        gaps.insert(0, 0)
    ends = list(accumulate(map(add, gaps, lengths)))
    return Spans(list(map(sub, ends, lengths)), ends)


def _non_ascii(data: bytes) -> list[str]:
    """The distinct non-ASCII characters of UTF-8 ``data``, found by deleting its ASCII bytes.

    Highest first: once the characters beyond U+FFFF (emoji) are replaced, ``str.replace``
    copies two bytes a character instead of four, then one instead of two.
    """
    return sorted(set(data.translate(None, _ASCII).decode("utf-8", "surrogatepass")), reverse=True)


class _Replacement(NamedTuple):
    target: str  #: what stands for the character in the folded text (spaces separate words)
    kind: str  #: its class, for spans: _LETTER, _INSIDE_CHAR or _SEPARATOR
    one_word: bool  #: whether the run it is in stays one word (``½`` → ``1 2`` does not)
    kept_marks: str  #: the marks ``target`` holds, which must not start a word
    composing: bool  #: whether ``target`` holds characters that compose with the one before


@lru_cache(maxsize=1 << 16)
def _replacement(char: str) -> _Replacement | None:
    """How the non-ASCII character ``char`` is folded wherever it stands, or None when that
    depends on its neighbours.

    >>> [_replacement(char).target for char in ("É", "ß", "’", "\\u0301", "½")]
    ['e', 'ss', ' ', '', '1 2']
    """
    if not _is_letter(char) and not _is_inside(char):
        return _Replacement(_SEPARATOR, _SEPARATOR, True, "", False)
    folded = fold(char)
    if any(piece != char and not piece.isascii() and fold(piece) != piece for piece in folded):
        return None  # a folding that another replacement would fold again
    if _is_inside(char):
        # Inside a word a mark folds away or stays; after a separator it separates nothing, so
        # dropping it or dropping it later (_LONE_MARKS) is right everywhere. A mark that folds
        # into a letter (U+0345 → ι) would start a word where the reference path has none.
        if not all(map(_is_inside, folded)):
            return None
        return _Replacement(folded, _INSIDE_CHAR, True, folded, bool(_COMPOSING.search(folded)))
    target = "".join(piece if _is_letter(piece) or _is_inside(piece) else " " for piece in folded)
    one_word = " " not in target and any(map(_is_letter, target))
    kept_marks = "".join(filter(_is_inside, target))
    return _Replacement(target, _LETTER, one_word, kept_marks, bool(_COMPOSING.search(target)))


def _is_letter(char: str) -> bool:
    """Whether ``char`` can start a word: a letter or a digit, ``ʼ`` excepted."""
    return char.isalnum() and char != _APOSTROPHE


def _is_inside(char: str) -> bool:
    """Whether ``char`` belongs to the word it follows without being a letter: a combining mark
    or an invisible character."""
    return unicodedata.category(char)[0] == "M" or char in _INVISIBLE
