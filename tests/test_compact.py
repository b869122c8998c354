"""``python -m crawler compact``: same latest rows, fewer files, atomic for readers, safe beside
a crawl writing the same dataset."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from crawler import compact as compaction
from crawler import dataset
from crawler.items import ArticleItem, arrow_schema
from crawler.state import open_state, state_location
from tests.crawl import config_of
from tests.test_write import feed, make_writer, stats, visible_files

REPO_ROOT = Path(__file__).resolve().parents[1]
DAYS = 12
PER_DAY = 10
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def article(i: int, version: int = 0, day: int | None = None) -> ArticleItem:
    published = T0 + timedelta(days=i % DAYS if day is None else day, minutes=i)
    return ArticleItem(
        url=f"https://sputnikglobe.com/{published:%Y%m%d}/story-{4_000_000 + i}.html",
        article_id=4_000_000 + i,
        headline=f"Story {i}",
        body=f"Version {version}.",
        content_hash=f"{i}:v{version}",
        published_at=published,
        fetched_at=T0 + timedelta(days=30, seconds=version),
    )


def columns(table: pa.Table, *names: str) -> list[tuple[Any, ...]]:
    return list(zip(*(table[name].to_pylist() for name in names), strict=True))


def fill(tmp_path: Path) -> None:
    """Three crawls in small flushes: many files per partition, some articles in 2-3 versions,
    and one article whose second version moved to another day."""
    first = [article(i) for i in range(DAYS * PER_DAY)]
    asyncio.run(feed(make_writer(tmp_path, job_id="one", DATASET_FLUSH_ROWS=7), first))
    changed = [article(i, 1) for i in range(0, DAYS * PER_DAY, 4)] + [article(1, 1, day=DAYS - 1)]
    asyncio.run(feed(make_writer(tmp_path, job_id="two", DATASET_FLUSH_ROWS=5), changed))
    again = [article(i, 2) for i in range(0, DAYS * PER_DAY, 8)]
    asyncio.run(feed(make_writer(tmp_path, job_id="three", DATASET_FLUSH_ROWS=5), again))


def latest_rows(root: Path) -> set[tuple[int, str]]:
    """(article_id, content_hash) of the latest version of each article."""
    table = dataset.read_articles(root)
    best: dict[int, tuple[datetime, str]] = {}
    for a, h, f in columns(table, "article_id", "content_hash", "fetched_at"):
        if a not in best or f > best[a][0]:
            best[a] = (f, h)
    return {(a, h) for a, (_, h) in best.items()}


def by_partition(table: pa.Table) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for a, h, d in columns(table, "article_id", "content_hash", "date"):
        out[str(d)].append((a, h))
    return {k: sorted(v) for k, v in out.items()}


def test_compaction_keeps_the_latest_rows_in_fewer_files(tmp_path):
    root = tmp_path / "articles"
    fill(tmp_path)
    before_files = visible_files(root)
    before = dataset.read_articles(root)
    expected = latest_rows(root)
    assert before.num_rows > len(expected)  # there are old versions to drop
    report = compaction.compact(root)
    after = dataset.read_articles(root)
    assert set(columns(after, "article_id", "content_hash")) == expected
    assert after.num_rows == len(expected) == DAYS * PER_DAY
    files = visible_files(root)
    assert len(files) == DAYS < len(before_files)
    assert {p.parent.name for p in files} == {p.parent.name for p in before_files}
    assert report.skipped == 0 and len(report.partitions) == DAYS
    # Every column survives, schema and all.
    assert pq.read_schema(files[0]).remove_metadata() == dataset.file_schema(ArticleItem)
    row = next(r for r in after.to_pylist() if r["article_id"] == 4_000_003)
    assert row["url"].endswith("story-4000003.html") and row["headline"] == "Story 3"
    # The moved article: only its later version, in its new day.
    (moved,) = [r for r in after.to_pylist() if r["article_id"] == 4_000_001]
    assert moved["content_hash"] == "1:v1" and str(moved["date"]).endswith(f"{DAYS:02d}")
    # Nothing staged is left beside the dataset, and a second run has nothing to do.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert compaction.compact(root).skipped == DAYS


def spanish(i: int, version: int = 0) -> ArticleItem:
    """``article(i, version)``'s id on the es edition: another article, with its own text."""
    item = article(i, version)
    item.url = item.url.replace("sputnikglobe.com", "noticiaslatam.lat")
    item.edition, item.content_hash = "es", f"es-{item.content_hash}"
    return item


def test_compaction_keeps_each_editions_latest_apart(tmp_path):
    """Two editions with the same ids: the latest version of each (edition, id)."""
    root = tmp_path / "articles"
    ids = range(0, DAYS * PER_DAY, 3)
    first = [article(i) for i in ids] + [spanish(i) for i in ids]
    asyncio.run(feed(make_writer(tmp_path, job_id="one", DATASET_FLUSH_ROWS=7), first))
    # en's odd ids change, es's even ones; es's even ones later than en's versions 1.
    changed = [article(i, 1) for i in ids if i % 2] + [spanish(i, 2) for i in ids if not i % 2]
    asyncio.run(feed(make_writer(tmp_path, job_id="two", DATASET_FLUSH_ROWS=5), changed))
    report = compaction.compact(root)
    after = dataset.read_articles(root)
    got = sorted(columns(after, "edition", "article_id", "content_hash"))
    expected = sorted(
        [("en", 4_000_000 + i, f"{i}:v{i % 2}") for i in ids]
        + [("es", 4_000_000 + i, f"es-{i}:v{0 if i % 2 else 2}") for i in ids]
    )
    assert got == expected
    folders = {p.parent.relative_to(root).as_posix() for p in visible_files(root)}
    assert {f.split("/")[0] for f in folders} == {"edition=en", "edition=es"}
    assert len(visible_files(root)) == len(folders) == len(report.partitions)
    # Swapped in ascending date order, a day's editions in turn.
    order = [p.partition for p in report.partitions]
    assert order == sorted(order, key=lambda p: (p.split("/")[1], p.split("/")[0]))
    state, synced = open_state(state_location_for(root))
    assert not synced.rebuilt and state.count() == 2 * len(ids)
    assert state.latest("es", [4_000_000])[4_000_000][0] == "es-0:v2"
    assert state.latest("en", [4_000_000])[4_000_000][0] == "0:v0"


def test_state_stays_consistent_through_compaction(tmp_path):
    root = tmp_path / "articles"
    fill(tmp_path)
    compaction.compact(root)
    state, report = open_state(state_location_for(root))
    assert not report.rebuilt and report.files == 0
    assert state.known_files() == set(dataset.dataset_files(*dataset.resolve_uri(root)))
    assert state.count() == DAYS * PER_DAY
    later = make_writer(tmp_path, job_id="four")
    asyncio.run(feed(later, [article(5), article(6, 3), article(DAYS * PER_DAY)]))
    assert stats(later)["sputnik/writer/skipped-unchanged"] == 1
    assert stats(later)["sputnik/writer/articles-written"] == 2


def state_location_for(root: Path) -> Any:

    return state_location(config_of({"DATASET_URI": str(root)}))


def test_readers_see_old_or_new_partitions_never_a_mix(tmp_path, monkeypatch):
    root = tmp_path / "articles"
    fill(tmp_path)
    real_exchange = compaction.exchange

    def exchange_then_wait(first: str, second: str) -> None:
        real_exchange(first, second)
        time.sleep(0.05)  # let readers in between two partitions' swaps

    monkeypatch.setattr(compaction, "exchange", exchange_then_wait)
    old = by_partition(dataset.read_articles(root))
    # A reader that opened every file before the compaction...
    handles = [open(p, "rb") for p in visible_files(root)]  # noqa: SIM115
    stop = threading.Event()
    seen: list[dict[str, list[tuple[int, str]]]] = []
    missing_files = 0

    def reader() -> None:
        nonlocal missing_files
        while not stop.is_set():
            try:
                seen.append(by_partition(dataset.read_articles(root)))
            except (FileNotFoundError, OSError):
                missing_files += 1  # listed before the swap, opened after: list again

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        compaction.compact(root)
    finally:
        stop.set()
        thread.join()
    new = by_partition(dataset.read_articles(root))
    seen.append(new)
    halfway = 0
    for view in seen:
        assert set(view) == set(old) == set(new)
        for partition, rows in view.items():
            assert rows in (old[partition], new[partition]), partition
        compacted = sum(view[p] == new[p] != old[p] for p in view)
        halfway += 0 < compacted < len(view)
    assert halfway >= 3, "readers looked while some partitions were swapped and others not"
    # ...reads them to the end after they are deleted.
    tables = [pq.read_table(pa.PythonFile(h)) for h in handles]
    assert sum(t.num_rows for t in tables) == sum(len(v) for v in old.values())
    for handle in handles:
        handle.close()
    print(f"{len(seen)} reads during compaction, {missing_files} retried after a swap")


def test_compaction_beside_a_running_crawl(tmp_path):
    """A crawl flushing into the same partitions while they are compacted loses nothing."""
    root = tmp_path / "articles"
    fill(tmp_path)
    expected = latest_rows(root) | {(4_000_000 + i, f"{i}:v0") for i in range(1000, 1200)}
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(compaction.compact(root)))
    writer = make_writer(tmp_path, job_id="live", DATASET_FLUSH_ROWS=3)
    thread.start()
    asyncio.run(feed(writer, [article(i) for i in range(1000, 1200)]))
    thread.join()
    assert result and latest_rows(root) == expected
    table = dataset.read_articles(root)
    assert table.num_rows == len(set(table["article_id"].to_pylist()))  # compacted: one each...
    assert (
        stats(writer)["sputnik/writer/articles-written"] == 200
    )  # ...and the crawl's rows all there
    state, report = open_state(state_location_for(root))
    assert not report.rebuilt and state.count() == len(expected)


def test_a_file_renamed_in_during_the_swap_is_kept(tmp_path, monkeypatch):
    """A writer without the state's lock renames a file into the old folder at the last moment."""
    root = tmp_path / "articles"
    fill(tmp_path)
    real_exchange = compaction.exchange
    late = article(5000, day=0)

    def exchange_after_a_late_write(staged: str, live: str) -> None:
        if Path(live).name == f"date={T0:%Y-%m-%d}" and not list(Path(live).glob("*late*")):
            table = pa.Table.from_pylist(
                [{f: getattr(late, f) for f in arrow_schema(ArticleItem).names}],
                schema=dataset.file_schema(ArticleItem),
            )
            pq.write_table(table, Path(live) / "part-late-00001-00000000.parquet")
        real_exchange(staged, live)

    monkeypatch.setattr(compaction, "exchange", exchange_after_a_late_write)
    compaction.compact(root)
    ids = dataset.read_articles(root)["article_id"].to_pylist()
    assert 4_005_000 in ids
    late_file = root / "edition=en" / f"date={T0:%Y-%m-%d}" / "part-late-00001-00000000.parquet"
    assert late_file.exists()


def test_compact_command(tmp_path):
    root = tmp_path / "articles"
    fill(tmp_path)
    command = [sys.executable, "-m", "crawler", "compact", str(root)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Compacted {DAYS} partitions of {root}")
    inside = subprocess.run(
        [*command, "--staging", str(root / "stage")], capture_output=True, text=True, check=False
    )
    assert inside.returncode == 1 and "outside the dataset" in inside.stderr
    nothing = subprocess.run(
        [sys.executable, "-m", "crawler", "compact", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert nothing.returncode == 1 and "no dataset" in nothing.stderr
    usage = subprocess.run([sys.executable, "-m", "crawler"], capture_output=True, text=True)
    assert usage.returncode == 2 and "compact" in usage.stderr


@pytest.mark.parametrize("rows", [0, 3])
def test_latest_versions_prefers_the_state_and_the_latest_fetch(rows):
    table = pa.table(
        {
            "article_id": [1, 1, 2, 3][: rows + 1],
            "fetched_at": pa.array([5, 9, 1, 1][: rows + 1], pa.timestamp("us", tz="UTC")),
            "published_at": pa.array([0, 0, 0, 0][: rows + 1], pa.timestamp("us", tz="UTC")),
        }
    )
    kept = compaction.latest_versions(table, {3: ("h", 7)})  # 3 has a later version elsewhere
    expected = {1: 9, 2: 1} if rows else {1: 5}
    kept = kept.set_column(1, "fetched_at", kept["fetched_at"].cast(pa.int64()))
    got = dict(columns(kept, "article_id", "fetched_at"))
    assert got == expected


def test_readers_never_see_staged_files(tmp_path):
    """The staging folder sits outside the root: globs over the dataset cannot reach it."""
    root = tmp_path / "articles"
    fill(tmp_path)
    staged: list[list[str]] = []
    real_exchange = compaction.exchange

    def look_then_exchange(first: str, second: str) -> None:
        staged.append([str(p) for p in Path(first).rglob("*.parquet")])
        assert not Path(first).is_relative_to(root)
        real_exchange(first, second)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(compaction, "exchange", look_then_exchange)
    try:
        compaction.compact(root)
    finally:
        monkeypatch.undo()
    assert any(staged)
    files = ds.dataset(str(root), format="parquet", partitioning="hive").files
    assert all(f.startswith(str(root)) for f in files)
