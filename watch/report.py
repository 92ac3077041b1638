"""The coverage report: what a crawl read and what it left out, and why (DESIGN §8).

A run that finds nothing must be believable. The report holds the run's parameters and seeds, the
sites of each level with every page counted against their budgets and what became of it, the sites
discovered but not crawled and why, what each term of each equation hit and nearly hit, and totals
that reconcile (pages requested, documents read, documents exported, items in each feed).

It is built once, from typed values that the Scrapy adapters hand over (:func:`build_report`), is
written as ``coverage.json`` and as the self-contained page ``coverage.html``
(:func:`write_report`), and is read back with :func:`read_report`;
``python -m watch.report results/coverage.json`` prints its summary and rebuilds the page.

What became of a page, of a site, of a link is a closed vocabulary with labels for people
(:class:`Outcome`, :class:`NotCrawledReason`, :class:`LinkSkip`): a new kind of outcome is one more
member here, never a new string for a reader of the report to parse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watch.query import QuerySet

from watch.seeds import Seed

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


#: Version of the ``coverage.json`` layout; 1 was the unversioned layout of watch 0.1.
SCHEMA_VERSION = 2
JSON_FILE = "coverage.json"
HTML_FILE = "coverage.html"
#: URLs kept per term as examples of the documents it hit.
FIRST_URLS = 5


# -- vocabularies ----------------------------------------------------------------------------


class OutcomeGroup(Enum):
    """Families of page outcomes, for totals and for the eye; the value is the label."""

    DOCUMENT = "read as a document"
    NO_DOCUMENT = "read, no document"
    ERROR = "failed"
    REDIRECTED = "redirected"
    NOT_SENT = "never requested"


class Outcome(Enum):
    """What became of one page of a site: the scope's verdict, refined by the adapters.

    A member is ``(key, label, group, counted, fault)``: ``key`` is what ``coverage.json`` holds,
    ``label`` is for people, ``counted`` says whether the page used a slot of its site's budget.
    ``counted`` must agree with :mod:`watch.scope`, which gives the slot back for a page never
    sent (robots.txt, duplicate) or counted on the site it was redirected to; the report's totals
    check it (:meth:`CoverageReport.reconciliations`).

    ``fault`` marks what went wrong on the web's side (a server, a network, a page): the crawl
    counts each such page under ``watch/faults/<key>``, with the same key, and the report lists
    them by kind (:attr:`CoverageReport.faults`). This enum is that vocabulary: a new kind of
    fault is one more member here. A page read despite a fault (``bad_charset``,
    ``text_truncated``) is still a document; the crawl's own decisions (robots.txt, budgets,
    duplicates, private addresses) are not faults.

    >>> Outcome("robots").label, Outcome.ROBOTS.counted, Outcome.TIMEOUT.group.value
    ('refused by robots.txt', False, 'failed')
    >>> Outcome.TEXT_TRUNCATED.group.value, Outcome.TEXT_TRUNCATED.fault, Outcome.ROBOTS.fault
    ('read as a document', True, False)
    """

    label: str
    group: OutcomeGroup
    counted: bool
    fault: bool

    def __new__(
        cls, key: str, label: str, group: OutcomeGroup, counted: bool = True, fault: bool = False
    ) -> Outcome:
        member = object.__new__(cls)
        member._value_ = key
        member.label = label
        member.group = group
        member.counted = counted
        member.fault = fault
        return member

    READ = ("read", "read", OutcomeGroup.DOCUMENT)
    RENDERED = ("rendered", "read in a browser", OutcomeGroup.DOCUMENT)
    PDF = ("pdf", "read as PDF", OutcomeGroup.DOCUMENT)
    SCRIPT_SHELL = ("script_shell", "looked script-built, read without a browser", OutcomeGroup.DOCUMENT)
    BAD_CHARSET = (
        "bad_charset", "read, with bytes its charset cannot decode replaced", OutcomeGroup.DOCUMENT, True, True
    )  # fmt: skip
    TEXT_TRUNCATED = (
        "text_truncated", "read, text cut at WATCH_TEXT_MAX_CHARS", OutcomeGroup.DOCUMENT, True, True
    )  # fmt: skip
    NOT_HTML = ("not_html", "not a web page", OutcomeGroup.NO_DOCUMENT)
    NOT_TEXT = ("not_text", "binary content served as a web page", OutcomeGroup.NO_DOCUMENT, True, True)
    EMPTY = ("empty", "empty answer", OutcomeGroup.NO_DOCUMENT, True, True)
    UNREADABLE = ("unreadable", "could not be parsed", OutcomeGroup.NO_DOCUMENT, True, True)
    SERVER_ERROR = ("server_error", "server error (HTTP 5xx), after a retry", OutcomeGroup.NO_DOCUMENT, True, True)
    HTTP_ERROR = ("http_error", "HTTP status other than 2xx", OutcomeGroup.NO_DOCUMENT)
    ERROR = ("error", "download error", OutcomeGroup.ERROR, True, True)
    TIMEOUT = ("timeout", "timed out", OutcomeGroup.ERROR, True, True)
    DNS_ERROR = ("dns_error", "host name not found", OutcomeGroup.ERROR, True, True)
    CONNECTION_REFUSED = ("connection_refused", "connection refused", OutcomeGroup.ERROR, True, True)
    CONNECTION_RESET = ("connection_reset", "connection reset", OutcomeGroup.ERROR, True, True)
    CONNECTION_FAILED = ("connection_failed", "connection failed", OutcomeGroup.ERROR, True, True)
    PROXY = ("proxy", "the proxy could not reach the site", OutcomeGroup.ERROR, True, True)
    TLS_ERROR = ("tls_error", "TLS handshake failed", OutcomeGroup.ERROR, True, True)
    TOO_LARGE = ("too_large", "response larger than DOWNLOAD_MAXSIZE", OutcomeGroup.ERROR, True, True)
    DECOMPRESSION_BOMB = ("decompression_bomb", "decompression bomb", OutcomeGroup.ERROR, True, True)
    REDIRECT_LOOP = ("redirect_loop", "redirect loop, or chain too long", OutcomeGroup.ERROR, True, True)
    REDIRECT_NOT_HTTP = (
        "redirect_not_http", "redirected to an address that is not http(s)", OutcomeGroup.ERROR, True, True
    )  # fmt: skip
    IGNORED = ("ignored", "dropped by a downloader middleware", OutcomeGroup.ERROR, True, True)
    LOST = ("lost", "never finished", OutcomeGroup.ERROR)
    REDIRECT_REFUSED = (
        "redirect_refused", "redirect not followed (target site full or page read)", OutcomeGroup.REDIRECTED
    )  # fmt: skip
    REDIRECT_TO_KNOWN = ("redirect_to_known", "redirect to a page already requested", OutcomeGroup.REDIRECTED)
    MOVED = ("moved", "redirected to another site, counted there", OutcomeGroup.REDIRECTED, False)
    ROBOTS = ("robots", "refused by robots.txt", OutcomeGroup.NOT_SENT, False)
    PRIVATE_ADDRESS = ("private_address", "refused: private or local address", OutcomeGroup.NOT_SENT, False)
    DUPLICATE = ("duplicate", "same page requested already", OutcomeGroup.NOT_SENT, False)

    @classmethod
    def of(cls, key: str) -> Outcome:
        """The outcome written ``key``; an unknown key is named in the error with the known ones."""
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(member.value for member in cls)
            raise ValueError(f"unknown page outcome {key!r} (known: {known})") from None


class NotCrawledReason(Enum):
    """Why a site the crawl discovered was not read at all."""

    label: str

    def __new__(cls, key: str, label: str) -> NotCrawledReason:
        member = object.__new__(cls)
        member._value_ = key
        member.label = label
        return member

    TOO_DEEP = ("too_deep", "deeper than site_depth: never requested, not even its robots.txt")
    ROBOTS = ("robots", "robots.txt refused every page it was entered by")
    PRIVATE_ADDRESS = ("private_address", "its address is private or local: refused")


#: A site every page of which had one of these outcomes was not crawled, for that reason.
_OUTCOME_KEYS = frozenset(outcome.value for outcome in Outcome)

_SITE_REFUSED = {
    Outcome.ROBOTS: NotCrawledReason.ROBOTS,
    Outcome.PRIVATE_ADDRESS: NotCrawledReason.PRIVATE_ADDRESS,
}


class LinkSkip(Enum):
    """Links the scope did not follow, and why: the value is the scope's event name
    (:attr:`watch.scope.CrawlScope.events`), ``key`` the name under ``skipped`` in the JSON."""

    key: str
    label: str

    def __new__(cls, event: str, key: str, label: str) -> LinkSkip:
        member = object.__new__(cls)
        member._value_ = event
        member.key = key
        member.label = label
        return member

    BEYOND_BUDGET = ("budget_exhausted", "links_beyond_page_budget", "links beyond their site's page budget")
    TOO_DEEP = ("too_deep_link", "links_to_sites_too_deep", "links to sites deeper than site_depth")
    NOT_HTTP = ("not_http", "links_not_http", "links that are not http(s)")
    ALREADY_TAKEN = ("duplicate_link", "links_already_seen", "links to a page already taken")
    KNOWN_SITE = ("known_site_link", "links_to_known_sites", "links to a site reached already")
    REDIRECT_REFUSED = ("redirect_refused", "redirects_refused", "redirects not followed")
    SEED_ON_KNOWN_SITE = ("seed_on_known_site", "seeds_on_known_sites", "seeds on a site reached already")


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunParameters:
    """What the crawl was asked to do, with what, and when (the scope's own two numbers are
    :attr:`CoverageReport.site_depth` and :attr:`CoverageReport.pages_per_site`)."""

    spider: str
    start_url: str = ""
    #: name -> equation, in the order given (``query`` for ``-a query=``).
    equations: Mapping[str, str] = field(default_factory=dict)
    #: The spider arguments as given, for the record (``seeds_file``, ``state``, ...).
    arguments: Mapping[str, str] = field(default_factory=dict)
    render_mode: str = "off"
    #: software -> version (see :func:`software_versions`).
    versions: Mapping[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    finish_reason: str = ""
    #: The crawl was stopped before it ran out of pages (Ctrl-C, a limit, a fatal error).
    interrupted: bool = False


@dataclass(frozen=True)
class PageRecord:
    """One page slot of a site, in the site's breadth-first order."""

    url: str
    status: int | None
    outcome: Outcome
    title: str = ""
    #: What else a reader may want: an error message, a redirect target.
    detail: str = ""


@dataclass(frozen=True)
class SiteRecord:
    """A site the crawl entered, at its level, with its page budget and every page slot."""

    site: str
    level: int
    budget: int
    #: Pages counted against the budget, as the scope counted them.
    pages_counted: int
    pages: tuple[PageRecord, ...]

    @property
    def budget_left(self) -> int:
        return max(self.budget - self.pages_counted, 0)

    @property
    def outcomes(self) -> Counter[Outcome]:
        return Counter(page.outcome for page in self.pages)


@dataclass(frozen=True)
class NotCrawled:
    """A site discovered and not read, and why."""

    site: str
    reason: NotCrawledReason


@dataclass(frozen=True)
class NearMiss:
    """A form of the crawled text that nearly spells a term, in how many documents, and where."""

    form: str
    count: int
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class TermEvidence:
    """One term, as written: how many documents contain it, the first of them, its near misses."""

    term: str
    documents: int
    first_urls: tuple[str, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()


@dataclass(frozen=True)
class EquationEvidence:
    """One equation: how many documents satisfy it, and its terms (see :attr:`CoverageReport.terms`)."""

    name: str
    equation: str
    documents_matched: int
    terms: tuple[str, ...]


@dataclass(frozen=True)
class DocumentFlow:
    """What became of the pages read: documents, and of each document, exported or why not.

    The counts come from the crawl's components; :meth:`CoverageReport.reconciliations`
    checks them against each other and against the pages the scope counted.
    """

    #: Pages read as documents (any page answered 2xx that was a readable web page).
    read: int = 0
    #: Pages answered 2xx that gave no document: not web pages, binary content served as a web
    #: page, empty answers, pages that could not be parsed.
    not_html: int = 0
    not_text: int = 0
    empty: int = 0
    unreadable: int = 0
    dropped_by_equation: int = 0
    #: With a monitoring state: documents unchanged (or known) and not asked for.
    not_exported_by_changes: int = 0
    #: Same canonical URL or same text as a document kept (the kept one lists them in also_at).
    duplicates_folded: int = 0
    near_duplicates_dropped: int = 0
    #: Documents a pipeline failed on (an error, logged).
    failed: int = 0
    exported: int = 0


@dataclass(frozen=True)
class Feed:
    """A feed the documents went to; ``items`` when the feed's count is known."""

    uri: str
    items: int | None = None


@dataclass(frozen=True)
class Reconciliation:
    """A total and the parts it must equal: ``pages requested 12 = read 10 + errors 2``."""

    label: str
    total: int
    parts: tuple[tuple[str, int], ...]

    @property
    def balanced(self) -> bool:
        return self.total == sum(count for _, count in self.parts)

    def __str__(self) -> str:
        """The equation as a line, with the difference when it does not hold.

        >>> print(Reconciliation("documents read", 3, (("exported", 2), ("dropped", 1))))
        documents read 3 = exported 2 + dropped 1
        >>> print(Reconciliation("pages requested", 3, (("read", 2),)))
        pages requested 3 ≠ read 2 (1 unaccounted for)
        """
        parts = " + ".join(f"{label} {count}" for label, count in self.parts) or "nothing"
        if self.balanced:
            return f"{self.label} {self.total} = {parts}"
        difference = self.total - sum(count for _, count in self.parts)
        excess = "unaccounted for" if difference > 0 else "too many"
        return f"{self.label} {self.total} ≠ {parts} ({abs(difference)} {excess})"


@dataclass(frozen=True)
class CoverageReport:
    """The evidence of one run. Build it with :func:`build_report`; everything else is derived."""

    run: RunParameters
    site_depth: int
    pages_per_site: int
    seeds: tuple[Seed, ...]
    #: Sites the crawl entered, level by level, in read order.
    sites: tuple[SiteRecord, ...]
    not_crawled: tuple[NotCrawled, ...]
    #: The scope's counters (:attr:`watch.scope.CrawlScope.events`), links skipped among them.
    scope_events: Mapping[str, int]
    equations: tuple[EquationEvidence, ...]
    terms: tuple[TermEvidence, ...]
    #: Documents satisfying at least one equation (0 when the run had none).
    documents_matched: int
    documents: DocumentFlow
    feeds: tuple[Feed, ...]

    def __post_init__(self) -> None:
        evidence = [(e.name, e.equation) for e in self.equations]
        if evidence != list(self.run.equations.items()):
            raise ValueError(
                f"evidence for the equations {evidence}, not for the run's {dict(self.run.equations)}"
            )

    # -- derived figures ---------------------------------------------------------------------

    @property
    def levels(self) -> dict[int, tuple[SiteRecord, ...]]:
        """The sites of each level, levels in order."""
        levels: dict[int, list[SiteRecord]] = {}
        for site in sorted(self.sites, key=lambda s: s.level):
            levels.setdefault(site.level, []).append(site)
        return {level: tuple(sites) for level, sites in levels.items()}

    @property
    def deepest_level(self) -> int:
        return max((site.level for site in self.sites), default=0)

    @property
    def sites_crawled(self) -> int:
        """Sites of level 1 and deeper that the crawl entered and did not find closed to it (the
        portal's is level 0; a site whose every page was refused is among :attr:`not_crawled`)."""
        refused = {entry.site for entry in self.not_crawled}
        return sum(1 for site in self.sites if site.level >= 1 and site.site not in refused)

    @property
    def pages_requested(self) -> int:
        return sum(site.pages_counted for site in self.sites)

    @property
    def outcomes(self) -> Counter[Outcome]:
        """Pages per outcome over the whole crawl."""
        total: Counter[Outcome] = Counter()
        for site in self.sites:
            total.update(site.outcomes)
        return total

    @property
    def statuses(self) -> dict[int, int]:
        """Pages per HTTP status, statuses in order."""
        counts = Counter(page.status for site in self.sites for page in site.pages if page.status is not None)
        return dict(sorted(counts.items()))

    @property
    def faults(self) -> dict[Outcome, tuple[PageRecord, ...]]:
        """The pages that met a fault of the web (:attr:`Outcome.fault`), by kind, kinds in the
        order of :class:`Outcome` and pages in read order: the same pages the crawl counted under
        ``watch/faults/<kind>``."""
        found: dict[Outcome, list[PageRecord]] = {}
        for site in self.sites:
            for page in site.pages:
                if page.outcome.fault:
                    found.setdefault(page.outcome, []).append(page)
        return {outcome: tuple(found[outcome]) for outcome in Outcome if outcome in found}

    @property
    def link_skips(self) -> dict[LinkSkip, int]:
        return {skip: self.scope_events.get(skip.value, 0) for skip in LinkSkip}

    def headline(self) -> str:
        """The one line that opens the report: what matched, out of how much.

        ``0 documents matched, out of 120 documents from 14 sites on levels 1–5``; the portal's
        page, read at level 0, is named when it is among the documents. A run stopped before its
        end says so first: ``Interrupted: 3 documents matched, …``.
        """
        where = f"from {quantity(self.sites_crawled, 'site')}"
        if self.deepest_level == 1:
            where += " on level 1"
        elif self.deepest_level > 1:
            where += f" on levels 1–{self.deepest_level}"
        portal = [page for site in self.sites if site.level == 0 for page in site.pages]
        if any(page.outcome.group is OutcomeGroup.DOCUMENT for page in portal):
            where += " and the start page"
        out_of = f"out of {quantity(self.documents.read, 'document')} {where}"
        interrupted = "Interrupted: " if self.run.interrupted else ""
        if not self.run.equations:
            return f"{interrupted}{quantity(self.documents.exported, 'document')} exported, {out_of} (no equation)"
        return f"{interrupted}{quantity(self.documents_matched, 'document')} matched, {out_of}"

    def evidence(self) -> list[str]:
        """The few facts that make the headline believable, as sentences."""
        outcomes = self.outcomes
        requested_on = sum(1 for site in self.sites if site.pages_counted)
        lines = [
            f"{quantity(self.pages_requested, 'page')} requested on {quantity(requested_on, 'site')}"
            f" ({self.pages_per_site} at most per site, {self.site_depth} level(s) of sites): "
            + _outcome_counts(outcomes, counted=True)
        ]
        never = _outcome_counts(outcomes, counted=False)
        if never != "none":
            lines.append(f"Never requested, their slot given back: {never}")
        for reason, count in Counter(entry.reason for entry in self.not_crawled).items():
            lines.append(f"{quantity(count, 'site')} not crawled: {reason.label}")
        for term in self.terms:
            line = f"{term.term}: {quantity(term.documents, 'document')}"
            if term.near_misses:
                forms = ", ".join(f"'{miss.form}' in {miss.count}" for miss in term.near_misses[:3])
                line += f"; near misses: {forms}"
            lines.append(line)
        unbalanced = [str(check) for check in self.reconciliations() if not check.balanced]
        if unbalanced:
            lines.append("Totals that do not reconcile: " + "; ".join(unbalanced))
        else:
            lines.append("Totals reconcile.")
        return lines

    def reconciliations(self) -> list[Reconciliation]:
        """The totals of the run and the parts each must equal, from independent counts:

        * pages the scope counted = pages of each counted outcome (checks :attr:`Outcome.counted`);
        * pages read with a 2xx status (the scope) = documents + every reason a page answered 2xx
          gave none (the spider);
        * documents read = exported + every reason one was not (the pipelines);
        * with equations: documents read = matched + dropped by the equations;
        * each feed whose item count is known = documents exported.
        """
        flow = self.documents
        outcomes = self.outcomes
        counted = tuple((o.label, outcomes[o]) for o in Outcome if o.counted and outcomes[o])
        answered = sum(
            1
            for site in self.sites
            for page in site.pages
            if page.status is not None
            and 200 <= page.status < 300
            and page.outcome.group in (OutcomeGroup.DOCUMENT, OutcomeGroup.NO_DOCUMENT)
        )
        checks = [
            Reconciliation("pages requested", self.pages_requested, counted),
            Reconciliation(
                "pages answered 2xx",
                answered,
                (
                    ("documents", flow.read),
                    ("not web pages", flow.not_html),
                    ("binary", flow.not_text),
                    ("empty", flow.empty),
                    ("unreadable", flow.unreadable),
                ),
            ),
            Reconciliation(
                "documents read",
                flow.read,
                (
                    ("exported", flow.exported),
                    ("matching no equation", flow.dropped_by_equation),
                    ("not wanted by changes", flow.not_exported_by_changes),
                    ("duplicates folded", flow.duplicates_folded),
                    ("near-duplicates dropped", flow.near_duplicates_dropped),
                    ("failed in a pipeline", flow.failed),
                ),
            ),
        ]
        if self.run.equations:
            checks.append(
                Reconciliation(
                    "documents searched",
                    flow.read,
                    (("matched", self.documents_matched), ("matching no equation", flow.dropped_by_equation)),
                )
            )
        checks.extend(
            Reconciliation(f"items in {feed.uri}", feed.items, (("documents exported", flow.exported),))
            for feed in self.feeds
            if feed.items is not None
        )
        return checks

    # -- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values: every field :meth:`from_json` reads, and derived summaries
        (``levels``, ``pages_requested``, ``statuses``, ``skipped``, ``term_hits``, ``totals``, …)
        for readers of the file, which :meth:`from_json` ignores."""
        run = self.run
        return {
            "schema_version": SCHEMA_VERSION,
            "headline": self.headline(),
            "spider": run.spider,
            "start_url": run.start_url,
            "equation": _equation_line(run.equations),
            "equations": [
                {
                    "name": e.name,
                    "equation": e.equation,
                    "documents_matched": e.documents_matched,
                    "terms": list(e.terms),
                }
                for e in self.equations
            ],
            "arguments": dict(run.arguments),
            "render_mode": run.render_mode,
            "versions": dict(run.versions),
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "finish_reason": run.finish_reason,
            "interrupted": run.interrupted,
            "site_depth": self.site_depth,
            "pages_per_site": self.pages_per_site,
            "levels": {str(level): [s.site for s in sites] for level, sites in self.levels.items()},
            "pages_requested": self.pages_requested,
            "statuses": {str(status): count for status, count in self.statuses.items()},
            "outcomes": {outcome.value: count for outcome, count in sorted_outcomes(self.outcomes)},
            "documents_read": self.documents.read,
            "documents_matched": self.documents_matched,
            "documents_exported": self.documents.exported,
            "documents": asdict(self.documents),
            "skipped": self._skipped(),
            "faults": {
                outcome.value: {"label": outcome.label, "pages": len(pages), "urls": [page.url for page in pages]}
                for outcome, pages in self.faults.items()
            },
            "term_hits": {term.term: term.documents for term in self.terms},
            "terms": [
                {
                    "term": term.term,
                    "documents": term.documents,
                    "first_urls": list(term.first_urls),
                    "near_misses": [
                        {"form": m.form, "count": m.count, "examples": list(m.examples)}
                        for m in term.near_misses
                    ],
                }
                for term in self.terms
            ],
            "totals": [
                {"label": c.label, "total": c.total, "parts": dict(c.parts), "balanced": c.balanced}
                for c in self.reconciliations()
            ],
            "feeds": [{"uri": feed.uri, "items": feed.items} for feed in self.feeds],
            "seeds": [{"rank": seed.rank, "url": seed.url, "text": seed.text} for seed in self.seeds],
            "sites": [
                {
                    "site": site.site,
                    "level": site.level,
                    "budget": site.budget,
                    "pages_counted": site.pages_counted,
                    "budget_left": site.budget_left,
                    "budget_full": site.budget_left == 0,
                    "pages": [
                        {
                            "url": p.url,
                            "status": p.status,
                            "outcome": p.outcome.value,
                            "title": p.title,
                            "detail": p.detail,
                        }
                        for p in site.pages
                    ],
                }
                for site in self.sites
            ],
            "sites_too_deep": [e.site for e in self.not_crawled if e.reason is NotCrawledReason.TOO_DEEP],
            "not_crawled": [{"site": e.site, "reason": e.reason.value} for e in self.not_crawled],
            "events": dict(self.scope_events),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoverageReport:
        """Read what :meth:`to_json` wrote; raise :class:`ReportError` naming what is wrong."""
        version = data.get("schema_version", 1) if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise ReportError(
                f"coverage report schema version {version!r}, expected {SCHEMA_VERSION}: "
                "rerun the crawl with this version of watch"
            )
        try:
            return _from_json(data)
        except KeyError as exc:
            raise ReportError(f"coverage report without the field {exc}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise ReportError(f"malformed coverage report: {exc}") from None

    def _skipped(self) -> dict[str, int]:
        """Today's ``skipped`` summary: pages and links not read, sites too deep, by stable key."""
        outcomes = self.outcomes
        skipped = {
            "robots_txt": outcomes[Outcome.ROBOTS],
            "download_errors": sum(n for o, n in outcomes.items() if o.group is OutcomeGroup.ERROR),
            "sites_too_deep": sum(1 for e in self.not_crawled if e.reason is NotCrawledReason.TOO_DEEP),
        }
        skipped.update((skip.key, count) for skip, count in self.link_skips.items())
        return skipped


class ReportError(ValueError):
    """A ``coverage.json`` this version of watch cannot read."""


# -- inputs from the adapters -------------------------------------------------------------------


@dataclass(frozen=True)
class PageNote:
    """What an adapter learnt about one page slot that the scope does not know.

    ``outcome`` refines the scope's generic verdicts only: ``read`` (a 2xx page: ``not_html``,
    ``empty``, ``rendered``, …) and ``error`` (``timeout``, ``connection_reset``, …); the scope's
    other verdicts (robots, moved, …) are already precise and are kept.
    """

    outcome: Outcome | None = None
    title: str = ""
    detail: str = ""


@dataclass(frozen=True)
class TermTally:
    """Documents containing one term, and the first of them in read order."""

    documents: int = 0
    first_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchTally:
    """What the matching counted over the crawl."""

    #: Documents satisfying at least one equation.
    matched: int = 0
    #: Equation name -> documents satisfying it.
    by_equation: Mapping[str, int] = field(default_factory=dict)
    #: Term as written -> documents containing it.
    by_term: Mapping[str, TermTally] = field(default_factory=dict)
    #: Term as written -> its near misses, most frequent first (see :func:`near_misses_from`).
    near_misses: Mapping[str, tuple[NearMiss, ...]] = field(default_factory=dict)


def near_misses_from(collected: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, tuple[NearMiss, ...]]:
    """Typed near misses from :meth:`watch.query.nearmiss.NearMissCollector.report` (the content
    of ``near_misses.json``).

    >>> near_misses_from({"Quorum": [{"form": "quorums", "count": 2, "examples": ["http://a.test/"]}]})
    {'Quorum': (NearMiss(form='quorums', count=2, examples=('http://a.test/',)),)}
    """
    return {
        term: tuple(NearMiss(str(m["form"]), int(m["count"]), tuple(m["examples"])) for m in misses)
        for term, misses in collected.items()
    }


def software_versions() -> dict[str, str]:
    """Versions of watch, Scrapy and Python, read without importing Scrapy."""
    versions = {}
    for name in ("watch", "scrapy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "source checkout"
    versions["python"] = platform.python_version()
    return versions


def build_report(
    coverage: Mapping[str, Any],
    run: RunParameters,
    *,
    documents: DocumentFlow,
    match: MatchTally | None = None,
    seeds: Sequence[Seed] = (),
    pages: Mapping[tuple[str, int], PageNote] | None = None,
    not_crawled: Sequence[NotCrawled] = (),
    feeds: Sequence[Feed] = (),
) -> CoverageReport:
    """Put together the evidence of a run.

    ``coverage`` is :meth:`watch.scope.CrawlScope.coverage`; ``pages`` refines its page verdicts,
    keyed by the scope's slot key ``(site, index)``; ``not_crawled`` lists sites refused by the
    adapters before the scope saw them (the scope's own too-deep sites, and sites whose every page
    was refused, are added here).

    Steps: each slot becomes a :class:`PageRecord` (a page read with a status other than 2xx is
    ``http_error``; a slot never finished is ``lost``; a note refines ``read`` and ``error``); each
    site gets its budget (one page for the level-0 portal, ``pages_per_site`` otherwise); each term
    of each equation gets its tally and near misses.
    """
    notes = dict(pages or {})
    sites = []
    for entry in coverage["sites"]:
        name, level = entry["site"], entry["level"]
        records = tuple(
            _page(page, notes.pop((name, index), None)) for index, page in enumerate(entry["pages"])
        )
        budget = 1 if level == 0 else coverage["pages_per_site"]
        sites.append(SiteRecord(name, level, budget, entry["pages_counted"], records))
    if notes:
        raise ValueError(f"page notes for slots the scope never allocated: {sorted(map(tuple, notes))[:5]}")
    refused = [
        NotCrawled(site.site, _SITE_REFUSED[site.pages[0].outcome])
        for site in sites
        if site.level >= 1
        and site.pages
        and site.pages[0].outcome in _SITE_REFUSED
        and all(page.outcome is site.pages[0].outcome for page in site.pages)
    ]
    too_deep = [NotCrawled(site, NotCrawledReason.TOO_DEEP) for site in coverage["sites_too_deep"]]
    match = match or MatchTally()
    equations, terms = _equations(run.equations, match)
    return CoverageReport(
        run=run,
        site_depth=coverage["site_depth"],
        pages_per_site=coverage["pages_per_site"],
        seeds=tuple(seeds),
        sites=tuple(sites),
        not_crawled=(*too_deep, *refused, *not_crawled),
        scope_events=dict(coverage["events"]),
        equations=equations,
        terms=terms,
        documents_matched=match.matched if run.equations else 0,
        documents=documents,
        feeds=tuple(feeds),
    )


def equation_terms(equation: str) -> tuple[str, ...]:
    """The terms of ``equation`` as written, each once, a NEAR term followed by its sides (the
    order and the terms of the match pipeline's counts).

    >>> equation_terms('Quorum OR (Nationbuilder NEAR/3 vote) OR quorum')
    ('Quorum', 'Nationbuilder NEAR/3 vote', 'Nationbuilder', 'vote')
    """
    return tuple(term.text for term in QuerySet({"equation": equation}).every_term())


# -- summary, files, command line --------------------------------------------------------------


def summary_lines(report: CoverageReport) -> list[str]:
    """A short, readable account of ``report`` for the end of a crawl log or a terminal."""
    lines = [report.headline()]
    lines.append(
        f"Coverage of {report.run.start_url or 'the seeds'}: "
        f"{report.site_depth} level(s) of sites, {report.pages_per_site} page(s) per site"
    )
    for level, sites in report.levels.items():
        pages = sum(site.pages_counted for site in sites)
        names = [site.site for site in sites]
        shown = ", ".join(names[:6]) + (f", … (+{len(names) - 6})" if len(names) > 6 else "")
        lines.append(f"  level {level}: {len(sites)} site(s), {pages} page(s): {shown}")
    for reason in NotCrawledReason:
        names = [entry.site for entry in report.not_crawled if entry.reason is reason]
        if names:
            shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
            lines.append(f"  not crawled, {reason.label}: {len(names)} site(s) ({shown})")
    statuses = ", ".join(f"{code}: {n}" for code, n in report.statuses.items()) or "none"
    lines.append(f"Pages requested: {report.pages_requested} (HTTP {statuses})")
    lines.append(f"Pages: {_outcome_counts(report.outcomes, counted=None)}")
    faults = report.faults
    if faults:
        counts = ", ".join(f"{outcome.value} {len(pages)}" for outcome, pages in faults.items())
        lines.append(f"Faults of the web: {quantity(sum(map(len, faults.values())), 'page')} ({counts})")
    flow = report.documents
    lines.append(f"Documents read: {flow.read}; exported: {flow.exported}")
    skipped = ", ".join(f"{skip.label} {n}" for skip, n in report.link_skips.items() if n)
    lines.append(f"Links not followed: {skipped or 'none'}")
    for equation in report.equations:
        matched = quantity(equation.documents_matched, "document")
        lines.append(f"Equation {equation.name}: {equation.equation} ({matched})")
    if report.terms:
        lines.append("Documents per term: " + ", ".join(f"{t.term}: {t.documents}" for t in report.terms))
    for check in report.reconciliations():
        if not check.balanced:
            lines.append(f"Does not reconcile: {check}")
    if report.feeds:
        lines.append(f"Feeds: {', '.join(feed.uri for feed in report.feeds)}")
    return lines


def write_report(report: CoverageReport, folder: Path) -> tuple[Path, Path]:
    """Write ``coverage.json`` and ``coverage.html`` in ``folder``; return their paths.

    Each file is written whole under a temporary name and then renamed, so that a reader never
    sees half a report.
    """
    json_path, html_path = folder / JSON_FILE, folder / HTML_FILE
    _write(json_path, json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n")
    write_html(report, html_path)
    return json_path, html_path


def write_html(report: CoverageReport, path: Path) -> None:
    # Imported here: the page's module builds on this one.
    from watch.report_html import render_html

    _write(path, render_html(report))


def read_report(path: Path) -> CoverageReport:
    """Read a ``coverage.json``; raise :class:`ReportError` naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the report: {exc}") from None
    try:
        return CoverageReport.from_json(data)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from None


def main(argv: list[str]) -> int:
    """``python -m watch.report PATH/coverage.json [--html OUT.html]``: print the summary and
    rebuild the HTML page (beside the JSON unless ``--html`` says where)."""
    parser = argparse.ArgumentParser(
        prog="python -m watch.report",
        description="Print a crawl's coverage summary and rebuild its HTML page.",

    )
    parser.add_argument("coverage", type=Path, help="the coverage.json of a crawl")
    parser.add_argument(
        "--html", type=Path, help=f"where to write the page (default: {HTML_FILE} beside the JSON)"
    )
    args = parser.parse_args(argv)
    try:
        report = read_report(args.coverage)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    html_path = args.html or args.coverage.with_name(HTML_FILE)
    print("\n".join(summary_lines(report)))
    write_html(report, html_path)
    print(f"Coverage page: {html_path}")
    return 0


# -- helpers ---------------------------------------------------------------------------------


def sorted_outcomes(counts: Mapping[Outcome, int]) -> list[tuple[Outcome, int]]:
    """Non-zero counts in the order of :class:`Outcome` (documents first, refusals last)."""
    return [(outcome, counts[outcome]) for outcome in Outcome if counts.get(outcome)]


def _outcome_counts(counts: Mapping[Outcome, int], *, counted: bool | None) -> str:
    parts = [
        f"{n} {outcome.label}"
        for outcome, n in sorted_outcomes(counts)
        if counted is None or outcome.counted is counted
    ]
    return ", ".join(parts) or "none"


def quantity(number: int, noun: str) -> str:
    """``number`` of ``noun``, in words: ``1 document``, ``0 documents``.

    >>> quantity(1, "site"), quantity(0, "document")
    ('1 site', '0 documents')
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _page(page: Mapping[str, Any], note: PageNote | None) -> PageRecord:
    status = page["status"]
    outcome = Outcome.of(page["outcome"] or Outcome.LOST.value)
    if outcome is Outcome.READ and status is not None and not 200 <= status < 300:
        outcome = Outcome.HTTP_ERROR
    # The scope keeps what went wrong with a failed request: a kind the report names becomes the
    # page's outcome; any other one is shown as the page's detail.
    fault = page.get("fault") or ""
    if outcome is Outcome.ERROR and fault in _OUTCOME_KEYS:
        outcome, fault = Outcome.of(fault), ""
    if note is None:
        return PageRecord(page["url"], status, outcome, "", fault)
    if note.outcome is not None and outcome in (Outcome.READ, Outcome.ERROR):
        outcome = note.outcome
    return PageRecord(page["url"], status, outcome, note.title, note.detail)


def _equations(
    equations: Mapping[str, str], match: MatchTally
) -> tuple[tuple[EquationEvidence, ...], tuple[TermEvidence, ...]]:
    evidence = []
    terms: dict[str, TermEvidence] = {}
    for name, equation in equations.items():
        texts = equation_terms(equation)
        evidence.append(EquationEvidence(name, equation, match.by_equation.get(name, 0), texts))
        for text in texts:
            if text not in terms:
                tally = match.by_term.get(text, TermTally())
                misses = match.near_misses.get(text, ())
                terms[text] = TermEvidence(text, tally.documents, tally.first_urls[:FIRST_URLS], misses)
    return tuple(evidence), tuple(terms.values())


def _equation_line(equations: Mapping[str, str]) -> str:
    """The ``equation`` field of watch 0.1: the equation, or ``name: equation`` pairs."""
    if list(equations) == ["query"]:
        return equations["query"]
    return "; ".join(f"{name}: {equation}" for name, equation in equations.items())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _from_json(data: Mapping[str, Any]) -> CoverageReport:
    run = RunParameters(
        spider=data["spider"],
        start_url=data["start_url"],
        equations={e["name"]: e["equation"] for e in data["equations"]},
        arguments=dict(data["arguments"]),
        render_mode=data["render_mode"],
        versions=dict(data["versions"]),
        started_at=_datetime(data["started_at"]),
        finished_at=_datetime(data["finished_at"]),
        finish_reason=data["finish_reason"],
        interrupted=bool(data["interrupted"]),
    )
    sites = tuple(
        SiteRecord(
            site["site"],
            int(site["level"]),
            int(site["budget"]),
            int(site["pages_counted"]),
            tuple(
                PageRecord(p["url"], p["status"], Outcome.of(p["outcome"]), p["title"], p["detail"])
                for p in site["pages"]
            ),
        )
        for site in data["sites"]
    )
    return CoverageReport(
        run=run,
        site_depth=int(data["site_depth"]),
        pages_per_site=int(data["pages_per_site"]),
        seeds=tuple(Seed(s["url"], s["text"], int(s["rank"])) for s in data["seeds"]),
        sites=sites,
        not_crawled=tuple(NotCrawled(e["site"], NotCrawledReason(e["reason"])) for e in data["not_crawled"]),
        scope_events={str(k): int(v) for k, v in data["events"].items()},
        equations=tuple(
            EquationEvidence(e["name"], e["equation"], int(e["documents_matched"]), tuple(e["terms"]))
            for e in data["equations"]
        ),
        terms=tuple(
            TermEvidence(
                t["term"],
                int(t["documents"]),
                tuple(t["first_urls"]),
                tuple(NearMiss(m["form"], int(m["count"]), tuple(m["examples"])) for m in t["near_misses"]),
            )
            for t in data["terms"]
        ),
        documents_matched=int(data["documents_matched"]),
        # A count added to the flow after a report was written is absent from it: its default, 0.
        documents=DocumentFlow(
            **{f.name: int(data["documents"][f.name]) for f in fields(DocumentFlow) if f.name in data["documents"]}
        ),
        feeds=tuple(Feed(f["uri"], f["items"]) for f in data["feeds"]),
    )


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    # Run as ``python -m watch.report`` this file is ``__main__``, a second copy of the module next
    # to the ``watch.report`` that the page's module imports: run the command from that one, so
    # that the report and the page agree on what an Outcome is.
    from watch.report import main as _main

    sys.exit(_main(sys.argv[1:]))
