"""The scope of a crawl shared by several processes: sites held here, levels kept in Redis.

:class:`SharedScope` is :class:`watch.scope.CrawlScope` for one process among several
(DESIGN §7): it reads only the sites it holds (:class:`watch.sharedcrawl.SharedCrawl` leases them
in read order), each with the same :class:`watch.scope.SiteFrontier` a single process uses, so each
site's pages are those one process would read. What a site found beyond its pages (links to new
sites, counts, refused hosts) is committed with it; the levels, the site registry and the barrier
are Redis's. A link is placed (a known site, or a candidate for the next level) against the
registry as it stood when the level began, plus the sites this process knows since: a site first
reached by a redirect elsewhere during the level is then a next-level candidate here, and becomes a
known-site link when the level ends (:meth:`SharedCrawl.advance`) — the same counts in the end.

A cross-site redirect lands where one process would put it when its target is a new site (the
target is claimed, at the source's level, and read here, or, if this process dies, by another from
the landing URL) or a site this process holds. A redirect whose target an earlier reading of the
same page claimed (the site is read again after its process died) gives its slot back and is
counted as a redirect to a new site, as the first time (:class:`MovedBefore`); the target is read
as its own site.

**The one case that is not exact.** A cross-site redirect into a site that another process holds
or has committed, or into a site of an earlier level, is refused (``redirect_refused``, fault
``redirect_held_elsewhere``), and its page counts in the source site's budget. One process would
follow it into that site when the site has room and does not know the URL (and otherwise refuse
it, ``budget_full`` or ``already_read``, and count it the same way). Following it would put a page
into a site whose pages another process decides, or whose result is committed: the site's slots
would have to be shared, not just its registry entry. Into a site of the same level one process
decides by download timing anyway (whether the site had room and had queued the URL when the
redirect came back); into a site of an earlier level it would decide the same way every time,
so only there does the answer differ from one process's. Blog moves (the redirect to a new domain)
are followed exactly.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from redis.exceptions import RedisError

from watch.scope import CrawlScope, Entry, Findings, LevelProgress, P, RedirectRefused, Release, SiteFrontier, SlotKey
from watch.sharedcrawl import SiteInfo, SiteWork, Status
from watch.urls import crawl_target, site_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from watch.sharedcrawl import SharedCrawl
    from watch.urls import TrackingParameters

#: ``RedirectRefused.reason`` of a redirect to a site another process reads.
HELD_ELSEWHERE = "held_elsewhere"


@dataclass(frozen=True)
class SiteResult(Generic[P]):
    """A committed site, as the main reads it back: its pages, its findings, its documents' evidence."""

    coverage: dict[str, Any]
    findings: Findings[Any]
    evidence: list[dict[str, Any]]


class MovedBefore(Exception):
    """A redirect to the site that an earlier reading of the redirecting site claimed: the page
    moved there (its slot is given back, as the first time), and that site is read as its own."""

    def __init__(self, url: str) -> None:
        super().__init__(f"redirect to {url}: the page moved there before")
        self.url = url


class SharedScope(CrawlScope[P]):
    """See the module docstring. ``main``: this process reads the start page and seeds the crawl.
    Entry links travel through Redis as JSON values: ``state_of`` says what it takes to rebuild a
    payload (for the Scrapy adapter, a request's referer and depth), ``payload_for`` rebuilds it
    from the link's URL and that state. ``sites_at_once``: sites held at once, at most, so that
    the process has pages enough to fetch in parallel; fewer when an even split of the level's
    sites among the live processes is smaller (:meth:`SharedCrawl.lease`)."""

    def __init__(
        self,
        shared: SharedCrawl,
        payload_for: Callable[[str, Any], P],
        state_of: Callable[[P], Any],
        site_depth: int,
        pages_per_site: int,
        tracking: TrackingParameters | None = None,
        *,
        allow_private: bool = False,
        main: bool = False,
        sites_at_once: int = 8,
    ) -> None:
        super().__init__(site_depth, pages_per_site, tracking, allow_private=allow_private)
        self.shared = shared
        self.payload_for = payload_for
        self.state_of = state_of
        self.main = main
        self.sites_at_once = sites_at_once
        self._held: dict[str, SiteWork] = {}
        self._registry: dict[str, SiteInfo] = {}
        self._registry_level = -1
        self._results: list[tuple[str, SiteInfo, SiteResult[Any]]] | None = None

    # -- placing links ---------------------------------------------------------------------

    def knows_site(self, name: str) -> bool:
        return name in self._sites or name in self._registry

    # -- work -------------------------------------------------------------------------------

    @property
    def held(self) -> dict[str, SiteWork]:
        """The sites this process holds, with their lease tokens."""
        return self._held

    def token_of(self, name: str) -> str | None:
        """The lease token under which this process reads ``name`` (``None``: a site it does not
        hold, such as the start page's)."""
        work = self._held.get(name)
        return None if work is None else work.token

    def stale(self, name: str, token: str | None) -> bool:
        """Whether a page of ``name`` requested under ``token`` belongs to a reading this process
        gave up (its lease lapsed, the site is read elsewhere or again): its outcome is ignored."""
        work = self._held.get(name)
        return name not in self._sites if work is None else token != work.token

    def sites_finished(self, names: list[str]) -> bool:
        """Whether every page of these local sites has finished."""
        return all(self._sites[name].done for name in names)

    def level_zero_sites(self) -> list[str]:
        """The start page's site, as the main holds it before seeding (none for a list of sites)."""
        return [name for name, site in self._sites.items() if site.level == 0]

    def seed_crawl(self, evidence: dict[str, list[dict[str, Any]]], seeds: list[tuple[int, str, str]]) -> None:
        """As the main, once the start page is read (or known) and the seeds added: commit the start
        page's site (with its document's ``evidence``), the seeds and what seeding counted, in one
        transaction; level 1 begins with the next :meth:`next_work`, here or elsewhere."""
        level_zero = [
            (name, SiteInfo(0, site.order), _dump(self._result(site, evidence.get(name, []))))
            for name, site in self._sites.items()
        ]
        seeding = self._seeding
        self.shared.seed(level_zero, self._states(seeding.found), seeds, _dump(_findings_json(seeding)))
        self._seeding = Findings()
        self._sites.clear()

    def next_work(self) -> list[Release[P]] | Status:
        """Take sites to read, up to this process's share of the level (``sites_at_once`` held, at
        most): their first pages (an empty list when there is none to take but this process still
        reads some), or, when it reads none, the crawl's status (``SEEDING`` or ``RUNNING``: the
        start page or others' sites are being read; ``ASSEMBLING`` or later: every level is read)."""
        released: list[Release[P]] = []
        while len(self._held) < self.sites_at_once:
            work = self.shared.lease(len(self._held), self.sites_at_once)
            if work is None:
                if self._held or released or self.shared.advance() is None:
                    break
                continue
            released.extend(self._take(work))
        if released or self._held:
            return released
        status = self.shared.status()
        if status is None:
            raise SharedStateLost(_lost_message(self.shared.crawl_id))
        return status

    def _take(self, work: SiteWork) -> list[Release[P]]:
        if work.level != self._registry_level:
            self._registry = self.shared.sites()
            self._registry_level = work.level
            self.level = work.level
        site = self._new_site(work.site, work.level, work.order)
        self._held[work.site] = work
        site.enter([Entry(entry.order, entry.url, self.payload_for(entry.url, entry.payload)) for entry in work.entries])
        return site.fill()

    def sites_done(self) -> list[str]:
        """Held sites whose every page has finished (ready to commit once their documents are settled)."""
        return [name for name in self._held if self._sites[name].done]

    def commit(self, name: str, evidence: list[dict[str, Any]]) -> bool:
        """Commit a held site that is done, with its documents' evidence (JSON values); ``False``
        if its lease was lost (another process reads it again): the site is dropped here either
        way. A Redis error leaves the site held, to be committed again."""
        site = self._sites[name]
        work = self._held[name]
        site.close()
        committed = self.shared.commit(work, _dump(self._result(site, evidence)), self._states(site.findings.found))
        del self._sites[name], self._held[name]
        site.findings.found = {}
        return committed

    def renew(self) -> tuple[set[str], bool]:
        """Renew this process's leases (and, for the main, its hold on the crawl); drop the sites
        no longer ours. Returns them, and whether this process may go on as the crawl's main."""
        lost, holds = self.shared.renew({name: work.token for name, work in self._held.items()}, main=self.main)
        if not holds and self.shared.status() is None:
            raise SharedStateLost(_lost_message(self.shared.crawl_id))
        for name in lost:
            self._held.pop(name, None)
            self._sites.pop(name, None)
        return lost, holds

    def release_all(self) -> None:
        """Give back every held site, unread (a process that stops early)."""
        for name, work in list(self._held.items()):
            self.shared.release(name, work.token)
            self._held.pop(name)
            self._sites.pop(name, None)

    # -- redirects ------------------------------------------------------------------------

    def redirect(self, key: SlotKey, target_url: str, payload: P) -> Release[P] | None:
        """As :meth:`CrawlScope.redirect`, with the target site placed against the shared registry
        (see the module docstring); raises :class:`MovedBefore` for a target that an earlier
        reading of this site claimed."""
        name = site_of(target_url)
        source = self._sites[key.site]
        target = crawl_target(target_url)
        if name == key.site or name in self._sites or (target is not None and self.refusal_of(target.host)):
            return super().redirect(key, target_url, payload)
        known = self._registry.get(name) or self.shared.sites().get(name)
        if known is None:
            info = SiteInfo(source.level, (*source.order, key.index), via=(key.site, key.index))
            work = self.shared.claim(name, info, Entry(info.order, target_url, self.state_of(payload)))
            if work is not None:
                self._held[name] = work
                return super().redirect(key, target_url, payload)
            known = self.shared.sites().get(name)
        if known is not None and known.via == (key.site, key.index):
            # Counted as one process counts a redirect to a new site; the page's slot is given back.
            source.events["redirect_new_site"] += 1
            source.events["redirect_cross_site"] += 1
            raise MovedBefore(target_url)
        source.events["redirect_refused"] += 1
        raise RedirectRefused(target_url, HELD_ELSEWHERE)

    def _states(self, found: dict[str, list[Entry[P]]]) -> dict[str, list[Entry[Any]]]:
        """Links to new sites, their payloads replaced by what it takes to rebuild them."""
        return {
            name: [Entry(entry.order, entry.url, self.state_of(entry.payload)) for entry in entries]
            for name, entries in found.items()
        }

    # -- the whole crawl, read back by the main ----------------------------------------------

    def assemble(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """As the main, once every level is read: read every committed site back; return each
        site's documents' evidence (JSON values), in read order. :meth:`coverage` and
        :attr:`events` then describe the whole crawl."""
        self._results = [(name, info, _load(blob)) for name, info, blob in self.shared.results()]
        seeding = self.shared.seeding()
        self._seeding = _load_findings(json.loads(zlib.decompress(seeding))) if seeding else Findings()
        return [(name, result.evidence) for name, _, result in self._results]

    @property
    def events(self) -> Counter[str]:
        if self._results is None:
            return super().events
        total: Counter[str] = Counter(self.shared.counters())
        total.pop("leases_lapsed", None)
        total.update(self._seeding.events)
        for _, _, result in self._results:
            total.update(result.findings.events)
        return total

    def coverage(self) -> dict[str, Any]:
        if self._results is None:
            return super().coverage()
        sites = [result.coverage for _, _, result in self._results]
        levels: dict[str, list[str]] = {}
        for entry in sites:
            levels.setdefault(str(entry["level"]), []).append(entry["site"])
        findings = [self._seeding, *(result.findings for _, _, result in self._results)]
        return {
            "site_depth": self.site_depth,
            "pages_per_site": self.pages_per_site,
            "levels": levels,
            "sites": sites,
            "sites_too_deep": sorted({name for f in findings for name in f.too_deep}),
            "sites_private": dict(sorted((host, kind) for f in findings for host, kind in f.private.items())),
            "events": dict(sorted(self.events.items())),
        }

    def progress(self) -> LevelProgress:
        """The level being read, across every process (pages: this process's); this process's
        alone while Redis does not answer."""
        local = super().progress()
        try:
            sites = self.shared.counters().get(f"sites_level_{self.level}", local.sites)
            remaining = self.shared.remaining()
        except RedisError:
            return local
        return LevelProgress(self.level, sites, sites - remaining, local.pages_done, remaining * self.pages_per_site)

    def _result(self, site: SiteFrontier[P], evidence: list[dict[str, Any]]) -> dict[str, Any]:
        return {"coverage": site.coverage(), **_findings_json(site.findings), "evidence": evidence}


class SharedStateLost(RuntimeError):
    """The crawl's state is gone from Redis: it cannot go on, and nothing may be exported as complete."""


def _lost_message(crawl_id: str) -> str:
    return f"the crawl {crawl_id!r} is gone from Redis (restarted without persistence?)"


def _dump(result: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _load(blob: bytes) -> SiteResult[Any]:
    data = json.loads(zlib.decompress(blob))
    return SiteResult(data["coverage"], _load_findings(data), data["evidence"])


def _findings_json(findings: Findings[Any]) -> dict[str, Any]:
    """What a site (or the seeding) found besides its pages, but its links to new sites (which
    go to Redis apart, to build the next level)."""
    return {"events": dict(findings.events), "too_deep": dict(findings.too_deep), "private": findings.private}


def _load_findings(data: dict[str, Any]) -> Findings[Any]:
    return Findings(Counter(data["events"]), {}, Counter(data["too_deep"]), dict(data["private"]))
