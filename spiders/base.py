"""The crawl logic every watch spider shares: link following, argument checks, documents.

A source kind (a portal page, a list of sites, …) is a subclass that only says how its seeds are
found, in :meth:`WatchSpider.start`. Scope (:mod:`spiders.scope`), matching and deduplication
(:mod:`pipelines`), feeds and reports come with this base class and the project settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiders import CrawlSpider, Rule
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.threads import deferToThread

from spiders.arguments import (
    Argument,
    ArgumentError,
    boolean,
    choice,
    contact,
    crawl_name,
    dotted_path,
    equation,
    equations_file,
    parse_arguments,
    state_file,
    optional,
    setting_boolean,
    whole_number,
)
from spiders.config import read, tracking_parameters
from spiders.evidence import evidence_of
from spiders.links import PageLinkExtractor
from spiders.shared import SHARED_ARGUMENT, SharedRun
from spiders.pdf import declared_pdf, is_pdf, pdf_limits
from spiders.render import (
    PLAIN_RESPONSE_KEY,
    PLAIN_TEXT_KEY,
    RAW_HTML_KEY,
    RENDER_FAILED_KEY,
    RENDER_KEY,
    SHELL,
    SHELL_BECAUSE_KEY,
    RenderConfig,
    page_rendered,
)
from spiders.scope import (
    KNOWN_START_PAGE,
    PAGE_KIND_KEY,
    PAGE_NOTE_KEY,
    READ_AGAIN_KEY,
    READ_ORDER_KEY,
    SEED_KEY,
    SITE_LEVEL_KEY,
    START_PAGE_KEY,
)
from spiders.signals import page_failed
from watch.analysis import analyse_page, analyse_pdf
from watch.document import EXPORT_FIELDS, EXPORT_FIELDS_WITH_TEXT, Document
from watch.metadata import load_language_model
from watch.pdf import PdfError
from watch.render import added_text
from watch.report import Outcome
from watch.seeds import Seed
from watch.shell import shell_verdict
from watch.text import decoding_replaced, looks_binary, parse_html
from watch.urls import TrackingParameters, canonicalize, site_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator, Mapping

    from twisted.python.failure import Failure
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings, Settings

    from watch.analysis import PageAnalysis
    from watch.pdf import PdfLimits

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
    "render": Argument(
        choice("never", "auto", "always"),
        "read script-built pages in Chromium: never, auto (pages that look script-built) or always",
        "WATCH_RENDER",
    ),
    "helper": Argument(
        boolean, "1: help the crawl named crawl_id in WATCH_REDIS_URL (its arguments come from there)"
    ),
    "crawl_id": Argument(crawl_name, "name of the crawl shared through WATCH_REDIS_URL (default: the spider's)"),
}  # fmt: skip

#: Response meta of a plain page read again in the browser: its links are not followed (those
#: of the rendered page will be).
_READING_AGAIN = "watch_reading_again"
#: Page kinds whose links are not followed: answers that hold no web page.
_NO_LINKS = frozenset({Outcome.EMPTY.value, Outcome.NOT_TEXT.value})
#: Meta keys that downloader middlewares set for one download, not copied to the page's second
#: reading (Scrapy's MetaCopyDetectionMiddleware warns about them).
_ONE_DOWNLOAD = frozenset(
    {"_auth_proxy", "_dont_cache", "_scheme_proxy", "cache_timestamp", "download_latency", "redirect_reasons",
     "redirect_times", "redirect_ttl", "redirect_urls", "retry_times"}
)  # fmt: skip


@dataclass(frozen=True)
class SpiderConfig:
    """The settings every watch spider reads, checked once."""

    contact: str  #: ``WATCH_CONTACT``: named in the User-Agent
    text_extractor: str  #: ``WATCH_TEXT_EXTRACTOR``, a dotted path
    text_max_chars: int  #: ``WATCH_TEXT_MAX_CHARS``
    export_text: bool  #: ``WATCH_EXPORT_TEXT`` (the ``with_text`` argument)
    tracking: TrackingParameters  #: ``WATCH_URLS_TRACKING_PARAMETERS``
    #: With an equation (``WATCH_QUERY``, ``WATCH_QUERIES_FILE``), most pages are dropped: their
    #: publication date is read after matching, for the documents exported only.
    dates_later: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            contact=read(settings, "WATCH_CONTACT", optional(contact)).strip(),
            text_extractor=read(settings, "WATCH_TEXT_EXTRACTOR", dotted_path),
            text_max_chars=read(settings, "WATCH_TEXT_MAX_CHARS", whole_number(1)),
            export_text=read(settings, "WATCH_EXPORT_TEXT", setting_boolean),
            tracking=tracking_parameters(settings),
            dates_later=bool(str(settings.get("WATCH_QUERY") or "").strip() or settings.get("WATCH_QUERIES_FILE")),
        )


class WatchSpider(CrawlSpider):
    """A breadth-first crawl of levels of sites, reading each page as a :class:`Document`."""

    arguments: ClassVar[dict[str, Argument]] = COMMON_ARGUMENTS
    #: This process's part in a crawl shared through Redis, or ``None`` (one process).
    shared: SharedRun | None
    #: The ``-a`` arguments as given (a helper: the main's).
    given_arguments: dict[str, str]
    tracking: TrackingParameters
    #: Dotted path of the ``(tree, *, max_chars) -> PageText`` function giving the searched text
    #: (``WATCH_TEXT_EXTRACTOR``).
    text_extractor: str
    #: Characters of a page's text read at most (``WATCH_TEXT_MAX_CHARS``).
    text_max_chars: int
    #: Publication dates are read after matching (see :class:`SpiderConfig`).
    dates_later: bool
    #: How pages are rendered (``render`` argument, ``WATCH_RENDER*`` settings).
    render: RenderConfig
    #: Why this crawl has no browser to render with (``None``: it has one, or never renders).
    browser_problem: str | None
    pdf_limits: PdfLimits

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
        shared = kwargs.pop(SHARED_ARGUMENT, None)
        parsed = cls.check_arguments(kwargs)
        settings = crawler.settings
        if not parsed.get("helper"):
            cls.apply_arguments(settings, parsed)
        # A process of a crawl shared through Redis (spiders/shared.py): ``scrapy crawl`` opened
        # it (a main published its arguments and settings, a helper read them); opened here when
        # the spider is built some other way.
        if shared is None:
            shared = SharedRun.open(settings, cls.name, kwargs)
        if shared is not None:
            if shared.helper:
                own = {name: parsed[name] for name in ("helper", "crawl_id") if name in parsed}
                parsed = {**cls.check_arguments(shared.arguments["arguments"]), **own}
                cls.apply_arguments(settings, parsed)
                shared.apply(settings)
            settings.set("WATCH_REDIS_URL", shared.config.shown, "cmdline")  # logged next, never with a password
        spider = super().from_crawler(crawler, *args, **parsed)
        spider.shared = shared
        # As written, for the record (the coverage report's parameters).
        spider.given_arguments = {name: str(value) for name, value in kwargs.items() if not name.startswith("_")}
        config = SpiderConfig.from_settings(settings)
        spider.tracking = config.tracking
        spider.text_extractor = config.text_extractor
        spider.text_max_chars = config.text_max_chars
        spider.dates_later = config.dates_later
        spider.render = RenderConfig.from_settings(crawler.settings)
        spider.browser_problem = spider.render.browser_problem()
        spider.pdf_limits = pdf_limits(crawler.settings)
        crawler.signals.connect(spider._load_models, signal=signals.spider_opened)
        return spider

    def _load_models(self) -> None:
        """Load the language model in a thread as the crawl opens (not awaited: the start page is
        fetched, or work awaited, meanwhile; see :func:`watch.metadata.load_language_model`)."""
        loading = deferToThread(load_language_model)
        loading.addErrback(lambda failure: logger.error("Loading the language model failed: %s", failure.value))

    @classmethod
    def apply_arguments(cls, settings: Settings, parsed: Mapping[str, Any]) -> None:
        """Write the parsed arguments over the settings they configure (at ``spider`` priority)."""
        for name, value in parsed.items():
            argument = cls.arguments.get(name)
            if argument is not None and argument.setting is not None:
                settings.set(argument.setting, str(value) if isinstance(value, Path) else value, "spider")
        config = SpiderConfig.from_settings(settings)
        if config.contact and settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:
            # A User-Agent given with -s is the user's own: left as it is.
            settings.set("USER_AGENT", f"{settings.get('USER_AGENT').rstrip(')')}; +{config.contact})", "spider")
        fields = EXPORT_FIELDS_WITH_TEXT if config.export_text else EXPORT_FIELDS
        settings.set("FEED_EXPORT_FIELDS", list(fields), "spider")

    # -- reading pages ------------------------------------------------------------------------

    def parse_start_url(self, response: Response, **kwargs: Any) -> AsyncIterator[Document | Request]:
        # Seeds are requested without a rule; they are read like any page.
        return self.parse_page(response)

    async def parse_page(self, response: Response) -> AsyncIterator[Document | Request]:
        """Read a fetched page or PDF as a document; one that cannot be read is counted, not fatal.

        A page read with a 2xx status gives one document: a web page (its plain HTML, or its DOM
        rendered in the browser), or a PDF file. A plain page that looks script-built gives,
        under ``render=auto``, a request to read it again in the browser instead (its links are
        then those of the rendered page). How the page was read is left in its meta for the
        scope (:data:`spiders.scope.PAGE_KIND_KEY`), hence for the coverage report.

        What went wrong on the server's side is a fault (:class:`watch.report.Outcome`), counted
        under ``watch/faults/<kind>`` and the page's outcome: a server error (5xx, after the
        retries), an empty answer, binary bytes served as a web page (judged on the first
        kilobyte, before any parse) and a page that cannot be parsed give no document; a page
        whose bytes its charset cannot decode (``bad_charset``) or whose text is longer than
        ``WATCH_TEXT_MAX_CHARS`` (``text_truncated``) is a document all the same.
        """
        stats = self.crawler.stats
        assert stats is not None
        status = response.status
        if not 200 <= status < 300:
            stats.inc_value(f"watch/pages/status/{status}")
            if status >= 500:
                retries = response.meta.get("retry_times", 0)
                self._fault(response, Outcome.SERVER_ERROR, f"retried {retries} time(s)" if retries else "")
            return
        body = response.body
        if not body or body.isspace():
            stats.inc_value(f"watch/pages/status/{status}")
            stats.inc_value("watch/pages/empty")
            self._fault(response, Outcome.EMPTY)
            return
        if is_pdf(response):
            stats.inc_value(f"watch/pages/status/{status}")
            document = await self._read_pdf(response)
            if document is not None:
                yield document
            return
        if not isinstance(response, HtmlResponse):
            stats.inc_value(f"watch/pages/status/{status}")
            stats.inc_value("watch/pages/not_html")
            self._note(response, "not_html", _content_type(response))
            return
        if looks_binary(body, response.encoding):
            stats.inc_value(f"watch/pages/status/{status}")
            stats.inc_value("watch/pages/not_text")
            self._fault(response, Outcome.NOT_TEXT, _content_type(response))
            return
        try:
            page = analyse_page(
                response.selector.root, response.url, self.text_extractor, self.text_max_chars,
                date=not self.dates_later,
            )  # fmt: skip
        except Exception:
            stats.inc_value(f"watch/pages/status/{status}")
            stats.inc_value("watch/pages/unreadable")
            self._fault(response, Outcome.UNREADABLE)
            logger.exception("Could not read %s; counted under watch/pages/unreadable", response.url)
            return
        if "playwright" in response.flags:
            self._rendered(response, page.text)
        else:
            again = self._read_again(response, page.text)
            if again is not None:
                yield again
                return
        self._text_faults(response, page)
        stats.inc_value(f"watch/pages/status/{status}")
        stats.inc_value("watch/pages/documents")
        yield self._document(response, page)

    def _text_faults(self, response: HtmlResponse, page: PageAnalysis) -> None:
        """Count what is wrong with the text of a page read as a document (its charset, its size);
        the first fault becomes the page's outcome, the others join its note."""
        faults: list[tuple[Outcome, str]] = []
        if decoding_replaced(response.body, response.text, response.encoding):
            faults.append((Outcome.BAD_CHARSET, f"bytes {response.encoding} cannot decode were replaced"))
        if page.truncated:
            faults.append((Outcome.TEXT_TRUNCATED, f"text cut at {self.text_max_chars:,} characters"))
        if not faults:
            return
        stats = self.crawler.stats
        assert stats is not None
        for outcome, note in faults:
            stats.inc_value(f"watch/faults/{outcome.value}")
            logger.info("Page fault (%s), read all the same: %s (%s)", outcome.value, response.url, note)
        notes = [note for _, note in faults]
        if response.meta.get(PAGE_NOTE_KEY):
            notes.append(response.meta[PAGE_NOTE_KEY])
        self._note(response, faults[0][0].value, "; ".join(notes))

    def _requests_to_follow(self, response: Response) -> Iterable[Request | None]:
        # A page read again follows the links of its second reading; an error page, an empty or
        # binary answer has none the scope would take (and binary bytes are not parsed for them).
        if (
            response.meta.get(_READING_AGAIN)
            or not 200 <= response.status < 300
            or response.meta.get(PAGE_KIND_KEY) in _NO_LINKS
        ):
            return ()
        return super()._requests_to_follow(response)

    def _read_again(self, response: HtmlResponse, text: str) -> Request | None:
        """The request reading a plain page again in the browser, when it looks script-built and
        can be rendered; else ``None`` (the page is read as it is, and a shell is noted as such)."""
        verdict = shell_verdict(response.selector.root, text, self.render.shell)
        if not verdict.is_shell:
            return None
        stats = self.crawler.stats
        assert stats is not None
        failed = response.meta.get(RENDER_FAILED_KEY)
        if response.meta.get(RENDER_KEY) != SHELL:  # a shell whose rendering failed was counted already
            stats.inc_value("watch/render/candidates")
            for signal in verdict.signals:
                stats.inc_value(f"watch/render/signal/{signal.name}")
        if self.render.mode == "auto" and self.browser_problem is None and not failed:
            assert response.request is not None
            again = response.request.replace(
                url=response.url,
                meta={**{k: v for k, v in response.meta.items() if k not in _ONE_DOWNLOAD}, RENDER_KEY: SHELL, READ_AGAIN_KEY: True, PLAIN_TEXT_KEY: text,
                      PLAIN_RESPONSE_KEY: response, SHELL_BECAUSE_KEY: verdict.because},
                dont_filter=True,
            )  # fmt: skip
            response.meta[_READING_AGAIN] = True
            return again
        stats.inc_value("watch/render/unrendered")
        if failed:
            why = f"rendering failed ({failed})"
        elif self.render.mode == "auto":
            why = f"no browser ({self.browser_problem})"
        else:
            why = f"render={self.render.mode}"
        self._note(response, "script_shell", f"looked script-built ({verdict.because}); read without a browser: {why}")
        return None

    def _rendered(self, response: HtmlResponse, text: str) -> None:
        """Count what rendering added to a page read in the browser, and tell the render policy."""
        stats = self.crawler.stats
        assert stats is not None
        because = response.meta.get(SHELL_BECAUSE_KEY, "")
        if response.meta.get(RENDER_KEY) == SHELL:
            plain = response.meta.get(PLAIN_TEXT_KEY, "")
        else:  # went straight to the browser: the HTML the server sent tells what the scripts added
            tree = parse_html(response.meta.get(RAW_HTML_KEY) or "<html></html>")
            plain = load_object(self.text_extractor)(tree, max_chars=self.text_max_chars).text
            because = shell_verdict(tree, plain, self.render.shell).because
        added = added_text(plain, text)
        stats.inc_value("watch/render/added_chars", added)
        if added < self.render.min_added_chars:
            stats.inc_value("watch/render/added_nothing")
        self.crawler.signals.send_catch_log(page_rendered, site=site_of(response.url), shell=bool(because), added=added)
        looked = f"plain HTML looked script-built ({because}); " if because else ""
        self._note(response, "rendered", f"{looked}rendering added {added} characters of text")

    async def _read_pdf(self, response: Response) -> Document | None:
        """Read a PDF file, off the reactor's thread (pypdf is pure Python: tens of ms a page)."""
        stats = self.crawler.stats
        assert stats is not None
        try:
            pdf = await maybe_deferred_to_future(deferToThread(analyse_pdf, response.body, self.pdf_limits))
        except PdfError as exc:
            stats.inc_value(f"watch/pdf/{exc.kind}")
            stats.inc_value("watch/pages/unreadable")
            self._fault(response, Outcome.UNREADABLE, f"PDF not read ({exc.kind}): {exc}")
            return None
        except Exception:
            stats.inc_value("watch/pages/unreadable")
            self._fault(response, Outcome.UNREADABLE, "PDF not read: unexpected error")
            logger.exception("Could not read the PDF %s; counted under watch/pages/unreadable", response.url)
            return None
        stats.inc_value("watch/pdf/read")
        if pdf.truncated:
            stats.inc_value("watch/pdf/truncated")
        stats.inc_value("watch/pages/documents")
        stats.inc_value("watch/pdf/skipped_pages", pdf.skipped_pages)
        stats.inc_value("watch/pdf/textless_pages", pdf.textless_pages)
        details = [
            f"{pdf.pages_read} of {pdf.pages} page(s) read",
            *(["truncated at a limit"] if pdf.truncated else []),
            *([f"{pdf.skipped_pages} page(s) could not be read"] if pdf.skipped_pages else []),
            *([f"{pdf.textless_pages} page(s) without text (scans?)"] if pdf.textless_pages else []),
        ]
        self._note(response, "pdf", ", ".join(details))
        # Read as a PDF, it is exported as one, whatever label the server gave it.
        return self._document(response, pdf, None if declared_pdf(response) else "application/pdf")

    @staticmethod
    def _note(response: Response, kind: str, note: str = "") -> None:
        """Tell the scope how the page was read (its outcome in the coverage report), and why."""
        response.meta[PAGE_KIND_KEY] = kind
        response.meta[PAGE_NOTE_KEY] = note

    def _fault(self, response: Response, fault: Outcome, note: str = "") -> None:
        """Count and log a fault of the page (``watch/faults/<kind>``), and make it the page's outcome."""
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"watch/faults/{fault.value}")
        logger.info("Page fault (%s): %s%s", fault.value, response.url, f" ({note})" if note else "")
        self._note(response, fault.value, note)

    def _document(self, response: Response, page: PageAnalysis, content_type: str | None = None) -> Document:
        referer = response.request.headers.get("Referer", b"") if response.request else b""
        if content_type is None:
            content_type = _content_type(response)
        return Document(
            url=response.url,
            canonical_url=canonicalize(response.url, self.tracking),
            site=site_of(response.url),
            site_level=response.meta.get(SITE_LEVEL_KEY, 0),
            depth=response.meta.get("depth", 0),
            referer=referer.decode("latin-1"),
            status=response.status,
            content_type=content_type,
            title=page.title,
            published=page.published or "",
            language=page.language,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            text_length=len(page.text),
            fingerprint=page.fingerprint,
            text=page.text,
            read_order=response.meta.get(READ_ORDER_KEY, ()),
            words=page.words,
            html=response.text if page.published is None else "",
        )

    def page_error(self, failure: Failure) -> None:
        """A page request that failed: counted by the scope (robots.txt refusals give their slot back)."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.signals.send_catch_log(page_failed, request=request, failure=failure)

    # -- seeds ---------------------------------------------------------------------------------

    def record_seeds(self, seeds: list[Seed]) -> None:
        """The seeds this run uses (a start page as rank 0): part of the run's evidence
        (``seeds.csv``, to rerun from them)."""
        evidence_of(self.crawler).record_seeds(seeds)

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


def _content_type(response: Response) -> str:
    return response.headers.get("Content-Type", b"").decode("latin-1")
