"""The project as Scrapy loads it: the right settings module, the spiders, an offline start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _scrapy(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", *args], cwd=REPO, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_settings_package_is_ours() -> None:
    # A module named `settings` earlier on sys.path would shadow the project's settings package.
    import settings

    assert settings.__file__ is not None
    assert REPO in Path(settings.__file__).resolve().parents
    assert settings.BOT_NAME == "watch"


@pytest.mark.slow
def test_scrapy_loads_the_project_settings() -> None:
    assert _scrapy("settings", "--get", "BOT_NAME").strip() == "watch"
    assert _scrapy("settings", "--get", "WATCH_SCOPE_PAGES_PER_SITE").strip() == "10"


@pytest.mark.slow
def test_spiders_are_listed() -> None:
    assert _scrapy("list").split() == ["expertblogs", "sites"]


@pytest.mark.slow
def test_start_up_never_fetches_the_public_suffix_list() -> None:
    code = (
        "from scrapy.utils.project import get_project_settings; get_project_settings(); "
        "from scrapy.downloadermiddlewares.cookies import _split_domain; "
        "print(repr(_split_domain.suffix_list_urls))"
    )
    env = {k: v for k, v in os.environ.items() if k != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "()"
