"""Temp files a killed crawl left (``_part-….parquet.tmp``, ``_probe-….tmp``) are removed by the
next crawl and by compaction, but only once older than any running writer could own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler import dataset
from crawler.dataset import remove_stale_temp_files, stale_temp_secs
from crawler.settings import DATASET_STATE_TIMEOUT_SECS
from tests.crawl import run_crawl
from tests.mirror import seed as real
from tests.mirror.model import PUBLIC_ORIGIN
from tests.mirror.process import REPO_ROOT, Mirror
from tests.test_write import feed, make_writer, stats, visible_files

AGE = stale_temp_secs(DATASET_STATE_TIMEOUT_SECS)
STAT = "sputnik/writer/temp-files-removed"


def plant(path: Path, age_secs: float) -> Path:
    """A file last written ``age_secs`` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PAR1 torn by a kill")
    when = time.time() - age_secs
    os.utime(path, (when, when))
    return path


def leftovers(root: Path) -> tuple[list[Path], list[Path]]:
    """A killed crawl's temp files (old) beside a running one's (fresh), in a root and a
    partition; returns ``(stale, kept)``."""
    partition = root / "edition=en" / "date=2024-04-10"
    stale = [
        plant(partition / "_part-killed-00001-0a0a0a0a.parquet.tmp", AGE + 60),
        plant(root / "_probe-0123456789abcdef.tmp", 3 * AGE),
    ]
    kept = [
        plant(partition / "_part-running-00007-1b1b1b1b.parquet.tmp", 5),
        plant(partition / "_part-slow-00002-2c2c2c2c.parquet.tmp", AGE - 60),
    ]
    return stale, kept


def test_only_temp_files_older_than_any_writer_are_removed(tmp_path):
    root = tmp_path / "articles"
    stale, kept = leftovers(root)
    kept += [
        plant(
            root / "edition=en" / "date=2024-04-10" / "part-job-00001-3d3d3d3d.parquet", 10 * AGE
        ),  # data
        plant(
            root / "edition=en" / "date=2024-04-10" / "_notes.txt", 10 * AGE
        ),  # hidden, not a temp file
        plant(root / "_state" / "_journal.tmp", 10 * AGE),  # a hidden folder's own business
        plant(root / ".cache" / "_x.tmp", 10 * AGE),
    ]
    removed = remove_stale_temp_files(*dataset.resolve_uri(root), AGE)
    assert sorted(removed) == sorted(str(p.relative_to(root)) for p in stale)
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert remove_stale_temp_files(*dataset.resolve_uri(root), AGE) == []
    assert remove_stale_temp_files(*dataset.resolve_uri(tmp_path / "nowhere"), AGE) == []


def test_the_age_comes_from_the_state_lock_timeout():
    assert stale_temp_secs(120) == 3600  # at least an hour
    assert stale_temp_secs(0) == 3600
    assert stale_temp_secs(1200) == 12_000  # ten lock timeouts


def test_a_file_that_goes_away_meanwhile_is_no_error(tmp_path):
    root = tmp_path / "rejects"
    stale, _ = leftovers(root)
    filesystem, path = dataset.resolve_uri(root)

    class Racing:
        """Another crawl removes the first stale file between the listing and the removal."""

        def get_file_info(self, selector: Any) -> Any:
            return filesystem.get_file_info(selector)

        def delete_file(self, name: str) -> None:
            if name == str(stale[0]):
                filesystem.delete_file(name)
            filesystem.delete_file(name)

    removed = remove_stale_temp_files(Racing(), path, AGE)  # type: ignore[arg-type]
    assert removed == [str(stale[1].relative_to(root))]
    assert not any(p.exists() for p in stale)


def test_the_writer_removes_them_at_open_and_counts_them(tmp_path, caplog):
    stale, kept = leftovers(tmp_path / "articles")
    more_stale, more_kept = leftovers(tmp_path / "rejects")
    writer = make_writer(tmp_path)
    with caplog.at_level("INFO", logger="crawler.dataset"):
        asyncio.run(feed(writer, []))
    assert stats(writer)[STAT] == len(stale + more_stale) == 4
    assert not any(p.exists() for p in stale + more_stale)
    assert all(p.exists() for p in kept + more_kept)
    assert caplog.text.count("a temp file a killed crawl left") == 4
    again = make_writer(tmp_path)
    asyncio.run(feed(again, []))
    assert STAT not in stats(again)


def test_a_crawl_removes_a_killed_crawls_temp_files(mirror: Mirror, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale, kept = leftovers(out / "articles")
    more_stale, more_kept = leftovers(out / "rejects")
    crawl = run_crawl(
        mirror,
        out,
        "-a",
        f"seeds={PUBLIC_ORIGIN + real.SEED_PATH}",
        settings={"DEPTH_LIMIT": "1"},
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.stats[STAT] == 4
    assert crawl.log.count("a temp file a killed crawl left") == 4
    assert not any(p.exists() for p in stale + more_stale)
    assert all(p.exists() for p in kept + more_kept)  # perhaps another crawl's, still writing
    assert crawl.stats["sputnik/writer/articles-written"] > 0
    assert (
        len(dataset.read_articles(crawl.articles)) == crawl.stats["sputnik/writer/articles-written"]
    )


def test_compaction_removes_them_too(tmp_path):
    articles, rejects = tmp_path / "articles", tmp_path / "rejects"
    asyncio.run(feed(make_writer(tmp_path, DATASET_FLUSH_ROWS=1), []))
    stale, kept = leftovers(articles)
    more_stale, more_kept = leftovers(rejects)
    command = [sys.executable, "-m", "crawler", "compact", str(articles), "--rejects", str(rejects)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.endswith(", 2 stale temp files removed") for line in lines] == [True, True]
    assert not any(p.exists() for p in stale + more_stale)
    assert all(p.exists() for p in kept + more_kept)
    assert visible_files(articles) == visible_files(rejects) == []


@pytest.mark.parametrize("now_offset", [-1.0, 0.0])
def test_a_temp_file_from_the_future_is_kept(tmp_path, now_offset):
    """A clock set back (or a file from another machine's clock) never makes a file look old."""
    root = tmp_path / "rejects"
    ahead = plant(
        root / "edition=en" / "date=2024-04-10" / "_part-x-00001-4e4e4e4e.parquet.tmp", -AGE
    )
    now = datetime.fromtimestamp(time.time() + now_offset, UTC)
    assert remove_stale_temp_files(*dataset.resolve_uri(root), AGE, now=now) == []
    assert ahead.exists()
