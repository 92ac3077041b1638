"""What went wrong with a page request, told by the exception's type and the request, never its message.

The scope gives a page's slot back when robots.txt forbids it, the report lists download errors by
kind, and the stats count each kind under ``watch/faults/<kind>``: all three read
:func:`page_fault`, so a timeout on ``/robots.txt-guide`` is a timeout, not a robots refusal.

The kinds of download error are members of :class:`watch.report.Outcome` (the vocabulary of the
report, where each is a page's outcome under the same key): the spider names the faults of pages
it did receive (a server error, an empty or binary answer…) from the same enum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from OpenSSL.SSL import Error as TlsError
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, TimeoutError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from spiders.netsafety import PrivateAddressRefused, resolved_refusal
from spiders.redirects import RedirectLoop, RedirectNotHttp
from spiders.robots import RobotsTxtRefused
from watch.report import Outcome

if TYPE_CHECKING:
    from scrapy import Request


class PageFault(NamedTuple):
    """A failed page request: the scope ``outcome`` and, for download errors, their ``kind``."""

    outcome: str  #: ``robots``, ``private_address`` or ``error``
    kind: str  #: what ``watch/faults/<kind>`` counts; for an ``error``, an :class:`Outcome` key


# Most specific first: the first class the exception is an instance of names the kind.
_ERROR_KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Outcome], ...] = (
    ((DownloadTimeoutError, TimeoutError), Outcome.TIMEOUT),
    (CannotResolveHostError, Outcome.DNS_ERROR),
    (DownloadConnectionRefusedError, Outcome.CONNECTION_REFUSED),
    (DownloadCancelledError, Outcome.TOO_LARGE),  # DOWNLOAD_MAXSIZE, by Content-Length or while reading
    (
        (ResponseDataLossError, ConnectionLost, ConnectionDone, ResponseFailed, ResponseNeverReceived),
        Outcome.CONNECTION_RESET,
    ),
    (TunnelError, Outcome.PROXY),
    ((ConnectError, DownloadFailedError), Outcome.CONNECTION_FAILED),
)

#: Every kind :func:`page_fault` gives a failed download (outcome ``error``).
DOWNLOAD_FAULTS: frozenset[Outcome] = frozenset(
    {kind for _, kind in _ERROR_KINDS}
    | {Outcome.TLS_ERROR, Outcome.DECOMPRESSION_BOMB, Outcome.REDIRECT_LOOP, Outcome.REDIRECT_NOT_HTTP,
       Outcome.IGNORED, Outcome.ERROR}
)  # fmt: skip


def page_fault(exception: BaseException, request: Request, max_redirects: int) -> PageFault:
    """Classify the failure of ``request``.

    ``max_redirects`` is ``REDIRECT_MAX_TIMES``: an ignored request that has used them all is a
    redirect loop (or a chain too long to follow). A download that failed because the TLS
    handshake did (Twisted reports it among the reasons the response was never received) is a
    ``tls_error``, not a reset connection.
    """
    if isinstance(exception, RobotsTxtRefused):
        return PageFault("robots", "robots")
    if isinstance(exception, PrivateAddressRefused):
        return PageFault("private_address", f"private_address_{exception.refusal.kind}")
    if isinstance(exception, CannotResolveHostError):
        refusal = resolved_refusal(urlparse_cached(request).hostname or "")
        if refusal is not None:
            return PageFault("private_address", f"private_address_{refusal.kind}")
    return PageFault("error", _error_kind(exception, request, max_redirects).value)


def _error_kind(exception: BaseException, request: Request, max_redirects: int) -> Outcome:
    if isinstance(exception, IgnoreRequest):
        if isinstance(exception, RedirectLoop):
            return Outcome.REDIRECT_LOOP
        if isinstance(exception, RedirectNotHttp):
            return Outcome.REDIRECT_NOT_HTTP
        if isinstance(exception.__cause__, _DecompressionMaxSizeExceeded):
            return Outcome.DECOMPRESSION_BOMB
        if request.meta.get("redirect_times", 0) >= max_redirects:
            return Outcome.REDIRECT_LOOP
        return Outcome.IGNORED
    if _failed_tls(exception):
        return Outcome.TLS_ERROR
    for classes, kind in _ERROR_KINDS:
        if isinstance(exception, classes):
            return kind
    return Outcome.ERROR


def _failed_tls(exception: BaseException) -> bool:
    """Whether ``exception``, or one it was raised from, is a TLS error or a response that failed
    because of one (Scrapy raises ``DownloadFailedError`` from Twisted's ``ResponseNeverReceived``,
    whose ``reasons`` hold the ``OpenSSL.SSL.Error``)."""
    seen: BaseException | None = exception
    while seen is not None:
        if isinstance(seen, TlsError):
            return True
        if isinstance(seen, ResponseFailed) and any(reason.check(TlsError) for reason in seen.reasons):
            return True
        seen = seen.__cause__
    return False
