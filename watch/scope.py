"""The crawl scope: KB Crawl's two dimensions, levels of sites × pages per site (DESIGN §2).

Every scope decision of a crawl is taken here, in objects that know nothing of Scrapy:

* **Levels.** The start page is level 0 and is the only page of its site that is read. The seeds
  are level 1. A link from a level-L page to a site that has no level yet makes that site level
  L+1. The crawl runs in rounds, one per level, and a round starts only when the previous one is
  finished (:meth:`CrawlScope.next_level`), so every site gets the smallest level at which it is
  reachable. Sites deeper than ``site_depth`` are never handed out, so never requested.
* **Pages per site.** A site reads at most ``pages_per_site`` distinct pages (canonical URLs), the
  first ones reached breadth-first from its entry URLs, in link order. Pages finish in any order
  in a parallel crawl, so a page's links are taken in only when every page allocated before it in
  the same site has finished ("expansion in slot order"): the pages chosen are then exactly those
  a sequential breadth-first reader would choose, whatever the timing.
* **Read order.** Every site has an order key: a seed's rank, or, for a site reached by links, the
  smallest key of those links, which is its site's key, the page's rank in that site and the
  link's position on the page. Sites of a level are entered in that order, and their entry links
  taken in that order. A page's read order (:attr:`Release.order`) is its level, its site's key
  and its rank in the site: what decides, independently of download timing, which of two copies
  of a document came first.
* **Safety.** Unless private networks are allowed, a link, seed or redirect to a host that
  :func:`watch.netsafety.host_refusal` refuses (``localhost``, private and metadata addresses)
  never makes a site: it is counted (``private_address_link``) and the host listed in the
  coverage among the sites not crawled.
* **What counts.** Every page request counts whatever its status. A page that robots.txt forbids
  is never requested, so it gives its slot back; so does a page whose redirect lands on another
  site, which counts there instead. Candidates beyond the budget wait in line, so a slot given
  back goes to the next page in breadth-first order.

A site's page selection depends only on its entry links and its own pages, so it lives in its own
object, :class:`SiteFrontier`: the unit of work one crawl process can hold while others hold other
sites of the same level. :class:`CrawlScope` is the single-process crawl: its sites and the levels.

Requests are opaque *payloads* here: the Scrapy adapter passes its ``Request`` objects through and
gets back those to send, which keeps this module free of any framework.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from watch.netsafety import Refusal, host_refusal
from watch.urls import TrackingParameters, canonicalize, crawl_target, site_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

P = TypeVar("P")
Order = tuple[int, ...]

#: Slot outcomes of pages never requested (robots.txt, duplicates, refused private addresses) or
#: counted on the site where they landed ("moved"): they give the slot back to the site's budget.
REFUNDED = frozenset({"robots", "duplicate", "moved", "private_address"})


class SlotKey(NamedTuple):
    """Identifies one allocated page: its site and its rank in the site's breadth-first order."""

    site: str
    index: int


@dataclass(frozen=True)
class Release(Generic[P]):
    """A page the crawl may now request, with the payload the adapter handed in for it."""

    key: SlotKey
    url: str
    site_level: int
    payload: P
    #: The page's read order: its site's level, its site's order key, its rank in the site.
    order: Order = ()


class Entry(NamedTuple, Generic[P]):
    """A link into a site not read yet, with its read-order key."""

    order: Order
    url: str
    payload: P


@dataclass
class _Slot:
    url: str
    canonical: str
    status: int | None = None
    outcome: str | None = None  # None while in flight; "read" (or its kind), "error", "robots", "moved", ...
    fault: str = ""  # for a failed request: what went wrong ("timeout", "dns_error", ...); for a page read: a note
    links: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Findings(Generic[P]):
    """What reading a site (or, for the seeds, the crawl itself) found beyond its own pages: every
    decision counted, links to sites not known yet (the next level's candidates, by target site),
    sites too deep and private hosts refused. It travels with the site when processes share a
    crawl, so counts add up to those of one process."""

    events: Counter[str] = field(default_factory=Counter)
    found: dict[str, list[Entry[P]]] = field(default_factory=dict)
    too_deep: Counter[str] = field(default_factory=Counter)
    private: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LevelProgress:
    """How far the current level has gone (for a progress line)."""

    level: int
    sites: int  #: sites of the level
    sites_done: int  #: sites with no page in flight and none left to hand out
    pages_done: int  #: pages of the level finished
    #: At most this many pages are left on the level: each site not done may still read up to
    #: its budget (links not found yet included).
    pages_left: int


class SiteFrontier(Generic[P]):
    """One site's pages: which are read, in breadth-first order from where the site was entered.

    It decides alone, from its entry links and its own pages: links to its own host join its
    queue, links elsewhere are handed back (:meth:`finish`) for the crawl to place.

    >>> site = SiteFrontier("a.test", level=1, order=(1,), budget=2)
    >>> site.enter([Entry((1,), "http://a.test/", None)])
    >>> [r.url for r in site.fill()]
    ['http://a.test/']
    >>> links = [("http://a.test/1", None), ("http://a.test/2", None), ("http://b.test/", None)]
    >>> released, outbound = site.finish(0, "read", status=200, links=links)
    >>> [r.url for r in released], [(e.order, e.url) for e in outbound]
    (['http://a.test/1'], [((1, 0, 2), 'http://b.test/')])
    >>> site.close(), site.events["budget_exhausted"]
    (None, 1)
    """

    def __init__(
        self,
        name: str,
        level: int,
        order: Order,
        budget: int,
        canonical: Callable[[str], str] = canonicalize,
    ) -> None:
        self.name = name
        self.level = level
        self.order = order
        self.budget = budget
        self.findings: Findings[P] = Findings()
        self.events = self.findings.events
        self._canonical = canonical
        self._slots: list[_Slot] = []
        self._known: set[str] = set()
        self._waiting: deque[tuple[str, str, P]] = deque()
        self._expanded = 0
        self._refunds = 0

    @property
    def pages_counted(self) -> int:
        """Pages that count against the budget (slots not given back)."""
        return len(self._slots) - self._refunds

    def in_flight(self) -> list[int]:
        """Ranks of the pages handed out and not finished."""
        return [index for index, slot in enumerate(self._slots) if slot.outcome is None]

    @property
    def done(self) -> bool:
        """No page in flight and none left to hand out: the site is read."""
        return self._expanded == len(self._slots) and (not self._waiting or self.pages_counted >= self.budget)

    @property
    def pages_finished(self) -> int:
        return self._expanded

    def enter(self, entries: Iterable[Entry[P]]) -> None:
        """Queue the links the site is entered by, in read order."""
        for entry in sorted(entries, key=lambda e: e.order):
            self._enqueue(entry.url, entry.payload)

    def mark_known(self, url: str) -> None:
        """Take ``url`` as read (a same-site redirect lands there): never queued again."""
        self._known.add(self._canonical(url))

    def knows(self, url: str) -> bool:
        """Whether ``url`` was allocated or queued here already (canonically)."""
        return self._canonical(url) in self._known

    def allocate(self, url: str, payload: P) -> Release[P]:
        """Hand out ``url`` at once, outside the queue: the start page, a redirect landing here."""
        self._known.add(self._canonical(url))
        return self._release(url, payload)

    def fill(self) -> list[Release[P]]:
        """Hand out queued pages while the budget allows."""
        released = []
        while self._waiting and self.pages_counted < self.budget:
            url, _, payload = self._waiting.popleft()
            released.append(self._release(url, payload))
        return released

    def finish(
        self,
        index: int,
        outcome: str,
        *,
        status: int | None = None,
        fault: str = "",
        links: list[tuple[str, P]] | None = None,
        landed: str | None = None,
    ) -> tuple[list[Release[P]], list[Entry[P]]]:
        """Record the end of page ``index``; return the pages now handed out and the links to
        other sites that this made final (in read order).

        ``outcome`` is ``read`` (or a kind of read page: ``rendered``, ``pdf``…) for a page fetched
        with any status, whose ``links`` are in document order; :data:`REFUNDED` outcomes give the
        slot back; any other (``error``…) counts. ``landed`` is the final URL of a same-site
        redirect, marked known.
        """
        slot = self._slots[index]
        slot.outcome = outcome
        slot.status = status
        slot.fault = fault
        slot.links = links or []
        if landed is not None:
            self._known.add(self._canonical(landed))
        return self._expand()

    def close(self) -> None:
        """End of the level: what still waits in line is beyond the budget (counted)."""
        if self._waiting:
            self.events["budget_exhausted"] += len(self._waiting)
            self._waiting.clear()

    def coverage(self) -> dict[str, Any]:
        """The site's pages, for the coverage report."""
        return {
            "site": self.name,
            "level": self.level,
            "pages_counted": self.pages_counted,
            "budget_full": self.pages_counted >= self.budget,
            "pages": [
                {"url": slot.url, "status": slot.status, "outcome": slot.outcome, "fault": slot.fault}
                for slot in self._slots
            ],
        }

    def _release(self, url: str, payload: P) -> Release[P]:
        self._slots.append(_Slot(url, self._canonical(url)))
        self.events["pages_allocated"] += 1
        index = len(self._slots) - 1
        return Release(SlotKey(self.name, index), url, self.level, payload, (self.level, *self.order, index))

    def _enqueue(self, url: str, payload: P) -> None:
        canonical = self._canonical(url)
        if canonical in self._known:
            self.events["duplicate_link"] += 1
            return
        self._known.add(canonical)
        self._waiting.append((url, canonical, payload))

    def _expand(self) -> tuple[list[Release[P]], list[Entry[P]]]:
        """Take in the links of every finished slot, in slot order, then fill the budget."""
        released: list[Release[P]] = []
        outbound: list[Entry[P]] = []
        while self._expanded < len(self._slots) and self._slots[self._expanded].outcome is not None:
            slot = self._slots[self._expanded]
            if slot.outcome in REFUNDED:
                self._refunds += 1
            if self.level > 0:  # the start page's links are not followed: its seeds are
                for position, (url, payload) in enumerate(slot.links):
                    target = crawl_target(url)
                    if target is None:
                        self.events["not_http"] += 1
                    elif target.site == self.name:
                        self._enqueue(url, payload)
                    else:
                        outbound.append(Entry((*self.order, self._expanded, position), url, payload))
            slot.links = []
            self._expanded += 1
            released.extend(self.fill())
        return released, outbound


class CrawlScope(Generic[P]):
    """Decides which pages a crawl requests, level by level and site by site, in one process.

    Typical life: :meth:`start_page` (optional), :meth:`add_seed` for each seed,
    :meth:`next_level` to start level 1; then, for each page that finishes,
    :meth:`page_read` or :meth:`page_failed`, which hand back the pages that may now be
    requested; when nothing is left in flight, :meth:`next_level` again, until it returns nothing.

    >>> scope = CrawlScope(site_depth=2, pages_per_site=2)
    >>> scope.add_seed("http://a.test/", "seed-a")
    >>> [r.url for r in scope.next_level()]
    ['http://a.test/']
    >>> links = [("http://a.test/1", "a1"), ("http://a.test/2", "a2"), ("http://b.test/", "b")]
    >>> [r.url for r in scope.page_read(SlotKey("a.test", 0), 200, links)]
    ['http://a.test/1']
    >>> scope.page_failed(SlotKey("a.test", 1), "error")
    []
    >>> [(r.url, r.site_level, r.order) for r in scope.next_level()]
    [('http://b.test/', 2, (2, 1, 0, 2, 0))]
    """

    def __init__(
        self,
        site_depth: int,
        pages_per_site: int,
        tracking: TrackingParameters | None = None,
        *,
        allow_private: bool = False,
    ) -> None:
        if site_depth < 0 or pages_per_site < 1:
            raise ValueError("site_depth must be >= 0 and pages_per_site >= 1")
        self.site_depth = site_depth
        self.pages_per_site = pages_per_site
        # Menus and footers repeat the same links on every page of a site: canonical forms are cached.
        canonical = partial(canonicalize, tracking=tracking or TrackingParameters())
        self._canonical: Callable[[str], str] = lru_cache(maxsize=65_536)(canonical)
        self.level = 0
        self._sites: dict[str, SiteFrontier[P]] = {}
        self._seeding: Findings[P] = Findings()  # the crawl's own findings: seeds, levels
        self._allow_private = allow_private
        self._seed_rank = 0
        self._discovered: list[str] = []  # first links of next-level sites not yet announced
        self._announced: set[str] = set()  # next-level sites announced (robots.txt fetched early)

    @property
    def events(self) -> Counter[str]:
        """Every scope decision so far, by kind (``watch/scope/<kind>`` in the crawl stats)."""
        total = Counter(self._seeding.events)
        for site in self._sites.values():
            total.update(site.events)
        return total

    def _findings(self) -> list[Findings[P]]:
        return [self._seeding, *(site.findings for site in self._sites.values())]

    # -- building the crawl ---------------------------------------------------------------

    def start_page(self, url: str, payload: P) -> Release[P]:
        """Register the start page (level 0): the one page read from its site."""
        return self._new_site(site_of(url), level=0, order=(0,)).allocate(url, payload)

    def known_start_page(self, url: str) -> None:
        """Register the start page of an earlier run as level 0 without reading it again, so that a
        rerun from a frozen seed list treats links back to the portal as that run did."""
        self._new_site(site_of(url), level=0, order=(0,))

    def add_seed(self, url: str, payload: P) -> None:
        """Add a level-1 entry URL, in seed order. Seeds on the start page's site are refused."""
        target = crawl_target(url)
        seeding = self._seeding
        if target is None:
            seeding.events["not_http"] += 1
            return
        if self._refused(target.host, seeding):
            return
        name = target.site
        if name in self._sites:
            seeding.events["seed_on_known_site"] += 1
            return
        if self.site_depth < 1:
            self._too_deep_link(name, seeding)
            return
        self._seed_rank += 1
        self._add_next(name, Entry((self._seed_rank,), url, payload), seeding)

    def next_level(self) -> list[Release[P]]:
        """Finish the current level and start the next one; return its first pages.

        Call only when no page is in flight. Pages allocated but never finished are closed
        as ``lost`` first, so that no site waits forever for them.
        """
        released = self._close_lost()
        if released:
            return released
        for site in self._sites.values():
            site.close()
        found: dict[str, list[Entry[P]]] = {}
        for findings in self._findings():
            for name, entries in findings.found.items():
                if name in self._sites:  # first reached by a redirect meanwhile
                    self._seeding.events["known_site_link"] += len(entries)
                else:
                    found.setdefault(name, []).extend(entries)
            findings.found = {}
        if not found:
            return []
        self.level += 1
        for name, entries in entering_order(found):
            site = self._new_site(name, self.level, entries[0].order)
            site.enter(entries)
            released.extend(site.fill())
        self._seeding.events[f"sites_level_{self.level}"] += len(found)
        return released

    # -- outcomes -------------------------------------------------------------------------

    def page_read(
        self,
        key: SlotKey,
        status: int,
        links: list[tuple[str, P]],
        landed_url: str | None = None,
        *,
        kind: str = "read",
        note: str = "",
    ) -> list[Release[P]]:
        """Record a page that was fetched (any status) with its links in document order.

        ``landed_url`` is the final URL after redirects, when it differs from the slot's URL
        and lies on the same site (cross-site redirects go through :meth:`redirect`). ``kind``
        says how the page was read, for the coverage report (``read``, ``rendered`` in a
        browser, ``pdf``, ``not_html``, ``script_shell`` for a script-built page read without a
        browser, ``unreadable``), and ``note`` why, when there is more to say. A page read
        counts in its site's budget whatever its kind.
        """
        site = self._sites[key.site]
        return self._placed(
            site, *site.finish(key.index, kind, status=status, fault=note, links=links, landed=landed_url)
        )

    def page_failed(
        self, key: SlotKey, reason: str, status: int | None = None, fault: str = ""
    ) -> list[Release[P]]:
        """Record a page that produced no document: ``robots`` and ``duplicate`` (never requested)
        and ``moved`` (landed on another site, counted there) give their slot back; any other
        reason (``error``, ``private_address``, ``redirect_refused``, …) counts. ``fault`` says
        what went wrong with a failed request (``timeout``, ``dns_error``…), for the report."""
        site = self._sites[key.site]
        site.events[f"page_{reason}"] += 1
        return self._placed(site, *site.finish(key.index, reason, status=status, fault=fault))

    def redirect(self, key: SlotKey, target_url: str, payload: P) -> Release[P] | None:
        """Decide on a redirect from the page in ``key`` to ``target_url``.

        A same-site redirect keeps its slot: the target URL is marked known and ``None`` is
        returned, meaning "follow it as is". A cross-site redirect counts on the site where it
        lands: when that site has room the redirect gets a slot there (returned; the source slot
        will be given back with :meth:`page_failed` ``moved``); when it has none, or when the
        target was read already, the redirect is refused: :class:`RedirectRefused` is raised.
        """
        source = self._sites[key.site]
        target = crawl_target(target_url)
        if target is None:
            source.events["redirect_refused"] += 1
            raise RedirectRefused(target_url, "not_crawlable")
        if self._refused(target.host, source.findings):
            raise RedirectRefused(target_url, "private_address")
        name = target.site
        if name == key.site:
            source.mark_known(target_url)
            return None
        site = self._sites.get(name)
        if site is None:
            site = self._new_site(name, source.level, (*source.order, key.index))
            source.events["redirect_new_site"] += 1
        if site.knows(target_url):
            source.events["redirect_refused"] += 1
            raise RedirectRefused(target_url, "already_read")
        if site.pages_counted >= site.budget:
            source.events["redirect_refused"] += 1
            raise RedirectRefused(target_url, "budget_full")
        source.events["redirect_cross_site"] += 1
        return site.allocate(target_url, payload)

    # -- reading the state ----------------------------------------------------------------

    def take_discovered(self) -> list[str]:
        """The first link of each site found for the next level since the last call.

        Such a site is surely in scope (it is within ``site_depth`` and will be read at the
        next level, or earlier if a redirect reaches it): a crawl may prepare for it, e.g. fetch
        its robots.txt, before the level starts.
        """
        discovered, self._discovered = self._discovered, []
        return discovered

    def in_flight(self) -> list[SlotKey]:
        """Slots allocated and not finished yet."""
        return [SlotKey(site.name, index) for site in self._sites.values() for index in site.in_flight()]

    def progress(self) -> LevelProgress:
        """How far the current level has gone."""
        sites = [site for site in self._sites.values() if site.level == self.level]
        left = [site for site in sites if not site.done]
        return LevelProgress(
            self.level,
            len(sites),
            len(sites) - len(left),
            sum(site.pages_finished for site in sites),
            sum(max(site.budget - site.pages_counted, 0) + len(site.in_flight()) for site in left),
        )

    def site_level(self, site: str) -> int | None:
        known = self._sites.get(site)
        return None if known is None else known.level

    def coverage(self) -> dict[str, Any]:
        """What the crawl covered, for the coverage report: sites per level, pages per site,
        and every reason a page or site was not read."""
        sites = [site.coverage() for site in sorted(self._sites.values(), key=lambda s: (s.level, s.order))]
        levels: dict[str, list[str]] = {}
        for entry in sites:
            levels.setdefault(str(entry["level"]), []).append(entry["site"])
        return {
            "site_depth": self.site_depth,
            "pages_per_site": self.pages_per_site,
            "levels": levels,
            "sites": sites,
            "sites_too_deep": sorted({name for f in self._findings() for name in f.too_deep}),
            "sites_private": dict(sorted((host, kind) for f in self._findings() for host, kind in f.private.items())),
            "events": dict(sorted(self.events.items())),
        }

    # -- internals ------------------------------------------------------------------------

    def _new_site(self, name: str, level: int, order: Order) -> SiteFrontier[P]:
        budget = 1 if level == 0 else self.pages_per_site
        site: SiteFrontier[P] = SiteFrontier(name, level, order, budget, self._canonical)
        self._sites[name] = site
        return site

    def _placed(
        self, site: SiteFrontier[P], released: list[Release[P]], outbound: list[Entry[P]]
    ) -> list[Release[P]]:
        """Place a site's links to other sites: known, refused, too deep or next level (counted
        among the site's findings)."""
        findings = site.findings
        for entry in outbound:
            target = crawl_target(entry.url)
            assert target is not None  # the site handed back only crawlable links
            name = target.site
            if self.knows_site(name):
                findings.events["known_site_link"] += 1
            elif self._refused(target.host, findings):
                pass
            elif self.level + 1 > self.site_depth:
                self._too_deep_link(name, findings)
            else:
                self._add_next(name, entry, findings)
        return released

    def knows_site(self, name: str) -> bool:
        """Whether ``name`` is a site of this level or an earlier one (a link to it makes no site)."""
        return name in self._sites

    def _add_next(self, name: str, entry: Entry[P], findings: Findings[P]) -> None:
        known = findings.found.get(name)
        if known is None:
            findings.found[name] = [entry]
            if name not in self._announced:
                self._announced.add(name)
                self._discovered.append(entry.url)
        else:
            known.append(entry)

    def _too_deep_link(self, name: str, findings: Findings[P]) -> None:
        # Only counted: a site beyond the depth is never requested, so nothing is kept for it.
        findings.events["too_deep_link"] += 1
        findings.too_deep[name] += 1

    def refusal_of(self, host: str) -> Refusal | None:
        """Why ``host`` is refused for safety, or ``None`` (always when private networks are allowed)."""
        return None if self._allow_private else host_refusal(host)

    def _refused(self, host: str, findings: Findings[P]) -> bool:
        """Whether ``host`` is refused for safety (counted, and listed in the coverage)."""
        refusal = self.refusal_of(host)
        if refusal is None:
            return False
        findings.events["private_address_link"] += 1
        findings.private[host] = refusal.kind
        return True

    def _close_lost(self) -> list[Release[P]]:
        released: list[Release[P]] = []
        for key in self.in_flight():
            released.extend(self.page_failed(key, "lost"))
        return released


def entering_order(entries: dict[str, list[Entry[P]]]) -> list[tuple[str, list[Entry[P]]]]:
    """The sites of a new level with their entry links, both in read order.

    A site's order is its smallest entry's: links are found in whatever order parallel pages
    finish, so the first one found says nothing.

    >>> found = {"b.test": [Entry((2, 0, 1), "http://b.test/", None), Entry((1, 3, 0), "http://b.test/x", None)],
    ...          "c.test": [Entry((1, 5, 2), "http://c.test/", None)]}
    >>> [(name, [e.order for e in links]) for name, links in entering_order(found)]
    [('b.test', [(1, 3, 0), (2, 0, 1)]), ('c.test', [(1, 5, 2)])]
    """
    ordered = [(name, sorted(links, key=lambda e: e.order)) for name, links in entries.items()]
    return sorted(ordered, key=lambda item: item[1][0].order)


class RedirectRefused(Exception):
    """A redirect that the scope does not follow; ``reason``: ``budget_full`` (the target site has
    no room), ``already_read`` (the target page was read), ``private_address`` or ``not_crawlable``
    (not an http(s) URL watch can read)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"redirect to {url} refused ({reason})")
        self.url = url
        self.reason = reason
