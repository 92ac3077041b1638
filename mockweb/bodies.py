"""Bodies a hostile web serves: made small and fast, however large they claim to be.

>>> import gzip
>>> bomb = gzip_bomb(10 * 2**20)
>>> len(bomb) < 20_000, len(gzip.decompress(bomb)) == 10 * 2**20
(True, True)
>>> noise(5, seed=1) == noise(5, seed=1), len(noise(5, seed=1))
(True, 5)
"""

from __future__ import annotations

import gzip
import random

#: Zeros compressed per gzip member: 1 MiB of zeros is about a kilobyte of gzip.
_MEMBER = 2**20


def gzip_bomb(size: int) -> bytes:
    """A gzip stream that decompresses to ``size`` zero bytes (about 1/1000 of that, compressed).

    Built from identical gzip members, which a gzip reader concatenates (RFC 1952 §2.2), so a
    bomb of gigabytes takes milliseconds to make. Serve it with ``Content-Encoding: gzip``.
    """
    whole, rest = divmod(size, _MEMBER)
    member = gzip.compress(bytes(_MEMBER), compresslevel=9, mtime=0)
    tail = gzip.compress(bytes(rest), compresslevel=9, mtime=0) if rest else b""
    return member * whole + tail


def noise(size: int, *, seed: int = 0) -> bytes:
    """``size`` random bytes, the same for the same ``seed``: binary data under any label."""
    return random.Random(seed).randbytes(size)
