"""``python -m crawler compact DATASET_URI``: few large files per partition, latest versions only.

Incremental crawls leave many small files (one per partition per flush), and ``refresh`` adds
versions of changed articles. Compaction rewrites each partition that has more than one file, or
an article more than once, as one file (more past ``FILE_ROWS`` rows) holding the latest version
(greatest ``fetched_at``) of each article, sorted by ``published_at``.

The swap is atomic for readers. A partition's new files are written to a staging folder next to
the dataset root (``.<root name>.compact-<id>/``, on the same filesystem and outside the dataset,
so that no ``**/*.parquet`` glob sees them), synced to disk, and the staged folder and the
partition's folder are exchanged in one ``renameat2(RENAME_EXCHANGE)`` call (Linux). A reader
listing the partition sees either all the old files or all the new ones, never both, never
neither. The old files are then deleted: readers that had opened them read on to the end (POSIX
keeps an unlinked file until it is closed), but a reader that listed them and opens one only
after the swap gets "file not found" and must list again.

Each partition is compacted under the dataset state's write lock (``crawler.state``), the lock
every writer takes for a flush, so no crawl writes into a partition while it is swapped, and the
state's list of files changes in the same transaction. A writer running without the state
(``DATASET_STATE_ENABLED = False``) does not take the lock: a file it renames into the old folder
at the last moment is moved into the new one after the swap.

Only local datasets can be compacted (the swap is a rename).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from crawler.dataset import dataset_files, resolve_uri
from crawler.items import ArticleItem, arrow_schema
from crawler.pipelines.write import COMPRESSION, ROW_GROUP_ROWS
from crawler.state import (
    DEFAULT_TIMEOUT_SECS,
    STATE_FILE,
    STATE_FOLDER,
    ArticleState,
    StateLocation,
    open_state,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

FILE_ROWS = 200_000  # rows per compacted file: some 0.3-1 GB of text before compression
AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h


@dataclass
class PartitionReport:
    """One partition's compaction."""

    partition: str
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int


@dataclass
class CompactReport:
    """What a compaction did."""

    root: str
    partitions: list[PartitionReport] = field(default_factory=list)
    skipped: int = 0  # partitions already compact
    secs: float = 0.0

    def summary(self) -> str:
        done = self.partitions
        return (
            f"Compacted {len(done)} partitions of {self.root} ({self.skipped} already compact):"
            f" {sum(p.files_before for p in done)} files -> {sum(p.files_after for p in done)},"
            f" {sum(p.rows_before for p in done)} rows -> {sum(p.rows_after for p in done)}"
            f" in {self.secs:.1f} s"
        )


def exchange(first: str, second: str) -> None:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError("renameat2() is not available: compaction needs Linux with glibc >= 2.28")
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE):
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), first, None, second)


def latest_versions(table: pa.Table, latest: dict[int, tuple[str, int]]) -> pa.Table:
    """One row per article: its greatest ``fetched_at``, and none where the state knows of a
    later version (in another partition, after a change of ``published_at``).

    :param table: a partition's rows
    :param latest: the state's ``article_id -> (content_hash, fetched_at µs)``
    """
    ids = table["article_id"].to_pylist()
    fetched = table["fetched_at"].cast(pa.int64()).to_pylist()
    best: dict[int, int] = {}  # article_id -> row index
    for row, (article, when) in enumerate(zip(ids, fetched, strict=True)):
        when = when or 0
        kept = best.get(article)
        if kept is None or when > (fetched[kept] or 0):
            best[article] = row
    rows = [
        row
        for article, row in best.items()
        if article not in latest or (fetched[row] or 0) >= latest[article][1]
    ]
    kept_table = table.take(pa.array(sorted(rows), pa.int64()))
    return kept_table.sort_by([("published_at", "ascending"), ("article_id", "ascending")])


class Compactor:
    """Compacts the partitions of one local articles dataset; see the module docstring."""

    def __init__(self, state: ArticleState, staging: Path) -> None:
        self.state = state
        self.root = state.root
        self.filesystem = state.filesystem
        self.schema = arrow_schema(ArticleItem)
        self.staging = staging
        self.stem = f"part-compact-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"

    def run(self) -> CompactReport:
        started = time.perf_counter()
        report = CompactReport(self.root)
        self.staging.mkdir(parents=True)
        try:
            self._probe_exchange()
            partitions = sorted(
                {p.split("/")[0] for p in dataset_files(self.filesystem, self.root)}
            )
            for partition in partitions:
                done = self.partition(partition)
                if done is None:
                    report.skipped += 1
                else:
                    report.partitions.append(done)
                    logger.info(
                        "%s: %d files, %d rows -> %d files, %d rows",
                        partition,
                        done.files_before,
                        done.rows_before,
                        done.files_after,
                        done.rows_after,
                    )
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        report.secs = time.perf_counter() - started
        return report

    def _probe_exchange(self) -> None:
        """Fail before touching any data if this filesystem cannot exchange folders."""
        first, second = self.staging / "probe-a", self.staging / "probe-b"
        first.mkdir()
        second.mkdir()
        try:
            exchange(str(first), str(second))
        except OSError as exc:
            raise OSError(
                f"cannot swap folders atomically in {self.staging.parent}: {exc}"
                " (compaction needs a local Linux filesystem with RENAME_EXCHANGE)"
            ) from exc
        first.rmdir()
        second.rmdir()

    def partition(self, partition: str) -> PartitionReport | None:
        """Compact one partition folder (``date=YYYY-MM-DD``); ``None`` if already compact."""
        with self.state.writing():
            self.state.sync(partition)
            files = dataset_files(self.filesystem, self.root, partition)
            if not files:
                return None
            table = ds.dataset(
                [f"{self.root}/{f}" for f in files],
                schema=self.schema,
                format="parquet",
                filesystem=self.filesystem,
            ).to_table()
            latest = self.state.latest(set(table["article_id"].to_pylist()))
            kept = latest_versions(table, latest)
            if len(files) == 1 and kept.num_rows == table.num_rows:
                return None
            staged = self.staging / partition
            names = self._write(staged, kept)
            live = f"{self.root}/{partition}"
            exchange(str(staged), live)
            self._rescue(staged, live, set(files))
            shutil.rmtree(staged)
            self.state.replace_files(files, [f"{partition}/{name}" for name in names])
        return PartitionReport(partition, len(files), len(names), table.num_rows, kept.num_rows)

    def _write(self, folder: Path, table: pa.Table) -> list[str]:
        """Write ``table`` into ``folder`` in files of ``FILE_ROWS`` rows, synced to disk."""
        folder.mkdir()
        names = []
        for seq, start in enumerate(range(0, table.num_rows, FILE_ROWS), start=1):
            name = f"{self.stem}-{seq:05d}-{uuid.uuid4().hex[:8]}.parquet"
            pq.write_table(
                table.slice(start, FILE_ROWS),
                str(folder / name),
                compression=COMPRESSION,
                row_group_size=ROW_GROUP_ROWS,
            )
            _fsync(folder / name)
            names.append(name)
        _fsync(folder)
        return names

    def _rescue(self, old: Path, live: str, compacted: set[str]) -> None:
        """Move into the live folder any file a lock-less writer renamed into the old one."""
        for path in old.iterdir():
            visible = path.suffix == ".parquet" and not path.name.startswith(("_", "."))
            if visible and f"{Path(live).name}/{path.name}" not in compacted:
                logger.warning("Moving %s, written during the swap, into %s", path, live)
                path.rename(Path(live) / path.name)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def compact(
    uri: str | os.PathLike[str],
    *,
    state_path: str | None = None,
    staging: str | os.PathLike[str] | None = None,
    timeout_secs: float = DEFAULT_TIMEOUT_SECS,
) -> CompactReport:
    """Compact a local articles dataset; see the module docstring.

    :param uri: the dataset root (``DATASET_URI``): a local path or ``file://`` URI
    :param state_path: the dataset state's file (``DATASET_STATE_PATH``); default
        ``_state/articles.sqlite`` under the root
    :param staging: an empty-or-missing folder on the same filesystem as the root and outside
        it, for the new files; default ``.<root name>.compact-<id>`` beside the root
    :param timeout_secs: how long to wait for a crawl's flush to release the write lock
    """
    filesystem, root = resolve_uri(uri)
    root = root.rstrip("/")
    if not isinstance(filesystem, pafs.LocalFileSystem):
        raise ValueError(f"only local datasets can be compacted, not {os.fspath(uri)!r}")
    if not Path(root).is_dir():
        raise ValueError(f"no dataset at {os.fspath(uri)!r}")
    if staging is None:
        staging = Path(root).parent / f".{Path(root).name}.compact-{uuid.uuid4().hex[:8]}"
    staging = Path(staging).absolute()
    if staging.exists() and any(staging.iterdir()):
        raise ValueError(f"the staging folder {staging} is not empty")
    if staging.is_relative_to(root):
        raise ValueError(f"the staging folder {staging} must be outside the dataset {root}")
    if os.stat(staging.parent).st_dev != os.stat(root).st_dev:
        raise ValueError(
            f"the staging folder {staging} must be on the same filesystem as {root}"
            " (pass --staging DIR)"
        )
    if staging.exists():
        staging.rmdir()
    location = StateLocation(
        state_path or f"{root}/{STATE_FOLDER}/{STATE_FILE}", filesystem, root, timeout_secs
    )
    state, synced = open_state(location)
    logger.info(
        "Dataset state %s: %d articles (took in %d files)",
        location.path,
        state.count(),
        synced.files,
    )
    try:
        return Compactor(state, staging).run()
    finally:
        state.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crawler compact``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler compact",
        description="Merge each partition's files into few large ones, keeping only the latest"
        " version of each article; readers see the old files or the new ones, never a mix.",
    )
    parser.add_argument("uri", metavar="DATASET_URI", help="the articles dataset (local path)")
    parser.add_argument("--state", metavar="PATH", help="DATASET_STATE_PATH, if not the default")
    parser.add_argument("--staging", metavar="DIR", help="where new files are staged")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECS,
        metavar="SECS",
        help="wait this long for a crawl's write lock (%(default)s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        report = compact(
            args.uri, state_path=args.state, staging=args.staging, timeout_secs=args.timeout
        )
    except (ValueError, OSError) as exc:
        print(f"compact: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
