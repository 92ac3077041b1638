"""The monitoring state: classification across runs, a killed run, two runs at once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from watch.state import MonitoringState, StateError, StateInUse, check_available


def _run(path: Path, pages: dict[str, str], day: int, *, finish: bool = True) -> dict[str, str]:
    with MonitoringState(path, started_at=f"2026-01-{day:02d}T08:00:00+00:00") as state:
        changes = {url: state.observe(url, fp, f"2026-01-{day:02d}T08:30:00+00:00") for url, fp in pages.items()}
        if finish:
            state.finish(f"2026-01-{day:02d}T09:00:00+00:00")
    return changes


def test_two_weekly_runs(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = _run(path, {"https://a.test/1": "aa", "https://a.test/2": "bb", "https://a.test/3": "cc"}, 5)
    assert set(first.values()) == {"new"}
    second = _run(path, {"https://a.test/1": "aa", "https://a.test/2": "b2", "https://a.test/4": "dd"}, 12)
    assert second == {"https://a.test/1": "unchanged", "https://a.test/2": "changed", "https://a.test/4": "new"}
    with MonitoringState(path, started_at="2026-01-19T08:00:00+00:00") as state:
        assert state.known("https://a.test/2") == (
            "b2", "2026-01-05T08:30:00+00:00", "2026-01-12T08:30:00+00:00", "2026-01-12T08:30:00+00:00",
        )  # fmt: skip
        assert state.known("https://a.test/1")[3] == "2026-01-05T08:30:00+00:00"  # never changed
        assert state.known("https://a.test/3")[2] == "2026-01-05T08:30:00+00:00"  # not read on the 12th
        summary = state.finish("2026-01-19T09:00:00+00:00")
    assert (summary.new, summary.changed, summary.unchanged, summary.missing) == (0, 0, 0, 4)


def test_an_unfinished_run_changes_nothing_and_is_reported_again(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    _run(path, {"https://a.test/1": "aa"}, 5)
    assert _run(path, {"https://a.test/1": "a2", "https://a.test/2": "bb"}, 12, finish=False) == {
        "https://a.test/1": "changed",
        "https://a.test/2": "new",
    }
    with MonitoringState(path, started_at="2026-01-13T08:00:00+00:00") as state:
        assert state.abandoned == 2
        assert state.observe("https://a.test/1", "a2", "2026-01-13T08:30:00+00:00") == "changed"
        assert state.observe("https://a.test/2", "bb", "2026-01-13T08:30:00+00:00") == "new"


def test_a_second_run_on_the_same_state_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with MonitoringState(path, started_at="t0"):
        with pytest.raises(StateInUse, match=r"in use by another watch run \(pid \d+\)"):
            MonitoringState(path, started_at="t1")
    MonitoringState(path, started_at="t2").close()  # free again once the first is closed


@pytest.mark.parametrize(
    ("content", "message"), [(b"not a database at all" * 100, "not a watch state file"), (None, "not a watch state")]
)
def test_refuses_files_that_are_not_a_state(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "other.sqlite"
    if content is None:
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    else:
        path.write_bytes(content)
    with pytest.raises(StateError, match=message):
        MonitoringState(path, started_at="t0")
    MonitoringState(tmp_path / "fresh.sqlite", started_at="t0").close()  # the lock was released


def test_a_state_from_a_newer_watch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    MonitoringState(path, started_at="t0").close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StateError, match=r"newer watch \(state version 99\): expected version 1 or older"):
        check_available(path)


def test_a_state_in_a_folder_no_run_may_write_is_refused() -> None:
    """sysfs refuses new files even to root: a folder no run may write, on any Linux."""
    with pytest.raises(StateError, match=r"cannot create the lock file /sys/watch.sqlite.lock \(Permission denied\)"):
        check_available("/sys/watch.sqlite")


def test_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    _run(path, {"https://a.test/1": "aa"}, 5)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# A run that never ends: run after run, each observing 50 pages with its run number as their
# fingerprint, committing in batches of 7, then finishing. The test kills it with SIGKILL.
_RUNNER = """
import sys
from watch.state import MonitoringState
path = sys.argv[1]
print("started", flush=True)
while True:
    with MonitoringState(path, started_at="t", batch_size=7) as state:
        for i in range(50):
            state.observe(f"https://a.test/{i}", str(state.run), "t")
        state.finish("t")
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5, 1.0])
def test_kill_9_at_any_moment_leaves_a_consistent_unlocked_state(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "state.sqlite"
    with subprocess.Popen([sys.executable, "-c", _RUNNER, str(path)], cwd=REPO, stdout=subprocess.PIPE) as runner:
        assert runner.stdout is not None and runner.stdout.readline() == b"started\n"
        time.sleep(delay)
        runner.send_signal(signal.SIGKILL)
    assert runner.returncode == -signal.SIGKILL
    with MonitoringState(path, started_at="after") as state:  # opens, and is not locked
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last = db.execute("SELECT max(run) FROM runs WHERE finished_at IS NOT NULL").fetchone()[0]
        pages = db.execute("SELECT fingerprint, count(*) FROM pages GROUP BY fingerprint").fetchall()
        db.close()
        # Known pages are exactly those of the last finished run: nothing half-applied.
        assert pages == ([] if last is None else [(str(last), 50)])
        assert state.observe("https://a.test/0", str(last), "t") == ("new" if last is None else "unchanged")
