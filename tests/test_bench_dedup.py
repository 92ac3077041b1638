"""``python -m bench.dedup --quick`` runs, does the work, and ends with its JSON line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.dedup import EDIT_RATES, _corpus_words, bench_near_duplicates
from tests.conftest import REPO



def test_planted_near_duplicates_are_found() -> None:
    result = bench_near_duplicates(_corpus_words(), copies=1)
    texts = len(_corpus_words())
    assert result["documents"] == texts * (1 + len(EDIT_RATES))
    assert result["recall"] >= 0.9 and result["precision"] >= 0.95


@pytest.mark.slow
def test_quick_run() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.dedup", "--quick"], cwd=REPO, capture_output=True, text=True, timeout=600, check=True
    )
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"bytes_per_url_ours", "bytes_per_url_scrapy", "simhash_per_s"}
    assert 0 < result["bytes_per_url_ours"] <= 16 < result["bytes_per_url_scrapy"]
    assert result["simhash_per_s"] > 0
    assert sum("20,000 URLs" in line for line in lines) == 2  # both filters ran
