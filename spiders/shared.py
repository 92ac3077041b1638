"""Several processes, one crawl: the Scrapy side of a crawl shared through Redis (DESIGN §7).

With ``WATCH_REDIS_URL`` set, ``scrapy crawl`` is one process of a shared crawl:

* the **main** (today's command plus that setting) publishes the crawl's arguments and the settings
  that decide its answer (:data:`SHARED_SETTINGS`), reads the start page, seeds the crawl, reads its
  share of the sites, and — once every level is read — writes the feeds, the reports and the
  monitoring state, once. Rerun after a crash with the same arguments, it resumes the crawl. One
  main at a time: a second one is refused while the first renews its hold; a main rerun on the
  machine where its predecessor died takes over at once (that process is gone), elsewhere once
  the dead main's hold lapses (``WATCH_REDIS_LEASE``);
* a **helper** (``-a helper=1``) takes the arguments and settings from Redis (so they cannot
  disagree), reads sites, exports nothing, and ends (exit status 0) when every level is read.
  Started before the main, it waits for it up to ``WATCH_REDIS_JOIN_WAIT`` seconds, then says
  there is no crawl to join (exit status 2).

``-a crawl_id=NAME`` (default: the spider's name) lets several crawls share one Redis. A password
comes from the URL (``redis://:secret@host:6379/0``) or the environment (``WATCH_REDIS_PASSWORD``);
the URL is masked in the crawl's settings before Scrapy logs them, and never written to a report.

:class:`SharedScopeMiddleware` replaces the scope middleware's single-process parts: instead of
starting the next level when the process idles, it commits each site it has read — with the
evidence its documents left in the ledger, once they have all left the item pipelines (a site is
never committed with a document still on its way) — leases the next sites as soon as there is
room, renews its leases, and, as the main, reads every site's results back at the end (the run's
ledger is then exactly what Redis holds). An entry link read back from Redis is requested as its
page made it (same depth, priority and referer), so documents are the same whoever reads them.

A process may lose a site it is reading (it was unreachable longer than a lease: another process
took the site): the pages of that reading still on their way are ignored (each request carries its
lease, :data:`LEASE_KEY`), its commit is refused, and its documents are never released. The site
may come back to this process later: :class:`LeaseDupeFilter` lets it request the same pages
again. Redis unreachable: the process reads what it holds, commits once Redis is back, and stops
(exit status 1, no feed and no report written) after ``WATCH_REDIS_RECONNECT_WAIT`` seconds, as
it does at once when the crawl is gone from Redis (restarted without persistence).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.retry import Retry
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from twisted.internet.task import LoopingCall

from spiders.config import SettingError, read, seconds, whole_number
from spiders.dupefilter import CompactDupeFilter
from spiders.evidence import evidence_of
from spiders.scope import SLOT_KEY, ScopeMiddleware
from spiders.signals import sites_taken
from watch.ledger import Ledger, from_json, to_json
from watch.scope import SlotKey
from watch.seeds import Seed
from watch.sharedcrawl import LIVE, SharedCrawl, SharedCrawlError, Status
from watch.sharedscope import MovedBefore, SharedScope, SharedStateLost

if TYPE_CHECKING:
    from collections.abc import Mapping

    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from scrapy.utils.request import RequestFingerprinterProtocol

    from spiders.scope import ScopeConfig
    from watch.scope import Release

logger = logging.getLogger(__name__)

#: Settings that decide a crawl's answer: the main publishes them, helpers take them.
SHARED_SETTINGS = (
    "WATCH_SCOPE_SITE_DEPTH", "WATCH_SCOPE_PAGES_PER_SITE", "WATCH_URLS_TRACKING_PARAMETERS",
    "WATCH_TEXT_EXTRACTOR", "WATCH_TEXT_MAX_CHARS", "WATCH_EXPORT_TEXT", "WATCH_QUERY",
    "WATCH_MATCH_SNIPPETS_PER_TERM", "WATCH_MATCH_SNIPPET_WIDTH", "WATCH_ALLOW_PRIVATE_NETWORKS",
    "WATCH_RENDER", "WATCH_RENDER_TEXT_CHARS", "WATCH_RENDER_HINTED_TEXT_CHARS", "WATCH_RENDER_ROOT_TEXT_CHARS",
    "WATCH_RENDER_INLINE_SCRIPT_CHARS", "WATCH_RENDER_TEMPLATE_SHARE", "WATCH_PDF_MAX_PAGES", "WATCH_PDF_MAX_CHARS",
    "WATCH_PDF_MAX_STREAM_BYTES", "FEED_EXPORT_FIELDS", "ROBOTSTXT_OBEY", "REDIRECT_MAX_TIMES", "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "RETRY_HTTP_CODES", "HTTPERROR_ALLOW_ALL", "WATCH_RENDER_SITE_SHELLS",
    "WATCH_RENDER_MIN_ADDED_CHARS", "USER_AGENT", "ROBOTSTXT_USER_AGENT",
)  # fmt: skip
#: The private spider argument that hands the opened :class:`SharedRun` from ``scrapy crawl`` to
#: the spider.
SHARED_ARGUMENT = "_watch_shared"
#: Spider arguments only the main uses (the portal, the seed list, the monitoring state).
MAIN_ONLY_ARGUMENTS = frozenset({"start_url", "seeds_file", "seed_css", "state", "changes", "helper", "crawl_id"})


@dataclass(frozen=True)
class RedisConfig:
    """How this process reaches the shared crawl (``WATCH_REDIS_*`` settings)."""

    url: str  #: with the password, never shown
    shown: str  #: the URL with the password masked
    lease_seconds: float  #: a site held this long without renewal goes back to the others
    join_wait: float  #: how long a helper waits for the main's crawl to appear
    reconnect_wait: float  #: how long Redis may be unreachable before the crawl stops
    sites_at_once: int  #: sites this process holds at once

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self | None:
        """The shared crawl's settings, or ``None`` when ``WATCH_REDIS_URL`` is empty (one process)."""
        url = str(settings.get("WATCH_REDIS_URL") or "").strip()
        lease_seconds = read(settings, "WATCH_REDIS_LEASE", seconds)
        join_wait = read(settings, "WATCH_REDIS_JOIN_WAIT", seconds)
        reconnect_wait = read(settings, "WATCH_REDIS_RECONNECT_WAIT", seconds)
        sites_at_once = read(settings, "WATCH_REDIS_SITES_AT_ONCE", whole_number(1))
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
            raise SettingError(
                f"invalid setting WATCH_REDIS_URL={mask(url)!r}: expected redis://[:password@]host[:port][/db]"
            )
        password = os.environ.get("WATCH_REDIS_PASSWORD", "")
        if password and not parts.password:
            netloc = f":{password}@{parts.netloc.rsplit('@', 1)[-1]}"
            url = urlunsplit(parts._replace(netloc=netloc))
        return cls(
            url=url,
            shown=mask(url),
            lease_seconds=lease_seconds,
            join_wait=join_wait,
            reconnect_wait=reconnect_wait,
            sites_at_once=sites_at_once,
        )


def mask(url: str) -> str:
    """``url`` with its password replaced by ``***``.

    >>> mask("redis://:s3cret@db.example:6379/0"), mask("redis://user:pw@h/1"), mask("redis://h:6379")
    ('redis://:***@db.example:6379/0', 'redis://user:***@h/1', 'redis://h:6379')
    """
    parts = urlsplit(url)
    if not parts.password:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))


@dataclass
class SharedRun:
    """This process's part in a shared crawl: its connection, role and the crawl's arguments."""

    config: RedisConfig
    crawl: SharedCrawl
    helper: bool
    resumed: bool
    arguments: dict[str, Any]
    #: This process reads the start page and seeds the crawl: a main, unless it resumes a crawl
    #: seeded already.
    reads_start: bool

    @classmethod
    def open(cls, settings: BaseSettings, spider: str, given: Mapping[str, Any]) -> Self | None:
        """Join or start the shared crawl ``settings`` name, or ``None`` for a single process.

        The main publishes (or, resuming, checks) ``given`` (the ``-a`` arguments as written) and
        the :data:`SHARED_SETTINGS`, and holds the crawl (a second main of it is refused while
        this one runs); a helper reads them back (``arguments``: what to apply).
        """
        config = RedisConfig.from_settings(settings)
        if config is None:
            return None
        helper = bool(given.get("helper"))
        crawl_id = str(given.get("crawl_id") or spider)
        worker = f"{'helper' if helper else 'main'}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        client = _client(config.url)
        crawl = SharedCrawl(client, crawl_id, worker, config.lease_seconds)
        try:
            if helper:
                return cls(config, crawl, True, True, _join(crawl, config), reads_start=False)
            published = {
                "spider": spider,
                "arguments": {
                    name: str(value)
                    for name, value in given.items()
                    if name not in MAIN_ONLY_ARGUMENTS and not name.startswith("_")  # Scrapyd's _job
                },
                "settings": {name: settings.get(name) for name in SHARED_SETTINGS},
                "queries": _queries(settings),
            }
            resumed = crawl.begin(published)
            previous = _hold(crawl, config)
            seeded = resumed and crawl.status() is not Status.SEEDING
            if previous:
                # The main that died held sites: they go back to the queue now, not when their leases lapse.
                crawl.reclaim(previous)
        except redis.RedisError as exc:
            raise SettingError(f"cannot reach Redis at {config.shown}: {exc}") from None
        except SharedCrawlError as exc:
            raise SettingError(str(exc)) from None
        return cls(config, crawl, False, resumed, published, reads_start=not seeded)

    def apply(self, settings: BaseSettings) -> None:
        """As a helper: take the main's settings (over any given here) and its equations file. A
        helper's feeds (Scrapyd gives every job one) are never written: the main writes the crawl's."""
        for name, value in self.arguments["settings"].items():
            settings.set(name, value, "cmdline")
        settings.set("FEED_STORE_EMPTY", False, "cmdline")
        queries = self.arguments.get("queries")
        if queries:
            handle, path = tempfile.mkstemp(prefix="watch-queries-", suffix=".txt")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.writelines(f"{name}: {equation}\n" for name, equation in queries.items())
            settings.set("WATCH_QUERIES_FILE", path, "cmdline")


def check_helper(arguments: Mapping[str, Any], settings: BaseSettings) -> None:
    """A helper needs the crawl's Redis, and takes every other argument from the main's crawl."""
    if not arguments.get("helper"):
        return
    if not settings.get("WATCH_REDIS_URL"):
        raise SettingError("helper=1 needs -s WATCH_REDIS_URL=redis://host:port/db (where the main run's crawl is)")
    given = sorted(name for name in arguments if name not in ("helper", "crawl_id") and not name.startswith("_"))
    if given:
        raise SettingError(
            f"a helper takes the crawl's arguments from Redis, so that they cannot disagree: drop {', '.join(given)}"
        )


def _client(url: str) -> redis.Redis:
    """A Redis connection for the crawl. Every call waits at most 5 s for an answer, and is tried
    once more after a lost connection: the crawl's own calls are made in the crawl's thread, and
    it decides how long Redis may be away (``WATCH_REDIS_RECONNECT_WAIT``). Its round trips are
    counted (:func:`round_trips`)."""
    base = parse_url(url).get("connection_class", redis.Connection)
    counted = type(f"Counted{base.__name__}", (_RoundTrips, base), {})
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.1), retries=1)
    return redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=5, retry=retry, connection_class=counted
    )


class _RoundTrips:
    """Counts what a Redis connection sends: one round trip a command, or a pipeline."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        _RoundTrips.sent += 1
        super().send_packed_command(command, check_health)  # type: ignore[misc]


def round_trips() -> int:
    """Round trips this process made to Redis so far."""
    return _RoundTrips.sent


def _join(crawl: SharedCrawl, config: RedisConfig) -> dict[str, Any]:
    """Wait for the main's crawl (up to ``join_wait`` seconds); return what it published."""
    deadline = time.monotonic() + config.join_wait
    waiting = False
    while True:
        status = crawl.status()
        if status in LIVE:
            return crawl.arguments()
        if time.monotonic() >= deadline:
            state = "finished" if status is Status.FINISHED else "failed" if status is Status.FAILED else "not started"
            raise SettingError(
                f"no crawl to join: the crawl {crawl.crawl_id!r} in Redis at {config.shown} is {state}"
                f" (waited {config.join_wait:g} s for the main run; start it, or check -a crawl_id)"
            )
        if not waiting:
            waiting = True
            # Before logging is set up: this goes to stderr, where a user watching the helper looks.
            print(
                f"Waiting up to {config.join_wait:g} s for the main run of the crawl {crawl.crawl_id!r}"
                f" in Redis at {config.shown}",
                file=sys.stderr,
            )
        time.sleep(0.5)


def _hold(crawl: SharedCrawl, config: RedisConfig) -> str:
    """Hold the crawl as its main; return the main that held it before (``""``: none), whose sites
    go back to the queue. A main that still holds it is waited for while its hold may lapse (it
    died on another machine), unless it ran on this machine and its process is gone."""
    deadline = time.monotonic() + config.lease_seconds
    while True:
        hold = crawl.hold_main()
        if hold.taken:
            return hold.holder
        if _dead_here(hold.holder):
            crawl.hold_main(force=True)
            return hold.holder
        if time.monotonic() >= deadline:
            raise SettingError(
                f"the crawl {crawl.crawl_id!r} in Redis at {config.shown} is being run by another main run"
                f" ({hold.holder}): add helpers with -a helper=1, or name this crawl with -a crawl_id=NAME"
            )
        time.sleep(min(max(hold.seconds_left, 0.05), 0.5))


def _dead_here(worker: str) -> bool:
    """Whether ``worker`` (``role@host:pid:tag``) ran on this machine in a process that is gone.

    >>> _dead_here(f"main@{socket.gethostname()}:{os.getpid()}:abc"), _dead_here("main@elsewhere:1:abc")
    (False, False)
    """
    _, _, place = worker.partition("@")
    host, _, rest = place.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _queries(settings: BaseSettings) -> dict[str, str]:
    """The equations of ``WATCH_QUERIES_FILE``, by name (a helper may not have the file)."""
    path = settings.get("WATCH_QUERIES_FILE")
    if not path:
        return {}
    from watch.query import QuerySet

    queries = QuerySet.from_file(Path(path))
    return {name: queries.queries[name].equation for name in queries.names}


#: Request meta key: the lease under which a page of a shared crawl was requested.
LEASE_KEY = "watch_lease"
#: Seconds between two renewals of a process's leases (or a third of the lease, if shorter).
_RENEW = 0.25
#: Seconds between two looks for work of a process that reads no site (waiting for the others to
#: finish a level): every :data:`_IDLE_POLL` during its first :data:`_IDLE_FAST` seconds without a
#: site, when the level usually ends (the others read their last pages), so that it takes the next
#: level's sites within this time, as the process that ended the level does at once; then the wait
#: doubles after each look that finds nothing, up to :data:`_IDLE_POLL_MAX` (a long wait for a
#: slow site costs Redis a look every 0.2 s). A look is two or three round trips.
_IDLE_POLL = 0.02
_IDLE_FAST = 1.0
_IDLE_POLL_MAX = 0.2


def idle_wait(idle_for: float, last: float) -> float:
    """The wait after the next look for work of a process without a site for ``idle_for`` seconds,
    whose last wait was ``last`` (see :data:`_IDLE_POLL`)."""
    return last if idle_for < _IDLE_FAST else min(2 * last, _IDLE_POLL_MAX)


class LeaseDupeFilter(CompactDupeFilter):
    """The duplicate filter of a process of a shared crawl: a page is a duplicate only of pages of
    the same reading of its site (same lease, :data:`LEASE_KEY`).

    A site may be read again by the process that gave it up (its lease lapsed while it was busy,
    and the site came back to the queue): its pages must be requested again, not filtered as
    already seen. Within one reading, duplicates are filtered as in one process (a redirect to a
    page of the site already requested). ``scrapy crawl`` sets it as ``DUPEFILTER_CLASS`` for a
    shared crawl.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        fingerprinter = _LeaseFingerprinter(crawler.request_fingerprinter)
        return cls(crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=fingerprinter)


class _LeaseFingerprinter:
    """The crawl's fingerprint of a request, mixed with its lease (when it has one)."""

    def __init__(self, inner: RequestFingerprinterProtocol) -> None:
        self.inner = inner

    def fingerprint(self, request: Request) -> bytes:
        found = self.inner.fingerprint(request)
        lease = request.meta.get(LEASE_KEY)
        if not lease:
            return found
        return blake2b(found + str(lease).encode(), digest_size=len(found)).digest()


class SharedScopeMiddleware(ScopeMiddleware):
    """The scope middleware of one process of a shared crawl (see the module docstring)."""

    scope: SharedScope[Request]

    def __init__(self, crawler: Crawler, config: ScopeConfig, run: SharedRun) -> None:
        if not issubclass(load_object(crawler.settings["DUPEFILTER_CLASS"]), LeaseDupeFilter):
            raise RuntimeError(
                f"a shared crawl needs DUPEFILTER_CLASS = {LeaseDupeFilter.__module__}.{LeaseDupeFilter.__name__}"
                " (scrapy crawl sets it when WATCH_REDIS_URL is set)"
            )
        self.run = run
        super().__init__(crawler, config)
        self._pending: dict[str, int] = {}  # site -> documents still in the item pipelines
        self._seeded = not run.reads_start
        self._started = False  # the spider's start (its seeds, or its start page) is consumed
        self._done = False
        self._working = False  # in _work: commits made meanwhile do not start it again
        self._committed = 0
        self._renewed = 0.0  # time.monotonic() of the last renewal
        self._idle_wait = _IDLE_POLL  # between two looks for work while reading nothing
        self._idle_since: float | None = None  # time.monotonic() when this process last held no site
        self._next_look = 0.0
        self._unreachable_since: float | None = None
        self._loop = LoopingCall(self._tick)

    def _make_scope(self, config: ScopeConfig) -> SharedScope[Request]:
        return SharedScope(
            self.run.crawl,
            self._entry_request,
            _request_state,
            config.site_depth,
            config.pages_per_site,
            config.tracking,
            allow_private=config.allow_private,
            main=not self.run.helper,
            sites_at_once=self.run.config.sites_at_once,
        )

    def connect_signals(self) -> None:
        super().connect_signals()
        signals_ = self.crawler.signals
        signals_.connect(self._settled, signal=signals.item_dropped)
        signals_.connect(self._settled, signal=signals.item_error)
        signals_.connect(self._settled, signal=signals.item_scraped)
        signals_.connect(self._opened, signal=signals.spider_opened)
        # After the evidence extension (built before any middleware), which writes the reports, and
        # before the monitoring state (an item pipeline, built after the middlewares) makes this
        # run's documents known: a main that dies between the two leaves a finished crawl and a
        # state as before, so its rerun crawls again and labels the documents as this run did.
        written = signals.feed_exporter_closed if self.crawler.settings.getdict("FEEDS") else signals.spider_closed
        signals_.connect(self._written, signal=written)

    def _entry_request(self, url: str, state: Any) -> Request:
        """The request for an entry link read back from Redis, as the link's page made it."""
        spider = self.crawler.spider
        assert spider is not None
        request: Request = spider.seed_request(url)  # type: ignore[attr-defined]
        if state:
            request.meta["depth"] = state["depth"]
            request.priority = state["priority"]
            if state["referer"] is not None:
                request.headers["Referer"] = state["referer"]
        return request

    # -- the crawl's phases ----------------------------------------------------------------

    def _opened(self, spider: Spider) -> None:
        evidence = evidence_of(self.crawler)
        evidence.shared_role = "helper" if self.run.helper else "main"
        crawl = self.run.crawl
        where = f"{crawl.crawl_id!r} in Redis at {self.run.config.shown}"
        if self.run.helper:
            logger.info("Helping the shared crawl %s (%s)", where, crawl.worker)
        elif self.run.resumed:
            logger.info("Resuming the shared crawl %s, started %s, at level %d (%s)", where, crawl.started(),
                        crawl.level(), crawl.worker)  # fmt: skip
        else:
            logger.info("Starting the shared crawl %s (%s)", where, crawl.worker)
        if not self.run.helper and not self.run.reads_start:
            seeds = crawl.seeds()
            if seeds:
                evidence.record_seeds([Seed(url, text, rank) for rank, url, text in seeds])
        self._loop.start(_IDLE_POLL, now=False)

    async def process_start(self, start: Any) -> Any:
        """A main seeds the crawl from its spider's start; any other process never runs that code
        (a helper has no start page; a resumed main read it before)."""
        if self.run.reads_start:
            async for obj in super().process_start(start):
                yield obj
        self._started = True

    async def process_spider_output(self, response: Response, result: Any) -> Any:
        key = response.meta.get(SLOT_KEY)
        if key is not None and self.scope.stale(key[0], response.meta.get(LEASE_KEY)):
            async for _ in result:
                pass  # a page of a reading given up: neither its links nor its document count
            return
        async for obj in super().process_spider_output(response, self._counted(result)):
            yield obj
        self._commit_ready()

    async def _counted(self, result: Any) -> Any:
        async for obj in result:
            if not isinstance(obj, Request):
                site = _site_of_item(obj)
                self._pending[site] = self._pending.get(site, 0) + 1
            yield obj

    def _settled(self, item: Any, response: Any = None, **kwargs: Any) -> None:
        if response is None:  # the main's release to the feeds, after the crawl
            return
        site = _site_of_item(item)
        if self._pending.get(site):
            self._pending[site] -= 1
        self._commit_ready()

    def _stale(self, request: Request) -> bool:
        key = request.meta.get(SLOT_KEY)
        return key is not None and self.scope.stale(key[0], request.meta.get(LEASE_KEY))

    def _page_failed(self, request: Request, failure: Any) -> None:
        if not self._stale(request):
            super()._page_failed(request, failure)

    def _request_dropped(self, request: Request, spider: Spider) -> None:
        if not self._stale(request):
            super()._request_dropped(request, spider)

    def _request_scheduled(self, request: Request, spider: Spider) -> None:
        if self._stale(request):
            raise IgnoreRequest(f"page of a site no longer read here: {request.url}")
        try:
            super()._request_scheduled(request, spider)
        except MovedBefore:
            self._send(self.scope.page_failed(SlotKey(*request.meta[SLOT_KEY]), "moved"))
            raise IgnoreRequest(f"redirect to a site read as its own: {request.url}") from None
        key = request.meta.get(SLOT_KEY)
        if key is not None:  # a redirect to a site claimed now is read under that site's lease
            request.meta[LEASE_KEY] = self.scope.token_of(key[0])

    def _prepare(self, release: Release[Request]) -> Request:
        request = super()._prepare(release)
        request.meta[LEASE_KEY] = self.scope.token_of(release.key.site)
        return request

    def _send(self, releases: Any) -> None:
        super()._send(releases)
        self._commit_ready()

    def _log_level(self, released: list[Release[Request]]) -> None:
        if self.scope.level == self._logged_level:
            return
        self._logged_level = self.scope.level
        try:
            sites = self.run.crawl.counters().get(f"sites_level_{self.scope.level}", 0)
        except redis.RedisError:
            sites = 0
        logger.info(
            "Level %d: %d site(s) in the shared crawl; this process starts with %d site(s), %d page(s)",
            self.scope.level, sites, len({r.key.site for r in released}), len(released),
        )  # fmt: skip

    def _spider_idle(self, spider: Spider) -> None:
        if not self._work():
            raise DontCloseSpider

    def _tick(self) -> None:
        """Renew the leases every :data:`_RENEW` seconds (and take more sites if there is room);
        when this process reads no site, look for work, soon, then less and less often."""
        now = time.monotonic()
        if now - self._renewed >= min(_RENEW, self.run.config.lease_seconds / 3):
            self._renewed = now
            if not self._renew():
                return
            if self.scope.held and not self._done:
                self._work()
        if self.scope.held:
            self._idle_since, self._idle_wait, self._next_look = None, _IDLE_POLL, 0.0
        if self._done or self.scope.held or now < self._next_look:
            return
        if self._idle_since is None:
            self._idle_since = now
        if self._work():
            engine = self.crawler.engine
            assert engine is not None
            if engine.spider_is_idle():  # close now, not at the engine's next idle check (5 s)
                deferred_from_coro(engine.close_spider_async(reason="finished"))
        elif not self.scope.held:
            self._next_look = now + self._idle_wait
            self._idle_wait = idle_wait(now - self._idle_since, self._idle_wait)

    def _renew(self) -> bool:
        """Renew this process's leases; ``False`` when it cannot go on (for now, or for good)."""
        try:
            lost, holds = self.scope.renew()
            self._unreachable_since = None
        except redis.RedisError as exc:
            self._unreachable(exc)
            return False
        except SharedStateLost as exc:
            self._stop(str(exc))
            return False
        if lost:
            logger.warning("Lease lost on %s (another process reads them again)", ", ".join(sorted(lost)))
            self.crawler.stats.inc_value("watch/shared/sites_lost", len(lost))  # type: ignore[union-attr]
        if not holds:
            self._stop("another main run took this crawl over (this one was unreachable too long)")
            return False
        return True

    def _work(self) -> bool:
        """Commit what is done, take more sites, or tell the crawl is read; ``True`` when this
        process may close (its part is over)."""
        if self._done:
            return True
        if self._working:
            return False
        self._working = True
        try:
            return self._look_for_work()
        finally:
            self._working = False

    def _look_for_work(self) -> bool:
        try:
            if not self._seeded:
                if not self._ready_to_seed():
                    return False
                self._seed()
            self._commit_ready()
            outcome = self.scope.next_work()
            self._unreachable_since = None
        except redis.RedisError as exc:
            self._unreachable(exc)
            return False
        except SharedStateLost as exc:
            self._stop(str(exc))
            return True
        if isinstance(outcome, list):
            if outcome:
                self._log_level(outcome)
                # Their robots.txt, fetched by whichever process found them, is read from Redis first.
                self.crawler.signals.send_catch_log(sites_taken, urls=[release.url for release in outcome])
                self._send(outcome)
            return False
        if outcome in (Status.SEEDING, Status.RUNNING):
            return False  # the main reads the start page, or others still read sites of the level
        if outcome is Status.FAILED:
            self._stop(f"the shared crawl failed: {self.run.crawl.failure()}")
            return True
        self._done = True
        if not self.run.helper and outcome is Status.ASSEMBLING:
            self._assemble()
            evidence_of(self.crawler).shared_complete = True
        return True

    def _ready_to_seed(self) -> bool:
        """The start page (if any) is read, its document left the pipelines, every seed is known."""
        level_zero = self.scope.level_zero_sites()
        return self._started and self.scope.sites_finished(level_zero) and not any(
            self._pending.get(name) for name in level_zero
        )

    def _seed(self) -> None:
        """As the main, once the start page is read: commit it with the seeds; level 1 begins."""
        evidence = evidence_of(self.crawler)
        level_zero = {name: to_json(evidence.ledger.take_site(name)) for name in self.scope.level_zero_sites()}
        try:
            self.scope.seed_crawl(level_zero, [(seed.rank, seed.url, seed.text) for seed in evidence.seeds])
        except redis.RedisError:
            for name, values in level_zero.items():
                evidence.ledger.add_site(name, from_json(values))
            raise
        self._seeded = True

    def _commit_ready(self) -> None:
        """Commit every held site whose pages are done and whose documents left the pipelines; then
        take more sites."""
        ledger = evidence_of(self.crawler).ledger
        committed = False
        for name in self.scope.sites_done():
            if self._pending.get(name):
                continue
            evidence = ledger.take_site(name)
            try:
                accepted = self.scope.commit(name, to_json(evidence))
            except redis.RedisError as exc:
                ledger.add_site(name, evidence)  # committed again on the next occasion
                self._unreachable(exc)
                return
            self._pending.pop(name, None)
            committed = True
            if accepted:
                self._committed += 1
            else:
                logger.warning("Site %s was taken over by another process: its reading here is dropped", name)
        if committed:
            self._work()

    def _assemble(self) -> None:
        """As the main: the run's ledger becomes every committed site's evidence, read back from
        Redis (and only that: a reading this process gave up left nothing), for feeds and reports."""
        evidence = evidence_of(self.crawler)
        evidence.ledger = Ledger()
        for name, values in self.scope.assemble():
            evidence.ledger.add_site(name, from_json(values))
        logger.info("Every level read by %d process(es): writing the feeds and reports", self.run.crawl.workers_seen())

    def _unreachable(self, exc: Exception) -> None:
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since = now
            logger.error("Redis at %s is unreachable (%s); waiting up to %g s for it", self.run.config.shown, exc,
                         self.run.config.reconnect_wait)  # fmt: skip
        elif now - self._unreachable_since > self.run.config.reconnect_wait:
            self._stop(f"Redis at {self.run.config.shown} unreachable for {self.run.config.reconnect_wait:g} s")

    def _stop(self, reason: str) -> None:
        """Stop this process: nothing is exported as if the crawl were complete."""
        if self._done:
            return
        self._done = True
        logger.error("%s: stopping; no feed is written (rerun the same command to resume)", reason)
        evidence_of(self.crawler).stop_short(reason)
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="shared_crawl_stopped"))

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop.running:
            self._loop.stop()
        super()._spider_closed(spider, reason)
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("watch/shared/sites_committed", self._committed)
        stats.set_value("watch/shared/redis_round_trips", round_trips())
        logger.info("%d site(s) read here and committed to the shared crawl (%d Redis round trips)", self._committed,
                    round_trips())  # fmt: skip
        try:
            if not self._done and self.scope.held:
                self.scope.release_all()  # stopped early (Ctrl-C): others may read them at once
            failure = stats.get_value("watch/error")
            if not self.run.helper and not self._seeded and failure:
                # The start page could not be read (or gave no seed): helpers stop too.
                self.run.crawl.fail(str(failure))
        except redis.RedisError:
            pass  # leases lapse instead; a main rerun starts the crawl again

    def _written(self, **kwargs: Any) -> None:
        """As the main, once the feeds and reports of the whole crawl are written: it is done."""
        if not self.run.helper and self._done and not evidence_of(self.crawler).incomplete:
            self.run.crawl.finish()


def _request_state(request: Request) -> dict[str, Any]:
    """What an entry link's request needs, besides its URL, to be made again by another process as
    its page made it: its page depth, priority and referer (a document's ``depth`` and ``referer``)."""
    referer = request.headers.get("Referer")
    return {
        "depth": request.meta.get("depth", 0),
        "priority": request.priority,
        "referer": None if referer is None else referer.decode("latin-1"),
    }


def _site_of_item(item: Any) -> str:
    site = item.get("site") if isinstance(item, dict) else getattr(item, "site", "")
    return str(site or "")
