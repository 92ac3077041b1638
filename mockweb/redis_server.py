"""A real ``redis-server`` on 127.0.0.1, for the tests and benchmarks of a crawl shared by processes.

Debian's ``redis-server`` package (installed by ``make system`` when missing) is started on a
free loopback port with persistence off (``--save ''``, ``--appendonly no``): every test gets an
empty server that leaves nothing on disk. It can be stopped and started again on the same port, as
a Redis restart looks to the crawl (its data lost), or, with ``persistent=True``, with an
append-only file written at every command in a folder of its own (its data kept, as a Redis
restarted by an administrator); and it can be paused (``SIGSTOP``: it accepts connections and
answers nothing, as an unreachable host looks) and resumed. A missing ``redis-server`` is an error
that says what to install, never a skipped test.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType


class RedisServerMissing(RuntimeError):
    """No ``redis-server`` executable on this machine."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1:port``, optionally with a password."""

    def __init__(self, *, password: str = "", executable: str | None = None, persistent: bool = False) -> None:
        found = executable or shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(found).is_file():
            raise RedisServerMissing(
                "redis-server is missing: install Debian's redis-server package (`make system` does, as root)"
            )
        self.executable = found
        self.password = password
        self.port = _free_port()
        #: With persistence: the folder of its append-only file (removed by :meth:`close`).
        self.data_dir = Path(tempfile.mkdtemp(prefix="redis-")) if persistent else None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://[:password@]127.0.0.1:port/0``."""
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (on the same port as before, after :meth:`stop`) and wait until it answers."""
        command = [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        if self.data_dir is None:
            command += ["--appendonly", "no", "--dir", "/tmp"]
        else:
            command += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.data_dir)]
        if self.password:
            command += ["--requirepass", self.password]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop the server at once (``SIGKILL``: without persistence, its data is gone)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGCONT)  # a paused server could not die
            self._process.kill()
            self._process.wait()
            self._process = None

    def close(self) -> None:
        """Stop the server and remove its data."""
        self.stop()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def pause(self) -> None:
        """Freeze the server (``SIGSTOP``): connections open, nothing answered."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (``SIGCONT``)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                if self.password:
                    connection.sendall(f"AUTH {self.password}\r\n".encode())
                    connection.recv(64)
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
