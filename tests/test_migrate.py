"""``python -m crawler migrate``: a dataset written before editions (``date=`` folders at its
top) moved into ``edition=en/``, under the state's lock, safe to re-run; crawls and compactions
refuse the old layout until then."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crawler import dataset, migrate
from crawler.items import ArticleItem, RejectItem
from crawler.state import open_state, state_location
from tests.crawl import config_of, run_crawl
from tests.mirror import seed as real
from tests.mirror.model import PUBLIC_ORIGIN
from tests.mirror.process import REPO_ROOT, Mirror
from tests.spiders_write import make_article
from tests.test_layouts import BEFORE_LAYOUT
from tests.test_write import feed, make_writer, visible_files

ARTICLES = 40  # one every 3 hours: 6 days
REJECTS = 6


def command(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def unmigrate(root: Path) -> None:
    """Put a root in the layout of before editions: ``edition=en/date=X/`` back to ``date=X/``
    (files of today's writer lack the ``edition`` column, as the old ones did), and the state
    back to schema 1 (one key, the id), as the version before editions left it."""
    if (root / "edition=en").exists():
        for folder in sorted((root / "edition=en").iterdir()):
            folder.rename(root / folder.name)
        (root / "edition=en").rmdir()
    path = root / "_state" / "articles.sqlite"
    if path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        old = sqlite3.connect(path)
        old.executescript(
            "CREATE TABLE articles (article_id INTEGER PRIMARY KEY, content_hash TEXT NOT NULL,"
            " fetched_at INTEGER NOT NULL);"
            "CREATE TABLE files (path TEXT PRIMARY KEY) WITHOUT ROWID;"
            "INSERT INTO articles VALUES (1000000, 'old', 1);"
            "PRAGMA user_version = 1;"
        )
        old.close()


def old_dataset(tmp_path: Path) -> tuple[Path, Path]:
    """Articles and rejects in the layout of before editions, several files per partition."""
    items: list[Any] = [make_article(i, job_id="old") for i in range(ARTICLES)]
    items += [
        RejectItem(url=f"https://sputnikglobe.com/page-{i}/", reason="http-404", status=404)
        for i in range(REJECTS)
    ]
    asyncio.run(feed(make_writer(tmp_path, job_id="old", DATASET_FLUSH_ROWS=7), items))
    articles, rejects = tmp_path / "articles", tmp_path / "rejects"
    unmigrate(articles)
    unmigrate(rejects)
    assert dataset.legacy_folders(*dataset.resolve_uri(articles))
    return articles, rejects


def snapshot(root: Path, item_class: type) -> list[tuple[Any, ...]]:
    """Every row, ``edition`` and ``date`` left out, sorted."""
    table = dataset.open_dataset(root, item_class).to_table()
    table = table.drop_columns(["edition", "date"])
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def test_migration_moves_every_partition_and_rebuilds_the_state(tmp_path):
    articles, rejects = old_dataset(tmp_path)
    before = snapshot(articles, ArticleItem), snapshot(rejects, RejectItem)
    files = len(visible_files(articles)), len(visible_files(rejects))
    days = sorted(p.name for p in articles.iterdir() if p.name.startswith("date="))
    done = command("migrate", articles, "--rejects", rejects)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Migrated {articles}: {len(days)} date= folders ({files[0]} files) moved into edition=en/",
        f"Migrated {rejects}: 1 date= folders ({files[1]} files) moved into edition=en/",
        done.stdout.splitlines()[2],
    ]
    assert done.stdout.splitlines()[2].startswith(f"Dataset state rebuilt: {ARTICLES} articles;")
    # Folders moved, not one file read or rewritten: same rows, now of edition en.
    assert sorted(p.name for p in articles.iterdir() if not p.name.startswith("_")) == [
        "edition=en"
    ]
    assert sorted(p.name for p in (articles / "edition=en").iterdir()) == days
    assert (snapshot(articles, ArticleItem), snapshot(rejects, RejectItem)) == before
    table = dataset.read_articles(articles)
    assert set(table["edition"].to_pylist()) == {"en"}
    assert set(dataset.read_rejects(rejects)["edition"].to_pylist()) == {"en"}
    state, report = open_state(state_location(config_of({"DATASET_URI": str(articles)})))
    assert (report.files, report.rebuilt, state.count()) == (0, False, ARTICLES)
    assert (
        state.contains("en", 1_000_000) and state.latest("en", [1_000_000])[1_000_000][0] != "old"
    )
    state.close()
    # Again: nothing to do, nothing changed.
    moved = sorted(p for p in articles.rglob("*") if p.is_file() and "_state" not in p.parts)
    again = command("migrate", articles, "--rejects", rejects)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:2] == [
        f"{articles} is already in the layout with editions: nothing moved",
        f"{rejects} is already in the layout with editions: nothing moved",
    ]
    assert "Dataset state up to date" in again.stdout
    assert sorted(p for p in articles.rglob("*") if p.is_file() and "_state" not in p.parts) == (
        moved
    )


def test_a_crash_midway_leaves_a_refused_dataset_that_a_rerun_finishes(tmp_path, monkeypatch):
    articles, rejects = old_dataset(tmp_path)
    before = snapshot(articles, ArticleItem)
    real_rename = Path.rename
    renames: list[Path] = []

    def crash_on_the_third(self: Path, target: Any) -> Any:
        if len(renames) == 2:
            raise KeyboardInterrupt  # a kill: nothing after this runs
        renames.append(self)
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", crash_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        migrate.migrate(articles, rejects)
    monkeypatch.undo()
    assert len(list((articles / "edition=en").iterdir())) == 2
    # Half moved: refused by crawls and compactions, which name the command to finish it.
    refused = command("compact", articles)
    assert refused.returncode == 1 and f"python -m crawler migrate {articles}" in refused.stderr
    # A folder caught while its files were merged into an existing target: half its files moved.
    (last,) = sorted(p for p in articles.iterdir() if p.name.startswith("date="))[-1:]
    target = articles / "edition=en" / last.name
    target.mkdir()
    first_file = sorted(last.iterdir())[0]
    first_file.rename(target / first_file.name)

    report = migrate.migrate(articles, rejects)
    assert report.state_rebuilt and report.state_articles == ARTICLES
    assert not dataset.legacy_folders(*dataset.resolve_uri(articles))
    assert not dataset.legacy_folders(*dataset.resolve_uri(rejects))
    assert snapshot(articles, ArticleItem) == before
    assert len(dataset.read_rejects(rejects)) == REJECTS


def test_migration_waits_for_the_write_lock_and_moves_nothing_without_it(tmp_path):
    articles, rejects = old_dataset(tmp_path)
    location = state_location(config_of({"DATASET_URI": str(articles)}))
    # The state at schema 2 first, so that the blocker holds the lock on the current tables.
    open_state(location)[0].close()
    blocker = sqlite3.connect(location.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # a crawl mid-flush, or a compaction
    try:
        done = command("migrate", articles, "--rejects", rejects, "--timeout", "0.3")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert done.returncode == 1 and "database is locked" in done.stderr
    assert dataset.legacy_folders(*dataset.resolve_uri(articles))
    assert not (articles / "edition=en").exists()


def test_bad_arguments(tmp_path):
    articles, _ = old_dataset(tmp_path)
    done = command("migrate", articles, "--edition", "English")
    assert done.returncode == 1 and "--edition must be an edition code" in done.stderr
    nowhere = command("migrate", tmp_path / "nowhere")
    assert nowhere.returncode == 1 and "no dataset" in nowhere.stderr
    usage = command()
    assert usage.returncode == 2 and "migrate" in usage.stderr


def test_compaction_refuses_the_old_layout(tmp_path):
    articles, rejects = old_dataset(tmp_path)
    done = command("compact", articles, "--rejects", rejects)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"compact: DATASET_URI {articles} holds a dataset written before")
    assert line.endswith(f"python -m crawler migrate {articles} --rejects {rejects}")
    assert dataset.legacy_folders(*dataset.resolve_uri(articles))  # untouched


def test_a_crawl_refuses_the_old_layout_until_migrated(mirror: Mirror, tmp_path: Path) -> None:
    """A real crawl, its dataset put back in the old layout; refused; migrated; crawled again:
    every article it wrote is stored, none fetched again."""
    out = tmp_path / "out"
    args = ("-a", f"seeds={PUBLIC_ORIGIN + real.SEED_PATH}")
    first = run_crawl(mirror, out, *args, settings={"DEPTH_LIMIT": "1"})
    assert first.returncode == 0, first.log[-3000:]
    written = first.stats["sputnik/writer/articles-written"]
    assert written > 1
    unmigrate(first.articles)
    unmigrate(first.rejects)
    files = sorted(first.articles.rglob("*.parquet"))

    refused = run_crawl(mirror, out, *args, settings={"DEPTH_LIMIT": "1"})
    assert refused.returncode == 1
    errors = [line for line in refused.log.splitlines() if "Not started: " in line]
    assert errors, refused.log[-3000:]
    assert (
        f"DATASET_URI = '{first.articles}' holds a dataset written before editions" in (errors[-1])
    )
    assert errors[-1].endswith(
        f"python -m crawler migrate {first.articles} --rejects {first.rejects}"
    )
    assert "Spider opened" not in refused.log
    assert sorted(first.articles.rglob("*.parquet")) == files  # nothing written

    done = command("migrate", first.articles, "--rejects", first.rejects)
    assert done.returncode == 0, done.stderr
    again = run_crawl(mirror, out, *args, settings={"DEPTH_LIMIT": "1"})
    assert again.returncode == 0, again.log[-3000:]
    assert again.stats.get("sputnik/writer/articles-written", 0) == 0
    assert again.stats["sputnik/state/skipped-stored"] >= 1
    assert dataset.read_articles(first.articles).num_rows == written


def test_files_the_code_before_editions_wrote_read_as_en_once_migrated(tmp_path):
    """``tests/data/before_layout``: files written by an older version (no ``layout``, no
    ``edition``), in the old layout; DuckDB and pyarrow read them as ``en`` after the move."""
    root = tmp_path / "articles"
    shutil.copytree(BEFORE_LAYOUT, root)
    done = command("migrate", root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Migrated {root}: 2 date= folders (2 files)")
    glob = f"{root}/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT edition, date, article_id FROM read_parquet('{glob}', hive_partitioning = true,"
        " hive_types = {'edition': 'VARCHAR', 'date': 'DATE'}, union_by_name = true)"
    ).fetchall()
    assert {(e, str(d)) for e, d, _ in rows} == {("en", "2019-11-18"), ("en", "2019-11-19")}
    table = dataset.read_articles(root)
    assert sorted(table["article_id"].to_pylist()) == sorted(a for *_, a in rows)
    assert set(table["edition"].to_pylist()) == {"en"}
