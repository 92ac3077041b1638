"""One request per canonical URL, remembered in 8 bytes (DESIGN §5, issue 4).

Two Scrapy components, set together in the settings::

    REQUEST_FINGERPRINTER_CLASS = "spiders.dupefilter.CanonicalRequestFingerprinter"
    DUPEFILTER_CLASS = "spiders.dupefilter.CompactDupeFilter"

:class:`CanonicalRequestFingerprinter` says when two requests are the same: same method, same body
and same URL in watch's canonical form (:func:`watch.urls.canonicalize`: tracking parameters and
fragments removed, query sorted), where Scrapy's default only applies w3lib's canonical form.
Its fingerprints are 8 bytes of BLAKE2b.

:class:`CompactDupeFilter` is Scrapy's ``RFPDupeFilter`` with a smaller memory: it keeps the first
8 bytes of each fingerprint as one integer in a :class:`watch.seen.FingerprintSet` (about 8 to
11 bytes a URL, against about 100 for ``RFPDupeFilter``'s set of ``bytes``). It works with any
fingerprinter. Kept from ``RFPDupeFilter``: requests with ``dont_filter=True`` are never filtered
(the scheduler does not ask), the first duplicate is logged with a pointer to
``DUPEFILTER_DEBUG`` which logs them all, and ``dupefilter/filtered`` counts them. Not kept:
persistence under ``JOBDIR``, which watch refuses (a crawl resumes through Redis instead: the
README's "Several processes, one crawl").
"""

from __future__ import annotations

import logging
from hashlib import blake2b
from typing import TYPE_CHECKING

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.request import RequestFingerprinter, referer_str

from spiders.config import tracking_parameters
from watch.seen import FingerprintSet
from watch.urls import TrackingParameters, canonicalize

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.utils.request import RequestFingerprinterProtocol

logger = logging.getLogger(__name__)

_FINGERPRINT_BYTES = 8


class CanonicalRequestFingerprinter:
    """Fingerprint requests by method, body and watch's canonical URL, in 8 bytes.

    ``WATCH_URLS_TRACKING_PARAMETERS`` (a list of names and ``prefix*`` patterns) replaces the
    built-in list of tracking parameters. A request whose ``verbatim_url`` meta key is true is
    fingerprinted by its URL as written, as Scrapy's own fingerprinter does.
    """

    def __init__(self, tracking: TrackingParameters | None = None) -> None:
        self._tracking = tracking or TrackingParameters()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(tracking_parameters(crawler.settings))

    def fingerprint(self, request: Request) -> bytes:
        url = request.url if request.meta.get("verbatim_url") else canonicalize(request.url, self._tracking)
        digest = blake2b(digest_size=_FINGERPRINT_BYTES)
        for part in (request.method.encode("ascii"), url.encode("utf-8"), request.body or b""):
            # Length-prefixed, so that no two (method, url, body) triples hash the same bytes.
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()


class CompactDupeFilter(BaseDupeFilter):
    """Filter requests already seen, keeping 8 bytes of each fingerprint (see the module doc)."""

    def __init__(self, debug: bool = False, *, fingerprinter: RequestFingerprinterProtocol | None = None) -> None:
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.debug = debug
        self.logdupes = True
        self._seen = FingerprintSet()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)

    def request_seen(self, request: Request) -> bool:
        key = self.fingerprinter.fingerprint(request)[:_FINGERPRINT_BYTES]
        return not self._seen.add(int.from_bytes(key, "big"))

    def __len__(self) -> int:
        """The number of distinct requests seen."""
        return len(self._seen)

    def log(self, request: Request, spider: Spider) -> None:
        if self.debug:
            logger.debug(
                "Filtered duplicate request: %(request)s (referer: %(referer)s)",
                {"request": request, "referer": referer_str(request)},
                extra={"spider": spider},
            )
        elif self.logdupes:
            logger.debug(
                "Filtered duplicate request: %(request)s - no more duplicates will be shown"
                " (see DUPEFILTER_DEBUG to show all duplicates)",
                {"request": request},
                extra={"spider": spider},
            )
            self.logdupes = False
        assert spider.crawler.stats is not None
        spider.crawler.stats.inc_value("dupefilter/filtered")
