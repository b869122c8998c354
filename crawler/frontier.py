"""A crawl frontier shared on Redis: N workers (``scrapy crawl sputnik`` processes, scrapyd jobs on
N machines) started with the same arguments crawl one site together.

``-s FRONTIER_URL=redis://host:port/db`` (the password from ``SPUTNIK_REDIS_PASSWORD`` only) makes
``FrontierAddon`` switch the scheduler to ``FrontierScheduler``, scrapy-redis's with:

- keys named by the crawl (``-a crawl=<id>``; default :func:`crawl_id`: the spider's name and a
  hash of its arguments, so workers started alike share one crawl, while scrapyd's ``_job``
  differs per worker and cannot name it): ``sputnik:<crawl>:requests`` (the shared queue, a
  sorted set by priority), ``:dupefilter`` (fingerprints of every request enqueued),
  ``:seeded`` (who pushed the seeds) and ``:worker:<id>`` (each worker's heartbeat);
- the crawler's own request fingerprints (``REQUEST_FINGERPRINTER_CLASS``, the project's
  ``HostFingerprinter``) in the duplicate filter, not scrapy-redis's SHA1 of the URL, which would
  take two editions' pages at one path through ``SITE_ORIGIN`` for one;
- ``SCHEDULER_PERSIST`` on: the first worker to finish must not delete the others' queue.
  Removing a finished crawl's keys is ``python -m crawler frontier-clean``;
- no blocking pop (``SCHEDULER_IDLE_BEFORE_CLOSE`` is forced to 0: a blocking pop would stall the
  reactor), and its own rule for stopping: a worker that has nothing to do closes only when the
  shared queue is empty and no live worker has a request in flight. Each worker writes its
  count of requests in flight (downloading, or in the spider or the item pipelines; 1 while it
  pushes the seeds) to its heartbeat key every ``FRONTIER_HEARTBEAT_SECS``, with an expiry of
  three periods, from a ``LoopingCall`` (one quick ``SET``, never a blocking call); an idle
  worker looks at the shared queue again at each of its heartbeats.

The seeds are pushed once per crawl: ``SeedOnceMiddleware`` lets a worker's start requests
through only when it is the first to set the crawl's ``:seeded`` marker (``SET NX``).

The project's ``JournalScheduler`` (``JOBDIR`` resumes) is not used in this mode, and
``FRONTIER_URL`` with ``JOBDIR`` is refused: the journal keeps one process's queue on its disk,
while here the queue is on Redis and outlives any worker. What is not there yet: a request a
killed worker had dequeued (or whose row it had buffered) is lost to the crawl, not fetched
again; that needs per-request leases (the next part of issue 12).

Stats: ``sputnik/frontier/seeded`` (1 in the worker that pushed the seeds),
``sputnik/frontier/waited`` (idle checks that found work still queued or in flight elsewhere).
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
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

from crawler.config import ConfigError, FrontierConfig, get_config

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
CONNECT_TIMEOUT_SECS = 5.0
SOCKET_TIMEOUT_SECS = 30.0
# The spider's arguments that decide what a crawl is (not _job, which differs per worker).
CRAWL_ARGUMENTS = ("editions_argument", "sources", "given_seeds", "since", "until", "refresh")


def keys(crawl: str) -> dict[str, str]:
    """The Redis keys of one crawl (and the pattern matching all of them)."""
    base = f"{PREFIX}:{crawl}"
    return {
        "requests": f"{base}:requests",
        "dupefilter": f"{base}:dupefilter",
        "seeded": f"{base}:seeded",
        "workers": f"{base}:worker:*",
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


def connect(config: FrontierConfig) -> redis.Redis:
    """A client for ``FRONTIER_URL``, checked with a PING; :raises ConfigError: unreachable."""
    client = redis.Redis.from_url(
        config.url,
        password=config.password or None,
        socket_connect_timeout=CONNECT_TIMEOUT_SECS,
        socket_timeout=SOCKET_TIMEOUT_SECS,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"FRONTIER_URL ({config.url}) is unreachable: {exc}") from None
    return client


@dataclass(frozen=True)
class Shared:
    """One worker's view of the shared crawl: the client, the crawl's keys, its own name."""

    server: redis.Redis
    crawl: str
    keys: dict[str, str]
    worker: str

    @property
    def worker_key(self) -> str:
        return self.keys["workers"].replace("*", self.worker)


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


class FrontierAddon:
    """With ``FRONTIER_URL``: the scheduler and duplicate filter on Redis, the seeds once."""

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
        settings.set(
            "SPIDER_MIDDLEWARES",
            middlewares,
            priority=max(settings.getpriority("SPIDER_MIDDLEWARES") or 0, 20),
        )


class FrontierDupeFilter(RedisDupeFilter):
    """scrapy-redis's duplicate filter (a Redis set) keyed by the crawler's fingerprinter."""

    fingerprinter: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:  # not used: FrontierScheduler builds it
        raise NotImplementedError

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class FrontierScheduler(RedisScheduler):
    """scrapy-redis's scheduler for one crawl's keys, with heartbeats and the stopping rule
    (see the module docstring)."""

    crawler: Crawler
    frontier: FrontierConfig
    shared: Shared
    seeding: bool = False
    reported: int = -1  # the in-flight count last written to the heartbeat key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        shared = get_shared(crawler)
        dupefilter = FrontierDupeFilter(shared.server, key=shared.keys["dupefilter"])
        dupefilter.fingerprinter = crawler.request_fingerprinter
        scheduler = cls(
            server=shared.server,
            persist=True,
            queue_key=shared.keys["requests"],
            queue_cls="scrapy_redis.queue.PriorityQueue",
            dupefilter=dupefilter,
            idle_before_close=0,
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.frontier = get_config(crawler).frontier
        scheduler.shared = shared
        scheduler.heartbeat = LoopingCall(scheduler.tick)
        crawler.sputnik_frontier = scheduler  # type: ignore[attr-defined]
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.heartbeat.start(self.frontier.heartbeat_secs, now=True)
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
        self.server.delete(self.shared.worker_key)  # this worker holds nothing any more
        super().close(reason)

    # -- the queue (scrapy-redis's, with Scrapy's own stat names) --------------------------

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(0)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            if self.reported <= 0:
                self.beat(1)  # at once: an idle worker must not think the crawl is over
        return request

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    # -- heartbeats and the stopping rule --------------------------------------------------

    def in_flight(self) -> int:
        """Requests this worker holds: downloading, in the spider or the item pipelines (and 1
        while it pushes the seeds)."""
        engine = self.crawler.engine
        if engine is None or engine.scraper.slot is None:
            return int(self.seeding)
        return len(engine.downloader.active) + len(engine.scraper.slot.active) + self.seeding

    def beat(self, count: int | None = None) -> None:
        """Write this worker's in-flight count, expiring after ``HEARTBEAT_PERIODS`` periods."""
        count = self.in_flight() if count is None else count
        expiry = max(1, round(self.frontier.heartbeat_secs * HEARTBEAT_PERIODS * 1000))
        try:
            self.server.set(self.shared.worker_key, count, px=expiry)
        except redis.RedisError as exc:  # the next beat tries again; the key may expire
            logger.warning("Frontier: heartbeat not written: %s", exc)
            return
        self.reported = count

    def tick(self) -> None:
        """The heartbeat; an idle worker also looks at the queue now, not at the engine's next
        idle check (every 5 s), so that it joins in as soon as another worker queues work."""
        count = self.in_flight()
        self.beat(count)
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)  # Scrapy's, private: fall back to its 5 s
        if count == 0 and slot is not None and len(self.queue):
            slot.nextcall.schedule()

    def busy_workers(self) -> list[str]:
        """Other live workers of this crawl with requests in flight."""
        names = list(self.server.scan_iter(match=self.shared.keys["workers"], count=100))
        names = [k for k in names if k.decode() != self.shared.worker_key]
        counts = self.server.mget(names) if names else []
        return [k.decode() for k, n in zip(names, counts, strict=True) if n and int(n) > 0]

    def spider_idle(self, spider: Spider) -> None:
        """Keep this worker open while the crawl has requests queued or in flight elsewhere."""
        self.beat(0)
        queued = len(self.queue)
        busy = [] if queued else self.busy_workers()
        if queued or busy:
            self.stats.inc_value("sputnik/frontier/waited")
            logger.debug("Frontier: %d queued, busy workers %s: waiting", queued, busy)
            raise DontCloseSpider
        logger.info("Frontier: crawl %s has nothing queued or in flight", self.shared.crawl)


class SeedOnceMiddleware:
    """With the frontier: the start requests go through in the crawl's first worker only."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        get_shared(crawler)  # checks the crawl id and Redis before anything starts
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier: FrontierScheduler = self.crawler.sputnik_frontier  # type: ignore[attr-defined]
        shared = frontier.shared
        if not shared.server.set(shared.keys["seeded"], shared.worker, nx=True):
            holder = shared.server.get(shared.keys["seeded"])
            logger.info(
                "Frontier: the seeds of crawl %s were pushed by worker %s",
                shared.crawl,
                holder.decode() if holder else "?",
            )
            return
        frontier.seeding = True
        frontier.beat()
        try:
            async for item_or_request in start:
                yield item_or_request
        finally:
            frontier.seeding = False
        self.crawler.stats.set_value("sputnik/frontier/seeded", 1)


def clean(url: str, crawl: str, *, force: bool = False, password: str = "") -> int:
    """Delete the Redis keys of ``crawl``; :returns: how many. Refused while a worker of it is
    alive (its heartbeat has not expired) unless ``force``."""
    if not CRAWL_ID.match(crawl):
        raise ConfigError(f"--crawl must match {CRAWL_ID.pattern}, got {crawl!r}")
    server = connect(FrontierConfig(url=url, password=password, heartbeat_secs=1.0))
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
        FrontierConfig.read(_UrlReader(args.url))
        removed = clean(
            args.url,
            args.crawl,
            force=args.force,
            password=os.environ.get("SPUTNIK_REDIS_PASSWORD", ""),
        )
    except ConfigError as exc:
        print(f"frontier-clean: {exc}", file=sys.stderr)
        return 1
    print(f"removed {removed} keys of crawl {args.crawl}")
    return 0


class _UrlReader:
    """Just enough of ``crawler.config._Reader`` to check a ``FRONTIER_URL`` given alone."""

    def __init__(self, url: str) -> None:
        self.url = url

    def text(self, name: str) -> str:
        return self.url.strip() if name == "FRONTIER_URL" else ""

    def seconds(self, name: str, minimum: float = 0.0, *, above: bool = False) -> float:
        return 1.0

    def fail(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{name} must be {expected}, got {value!r}")
