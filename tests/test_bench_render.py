"""``python -m bench.render`` crawls the script-built web three ways and checks the work (no duration asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.render import PAGES, TERM, build_render_bench_web
from tests.conftest import REPO


def test_every_page_is_script_built_and_its_term_is_in_no_body() -> None:
    resources, seeds = build_render_bench_web(2)
    assert len(seeds) == 2 and len(resources) == 2 * (PAGES + 1)
    assert not any(TERM.encode() in resource.encoded_body for resource in resources.values())


@pytest.mark.slow
@pytest.mark.chromium
def test_quick_run() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.render", "--quick"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rendered_pages_per_s"] > 0 and figures["chromium_pss_mb_peak"] > 0
    assert figures["background_requests"] == 0
