"""A local HTTP forward proxy that serves many fake ``.test`` sites from memory, over http and https.

Crawls under test are pointed at it through ``http_proxy`` and ``https_proxy``. For an http URL,
Scrapy's ``HttpProxyMiddleware`` sends the request in absolute form (``GET http://blog-a.test/p?x=1
HTTP/1.1``) to this one port; for an https URL it first asks ``CONNECT blog-a.test:443``, and the
proxy answers the tunnel itself, with TLS and a certificate for that host signed by a CA made at
start (:mod:`mockweb.tls`). So no ``.test`` name is ever resolved and one server plays the whole
web. Every request is recorded (``https://`` URLs for those inside a tunnel) before it is answered,
so a test can assert on exactly what a crawl asked for.

A :class:`Resource` is a static answer by default; a few declarative fields make it misbehave as
real servers do: answer late, stream a slow, endless or huge body, reset the connection mid-body,
send a gzip-encoded body, or write arbitrary raw bytes. Each connection has its own thread, so a
slow answer never holds up the others.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import _SocketWriter  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

from mockweb.tls import LocalCA

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from types import TracebackType


@dataclass(frozen=True)
class Stream:
    """A body written chunk by chunk, never held whole in memory: slow, endless or huge answers.

    With ``count`` the answer declares its ``Content-Length`` (``len(chunk) * count``); without,
    it has none and goes on until the client hangs up (the end of the body is the end of the
    connection, as HTTP/1.1 allows).
    """

    chunk: bytes = b"x" * 65536
    #: Chunks to send; ``None``: endless.
    count: int | None = None
    #: Seconds between two chunks.
    interval: float = 0.0

    @property
    def length(self) -> int | None:
        return None if self.count is None else len(self.chunk) * self.count


@dataclass(frozen=True)
class Resource:
    """What the mock web answers for one URL: a static answer, unless a behaviour field is set."""

    body: bytes | str = b""
    status: int = 200
    #: ``None``: no ``Content-Type`` header at all.
    content_type: str | None = "text/html; charset=utf-8"
    #: Extra headers, e.g. ``(("Location", "http://a.test/x"),)`` for a redirect.
    headers: tuple[tuple[str, str], ...] = ()
    #: Seconds to wait before answering, on top of the web's ``latency``.
    delay: float = 0.0
    #: Send ``body`` gzip-compressed (compressed once), with ``Content-Encoding: gzip``.
    gzip: bool = False
    #: Send this stream as the body instead of ``body``.
    stream: Stream | None = None
    #: Reset the connection (TCP RST) after this many bytes of the body.
    reset_after: int | None = None
    #: The whole answer, status line and headers included, written as is; then the connection is
    #: closed. Every other field but ``delay`` is then ignored.
    raw: bytes | None = None

    @property
    def encoded_body(self) -> bytes:
        """The body as a client reads it: ``str`` bodies in UTF-8 (the default content type says
        so), before any gzip encoding."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, recorded before it was answered."""

    method: str
    #: Absolute URL as requested (origin-form requests are rebuilt from the Host header, or from
    #: the tunnel's host for https); for ``CONNECT``, the ``host:port`` asked for.
    url: str
    #: ``time.monotonic()`` at arrival.
    time: float
    headers: dict[str, str]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def resource_key(url: str) -> str:
    """Return the lookup key of an absolute ``url``: the exact URL, only spelled one way.

    Steps: percent-encode as a client would (w3lib's ``safe_url_string``), lower-case scheme and
    host, drop the scheme's default port, write an empty path ``/``, drop the fragment (clients
    never send it). The query is kept as is: ``?a=1&b=2`` and ``?b=2&a=1`` are different
    resources, as on a real server.

    >>> resource_key("HTTP://Blog.TEST:80?b=2&a=1#top")
    'http://blog.test/?b=2&a=1'
    """
    parts = urlsplit(safe_url_string(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        raise ValueError(f"not an absolute URL: {url!r}")
    netloc = host
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _origin_of(key: str) -> str:
    """``scheme://host[:port]`` of a resource key: a web answers 404 on an origin it serves.

    >>> _origin_of("https://blog.test:8443/x?y=1")
    'https://blog.test:8443'
    """
    parts = urlsplit(key)
    return f"{parts.scheme}://{parts.netloc}"


def _connect_origin(authority: str) -> str:
    """The https origin a ``CONNECT host:port`` asks for.

    >>> _connect_origin("Blog.test:443"), _connect_origin("blog.test:8443")
    ('https://blog.test', 'https://blog.test:8443')
    """
    return _origin_of(resource_key(f"https://{authority}/"))


@dataclass(frozen=True)
class _Answer:
    """A resource encoded once, ready to write."""

    resource: Resource
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, resource: Resource) -> _Answer:
        headers = list(resource.headers)
        if resource.content_type is not None:
            headers.insert(0, ("Content-Type", resource.content_type))
        body = resource.encoded_body
        if resource.gzip:
            # Level 1, nginx's default: fast to make for thousands of pages. mtime=0: the same
            # bytes on every run.
            body = gzip.compress(body, compresslevel=1, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        length = len(body) if resource.stream is None else resource.stream.length
        if length is None:
            headers.append(("Connection", "close"))
        else:
            headers.append(("Content-Length", str(length)))
        return cls(resource, tuple(headers), body)

    def chunks(self) -> Iterator[bytes]:
        stream = self.resource.stream
        if stream is None:
            yield self.body
            return
        sent = 0
        while stream.count is None or sent < stream.count:
            yield stream.chunk
            sent += 1


#: What a known host answers for a URL it does not have.
NOT_FOUND = Resource(
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>No such page on this site.</p></body></html>",
    status=404,
)
#: What a proxy answers when the host name does not resolve (or the host serves no https).
UNKNOWN_HOST = Resource("unknown host", status=502, content_type="text/plain; charset=utf-8")


class _ProxyHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests from the server's table; HTTP/1.1 keep-alive.

    After a ``CONNECT`` the same handler goes on serving the tunnel's requests, over TLS.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; without this, Nagle and delayed ACKs stall each
    # keep-alive response by tens of milliseconds.
    disable_nagle_algorithm = True
    server: _Server
    #: ``https://host[:port]`` once this connection is a TLS tunnel.
    tunnel: str | None = None

    def handle(self) -> None:
        """Serve the connection; a client that hangs up or fails its handshake just ends it."""
        try:
            super().handle()
        except (OSError, ValueError):
            # OSError covers resets, broken pipes and TLS errors; ValueError, a file closed under us.
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass
        if self.tunnel is not None:
            self.connection.close()

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(send_body=True)

    def do_CONNECT(self) -> None:
        web = self.server.web
        web._record(self.command, self.path, self.headers.items(), tunnel=True)
        try:
            origin = _connect_origin(self.path)
        except ValueError:
            origin = ""
        if origin not in web._origins or web._ca is None:
            self.close_connection = True
            self._send(web._answers[UNKNOWN_HOST], send_body=True)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        host = urlsplit(origin).hostname or ""
        tls = web._ca.server_context(host).wrap_socket(self.connection, server_side=True)
        self.rfile.close()
        self.connection = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = _SocketWriter(tls)
        self.tunnel = origin
        self.close_connection = False

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a crawl makes thousands of requests."""

    def _absolute_url(self) -> str:
        if self.tunnel is not None:
            return f"{self.tunnel}{self.path}"
        if "://" in self.path:
            return self.path
        return f"http://{self.headers.get('Host', '')}{self.path}"

    def _answer(self, *, send_body: bool) -> None:
        web = self.server.web
        url = self._absolute_url()
        web._record(self.command, url, self.headers.items())
        answer = web._answers[web.resolve(url)]
        delay = web.latency + answer.resource.delay
        if delay and web._stopping.wait(delay):
            self.close_connection = True
            return
        self._send(answer, send_body=send_body)

    def _send(self, answer: _Answer, *, send_body: bool) -> None:
        resource = answer.resource
        if resource.raw is not None:
            self.close_connection = True
            self.wfile.write(resource.raw)
            return
        self.send_response(resource.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        self._write_body(answer)

    def _write_body(self, answer: _Answer) -> None:
        resource = answer.resource
        stopping = self.server.web._stopping
        interval = resource.stream.interval if resource.stream else 0.0
        budget = resource.reset_after
        for number, chunk in enumerate(answer.chunks()):
            if number and interval and stopping.wait(interval):
                break
            if stopping.is_set():
                break
            if budget is not None and len(chunk) >= budget:
                self.wfile.write(chunk[:budget])
                self._reset()
                return
            self.wfile.write(chunk)
            if budget is not None:
                budget -= len(chunk)
        if resource.stream is not None and resource.stream.count is None:
            self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection: with a zero linger time, close() sends a TCP RST, not a FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections must not make stop() wait for the client to hang up.
    block_on_close = False
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], web: MockWeb) -> None:
        self.web = web
        super().__init__(address, _ProxyHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that hang up mid-answer are part of the hostile web."""


class MockWeb:
    """Many fake sites behind one local proxy port, with a log of every request.

    ``resources`` maps absolute URLs to what they answer. An origin (scheme, host and port) that
    appears in ``resources`` answers 404 for other paths; any other answers 502 "unknown host", as
    a proxy does when DNS fails. An https origin is reached through ``CONNECT``, which the proxy
    answers with a TLS tunnel (502 for an origin it does not serve). ``/robots.txt`` is an
    ordinary resource. ``latency`` (seconds) delays every answer, as a distant server would.
    """

    def __init__(
        self, resources: Mapping[str, Resource], *, port: int = 0, latency: float = 0.0
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must be >= 0, got {latency}")
        self._resources = {resource_key(url): r for url, r in resources.items()}
        self._origins = frozenset(_origin_of(key) for key in self._resources)
        self.latency = latency
        # Encoded once: answering is then a dict lookup and two writes.
        every = (*self._resources.values(), NOT_FOUND, UNKNOWN_HOST)
        self._answers = {resource: _Answer.of(resource) for resource in every}
        self._requested_port = port
        self._log: list[RecordedRequest] = []
        self._tunnels: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ca: LocalCA | None = None
        self._ca_dir: Path | None = None

    def start(self) -> MockWeb:
        """Bind 127.0.0.1 (port 0 unless given: the OS picks a free one), make the CA, serve in
        the background."""
        self._stopping.clear()
        self._ca_dir = Path(tempfile.mkdtemp(prefix="mockweb-ca-"))
        self._ca = LocalCA(self._ca_dir)
        self._server = _Server(("127.0.0.1", self._requested_port), self)
        # A short poll interval keeps stop() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="mockweb", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow and endless answers in progress end at their next chunk."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._ca_dir is not None:
            shutil.rmtree(self._ca_dir, ignore_errors=True)
        self._server = self._thread = self._ca = self._ca_dir = None

    def __enter__(self) -> MockWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("MockWeb is not started")
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_cert_path(self) -> Path:
        """The CA certificate (PEM) that signs every https answer, for clients that verify
        (``--ignore-certificate-errors`` spares Chromium the need); it lives while the web runs."""
        if self._ca is None:
            raise RuntimeError("MockWeb is not started")
        return self._ca.cert_path

    def proxy_env(self) -> dict[str, str]:
        """Environment variables that route a client's http and https traffic through this web."""
        url = self.proxy_url
        return {
            "http_proxy": url,
            "https_proxy": url,
            "HTTP_PROXY": url,
            "HTTPS_PROXY": url,
            "no_proxy": "",
            "NO_PROXY": "",
        }

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request for a resource so far, in arrival order (``CONNECT`` apart)."""
        with self._log_lock:
            return list(self._log)

    @property
    def tunnels(self) -> list[RecordedRequest]:
        """A snapshot of every ``CONNECT`` so far, in arrival order (``url`` is ``host:port``)."""
        with self._log_lock:
            return list(self._tunnels)

    def requested_urls(self) -> list[str]:
        return [r.url for r in self.requests]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()
            self._tunnels.clear()

    def _record(self, method: str, url: str, headers: Any, *, tunnel: bool = False) -> None:
        request = RecordedRequest(method, url, time.monotonic(), dict(headers))
        with self._log_lock:
            (self._tunnels if tunnel else self._log).append(request)

    def resolve(self, url: str) -> Resource:
        """What this web answers for ``url`` (no request made, nothing recorded).

        The resource under :func:`resource_key` of ``url``; else :data:`NOT_FOUND` when its origin
        is served, :data:`UNKNOWN_HOST` when it is not.
        """
        try:
            key = resource_key(url)
        except ValueError:
            return UNKNOWN_HOST
        resource = self._resources.get(key)
        if resource is not None:
            return resource
        return NOT_FOUND if _origin_of(key) in self._origins else UNKNOWN_HOST
