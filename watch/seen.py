"""A set of 64-bit fingerprints in about 8 bytes each: the memory of "this URL was requested".

A crawl remembers every URL it has requested. Scrapy keeps them in a ``set`` of 20-byte SHA-1
digests, about 100 bytes a URL once the ``bytes`` objects and the hash table are counted; a
monitoring crawl of a million pages then holds a hundred megabytes for that alone.
:class:`FingerprintSet` keeps 64-bit fingerprints in a sorted ``array('Q')`` (8 bytes each,
searched by bisection) plus a small ``set`` of recent additions, merged into the array when it
reaches 1/32 of the array's size. The recent set costs at most about 2.5 bytes a fingerprint on
top of the 8, so the total stays under 11; merging costs one pass over the array, amortised over
the many additions between merges.

Two distinct URLs share a 64-bit fingerprint with probability about n²/2⁶⁵: once in
40 million crawls of a million URLs.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_TYPECODE = "Q"
assert array(_TYPECODE).itemsize == 8, "this platform's array('Q') is not 64 bits"  # noqa: S101

# The recent set is merged once it outgrows 1/2**_RECENT_SHIFT of the sorted array; below
# _MIN_RECENT fingerprints merging more often would cost more time than the set costs memory.
_RECENT_SHIFT = 5
_MIN_RECENT = 1024
# Every _FENCE_STEP-th fingerprint of the array is also kept in a list. Bisecting a list of ints
# allocates nothing, where each step in the array builds an int: a lookup bisects the fence list,
# then a block of _FENCE_STEP array items. The list costs about 0.7 bytes a fingerprint.
_FENCE_STEP = 64


class FingerprintSet:
    """A set of integers in ``[0, 2**64)``, compact in memory.

    >>> seen = FingerprintSet([3, 1])
    >>> seen.add(2), seen.add(3)
    (True, False)
    >>> 2 in seen, 4 in seen, len(seen)
    (True, False, 3)
    >>> list(seen)
    [1, 2, 3]
    """

    def __init__(self, fingerprints: Iterable[int] = ()) -> None:
        self._sorted = array(_TYPECODE)
        self._fence: list[int] = []
        self._recent: set[int] = set()
        for fingerprint in fingerprints:
            self.add(fingerprint)

    def __contains__(self, fingerprint: object) -> bool:
        if fingerprint in self._recent:
            return True
        if not isinstance(fingerprint, int):
            return False
        index = self._position(fingerprint)
        return index < len(self._sorted) and self._sorted[index] == fingerprint

    def add(self, fingerprint: int) -> bool:
        """Add ``fingerprint``; return whether it was new.

        Raises ``OverflowError`` for a value outside ``[0, 2**64)``.
        """
        if fingerprint in self:
            return False
        if not 0 <= fingerprint < 1 << 64:
            raise OverflowError(f"not a 64-bit fingerprint: {fingerprint}")
        self._recent.add(fingerprint)
        if len(self._recent) > max(_MIN_RECENT, len(self._sorted) >> _RECENT_SHIFT):
            self._merge()
        return True

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __iter__(self) -> Iterator[int]:
        """Yield the fingerprints in increasing order."""
        self._merge()
        return iter(self._sorted)

    def _position(self, fingerprint: int) -> int:
        """Return where ``fingerprint`` is, or would go, in the sorted array."""
        block = bisect_right(self._fence, fingerprint)  # fence values <= fingerprint
        low = max(0, (block - 1) * _FENCE_STEP)
        high = min(len(self._sorted), block * _FENCE_STEP)
        return bisect_left(self._sorted, fingerprint, low, high)

    def _merge(self) -> None:
        """Move the recent fingerprints into the sorted array, in one pass over it."""
        if not self._recent:
            return
        old = self._sorted
        merged = array(_TYPECODE, [0]) * (len(old) + len(self._recent))
        source, target = memoryview(old), memoryview(merged)
        start = written = 0
        for fingerprint in sorted(self._recent):
            end = self._position(fingerprint)
            target[written : written + end - start] = source[start:end]
            written += end - start
            merged[written] = fingerprint
            written += 1
            start = end
        target[written:] = source[start:]
        source.release()
        target.release()
        self._sorted = merged
        self._fence = merged[::_FENCE_STEP].tolist()
        self._recent = set()
