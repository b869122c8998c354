"""Compaction of the rejects dataset: one reject per URL, its latest, none for URLs stored as
articles; across partitions, in an order readers can rely on, and beside a running crawl.

The unit tests write real datasets with the real writer; the last test crawls the mirror three
times and compacts with ``python -m crawler compact ... --rejects ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler import compact as compaction
from crawler import dataset
from crawler.items import ArticleItem, RejectItem, arrow_schema
from crawler.state import micros
from crawler.urls import article_id
from tests.crawl import run_crawl
from tests.mirror.manifest import record
from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror
from tests.test_write import feed, make_writer, stats, visible_files

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
DAYS = 5
URLS = 12
STORED = (2, 5, 8)  # URLs written as articles after their rejects
LISTINGS = 3


def url(n: int) -> str:
    return f"https://sputnikglobe.com/20240601/story-{5_000_000 + n}.html"


def listing(n: int) -> str:
    return f"https://sputnikglobe.com/section-{n}/"


def rejected_on(n: int, day: int) -> bool:
    """URL ``n`` is rejected on some days up to day ``n % DAYS``, where its latest reject is: the
    latest rejects are spread over every partition, older ones over the earlier partitions."""
    last = n % DAYS
    return day == last or (day < last and (n + day) % 2 == 0)


def reject(target: str, day: int) -> RejectItem:
    return RejectItem(
        url=target,
        reason="http-500" if day % 2 else "missing-headline",
        detail=f"day {day}",
        status=500 if day % 2 else 200,
        fetched_at=T0 + timedelta(days=day, minutes=len(target) % 7),
        depth=1,
        job_id=f"run-{day}",
    )


def stored_article(n: int) -> ArticleItem:
    return ArticleItem(
        url=url(n),
        article_id=5_000_000 + n,
        headline=f"Story {n}",
        body="Text.",
        content_hash=f"{n}",
        published_at=T0,
        fetched_at=T0 + timedelta(days=DAYS),
    )


def fill(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Daily runs rejecting the same pages again, in small flushes; then some of those URLs are
    written as articles. Returns ``url -> (detail, job_id)`` of each URL's latest reject."""
    latest: dict[str, tuple[str, str]] = {}
    for day in range(DAYS):
        items = [reject(url(n), day) for n in range(URLS) if rejected_on(n, day)]
        items += [reject(listing(n), day) for n in range(LISTINGS)]
        writer = make_writer(tmp_path, job_id=f"run-{day}", DATASET_FLUSH_ROWS=4)
        asyncio.run(feed(writer, items))
        latest |= {item.url: (f"day {day}", f"run-{day}") for item in items}
    asyncio.run(feed(make_writer(tmp_path, job_id="later"), [stored_article(n) for n in STORED]))
    return {u: v for u, v in latest.items() if u not in {url(n) for n in STORED}}


def rejects(root: Path) -> list[dict[str, Any]]:
    return dataset.read_rejects(root).to_pylist()


def latest_seen(rows: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """``url -> (detail, job_id)`` of the latest reject of each URL a reader sees."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["url"] not in best or row["fetched_at"] > best[row["url"]]["fetched_at"]:
            best[row["url"]] = row
    return {u: (r["detail"], r["job_id"]) for u, r in best.items()}


def test_compaction_keeps_the_latest_reject_per_url_and_none_for_stored_articles(tmp_path):
    root = tmp_path / "rejects"
    expected = fill(tmp_path)
    before = rejects(root)
    assert len(before) > 2 * len(expected)  # every run rejected them again
    assert {article_id(r["url"]) for r in before} >= {5_000_000 + n for n in STORED}
    files_before = visible_files(root)
    report = compaction.compact_rejects(root, tmp_path / "articles")
    after = rejects(root)
    assert Counter(r["url"] for r in after) == Counter(list(expected))  # once each, none stored
    assert latest_seen(after) == expected
    assert {(r["url"], r["reason"]) for r in after} <= {(r["url"], r["reason"]) for r in before}
    # Older rejects of a URL went from every partition, not only from its latest one's.
    assert all(r["date"] == r["fetched_at"].date() for r in after)
    files = visible_files(root)
    assert len(files) == len({r["date"] for r in after}) == DAYS < len(files_before)
    assert sum(p.rows_before for p in report.partitions) == len(before)
    assert sum(p.rows_after for p in report.partitions) == len(after)
    row = next(r for r in after if r["url"] == listing(1))
    assert (row["status"], row["depth"], row["reason"]) == (200, 1, "missing-headline")
    assert pq.read_schema(files[0]).remove_metadata() == dataset.file_schema(RejectItem)
    # Nothing staged is left beside the dataset; the articles and their state are untouched.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert dataset.read_articles(tmp_path / "articles").num_rows == len(STORED)
    again = compaction.compact_rejects(root, tmp_path / "articles")
    assert again.partitions == [] and again.skipped == len(files)


def test_stored_is_asked_in_the_rejects_edition(tmp_path):
    """Ids are unique only within an edition: a reject goes when its own edition stores its id."""
    root = tmp_path / "rejects"
    spanish = {n: url(n).replace("sputnikglobe.com", "noticiaslatam.lat") for n in range(4)}
    items = [reject(url(n), day) for n in range(4) for day in (0, 1)]
    items += [reject(spanish[n], day) for n in range(4) for day in (0, 1)]
    asyncio.run(feed(make_writer(tmp_path, job_id="run", DATASET_FLUSH_ROWS=3), items))
    en_article, es_article = stored_article(2), stored_article(3)
    es_article.url, es_article.edition = spanish[3], "es"
    asyncio.run(feed(make_writer(tmp_path, job_id="later"), [en_article, es_article]))
    report = compaction.compact_rejects(root, tmp_path / "articles")
    after = rejects(root)
    kept = sorted((r["edition"], r["url"]) for r in after)
    assert kept == sorted(
        [("en", url(n)) for n in (0, 1, 3)] + [("es", spanish[n]) for n in (0, 1, 2)]
    )
    assert {r["detail"] for r in after} == {"day 1"}
    assert {p.partition.split("/")[0] for p in report.partitions} == {"edition=en", "edition=es"}


def test_readers_always_see_each_urls_latest_reject_or_none(tmp_path, monkeypatch):
    """Partitions are swapped oldest first: a reader may see a URL's older rejects beside its
    latest for a moment, never an older one without the latest."""
    root = tmp_path / "rejects"
    expected = fill(tmp_path)
    old_latest = latest_seen(rejects(root))
    stored = {url(n) for n in STORED}
    real_exchange = compaction.exchange

    def exchange_then_wait(first: str, second: str) -> None:
        real_exchange(first, second)
        time.sleep(0.05)  # let readers in between two partitions' swaps

    monkeypatch.setattr(compaction, "exchange", exchange_then_wait)
    stop = threading.Event()
    seen: list[list[dict[str, Any]]] = []

    def reader() -> None:
        while not stop.is_set():
            # OSError: listed before a swap, opened after: list again
            with contextlib.suppress(OSError):
                seen.append(rejects(root))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        compaction.compact_rejects(root, tmp_path / "articles")
    finally:
        stop.set()
        thread.join()
    halfway = 0
    for view in seen:
        shown = latest_seen(view)
        for target, latest in old_latest.items():
            if target in stored:
                assert shown.get(target, latest) == latest, target  # the latest, or none
            else:
                assert shown[target] == latest, target
        urls = Counter(r["url"] for r in view)
        halfway += any(n > 1 for n in urls.values()) and len(view) < len(seen[0])
    assert halfway >= 2, "readers looked while some partitions were swapped and others not"
    assert latest_seen(rejects(root)) == expected


def test_a_flush_caught_by_a_swap_keeps_its_rows(tmp_path, monkeypatch, caplog):
    """Reject writers take no lock: a temp file written into a partition just before its swap
    is moved into the new folder with it, where the writer's rename finds it."""
    caplog.set_level(logging.INFO, logger="crawler.compact")
    root = tmp_path / "rejects"
    fill(tmp_path)
    today = datetime.now(UTC)
    # Today's partition holds a duplicate, so compaction swaps it.
    items = [reject(listing(0), 0), reject(listing(0), 1)]
    for item in items:
        item.fetched_at = today - timedelta(seconds=5)
    asyncio.run(feed(make_writer(tmp_path, job_id="earlier", DATASET_FLUSH_ROWS=1), items))
    real_write = pq.write_table
    swaps: list[Any] = []

    def write_then_compact(table: Any, where: Any, *args: Any, **kwargs: Any) -> None:
        real_write(table, where, *args, **kwargs)
        if str(where).startswith(str(root)) and str(where).endswith(".tmp") and not swaps:
            swaps.append(compaction.compact_rejects(root, tmp_path / "articles"))

    monkeypatch.setattr(pq, "write_table", write_then_compact)
    live = make_writer(tmp_path, job_id="live", DATASET_FLUSH_ROWS=5)
    fresh = [reject(f"https://sputnikglobe.com/live-{n}/", 0) for n in range(5)]
    for item in fresh:
        item.fetched_at = today
    asyncio.run(feed(live, fresh))
    monkeypatch.undo()
    (swap,) = swaps
    assert f"edition=en/date={today:%Y-%m-%d}" in [p.partition for p in swap.partitions]
    assert "being written during the swap" in caplog.text
    assert "sputnik/writer/write-errors" not in stats(
        live
    )  # the flush caught by the swap succeeded
    assert stats(live)["sputnik/writer/rejects-written"] == 5
    urls = Counter(r["url"] for r in rejects(root))
    assert all(urls[item.url] == 1 for item in fresh)
    assert urls[listing(0)] == 1


def test_rejects_compaction_beside_a_running_crawl(tmp_path):
    """A crawl flushing rejects into today's partition while it is compacted again and again."""
    root = tmp_path / "rejects"
    expected = fill(tmp_path)
    now = datetime.now(UTC)
    fresh = [reject(f"https://sputnikglobe.com/live-{n}/", 0) for n in range(300)]
    fresh += [reject(listing(n), 0) for n in range(LISTINGS)]  # later than every older one
    for item in fresh:
        item.fetched_at, item.job_id = now, "live"
    done = threading.Event()
    reports: list[compaction.CompactReport] = []

    def compact_until_done() -> None:
        while not done.is_set():
            reports.append(compaction.compact_rejects(root, tmp_path / "articles"))

    async def crawl(writer: Any) -> None:
        await writer.open_spider()
        for n, item in enumerate(fresh):
            await writer.process_item(item)
            if n % 3 == 0:
                await asyncio.sleep(0.005)  # pages keep coming while compactions run
        await writer.close_spider()

    thread = threading.Thread(target=compact_until_done)
    thread.start()
    writer = make_writer(tmp_path, job_id="live", DATASET_FLUSH_ROWS=3)
    try:
        asyncio.run(crawl(writer))
    finally:
        done.set()
        thread.join()
    today = f"edition=en/date={now:%Y-%m-%d}"
    swaps = sum(p.partition == today for r in reports for p in r.partitions)
    assert swaps >= 3, "today's partition was swapped while the crawl wrote into it"
    assert stats(writer)["sputnik/writer/rejects-written"] == len(fresh)  # nothing lost
    compaction.compact_rejects(root, tmp_path / "articles")
    after = rejects(root)
    expected |= {item.url: ("day 0", "live") for item in fresh}
    assert Counter(r["url"] for r in after) == Counter(list(expected))
    assert latest_seen(after) == expected
    print(f"{len(reports)} compactions, {swaps} swaps of today's partition during the crawl")


def test_two_compactions_at_once(tmp_path):
    """A second compaction (a cron line run twice) waits partition by partition; no error."""
    root = tmp_path / "rejects"
    expected = fill(tmp_path)
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(compaction.compact_rejects(root, tmp_path / "articles"))
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, compaction.CompactReport) for r in results), results
    assert latest_seen(rejects(root)) == expected
    assert Counter(r["url"] for r in rejects(root)) == Counter(list(expected))


def test_latest_rejects_prefers_later_partitions_and_drops_stored():
    rows = [
        {"url": "a", "fetched_at": T0},
        {"url": "a", "fetched_at": T0 + timedelta(hours=1)},
        {"url": "b", "fetched_at": T0},
        {"url": "c", "fetched_at": T0},
        {"url": "d", "fetched_at": T0},
        {"url": "d", "fetched_at": T0},  # a tie: one of them
    ]
    table = pa.Table.from_pylist(rows, schema=arrow_schema(RejectItem))
    newest = {"b": micros(T0 + timedelta(days=1))}  # b: a later one elsewhere
    kept = compaction.latest_rejects(table, newest, stored={"c"})
    assert [(r["url"], r["fetched_at"]) for r in kept.to_pylist()] == [
        ("d", T0),
        ("a", T0 + timedelta(hours=1)),
    ]


def test_compact_command_with_rejects(tmp_path):
    fill(tmp_path)
    articles, root = tmp_path / "articles", tmp_path / "rejects"
    command = [sys.executable, "-m", "crawler", "compact", str(articles), "--rejects", str(root)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith(f"Compacted 0 partitions of {articles} (1 already compact)")
    assert second.startswith(f"Compacted {DAYS} partitions of {root} (0 already compact)")
    nowhere = [*command[:-1], str(tmp_path / "nowhere")]
    failed = subprocess.run(nowhere, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert failed.returncode == 1 and "no dataset" in failed.stderr
    with pytest.raises(ValueError, match="separate folders"):
        compaction.compact_rejects(articles, articles)


# -- real crawls --------------------------------------------------------------------------------

MIRROR_ARTICLES = 300
NO_SUCH_LISTING = PUBLIC_ORIGIN + "/no-such-section/"


def flaky_article(site: Site) -> str:
    """An article of the RSS feed that fails (HTTP 500) through all the first run's retries."""
    stub = next(
        s
        for s in site.latest(100)
        if s.day != ROBOTS_DISALLOWED_DAY
        and record(site, site.by_path[s.path])["status"] == "article"
    )
    return stub.path


@pytest.fixture(scope="module")
def flaky_mirror() -> Any:
    site = Site(MIRROR_ARTICLES)
    path = flaky_article(site)
    # RETRY_TIMES = 3: the first run's four requests fail, the second run's request succeeds.
    with run_mirror(articles=MIRROR_ARTICLES, faults=f"status=500@{path}x4") as running:
        yield running, PUBLIC_ORIGIN + path


def test_recrawls_then_compaction_leave_one_reject_per_url(
    flaky_mirror: tuple[Mirror, str], tmp_path: Path
) -> None:
    mirror, flaky = flaky_mirror
    args = ["-a", "source=rss,urls", "-a", f"seeds={NO_SUCH_LISTING}"]
    crawls = [run_crawl(mirror, tmp_path, *args, settings={"DEPTH_LIMIT": "1"}) for _ in range(3)]
    assert [c.returncode for c in crawls] == [0, 0, 0], crawls[-1].log[-3000:]
    articles, root = crawls[0].articles, crawls[0].rejects
    before = rejects(root)
    by_url = Counter(r["url"] for r in before)
    assert by_url[NO_SUCH_LISTING] == 3 and by_url[flaky] == 1  # a listing, rejected each run
    assert max(by_url.values()) == 3 and len(before) > len(by_url)
    assert crawls[0].stats["sputnik/rejects/http-500"] == 1
    assert flaky in {r["url"] for r in dataset.read_articles(articles).to_pylist()}  # run 2
    assert {r["reason"] for r in before} >= {"http-404", "http-500", "robots-disallowed"}
    stored = sorted(dataset.read_articles(articles)["article_id"].to_pylist())
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "compact", str(articles), "--rejects", str(root)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = rejects(root)
    assert Counter(r["url"] for r in after) == Counter(set(by_url) - {flaky})
    (listing_row,) = [r for r in after if r["url"] == NO_SUCH_LISTING]
    assert listing_row["job_id"] == before_job(before, NO_SUCH_LISTING)
    assert listing_row["reason"] == "http-404"
    assert latest_seen(after) == {u: v for u, v in latest_seen(before).items() if u != flaky}
    assert sorted(dataset.read_articles(articles)["article_id"].to_pylist()) == stored
    print(f"3 crawls: {len(before)} reject rows for {len(by_url)} URLs; compacted: {len(after)}")


def before_job(rows: list[dict[str, Any]], target: str) -> str:
    """The job of the latest reject of ``target``."""
    return max((r for r in rows if r["url"] == target), key=lambda r: r["fetched_at"])["job_id"]
