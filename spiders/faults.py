"""What went wrong with a page request, told by the exception's type and the request, never its message.

The scope gives a page's slot back when robots.txt forbids it, the report lists download errors by
kind, and the stats count each kind under ``watch/faults/<kind>``: all three read
:func:`page_fault`, so a timeout on ``/robots.txt-guide`` is a timeout, not a robots refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

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
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, TimeoutError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from scrapy.utils.httpobj import urlparse_cached

from spiders.netsafety import PrivateAddressRefused, resolved_refusal
from spiders.robots import RobotsTxtRefused

if TYPE_CHECKING:
    from scrapy import Request


class PageFault(NamedTuple):
    """A failed page request: the scope ``outcome`` and, for download errors, their ``kind``."""

    outcome: str  #: ``robots``, ``private_address`` or ``error``
    kind: str  #: what ``watch/faults/<kind>`` counts; the report's outcome key where it has one


# Most specific first: the first class the exception is an instance of names the kind.
_ERROR_KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TimeoutError), "timeout"),
    (CannotResolveHostError, "dns_error"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (DownloadCancelledError, "too_large"),  # DOWNLOAD_MAXSIZE, by Content-Length or while reading
    (
        (ResponseDataLossError, ConnectionLost, ConnectionDone, ResponseFailed, ResponseNeverReceived),
        "connection_reset",
    ),
    (TunnelError, "proxy"),
    ((ConnectError, DownloadFailedError), "connection_failed"),
)


def page_fault(exception: BaseException, request: Request, max_redirects: int) -> PageFault:
    """Classify the failure of ``request``.

    ``max_redirects`` is ``REDIRECT_MAX_TIMES``: an ignored request that has used them all is a
    redirect loop (or a chain too long to follow).
    """
    if isinstance(exception, RobotsTxtRefused):
        return PageFault("robots", "robots")
    if isinstance(exception, PrivateAddressRefused):
        return PageFault("private_address", f"private_address_{exception.refusal.kind}")
    if isinstance(exception, CannotResolveHostError):
        refusal = resolved_refusal(urlparse_cached(request).hostname or "")
        if refusal is not None:
            return PageFault("private_address", f"private_address_{refusal.kind}")
    if isinstance(exception, IgnoreRequest):
        if isinstance(exception.__cause__, _DecompressionMaxSizeExceeded):
            return PageFault("error", "decompression_bomb")
        if request.meta.get("redirect_times", 0) >= max_redirects:
            return PageFault("error", "redirect_loop")
        return PageFault("error", "ignored")
    for classes, kind in _ERROR_KINDS:
        if isinstance(exception, classes):
            return PageFault("error", kind)
    return PageFault("error", "other")
