"""The tokeniser benchmark checks old and new agree, runs, and reports its summary (no duration asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import tokenize as bench
from tests.conftest import REPO
from watch import normalize
from watch.normalize import Token


def test_differences_are_explained_only_by_the_fixes() -> None:
    text = "Titre\nlʼélection हिन्दी, le quorum"
    assert bench.tokenize(text) != normalize.tokenize(text)  # the old tokeniser read them otherwise
    assert bench.unexplained(text) == []


def test_a_difference_outside_the_fixes_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    shouting = [Token(word.upper(), 0, 1) for word in normalize.words("le quorum")]
    monkeypatch.setattr(normalize, "tokenize", lambda text: shouting)
    assert bench.unexplained("le quorum") != []


@pytest.mark.slow
def test_quick_benchmark_runs_and_old_and_new_agree() -> None:
    command = [sys.executable, "-m", "bench.tokenize", "--quick"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=True)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("102 pages")
    summary = json.loads(lines[-1])
    assert set(summary) == {"old_mb_per_s", "new_mb_per_s", "speedup", "words_speedup", "page_speedup"}
    assert all(value > 0 for value in summary.values())
    assert {line.split()[0] + " " + line.split()[1] for line in lines[2:6]} == {
        "old tokenize", "old words", "new words", "new spans"
    }
