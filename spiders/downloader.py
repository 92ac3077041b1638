"""Scrapy's downloader, holding every site to its concurrency (``CONCURRENT_REQUESTS_PER_DOMAIN``).

watch reads each site with few requests at once (2): the politeness a site owner expects, whether
or not a download delay applies. Scrapy 2.19's :class:`~scrapy.core.downloader.Downloader` breaks
that limit when no delay applies (AutoThrottle off and no ``Crawl-delay``, as on an intranet or a
local test web): ``_process_queue`` starts each download as a task that marks its request as
transferring only once the task runs, so when an answer frees a slot the loop still sees the slot
free for every queued request and sends the site's whole queue at once (9 requests to one site,
measured, where 2 were allowed). With a delay it sends one request per call, so the bug never shows.

:class:`Downloader` marks the request as transferring before its task is scheduled; the task's own
mark is then a no-op and its removal, once the answer is in, frees the slot as before.
``settings.base`` sets it as ``DOWNLOADER``.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot


class Downloader(ScrapyDownloader):
    """Scrapy's downloader, with each slot's concurrency kept when no download delay applies."""

    def _process_queue(self, slot: Slot) -> None:
        # Scrapy's own method, but for the line that marks the request as transferring.
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # counted now, not when the task starts
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # one request per call: the next waits for the delay
                self._process_queue(slot)
                break
