"""One crawl shared by several processes through Redis: its levels, its sites, who reads which.

DESIGN §7. A *main* run and any number of *helpers* read one crawl together. The unit of work is a
site: its pages are chosen breadth-first from its entry links alone (:class:`watch.scope.SiteFrontier`),
so one process can read a whole site while others read other sites of the same level, and the
pages chosen are those a single process would choose. What must be shared is kept in Redis, and
every change to it is atomic (a Lua script, or a ``WATCH``/``MULTI`` transaction):

* the **site registry** (``sites``): every site reached, its level and its read-order key — so a
  link to a known site is never a new site, and each site gets the smallest level;
* the **level barrier**: the sites of the current level wait in ``todo`` (in read order) and
  ``remaining`` counts those not committed; the next level is built, once, by whichever process
  sees ``remaining`` reach zero (:meth:`SharedCrawl.advance`, a transaction that fails if any of
  its keys changed meanwhile), from the links that the committed sites found to sites not known
  yet (``next``);
* **leases**: a process takes a site with a token and a deadline that it renews
  (:meth:`SharedCrawl.renew`), up to its share of the level (an even split among the processes
  that reached Redis lately, ``alive``, so that no process takes a small level whole while
  another waits); a site whose lease lapses (its process died) goes back to ``todo``
  for another process, and a commit carrying a token that is not the site's live one is refused,
  so a site is never counted twice. Deadlines follow the crawl's **clock**: Redis's time, except
  the time during which no process reached Redis (Redis stopped or unreachable, every process
  paused), which does not count, so that an outage longer than a lease does not take every site
  from the processes that hold it;
* **results**: a site is committed with everything the end of the crawl needs (its pages, its
  documents, its counts: an opaque blob here) in the same atomic step that releases its lease and
  counts it done. Nothing is lost (work is acknowledged only by its commit) and nothing is counted
  twice (a commit needs the live token; one repeated because its answer was lost is answered
  again, not applied twice);
* the **main's hold**: one main at a time (:meth:`SharedCrawl.hold_main`), renewed with its leases;
* **robots.txt**: the one a process fetched for a site it found (before the site's level starts),
  kept for the process that will read the site (:meth:`SharedCrawl.keep_robots_txt`), which
  neither fetches it again nor waits for it (unless it took the site before the fetch came back).

The end of the crawl is decided from this state alone, never from one process being idle: when a
level completes with no new site, the crawl is ``assembling`` and the main writes the feeds and
reports from the committed results, then marks it ``finished``.

Keys live under ``watch:<crawl_id>:``, so several crawls can share one Redis. The scripts build key
names from that prefix: a standalone Redis (or a single Redis Cluster slot), not a cluster.
Every call is synchronous and makes one round trip: a crawl makes a few per site, never per page.
Redis holds, besides the registry, each committed site's result (zlib-compressed JSON: its pages,
counts and documents' evidence, about 60 bytes a page on :mod:`bench.scale`'s web) until the
next run of the crawl starts afresh, the sites' robots.txt (compressed) as long, and, during a
level, the links found to the next level's sites (compressed too).
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from redis.exceptions import WatchError

from watch.scope import Entry, entering_order

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import redis

Order = tuple[int, ...]


class Status(str, Enum):
    """Where a shared crawl stands."""

    SEEDING = "seeding"  #: the main reads the start page and posts the seeds
    RUNNING = "running"  #: levels are being read
    ASSEMBLING = "assembling"  #: every level read; the main writes feeds and reports
    FINISHED = "finished"  #: done; a new run with the same name starts afresh
    FAILED = "failed"  #: stopped on an error; a new run starts afresh


#: A crawl in one of these states can be resumed (by the main) or joined (by helpers).
LIVE = frozenset({Status.SEEDING, Status.RUNNING, Status.ASSEMBLING})


class SharedCrawlError(RuntimeError):
    """The shared crawl cannot be used as asked (one line, for the user)."""


@dataclass(frozen=True)
class SiteWork:
    """A site this process holds: read it, then :meth:`SharedCrawl.commit` it with ``token``."""

    site: str
    level: int
    order: Order
    entries: tuple[Entry[Any], ...]  #: payloads: JSON values
    token: str


@dataclass(frozen=True)
class SiteInfo:
    """What the registry knows of a site: its level, its read order, and, for a site first reached
    by a redirect, the page that redirected to it (``via``: site and rank)."""

    level: int
    order: Order
    via: tuple[str, int] | None = None


# Every script that judges leases first reads the crawl's clock: Redis's time, except that time
# during which no process reached Redis (Redis stopped or unreachable, every process paused) does
# not count against leases. Each process reaches Redis every few tenths of a second while it runs,
# so a gap longer than a third of a lease means nobody could: every deadline moves on by the gap.
# A dead process's leases still lapse, as the live ones keep the clock going.
_CLOCK = """
local function clock(p, ttl)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local last = tonumber(redis.call('GET', p .. 'clock'))
  local slack = math.floor(ttl / 3)
  if last and now - last > slack then
    local gap = now - last - slack
    for _, key in ipairs({'leases', 'main', 'alive'}) do
      for _, member in ipairs(redis.call('ZRANGE', p .. key, 0, -1)) do
        redis.call('ZINCRBY', p .. key, gap, member)
      end
    end
  end
  redis.call('SET', p .. 'clock', now)
  return now
end

-- This worker reached Redis now; return how many did within the clock's slack (the live ones).
local function alive(p, worker, now, ttl)
  redis.call('ZADD', p .. 'alive', now, worker)
  redis.call('ZREMRANGEBYSCORE', p .. 'alive', '-inf', now - math.floor(ttl / 3))
  return redis.call('ZCARD', p .. 'alive')
end
"""

# Lapsed leases go back to the queue in their rank; then the first site of the queue is leased,
# unless the worker already holds its share: `cap` sites (0: no cap), or an even split of the
# level's sites not committed yet among the live workers.
_LEASE = _CLOCK + """
local p, worker, ttl, held, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = clock(p, ttl)
local live = alive(p, worker, now, ttl)
for _, site in ipairs(redis.call('ZRANGEBYSCORE', p .. 'leases', '-inf', now)) do
  redis.call('ZREM', p .. 'leases', site)
  redis.call('DEL', p .. 'lease:' .. site)
  redis.call('ZADD', p .. 'todo', redis.call('HGET', p .. 'rank', site), site)
  redis.call('HINCRBY', p .. 'counters', 'leases_lapsed', 1)
end
local share = math.ceil(tonumber(redis.call('GET', p .. 'remaining') or 0) / live)
if cap > 0 and cap < share then share = cap end
if held >= share then return false end
local popped = redis.call('ZPOPMIN', p .. 'todo')
if #popped == 0 then return false end
local site = popped[1]
local token = worker .. ':' .. redis.call('INCR', p .. 'tokens')
redis.call('SET', p .. 'lease:' .. site, token)
redis.call('ZADD', p .. 'leases', now + ttl, site)
redis.call('SADD', p .. 'workers', worker)
return {site, token, redis.call('HGET', p .. 'sites', site), redis.call('GET', p .. 'work:' .. site)}
"""

# Renew the leases still ours (and, for the main, its hold on the crawl); return the sites whose
# lease is not ours any more, and whether the main still holds the crawl.
_RENEW = _CLOCK + """
local p, ttl, worker, main = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local now = clock(p, ttl)
alive(p, worker, now, ttl)
local lost = {}
for i = 5, #ARGV, 2 do
  local site, token = ARGV[i], ARGV[i + 1]
  if redis.call('GET', p .. 'lease:' .. site) == token then
    redis.call('ZADD', p .. 'leases', now + ttl, site)
  else
    table.insert(lost, site)
  end
end
local holds = 1
if main == '1' then
  if redis.call('ZSCORE', p .. 'main', worker) then
    redis.call('ZADD', p .. 'main', now + ttl, worker)
  else
    holds = 0
  end
end
return {lost, holds}
"""

# Commit a site: only with its live token, only during its level; atomically store its result and
# its links to new sites, release its lease and count it done. Returns the sites left, or -1
# (lease lost) or -2 (not this level). A commit repeated with the token that made it (its answer
# was lost on the way back) is answered as the first one.
_COMMIT = """
local p, site, token, level, blob = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('GET', p .. 'lease:' .. site) ~= token then
  if redis.call('HGET', p .. 'done', site) == token then return tonumber(redis.call('GET', p .. 'remaining')) end
  return -1
end
if redis.call('HGET', p .. 'meta', 'level') ~= level then return -2 end
redis.call('HSET', p .. 'results', site, blob)
redis.call('HSET', p .. 'done', site, token)
for i = 6, #ARGV, 2 do
  redis.call('HSET', p .. 'next', ARGV[i] .. '|' .. site, ARGV[i + 1])
end
redis.call('DEL', p .. 'lease:' .. site, p .. 'work:' .. site)
redis.call('ZREM', p .. 'leases', site)
redis.call('HDEL', p .. 'rank', site)
return redis.call('DECR', p .. 'remaining')
"""

# Give a held site back, unread, to the queue (a process that stops before finishing it).
_RELEASE = """
local p, site, token = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', p .. 'lease:' .. site) ~= token then return 0 end
redis.call('DEL', p .. 'lease:' .. site)
redis.call('ZREM', p .. 'leases', site)
redis.call('ZADD', p .. 'todo', redis.call('HGET', p .. 'rank', site), site)
return 1
"""

# A site first reached by a redirect during the current level: registered at that level and held
# at once by the process that followed the redirect; its work (the landing URL) is kept, so that
# another process can redo it if this one dies.
_CLAIM = _CLOCK + """
local p, site, info, work, worker, ttl, level = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
if redis.call('HGET', p .. 'meta', 'level') ~= level then return false end
if redis.call('HSETNX', p .. 'sites', site, info) == 0 then return false end
local now = clock(p, ttl)
redis.call('HSET', p .. 'rank', site, 1000000000 + redis.call('INCR', p .. 'claims'))
redis.call('SET', p .. 'work:' .. site, work)
local token = worker .. ':' .. redis.call('INCR', p .. 'tokens')
redis.call('SET', p .. 'lease:' .. site, token)
redis.call('ZADD', p .. 'leases', now + ttl, site)
redis.call('SADD', p .. 'workers', worker)
redis.call('INCR', p .. 'remaining')
return token
"""

# The main's hold on the crawl: one main at a time. Taken when free, lapsed, or forced (its holder
# is known to be dead); returns {holder, ms left, 0} when another main holds it, else
# {previous holder or '', 0, 1}.
_HOLD_MAIN = _CLOCK + """
local p, worker, ttl, force = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now = clock(p, ttl)
local current = redis.call('ZRANGE', p .. 'main', 0, 0, 'WITHSCORES')
local holder, left = current[1] or '', 0
if current[2] then left = tonumber(current[2]) - now end
if holder ~= '' and holder ~= worker and left > 0 and force ~= '1' then return {holder, left, 0} end
redis.call('DEL', p .. 'main')
redis.call('ZADD', p .. 'main', now + ttl, worker)
return {holder, 0, 1}
"""


@dataclass(frozen=True)
class MainHold:
    """The answer to :meth:`SharedCrawl.hold_main`."""

    taken: bool  #: this process is the crawl's main now
    holder: str  #: the main that held the crawl before (``""``: none)
    seconds_left: float  #: when not taken: how long the holder's hold lasts without renewal


class SharedCrawl:
    """The Redis side of a shared crawl, for one process (``worker``); see the module docstring.

    ``lease_seconds`` is how long a site stays held without a renewal: a process renews its
    leases well within it (a third of it, say); a process that dies loses its sites after it.
    """

    def __init__(self, client: redis.Redis, crawl_id: str, worker: str, lease_seconds: float = 30.0) -> None:
        self.client = client
        self.crawl_id = crawl_id
        self.worker = worker
        self.lease_ms = int(lease_seconds * 1000)
        self.prefix = f"watch:{crawl_id}:"
        self._meta = self.prefix + "meta"
        self._lease = client.register_script(_LEASE)
        self._renew = client.register_script(_RENEW)
        self._commit = client.register_script(_COMMIT)
        self._release = client.register_script(_RELEASE)
        self._claim = client.register_script(_CLAIM)
        self._hold_main = client.register_script(_HOLD_MAIN)

    # -- life of the crawl ----------------------------------------------------------------

    def status(self) -> Status | None:
        """The crawl's state, or ``None`` if there is no such crawl (or Redis lost it)."""
        found = self.client.hget(self._meta, "status")
        return None if found is None else Status(found.decode())

    def begin(self, arguments: Mapping[str, Any]) -> bool:
        """As the main: resume the crawl in progress (``True``), or start a new one (``False``).

        A crawl in progress is resumed only with the same arguments; a finished or failed one is
        cleared and started afresh (weekly runs reuse their crawl's name).
        """
        encoded = _dumps(arguments)
        status = self.status()
        if status in LIVE:
            if self.client.hget(self._meta, "arguments") != encoded.encode():
                raise SharedCrawlError(
                    f"a crawl named {self.crawl_id!r} is in progress with other arguments: rerun it with"
                    " the same ones to resume it, or name this one with -a crawl_id=NAME"
                )
            return True
        self.clear()
        self.client.hset(
            self._meta,
            mapping={"status": Status.SEEDING.value, "arguments": encoded, "level": "0", "created": str(time.time())},
        )
        return False

    def hold_main(self, *, force: bool = False) -> MainHold:
        """As the main: hold the crawl, so that a second main of it is refused while this one runs
        (:meth:`renew` keeps the hold). ``force``: take it from a holder known to be dead."""
        holder, left, taken = self._hold_main(args=[self.prefix, self.worker, self.lease_ms, int(force)])
        return MainHold(bool(taken), holder.decode() if isinstance(holder, bytes) else str(holder), int(left) / 1000)

    def seeding(self) -> bytes:
        """What the main's seeding found besides the seeds (see :meth:`seed`)."""
        return self.client.hget(self._meta, "seeding") or b""

    def seeds(self) -> list[tuple[int, str, str]]:
        """The seed list the main recorded: (rank, url, text)."""
        found = self.client.hget(self._meta, "seeds")
        return [] if found is None else [(int(rank), url, text) for rank, url, text in json.loads(found)]

    def arguments(self) -> dict[str, Any]:
        """The arguments the main started the crawl with (helpers take theirs from here)."""
        found = self.client.hget(self._meta, "arguments")
        if found is None:
            raise SharedCrawlError(f"no crawl named {self.crawl_id!r} in this Redis")
        return dict(json.loads(found))

    def seed(
        self,
        level_zero: Sequence[tuple[str, SiteInfo, bytes]],
        entries: Mapping[str, Sequence[Entry[Any]]],
        seeds: Sequence[tuple[int, str, str]] = (),
        findings: bytes = b"",
    ) -> None:
        """As the main: commit the start page's site (level 0), post the seeds (``entries``: site ->
        its entry links, whose order keys are seed ranks; ``seeds``: the seed list as recorded,
        (rank, url, text), kept for a resumed main) and what seeding found besides (an opaque
        blob, read back with :meth:`seeding`); :meth:`advance` then starts level 1."""
        with self.client.pipeline(transaction=True) as pipe:
            for name, info, result in level_zero:
                pipe.hset(self.prefix + "sites", name, _site_json(info))
                pipe.hset(self.prefix + "results", name, result)
            for name, site_entries in entries.items():
                pipe.hset(self.prefix + "next", f"{name}|", _entries_blob(site_entries))
            pipe.hset(self._meta, mapping={"seeds": _dumps([list(seed) for seed in seeds]), "seeding": findings})
            pipe.set(self.prefix + "remaining", 0)
            pipe.hset(self._meta, "status", Status.RUNNING.value)
            pipe.execute()

    def advance(self) -> int | None:
        """Start the next level if the current one is complete; return the new level's number of
        sites (0: every level read, the crawl is now assembling), or ``None`` if the current
        level is not complete (or another process advanced first).

        The new level's sites are the targets of the links in ``next`` not yet in the registry,
        entered in read order (:func:`watch.scope.entering_order`). Links to sites that became
        known meanwhile (first reached by a redirect) are counted as ``known_site_link``.
        """
        keys = [self._meta, self.prefix + "remaining", self.prefix + "next", self.prefix + "sites"]
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(*keys)
                if pipe.hget(self._meta, "status") != Status.RUNNING.value.encode():
                    return None
                if int(pipe.get(self.prefix + "remaining") or 0) > 0:
                    return None
                level = int(pipe.hget(self._meta, "level") or 0)
                known = {name.decode() for name in pipe.hkeys(self.prefix + "sites")}
                found: dict[str, list[Entry[Any]]] = {}
                known_links = 0
                for field, value in pipe.hgetall(self.prefix + "next").items():
                    target = field.decode().split("|", 1)[0]
                    entries = _entries(value)
                    if target in known:
                        known_links += len(entries)
                    else:
                        found.setdefault(target, []).extend(entries)
                entering = entering_order(found)
                pipe.multi()
                for rank, (name, entries) in enumerate(entering):
                    pipe.hset(self.prefix + "sites", name, _site_json(SiteInfo(level + 1, entries[0].order)))
                    pipe.hset(self.prefix + "rank", name, rank)
                    pipe.set(self.prefix + "work:" + name, _entries_blob(entries))
                    pipe.zadd(self.prefix + "todo", {name: rank})
                pipe.set(self.prefix + "remaining", len(entering))
                pipe.delete(self.prefix + "next")
                if known_links:
                    pipe.hincrby(self.prefix + "counters", "known_site_link", known_links)
                if entering:
                    pipe.hset(self._meta, "level", level + 1)
                    pipe.hincrby(self.prefix + "counters", f"sites_level_{level + 1}", len(entering))
                else:
                    pipe.hset(self._meta, "status", Status.ASSEMBLING.value)
                pipe.execute()
            except WatchError:
                return None
        return len(entering)

    def finish(self) -> None:
        """As the main, once the feeds and reports are written: the crawl is done."""
        self.client.hset(self._meta, "status", Status.FINISHED.value)

    def fail(self, reason: str) -> None:
        """Stop the crawl for every process: helpers stop, nothing is exported."""
        self.client.hset(self._meta, mapping={"status": Status.FAILED.value, "failure": reason})

    def started(self) -> str:
        """When the crawl was started (UTC, to the minute), for the log of a resumed run."""
        found = self.client.hget(self._meta, "created")
        return "" if found is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(found)))

    def failure(self) -> str:
        found = self.client.hget(self._meta, "failure")
        return "" if found is None else found.decode()

    def clear(self) -> None:
        """Delete every key of this crawl."""
        keys = list(self.client.scan_iter(match=self.prefix.replace("[", "\\[") + "*", count=1000))
        for start in range(0, len(keys), 1000):
            self.client.delete(*keys[start : start + 1000])

    # -- work -----------------------------------------------------------------------------

    def level(self) -> int:
        """The level being read."""
        return int(self.client.hget(self._meta, "level") or 0)

    def remaining(self) -> int:
        """Sites of the current level not committed yet."""
        return int(self.client.get(self.prefix + "remaining") or 0)

    def lease(self, held: int = 0, at_most: int | None = None) -> SiteWork | None:
        """Take the next site of the current level (lapsed leases first go back to the queue), or
        ``None`` when every site of the level is held or done, or when this process, holding
        ``held`` sites, holds its share: ``at_most`` (no limit: ``None``), and no more than an
        even split of the level's sites not committed yet among the live processes (those that
        reached Redis within a third of a lease).

        The even split keeps one process from taking a whole small level while another waits:
        a site's pages are read one round trip after another, so a site taken late ends its
        level late, whatever the CPU left elsewhere.
        """
        found = self._lease(args=[self.prefix, self.worker, self.lease_ms, held, at_most or 0])
        if not found:
            return None
        site, token, info, work = found
        details = _site_info(info)
        return SiteWork(site.decode(), details.level, details.order, tuple(_entries(work)), token.decode())

    def renew(self, held: Mapping[str, str], *, main: bool = False) -> tuple[set[str], bool]:
        """Renew the leases of ``held`` (site -> token) and, for the ``main``, its hold on the
        crawl; return the sites no longer ours, and whether the main still holds the crawl."""
        args: list[Any] = [self.prefix, self.lease_ms, self.worker, int(main)]
        for site, token in held.items():
            args += [site, token]
        lost, holds = self._renew(args=args)
        return {site.decode() for site in lost}, bool(holds)

    def reclaim(self, worker: str) -> int:
        """Put back in the queue every site leased by ``worker`` (a dead process: a main that
        died, now rerun); return how many."""
        reclaimed = 0
        for name in self.client.zrange(self.prefix + "leases", 0, -1):
            site = name.decode()
            token = self.client.get(self.prefix + "lease:" + site)
            if token is not None and token.decode().startswith(worker + ":"):
                reclaimed += self.release(site, token.decode())
        return reclaimed

    def release(self, site: str, token: str) -> bool:
        """Give a held site back to the queue, unread."""
        return bool(self._release(args=[self.prefix, site, token]))

    def commit(self, work: SiteWork, result: bytes, new_sites: Mapping[str, Sequence[Entry[Any]]]) -> bool:
        """Store a site's result and its links to sites not known yet (``new_sites``: target ->
        entries), release its lease and count it done, atomically. ``False``: the lease was
        lost (another process took the site over) or the level moved on; nothing was stored."""
        args: list[Any] = [self.prefix, work.site, work.token, work.level, result]
        for target, entries in new_sites.items():
            args += [target, _entries_blob(entries)]
        return int(self._commit(args=args)) >= 0

    def claim(self, site: str, info: SiteInfo, landing: Entry[Any]) -> SiteWork | None:
        """Register ``site``, first reached by a redirect during the current level, and hold it.

        ``None`` if the site is known already (or the level moved on).
        """
        token = self._claim(
            args=[self.prefix, site, _site_json(info), _entries_blob([landing]), self.worker, self.lease_ms, info.level]
        )
        if not token:
            return None
        return SiteWork(site, info.level, info.order, (landing,), token.decode())

    # -- reading --------------------------------------------------------------------------

    def sites(self) -> dict[str, SiteInfo]:
        """Every site known so far."""
        return {name.decode(): _site_info(info) for name, info in self.client.hgetall(self.prefix + "sites").items()}

    def counters(self) -> dict[str, int]:
        """Counts kept by the crawl itself (levels' sites, links to sites that became known, leases lapsed)."""
        return {name.decode(): int(value) for name, value in self.client.hgetall(self.prefix + "counters").items()}

    def results(self) -> Iterator[tuple[str, SiteInfo, bytes]]:
        """Every committed site with its result, in read order (level, then site order)."""
        sites = self.sites()
        results = self.client.hgetall(self.prefix + "results")
        named = sorted(((name.decode(), blob) for name, blob in results.items()), key=lambda r: _read_key(sites[r[0]]))
        for name, blob in named:
            yield name, sites[name], blob

    def workers_seen(self) -> int:
        """How many distinct processes have held a site (for the report)."""
        return int(self.client.scard(self.prefix + "workers"))

    # -- robots.txt -----------------------------------------------------------------------

    def keep_robots_txt(self, netloc: str, body: bytes) -> None:
        """Keep the robots.txt this process fetched for ``netloc`` for the process that will read
        the site. The first one kept stays (a process that fetched one itself reads the site with
        its own). One that could not be fetched is not kept: the reader tries again, as it would
        alone."""
        self.client.hsetnx(self.prefix + "robots", netloc, zlib.compress(body))

    def robots_txts(self, netlocs: Sequence[str]) -> dict[str, bytes]:
        """The robots.txt kept for each of ``netlocs`` that has one (see :meth:`keep_robots_txt`),
        in one round trip."""
        if not netlocs:
            return {}
        found = self.client.hmget(self.prefix + "robots", list(netlocs))
        return {netloc: zlib.decompress(raw) for netloc, raw in zip(netlocs, found) if raw is not None}


def _read_key(info: SiteInfo) -> tuple[int, Order]:
    return (info.level, info.order)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _site_json(info: SiteInfo) -> str:
    return _dumps({"level": info.level, "order": list(info.order), "via": list(info.via) if info.via else None})


def _site_info(raw: bytes) -> SiteInfo:
    data = json.loads(raw)
    via = data.get("via")
    return SiteInfo(int(data["level"]), tuple(data["order"]), (via[0], int(via[1])) if via else None)


def _entries_blob(entries: Sequence[Entry[Any]]) -> bytes:
    """Entry links as zlib-compressed JSON: their payloads must be JSON values (what it takes to
    rebuild the link's request: its referer and depth, for the Scrapy adapter). A site's links to
    new sites repeat their pages' URLs (as referers): they compress well."""
    return zlib.compress(_dumps([[list(entry.order), entry.url, entry.payload] for entry in entries]).encode())


def _entries(raw: bytes) -> list[Entry[Any]]:
    return [Entry(tuple(order), url, payload) for order, url, payload in json.loads(zlib.decompress(raw))]
