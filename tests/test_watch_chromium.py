"""The start-up check of the browser: Playwright's Chromium version against the executable's."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest

from watch.chromium import browser_problem, expected_major

if TYPE_CHECKING:
    from pathlib import Path


def _fake_chromium(folder: Path, says: str) -> str:
    """An executable that answers ``--version`` as a browser would (a shell script)."""
    path = folder / "chromium"
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_playwright_names_the_chromium_it_drives() -> None:
    assert expected_major() == 156  # playwright==1.64.1, pinned for Debian 12's chromium 156


def test_matching_chromium_is_fine(tmp_path: Path) -> None:
    assert browser_problem(_fake_chromium(tmp_path, "Chromium 156.0.8078.114 ")) is None


@pytest.mark.parametrize(
    ("says", "problem"),
    [
        ("Chromium 159.0.8154.6 ", "Chromium 159 at {path} does not match Playwright 1.64.1, which drives Chromium 156"),
        ("/usr/bin/chromium: line 3: syntax error", "{path} is not a Chromium executable: --version says"),
    ],
)
def test_a_mismatched_or_odd_executable_is_one_line(tmp_path: Path, says: str, problem: str) -> None:
    path = _fake_chromium(tmp_path, says)
    found = browser_problem(path)
    assert found is not None and found.startswith(problem.format(path=path))
    assert "\n" not in found


def test_a_missing_executable_says_what_to_install(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "chromium")
    assert browser_problem(missing) == (
        f"Chromium is missing: no executable at {missing} (apt-get install chromium, or set WATCH_CHROMIUM_PATH)"
    )
    assert browser_problem(str(tmp_path)) is not None  # a folder is no executable
