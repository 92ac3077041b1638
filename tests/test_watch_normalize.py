"""Normalisation: what a word is, how it is folded, where it stands, and the fast path's exactness."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watch import normalize
from watch.normalize import Token, fold, spans, tokenize, words

# Characters that stress the fast path: letters whose folding changes their length or splits
# them, marks of several scripts (folded away or kept), compositions across characters (Hangul
# jamo, two-part vowel signs), invisible characters, apostrophes, symbols, surrogates.
TRICKY = (
    "aAzZ09 _-'’ʼ\u00a0\u2009\n\t.éÉœŒæÆßẞøØđłħıİﬁﬂ½¼²①⑴ＡＢｃ™№℃ǅŉΐʰ\u02bb"
    "\u0301\u0308\u0327\u0345\u034f\ufe0f\ufe0e\u20e3\u20dd\u00ad\u200b\u200c\u200d\u2060\ufeff"
    "हिन्दीक\u093c\u0940ক\u09c7\u09be\u09bc\u09cb\u0bc6\u0bbe\u0bcaكِتَابשָׁלוֹם\u0591ΑάΣσςᾳᾼЁёЙй\u0306"
    "가\u1100\u1161\u11a8ㄱㅏ\uffa1ｶﾞ\u3099❤😀\U00011127\U0001133e\U00011347\ue000\ud800ﷺⅫ\u0f73\u0f71"
)
tricky_texts = st.text(alphabet=st.sampled_from(TRICKY), max_size=40)


def reference_tokens(text: str) -> list[Token]:
    """The definition the fast path must meet: each run of letters folded on its own."""
    return [
        Token(word, *run.span()) for run in normalize._RUN.finditer(text) for word in normalize._fold_run(run.group())
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le QUORUM est atteint.", ["le", "quorum", "est", "atteint"]),
        ("l’Élection d'été", ["l", "election", "d", "ete"]),
        ("e-commerce, Digital\u00a0Box\u202fà\u2009Paris", ["e", "commerce", "digital", "box", "a", "paris"]),
        ("Straße STRASSE", ["strasse", "strasse"]),
        ("Œuvre, nœud, Æsir, Søren, Łódź", ["oeuvre", "noeud", "aesir", "soren", "lodz"]),
        ("ﬁnale ＡＢＣ m² ½", ["finale", "abc", "m2", "1", "2"]),
        ("snake_case 3.14", ["snake", "case", "3", "14"]),
        ("réor\u00adga\u00adni\u200bsa\u2060tion", ["reorganisation"]),
        ("e\u0301te\u0301", ["ete"]),  # decomposed accents
        ("Ελληνικά ΣΟΦΟΣ", ["ελληνικα", "σοφοσ"]),
        ("Йод ёлка", ["иод", "елка"]),
        ("Brand™ №5", ["brand", "5"]),  # symbols separate, even those NFKC spells with letters
        ("日本語のテキスト", ["日本語のテキスト"]),
        ("", []),
        ("… — !", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


# The three fixes of issue 7, item 2 (found comparing watch with SQLite FTS5).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # combining marks of every script stay inside their word
        ("हिन्दी", ["हिनदी"]),  # the virama (a diacritic) folds away, the vowel signs stay
        ("كِتَاب", ["كتاب"]),
        ("שָׁלוֹם", ["שלום"]),
        # U+02BC is an apostrophe like ’
        ("lʼélection", ["l", "election"]),
        # marks that only change how a character is drawn fold away
        ("1\ufe0f\u20e3 ❤\ufe0f a\u034fb", ["1", "ab"]),
    ],
)
def test_fixed_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_fold() -> None:
    assert fold("L’Œuvre ÉLECTORALE ﬁnale Straße") == "l’oeuvre electorale finale strasse"


@pytest.mark.parametrize(
    "text",
    [
        "ﬁnale ½ Straße, œuvre ＡＢＣ l’Été",  # folding changes lengths: spans stay on the text
        "e\u0301te\u0301 x",  # decomposed: spans cover the marks
        "Titre\nTexte 😀 suite",  # a character beyond U+FFFF is one position
        "हिन्दी कि\u093fताब",
        "½x",  # one run, two words: both get its span
    ],
)
def test_spans_cover_the_run_each_word_was_read_from(text: str) -> None:
    tokens = tokenize(text)
    assert tokens == reference_tokens(text)
    assert [token.word for token in tokens] == words(text)
    for token in tokens:
        assert token.word in words(text[token.start : token.end])


def test_spans_of_a_ligature_and_a_fraction() -> None:
    assert [tuple(token) for token in tokenize("ﬁn ½ ß")] == [("fin", 0, 2), ("1", 3, 4), ("2", 3, 4), ("ss", 5, 6)]


def test_spans_are_those_of_the_tokens() -> None:
    text = "l’Élection ½, Straße"
    tokens = tokenize(text)
    assert spans(text) == ([token.start for token in tokens], [token.end for token in tokens])


@settings(max_examples=500, deadline=None)
@given(tricky_texts)
def test_fast_path_gives_the_reference_words_and_spans(text: str) -> None:
    assert words(text) == normalize._words_by_run(text)
    assert tokenize(text) == reference_tokens(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_fast_path_gives_the_reference_words_on_any_text(text: str) -> None:
    assert words(text) == normalize._words_by_run(text)
    assert tokenize(text) == reference_tokens(text)


@given(tricky_texts)
def test_normalising_twice_changes_nothing(text: str) -> None:
    found = words(text)
    assert words(" ".join(found)) == found


@given(
    st.lists(st.sampled_from(["quorum", "Élection", "l’été", "Straße"]), max_size=8),
    st.sampled_from([" ", "\n", "\u00a0", " – "]),
)
def test_separators_do_not_matter(parts: list[str], separator: str) -> None:
    assert words(separator.join(parts)) == words(" ".join(parts))


def test_composing_characters_are_all_known() -> None:
    """The characters canonical composition joins to the previous one, marks of class 0 apart
    from those folding drops, are exactly those the fast path composes for (brute force)."""
    seconds = {chr(code) for code in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]}  # Hangul
    for code in range(0x110000):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<"):
            first, *second = (chr(int(part, 16)) for part in decomposition.split())
            composes = unicodedata.normalize("NFC", first + "".join(second)) == chr(code)
            if composes and len(second) == 1 and unicodedata.combining(second[0]) == 0:
                seconds.add(second[0])
    assert seconds == {chr(code) for code in range(0x110000) if normalize._COMPOSING.fullmatch(chr(code))}


def test_marks_of_every_script_are_inside_words() -> None:
    marks = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code))[0] == "M"]
    assert all(re.fullmatch(normalize._RUN, "a" + mark) for mark in marks)
    assert not re.fullmatch(normalize._RUN, "a\u02bc")


def test_caches_are_bounded() -> None:
    for cached in (normalize._fold_run, normalize._replacement):
        assert cached.cache_info().maxsize is not None
