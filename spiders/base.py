"""The crawl logic every watch spider shares: link following, argument checks, documents.

A source kind (a portal page, a list of sites, …) is a subclass that only says how its seeds are
found, in :meth:`WatchSpider.start`. Scope (:mod:`spiders.scope`), matching and deduplication
(:mod:`pipelines`), feeds and reports come with this base class and the project settings.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiders import CrawlSpider, Rule

from spiders.arguments import (
    Argument,
    ArgumentError,
    boolean,
    choice,
    equation,
    equations_file,
    parse_arguments,
    state_file,
    whole_number,
)
from spiders.links import PageLinkExtractor
from spiders.scope import KNOWN_START_PAGE, READ_ORDER_KEY, SEED_KEY, SITE_LEVEL_KEY, START_PAGE_KEY
from spiders.signals import page_failed
from watch.analysis import analyse_page
from watch.document import EXPORT_FIELDS, EXPORT_FIELDS_WITH_TEXT, Document
from watch.seeds import Seed
from watch.urls import TrackingParameters, canonicalize, site_of

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from twisted.python.failure import Failure
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import Settings

    from watch.analysis import PageAnalysis

logger = logging.getLogger(__name__)

#: Arguments every watch spider accepts.
COMMON_ARGUMENTS: dict[str, Argument] = {
    "query": Argument(equation, "search equation; only matching documents are exported", "WATCH_QUERY"),
    "queries_file": Argument(
        equations_file, "file of 'name: equation' lines, evaluated together", "WATCH_QUERIES_FILE"
    ),
    "site_depth": Argument(whole_number(0), "levels of sites to read (default 5)", "WATCH_SCOPE_SITE_DEPTH"),
    "pages_per_site": Argument(
        whole_number(1), "pages read per site (default 10)", "WATCH_SCOPE_PAGES_PER_SITE"
    ),
    "with_text": Argument(boolean, "1 to export each document's full text", "WATCH_EXPORT_TEXT"),
    "state": Argument(state_file, "SQLite file remembering documents across runs", "WATCH_STATE_PATH"),
    "changes": Argument(
        choice("all", "new", "changed"), "with state: export all, only new, or new and changed",
        "WATCH_STATE_CHANGES",
    ),
}  # fmt: skip


class WatchSpider(CrawlSpider):
    """A breadth-first crawl of levels of sites, reading each page as a :class:`Document`."""

    arguments: ClassVar[dict[str, Argument]] = COMMON_ARGUMENTS
    tracking: TrackingParameters
    #: Dotted path of the ``(tree) -> PageText`` function giving the searched text (``WATCH_TEXT_EXTRACTOR``).
    text_extractor: str

    # The page is parsed once: parse_page reads response.selector.root, parsel's tree cached on
    # the response, and the rule's link extractor reads the same tree afterwards.
    rules = (Rule(PageLinkExtractor(), callback="parse_page", errback="page_error", follow=True),)

    @classmethod
    def check_arguments(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``-a`` arguments; raise :class:`spiders.arguments.ArgumentError` on the first bad one."""
        parsed = parse_arguments(cls.arguments, given)
        if "changes" in parsed and "state" not in parsed:
            raise ArgumentError(
                f"invalid argument changes={given['changes']!r}: needs state=PATH to compare with"
            )
        return parsed

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        parsed = cls.check_arguments(kwargs)
        cls._apply_settings(crawler.settings, parsed)
        spider = super().from_crawler(crawler, *args, **parsed)
        spider.tracking = TrackingParameters(crawler.settings.getlist("WATCH_URLS_TRACKING_PARAMETERS"))
        spider.text_extractor = crawler.settings.get("WATCH_TEXT_EXTRACTOR")
        return spider

    @classmethod
    def _apply_settings(cls, settings: Settings, parsed: Mapping[str, Any]) -> None:
        for name, value in parsed.items():
            argument = cls.arguments.get(name)
            if argument is not None and argument.setting is not None:
                settings.set(argument.setting, str(value) if isinstance(value, Path) else value, "spider")
        contact = settings.get("WATCH_CONTACT", "").strip()
        if contact and settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:
            # A User-Agent given with -s is the user's own: left as it is.
            settings.set("USER_AGENT", f"{settings.get('USER_AGENT').rstrip(')')}; +{contact})", "spider")
        fields = EXPORT_FIELDS_WITH_TEXT if settings.getbool("WATCH_EXPORT_TEXT") else EXPORT_FIELDS
        settings.set("FEED_EXPORT_FIELDS", list(fields), "spider")
        if not settings.get("WATCH_REPORT_DIR"):
            settings.set("WATCH_REPORT_DIR", str(_report_dir(settings)), "spider")

    @property
    def report_dir(self) -> Path:
        return Path(self.settings.get("WATCH_REPORT_DIR"))

    # -- reading pages ------------------------------------------------------------------------

    def parse_start_url(self, response: Response, **kwargs: Any) -> Iterator[Document]:
        # Seeds are requested without a rule; they are read like any page.
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[Document]:
        """Read a fetched page as a document; a page that cannot be read is counted, not fatal."""
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"watch/pages/status/{response.status}")
        if not 200 <= response.status < 300:
            return
        if not isinstance(response, HtmlResponse):
            stats.inc_value("watch/pages/not_html")
            return
        try:
            page = analyse_page(response.selector.root, response.url, self.text_extractor)
        except Exception:
            stats.inc_value("watch/pages/unreadable")
            logger.exception("Could not read %s; counted under watch/pages/unreadable", response.url)
            return
        stats.inc_value("watch/pages/documents")
        yield self._document(response, page)

    def _document(self, response: HtmlResponse, page: PageAnalysis) -> Document:
        referer = response.request.headers.get("Referer", b"") if response.request else b""
        return Document(
            url=response.url,
            canonical_url=canonicalize(response.url, self.tracking),
            site=site_of(response.url),
            site_level=response.meta.get(SITE_LEVEL_KEY, 0),
            depth=response.meta.get("depth", 0),
            referer=referer.decode("latin-1"),
            status=response.status,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            title=page.title,
            published=page.published,
            language=page.language,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            text_length=len(page.text),
            fingerprint=page.fingerprint,
            text=page.text,
            read_order=response.meta.get(READ_ORDER_KEY, ()),
            words=page.words,
        )

    def page_error(self, failure: Failure) -> None:
        """A page request that failed: counted by the scope (robots.txt refusals give their slot back)."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.signals.send_catch_log(page_failed, request=request, failure=failure)

    # -- seeds ---------------------------------------------------------------------------------

    def seed_request(self, url: str) -> Request:
        """A request for a level-1 page; the scope holds it until level 1 starts."""
        return Request(url, errback=self.page_error, meta={SEED_KEY: True})

    def seed_requests(self, seeds: list[Seed]) -> Iterator[Request]:
        """Requests for a seed list; its start page (rank 0), if any, is made known, never sent."""
        for seed in seeds:
            if seed.rank == 0:
                yield Request(seed.url, meta={START_PAGE_KEY: KNOWN_START_PAGE}, dont_filter=True)
            else:
                yield self.seed_request(seed.url)

    def fail(self, reason: str, message: str) -> None:
        """End the run with an error the crawl command turns into a non-zero exit status."""
        logger.error(message)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("watch/error", message)
        raise CloseSpider(reason)


def _report_dir(settings: Settings) -> Path:
    """The folder of the first local feed (``-O results/x.csv`` → ``results``), else ``results``.

    A feed path with parameters (``results/%(name)s/%(time)s.csv``) gives the folder before the
    first parameter (``results``): reports are written once a run, not once a batch.
    """
    for uri in settings.getdict("FEEDS"):
        parts = urlsplit(str(uri))
        if parts.scheme in ("", "file") and parts.path:
            return Path(parts.path.split("%(", 1)[0] + "x").parent
    return Path("results")
