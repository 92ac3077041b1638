"""Content fingerprints and simhash: what counts as the same text, exactly and nearly."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch import fingerprints
from watch.fingerprints import NearDuplicateIndex, content_fingerprint, fingerprint_of, hamming, simhash
from watch.normalize import words
from tests.conftest import REPO

TEXT = (
    "Le conseil municipal a atteint le quorum mardi soir. Les élus ont voté le budget de "
    "l'année prochaine après un long débat sur la rénovation des écoles et la piscine."
)


@pytest.mark.parametrize(
    "variant",
    [
        TEXT,
        "  " + TEXT.replace(" ", "\n\t ") + "\n",
        TEXT.upper(),
        TEXT.replace("é", "e").replace("è", "e"),
        TEXT.replace(".", " ;").replace("'", "’"),
        TEXT.replace("quorum", "QUORUM").replace("budget", "Budget"),
    ],
)
def test_fingerprint_ignores_whitespace_case_accents_punctuation(variant: str) -> None:
    assert content_fingerprint("Titre", variant) == content_fingerprint("Titre", TEXT)


@pytest.mark.parametrize(
    "different",
    [TEXT.replace("mardi", "mercredi"), TEXT + " Fin.", TEXT.replace("le budget", "budget le"), ""],
)
def test_fingerprint_tells_other_texts_apart(different: str) -> None:
    assert content_fingerprint("Titre", different) != content_fingerprint("Titre", TEXT)


def test_fingerprint_is_16_hex_digits_of_the_text_not_the_title() -> None:
    fingerprint = content_fingerprint("Article | Site A", TEXT)
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    assert content_fingerprint("Article – Site B", TEXT) == fingerprint


def test_fingerprint_of_a_page_without_text_is_its_title() -> None:
    assert content_fingerprint("Photo 1", " \n") != content_fingerprint("Photo 2", "")
    assert content_fingerprint("Photo 1", " \n") == content_fingerprint("photo  1", "")


def test_fingerprint_and_simhash_are_stable_across_processes() -> None:
    code = (
        "from watch.fingerprints import content_fingerprint, simhash; from watch.normalize import words;"
        f"t = {TEXT!r}; print(content_fingerprint('', t), simhash(words(t)))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert outputs == {f"{content_fingerprint('', TEXT)} {simhash(words(TEXT))}\n"}


_WORD = st.text("abcdéèxyzœ", min_size=1, max_size=8)
_SPACE = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", " \n "])


@given(st.lists(st.tuples(_WORD, _SPACE), min_size=1, max_size=30))
def test_fingerprint_property_whitespace_and_case(pairs: list[tuple[str, str]]) -> None:
    plain = " ".join(word for word, _ in pairs)
    spaced = "".join(word + space for word, space in pairs)
    assert content_fingerprint("", spaced.upper()) == content_fingerprint("", plain)


@pytest.mark.parametrize(("a", "b", "distance"), [(0, 0, 0), (0, 1, 1), (0b1010, 0b0101, 4), (0, 2**64 - 1, 64)])
def test_hamming(a: int, b: int, distance: int) -> None:
    assert hamming(a, b) == distance


def test_simhash_is_64_bits_and_ignores_word_order() -> None:
    text = words(TEXT)
    assert 0 < simhash(text) < 2**64
    assert simhash(list(reversed(text))) == simhash(text)
    assert simhash([]) == 0


def _real_text(name: str) -> list[str]:
    from watch.text import visible_text  # noqa: PLC0415 - only these tests need the extractor

    return words(visible_text(gzip.decompress((REPO / "mockweb" / "corpus" / name).read_bytes())).text)


REAL_PAGES = ["boingboing.net.millenials.html.gz", "psl.eu.luniversite.html.gz", "futurezone.at.lyft.html.gz"]


@pytest.mark.parametrize("name", REAL_PAGES)
def test_simhash_keeps_a_lightly_edited_copy_within_3_bits(name: str) -> None:
    original = _real_text(name)
    assert len(original) > 200
    rng = random.Random(name)
    edited = list(original)
    for _ in range(len(edited) // 200):  # 0.5 % of the words replaced
        edited[rng.randrange(len(edited))] = rng.choice(original)
    edited += ["partager", "sur", "facebook"]  # a boilerplate line added
    assert hamming(simhash(edited), simhash(original)) <= 3


def test_simhash_keeps_distinct_pages_apart() -> None:
    hashes = [simhash(_real_text(name)) for name in REAL_PAGES]
    assert all(hamming(a, b) > 3 for i, a in enumerate(hashes) for b in hashes[i + 1 :])


# Fingerprints stored by earlier runs, computed before issue 7 made the tokeniser faster: the same
# text must keep its fingerprint (these pages hold none of the characters whose reading was fixed).
@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("psl.eu.luniversite", "20c29182f719d6e6"),
        ("spektrum.de.engelbart", "c7cd1dab28bd649f"),
        ("franceculture.fr.idees", "281526db3b8a5327"),
        ("austria.info.radfahren", "d33eac455235b617"),
    ],
)
def test_fingerprints_of_real_pages_are_stable(name: str, stored: str) -> None:
    from watch.text import visible_text  # noqa: PLC0415 - only these tests need the extractor

    page = visible_text(gzip.decompress((REPO / "corpus" / "realpages" / f"{name}.html.gz").read_bytes()))
    assert content_fingerprint(page.title, page.text) == stored


def test_fingerprint_of_words_is_the_content_fingerprint() -> None:
    assert fingerprint_of(words(TEXT)) == content_fingerprint("Titre", TEXT)
    assert fingerprint_of(words("Photo 1")) == content_fingerprint("Photo 1", "")


def reference_simhash(text_words: list[str]) -> int:
    """Charikar's simhash, bit by bit: the definition the bulk counting must meet."""
    hashes = [int.from_bytes(fingerprints._hash64(word.encode()), "big") for word in text_words]
    return sum(1 << bit for bit in range(64) if 2 * sum(h >> bit & 1 for h in hashes) > len(hashes))


@given(st.lists(st.text("abcdéxyz", min_size=1, max_size=4), max_size=300))
def test_simhash_counts_the_votes_of_every_occurrence(text_words: list[str]) -> None:
    assert simhash(text_words) == reference_simhash(text_words)


def test_remembered_word_hashes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprints, "_REMEMBERED_HASHES", 50)
    monkeypatch.setattr(fingerprints, "_word_hashes", {})  # restored afterwards
    for start in range(0, 1000, 30):
        text_words = [f"w{number}" for number in range(start, start + 30)]
        assert simhash(text_words) == reference_simhash(text_words)
        assert len(fingerprints._word_hashes) <= 50


_HASH = st.integers(0, 2**64 - 1)


@given(st.lists(_HASH, max_size=40), st.lists(st.integers(0, 63), max_size=4), st.integers(0, 6))
def test_index_agrees_with_brute_force(filed: list[int], flips: list[int], max_distance: int) -> None:
    index = NearDuplicateIndex(max_distance)
    for order, value in enumerate(filed):
        index.add(value, str(order))
    query = filed[0] if filed else 0
    for bit in flips:
        query ^= 1 << bit
    close = [(hamming(query, v), order) for order, v in enumerate(filed) if hamming(query, v) <= max_distance]
    expected = None if not close else (str(min(close)[1]), min(close)[0])
    assert index.nearest(query) == expected
    assert len(index) == len(filed)


@pytest.mark.parametrize("max_distance", [-1, 32])
def test_index_rejects_distances_it_cannot_serve(max_distance: int) -> None:
    with pytest.raises(ValueError, match="max_distance"):
        NearDuplicateIndex(max_distance)
