"""The Scrapy side of a shared crawl, in parts that need no crawl (the crawls: test_crawl_shared.py)."""

from __future__ import annotations

import pytest

from spiders.shared import _IDLE_FAST, _IDLE_POLL, _IDLE_POLL_MAX, idle_wait


def _looks(seconds: float) -> list[float]:
    """When a process without a site looks for work, from the moment it has none."""
    looks, now, wait = [], 0.0, _IDLE_POLL
    while now < seconds:
        looks.append(round(now, 6))
        now, wait = now + wait, idle_wait(now, wait)
    return looks


def test_a_process_left_without_a_site_looks_often_then_less_and_less() -> None:
    looks = _looks(3.0)
    fast = [t for t in looks if t < _IDLE_FAST]
    # First, every _IDLE_POLL: the level usually ends then, and the next one starts at once.
    assert len(fast) == pytest.approx(_IDLE_FAST / _IDLE_POLL, abs=1)
    assert all(b - a == pytest.approx(_IDLE_POLL) for a, b in zip(fast, fast[1:]))
    # Then the waits double, up to _IDLE_POLL_MAX (a long wait for a slow site costs little).
    later = [round(b - a, 6) for a, b in zip(looks, looks[1:]) if a >= _IDLE_FAST]
    assert later[:5] == [_IDLE_POLL, 2 * _IDLE_POLL, 4 * _IDLE_POLL, 8 * _IDLE_POLL, _IDLE_POLL_MAX]
    assert set(later[5:]) == {_IDLE_POLL_MAX}
