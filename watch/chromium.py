"""Is there a Chromium here that Playwright can drive? One check, one clear line when not.

watch renders pages with Debian's ``chromium`` package, never with a browser Playwright downloads
(browsers cannot be downloaded where watch runs). Each Playwright release is built for one
Chromium major version, named in the ``browsers.json`` its driver ships; an older or newer
Chromium may work, or may fail in the middle of a crawl, so the versions are compared before
the crawl starts. A missing executable is caught here too: Playwright itself only logs it when
the first page is rendered, and the crawl would end "finished" having rendered nothing.

:func:`browser_problem` runs the executable once with ``--version`` (about 0.1 s) and caches the
answer per path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import lru_cache
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

#: What to install when something is missing, in the words of the message.
_INSTALL_CHROMIUM = "apt-get install chromium, or set WATCH_CHROMIUM_PATH"
_INSTALL_PLAYWRIGHT = "pip install -r requirements.txt"
_VERSION = re.compile(r"(?:Chromium|Chrome|HeadlessChrome)\S*\s+(\d+)\.\d+\.\d+\.\d+")


def expected_major() -> int | None:
    """The Chromium major version the installed Playwright drives, or ``None`` without Playwright.

    Read from the ``browsers.json`` of Playwright's driver (``"browserVersion": "156.0.8078.4"``).
    """
    spec = find_spec("playwright")
    if spec is None or spec.origin is None:
        return None
    listing = Path(spec.origin).parent / "driver" / "package" / "browsers.json"
    browsers = json.loads(listing.read_text("utf-8"))["browsers"]
    version = next(b["browserVersion"] for b in browsers if b["name"] == "chromium")
    return int(version.split(".", 1)[0])


def chromium_major(version_line: str) -> int | None:
    """The major version in what ``chromium --version`` prints, or ``None`` if it names none.

    >>> chromium_major("Chromium 156.0.8078.114 "), chromium_major("Google Chrome 159.0.8154.6")
    (156, 159)
    >>> chromium_major("/usr/bin/chromium: line 3: syntax error") is None
    True
    """
    match = _VERSION.search(version_line)
    return int(match.group(1)) if match else None


@lru_cache(maxsize=4)
def browser_problem(executable: str) -> str | None:
    """Why Playwright cannot drive the Chromium at ``executable``, in one line; ``None`` if it can.

    Steps: Playwright is installed (its major Chromium version is read); ``executable`` is an
    executable file; it answers ``--version`` with a Chromium version within 10 seconds; that
    major version is Playwright's.
    """
    wanted = expected_major()
    if wanted is None:
        return f"Playwright is missing ({_INSTALL_PLAYWRIGHT})"
    path = Path(executable)
    if not path.is_file() or not os.access(path, os.X_OK):
        return f"Chromium is missing: no executable at {executable} ({_INSTALL_CHROMIUM})"
    try:
        answer = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Chromium at {executable} does not start: {exc}"
    major = chromium_major(answer.stdout)
    if major is None:
        said = " ".join((answer.stdout + answer.stderr).split())[:120] or f"exit status {answer.returncode}"
        return f"{executable} is not a Chromium executable: --version says {said!r}"
    if major != wanted:
        return (
            f"Chromium {major} at {executable} does not match Playwright {metadata.version('playwright')}, "
            f"which drives Chromium {wanted}: install the playwright release made for Chromium {major}"
        )
    return None
