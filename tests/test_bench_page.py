"""``python -m bench.page`` does the work on the corpus pages and reports its steps (no duration asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.page import STEPS, Watch, bare_round, corpus
from tests.conftest import REPO


def test_both_sides_do_the_work() -> None:
    pages = corpus()[:5]
    spent, done = Watch().round(pages)
    assert set(spent) == set(STEPS)
    assert done["read"] == 5
    assert done["links"] >= 5 * 20
    assert done["scope_events"] > 0
    seconds, parsing, links = bare_round(pages)
    assert seconds > parsing > 0 and links >= done["links"]


@pytest.mark.slow
def test_quick_run() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.page", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"ratio", "watch_ms_per_page", "bare_ms_per_page", "shell_us_per_page", "peak_rss_mb"}
    assert all(value > 0 for value in result.values())
    table = {line.split("  ")[0].strip() for line in lines[2 : 2 + len(STEPS)]}
    assert table == set(STEPS)
