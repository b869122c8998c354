"""A crawl frontier shared on Redis: N workers (``scrapy crawl sputnik`` processes, scrapyd jobs on
N machines) started with the same arguments crawl one site together.

``-s FRONTIER_URL=redis://host:port/db`` (the password from ``SPUTNIK_REDIS_PASSWORD`` only) makes
``FrontierAddon`` switch the scheduler to ``FrontierScheduler``, scrapy-redis's with:

- keys named by the crawl (``-a crawl=<id>``; default :func:`crawl_id`: the spider's name and a
  hash of its arguments, so workers started alike share one crawl, while scrapyd's ``_job``
  differs per worker and cannot name it): ``sputnik:<crawl>:requests`` (the shared queue, a
  sorted set by priority, of scrapy-redis's pickled ``Request.to_dict``), ``:dupefilter``
  (fingerprints of every request enqueued), ``:seeded`` (the worker pushing the seeds, then
  ``done``), ``:worker:<id>`` (each worker's heartbeat) and ``:leases:<id>`` (the requests each
  worker has taken and not settled);
- the crawler's own request fingerprints (``REQUEST_FINGERPRINTER_CLASS``, the project's
  ``HostFingerprinter``) in the duplicate filter, not scrapy-redis's SHA1 of the URL, which would
  take two editions' pages at one path through ``SITE_ORIGIN`` for one;
- ``SCHEDULER_PERSIST`` on: the first worker to finish must not delete the others' queue.
  Removing a finished crawl's keys is ``python -m crawler frontier-clean``;
- no blocking pop (``SCHEDULER_IDLE_BEFORE_CLOSE`` is forced to 0: a blocking pop would stall the
  reactor). Each worker writes its count of requests in flight (downloading, or in the spider or
  the item pipelines; 1 while it pushes the seeds) to its heartbeat key every
  ``FRONTIER_HEARTBEAT_SECS``, with an expiry of three periods, from a ``LoopingCall`` (quick
  calls, never a blocking one).

**A killed worker loses nothing.** A pop is a lease (one Lua script: take the first request off
the queue and put it, with its score, in the worker's ``:leases:<id>`` hash under a new lease id,
kept in ``meta["sputnik_lease"]``). The lease is released (``HDEL``) once everything the
request gave is settled, as the ``JOBDIR`` journal marks a request done (``crawler.outcomes``):
the requests its callback yielded enqueued (or dropped as duplicates), its items dropped, or
its row or reject committed to the dataset by the writer. An enqueue adds the fingerprint to the
duplicate filter and the request to the queue in one script (so a kill cannot leave a request
seen and not queued); a re-request of a leased one (redirect, retry, render) is queued as a new
entry (without the lease id) and its lease released in that same script. Any worker, at each
heartbeat and at start, reaps the lease hash of a worker whose heartbeat key has expired: one
script per hash checks the key is still absent, queues each request again with its score, and
deletes the hash, so two reapers cannot both do it (``sputnik/frontier/requeued``, a WARNING
naming the dead worker). A dead worker's requests are thus queued again 2 to 4 heartbeat
periods after it died (10-20 s by default) and fetched again: those it was downloading, and
those whose rows it had buffered and not written. So are the rows of a flush under way at the
kill, even those whose file was already in place: their leases are released when the whole
flush (one file per partition) is over; the dataset's "already stored" state then leaves out
the unchanged article (a reject is written twice). A worker that finds its own
heartbeat had expired while it held leases (paused past the expiry) logs an ERROR and counts
``sputnik/frontier/lease-lost``: those requests may be fetched twice.

**Stopping.** A worker with nothing to do closes only when the queue is empty, no live worker
has a request in flight, no worker is pushing the seeds, and no other worker holds leases (the
dead workers' hashes are reaped first, which fills the queue again). An idle worker looks at the
crawl at each of its heartbeats. When the crawl is quiet and a worker still holds leases (rows
in its writer's buffers, which the others wait for), it sends ``crawler.signals.flush_requested``:
``ParquetWriterPipeline`` writes both datasets now (``DATASET_FLUSH_SECS=0`` included), the
leases are released and every worker closes. A worker closing with leases (rows it failed to
write) leaves them to be reaped at once by another worker of the crawl, or by the next one
started (its heartbeat key is deleted at close): ``sputnik/frontier/leases-left``, an ERROR.

**Seeds** are pushed once per crawl: ``SeedOnceMiddleware`` lets a worker's start requests
through only when it claims the crawl's ``:seeded`` key (a compare-and-set script): the key is
free, or names a worker whose heartbeat has expired (it died while pushing them: the seeds are
pushed again, duplicates filtered). It is ``done`` once every seed is queued; until then idle
workers wait (with a WARNING, once, when the seeder is dead: start another worker).

The project's ``JournalScheduler`` (``JOBDIR`` resumes) is not used in this mode, and
``FRONTIER_URL`` with ``JOBDIR`` is refused: the journal keeps one process's queue on its disk,
while here the queue is on Redis and outlives any worker.

Stats: ``sputnik/frontier/seeded`` (1 in the worker that pushed the seeds),
``sputnik/frontier/waited`` (idle checks that found work queued, in flight or leased elsewhere),
``sputnik/frontier/requeued``, ``sputnik/frontier/lease-lost``, ``sputnik/frontier/leases-left``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import sys
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.reactor import CallLaterOnce
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

from crawler import signals as crawler_signals
from crawler.config import ConfigError, FrontierConfig, get_config
from crawler.outcomes import OutcomeMiddleware, OutcomeTracker
from crawler.redis_connection import connect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PREFIX = "sputnik"
HEARTBEAT_PERIODS = 3  # a heartbeat expires after this many periods without a refresh
# The spider's arguments that decide what a crawl is (not _job, which differs per worker).
CRAWL_ARGUMENTS = ("editions_argument", "sources", "given_seeds", "since", "until", "refresh")
LEASE_KEY = "sputnik_lease"  # request.meta: the request's lease id in this worker's lease hash
LEASE_PARENT_KEY = "_sputnik_lease_parent"  # request.meta, until enqueued: who yielded it
SEEDS_DONE = "done"  # the :seeded value once every seed is queued

# Lease entries and reaped requests: "<score> <serialized request>" (a score has no space).
POP_AND_LEASE = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], ARGV[1], top[2] .. ' ' .. top[1])
return top[1]
"""
# KEYS: dupefilter, requests, this worker's leases; ARGV: fingerprint ('' when not filtered),
# score, request, the lease it re-requests ('' when new). Seen implies queued, even after a kill.
ENQUEUE = """
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# KEYS: the worker's heartbeat, its leases, the queue: -1 while it is alive, else how many
# requests went back into the queue (once: the hash is gone after).
REAP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 2, #entries, 2 do
  local entry = entries[i]
  local space = string.find(entry, ' ', 1, true)
  redis.call('ZADD', KEYS[3], string.sub(entry, 1, space - 1), string.sub(entry, space + 1))
end
redis.call('DEL', KEYS[2])
return #entries / 2
"""
# KEYS: :seeded; ARGV: this worker, the heartbeat keys' prefix, SEEDS_DONE: 1 first to seed,
# 2 took over from a seeder whose heartbeat expired, 0 not to seed.
CLAIM_SEEDS = """
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
if holder == ARGV[3] then return 0 end
if redis.call('EXISTS', ARGV[2] .. holder) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 2
"""


def keys(crawl: str) -> dict[str, str]:
    """The Redis keys of one crawl (and the pattern matching all of them)."""
    base = f"{PREFIX}:{crawl}"
    return {
        "requests": f"{base}:requests",
        "dupefilter": f"{base}:dupefilter",
        "seeded": f"{base}:seeded",
        "workers": f"{base}:worker:*",
        "leases": f"{base}:leases:*",
        "all": f"{base}:*",
    }


def crawl_id(spider: Spider) -> str:
    """``-a crawl=<id>``, else the spider's name and a hash of the arguments that decide what it
    crawls (editions, sources, seeds, since, until, refresh): workers started alike agree."""
    given = getattr(spider, "crawl", None)
    if given is not None:
        if not isinstance(given, str) or not CRAWL_ID.match(given):
            raise ConfigError(f"spider argument crawl must match {CRAWL_ID.pattern}, got {given!r}")
        return given
    arguments = {name: getattr(spider, name, None) for name in CRAWL_ARGUMENTS}
    text = json.dumps(arguments, sort_keys=True, default=str)
    return f"{spider.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Shared:
    """One worker's view of the shared crawl: the client, the crawl's keys, its own name."""

    server: redis.Redis
    crawl: str
    keys: dict[str, str]
    worker: str

    @property
    def worker_key(self) -> str:
        return self.heartbeat_key(self.worker)

    @property
    def lease_key(self) -> str:
        return self.leases_of(self.worker)

    def heartbeat_key(self, worker: str) -> str:
        return self.keys["workers"].replace("*", worker)

    def leases_of(self, worker: str) -> str:
        return self.keys["leases"].replace("*", worker)

    def worker_of(self, key: bytes | str, pattern: str) -> str:
        """The worker's name in a key matching ``keys[pattern]``."""
        text = key.decode() if isinstance(key, bytes) else key
        return text[len(self.keys[pattern]) - 1 :]


def get_shared(crawler: Crawler) -> Shared:
    """The crawler's ``Shared``, made the first time: by ``SeedOnceMiddleware`` as the engine is
    built, so that a bad crawl id or an unreachable Redis stops the crawl in one line."""
    shared = getattr(crawler, "sputnik_frontier_shared", None)
    if shared is None:
        assert crawler.spider is not None
        crawl = crawl_id(crawler.spider)
        server = connect(get_config(crawler).frontier)
        worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        shared = Shared(server, crawl, keys(crawl), worker)
        crawler.sputnik_frontier_shared = shared  # type: ignore[attr-defined]
    return shared


def reap(shared: Shared) -> dict[str, int]:
    """Put back in the queue the leased requests of the workers of ``shared``'s crawl whose
    heartbeat expired (one script per worker, atomic: two reapers never both put one back);
    :returns: how many, per worker (those with none left out)."""
    names = [
        k
        for k in shared.server.scan_iter(match=shared.keys["leases"], count=100)
        if k.decode() != shared.lease_key
    ]
    workers = [shared.worker_of(k, "leases") for k in names]
    if not names or shared.server.exists(*map(shared.heartbeat_key, workers)) == len(names):
        return {}
    script = shared.server.register_script(REAP)
    reaped: dict[str, int] = {}
    for worker, name in zip(workers, names, strict=True):
        keys = [shared.heartbeat_key(worker), name, shared.keys["requests"]]
        if (requeued := int(script(keys=keys))) > 0:
            reaped[worker] = requeued
    return reaped


class FrontierAddon:
    """With ``FRONTIER_URL``: the scheduler and duplicate filter on Redis, leases, the seeds
    once."""

    def update_settings(self, settings: Settings) -> None:
        if not str(settings.get("FRONTIER_URL") or "").strip():
            return
        # Above the project's settings.py (which names JournalScheduler), as -s would be.
        for name, value in (
            ("SCHEDULER", f"{__name__}.FrontierScheduler"),
            ("DUPEFILTER_CLASS", f"{__name__}.FrontierDupeFilter"),
            ("SCHEDULER_PERSIST", True),
            ("SCHEDULER_IDLE_BEFORE_CLOSE", 0),
        ):
            settings.set(name, value, priority=max(settings.getpriority(name) or 0, 20))
        middlewares = settings.getdict("SPIDER_MIDDLEWARES")
        middlewares[f"{__name__}.SeedOnceMiddleware"] = 20
        middlewares[f"{__name__}.LeaseMiddleware"] = 5  # where JournalMiddleware is
        settings.set(
            "SPIDER_MIDDLEWARES",
            middlewares,
            priority=max(settings.getpriority("SPIDER_MIDDLEWARES") or 0, 20),
        )


class FrontierDupeFilter(RedisDupeFilter):
    """scrapy-redis's duplicate filter (a Redis set) keyed by the crawler's fingerprinter; the
    set is written by ``FrontierScheduler``'s enqueue script, with the queue."""

    fingerprinter: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:  # not used: FrontierScheduler builds it
        raise NotImplementedError

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class LeaseQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set of pickled ``Request.to_dict``, scored by
    minus the priority) whose pops lease, and whose pushes go with the duplicate filter, each
    in one Lua script (see the module docstring)."""

    leases_key: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pop = self.server.register_script(POP_AND_LEASE)
        self._enqueue = self.server.register_script(ENQUEUE)

    def _encode_request(self, request: Request) -> bytes:
        """As scrapy-redis does, without this worker's lease id: a re-request is a new entry."""
        data = request.to_dict(spider=self.spider)
        if LEASE_KEY in (data.get("meta") or {}):
            data["meta"] = {k: v for k, v in data["meta"].items() if k != LEASE_KEY}
        return self.serializer.dumps(data)

    def push(self, request: Request) -> None:
        self.add(request, dupefilter="", fingerprint="", lease=None)

    def add(
        self, request: Request, *, dupefilter: str, fingerprint: str, lease: int | None
    ) -> bool:
        """Queue ``request`` unless ``fingerprint`` is in the set ``dupefilter`` (added if
        not), releasing ``lease`` (the one it re-requests) either way; :returns: queued."""
        if fingerprint and self.server.sismember(dupefilter, fingerprint):
            # Most links a page gives are known: a cheap look first spares serializing them.
            if lease is not None:
                self.server.hdel(self.leases_key, lease)
            return False
        data = self._encode_request(request)
        keys = [dupefilter or self.key, self.key, self.leases_key]
        args = [fingerprint, -request.priority, data, "" if lease is None else lease]
        return bool(self._enqueue(keys=keys, args=args))

    def lease(self, lease: int) -> Request | None:
        """Pop the first request, holding it in this worker's lease hash under ``lease``."""
        data = self._pop(keys=[self.key, self.leases_key], args=[lease])
        return None if data is None else self._decode_request(data)


class Leases(OutcomeTracker):
    """This worker's leases: each request it dequeued, released (one ``HDEL``, batched) once
    everything the request gave is settled (``crawler.outcomes``)."""

    key = LEASE_KEY
    parent_key = LEASE_PARENT_KEY

    def __init__(self, shared: Shared) -> None:
        super().__init__()
        self.shared = shared
        self.held: set[int] = set()
        self._last = 0
        self._released: list[int] = []
        self._release = CallLaterOnce(self.release)

    def new(self) -> int:
        self._last += 1
        return self._last

    def done(self, number: int) -> None:
        self._open.pop(number, None)
        if number in self.held:
            self.held.discard(number)
            self._released.append(number)
            self._release.schedule()

    def moved(self, number: int) -> None:
        """A re-request took the request back to the queue (its lease released there)."""
        self.forget(number)
        self.held.discard(number)

    def release(self) -> None:
        """``HDEL`` the leases done since the last call."""
        released, self._released = self._released, []
        if not released:
            return
        try:
            self.shared.server.hdel(self.shared.lease_key, *released)
        except redis.RedisError as exc:  # released at the next call, or reaped after a close
            self._released = released + self._released
            self._release.schedule()
            logger.warning("Frontier: leases not released: %s", exc)


class FrontierScheduler(RedisScheduler):
    """scrapy-redis's scheduler for one crawl's keys, with leases, heartbeats, reaping and the
    stopping rule (see the module docstring)."""

    crawler: Crawler
    frontier: FrontierConfig
    shared: Shared
    leases: Leases
    queue: LeaseQueue
    seeding: bool = False
    reported: int = -1  # the in-flight count last written to the heartbeat key
    beaten: bool = False  # a heartbeat was written
    seeder_logged: str = ""  # the dead seeder a warning was logged about

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        shared = get_shared(crawler)
        dupefilter = FrontierDupeFilter(shared.server, key=shared.keys["dupefilter"])
        dupefilter.fingerprinter = crawler.request_fingerprinter
        scheduler = cls(
            server=shared.server,
            persist=True,
            queue_key=shared.keys["requests"],
            queue_cls=f"{__name__}.LeaseQueue",
            dupefilter=dupefilter,
            idle_before_close=0,
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.frontier = get_config(crawler).frontier
        scheduler.shared = shared
        scheduler.leases = Leases(shared)
        scheduler.heartbeat = LoopingCall(scheduler.tick)
        crawler.sputnik_frontier = scheduler  # type: ignore[attr-defined]
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.queue.leases_key = self.shared.lease_key
        self.heartbeat.start(self.frontier.heartbeat_secs, now=True)  # reaps, too
        logger.info(
            "Frontier: crawl %s on %s, worker %s (%d requests queued)",
            self.shared.crawl,
            self.frontier.url,
            self.shared.worker,
            len(self.queue),
            extra={"spider": spider},
        )

    def close(self, reason: str) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        self.leases.release()
        if left := len(self.leases.held):
            # Rows not written (a failed write), or requests cut off by a shutdown: they go
            # back to the queue when a worker of this crawl reaps this one's leases, at once
            # since its heartbeat goes.
            self.stats.set_value("sputnik/frontier/leases-left", left)
            logger.log(
                logging.ERROR if reason == "finished" else logging.WARNING,  # else a shutdown
                "Frontier: %d requests of this worker were not settled (rows not written, or"
                " cut off by the close); they are left in %s for another worker of crawl %s to"
                " fetch again",
                left,
                self.shared.lease_key,
                self.shared.crawl,
            )
        self.server.delete(self.shared.worker_key)  # this worker is gone
        super().close(reason)

    # -- the queue (scrapy-redis's, with leases and Scrapy's own stat names) ---------------

    def enqueue_request(self, request: Request) -> bool:
        leases = self.leases
        parent = leases.arriving(request)
        lease = request.meta.pop(LEASE_KEY, None)  # a redirect, retry or render re-request
        if lease is not None:
            leases.moved(lease)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = self.queue.add(
            request, dupefilter=self.df.key, fingerprint=fingerprint, lease=lease
        )
        if added:
            self.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        if parent is not None:
            leases.settle(parent)
        return added

    def next_request(self) -> Request | None:
        lease = self.leases.new()
        request = self.queue.lease(lease)
        if request is None:
            return None
        request.meta[LEASE_KEY] = lease
        self.leases.held.add(lease)
        self.leases.leaving(request)
        self.stats.inc_value("scheduler/dequeued/redis")
        if self.reported <= 0:
            self.beat(1)  # at once: an idle worker must not think the crawl is over
        return request

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    # -- heartbeats, reaping and the stopping rule -----------------------------------------

    def in_flight(self) -> int:
        """Requests this worker holds: downloading, in the spider or the item pipelines (and 1
        while it pushes the seeds)."""
        engine = self.crawler.engine
        if engine is None or engine.scraper.slot is None:
            return int(self.seeding)
        return len(engine.downloader.active) + len(engine.scraper.slot.active) + self.seeding

    def beat(self, count: int | None = None) -> None:
        """Write this worker's in-flight count, expiring after ``HEARTBEAT_PERIODS`` periods;
        notice when the last one had expired while this worker held leases."""
        count = self.in_flight() if count is None else count
        expiry = max(1, round(self.frontier.heartbeat_secs * HEARTBEAT_PERIODS * 1000))
        held = len(self.leases.held)
        try:
            old = self.server.set(self.shared.worker_key, count, px=expiry, get=True)
        except redis.RedisError as exc:  # the next beat tries again; the key may expire
            logger.warning("Frontier: heartbeat not written: %s", exc)
            return
        if old is None and self.beaten and held:
            # Paused (or cut off) past the expiry: another worker may have put this one's
            # leased requests back in the queue; they may be fetched twice.
            self.stats.inc_value("sputnik/frontier/lease-lost", held)
            logger.error(
                "Frontier: this worker's heartbeat had expired while it held %d leases (paused"
                " or cut off for over %g s?): those requests may be fetched twice",
                held,
                self.frontier.heartbeat_secs * HEARTBEAT_PERIODS,
            )
        self.beaten = True
        self.reported = count

    def tick(self) -> None:
        """The heartbeat: reap dead workers' leases; an idle worker also looks at the crawl now,
        not at the engine's next idle check (every 5 s), so that it joins in as soon as another
        worker queues work, and closes as soon as the crawl is over."""
        count = self.in_flight()
        self.beat(count)
        try:
            self.reap()
        except redis.RedisError as exc:
            logger.warning("Frontier: could not look for dead workers: %s", exc)
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)  # Scrapy's, private: fall back to its 5 s
        if count == 0 and slot is not None:
            slot.nextcall.schedule()

    def reap(self) -> int:
        """Put the leased requests of workers whose heartbeat expired back in the queue."""
        reaped = reap(self.shared)
        for worker, requeued in reaped.items():
            self.stats.inc_value("sputnik/frontier/requeued", requeued)
            logger.warning(
                "Frontier: worker %s is gone (its heartbeat expired): %d requests it held are"
                " queued again",
                worker,
                requeued,
            )
        return sum(reaped.values())

    def busy_workers(self) -> list[str]:
        """Other live workers of this crawl with requests in flight."""
        names = list(self.server.scan_iter(match=self.shared.keys["workers"], count=100))
        names = [k for k in names if k.decode() != self.shared.worker_key]
        counts = self.server.mget(names) if names else []
        return [k.decode() for k, n in zip(names, counts, strict=True) if n and int(n) > 0]

    def seeds_pending(self) -> str | None:
        """The worker pushing the seeds, while it has not finished."""
        holder = self.server.get(self.shared.keys["seeded"])
        if holder is None or holder.decode() == SEEDS_DONE:
            return None
        worker = holder.decode()
        if worker != self.seeder_logged and not self.server.exists(
            self.shared.heartbeat_key(worker)
        ):
            self.seeder_logged = worker
            logger.warning(
                "Frontier: worker %s died while pushing the seeds of crawl %s: waiting; start"
                " another worker of this crawl to push them again",
                worker,
                self.shared.crawl,
            )
        return worker

    def waiting_for(self) -> str | None:
        """What this idle worker waits for before it may close, or ``None``: requests queued,
        in flight elsewhere, seeds being pushed, or leases held by other (live) workers."""
        if queued := len(self.queue):
            return f"{queued} requests queued"
        if busy := self.busy_workers():
            return f"requests in flight in {busy}"
        if seeder := self.seeds_pending():
            return f"the seeds pushed by {seeder}"
        if self.leases.held:
            # The crawl is quiet: others may wait for this one's rows (buffered, not written).
            self.crawler.signals.send_catch_log(crawler_signals.flush_requested)
        names = [
            k.decode()
            for k in self.server.scan_iter(match=self.shared.keys["leases"], count=100)
            if k.decode() != self.shared.lease_key
        ]
        if names:
            return f"the leases in {names}"
        return None

    def spider_idle(self, spider: Spider) -> None:
        """Keep this worker open while the crawl has work queued, in flight, or not settled."""
        self.beat(0)
        try:
            self.reap()
            waiting = self.waiting_for()
        except redis.RedisError as exc:  # cannot tell: ask again at the next check
            logger.warning("Frontier: cannot look at the crawl: %s", exc)
            waiting = "Redis"
        if waiting:
            self.stats.inc_value("sputnik/frontier/waited")
            logger.debug("Frontier: waiting for %s", waiting)
            raise DontCloseSpider
        logger.info("Frontier: crawl %s has nothing queued or in flight", self.shared.crawl)


class LeaseMiddleware(OutcomeMiddleware):
    """With the frontier: counts what each leased request gives, so that its lease is released
    once all of it is settled (``crawler.outcomes``)."""

    def tracker_of(self, crawler: Crawler) -> OutcomeTracker | None:
        frontier = getattr(crawler, "sputnik_frontier", None)
        return None if frontier is None else frontier.leases


class SeedOnceMiddleware:
    """With the frontier: the start requests go through in one worker of the crawl: the first,
    or the first started after the one pushing them died."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        get_shared(crawler)  # checks the crawl id and Redis before anything starts
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier: FrontierScheduler = self.crawler.sputnik_frontier  # type: ignore[attr-defined]
        shared = frontier.shared
        claim = shared.server.register_script(CLAIM_SEEDS)
        key = shared.keys["seeded"]
        frontier.seeding = True  # before the claim: an idle worker must see this one busy
        frontier.beat()
        prefix = shared.keys["workers"][:-1]
        claimed = int(claim(keys=[key], args=[shared.worker, prefix, SEEDS_DONE]))
        if not claimed:
            frontier.seeding = False
            holder = shared.server.get(key)
            logger.info(
                "Frontier: the seeds of crawl %s are pushed by another worker (%s)",
                shared.crawl,
                holder.decode() if holder else "?",
            )
            return
        if claimed == 2:
            logger.warning(
                "Frontier: the worker pushing the seeds of crawl %s died: pushing them again",
                shared.crawl,
            )
        try:
            async for item_or_request in start:
                yield item_or_request
        finally:
            frontier.seeding = False
        shared.server.set(key, SEEDS_DONE)
        self.crawler.stats.set_value("sputnik/frontier/seeded", 1)


def clean(config: FrontierConfig, crawl: str, *, force: bool = False) -> int:
    """Delete the Redis keys of ``crawl``; :returns: how many. Refused while a worker of it is
    alive (its heartbeat has not expired) unless ``force``."""
    if not CRAWL_ID.match(crawl):
        raise ConfigError(f"--crawl must match {CRAWL_ID.pattern}, got {crawl!r}")
    server = connect(config)
    names = keys(crawl)
    alive = list(server.scan_iter(match=names["workers"], count=100))
    if alive and not force:
        raise ConfigError(
            f"crawl {crawl} has {len(alive)} live worker(s): stop them first, or --force"
        )
    found = list(server.scan_iter(match=names["all"], count=1000))
    for start in range(0, len(found), 1000):
        server.delete(*found[start : start + 1000])
    return len(found)


def main(argv: list[str]) -> int:
    """``python -m crawler frontier-clean FRONTIER_URL --crawl ID [--force]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crawler frontier-clean",
        description="Remove a finished (or abandoned) crawl's keys from the shared frontier."
        " The password comes from SPUTNIK_REDIS_PASSWORD.",
    )
    parser.add_argument("url", metavar="FRONTIER_URL", help="redis://host:port/db")
    parser.add_argument("--crawl", required=True, help="the crawl id (-a crawl=, or the log's)")
    parser.add_argument("--force", action="store_true", help="even with live workers")
    args = parser.parse_args(argv)
    try:
        removed = clean(FrontierConfig.of_url(args.url), args.crawl, force=args.force)
    except ConfigError as exc:
        print(f"frontier-clean: {exc}", file=sys.stderr)
        return 1
    print(f"removed {removed} keys of crawl {args.crawl}")
    return 0
