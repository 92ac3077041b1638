"""Several processes, one crawl: the Scrapy side of a crawl shared through Redis (DESIGN §7).

With ``WATCH_REDIS_URL`` set, ``scrapy crawl`` is one process of a shared crawl:

* the **main** (today's command plus that setting) publishes the crawl's arguments and the settings
  that decide its answer (:data:`SHARED_SETTINGS`), reads the start page, seeds the crawl, reads its
  share of the sites, and — once every level is read — writes the feeds, the reports and the
  monitoring state, once. Rerun after a crash with the same arguments, it resumes the crawl;
* a **helper** (``-a helper=1``) takes the arguments and settings from Redis (so they cannot
  disagree), reads sites, exports nothing, and ends when the crawl is read. Started before the
  main, it waits for it up to ``WATCH_REDIS_JOIN_WAIT`` seconds, then says there is no crawl to
  join.

``-a crawl_id=NAME`` (default: the spider's name) lets several crawls share one Redis. A password
comes from the URL (``redis://:secret@host:6379/0``) or the environment (``WATCH_REDIS_PASSWORD``);
the URL is masked in the crawl's settings before Scrapy logs them, and never written to a report.

:class:`SharedScopeMiddleware` replaces the scope middleware's single-process parts: instead of
starting the next level when the process idles, it commits each site it has read — with the
evidence its documents left in the ledger, once they have all left the item pipelines — leases the
next sites, renews its leases, and, as the main, reads every site's results back at the end.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from spiders.config import SettingError, read, seconds, whole_number
from spiders.evidence import evidence_of
from spiders.scope import ScopeMiddleware
from watch.ledger import from_json, to_json
from watch.seeds import Seed
from watch.sharedcrawl import LIVE, SharedCrawl, SharedCrawlError, Status
from watch.sharedscope import SharedScope, SharedStateLost

if TYPE_CHECKING:
    from collections.abc import Mapping

    from typing_extensions import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from spiders.scope import ScopeConfig

logger = logging.getLogger(__name__)

#: Settings that decide a crawl's answer: the main publishes them, helpers take them.
SHARED_SETTINGS = (
    "WATCH_SCOPE_SITE_DEPTH", "WATCH_SCOPE_PAGES_PER_SITE", "WATCH_URLS_TRACKING_PARAMETERS",
    "WATCH_TEXT_EXTRACTOR", "WATCH_TEXT_MAX_CHARS", "WATCH_EXPORT_TEXT", "WATCH_QUERY",
    "WATCH_MATCH_SNIPPETS_PER_TERM", "WATCH_MATCH_SNIPPET_WIDTH", "WATCH_ALLOW_PRIVATE_NETWORKS",
    "WATCH_RENDER", "WATCH_RENDER_TEXT_CHARS", "WATCH_RENDER_HINTED_TEXT_CHARS", "WATCH_RENDER_ROOT_TEXT_CHARS",
    "WATCH_RENDER_INLINE_SCRIPT_CHARS", "WATCH_RENDER_TEMPLATE_SHARE", "WATCH_PDF_MAX_PAGES", "WATCH_PDF_MAX_CHARS",
    "WATCH_PDF_MAX_STREAM_BYTES", "FEED_EXPORT_FIELDS", "ROBOTSTXT_OBEY", "REDIRECT_MAX_TIMES", "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "RETRY_HTTP_CODES", "HTTPERROR_ALLOW_ALL",
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
        the :data:`SHARED_SETTINGS`; a helper reads them back (``arguments``: what to apply).
        """
        config = RedisConfig.from_settings(settings)
        if config is None:
            return None
        helper = bool(given.get("helper"))
        crawl_id = str(given.get("crawl_id") or spider)
        worker = f"{'helper' if helper else 'main'}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        client = redis.Redis.from_url(config.url, socket_timeout=10, socket_connect_timeout=10)
        crawl = SharedCrawl(client, crawl_id, worker, config.lease_seconds)
        try:
            if helper:
                return cls(config, crawl, True, True, _join(crawl, config), reads_start=False)
            published = {
                "spider": spider,
                "arguments": {name: str(value) for name, value in given.items() if name not in MAIN_ONLY_ARGUMENTS},
                "settings": {name: settings.get(name) for name in SHARED_SETTINGS},
                "queries": _queries(settings),
            }
            resumed = crawl.begin(published)
        except redis.RedisError as exc:
            raise SettingError(f"cannot reach Redis at {config.shown}: {exc}") from None
        except SharedCrawlError as exc:
            raise SettingError(str(exc)) from None
        seeded = resumed and crawl.status() is not Status.SEEDING
        if resumed:
            # The main that died held sites: they go back to the queue now, not when their leases lapse.
            crawl.reclaim("main@")
            logger.info("Resuming the shared crawl %r (%s)", crawl_id, config.shown)
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


def _join(crawl: SharedCrawl, config: RedisConfig) -> dict[str, Any]:
    """Wait for the main's crawl (up to ``join_wait`` seconds); return what it published."""
    deadline = time.monotonic() + config.join_wait
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
        time.sleep(0.5)


def _queries(settings: BaseSettings) -> dict[str, str]:
    """The equations of ``WATCH_QUERIES_FILE``, by name (a helper may not have the file)."""
    path = settings.get("WATCH_QUERIES_FILE")
    if not path:
        return {}
    from watch.query import QuerySet

    queries = QuerySet.from_file(Path(path))
    return {name: queries.queries[name].equation for name in queries.names}


class SharedScopeMiddleware(ScopeMiddleware):
    """The scope middleware of one process of a shared crawl (see the module docstring)."""

    scope: SharedScope[Request]

    def __init__(self, crawler: Crawler, config: ScopeConfig, run: SharedRun) -> None:
        self.run = run
        super().__init__(crawler, config)
        self._pending: dict[str, int] = {}  # site -> documents still in the item pipelines
        self._seeded = not run.reads_start
        self._started = False  # the spider's start (its seeds, or its start page) is consumed
        self._done = False
        self._unreachable_since: float | None = None
        self._loop = LoopingCall(self._tick)

    def _make_scope(self, config: ScopeConfig) -> SharedScope[Request]:
        return SharedScope(
            self.run.crawl,
            self._entry_request,
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
        # After the evidence extension (built before any middleware), which writes the reports.
        written = signals.feed_exporter_closed if self.crawler.settings.getdict("FEEDS") else signals.spider_closed
        signals_.connect(self._written, signal=written)

    def _entry_request(self, url: str) -> Request:
        spider = self.crawler.spider
        assert spider is not None
        return spider.seed_request(url)  # type: ignore[attr-defined]

    # -- the crawl's phases ----------------------------------------------------------------

    def _opened(self, spider: Spider) -> None:
        evidence = evidence_of(self.crawler)
        evidence.shared_role = "helper" if self.run.helper else "main"
        if not self.run.helper and not self.run.reads_start:
            seeds = self.run.crawl.seeds()
            if seeds:
                evidence.record_seeds([Seed(url, text, rank) for rank, url, text in seeds])
        self._loop.start(min(1.0, self.run.config.lease_seconds / 3), now=False)


    async def process_start(self, start: Any) -> Any:
        """A main seeds the crawl from its spider's start; any other process never runs that code
        (a helper has no start page; a resumed main read it before)."""
        if self.run.reads_start:
            async for obj in super().process_start(start):
                yield obj
        self._started = True

    async def process_spider_output(self, response: Any, result: Any) -> Any:
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

    def _send(self, releases: Any) -> None:
        super()._send(releases)
        self._commit_ready()

    def _spider_idle(self, spider: Spider) -> None:
        if not self._work():
            raise DontCloseSpider

    def _tick(self) -> None:
        """Every second: renew leases, and look for work when this process has none."""
        try:
            lost = self.scope.renew()
            if lost:
                logger.warning("Lease lost on %s (another process reads them again)", ", ".join(sorted(lost)))
            if not self.scope.held and not self._done:
                self._work()
            self._unreachable_since = None
        except redis.RedisError as exc:
            self._unreachable(exc)
        except SharedStateLost as exc:
            self._stop(str(exc))

    def _work(self) -> bool:
        """Commit what is done, take more sites, or tell the crawl is read; ``True`` when this
        process may close (its part is over)."""
        if self._done:
            return True
        try:
            if not self._seeded:
                if not self._ready_to_seed():
                    return False
                self._seed()
            self._commit_ready()
            if self.scope.held:
                return False
            outcome = self.scope.next_work()
        except redis.RedisError as exc:
            self._unreachable(exc)
            return False
        except SharedStateLost as exc:
            self._stop(str(exc))
            return True
        if isinstance(outcome, list):
            self._log_level(outcome)
            self._send(outcome)
            return False
        if outcome is Status.RUNNING:
            return False  # others still read sites of the level
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
        self.scope.seed_crawl(level_zero, [(seed.rank, seed.url, seed.text) for seed in evidence.seeds])
        self._seeded = True

    def _commit_ready(self) -> None:
        """Commit every held site whose pages are done and whose documents left the pipelines."""
        evidence = evidence_of(self.crawler)
        for name in self.scope.sites_done():
            if self._pending.get(name):
                continue
            self._pending.pop(name, None)
            if not self.scope.commit(name, to_json(evidence.ledger.take_site(name))):
                logger.warning("Site %s was taken over by another process: its reading here is dropped", name)

    def _assemble(self) -> None:
        """As the main: read every committed site back into the ledger, for feeds and reports."""
        ledger = evidence_of(self.crawler).ledger
        for name, evidence in self.scope.assemble():
            ledger.add_site(name, from_json(evidence))
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
        evidence_of(self.crawler).incomplete = reason
        feeds = self.crawler.get_extension(FeedExporter)
        for slot in feeds.slots if feeds is not None else ():
            slot.store_empty = False  # no feed file at all, rather than an empty one taken for an answer
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="shared_crawl_stopped"))

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop.running:
            self._loop.stop()
        super()._spider_closed(spider, reason)
        if not self._done and self.scope.held:
            try:
                self.scope.release_all()  # stopped early (Ctrl-C): others may read them at once
            except redis.RedisError:
                pass  # their leases lapse instead

    def _written(self, **kwargs: Any) -> None:
        """As the main, once the feeds and reports of the whole crawl are written: it is done."""
        if not self.run.helper and self._done and not evidence_of(self.crawler).incomplete:
            self.run.crawl.finish()


def _site_of_item(item: Any) -> str:
    site = item.get("site") if isinstance(item, dict) else getattr(item, "site", "")
    return str(site or "")
