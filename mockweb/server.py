"""A local HTTP forward proxy that serves many fake ``.test`` sites from memory.

Crawls under test are pointed at it through ``http_proxy``: Scrapy's ``HttpProxyMiddleware``
then sends every request in absolute form (``GET http://blog-a.test/p?x=1 HTTP/1.1``) to this one
port, so no ``.test`` name is ever resolved and one server plays the whole web. Every request is
recorded before it is answered, so a test can assert on exactly what a crawl asked for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType


@dataclass(frozen=True)
class Resource:
    """What the mock web answers for one URL."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    #: Extra headers, e.g. ``(("Location", "http://a.test/x"),)`` for a redirect.
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def encoded_body(self) -> bytes:
        """The body as sent: ``str`` bodies in UTF-8 (the default content type says so)."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, recorded before it was answered."""

    method: str
    #: Absolute URL as requested (origin-form requests are rebuilt from the Host header).
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


def _host_of(key: str) -> str:
    """The ``host[:port]`` part of a resource key: what makes a host "known"."""
    return urlsplit(key).netloc


@dataclass(frozen=True)
class _Answer:
    """A resource encoded once, ready to write."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, resource: Resource) -> _Answer:
        headers = (("Content-Type", resource.content_type), *resource.headers)
        return cls(resource.status, headers, resource.encoded_body)


#: What a known host answers for a URL it does not have.
NOT_FOUND = Resource(
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>No such page on this site.</p></body></html>",
    status=404,
)
#: What a proxy answers when the host name does not resolve.
UNKNOWN_HOST = Resource("unknown host", status=502, content_type="text/plain; charset=utf-8")
_NO_CONNECT = _Answer.of(
    Resource(
        "https sites are not simulated", status=501, content_type="text/plain; charset=utf-8"
    )
)


class _ProxyHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests from the server's table; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; without this, Nagle and delayed ACKs stall each
    # keep-alive response by tens of milliseconds.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_CONNECT(self) -> None:
        self.server.web._record(self.command, f"https://{self.path}", self.headers.items())
        self.close_connection = True  # the client would go on with a TLS handshake
        self._send(_NO_CONNECT, send_body=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a crawl makes thousands of requests."""

    def _absolute_url(self) -> str:
        if "://" in self.path:
            return self.path
        return f"http://{self.headers.get('Host', '')}{self.path}"

    def _answer(self, *, send_body: bool) -> None:
        url = self._absolute_url()
        self.server.web._record(self.command, url, self.headers.items())
        self._send(self.server.web._answer(url), send_body=send_body)

    def _send(self, answer: _Answer, *, send_body: bool) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections must not make stop() wait for the client to hang up.
    block_on_close = False
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], web: MockWeb) -> None:
        self.web = web
        super().__init__(address, _ProxyHandler)


class MockWeb:
    """Many fake sites behind one local proxy port, with a log of every request.

    ``resources`` maps absolute URLs to what they answer. A known host (one that appears in
    ``resources``) answers 404 for other paths; an unknown host answers 502 "unknown host", as a
    proxy does when DNS fails; ``CONNECT`` answers 501 (https is not simulated). ``/robots.txt``
    is an ordinary resource.
    """

    def __init__(self, resources: Mapping[str, Resource], *, port: int = 0) -> None:
        self._resources = {resource_key(url): r for url, r in resources.items()}
        self._hosts = frozenset(_host_of(key) for key in self._resources)
        # Encoded once: answering is then a dict lookup and two writes.
        every = (*self._resources.values(), NOT_FOUND, UNKNOWN_HOST)
        self._answers = {resource: _Answer.of(resource) for resource in every}
        self._requested_port = port
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MockWeb:
        """Bind 127.0.0.1 (port 0 unless given: the OS picks a free one) and serve in background."""
        self._server = _Server(("127.0.0.1", self._requested_port), self)
        # A short poll interval keeps stop() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="mockweb", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

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
        """A snapshot of every request received so far, in arrival order."""
        with self._log_lock:
            return list(self._log)

    def requested_urls(self) -> list[str]:
        return [r.url for r in self.requests]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, method: str, url: str, headers: Any) -> None:
        request = RecordedRequest(method, url, time.monotonic(), dict(headers))
        with self._log_lock:
            self._log.append(request)

    def resolve(self, url: str) -> Resource:
        """What this web answers for ``url`` (no request made, nothing recorded).

        The resource under :func:`resource_key` of ``url``; else :data:`NOT_FOUND` when the
        host is known, :data:`UNKNOWN_HOST` when it is not.
        """
        try:
            key = resource_key(url)
        except ValueError:
            return UNKNOWN_HOST
        resource = self._resources.get(key)
        if resource is not None:
            return resource
        return NOT_FOUND if _host_of(key) in self._hosts else UNKNOWN_HOST

    def _answer(self, url: str) -> _Answer:
        return self._answers[self.resolve(url)]
