"""Content fingerprints: "the same text" exactly, and "nearly the same text" by simhash.

A document's identity is its body text as the matcher reads it: the words of
:func:`watch.normalize.words`, so whitespace, letter case, accents, punctuation and markup do not
count. The title is left out on purpose: copies of one article on two sites carry different
site-name suffixes in their titles (``… | Site A``, ``… – Site B``), which would hide exactly the
copies an analyst wants folded together. A page without any word of text falls back on its title,
so that all empty pages do not collapse into one.

Near-duplicates are found with Charikar's simhash over words: each word votes on each of the
64 bits through a stable hash; texts that share most words get hashes a few bits apart.
:class:`NearDuplicateIndex` finds, among many such hashes, one within a given Hamming distance
without comparing against all of them (Manku, Jain & Das Sarma, WWW 2007: split the hash into
``distance + 1`` blocks; two hashes that close agree exactly on at least one block).

Every hash here is BLAKE2b, never Python's ``hash()``: fingerprints are stored across runs and
compared across processes, so they must not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import TYPE_CHECKING

from watch.normalize import words as _words

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Distinct words whose hashes are remembered before the memory is cleared (13 MB at most).
_REMEMBERED_HASHES = 100_000

# The 8-byte hash of each word seen lately. A dict rather than an lru_cache: ``map`` over its
# ``__getitem__`` looks a whole text's words up in C, at half the cost of calling a cache per word.
_word_hashes: dict[str, bytes] = {}


def _hash64(data: bytes) -> bytes:
    return blake2b(data, digest_size=8).digest()


def content_fingerprint(title: str, text: str) -> str:
    """Return the 64-bit content fingerprint of a page, as 16 hex digits.

    Steps: the words of ``text`` (:func:`watch.normalize.words`: folded case and accents,
    punctuation and whitespace dropped), or of ``title`` when ``text`` has none; then
    :func:`fingerprint_of` them. :attr:`watch.query.DocumentWords.fingerprint` is the same value
    for a page already read. Equal fingerprints mean equal normalised text.

    >>> content_fingerprint("Élection", "Le  QUORUM,\\n est atteint.")
    'f579f617c1b90cd3'
    >>> content_fingerprint("Other title", "le quorum est atteint") == _
    True
    """
    return fingerprint_of(_words(text) or _words(title))


def fingerprint_of(words: Sequence[str]) -> str:
    """Return the 64-bit fingerprint of normalised ``words``, as 16 hex digits.

    Steps: the words joined by single spaces, in UTF-8; BLAKE2b with an 8-byte digest.

    >>> fingerprint_of(["le", "quorum", "est", "atteint"])
    'f579f617c1b90cd3'
    """
    return _hash64(" ".join(words).encode("utf-8")).hex()


def simhash(words: Sequence[str]) -> int:
    """Return the 64-bit simhash of a text given as its normalised words.

    Steps: each word is hashed to 64 bits with BLAKE2b and votes once per occurrence; bit ``i``
    of the result is set when more than half of the votes have bit ``i`` set. No words give 0.
    Words rather than word n-grams: on real pages with 1-5 % of the words edited, word features
    keep 89-99 % of the copies within 3 bits where bigrams keep 11-73 %, without a single false
    pair among 100 distinct pages (see ``bench/dedup.py``).

    The votes are counted in bulk: the hashes of all occurrences laid end to end, then byte
    ``b`` of every hash read as one big integer, whose bits under a mask are counted at once.

    >>> simhash(["quorum"]) == int.from_bytes(_hash64(b"quorum"), "big")
    True
    >>> simhash(["b", "a", "a"]) == simhash(["a", "b", "a"])
    True
    >>> simhash([])
    0
    """
    hashes = _hashes_of(words)
    count = len(words)
    masks = [int.from_bytes(bytes((1 << bit,)) * count, "big") for bit in range(8)]
    result = 0
    for byte_index in range(8):
        column = int.from_bytes(hashes[byte_index::8], "big")
        shift = 8 * (7 - byte_index)
        for bit, mask in enumerate(masks):
            if 2 * (column & mask).bit_count() > count:
                result |= 1 << (shift + bit)
    return result


def _hashes_of(words: Sequence[str]) -> bytes:
    """The 8-byte hashes of ``words``, end to end; those of words not seen lately are computed
    and remembered, all the others forgotten first when too many are (bounded memory).

    Remembered hashes are never removed from a dict, only a new dict started: a thread still
    reading the old one finds what it put there.
    """
    global _word_hashes  # noqa: PLW0603 - rebinding, not clearing, is what keeps threads safe
    known = _word_hashes
    try:
        return b"".join(map(known.__getitem__, words))
    except KeyError:
        unknown = set(words).difference(known)
        if len(known) + len(unknown) > _REMEMBERED_HASHES:
            known = _word_hashes = {}
            unknown = set(words)
        for word in unknown:
            known[word] = _hash64(word.encode("utf-8"))
        return b"".join(map(known.__getitem__, words))


def hamming(a: int, b: int) -> int:
    """Return the number of bits in which two 64-bit hashes differ.

    >>> hamming(0b1011, 0b0001)
    2
    """
    return (a ^ b).bit_count()


class NearDuplicateIndex:
    """Simhashes seen so far, each with a label, searchable by Hamming distance.

    The 64 bits are cut into ``max_distance + 1`` blocks and each hash is filed under each of its
    blocks; a lookup only compares the hashes that share a block with the query, which by the
    pigeonhole principle include every hash within ``max_distance``.

    >>> index = NearDuplicateIndex(max_distance=3)
    >>> index.add(0b1111_0000, "https://a.test/")
    >>> index.nearest(0b1111_0111)
    ('https://a.test/', 3)
    >>> index.nearest(0b0000_1111) is None
    True
    """

    def __init__(self, max_distance: int = 3) -> None:
        if not 0 <= max_distance <= 31:
            raise ValueError(f"max_distance must be between 0 and 31, got {max_distance}")
        self.max_distance = max_distance
        blocks = max_distance + 1
        bounds = [64 * i // blocks for i in range(blocks + 1)]
        self._blocks = [(low, (1 << (high - low)) - 1) for low, high in zip(bounds, bounds[1:])]
        self._tables: list[dict[int, list[tuple[int, int, str]]]] = [{} for _ in self._blocks]
        self._filed = 0

    def add(self, value: int, label: str) -> None:
        """File ``value`` under ``label``; a later :meth:`nearest` may return that label."""
        entry = (self._filed, value, label)
        self._filed += 1
        for table, (shift, mask) in zip(self._tables, self._blocks):
            table.setdefault((value >> shift) & mask, []).append(entry)

    def nearest(self, value: int) -> tuple[str, int] | None:
        """Return the label of the closest filed hash within ``max_distance``, and its distance.

        Ties go to the hash filed first. ``None`` when no filed hash is that close.
        """
        best: tuple[int, int, str] | None = None  # (distance, filing order, label)
        for table, (shift, mask) in zip(self._tables, self._blocks):
            for order, candidate, label in table.get((value >> shift) & mask, ()):
                distance = hamming(value, candidate)
                if distance <= self.max_distance and (best is None or (distance, order) < best[:2]):
                    best = (distance, order, label)
        return None if best is None else (best[2], best[0])

    def __len__(self) -> int:
        return self._filed
