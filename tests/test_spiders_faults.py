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
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.error import ConnectionLost

from spiders.faults import page_fault
from spiders.netsafety import PrivateAddressRefused
from spiders.robots import RobotsTxtRefused
from watch.netsafety import host_refusal


def _bomb() -> IgnoreRequest:
    try:
        raise IgnoreRequest("too large once decompressed") from _DecompressionMaxSizeExceeded(10**9, 10**6)
    except IgnoreRequest as exc:
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
        (ValueError("something else"), ("error", "other")),
    ],
)  # fmt: skip
def test_page_fault(exception: BaseException, fault: tuple[str, str]) -> None:
    assert page_fault(exception, Request("http://a.test/robots.txt-guide"), max_redirects=5) == fault


def test_an_ignored_request_that_used_every_redirect_is_a_redirect_loop() -> None:
    looping = Request("http://a.test/loop", meta={"redirect_times": 5})
    assert page_fault(IgnoreRequest("max redirections reached"), looping, max_redirects=5) == ("error", "redirect_loop")
