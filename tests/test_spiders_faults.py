"""Failed page requests are classified by the exception's type and the request, never by a message."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from OpenSSL.SSL import Error as TlsError
from scrapy.exceptions import DownloadFailedError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from spiders.faults import DOWNLOAD_FAULTS, page_fault
from spiders.netsafety import PrivateAddressRefused
from spiders.redirects import RedirectLoop, RedirectNotHttp
from spiders.robots import RobotsTxtRefused
from watch.netsafety import host_refusal
from watch.report import Outcome


def _bomb() -> IgnoreRequest:
    try:
        raise IgnoreRequest("too large once decompressed") from _DecompressionMaxSizeExceeded(10**9, 10**6)
    except IgnoreRequest as exc:
        return exc


def _tls_failure() -> DownloadFailedError:
    """What Scrapy's HTTP/1.1 handler raises when the TLS handshake fails (seen against a server
    that answers plain HTTP on an https port)."""
    never = ResponseNeverReceived([Failure(TlsError([("SSL routines", "", "wrong version number")]))])
    try:
        raise DownloadFailedError(str(never)) from never
    except DownloadFailedError as exc:
        return exc


@pytest.mark.parametrize(
    ("exception", "fault"),
    [
        (RobotsTxtRefused("Forbidden by robots.txt"), ("robots", "robots")),
        # A timeout whose URL and message mention robots.txt is a timeout.
        (DownloadTimeoutError("Getting http://a.test/robots.txt-guide took longer"), ("error", "timeout")),
        (IgnoreRequest("Forbidden by robots.txt"), ("error", "ignored")),
        (PrivateAddressRefused("http://10.0.0.1/", host_refusal("10.0.0.1")), ("private_address", "private_address_private")),
        (CannotResolveHostError("no such host"), ("error", "dns_error")),
        (DownloadConnectionRefusedError(), ("error", "connection_refused")),
        (DownloadCancelledError("larger than DOWNLOAD_MAXSIZE"), ("error", "too_large")),
        (ResponseDataLossError(), ("error", "connection_reset")),
        (ConnectionLost(), ("error", "connection_reset")),
        (TunnelError("proxy said no"), ("error", "proxy")),
        (_bomb(), ("error", "decompression_bomb")),
        (_tls_failure(), ("error", "tls_error")),
        (ResponseNeverReceived([Failure(ConnectionLost())]), ("error", "connection_reset")),
        (DownloadFailedError("connection failed"), ("error", "connection_failed")),
        (RedirectLoop("a -> b -> a"), ("error", "redirect_loop")),
        (RedirectNotHttp("file:///etc/passwd"), ("error", "redirect_not_http")),
        (ValueError("something else"), ("error", "error")),
    ],
)  # fmt: skip
def test_page_fault(exception: BaseException, fault: tuple[str, str]) -> None:
    assert page_fault(exception, Request("http://a.test/robots.txt-guide"), max_redirects=5) == fault


def test_an_ignored_request_that_used_every_redirect_is_a_redirect_loop() -> None:
    looping = Request("http://a.test/loop", meta={"redirect_times": 5})
    assert page_fault(IgnoreRequest("max redirections reached"), looping, max_redirects=5) == ("error", "redirect_loop")


def test_download_faults_are_report_outcomes_of_the_same_key() -> None:
    """One vocabulary: each kind counted under watch/faults/<kind> for a failed download is the
    page's outcome in the report, a fault there too."""
    assert all(kind.fault and kind.group.name == "ERROR" for kind in DOWNLOAD_FAULTS)
    kinds = {page_fault(exception, Request("http://a.test/"), 5).kind for exception in (
        DownloadTimeoutError(), CannotResolveHostError(), DownloadConnectionRefusedError(), DownloadCancelledError(),
        ConnectionLost(), TunnelError(), DownloadFailedError(), _tls_failure(), _bomb(), RedirectLoop(),
        RedirectNotHttp(), IgnoreRequest(), ValueError(),
    )}  # fmt: skip
    assert kinds == {kind.value for kind in DOWNLOAD_FAULTS}
    assert {kind.value for kind in Outcome if kind.fault and kind.group.name == "ERROR"} == kinds
