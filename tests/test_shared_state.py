"""The dataset state on Redis (``crawler.shared_state``): a real ``redis-server`` started by the
test; the writer on real local files, or crawls and compaction on a real S3 API server (moto)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs
import pytest
import scrapy
from scrapy.utils.test import get_crawler

from crawler import dataset
from crawler.compact import compact as compact_dataset
from crawler.config import ConfigError
from crawler.pipelines import write
from crawler.shared_state import LOCK_SLEEP_SECS, PREFIX, RedisState, dataset_keys
from crawler.spiders.sputnik import RSS_FEED, SputnikSpider
from crawler.state import (
    LockLost,
    LockTimeout,
    SkipStoredMiddleware,
    connect_state,
    state_location,
)
from crawler.urls import PUBLIC_ORIGIN
from tests.crawl import Crawl, config_of, run_crawl
from tests.mirror.manifest import reachable, record
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, run_mirror
from tests.redis_server import free_port
from tests.test_frontier import ARTICLES, DEPTH, SEED_URL, SLOW
from tests.test_incremental import article, request, through
from tests.test_s3 import BUCKET, s3  # noqa: F401 - the moto server fixture
from tests.test_stats import assert_stats_documented
from tests.test_write import feed, make_writer, sparse_article, stats

if TYPE_CHECKING:
    from tests.redis_server import RedisServer
    from tests.test_s3 import S3

pytestmark = pytest.mark.timeout(600)

SHARED_URI = f"s3://{BUCKET}/shared/articles"
SHARED_REJECTS = f"s3://{BUCKET}/shared/rejects"


def redis_state(server: RedisServer, root: Path | str, **settings: Any) -> RedisState:
    config = config_of({"DATASET_URI": str(root), "FRONTIER_URL": server.url, **settings})
    location = state_location(config)
    assert location is not None and location.frontier is not None
    state = connect_state(location)
    assert isinstance(state, RedisState)
    return state


def articles(count: int, start: int = 0) -> list[Any]:
    items = [sparse_article(i) for i in range(start, start + count)]
    for item in items:
        item.content_hash = f"hash-{item.article_id}"
    return items


def stored(state: RedisState) -> dict[tuple[str, int], str]:
    """The state's ``(edition, article_id) -> content_hash``."""
    found = {}
    for field, value in state.server.hgetall(state.keys["articles"]).items():
        edition, article = field.decode().split(":")
        found[edition, int(article)] = value.decode().rsplit(" ", 1)[0]
    return found


def in_dataset(uri: str | Path) -> list[tuple[str, int, str]]:
    table = dataset.read_articles(uri)
    return list(
        zip(
            table["edition"].to_pylist(),
            table["article_id"].to_pylist(),
            table["content_hash"].to_pylist(),
            strict=True,
        )
    )


# -- settings and keys ----------------------------------------------------------------------------


def test_the_lease_is_checked_and_a_redis_state_needs_no_local_file() -> None:
    with pytest.raises(ConfigError, match="DATASET_LOCK_LEASE_SECS"):
        config_of({"DATASET_LOCK_LEASE_SECS": "0"})
    on_s3 = {"DATASET_URI": "s3://bucket/a", "REJECTS_URI": "s3://bucket/r"}
    with pytest.raises(ConfigError, match="DATASET_STATE_PATH"):
        config_of(on_s3)
    config = config_of({**on_s3, "FRONTIER_URL": "redis://127.0.0.1:6379/0"})
    location = state_location(config)
    assert location is not None and location.frontier is not None and location.path == ""
    assert location.lease_secs == 60.0
    assert state_location(config_of({**on_s3, "DATASET_STATE_ENABLED": "False"})) is None


def test_keys_are_named_by_the_dataset_never_like_a_crawl(tmp_path: Path) -> None:
    local = pafs.LocalFileSystem()
    keys = dataset_keys(local, str(tmp_path / "articles"))
    assert keys == dataset_keys(local, str(tmp_path / "articles/"))
    assert keys != dataset_keys(local, str(tmp_path / "other"))
    assert set(keys) == {"articles", "files", "lock"}
    assert all(k.startswith(f"{PREFIX}:") and k.count(":") == 3 for k in keys.values())
    assert PREFIX.split(":")[1].startswith("_")  # crawl ids start with a letter or digit


def test_an_unreachable_redis_stops_the_state_naming_frontier_url(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    config = config_of({"DATASET_URI": str(tmp_path), "FRONTIER_URL": url})
    location = state_location(config)
    assert location is not None
    with pytest.raises(ConfigError, match="FRONTIER_URL") as caught:
        connect_state(location)
    assert url in str(caught.value)
    with pytest.raises(ConfigError, match="FRONTIER_URL"):
        make_writer(tmp_path, FRONTIER_URL=url)  # before the spider opens


# -- the state on Redis, the dataset on local files -----------------------------------------------


def test_a_crawl_fills_the_state_and_it_is_rebuilt_when_a_file_goes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    items = articles(6)
    writer = make_writer(tmp_path, FRONTIER_URL=redis_server.url, DATASET_FLUSH_ROWS=2)
    asyncio.run(feed(writer, items))
    root = tmp_path / "articles"
    assert not (root / "_state").exists()  # no SQLite file
    state = redis_state(redis_server, root)
    try:
        files = dataset.dataset_files(pafs.LocalFileSystem(), str(root))
        assert len(files) == 3 and state.known_files() == set(files)
        assert stored(state) == {("en", i.article_id): i.content_hash for i in items}
        assert state.contains("en", items[0].article_id) and not state.contains("ru", 1)
        # Files taken in from the dataset alone: the state forgets, then syncs.
        state.server.delete(state.keys["articles"], state.keys["files"])
        report = state.sync()
        assert (report.files, report.rows, report.rebuilt) == (3, 6, False)
        assert stored(state) == {(e, a): h for e, a, h in in_dataset(root)}
        # A known file gone: rebuilt from what is left.
        (root / files[0]).unlink()
        report = state.sync()
        assert report.rebuilt and state.count() == 4 and state.known_files() == set(files[1:])
        assert stored(state) == {(e, a): h for e, a, h in in_dataset(root)}
    finally:
        state.close()


def test_stored_articles_are_skipped_with_one_lookup_per_page(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = {"FRONTIER_URL": redis_server.url}
    asyncio.run(feed(make_writer(tmp_path, job_id="one", **settings), [article(1)]))
    requests = [
        request("/20240409/story-3000001.html"),
        request("/20240409/story-3000002.html"),
        request("/20240409/story-3000001.html", "noticiaslatam.lat"),  # es: another article
        scrapy.Request(PUBLIC_ORIGIN + RSS_FEED),
        {"an": "item"},
    ]
    settings |= {"DATASET_URI": str(tmp_path / "articles"), "SITE_ORIGIN": "http://127.0.0.1:9"}
    crawler = get_crawler(SputnikSpider, settings)
    crawler.spider = SputnikSpider.from_crawler(crawler)
    middleware = SkipStoredMiddleware.from_crawler(crawler)
    client = redis_server.client()
    client.config_resetstat()
    out = asyncio.run(through(middleware, requests))  # the start requests, then a page's output
    middleware.spider_closed()
    assert out == requests[1:] * 2
    assert crawler.stats.get_value("sputnik/state/skipped-stored") == 2
    calls = {k: v["calls"] for k, v in client.info("commandstats").items()}
    assert calls["cmdstat_hexists"] == 3  # the start requests, one by one
    assert calls["cmdstat_hmget"] == 1  # the page's three article links at once


def test_a_writer_waits_for_the_lock_then_times_out(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    holder = redis_state(redis_server, tmp_path, DATASET_STATE_TIMEOUT_SECS="0.5")
    waiter = redis_state(redis_server, tmp_path, DATASET_STATE_TIMEOUT_SECS="0.5")
    try:
        with holder.writing():
            started = time.monotonic()
            with pytest.raises(LockTimeout, match="DATASET_STATE_TIMEOUT_SECS"), waiter.writing():
                pass
            # redis-py gives up when its next try (every LOCK_SLEEP_SECS) would be too late
            assert 0.5 - LOCK_SLEEP_SECS <= time.monotonic() - started < 3
        with waiter.writing():  # released: had at once
            pass
    finally:
        holder.close()
        waiter.close()


def test_keep_alive_renews_the_lease_and_a_lost_lease_records_nothing(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    state = redis_state(redis_server, tmp_path, DATASET_LOCK_LEASE_SECS="0.5")
    row = {"article_id": 7, "content_hash": "h", "fetched_at": None}
    try:
        with state.writing():
            for _ in range(6):  # 1.2 s in all, more than twice the lease
                time.sleep(0.2)
                state.keep_alive()
            state.record("edition=en/date=2024-04-09/a.parquet", "en", [row])
        assert state.count() == 1
        with pytest.raises(LockLost, match="DATASET_LOCK_LEASE_SECS"), state.writing():
            time.sleep(0.8)  # a stall past the lease
            state.record("edition=en/date=2024-04-09/b.parquet", "en", [{**row, "article_id": 8}])
        assert state.count() == 1
        assert state.known_files() == {"edition=en/date=2024-04-09/a.parquet"}
        # A record refused for a file already known went through on an earlier try (redis-py
        # retries a call whose answer was lost): not a lost lock, the file stays.
        with state.writing():
            time.sleep(0.8)
            state.record("edition=en/date=2024-04-09/a.parquet", "en", [row])
    finally:
        state.close()


def lose_the_lock(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any, list[str]]:
    """Writer A stalls in its upload past its lease; writer B, waiting for the lock, takes it and
    writes the same 5 articles. A's record is refused; A then flushes again and closes."""
    settings = {"FRONTIER_URL": redis_server.url, "DATASET_LOCK_LEASE_SECS": "1"}
    first = make_writer(tmp_path, "job-a", **settings)
    second = make_writer(tmp_path, "job-b", **settings)
    original = write._write_file
    stalled: list[str] = []

    def slow_upload(filesystem: Any, table: Any, path: str) -> None:
        if "job-a" in path and not stalled:
            stalled.append(path)
            # B's whole crawl runs now: it gets the lock once A's lease has expired.
            asyncio.run(feed(second, articles(5)))
        original(filesystem, table, path)

    monkeypatch.setattr(write, "_write_file", slow_upload)

    async def scenario() -> None:
        await feed(first, articles(5), close=False)
        await first._flush(first.articles, final=True)
        assert first.articles.buffered == 5  # kept for the next flush
        await first.close_spider()

    asyncio.run(scenario())
    a, b = stats(first), stats(second)
    assert a["sputnik/writer/lock-lost"] == 1 and "sputnik/writer/lock-lost" not in b
    assert b["sputnik/writer/articles-written"] == 5
    assert a.get("sputnik/writer/articles-written", 0) == 0
    assert a["sputnik/writer/skipped-unchanged"] == 5 and "sputnik/writer/rows-lost" not in a
    assert "sputnik/writer/write-errors" not in a
    return first, second, stalled


def test_a_writer_that_lost_its_lease_deletes_its_file_and_the_other_writes_once(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    _, _, stalled = lose_the_lock(redis_server, tmp_path, monkeypatch)
    root = tmp_path / "articles"
    files = dataset.dataset_files(pafs.LocalFileSystem(), str(root))
    assert len(files) == 1 and "job-b" in files[0]
    assert not [p for p in root.rglob("*") if p.is_file() and "job-a" in p.name]
    assert sorted(a for _, a, _ in in_dataset(root)) == [i.article_id for i in articles(5)]
    lost = [r for r in caplog.records if "Lost the dataset lock" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelname == "ERROR"
    assert stalled[0].rsplit("/", 1)[1][1:].removesuffix(".tmp") in lost[0].getMessage()
    state = redis_state(redis_server, root)
    try:
        assert state.known_files() == set(files)
        assert stored(state) == {(e, i): h for e, i, h in in_dataset(root)}
    finally:
        state.close()


def test_the_one_duplicate_left_by_a_lost_lease_is_gone_after_compaction(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """The exception to the guarantee: A is killed (here: its delete fails) between its upload
    and the delete that follows its lost lease. Its rows are then in the dataset twice, same
    (edition, article_id, content_hash); compaction under the Redis lock keeps one."""

    def delete_fails(filesystem: Any, written: Any, lost: LockLost) -> None:
        written.taken_back, written.path, written.error = written.path, None, lost
        written.take_back_error = OSError("the delete failed")

    monkeypatch.setattr(write, "_take_back", delete_fails)
    lose_the_lock(redis_server, tmp_path, monkeypatch)
    root = tmp_path / "articles"
    assert any("Could not delete" in r.getMessage() for r in caplog.records)
    keys = in_dataset(root)
    assert len(keys) == 10 and Counter(keys) == Counter({k: 2 for k in set(keys)})
    report = compact_dataset(root, frontier_url=redis_server.url)
    assert [(p.rows_before, p.rows_after) for p in report.partitions] == [(10, 5)]
    assert sorted(in_dataset(root)) == sorted(set(keys))
    state = redis_state(redis_server, root)
    try:
        assert state.known_files() == set(dataset.dataset_files(pafs.LocalFileSystem(), str(root)))
        assert stored(state) == {(e, i): h for e, i, h in in_dataset(root)}
    finally:
        state.close()


# -- two workers on one dataset on S3 -------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_crawls(
    s3: S3,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Any, list[Crawl], Crawl, Any]:
    """One crawl by two workers (shared frontier) into S3 without a local state file, then a
    second crawl of the same dataset under another crawl id."""
    from tests.redis_server import run_redis

    out = tmp_path_factory.mktemp("shared-state")
    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        shared = {
            "FRONTIER_URL": server.url,
            "DEPTH_LIMIT": str(DEPTH),
            "DATASET_URI": SHARED_URI,
            "REJECTS_URI": SHARED_REJECTS,
            "FRONTIER_HEARTBEAT_SECS": "1",
            "DATASET_FLUSH_ROWS": "20",  # many flushes, taking turns at the lock
        }
        with run_mirror(articles=ARTICLES, faults=SLOW) as mirror:
            with ThreadPoolExecutor(2) as pool:
                runs = [
                    pool.submit(
                        run_crawl, mirror, out / f"w{n}", "-a", f"seeds={SEED_URL}", settings=shared
                    )
                    for n in (1, 2)
                ]
                workers = [run.result() for run in runs]
            before = mirror.stats()
            again = run_crawl(
                mirror,
                out / "again",
                "-a",
                f"seeds={SEED_URL}",
                "-a",
                "crawl=second",
                settings=shared,
            )
            after = mirror.stats()
        config = config_of({"DATASET_URI": SHARED_URI, "FRONTIER_URL": server.url})
        location = state_location(config)
        assert location is not None
        state = connect_state(location)
        yield server, workers, again, (state, Counter(after["paths"]) - Counter(before["paths"]))
        state.close()


def test_two_workers_on_s3_write_every_article_once_and_share_the_state(
    shared_crawls: Any,
) -> None:
    _, workers, _, (state, _) = shared_crawls
    for worker in workers:
        assert worker.returncode == 0, worker.log[-3000:]
        assert " ERROR: " not in worker.log and "Traceback" not in worker.log, worker.log[-3000:]
        assert "Dataset state redis://" in worker.log
        assert_stats_documented(worker.stats)
    written = [w.stats.get("sputnik/writer/articles-written", 0) for w in workers]
    assert all(written), written  # both wrote a share
    site = Site(ARTICLES)
    expected = reachable(site, [site.seed_index], DEPTH)
    truths = {record(site, i)["url"] for i in expected if record(site, i)["status"] == "article"}
    rows = dataset.read_articles(SHARED_URI).to_pylist()
    assert Counter(r["url"] for r in rows) == Counter(truths)  # each once
    assert sum(written) == len(rows)
    keys = in_dataset(SHARED_URI)
    assert len({(e, a) for e, a, _ in keys}) == len(keys)
    assert stored(state) == {(e, a): h for e, a, h in keys}
    assert state.known_files() == set(dataset.dataset_files(*dataset.resolve_uri(SHARED_URI)))


def test_a_second_crawl_of_the_dataset_writes_nothing_and_skips_what_is_stored(
    shared_crawls: Any,
) -> None:
    _, _, again, (_, fetched) = shared_crawls
    assert again.returncode == 0, again.log[-3000:]
    assert again.stats.get("sputnik/writer/articles-written", 0) == 0
    assert again.stats["sputnik/state/skipped-stored"] >= 1  # the seed article: stored
    assert set(fetched) <= {"/robots.txt"}, fetched  # no article fetched again


def compact(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler", "compact", *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_compaction_takes_the_redis_lock_and_removes_a_planted_duplicate(
    shared_crawls: Any,
) -> None:
    server, _, _, (state, _) = shared_crawls
    filesystem, root = dataset.resolve_uri(SHARED_URI)
    files = dataset.dataset_files(filesystem, root)
    # A duplicate as a writer killed after losing its lease leaves it: a whole file twice.
    planted = files[0].rsplit("/", 1)[0] + "/part-killed-00001-0000dead.parquet"
    filesystem.copy_file(f"{root}/{files[0]}", f"{root}/{planted}")
    before = in_dataset(SHARED_URI)
    assert len(before) > len({(e, a) for e, a, _ in before})
    # A writer holding the lock (its token shared with the thread that releases it).
    lock = server.client().lock(state.keys["lock"], timeout=30, thread_local=False)
    assert lock.acquire(blocking=False)
    refused = compact(SHARED_URI, "--frontier", server.url, "--timeout", "1")
    assert refused.returncode == 1, refused.stderr[-2000:]
    assert "held by another writer" in refused.stderr and state.keys["lock"] in refused.stderr
    assert "Traceback" not in refused.stderr
    assert dataset.dataset_files(filesystem, root) == sorted([*files, planted])

    release = threading.Timer(2.0, lock.release)
    release.start()
    started = time.monotonic()
    done = compact(SHARED_URI, "--frontier", server.url, "--timeout", "60")
    waited = time.monotonic() - started
    release.join()
    assert done.returncode == 0, done.stderr[-3000:]
    assert waited >= 2.0  # it waited for the writer holding the lock
    after = in_dataset(SHARED_URI)
    assert sorted(after) == sorted(set(before))  # one row per (edition, article_id)
    assert waited < 20  # ... and took it when released, not when its lease ran out
    compacted = dataset.dataset_files(filesystem, root)
    partition = planted.rsplit("/", 1)[0]
    assert [f for f in compacted if f.startswith(partition + "/")] == [
        next(f for f in compacted if f.startswith(partition + "/part-compact-"))
    ]
    assert state.known_files() == set(compacted)
    assert stored(state) == {(e, a): h for e, a, h in after}
