"""FingerprintSet: a set, and a small one."""

from __future__ import annotations

import random
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.seen import FingerprintSet

_FINGERPRINT = st.integers(0, 2**64 - 1)


@given(st.lists(st.one_of(_FINGERPRINT, st.integers(0, 50)), max_size=3000), st.lists(_FINGERPRINT, max_size=50))
def test_behaves_like_a_set(added: list[int], probes: list[int]) -> None:
    # Up to 3000 additions cross the 1024-fingerprint merge threshold several times.
    seen, reference = FingerprintSet(), set()
    for fingerprint in added:
        assert seen.add(fingerprint) == (fingerprint not in reference)
        reference.add(fingerprint)
    assert len(seen) == len(reference)
    assert all(fingerprint in seen for fingerprint in reference)
    assert [p in seen for p in probes] == [p in reference for p in probes]
    assert list(seen) == sorted(reference)


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_rejects_what_is_not_64_bits(bad: int) -> None:
    with pytest.raises(OverflowError):
        FingerprintSet().add(bad)


def test_extreme_values() -> None:
    seen = FingerprintSet([0, 2**64 - 1])
    assert 0 in seen and 2**64 - 1 in seen and 1 not in seen


@pytest.mark.parametrize("count", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_at_most_16_bytes_per_fingerprint(count: int) -> None:
    rng = random.Random(4)
    fingerprints = [rng.getrandbits(64) for _ in range(count)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        seen = FingerprintSet()
        for fingerprint in fingerprints:
            seen.add(fingerprint)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(seen) == count  # the work was done
    assert used / count <= 16
