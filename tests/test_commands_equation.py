"""`scrapy equation` run as an analyst runs it, from the project directory."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.conftest import REPO



def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "equation", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_valid_equation_prints_tree_terms_and_warnings() -> None:
    result = run('Quorum or "Digital Box" SAUF élect*')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'Equation: Quorum or "Digital Box" SAUF élect*',
        "Tree:",
        "  OR",
        "    quorum",
        "    AND",
        '      "digital box"',
        "      NOT elect*",
        "Terms (as written -> as matched):",
        "  Quorum         ->  quorum  [word]",
        '  "Digital Box"  ->  "digital box"  [phrase]',
        "  élect*         ->  elect*  [prefix]",
        "Warnings:",
        "  - 'or' at column 8 is read as the operator OR; quote it (\"or\") to search for the word",
        "  - élect* is matched as elect* (accents removed)",
        '  - letter case is ignored: Quorum, "Digital Box" match in any case',
    ]


def test_clean_equation_has_no_warnings() -> None:
    result = run("quorum OR carata")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "Warnings: none"


@pytest.mark.parametrize(
    ("equation", "column", "message"),
    [
        ("(Quorum OR Carata", 1, "unbalanced '(': no matching ')'"),
        ("el*", 1, "wildcard el* too short: at least 3 letters before '*'"),
        ("", 1, "empty equation: nothing to search"),
    ],
)
def test_malformed_equation_exits_non_zero_with_a_caret(equation: str, column: int, message: str) -> None:
    result = run(equation)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [equation, " " * (column - 1) + "^", f"column {column}: {message}"]


def test_unquoted_words_are_read_as_one_equation() -> None:
    result = run("Quorum", "OR", "Carata")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "Equation: Quorum OR Carata"


def test_missing_equation_is_a_usage_error() -> None:
    result = run()
    assert result.returncode == 2
    assert "give the equation to check" in result.stderr
