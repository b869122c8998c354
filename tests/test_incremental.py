"""Incremental crawls: the dataset state (crawler.state), the writer's new-versions-only flushes,
the middleware that skips stored articles, and the spider arguments that go with them.

The writer tests use real files under ``tmp_path``; the concurrency test runs two crawls at once
in subprocesses, as two scrapyd jobs would.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import dataset
from crawler.items import ArticleItem, arrow_schema
from crawler.spiders.sputnik import RSS_FEED, SputnikSpider
from crawler.state import (
    ArticleState,
    SkipStoredMiddleware,
    micros,
    open_state,
    state_location,
)
from crawler.urls import PUBLIC_ORIGIN
from tests.crawl import config_of
from tests.test_write import SPIDER_FILE, WRITER, feed, make_writer, stats, visible_files


def article(i: int, body: str = "Body.", fetched: datetime | None = None) -> ArticleItem:
    return ArticleItem(
        url=f"https://sputnikglobe.com/20240409/story-{3_000_000 + i}.html",
        article_id=3_000_000 + i,
        headline=f"Story {i}",
        body=body,
        content_hash=f"{i}:{body}",
        published_at=datetime(2024, 4, 9, 12, 0, tzinfo=UTC) + timedelta(days=i % 3),
        fetched_at=fetched or datetime.now(UTC),
    )


def location(root: Path, **settings: Any) -> Any:
    return state_location(config_of({"DATASET_URI": str(root), **settings}))


def stored(root: Path) -> dict[int, str]:
    """article_id -> content_hash of every row in the dataset."""
    table = dataset.read_articles(root)
    return dict(
        zip(table["article_id"].to_pylist(), table["content_hash"].to_pylist(), strict=True)
    )


def rows(root: Path) -> list[tuple[int, str]]:
    table = dataset.read_articles(root)
    return sorted(
        zip(table["article_id"].to_pylist(), table["content_hash"].to_pylist(), strict=True)
    )


# -- the writer ---------------------------------------------------------------------------------


def test_a_second_crawl_writes_only_new_articles(tmp_path):
    first = make_writer(tmp_path, job_id="one", DATASET_FLUSH_ROWS=2)
    asyncio.run(feed(first, [article(i) for i in range(5)]))
    second = make_writer(tmp_path, job_id="two", DATASET_FLUSH_ROWS=2)
    asyncio.run(feed(second, [article(i) for i in range(3, 8)]))
    assert [a for a, _ in rows(tmp_path / "articles")] == [3_000_000 + i for i in range(8)]
    assert stats(second)["sputnik/writer/articles-written"] == 3
    assert stats(second)["sputnik/writer/skipped-unchanged"] == 2
    assert "sputnik/writer/articles-changed" not in stats(second)
    assert all("-two-" in p.name or "-one-" in p.name for p in visible_files(tmp_path / "articles"))


def test_a_changed_article_is_a_new_row_an_unchanged_one_is_not(tmp_path):
    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(1), article(2)]))
    refresh = make_writer(tmp_path, job_id="two")
    asyncio.run(feed(refresh, [article(1, body="Corrected."), article(2)]))
    assert rows(root) == [
        (3_000_001, "1:Body."),
        (3_000_001, "1:Corrected."),
        (3_000_002, "2:Body."),
    ]
    assert stats(refresh)["sputnik/writer/articles-written"] == 1
    assert stats(refresh)["sputnik/writer/articles-changed"] == 1
    assert stats(refresh)["sputnik/writer/skipped-unchanged"] == 1
    state = ArticleState(location(root))
    assert state.latest("en", [3_000_001])[3_000_001][0] == "1:Corrected."
    # Back to the first text: a new version again, since it differs from the latest.
    again = make_writer(tmp_path, job_id="three")
    asyncio.run(feed(again, [article(1)]))
    assert stats(again)["sputnik/writer/articles-changed"] == 1
    assert len(rows(root)) == 4


def test_two_writers_at_once_never_write_an_article_twice(tmp_path):
    writers = [make_writer(tmp_path, job_id=f"job-{n}", DATASET_FLUSH_ROWS=3) for n in range(3)]

    async def interleaved() -> None:
        for w in writers:
            await w.open_spider()
        for i in range(20):
            for w in writers:
                await w.process_item(article(i))
        await asyncio.gather(*(w.close_spider() for w in writers))

    asyncio.run(interleaved())
    ids = [a for a, _ in rows(tmp_path / "articles")]
    assert ids == [3_000_000 + i for i in range(20)]
    written = sum(stats(w).get("sputnik/writer/articles-written", 0) for w in writers)
    unchanged = sum(stats(w).get("sputnik/writer/skipped-unchanged", 0) for w in writers)
    assert (written, unchanged) == (20, 40)


def test_two_crawl_processes_at_once_never_write_an_article_twice(tmp_path):
    """Two ``scrapy runspider`` jobs yielding the same 300 articles into one dataset."""
    root = tmp_path / "articles"
    command = [sys.executable, "-m", "scrapy", "runspider", str(SPIDER_FILE)]
    settings = {
        "ITEM_PIPELINES": json.dumps({WRITER: 900}),
        "DATASET_URI": str(root),
        "REJECTS_URI": str(tmp_path / "rejects"),
        "DATASET_FLUSH_ROWS": "7",
        "LOG_LEVEL": "INFO",
    }
    processes = []
    for job in ("left", "right"):
        stats_file = tmp_path / f"{job}.json"
        args = ["-a", "count=300", "-a", "delay_secs=0.001", "-a", f"job_id={job}"]
        args += ["-a", f"stats_file={stats_file}"]
        args += [x for k, v in settings.items() for x in ("-s", f"{k}={v}")]
        processes.append(
            subprocess.Popen([*command, *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
        )
    for process in processes:
        _, log = process.communicate(timeout=120)
        assert process.returncode == 0, log[-3000:]
    table = dataset.read_articles(root)
    assert sorted(table["article_id"].to_pylist()) == [1_000_000 + i for i in range(300)]
    written = [json.loads((tmp_path / f"{j}.json").read_text()) for j in ("left", "right")]
    assert sum(s.get("sputnik/writer/articles-written", 0) for s in written) == 300
    assert sum(s.get("sputnik/writer/skipped-unchanged", 0) for s in written) == 300
    assert set(table["job_id"].to_pylist()) <= {"left", "right"}


# -- the state ----------------------------------------------------------------------------------


def test_state_takes_in_a_file_the_writer_could_not_record(tmp_path):
    """A crash between the rename and the commit leaves a file the state does not know."""
    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(1)]))
    orphan = [{f: getattr(article(2), f) for f in arrow_schema(ArticleItem).names}]
    folder = root / "edition=en" / "date=2024-04-12"
    folder.mkdir()
    schema = dataset.file_schema(ArticleItem)
    pq.write_table(
        __import__("pyarrow").Table.from_pylist(orphan, schema=schema),
        folder / "part-crashed-00001-0000.parquet",
    )
    state, report = open_state(location(root))
    assert (report.files, report.rows, report.rebuilt) == (1, 1, False)
    assert state.contains("en", 3_000_002) and state.contains("en", 3_000_001)
    later = make_writer(tmp_path, job_id="two")
    asyncio.run(feed(later, [article(2)]))
    assert stats(later)["sputnik/writer/skipped-unchanged"] == 1


def test_state_is_rebuilt_when_missing_or_when_a_file_went_away(tmp_path):
    root = tmp_path / "articles"
    asyncio.run(
        feed(make_writer(tmp_path, job_id="one", DATASET_FLUSH_ROWS=1), [article(0), article(1)])
    )
    state_file = Path(location(root).path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state_file}{suffix}").unlink(missing_ok=True)
    state, report = open_state(location(root))
    assert (report.files, report.rows, report.rebuilt, state.count()) == (2, 2, False, 2)
    state.close()
    # Someone deletes a partition to crawl it again: those articles are no longer stored.
    (gone,) = [p for p in visible_files(root) if "2024-04-10" in str(p)]
    gone.unlink()
    state, report = open_state(location(root))
    assert report.rebuilt and state.count() == 1
    assert state.contains("en", 3_000_000) and not state.contains("en", 3_000_001)


def test_unreadable_state_is_moved_aside_and_rebuilt(tmp_path):
    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(0)]))
    state_file = Path(location(root).path)
    for suffix in ("-wal", "-shm"):
        Path(f"{state_file}{suffix}").unlink(missing_ok=True)
    state_file.write_bytes(b"this is not a database" * 100)
    state, _ = open_state(location(root))
    assert state.contains("en", 3_000_000)
    assert len(list(state_file.parent.glob("articles.sqlite.broken-*"))) == 1


def test_state_is_invisible_to_readers(tmp_path):
    import duckdb
    import polars as pl

    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(0), article(1)]))
    assert Path(location(root).path).is_relative_to(root / "_state")
    glob = f"{root}/**/*.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall() == [(2,)]
    assert pl.scan_parquet(glob).collect().height == 2
    assert dataset.read_articles(root).num_rows == 2


def test_locked_state_fails_the_flush_and_keeps_the_rows(tmp_path):
    root = tmp_path / "articles"
    writer = make_writer(tmp_path, job_id="one", DATASET_STATE_TIMEOUT_SECS="0.2")

    async def scenario() -> None:
        await writer.open_spider()
        blocker = sqlite3.connect(location(root).path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another job mid-flush, for longer than the timeout
        await writer.process_item(article(0))
        await writer._flush(writer.articles, final=True)
        assert writer.articles.buffered == 1 and visible_files(root) == []
        blocker.execute("COMMIT")
        await writer.close_spider()

    asyncio.run(scenario())
    assert stats(writer)["sputnik/writer/write-errors"] == 1
    assert stats(writer)["sputnik/writer/articles-written"] == 1


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"DATASET_URI": "mock:///bucket/articles"}, "DATASET_STATE_PATH"),  # not local
        ({"DATASET_STATE_TIMEOUT_SECS": "soon"}, "DATASET_STATE_TIMEOUT_SECS"),
        ({"DATASET_STATE_TIMEOUT_SECS": "-1"}, "DATASET_STATE_TIMEOUT_SECS"),
    ],
)
def test_state_settings_misconfigured(tmp_path, settings, named):
    with pytest.raises(ValueError, match=named):
        state_location(config_of({"DATASET_URI": str(tmp_path), **settings}))


def test_state_settings(tmp_path):
    assert (
        state_location(config_of({"DATASET_URI": str(tmp_path), "DATASET_STATE_ENABLED": "False"}))
        is None
    )
    custom = state_location(
        config_of(
            {"DATASET_URI": str(tmp_path / "a"), "DATASET_STATE_PATH": str(tmp_path / "s.db")}
        )
    )
    assert custom.path == str(tmp_path / "s.db") and custom.timeout_secs == 120
    assert location(tmp_path / "a").path == f"{tmp_path}/a/_state/articles.sqlite"
    assert location(tmp_path / "a", DATASET_URI=(tmp_path / "a").as_uri()).root == f"{tmp_path}/a"


def test_micros_counts_from_the_epoch_in_utc():
    assert micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert micros(datetime(1970, 1, 1, 0, 0, 1)) == 1_000_000
    assert micros(None) == 0


# -- skipping stored articles -------------------------------------------------------------------


def middleware(tmp_path: Path, **spider_args: Any) -> tuple[SkipStoredMiddleware, Any]:
    settings = {"DATASET_URI": str(tmp_path / "articles"), "SITE_ORIGIN": "http://127.0.0.1:9"}
    crawler = get_crawler(SputnikSpider, settings)
    crawler.spider = SputnikSpider.from_crawler(crawler, **spider_args)
    return SkipStoredMiddleware.from_crawler(crawler), crawler


async def through(mw: SkipStoredMiddleware, requests: list[Any]) -> list[Any]:
    async def start() -> Any:
        for request in requests:
            yield request

    out = [r async for r in mw.process_start(start())]

    async def result() -> Any:
        for request in requests:
            yield request

    out += [r async for r in mw.process_spider_output(None, result())]  # type: ignore[arg-type]
    return out


def request(path: str, host: str = "sputnikglobe.com") -> scrapy.Request:
    """A request as the spider makes it: to SITE_ORIGIN, its public URL in its meta."""
    return scrapy.Request(f"http://127.0.0.1:9{path}", meta={"public_url": f"https://{host}{path}"})


def test_middleware_drops_requests_for_stored_articles(tmp_path):
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(1)]))
    requests = [
        request("/20240409/story-3000001.html"),
        request("/20240409/story-3000002.html"),
        request("/20240409/story-3000001.html", "noticiaslatam.lat"),  # es: another article
        scrapy.Request(PUBLIC_ORIGIN + RSS_FEED),
        {"an": "item"},
    ]
    mw, crawler = middleware(tmp_path)
    out = asyncio.run(through(mw, requests))
    assert out == requests[1:] * 2
    assert crawler.stats.get_value("sputnik/state/skipped-stored") == 2
    mw.spider_closed()

    mw, crawler = middleware(tmp_path, refresh="1")
    assert len(asyncio.run(through(mw, requests))) == 10
    assert crawler.stats.get_value("sputnik/state/skipped-stored") is None


def spanish(i: int, body: str = "Body.") -> ArticleItem:
    """``article(i)``'s id on the es edition's host: another article."""
    item = article(i, body)
    item.url = item.url.replace("sputnikglobe.com", "noticiaslatam.lat")
    item.edition = "es"
    item.content_hash = f"es-{item.content_hash}"
    return item


def test_two_editions_with_one_id_are_two_articles(tmp_path):
    root = tmp_path / "articles"
    first = make_writer(tmp_path, job_id="one")
    asyncio.run(feed(first, [article(1), spanish(1)]))
    assert stats(first)["sputnik/writer/articles-written"] == 2
    assert "sputnik/writer/skipped-unchanged" not in stats(first)
    state, _ = open_state(location(root))
    assert state.count() == 2
    assert state.contains("en", 3_000_001) and state.contains("es", 3_000_001)
    assert not state.contains("ar", 3_000_001)
    en_before = state.latest("en", [3_000_001])
    state.close()

    # The next incremental run: neither is requested, neither written again.
    mw, crawler = middleware(tmp_path)
    requests = [
        request("/20240409/story-3000001.html"),
        request("/20240409/story-3000001.html", "noticiaslatam.lat"),
        request("/20240409/story-3000001.html", "mundo.sputniknews.com"),  # es's former host
        request("/20240409/story-3000001.html", "sarabic.ae"),  # ar: not stored
    ]
    assert asyncio.run(through(mw, requests)) == requests[3:] * 2
    assert crawler.stats.get_value("sputnik/state/skipped-stored") == 6
    mw.spider_closed()
    again = make_writer(tmp_path, job_id="two")
    asyncio.run(feed(again, [article(1), spanish(1)]))
    assert stats(again)["sputnik/writer/skipped-unchanged"] == 2

    # A refresh finds es's changed: a new es version, en's untouched.
    refresh = make_writer(tmp_path, job_id="three")
    asyncio.run(feed(refresh, [article(1), spanish(1, body="Corregido.")]))
    assert stats(refresh)["sputnik/writer/articles-changed"] == 1
    assert stats(refresh)["sputnik/writer/skipped-unchanged"] == 1
    table = dataset.read_articles(root)
    columns = (table["edition"].to_pylist(), table["content_hash"].to_pylist())
    versions = sorted(zip(*columns, strict=True))
    assert versions == [
        ("en", "1:Body."),
        ("es", "es-1:Body."),
        ("es", "es-1:Corregido."),
    ]
    state, _ = open_state(location(root))
    assert state.latest("en", [3_000_001]) == en_before
    assert state.latest("es", [3_000_001])[3_000_001][0] == "es-1:Corregido."


def test_a_state_of_the_version_before_editions_is_rebuilt(tmp_path):
    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(1), spanish(1)]))
    path = location(root).path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    old = sqlite3.connect(path)  # schema 1: one key, the id
    old.executescript(
        "CREATE TABLE articles (article_id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL,"
        " fetched_at INTEGER NOT NULL);"
        "CREATE TABLE files (path TEXT PRIMARY KEY) WITHOUT ROWID;"
        "INSERT INTO articles VALUES (3000001, 'stale', 1), (42, 'gone', 1);"
        "PRAGMA user_version = 1;"
    )
    old.close()
    state, report = open_state(location(root))
    assert (report.files, report.rows, state.count()) == (2, 2, 2)
    assert state.contains("en", 3_000_001) and state.contains("es", 3_000_001)
    assert state.latest("en", [3_000_001])[3_000_001][0] == "1:Body."
    assert not state.contains("en", 42)


def test_middleware_off_with_the_state(tmp_path):
    crawler = get_crawler(
        SputnikSpider, {"DATASET_URI": str(tmp_path), "DATASET_STATE_ENABLED": False}
    )
    with pytest.raises(NotConfigured):
        SkipStoredMiddleware.from_crawler(crawler)


# -- spider arguments ---------------------------------------------------------------------------


def test_spider_arguments_for_scheduled_crawls():
    crawler = get_crawler(SputnikSpider, {"SITE_ORIGIN": "http://127.0.0.1:1"})
    spider = SputnikSpider.from_crawler(
        crawler, source="rss,sitemap", since="today-1", refresh="true"
    )
    today = datetime.now(UTC).date()
    assert spider.refresh is True
    assert spider.since == today - timedelta(days=1)
    assert spider.seed_urls[0] == PUBLIC_ORIGIN + RSS_FEED
    # one sitemap per calendar month: two when today is the 1st
    assert f"date_start={spider.since:%Y%m%d}&" in spider.seed_urls[1]
    assert spider.seed_urls[-1].endswith(f"&date_end={today:%Y%m%d}")
    assert SputnikSpider(source="rss").refresh is False
    assert SputnikSpider(source="rss", refresh="0").refresh is False
    assert SputnikSpider(source="sitemap", until="today").until == today


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"refresh": "maybe"}, "refresh"),
        ({"source": "rss,atom"}, "source"),
        ({"source": ","}, "source"),
        ({"since": "yesterday", "source": "sitemap"}, "since"),
        ({"since": "today-x", "source": "sitemap"}, "since"),
    ],
)
def test_bad_spider_arguments_are_named(args, named):
    with pytest.raises(ValueError, match=named):
        SputnikSpider(**args)


def test_an_unreadable_file_is_logged_and_tried_again(tmp_path, caplog):
    root = tmp_path / "articles"
    asyncio.run(feed(make_writer(tmp_path, job_id="one"), [article(0)]))
    Path(location(root).path).unlink()
    broken = root / "edition=en" / "date=2024-04-09" / "part-torn-00001-0000.parquet"
    broken.write_bytes(b"PAR1 torn")
    state, report = open_state(location(root))
    assert (report.files, state.count()) == (2, 1)
    assert "Cannot read" in caplog.text and broken.name in caplog.text
    assert f"edition=en/date=2024-04-09/{broken.name}" not in state.known_files()
    state.close()
    broken.unlink()
    state, report = open_state(location(root))
    assert (report.files, report.rebuilt, state.count()) == (0, False, 1)
