"""The matching benchmark runs, its engines agree, and it reports its summary (no duration asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_quick_benchmark_runs_and_engines_agree() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.match", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = json.loads(lines[-1])
    assert set(summary) == {
        "docs_per_s_1",
        "docs_per_s_1000",
        "slowdown_1_to_1000",
        "vs_ahocorasick_1000",
        "docs_per_s_1000_from_text",
        "peak_mb_1000",
    }
    assert all(value > 0 for value in summary.values())
    engines = {line[:14].strip() for line in lines[2:-2]}
    assert engines == {"watch", "watch (text)", "ahocorasick", "regex"}
    assert lines[-2].startswith("watch at 1,000 equations: peak traced memory")
