"""The crawl scope: KB Crawl's two dimensions, levels of sites × pages per site (DESIGN §2).

Every scope decision of a crawl is taken here, in one object that knows nothing of Scrapy:

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
* **Safety.** Unless private networks are allowed, a link, seed or redirect to a host that
  :func:`watch.netsafety.host_refusal` refuses (``localhost``, private and metadata addresses)
  never makes a site: it is counted (``private_address_link``) and the host listed in the
  coverage among the sites not crawled.
* **What counts.** Every page request counts whatever its status. A page that robots.txt forbids
  is never requested, so it gives its slot back; so does a page whose redirect lands on another
  site, which counts there instead. Candidates beyond the budget wait in line, so a slot given
  back goes to the next page in breadth-first order.

Requests are opaque *payloads* here: the Scrapy adapter passes its ``Request`` objects through and
gets back those to send, which keeps this module free of any framework.
"""

from __future__ import annotations

from collections import Counter, deque
from functools import lru_cache, partial
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import urlsplit

from watch.netsafety import host_refusal
from watch.urls import TrackingParameters, canonicalize, is_crawlable, site_of

if TYPE_CHECKING:
    from collections.abc import Callable

P = TypeVar("P")

#: Slot outcomes of pages never requested (robots.txt, duplicates, refused private addresses) or
#: counted on the site where they landed ("moved"): they give the slot back to the site's budget.
_REFUNDED = frozenset({"robots", "duplicate", "moved", "private_address"})


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


@dataclass
class _Slot:
    url: str
    canonical: str
    status: int | None = None
    outcome: str | None = None  # None while in flight; "read" (or its kind), "error", "robots", "moved", ...
    fault: str = ""  # for a failed request: what went wrong ("timeout", "dns", ...); for a page read: a note
    links: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class _Site(Generic[P]):
    name: str
    level: int
    order: tuple[int, ...]
    slots: list[_Slot] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    waiting: deque[tuple[str, str, P]] = field(default_factory=deque)
    expanded: int = 0
    refunds: int = 0

    @property
    def pages_counted(self) -> int:
        return len(self.slots) - self.refunds


@dataclass
class _Entry(Generic[P]):
    """A link into a site that will be entered at the next level, with its global read-order key."""

    order: tuple[int, ...]
    url: str
    payload: P


class CrawlScope(Generic[P]):
    """Decides which pages a crawl requests, level by level and site by site.

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
    >>> [(r.url, r.site_level) for r in scope.next_level()]
    [('http://b.test/', 2)]
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
        self.events: Counter[str] = Counter()
        self._sites: dict[str, _Site[P]] = {}
        self._next: dict[str, list[_Entry[P]]] = {}
        self._too_deep: Counter[str] = Counter()
        self._allow_private = allow_private
        self._private: dict[str, str] = {}  # refused host -> refusal kind
        self._seed_rank = 0

    # -- building the crawl ---------------------------------------------------------------

    def start_page(self, url: str, payload: P) -> Release[P]:
        """Register the start page (level 0): the one page read from its site."""
        site = self._new_site(site_of(url), level=0, order=(0,))
        return self._allocate(site, url, self._canonical(url), payload)

    def known_start_page(self, url: str) -> None:
        """Register the start page of an earlier run as level 0 without reading it again, so that a
        rerun from a frozen seed list treats links back to the portal as that run did."""
        self._new_site(site_of(url), level=0, order=(0,))

    def add_seed(self, url: str, payload: P) -> None:
        """Add a level-1 entry URL, in seed order. Seeds on the start page's site are refused."""
        if not is_crawlable(url):
            self.events["not_http"] += 1
            return
        if self._refused(url):
            return
        name = site_of(url)
        if name in self._sites:
            self.events["seed_on_known_site"] += 1
            return
        if self.site_depth < 1:
            self.events["too_deep_link"] += 1
            self._too_deep[name] += 1
            return
        self._seed_rank += 1
        self._next.setdefault(name, []).append(_Entry((self._seed_rank,), url, payload))

    def next_level(self) -> list[Release[P]]:
        """Finish the current level and start the next one; return its first pages.

        Call only when no page is in flight. Pages allocated but never finished are closed
        as ``lost`` first, so that no site waits forever for them.
        """
        released = self._close_lost()
        if released:
            return released
        self._finish_level()
        if not self._next:
            return []
        self.level += 1
        entries = sorted(self._next.items(), key=lambda item: item[1][0].order)
        self._next = {}
        for name, site_entries in entries:
            site = self._new_site(name, self.level, site_entries[0].order)
            for entry in sorted(site_entries, key=lambda e: e.order):
                self._enqueue(site, entry.url, entry.payload)
            released.extend(self._fill(site))
        self.events[f"sites_level_{self.level}"] += len(entries)
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
        slot = site.slots[key.index]
        slot.status = status
        slot.outcome = kind
        slot.fault = note
        slot.links = links
        if landed_url is not None:
            site.known.add(self._canonical(landed_url))
        return self._expand(site)

    def page_failed(
        self, key: SlotKey, reason: str, status: int | None = None, fault: str = ""
    ) -> list[Release[P]]:
        """Record a page that produced no document: ``robots`` and ``duplicate`` (never requested)
        and ``moved`` (landed on another site, counted there) give their slot back; any other
        reason (``error``, ``private_address``, ``redirect_refused``, …) counts. ``fault`` says
        what went wrong with a failed request (``timeout``, ``dns``…), for the report."""
        site = self._sites[key.site]
        slot = site.slots[key.index]
        slot.outcome = reason
        slot.status = status
        slot.fault = fault
        self.events[f"page_{reason}"] += 1
        return self._expand(site)

    def redirect(self, key: SlotKey, target_url: str, payload: P) -> Release[P] | None:
        """Decide on a redirect from the page in ``key`` to ``target_url``.

        A same-site redirect keeps its slot: the target URL is marked known and ``None`` is
        returned, meaning "follow it as is". A cross-site redirect counts on the site where it
        lands: when that site has room the redirect gets a slot there (returned; the source slot
        will be given back with :meth:`page_failed` ``moved``); when it has none, or when the
        target was read already, the redirect is refused: :class:`RedirectRefused` is raised.
        """
        if self._refused(target_url):
            raise RedirectRefused(target_url, "private_address")
        name = site_of(target_url)
        canonical = self._canonical(target_url)
        if name == key.site:
            self._sites[name].known.add(canonical)
            return None
        site = self._sites.get(name)
        if site is None:
            source = self._sites[key.site]
            site = self._new_site(name, source.level, (*source.order, key.index))
            self.events["redirect_new_site"] += 1
            # Links already seen to it were waiting for the next level; it now has this one.
            self.events["known_site_link"] += len(self._next.pop(name, ()))
        if canonical in site.known or site.pages_counted >= self._budget(site):
            self.events["redirect_refused"] += 1
            raise RedirectRefused(target_url, "budget_full" if canonical not in site.known else "already_read")
        self.events["redirect_cross_site"] += 1
        return self._allocate(site, target_url, canonical, payload)

    # -- reading the state ----------------------------------------------------------------

    def in_flight(self) -> list[SlotKey]:
        """Slots allocated and not finished yet."""
        return [
            SlotKey(site.name, index)
            for site in self._sites.values()
            for index, slot in enumerate(site.slots)
            if slot.outcome is None
        ]

    def site_level(self, site: str) -> int | None:
        known = self._sites.get(site)
        return None if known is None else known.level

    def coverage(self) -> dict[str, Any]:
        """What the crawl covered, for the coverage report: sites per level, pages per site,
        and every reason a page or site was not read."""
        sites = []
        for site in sorted(self._sites.values(), key=lambda s: (s.level, s.order)):
            pages = [
                {"url": slot.url, "status": slot.status, "outcome": slot.outcome, "fault": slot.fault}
                for slot in site.slots
            ]
            sites.append(
                {
                    "site": site.name,
                    "level": site.level,
                    "pages_counted": site.pages_counted,
                    "budget_full": site.pages_counted >= self._budget(site),
                    "pages": pages,
                }
            )
        levels: dict[str, list[str]] = {}
        for entry in sites:
            levels.setdefault(str(entry["level"]), []).append(entry["site"])
        return {
            "site_depth": self.site_depth,
            "pages_per_site": self.pages_per_site,
            "levels": levels,
            "sites": sites,
            "sites_too_deep": sorted(self._too_deep),
            "sites_private": dict(sorted(self._private.items())),
            "events": dict(sorted(self.events.items())),
        }

    # -- internals ------------------------------------------------------------------------

    def _refused(self, url: str) -> bool:
        """Whether ``url``'s host is refused for safety (counted, and listed in the coverage)."""
        if self._allow_private:
            return False
        host = urlsplit(url).hostname or ""
        refusal = host_refusal(host)
        if refusal is None:
            return False
        self.events["private_address_link"] += 1
        self._private[host] = refusal.kind
        return True

    def _budget(self, site: _Site[P]) -> int:
        return 1 if site.level == 0 else self.pages_per_site

    def _new_site(self, name: str, level: int, order: tuple[int, ...]) -> _Site[P]:
        site: _Site[P] = _Site(name, level, order)
        self._sites[name] = site
        return site

    def _allocate(self, site: _Site[P], url: str, canonical: str, payload: P) -> Release[P]:
        site.known.add(canonical)
        site.slots.append(_Slot(url, canonical))
        self.events["pages_allocated"] += 1
        return Release(SlotKey(site.name, len(site.slots) - 1), url, site.level, payload)

    def _enqueue(self, site: _Site[P], url: str, payload: P) -> None:
        canonical = self._canonical(url)
        if canonical in site.known:
            self.events["duplicate_link"] += 1
            return
        site.known.add(canonical)
        site.waiting.append((url, canonical, payload))

    def _fill(self, site: _Site[P]) -> list[Release[P]]:
        released = []
        while site.waiting and site.pages_counted < self._budget(site):
            url, canonical, payload = site.waiting.popleft()
            site.slots.append(_Slot(url, canonical))
            self.events["pages_allocated"] += 1
            released.append(Release(SlotKey(site.name, len(site.slots) - 1), url, site.level, payload))
        return released

    def _expand(self, site: _Site[P]) -> list[Release[P]]:
        """Take in the links of every finished slot, in slot order, then fill the budget."""
        released: list[Release[P]] = []
        while site.expanded < len(site.slots) and site.slots[site.expanded].outcome is not None:
            slot = site.slots[site.expanded]
            if slot.outcome in _REFUNDED:
                site.refunds += 1
            if site.level > 0:
                for position, (url, payload) in enumerate(slot.links):
                    self._take_link(site, (*site.order, site.expanded, position), url, payload)
            slot.links = []
            site.expanded += 1
            released.extend(self._fill(site))
        return released

    def _take_link(self, site: _Site[P], order: tuple[int, ...], url: str, payload: P) -> None:
        if not is_crawlable(url):
            self.events["not_http"] += 1
            return
        name = site_of(url)
        if name == site.name:
            self._enqueue(site, url, payload)
        elif name in self._sites:
            self.events["known_site_link"] += 1
        elif self._refused(url):
            pass
        elif self.level + 1 > self.site_depth:
            # Only counted: a site beyond the depth is never requested, so nothing is kept for it.
            self.events["too_deep_link"] += 1
            self._too_deep[name] += 1
        else:
            self._next.setdefault(name, []).append(_Entry(order, url, payload))

    def _finish_level(self) -> None:
        """Close the current level: what still waits in line is beyond a site's budget."""
        for site in self._sites.values():
            if site.waiting:
                self.events["budget_exhausted"] += len(site.waiting)
                site.waiting.clear()

    def _close_lost(self) -> list[Release[P]]:
        released: list[Release[P]] = []
        for key in self.in_flight():
            released.extend(self.page_failed(key, "lost"))
        return released


class RedirectRefused(Exception):
    """A redirect that the scope does not follow; ``reason``: ``budget_full`` (the target site has
    no room), ``already_read`` (the target page was read) or ``private_address``."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"redirect to {url} refused ({reason})")
        self.url = url
        self.reason = reason
