"""The crawl frontier shared on Redis (``crawler.frontier``): a real ``redis-server`` started
by the test, two ``scrapy crawl sputnik`` workers over real HTTP against the mirror."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as ds
import pytest

from crawler.config import ConfigError
from tests.crawl import Crawl, config_of, run_crawl
from tests.mirror import seed as real
from tests.mirror.manifest import reachable, record
from tests.mirror.model import PUBLIC_ORIGIN, Site
from tests.mirror.process import REPO_ROOT, run_mirror
from tests.redis_server import free_port
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


def test_two_workers_share_one_crawl(redis_server: RedisServer, tmp_path: Path) -> None:
    site = Site(ARTICLES)
    shared = {
        "FRONTIER_URL": redis_server.url,
        "DEPTH_LIMIT": str(DEPTH),
        "DATASET_URI": str(tmp_path / "articles"),
        "REJECTS_URI": str(tmp_path / "rejects"),
        "FRONTIER_HEARTBEAT_SECS": "1",
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
