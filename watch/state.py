"""The monitoring state: what earlier runs saw, so that a weekly run reports only what is new.

One SQLite file per watch (``-a state=PATH``). For each canonical URL it keeps the content
fingerprint and when the page was first seen, last seen and last changed. Each document of a run
is classified against it as ``new`` (never seen), ``changed`` (another fingerprint) or
``unchanged``.

When is a page "seen"? When a run has *delivered* it: a document counts as known only once the
run that read it has closed its feeds. Until then the run's observations are *pending*: written
to the file in small transactions (so memory stays flat and the file shows progress) and moved
into the known pages in one transaction by :meth:`MonitoringState.finish`. A run killed at any
moment, even by ``kill -9``, leaves the known pages exactly as the last finished run left them;
the next run drops the dead run's pending rows (reported in :attr:`MonitoringState.abandoned`)
and so reports those documents again. The other choice, marking pages seen as they are read,
would lose them: the killed run's feed is cut short, yet the next run would call them unchanged.
Nothing is lost and, in the feed of a finished run, nothing is repeated.

Writes go through SQLite's write-ahead log (``journal_mode=WAL``, ``synchronous=NORMAL``): a
transaction is either wholly in the file or not at all after a process crash, and the file opens
again without repair. (NORMAL may lose the last transactions on a power cut, never consistency.)

Two runs on one state would each classify against the other's half-written results, so a run
holds an exclusive lock for its whole life: ``flock`` on the file ``PATH.lock``. The kernel drops
the lock when the process ends, however it ends, so no stale lock survives a ``kill -9``; the
file itself stays, holding the PID of the last run that locked it, for the error message.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

Change = Literal["new", "changed", "unchanged"]

#: Version of the file layout below, kept in SQLite's ``user_version``.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE pages (
    canonical_url TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE runs (
    run INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    new INTEGER,
    changed INTEGER,
    unchanged INTEGER,
    missing INTEGER
);
CREATE TABLE pending (
    run INTEGER NOT NULL REFERENCES runs(run),
    canonical_url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (run, canonical_url)
) WITHOUT ROWID;
"""


class StateError(Exception):
    """The state file cannot be used: not a watch state, from a newer watch, or not writable.
    ``str()`` is one line naming the file, the problem and what was expected."""


class StateInUse(StateError):
    """Another run holds the state file."""


@dataclass(frozen=True)
class RunSummary:
    """What one finished run found, against the state before it."""

    run: int
    new: int
    changed: int
    unchanged: int
    #: Known pages this run did not read (removed from the web, or out of this run's scope).
    missing: int


class MonitoringState:
    """An open monitoring state, locked for one run. Use it as a context manager.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.sqlite"
    >>> with MonitoringState(path, started_at="2026-01-05T08:00:00Z") as state:
    ...     state.observe("https://a.test/", "00ff", "2026-01-05T08:01:00Z")
    ...     summary = state.finish("2026-01-05T09:00:00Z")
    'new'
    >>> with MonitoringState(path, started_at="2026-01-12T08:00:00Z") as state:
    ...     state.observe("https://a.test/", "00ff", "2026-01-12T08:01:00Z")
    'unchanged'
    """

    def __init__(self, path: str | os.PathLike[str], *, started_at: str, batch_size: int = 100) -> None:
        self.path = Path(path)
        self._batch_size = batch_size
        self._lock = _lock(self.path)
        try:
            self._db = _connect(self.path)
            self.abandoned = self._abandon_unfinished()
            cursor = self._db.execute(
                "INSERT INTO runs (pid, started_at) VALUES (?, ?)", (os.getpid(), started_at)
            )
        except BaseException:
            self._lock.close()
            raise
        assert cursor.lastrowid is not None
        self.run = cursor.lastrowid
        self.counts: dict[Change, int] = {"new": 0, "changed": 0, "unchanged": 0}
        self._uncommitted = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def observe(self, canonical_url: str, fingerprint: str, seen_at: str) -> Change:
        """Classify a document read by this run, and remember it as pending for this run."""
        row = self._db.execute(
            "SELECT fingerprint FROM pages WHERE canonical_url = ?", (canonical_url,)
        ).fetchone()
        change: Change = "new" if row is None else "unchanged" if row[0] == fingerprint else "changed"
        if not self._uncommitted:
            self._db.execute("BEGIN")
        self._db.execute(
            "INSERT INTO pending (run, canonical_url, fingerprint, seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (run, canonical_url)"
            " DO UPDATE SET fingerprint = excluded.fingerprint, seen_at = excluded.seen_at",
            (self.run, canonical_url, fingerprint, seen_at),
        )
        self._uncommitted += 1
        if self._uncommitted >= self._batch_size:
            self._commit()
        self.counts[change] += 1
        return change

    def finish(self, finished_at: str) -> RunSummary:
        """Make this run's documents known, in one transaction; call once its feeds are stored."""
        self._commit()
        with self._transaction():
            missing = self._db.execute(
                "SELECT count(*) FROM pages WHERE canonical_url NOT IN"
                " (SELECT canonical_url FROM pending WHERE run = ?)",
                (self.run,),
            ).fetchone()[0]
            self._db.execute(
                "INSERT INTO pages (canonical_url, fingerprint, first_seen, last_seen, changed_at)"
                " SELECT canonical_url, fingerprint, seen_at, seen_at, seen_at FROM pending WHERE run = ?"
                " ON CONFLICT (canonical_url) DO UPDATE SET"
                " changed_at = CASE WHEN fingerprint = excluded.fingerprint THEN changed_at"
                " ELSE excluded.last_seen END,"
                " fingerprint = excluded.fingerprint, last_seen = excluded.last_seen",
                (self.run,),
            )
            self._db.execute("DELETE FROM pending WHERE run = ?", (self.run,))
            self._db.execute(
                "UPDATE runs SET finished_at = ?, new = ?, changed = ?, unchanged = ?, missing = ?"
                " WHERE run = ?",
                (finished_at, self.counts["new"], self.counts["changed"], self.counts["unchanged"],
                 missing, self.run),
            )  # fmt: skip
        return RunSummary(self.run, missing=missing, **self.counts)

    def close(self) -> None:
        """Commit what is pending (it stays pending) and release the lock."""
        try:
            self._commit()
            self._db.close()
        finally:
            self._lock.close()

    def known(self, canonical_url: str) -> tuple[str, str, str, str] | None:
        """Return ``(fingerprint, first_seen, last_seen, changed_at)`` of a known page."""
        return self._db.execute(
            "SELECT fingerprint, first_seen, last_seen, changed_at FROM pages WHERE canonical_url = ?",
            (canonical_url,),
        ).fetchone()

    def _commit(self) -> None:
        if self._uncommitted:
            self._db.execute("COMMIT")
            self._uncommitted = 0

    def _transaction(self) -> sqlite3.Connection:
        # sqlite3's context manager commits on success and rolls back on error; BEGIN IMMEDIATE
        # takes the write lock at once.
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def _abandon_unfinished(self) -> int:
        """Drop the pending rows of runs that never finished (killed); return how many."""
        with self._transaction():
            dropped = self._db.execute(
                "DELETE FROM pending WHERE run IN (SELECT run FROM runs WHERE finished_at IS NULL)"
            ).rowcount
        return dropped


def check_available(path: str | os.PathLike[str]) -> None:
    """Raise :class:`StateError` now if a run could not use the state at ``path``: another run
    holds it (:class:`StateInUse`), the file or its folder cannot be written (SQLite writes its
    log beside the file), or the file is not a watch state. Lets a crawl refuse a state before it
    starts, with one clear line; the run itself still takes the lock for its life.
    """
    path = Path(path)
    _lock(path).close()
    for target in (path.parent, path) if path.exists() else (path.parent,):
        if not os.access(target, os.W_OK):
            raise StateError(f"cannot write {target}: expected a state file, and a folder, this run may write")
    if path.exists():
        _connect(path).close()


def _lock(path: Path) -> TextIO:
    """Take the exclusive run lock of the state at ``path``, or raise :class:`StateInUse`."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = lock_path.open("a+")
    except OSError as exc:
        raise StateError(
            f"cannot create the lock file {lock_path} ({exc.strerror or exc}): "
            "expected a state in a folder this run may write"
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise StateInUse(
            f"state {path} is in use by another watch run (pid {holder}); "
            "wait for it to finish, or give this run another state=PATH"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


#: What a state path must be, for the messages.
_EXPECTED = "expected a watch state file, or a path where none exists yet"


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating if need be) the state database, in WAL mode, with the current schema."""
    try:
        db = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StateError(f"cannot open the state {path} ({exc}): {_EXPECTED}") from None
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            if db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
                raise StateError(f"{path} is an SQLite file but not a watch state: {_EXPECTED}")
            db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        elif version > SCHEMA_VERSION:
            raise StateError(
                f"{path} was written by a newer watch (state version {version}): expected version "
                f"{SCHEMA_VERSION} or older; run the watch that wrote it, or give another state=PATH"
            )
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StateError(f"{path} is not a watch state file ({exc}): {_EXPECTED}") from None
    except StateError:
        db.close()
        raise
    return db
