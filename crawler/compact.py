"""``python -m crawler compact DATASET_URI [--rejects REJECTS_URI]``: few large files per
partition, latest versions only.

Incremental crawls leave many small files (one per partition per flush), and ``refresh`` adds
versions of changed articles. Compaction rewrites each partition (``edition=<code>/date=<day>``)
that has more than one file, an article more than once, or a file of an older schema (written
before a column was added, such as ``layout``: the column is empty in its rows), as one file (more
past ``FILE_ROWS`` rows) in the current schema holding the latest version (greatest
``fetched_at``) of each article, sorted by ``published_at``. An article is its edition and its id
(ids are unique only within an edition): a partition holds one edition's rows, and "a later
version in another partition" is looked up in the state under that edition.

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

The rejects dataset (``--rejects``; :func:`compact_rejects`) is compacted the same way, after the
articles: every re-run rejects the same pages again, so it keeps one reject per URL, the latest
(greatest ``fetched_at``), and none for a URL whose article (``crawler.urls.article_id``) the
articles dataset now holds (its state says so, under the edition of the reject's partition, the
edition of the URL's host); a reject of a URL that is no article (a listing) just keeps its
latest. Rejects are partitioned by the date of ``fetched_at``, so a URL's latest reject is in the
latest of its partitions: a first pass reads the ``url`` and ``fetched_at`` of the whole dataset,
and each partition then keeps a URL's reject only if none is newer anywhere. Partitions are
swapped one by one in ascending date order, a day's editions in turn (each under the articles
state's write lock, which serializes compactions and the "is it stored?" answer), so, to a
reader, a URL's rejects go oldest first: at every moment a URL shows its latest reject, perhaps
beside older ones in partitions not swapped yet; a URL stored as an article shows its latest
reject or none; never an older reject without the latest (the descending order would show one
for a moment, as the latest of a stored URL). Reject writers take no lock: a file a crawl renames
into a partition during its swap is moved into the new folder as above, and so is a temp file
being written there, so that the writer's rename finds it. Only a rename in the instant between
the exchange and that move fails ("file not found"); that flush, like any failed write, keeps its
rows for the next one: nothing is lost or written twice.

Both compactions first remove the temp files killed crawls left (``_*.tmp``, older than any
running writer could own: ``crawler.dataset.stale_temp_secs``).

On object storage (``s3://bucket/prefix``: ``crawler.dataset.resolve_uri``, endpoint and keys
from the ``AWS_*`` environment variables) there is no rename and no folder to swap: a partition's
new files are uploaded straight into it, the state is told, then the old files are deleted, all
under the same write lock. So for a moment a reader sees both: from the end of the first upload to
the last delete (about one partition's upload plus a delete request per old file), a listing of
the partition shows the old files and the new, every kept row twice. A reader that listed an old
file and opens it after its delete gets "not found" (``FileNotFoundError`` from pyarrow,
``NoSuchKey`` from S3) and must list again. A compaction killed in between leaves both; the next
one keeps one version of each row again. The state must be a local file (``--state``, the crawls'
``DATASET_STATE_PATH``). Rejects are compacted the same way: a reject file a crawl uploads
meanwhile is not among the files listed under the lock, so it stays, and a URL never shows an
older reject without its latest (the new files appear before the old ones go). No temp files, no
staging folder.

With ``--frontier redis://host:port/db`` (the crawls' ``FRONTIER_URL``; password from
``SPUTNIK_REDIS_PASSWORD``) compaction uses the dataset state the crawls keep on that Redis
(``crawler.shared_state``) and its lock, the one their writers take for each flush, per partition
as with SQLite; ``--state`` is then not needed, on S3 either. The lock's lease (``--lease``,
``DATASET_LOCK_LEASE_SECS``) is renewed after the partition is read and after each file is
uploaded, and the swap of the state's file list is fenced: if the lease expired meanwhile,
compaction deletes the files it has just uploaded (the old ones are still there) and stops with an
error. A duplicate row that slipped through (``crawler.shared_state``: a writer killed between its
upload and the delete that follows a lost lease) is a second row of one ``(edition,
article_id)`` in a partition: compaction keeps one.

Only the layout with editions can be compacted: a dataset written before them stops compaction
with the ``python -m crawler migrate`` command to run (``crawler.dataset.check_layout``).
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
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import redis

from crawler import settings
from crawler.config import FrontierConfig
from crawler.dataset import (
    EDITION_FIELD,
    check_layout,
    dataset_files,
    file_schema,
    is_local,
    migrate_command,
    partition_of,
    remove_stale_temp_files,
    resolve_uri,
    stale_temp_secs,
)
from crawler.items import ArticleItem, RejectItem
from crawler.pipelines.write import COMPRESSION, ROW_GROUP_ROWS
from crawler.state import (
    STATE_FILE,
    STATE_FOLDER,
    DatasetState,
    LockLost,
    StateLocation,
    open_state,
)
from crawler.urls import article_id

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

FILE_ROWS = 200_000  # rows per compacted file: some 0.3-1 GB of text before compression
AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h
INT64_MAX = 2**63 - 1  # article ids beyond it are never stored
LIST_ATTEMPTS = 3  # reads of the rejects' URLs, listing again when a file went meanwhile


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
    temp_files_removed: int = 0  # left by killed crawls

    def summary(self) -> str:
        done = self.partitions
        removed = (
            f", {self.temp_files_removed} stale temp files removed"
            if self.temp_files_removed
            else ""
        )
        return (
            f"Compacted {len(done)} partitions of {self.root} ({self.skipped} already compact):"
            f" {sum(p.files_before for p in done)} files -> {sum(p.files_after for p in done)},"
            f" {sum(p.rows_before for p in done)} rows -> {sum(p.rows_after for p in done)}"
            f" in {self.secs:.1f} s{removed}"
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


def latest_rejects(table: pa.Table, newest: dict[str | None, int], stored: set[str]) -> pa.Table:
    """One row per URL: its greatest ``fetched_at``; none where a later reject of the URL is
    known (in a later partition), or where the URL's article is stored.

    :param table: a partition's rejects
    :param newest: ``url -> fetched_at µs`` of the latest reject of each URL in the dataset
    :param stored: URLs of the table whose article the articles dataset holds
    """
    urls = table["url"].to_pylist()
    fetched = pc.fill_null(table["fetched_at"].cast(pa.int64()), 0).to_pylist()
    best: dict[str | None, int] = {}  # url -> row index
    for row, (url, when) in enumerate(zip(urls, fetched, strict=True)):
        kept = best.get(url)
        if kept is None or when >= fetched[kept]:  # a tie: the row read last
            best[url] = row
    rows = [
        row
        for url, row in best.items()
        if url not in stored and fetched[row] >= newest.get(url, fetched[row])
    ]
    kept_table = table.take(pa.array(sorted(rows), pa.int64()))
    return kept_table.sort_by([("fetched_at", "ascending"), ("url", "ascending")])


class Compactor:
    """Compacts the partitions of one local dataset, one at a time, in ascending date order;
    see the module docstring. Subclasses say which rows a partition keeps."""

    item_class: type = ArticleItem

    def __init__(
        self,
        state: DatasetState,
        root: str,
        staging: Path | None,
        filesystem: pafs.FileSystem | None = None,
    ) -> None:
        self.state = state
        self.root = root
        self.filesystem = filesystem or pafs.LocalFileSystem()
        self.local = is_local(self.filesystem)
        self.schema = file_schema(self.item_class)
        self.staging = staging
        self.stem = f"part-compact-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"

    def run(self) -> CompactReport:
        started = time.perf_counter()
        report = CompactReport(self.root)
        if self.staging is not None:
            self.staging.mkdir(parents=True)
        try:
            if self.local:
                self._probe_exchange()
            timeout = self.state.location.timeout_secs
            removed = remove_stale_temp_files(self.filesystem, self.root, stale_temp_secs(timeout))
            report.temp_files_removed = len(removed)
            files = dataset_files(self.filesystem, self.root)
            self.prepare(files)
            for partition in sorted({"/".join(p.split("/")[:2]) for p in files}, key=_by_date):
                done = self.partition(partition)
                if done is None:
                    report.skipped += 1
                else:
                    report.partitions.append(done)
                    logger.info(
                        "%s/%s: %d files, %d rows -> %d files, %d rows",
                        self.root,
                        partition,
                        done.files_before,
                        done.rows_before,
                        done.files_after,
                        done.rows_after,
                    )
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
        report.secs = time.perf_counter() - started
        return report

    def _probe_exchange(self) -> None:
        """Fail before touching any data if this filesystem cannot exchange folders."""
        assert self.staging is not None
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

    def prepare(self, files: list[str]) -> None:
        """Before the first partition: ``files`` are the dataset's, relative to the root."""

    def files(self, partition: str) -> list[str]:
        """The partition's files, under the write lock."""
        return dataset_files(self.filesystem, self.root, partition)

    def keep(self, table: pa.Table, edition: str) -> pa.Table:
        """The rows of a partition of ``edition`` to keep, under the write lock."""
        raise NotImplementedError

    def swapped(self, old: list[str], new: list[str]) -> None:
        """The partition's ``old`` files were replaced by ``new`` ones, under the write lock."""

    def partition(self, partition: str) -> PartitionReport | None:
        """Compact one partition folder (``edition=<code>/date=YYYY-MM-DD``); ``None`` if
        already compact."""
        with self.state.writing():
            files = self.files(partition)
            if not files:
                return None
            table = ds.dataset(
                [f"{self.root}/{f}" for f in files],
                schema=self.schema,
                format="parquet",
                filesystem=self.filesystem,
            ).to_table()
            kept = self.keep(table, partition_of(f"{partition}/").get(EDITION_FIELD.name, ""))
            if len(files) == 1 and kept.num_rows == table.num_rows and self.current(files[0]):
                return None
            self.state.keep_alive()  # reading a big partition takes a while
            if not self.local:
                names = self._replace_objects(partition, files, kept)
                return PartitionReport(
                    partition, len(files), len(names), table.num_rows, kept.num_rows
                )
            assert self.staging is not None
            staged = self.staging / partition
            names = self._write(staged, kept)
            live = f"{self.root}/{partition}"
            exchange(str(staged), live)
            self._rescue(staged, live, partition, set(files))
            shutil.rmtree(staged)
            self.swapped(files, [f"{partition}/{name}" for name in names])
        return PartitionReport(partition, len(files), len(names), table.num_rows, kept.num_rows)

    def current(self, file: str) -> bool:
        """Whether a file has the current schema (one written before a column was added has
        not: compaction rewrites it, the column empty)."""
        schema = pq.read_schema(f"{self.root}/{file}", filesystem=self.filesystem)
        return schema.equals(self.schema, check_metadata=False)

    def _write(self, folder: Path, table: pa.Table) -> list[str]:
        """Write ``table`` into ``folder`` in files of ``FILE_ROWS`` rows, synced to disk."""
        folder.mkdir(parents=True)
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

    def _replace_objects(self, partition: str, files: list[str], table: pa.Table) -> list[str]:
        """On object storage (no rename, no folder swap): write the new files straight into the
        partition, then delete the old ones, under the write lock. Between the first upload
        and the last delete a reader listing the partition sees both (its rows twice); one that
        listed an old file and opens it after its delete gets "not found" and must list again.
        A crash in between leaves both, and the next compaction keeps one version again."""
        names = []
        for seq, start in enumerate(range(0, table.num_rows, FILE_ROWS), start=1):
            name = f"{self.stem}-{seq:05d}-{uuid.uuid4().hex[:8]}.parquet"
            names.append(name)
            pq.write_table(
                table.slice(start, FILE_ROWS),
                f"{self.root}/{partition}/{name}",
                filesystem=self.filesystem,
                compression=COMPRESSION,
                row_group_size=ROW_GROUP_ROWS,
            )
        try:
            self.state.keep_alive()
            self.swapped(files, [f"{partition}/{name}" for name in names])
        except LockLost:
            # Another writer may hold the lock now: leave the partition as it was.
            for name in names:
                self.filesystem.delete_file(f"{self.root}/{partition}/{name}")
            raise
        for file in files:
            self.filesystem.delete_file(f"{self.root}/{file}")
        return names

    def _rescue(self, old: Path, live: str, partition: str, compacted: set[str]) -> None:
        """Move into the live folder what a lock-less writer put into the old one meanwhile:
        files it renamed in, and temp files it is writing, so that its rename finds them."""
        for path in old.iterdir():
            visible = path.suffix == ".parquet" and not path.name.startswith(("_", "."))
            if visible and f"{partition}/{path.name}" not in compacted:
                logger.warning("Moving %s, written during the swap, into %s", path, live)
                path.rename(Path(live) / path.name)
            elif path.name.startswith("_") and path.name.endswith(".tmp"):
                # Written through an open file, renamed by path: moving it is safe.
                logger.info("Moving %s, being written during the swap, into %s", path, live)
                path.rename(Path(live) / path.name)


class ArticleCompactor(Compactor):
    """The articles dataset: the latest version of each article; the state follows."""

    def files(self, partition: str) -> list[str]:
        self.state.sync(partition)
        return super().files(partition)

    def keep(self, table: pa.Table, edition: str) -> pa.Table:
        ids = set(table["article_id"].to_pylist())
        return latest_versions(table, self.state.latest(edition, ids))

    def swapped(self, old: list[str], new: list[str]) -> None:
        self.state.replace_files(old, new)


class RejectCompactor(Compactor):
    """The rejects dataset: the latest reject of each URL not stored as an article."""

    item_class = RejectItem

    def __init__(
        self,
        state: DatasetState,
        root: str,
        staging: Path | None,
        filesystem: pafs.FileSystem | None = None,
    ) -> None:
        super().__init__(state, root, staging, filesystem)
        self.newest: dict[str | None, int] = {}  # url -> fetched_at µs of its latest reject

    def prepare(self, files: list[str]) -> None:
        # A URL's rejects may sit in several partitions: find each one's latest first.
        for attempt in range(1, LIST_ATTEMPTS + 1):
            try:
                table = ds.dataset(
                    [f"{self.root}/{f}" for f in files],
                    schema=self.schema,
                    format="parquet",
                    filesystem=self.filesystem,
                ).to_table(columns=["url", "fetched_at"])
                break
            except FileNotFoundError:
                if attempt == LIST_ATTEMPTS:
                    raise
                # Another compaction swapped a partition since the listing: list again.
                files = dataset_files(self.filesystem, self.root)
        fetched = pc.fill_null(table["fetched_at"].cast(pa.int64()), 0)
        grouped = pa.table({"url": table["url"], "fetched": fetched}).group_by("url")
        latest = grouped.aggregate([("fetched", "max")])
        pairs = zip(latest["url"].to_pylist(), latest["fetched_max"].to_pylist(), strict=True)
        self.newest = dict(pairs)

    def keep(self, table: pa.Table, edition: str) -> pa.Table:
        urls = {u for u in table["url"].to_pylist() if u is not None}
        ids = {u: article_id(u) for u in urls}
        # The partition's edition is the one of its URLs' host (crawler.dataset.row_edition).
        stored_ids = self.state.latest(
            edition, {i for i in ids.values() if i is not None and i <= INT64_MAX}
        )
        stored = {u for u, i in ids.items() if i in stored_ids}
        kept = latest_rejects(table, self.newest, stored)
        # Rows newer than the first pass (a crawl running meanwhile) are now the latest.
        fetched = pc.fill_null(kept["fetched_at"].cast(pa.int64()), 0).to_pylist()
        for url, when in zip(kept["url"].to_pylist(), fetched, strict=True):
            self.newest[url] = max(when, self.newest.get(url, when))
        return kept


def _by_date(partition: str) -> tuple[str, str]:
    """Sort key of ``edition=<code>/date=<day>``: the day first, so that swaps go in ascending
    date order across editions."""
    values = partition_of(f"{partition}/")
    return values.get("date", ""), values.get(EDITION_FIELD.name, "")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def dataset_root(uri: str | os.PathLike[str]) -> tuple[pafs.FileSystem, str]:
    """The filesystem and root of a dataset that exists (local or on S3), or ``ValueError``."""
    filesystem, root = resolve_uri(uri)
    root = root.rstrip("/")
    if filesystem.get_file_info(root).type != pafs.FileType.Directory:
        raise ValueError(f"no dataset at {os.fspath(uri)!r}")
    return filesystem, root


def local_root(uri: str | os.PathLike[str]) -> str:
    """The root of a local dataset that exists, or ``ValueError``."""
    filesystem, root = resolve_uri(uri)
    root = root.rstrip("/")
    if not is_local(filesystem):
        raise ValueError(f"only local datasets can be compacted, not {os.fspath(uri)!r}")
    if not Path(root).is_dir():
        raise ValueError(f"no dataset at {os.fspath(uri)!r}")
    return root


def _staging(root: str, staging: str | os.PathLike[str] | None) -> Path:
    """A checked staging folder for ``root`` (missing, to be made by the compactor)."""
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
    return staging


def _open_state(
    filesystem: pafs.FileSystem,
    root: str,
    state_path: str | None,
    timeout_secs: float,
    frontier: FrontierConfig | None = None,
    lease_secs: float = settings.DATASET_LOCK_LEASE_SECS,
) -> DatasetState:
    """The articles dataset's state (on Redis with ``frontier``), brought up to date with it."""
    if frontier is None and not state_path and not is_local(filesystem):
        raise ValueError(
            "a dataset on object storage keeps its state in a local file: pass --state with"
            " the crawls' DATASET_STATE_PATH (or --frontier with their FRONTIER_URL)"
        )
    if frontier is not None:
        path = ""
    else:
        path = (
            str(Path(state_path).absolute())
            if state_path
            else f"{root}/{STATE_FOLDER}/{STATE_FILE}"
        )
    location = StateLocation(path, filesystem, root, timeout_secs, frontier, lease_secs)
    state, synced = open_state(location)
    logger.info(
        "Dataset state %s: %d articles (took in %d files)",
        state.where,
        state.count(),
        synced.files,
    )
    return state


def frontier_config(url: str | None) -> FrontierConfig | None:
    """``--frontier``, checked as ``FRONTIER_URL`` is, with the password from
    ``SPUTNIK_REDIS_PASSWORD``; ``None`` if not given.

    :raises crawler.config.ConfigError: a bad URL (a ``ValueError``)
    """
    return FrontierConfig.of_url(url) if url else None


def check_layouts(
    uri: str | os.PathLike[str], rejects_uri: str | os.PathLike[str] | None = None
) -> None:
    """Refuse datasets written before editions, naming the migration command for both.

    :raises crawler.dataset.LegacyLayoutError: a ``ValueError``
    """
    rejects = os.fspath(rejects_uri) if rejects_uri is not None else None
    command = migrate_command(uri, rejects)
    for setting, given in (("DATASET_URI", uri), ("REJECTS_URI", rejects)):
        if given is not None:
            filesystem, root = dataset_root(given)
            check_layout(filesystem, root, f"{setting} {os.fspath(given)}", command)


def compact(
    uri: str | os.PathLike[str],
    *,
    state_path: str | None = None,
    staging: str | os.PathLike[str] | None = None,
    timeout_secs: float = settings.DATASET_STATE_TIMEOUT_SECS,
    frontier_url: str | None = None,
    lease_secs: float = settings.DATASET_LOCK_LEASE_SECS,
) -> CompactReport:
    """Compact a local articles dataset; see the module docstring.

    :param uri: the dataset root (``DATASET_URI``): a local path or ``file://`` URI
    :param state_path: the dataset state's file (``DATASET_STATE_PATH``); default
        ``_state/articles.sqlite`` under the root
    :param staging: an empty-or-missing folder on the same filesystem as the root and outside
        it, for the new files; default ``.<root name>.compact-<id>`` beside the root
    :param timeout_secs: how long to wait for a crawl's flush to release the write lock
    :param frontier_url: the crawls' ``FRONTIER_URL``: the state and its lock are on that Redis
        (``crawler.shared_state``), and ``state_path`` is not used
    :param lease_secs: the lease of the Redis lock (``DATASET_LOCK_LEASE_SECS``)
    """
    frontier = frontier_config(frontier_url)
    filesystem, root = dataset_root(uri)
    check_layouts(uri)
    folder = _staging(root, staging) if is_local(filesystem) else None
    state = _open_state(filesystem, root, state_path, timeout_secs, frontier, lease_secs)
    try:
        return ArticleCompactor(state, root, folder, filesystem).run()
    finally:
        state.close()


def compact_rejects(
    uri: str | os.PathLike[str],
    articles_uri: str | os.PathLike[str],
    *,
    state_path: str | None = None,
    staging: str | os.PathLike[str] | None = None,
    timeout_secs: float = settings.DATASET_STATE_TIMEOUT_SECS,
    frontier_url: str | None = None,
    lease_secs: float = settings.DATASET_LOCK_LEASE_SECS,
) -> CompactReport:
    """Compact a local rejects dataset: the latest reject of each URL not stored as an article;
    see the module docstring.

    :param uri: the rejects dataset root (``REJECTS_URI``): a local path or ``file://`` URI
    :param articles_uri: the articles dataset (``DATASET_URI``), whose state says which articles
        are stored; its write lock is held while each partition is swapped
    :param state_path: as in :func:`compact`
    :param staging: as in :func:`compact`, for the rejects root
    :param timeout_secs: as in :func:`compact`
    :param frontier_url: as in :func:`compact`
    :param lease_secs: as in :func:`compact`
    """
    frontier = frontier_config(frontier_url)
    filesystem, root = dataset_root(uri)
    articles_filesystem, articles = dataset_root(articles_uri)
    if type(filesystem) is type(articles_filesystem) and (
        root == articles or root.startswith(articles + "/") or articles.startswith(root + "/")
    ):
        raise ValueError(f"the rejects ({root}) and articles ({articles}) must be separate folders")
    check_layouts(articles_uri, uri)
    folder = _staging(root, staging) if is_local(filesystem) else None
    state = _open_state(
        articles_filesystem, articles, state_path, timeout_secs, frontier, lease_secs
    )
    try:
        return RejectCompactor(state, root, folder, filesystem).run()
    finally:
        state.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crawler compact``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler compact",
        description="Merge each partition's files into few large ones, keeping only the latest"
        " version of each article (and with --rejects, the latest reject of each URL not stored"
        " as an article); readers see the old files or the new ones, never a mix.",
    )
    parser.add_argument(
        "uri", metavar="DATASET_URI", help="the articles dataset (local path or s3://)"
    )
    parser.add_argument(
        "--rejects",
        metavar="REJECTS_URI",
        help="compact this rejects dataset too, after the articles (local path or s3://)",
    )
    parser.add_argument(
        "--state",
        metavar="PATH",
        help="DATASET_STATE_PATH, if not the default (needed for a dataset on S3)",
    )
    parser.add_argument(
        "--frontier",
        metavar="FRONTIER_URL",
        help="redis://host:port/db of crawls with a shared frontier: their dataset state and"
        " its lock are there (password from SPUTNIK_REDIS_PASSWORD); no --state needed",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=settings.DATASET_LOCK_LEASE_SECS,
        metavar="SECS",
        help="with --frontier, the lease of the dataset lock, DATASET_LOCK_LEASE_SECS"
        " (%(default)s)",
    )
    parser.add_argument("--staging", metavar="DIR", help="where new files are staged")
    parser.add_argument(
        "--timeout",
        type=float,
        default=settings.DATASET_STATE_TIMEOUT_SECS,
        metavar="SECS",
        help="wait this long for a crawl's write lock (%(default)s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if args.lease <= 0:
        parser.error("--lease must be > 0")
    options = {
        "state_path": args.state,
        "staging": args.staging,
        "timeout_secs": args.timeout,
        "frontier_url": args.frontier,
        "lease_secs": args.lease,
    }
    try:
        if args.rejects is not None:
            dataset_root(args.rejects)  # a typo fails before the articles are touched
        check_layouts(args.uri, args.rejects)
        print(compact(args.uri, **options).summary(), flush=True)
        if args.rejects is not None:
            print(compact_rejects(args.rejects, args.uri, **options).summary())
    except (ValueError, OSError, LockLost, redis.RedisError) as exc:
        # ConfigError is a ValueError; LockTimeout an OSError (TimeoutError).
        print(f"compact: {exc}", file=sys.stderr)
        return 1
    return 0
