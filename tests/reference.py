"""A slow, sequential, obviously correct simulation of the crawl scope rules (DESIGN §2).

:func:`reference_crawl` reads a static web (``url -> Resource``, answered exactly as
:class:`mockweb.MockWeb` answers) one request at a time, level after level, and says which
sites get which level and which pages each site requests. End-to-end tests compare the real
crawl's server log against it. It shares with the crawler only what defines the rules: the
site key and canonical form of :mod:`watch.urls`, Scrapy's default ``LinkExtractor`` (following
links to PDF files, as watch does: :data:`spiders.links.DENIED_EXTENSIONS`) and
protego for robots.txt.

The rules, as simulated here:

- Level 0 is the start page (when given): one request, plus its robots.txt. The seeds' sites
  are level 1, their entry URLs the seeds in order.
- One round per level L = 1..site_depth, sites in discovery order. A site fetches the robots.txt
  of a host the first time one of its URLs on that host comes up, then reads breadth-first from
  its entry URLs: a URL whose canonical form was already taken for the site is skipped, a URL
  robots.txt disallows is skipped without counting, every other URL is requested and counts,
  whatever its status, until ``pages_per_site`` have counted.
- A same-site redirect is followed at once; the landing URL takes the slot.
- An answer with a status Scrapy retries (``RETRY_HTTP_CODES``) is asked for again, ``RETRY_TIMES``
  more times (the mock web always answers the same): the server sees the URL that many times,
  and it counts once.
- Links come only from 2xx HTML pages, in document order: same-site ones go to the end of the
  queue; one to a site without a level gives it level L+1 and becomes an entry URL of it, as
  does one to a site already given level L+1 in this round; others add nothing.
- Sites of level site_depth+1 are never requested, not even their robots.txt.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from protego import Protego
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from mockweb import MockWeb
from settings import base as project_settings
from spiders.links import DENIED_EXTENSIONS
from watch.urls import canonicalize, is_crawlable, site_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mockweb import Resource

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_MAX_REDIRECTS = 20
_RETRIED_STATUSES = frozenset(project_settings.RETRY_HTTP_CODES)


@dataclass
class ReferenceCrawl:
    """What a correct crawl requests. Dicts keep discovery order; URLs are canonical."""

    #: Site -> level, for the sites that were read (the portal's site is level 0).
    site_levels: dict[str, int] = field(default_factory=dict)
    #: Site -> every page URL it requested, in request order (a redirect: source, then landing).
    pages: dict[str, list[str]] = field(default_factory=dict)
    #: Sites discovered at level site_depth+1: never requested at all.
    never_requested_sites: set[str] = field(default_factory=set)
    #: Site -> its entry URLs, as linked (not canonicalised), in discovery order.
    entries: dict[str, list[str]] = field(default_factory=dict)
    #: robots.txt URLs requested, in request order.
    robots_urls: list[str] = field(default_factory=list)
    #: Site -> URLs skipped because robots.txt disallows them, in queue order.
    disallowed: dict[str, list[str]] = field(default_factory=dict)
    #: Site -> pages that counted toward its budget (redirect sources do not).
    counted: dict[str, int] = field(default_factory=dict)

    def requested_urls(self) -> set[str]:
        """Every URL requested (pages and robots.txt), canonical."""
        urls = {canonicalize(url) for url in self.robots_urls}
        for site_pages in self.pages.values():
            urls.update(site_pages)
        return urls

    def sites_at(self, level: int) -> list[str]:
        """The sites read at ``level``, in discovery order."""
        return [site for site, site_level in self.site_levels.items() if site_level == level]


class _Simulation:
    """One reference crawl in progress: levels so far, and the record being written."""

    def __init__(
        self, resources: Mapping[str, Resource], pages_per_site: int, user_agent: str
    ) -> None:
        self.web = MockWeb(resources)  # never started: only its answers are used
        self.pages_per_site = pages_per_site
        self.user_agent = user_agent
        self.levels: dict[str, int] = {}
        self.crawl = ReferenceCrawl()
        self.link_extractor = LinkExtractor(deny_extensions=DENIED_EXTENSIONS)

    def discover(self, url: str, level: int) -> None:
        site = site_of(url)
        self.levels.setdefault(site, level)
        if self.levels[site] == level:
            self.crawl.entries.setdefault(site, []).append(url)

    def read_start_page(self, start_url: str) -> None:
        site = site_of(start_url)
        self.levels[site] = 0
        self.crawl.site_levels[site] = 0
        self._fetch_robots(start_url)
        self.crawl.pages[site] = [canonicalize(start_url)]
        self.crawl.counted[site] = 1

    def read_site(self, site: str, level: int) -> None:
        self.crawl.site_levels[site] = level
        requested = self.crawl.pages.setdefault(site, [])
        disallowed = self.crawl.disallowed.setdefault(site, [])
        robots: dict[str, Protego] = {}
        taken: set[str] = set()
        queue = deque(self.crawl.entries[site])
        counted = 0
        while queue and counted < self.pages_per_site:
            url = queue.popleft()
            if canonicalize(url) in taken:
                continue
            taken.add(canonicalize(url))
            if not self._allowed(url, robots):
                disallowed.append(url)
                continue
            url, resource = self._fetch(site, url, requested, taken, robots)
            counted += 1
            for link in self._links(url, resource):
                if site_of(link) == site:
                    queue.append(link)
                else:
                    self.discover(link, level + 1)
        self.crawl.counted[site] = counted

    def _allowed(self, url: str, robots: dict[str, Protego]) -> bool:
        host = urlsplit(url).netloc.lower()
        if host not in robots:
            robots[host] = self._fetch_robots(url)
        return robots[host].can_fetch(url, self.user_agent)

    def _fetch_robots(self, url: str) -> Protego:
        robots_url = urljoin(url, "/robots.txt")
        self.crawl.robots_urls.append(robots_url)
        resource = self.web.resolve(robots_url)
        body = resource.encoded_body.decode("utf-8") if resource.status == 200 else ""
        return Protego.parse(body)

    def _fetch(
        self,
        site: str,
        url: str,
        requested: list[str],
        taken: set[str],
        robots: dict[str, Protego],
    ) -> tuple[str, Resource]:
        """Request ``url``, following same-site redirects; return the final URL and answer."""
        for _ in range(_MAX_REDIRECTS):
            resource = self.web.resolve(url)
            retries = project_settings.RETRY_TIMES if resource.status in _RETRIED_STATUSES else 0
            requested.extend([canonicalize(url)] * (1 + retries))
            location = dict(resource.headers).get("Location")
            if resource.status not in _REDIRECT_STATUSES or location is None:
                return url, resource
            target = urljoin(url, location)
            if site_of(target) != site:
                raise ValueError(
                    f"reference_crawl models same-site redirects only: {url} -> {target}"
                )
            if canonicalize(target) in taken or not self._allowed(target, robots):
                raise ValueError(
                    f"redirect to a URL already taken or disallowed: {url} -> {target}"
                )
            taken.add(canonicalize(target))
            url = target
        raise ValueError(f"more than {_MAX_REDIRECTS} redirects from {url}")

    def _links(self, url: str, resource: Resource) -> list[str]:
        media_type = resource.content_type.split(";")[0].strip().lower()
        if not 200 <= resource.status < 300 or media_type not in _HTML_TYPES:
            return []
        response = HtmlResponse(
            url=url,
            status=resource.status,
            headers={"Content-Type": resource.content_type},
            body=resource.encoded_body,
        )
        links = [link.url for link in self.link_extractor.extract_links(response)]
        return [link for link in links if is_crawlable(link)]


def reference_crawl(
    resources: Mapping[str, Resource],
    *,
    seeds: list[str],
    site_depth: int = 5,
    pages_per_site: int = 10,
    start_url: str | None = None,
    user_agent: str = "*",
) -> ReferenceCrawl:
    """Simulate a crawl of ``resources`` from ``seeds`` (level 1), after reading ``start_url``
    (level 0) when given. See the module docstring for the rules."""
    simulation = _Simulation(resources, pages_per_site, user_agent)
    if start_url is not None:
        simulation.read_start_page(start_url)
    for seed in seeds:
        simulation.discover(seed, 1)
    for level in range(1, site_depth + 1):
        for site in [s for s, site_level in simulation.levels.items() if site_level == level]:
            simulation.read_site(site, level)
    simulation.crawl.never_requested_sites = {
        site for site, level in simulation.levels.items() if level > site_depth
    }
    return simulation.crawl
