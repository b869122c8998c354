"""The crawl frontier shared on Redis (``crawler.frontier``): a real ``redis-server`` started
by the test, two ``scrapy crawl sputnik`` workers over real HTTP against the mirror."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as ds
import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler
from twisted.internet.task import LoopingCall

from crawler.config import ConfigError, FrontierConfig
from crawler.frontier import (
    CLAIM_SEEDS,
    LEASE_KEY,
    SEEDS_DONE,
    FrontierScheduler,
    LeaseQueue,
    Leases,
    Shared,
    keys,
    reap,
)
from crawler.redis_connection import connect
from tests.crawl import Crawl, config_of, run_crawl
from tests.mirror import seed as real
from tests.mirror.manifest import reachable, record
from tests.mirror.model import PUBLIC_ORIGIN, Site
from tests.mirror.process import REPO_ROOT, run_mirror
from tests.redis_server import free_port, run_redis
from tests.test_journal import articles_by_url, command
from tests.test_stats import assert_stats_documented

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

ARTICLES = 600
DEPTH = 0  # no limit: 315 articles from the seed
# Each article takes 0.2 s to serve, so that the crawl lasts long enough for both workers to
# start (~1.5 s each) and take a share, whichever comes first.
SLOW = "slow=0.2@/2024*"
SEED_URL = PUBLIC_ORIGIN + real.SEED_PATH


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def frontier_clean(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler", "frontier-clean", *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"FRONTIER_URL": "redis://:secret@127.0.0.1:6379/0"}, "SPUTNIK_REDIS_PASSWORD"),
        ({"FRONTIER_URL": "redis://user:secret@127.0.0.1/0"}, "SPUTNIK_REDIS_PASSWORD"),
        ({"FRONTIER_URL": "http://127.0.0.1:6379"}, "FRONTIER_URL must be"),
        ({"FRONTIER_URL": "redis://127.0.0.1:6379/x"}, "FRONTIER_URL must be"),
        ({"FRONTIER_URL": "redis://127.0.0.1/0", "JOBDIR": "/tmp/j"}, "JOBDIR"),
        ({"FRONTIER_HEARTBEAT_SECS": "0"}, "FRONTIER_HEARTBEAT_SECS"),
    ],
)
def test_bad_frontier_settings_are_refused(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        config_of(settings)
    assert "secret" not in str(caught.value)


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPUTNIK_REDIS_PASSWORD", "s3cret")
    frontier = config_of({"FRONTIER_URL": "redis://127.0.0.1:6379/2"}).frontier
    assert frontier.password == "s3cret" and "s3cret" not in repr(frontier)
    assert config_of({}).frontier.url == ""


def test_unreachable_redis_stops_at_start(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    crawl = run_crawl(
        None,
        tmp_path,
        settings={"SITE_ORIGIN": "http://127.0.0.1:9", "FRONTIER_URL": url},
        timeout=120,
    )
    assert crawl.returncode == 1, crawl.log[-2000:]
    errors = [line for line in crawl.log.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "FRONTIER_URL" in errors[0] and url in errors[0], errors
    assert "Traceback" not in crawl.log


def test_a_redis_that_evicts_any_key_is_refused(tmp_path: Path) -> None:
    options = ("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")
    (tmp_path / "redis").mkdir()
    with run_redis(tmp_path / "redis", *options) as server:
        crawl = run_crawl(
            None,
            tmp_path,
            settings={"SITE_ORIGIN": "http://127.0.0.1:9", "FRONTIER_URL": server.url},
            timeout=120,
        )
        assert crawl.returncode == 1, crawl.log[-2000:]
        errors = [line for line in crawl.log.splitlines() if "ERROR" in line]
        assert len(errors) == 1, errors
        assert "FRONTIER_URL" in errors[0] and "maxmemory-policy allkeys-lru" in errors[0]
        assert "Traceback" not in crawl.log
        # volatile-* evicts only keys with an expiry (heartbeats, the lock): accepted
        server.client().config_set("maxmemory-policy", "volatile-lru")
        connect(FrontierConfig(url=server.url, password="", heartbeat_secs=1.0)).close()


def test_two_workers_share_one_crawl(redis_server: RedisServer, tmp_path: Path) -> None:
    """Also the stopping rule: each worker holds leases on rows it buffers (no flush by size
    or age), which the other waits for; the quiet crawl asks both to flush, then both close."""
    site = Site(ARTICLES)
    shared = {
        "FRONTIER_URL": redis_server.url,
        "DEPTH_LIMIT": str(DEPTH),
        "DATASET_URI": str(tmp_path / "articles"),
        "REJECTS_URI": str(tmp_path / "rejects"),
        "FRONTIER_HEARTBEAT_SECS": "1",
        "DATASET_FLUSH_ROWS": "100000",
        "DATASET_FLUSH_SECS": "0",
    }
    with run_mirror(articles=ARTICLES, faults=SLOW) as mirror:
        before = mirror.stats()
        with ThreadPoolExecutor(2) as pool:
            runs = [
                pool.submit(
                    run_crawl,
                    mirror,
                    tmp_path / f"w{n}",
                    "-a",
                    f"seeds={SEED_URL}",
                    settings=shared,
                    timeout=120,  # a deadlock would wait forever
                )
                for n in (1, 2)
            ]
            workers: list[Crawl] = [run.result() for run in runs]
        after = mirror.stats()
    for worker in workers:
        assert worker.returncode == 0, worker.log[-3000:]
        assert "Frontier: crawl sputnik-" in worker.log
        assert_stats_documented(worker.stats)
    # one crawl, its seeds pushed by one worker, the requests split between both
    assert sorted(w.stats.get("sputnik/frontier/seeded", 0) for w in workers) == [0, 1]
    dequeued = [w.stats.get("scheduler/dequeued/redis", 0) for w in workers]
    assert all(n > 0.2 * sum(dequeued) for n in dequeued), dequeued
    assert all(w.stats["sputnik/writer/articles-written"] > 0 for w in workers)
    assert not any("sputnik/frontier/leases-left" in w.stats for w in workers)
    # Each waited for the other's leases: one at least wrote when asked (flush_requested), before
    # it closed (the other may close as its flush runs: its own leases do not keep it open).
    flushed = [w.log.index("Wrote ") < w.log.index("Closing spider (finished)") for w in workers]
    assert any(flushed), [w.log[-3000:] for w in workers]
    # every reachable article written exactly once, each rejected page once
    expected = reachable(site, [site.seed_index], DEPTH)
    truths = [record(site, i) for i in expected]
    written = Counter(r["url"] for r in rows(tmp_path / "articles"))
    assert all(n == 1 for n in written.values()), "each article written once"
    assert set(written) == {t["url"] for t in truths if t["status"] == "article"}
    # a depth is the length of the path it was found by: at least the shortest one (which
    # path comes first depends on which worker fetched what when)
    shortest = {site.stubs[i].url: d for i, d in expected.items()}
    depths = {r["url"]: r["depth"] for r in rows(tmp_path / "articles")}
    assert depths[SEED_URL] == 0
    assert all(depth >= shortest[url] for url, depth in depths.items())
    rejected = Counter(r["url"] for r in rows(tmp_path / "rejects"))
    assert all(n == 1 for n in rejected.values()), "each reject written once"
    # each page fetched once over both workers (robots.txt once per worker)
    paths = Counter(after["paths"]) - Counter(before["paths"])
    assert paths.pop("/robots.txt") == 2
    assert paths == Counter({site.stubs[i].path: 1 for i in expected})
    assert sum(w.stats["downloader/request_count"] for w in workers) == sum(paths.values()) + 2
    # the crawl's keys stay (SCHEDULER_PERSIST) until frontier-clean removes them
    client = redis_server.client()
    names = {k.decode() for k in client.scan_iter(match="sputnik:*")}
    # The dataset's state (crawler.shared_state) is the dataset's, not the crawl's: it stays.
    state = {n for n in names if n.startswith("sputnik:_dataset:")}
    assert {n.rsplit(":", 1)[1] for n in state} == {"articles", "files"}
    names -= state
    crawl_id = next(iter(names)).split(":")[1]
    assert crawl_id.startswith("sputnik-")
    assert names == {f"sputnik:{crawl_id}:dupefilter", f"sputnik:{crawl_id}:seeded"}
    assert client.scard(f"sputnik:{crawl_id}:dupefilter") >= len(expected)
    done = frontier_clean(redis_server.url, "--crawl", crawl_id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"removed 2 keys of crawl {crawl_id}"
    assert {k.decode() for k in client.scan_iter(match="sputnik:*")} == state


def test_frontier_clean_spares_other_crawls_and_live_workers(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.sadd("sputnik:a:dupefilter", "x")
    client.zadd("sputnik:a:requests", {"r": 0})
    client.set("sputnik:a:worker:w1", 3, ex=60)
    client.sadd("sputnik:ab:dupefilter", "y")
    refused = frontier_clean(redis_server.url, "--crawl", "a")
    assert refused.returncode == 1 and "live worker" in refused.stderr
    assert client.exists("sputnik:a:requests")
    forced = frontier_clean(redis_server.url, "--crawl", "a", "--force")
    assert forced.returncode == 0 and "removed 3 keys" in forced.stdout
    assert {k.decode() for k in client.scan_iter(match="sputnik:*")} == {"sputnik:ab:dupefilter"}
    bad = frontier_clean(redis_server.url.replace("redis://", "redis://:pw@"), "--crawl", "a")
    assert bad.returncode == 1 and "SPUTNIK_REDIS_PASSWORD" in bad.stderr
    gone = frontier_clean(f"redis://127.0.0.1:{free_port()}/0", "--crawl", "a")
    assert gone.returncode == 1 and "unreachable" in gone.stderr


# -- leases: the Lua scripts against the real server -----------------------------------------


def worker_view(server: RedisServer, worker: str, crawl: str = "c") -> tuple[Shared, LeaseQueue]:
    """``worker``'s view of crawl ``crawl`` and its queue (a client of its own)."""
    shared = Shared(server.client(), crawl, keys(crawl), worker)
    queue = LeaseQueue(server=shared.server, spider=Spider("sputnik"), key=keys(crawl)["requests"])
    queue.leases_key = shared.lease_key
    return shared, queue


def add(queue: LeaseQueue, url: str, *, priority: int = 0, lease: int | None = None) -> bool:
    request = Request(url, priority=priority, meta={} if lease is None else {LEASE_KEY: lease})
    return queue.add(request, dupefilter=keys("c")["dupefilter"], fingerprint=url, lease=lease)


def test_a_pop_leases_the_request_it_takes(redis_server: RedisServer) -> None:
    shared, queue = worker_view(redis_server, "w1")
    client = shared.server
    assert add(queue, "http://a/low", priority=1) and add(queue, "http://a/high", priority=5)
    taken = queue.lease(7)
    assert taken is not None and taken.url == "http://a/high"
    assert client.zcard(shared.keys["requests"]) == 1
    entry = client.hget(shared.lease_key, "7")
    assert entry is not None
    score, data = entry.split(b" ", 1)
    assert float(score) == -5 and queue._decode_request(data).url == "http://a/high"
    assert queue.lease(8) is not None and queue.lease(9) is None
    assert sorted(client.hkeys(shared.lease_key)) == [b"7", b"8"]


def test_seen_means_queued_and_a_re_request_moves_its_lease(redis_server: RedisServer) -> None:
    shared, queue = worker_view(redis_server, "w1")
    client = shared.server
    assert add(queue, "http://a/1")
    assert not add(queue, "http://a/1"), "a duplicate"
    assert client.smembers(shared.keys["dupefilter"]) == {b"http://a/1"}
    assert client.zcard(shared.keys["requests"]) == 1
    leased = queue.lease(1)
    assert leased is not None
    # A redirect of the leased request: queued anew without the lease id; the lease released.
    assert add(queue, "http://a/2", lease=1)
    assert not client.exists(shared.lease_key)
    again = queue.lease(2)
    assert again is not None and again.url == "http://a/2" and LEASE_KEY not in again.meta
    # A re-request that is a duplicate (a redirect to a page seen): released, not queued.
    assert not add(queue, "http://a/1", lease=2)
    assert not client.exists(shared.lease_key) and client.zcard(shared.keys["requests"]) == 0
    # Every fingerprint seen has its request queued or leased (one script: no kill between).
    assert client.scard(shared.keys["dupefilter"]) == 2


def test_reaping_takes_back_the_leases_of_dead_workers_only(redis_server: RedisServer) -> None:
    live, live_queue = worker_view(redis_server, "live")
    dead, dead_queue = worker_view(redis_server, "dead")
    reaper, _ = worker_view(redis_server, "reaper")
    client = reaper.server
    for n in range(6):
        assert add(live_queue, f"http://a/{n}", priority=n)
    for lease in (1, 2, 3):
        assert dead_queue.lease(lease) is not None  # priorities 5, 4, 3
    assert live_queue.lease(1) is not None  # priority 2
    client.set(live.worker_key, 1, ex=60)
    assert reap(reaper) == {"dead": 3}
    assert not client.exists(dead.lease_key) and client.hlen(live.lease_key) == 1
    queued = client.zrange(reaper.keys["requests"], 0, -1, withscores=True)
    urls = [(live_queue._decode_request(data).url, score) for data, score in queued]
    assert [url for url, _ in urls] == [f"http://a/{n}" for n in (5, 4, 3, 1, 0)]
    assert [score for _, score in urls] == [-5, -4, -3, -1, 0], "with their priorities"
    assert live_queue.lease(2).url == "http://a/5"  # type: ignore[union-attr]
    assert reap(reaper) == {}


def test_two_reapers_put_a_dead_workers_requests_back_once(redis_server: RedisServer) -> None:
    dead, queue = worker_view(redis_server, "dead")
    for n in range(2000):
        assert add(queue, f"http://a/{n}")
    for lease in range(1, 2001):
        assert queue.lease(lease) is not None
    reapers = [worker_view(redis_server, f"r{n}")[0] for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(reap, reapers))
    assert sum(r.get("dead", 0) for r in results) == 2000
    assert [r for r in results if r] == [{"dead": 2000}]
    assert dead.server.zcard(dead.keys["requests"]) == 2000


def test_a_worker_paused_past_its_heartbeat_says_its_leases_were_lost(
    redis_server: RedisServer,
) -> None:
    shared, _ = worker_view(redis_server, "w1")
    scheduler = FrontierScheduler.__new__(FrontierScheduler)  # beat() alone
    scheduler.server, scheduler.shared = shared.server, shared
    scheduler.frontier = FrontierConfig(url=redis_server.url, password="", heartbeat_secs=0.05)
    scheduler.leases = Leases(shared)
    scheduler.stats = get_crawler(Spider).stats
    scheduler.beat(0)  # the first: nothing was there before
    scheduler.leases.held.update({1, 2})
    scheduler.beat(1)
    assert scheduler.stats.get_value("sputnik/frontier/lease-lost") is None
    time.sleep(0.3)  # past 3 periods: expired
    scheduler.beat(1)
    assert scheduler.stats.get_value("sputnik/frontier/lease-lost") == 2
    assert shared.server.get(shared.worker_key) == b"1"


def test_leases_left_at_close_are_reaped_at_once(redis_server: RedisServer) -> None:
    shared, queue = worker_view(redis_server, "w1")
    for n in range(3):
        assert add(queue, f"http://a/{n}")
    scheduler = FrontierScheduler.__new__(FrontierScheduler)  # close() alone
    scheduler.server, scheduler.shared, scheduler.persist = shared.server, shared, True
    scheduler.heartbeat = LoopingCall(lambda: None)
    scheduler.leases = Leases(shared)
    scheduler.stats = get_crawler(Spider).stats
    for lease in (1, 2):  # two requests whose rows were not written
        assert queue.lease(lease) is not None
        scheduler.leases.held.add(lease)
    shared.server.set(shared.worker_key, 0, ex=60)
    scheduler.close("finished")
    assert scheduler.stats.get_value("sputnik/frontier/leases-left") == 2
    assert not shared.server.exists(shared.worker_key)
    other, _ = worker_view(redis_server, "w2")
    assert reap(other) == {"w1": 2}
    assert shared.server.zcard(shared.keys["requests"]) == 3


def test_the_seeds_are_claimed_once_and_again_after_their_pusher_died(
    redis_server: RedisServer,
) -> None:
    client = redis_server.client()
    names = keys("c")
    claim = client.register_script(CLAIM_SEEDS)
    prefix = names["workers"][:-1]

    def claimed(worker: str) -> int:
        return int(claim(keys=[names["seeded"]], args=[worker, prefix, SEEDS_DONE]))

    client.set(prefix + "w1", 1, ex=60)
    assert claimed("w1") == 1
    client.set(prefix + "w2", 0, ex=60)
    assert claimed("w2") == 0, "w1 is alive and pushing"
    client.delete(prefix + "w1")  # its heartbeat expired
    assert claimed("w2") == 2 and client.get(names["seeded"]) == b"w2"
    client.set(names["seeded"], SEEDS_DONE)
    assert claimed("w3") == 0


# -- a killed worker loses nothing -------------------------------------------------------------

KILL_AT_LEASES = 105  # the victim's leases when it is killed: its articles fetched, not written
KILL_ARGS = ("-a", "source=rss", "-a", "crawl=kill")
KILL_SETTINGS = {"DEPTH_LIMIT": "1", "FRONTIER_HEARTBEAT_SECS": "0.5"}
# As tests/test_journal.py: redirected and retried articles (re-requests move their lease).
KILL_FAULTS = "redirect=2@/2*%10;status=503@/2*%10x1;slow=0.2@/2*"


def lease_count(client: Any, pid: int, crawl: str = "kill") -> int:
    """The length of the lease hash of the worker of ``crawl`` with process id ``pid``."""
    for name in client.scan_iter(match=f"sputnik:{crawl}:leases:*"):
        if f"-{pid}-" in name.decode():
            return client.hlen(name)
    return 0


def test_a_killed_worker_loses_nothing(redis_server: RedisServer, tmp_path: Path) -> None:
    with run_mirror(articles=ARTICLES, faults=KILL_FAULTS) as mirror:  # its own fault counts
        whole = run_crawl(mirror, tmp_path / "whole", *KILL_ARGS[:2], settings=KILL_SETTINGS)
    assert whole.returncode == 0, whole.log[-3000:]
    assert whole.stats["retry/count"] > 0 and whole.stats["downloader/response_status_count/302"]
    with run_mirror(articles=ARTICLES, faults=KILL_FAULTS) as mirror:
        client = redis_server.client()
        shared = {**KILL_SETTINGS, "FRONTIER_URL": redis_server.url}
        victim_out = tmp_path / "victim"
        victim_settings = {**shared, "DATASET_FLUSH_ROWS": "100000", "DATASET_FLUSH_SECS": "0"}
        victim_line = command(mirror, victim_out, *KILL_ARGS, settings=victim_settings)
        with (tmp_path / "victim.log").open("w") as log:
            victim = subprocess.Popen(victim_line, cwd=REPO_ROOT, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while (held := lease_count(client, victim.pid)) < 10:
                assert victim.poll() is None and time.monotonic() < deadline, "no start"
                time.sleep(0.02)
            with ThreadPoolExecutor(1) as pool:
                keeping = pool.submit(
                    run_crawl, mirror, tmp_path / "keeper", *KILL_ARGS, settings=shared, timeout=120
                )
                while (held := lease_count(client, victim.pid)) < KILL_AT_LEASES:
                    assert victim.poll() is None and time.monotonic() < deadline, held
                    time.sleep(0.01)
                victim.send_signal(signal.SIGKILL)
                assert victim.wait(timeout=10) == -signal.SIGKILL
                keeper = keeping.result()
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait()
    assert held >= KILL_AT_LEASES
    assert list(victim_out.rglob("*.parquet")) == [], "the victim wrote no file"
    assert keeper.returncode == 0, keeper.log[-3000:]
    assert keeper.stats["sputnik/frontier/requeued"] >= 100
    assert "is gone (its heartbeat expired)" in keeper.log
    assert_stats_documented(keeper.stats)
    # the keeper's dataset is the uninterrupted crawl's: each article once, the same rows
    assert articles_by_url(keeper.articles) == articles_by_url(whole.articles)
    assert {(r["url"], r["reason"]) for r in rows(keeper.rejects)} == {
        (r["url"], r["reason"]) for r in rows(whole.rejects)
    }
    assert {k.decode() for k in client.scan_iter(match="sputnik:kill:*")} == {
        "sputnik:kill:dupefilter",
        "sputnik:kill:seeded",
    }, "no lease left"


def test_a_worker_paused_past_its_heartbeat_writes_no_article_twice(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """SIGSTOP past the heartbeat's expiry: the other worker takes the paused one's requests
    back and fetches them; the paused one, resumed, says its leases were lost and finishes them
    too; the shared "already stored" state leaves out the second copy of each article."""
    args = ("-a", "source=rss", "-a", "crawl=pause")
    with run_mirror(articles=ARTICLES, faults=SLOW) as mirror:
        whole = run_crawl(mirror, tmp_path / "whole", *args[:2], settings=KILL_SETTINGS)
    assert whole.returncode == 0, whole.log[-3000:]
    client = redis_server.client()
    shared = {
        **KILL_SETTINGS,
        "FRONTIER_URL": redis_server.url,
        "DATASET_URI": str(tmp_path / "articles"),
        "REJECTS_URI": str(tmp_path / "rejects"),
    }
    paused_settings = {**shared, "DATASET_FLUSH_ROWS": "100000", "DATASET_FLUSH_SECS": "0"}
    with run_mirror(articles=ARTICLES, faults=SLOW) as mirror, ThreadPoolExecutor(2) as pool:
        pausing = pool.submit(
            run_crawl, mirror, tmp_path / "paused", *args, settings=paused_settings, timeout=120
        )
        deadline = time.monotonic() + 60
        while not (pid := paused_pid(client)) or lease_count(client, pid, "pause") < 30:
            assert time.monotonic() < deadline and not pausing.done(), "no start"
            time.sleep(0.01)
        keeping = pool.submit(
            run_crawl, mirror, tmp_path / "keeper", *args, settings=shared, timeout=120
        )
        os.kill(pid, signal.SIGSTOP)
        try:
            while lease_count(client, pid, "pause"):  # until the keeper took them back
                assert time.monotonic() < deadline and not keeping.done(), "not reaped"
                time.sleep(0.05)
        finally:
            os.kill(pid, signal.SIGCONT)
        paused, keeper = pausing.result(), keeping.result()
    for worker in (paused, keeper):
        assert worker.returncode == 0, worker.log[-3000:]
        assert_stats_documented(worker.stats)
    assert paused.stats["sputnik/frontier/lease-lost"] >= 30
    assert keeper.stats["sputnik/frontier/requeued"] >= 30
    assert "heartbeat had expired while it held" in paused.log
    skipped = sum(w.stats.get("sputnik/writer/skipped-unchanged", 0) for w in (paused, keeper))
    assert skipped > 0, "fetched twice, written once"
    assert articles_by_url(tmp_path / "articles") == articles_by_url(whole.articles)


def paused_pid(client: Any) -> int | None:
    """The pid of the first worker of crawl ``pause`` (its name is host-pid-random)."""
    for name in client.scan_iter(match="sputnik:pause:worker:*"):
        return int(name.decode().rsplit("-", 2)[-2])
    return None
