"""Write ``ArticleItem`` and ``RejectItem`` rows into Hive-partitioned Parquet datasets.

Settings (read once; scrapyd passes strings, which are accepted):

- ``DATASET_URI`` (default ``data/articles``): root of the articles dataset, a local path or a
  URI pyarrow knows (``file:///…``); partitioned by edition, then by the UTC date of
  ``published_at`` (``edition=<code>/date=YYYY-MM-DD/``, ``crawler.dataset``).
- ``REJECTS_URI`` (default ``data/rejects``): root of the rejects dataset; partitioned by
  edition, then by the UTC date of ``fetched_at`` (the time the writer got the reject, if it has
  none).

A row's edition folder is its item's ``edition``, else the edition of its URL's host (by the
crawl's table, ``EDITIONS_FILE``/``EDITIONS``), else ``edition=none``
(``crawler.dataset.row_edition``); the ``edition`` column is not stored in the files, the folder
names give it, as they give ``date``. A root in the layout of before editions (``date=`` folders
at its top) stops the crawl with a ``ConfigError`` naming the setting and the
``python -m crawler migrate`` command to run.
- ``DATASET_FLUSH_ROWS`` (default 1000): rows of one dataset buffered before they are written.
- ``DATASET_FLUSH_SECS`` (default 60): a buffer whose oldest row is older than this is written
  at the next item, or by a timer that looks every few seconds when no item comes, so a killed
  crawl loses at most about this much work; 0 turns the time bound off.

- ``S3_ENDPOINT_URL``, ``S3_REGION`` (default empty: ``AWS_ENDPOINT_URL``, ``AWS_REGION`` from the
  environment): for ``s3://bucket/prefix`` roots (``crawler.dataset.s3_filesystem``); the keys come
  from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` only. The state (``DATASET_STATE_PATH``)
  must then be a local file. A missing bucket, wrong endpoint or bad keys stop the crawl at the
  probe below, before any request, naming the setting.

A flush writes one file per partition under a hidden name (``_part-….parquet.tmp``) and renames
it to ``part-<job>-<seq>-<uuid8>.parquet``, so a killed crawl leaves at most hidden temp files,
and two jobs never write the same name. On S3 (no rename) it uploads straight to that final name:
the object appears, whole, when the upload completes. A flush writes every buffered partition,
so a batch spread over many dates makes small files. Files are written in a thread (Scrapy's
``run_in_thread``: ``asyncio.to_thread``, or ``deferToThread`` without asyncio), one flush at a
time; the item that fills the buffer waits for the flush, which holds the crawl back if the disk
is slow. Items that arrive meanwhile go into the next flush, so a file may hold a few more than
``DATASET_FLUSH_ROWS`` rows.

The signal ``crawler.signals.flush_requested`` (sent by the shared frontier, ``crawler.frontier``,
when the crawl is quiet) writes both buffers at once, whatever their size or age.

Each buffered row carries a :class:`Receipt`, also set on its item (attribute ``RECEIPT``), settled
once the row is in a file renamed into place, or once it is certain never to be written (left out
as unchanged, or not fitting the schema): the request journal (``crawler.journal``) and the
shared frontier's leases (``crawler.frontier``) wait on it (``crawler.outcomes``).

Stats: ``sputnik/writer/articles-written``, ``sputnik/writer/rejects-written`` (rows on disk),
``sputnik/rejects`` and ``sputnik/rejects/<reason>`` (rejects received),
``sputnik/writer/files-written``.

A failed write is logged at ERROR, counted in ``sputnik/writer/write-errors``, and its rows stay
buffered for the next flush; after ``MAX_FAILED_FLUSHES`` failed flushes in a row the crawl is
closed (reason ``write-failed``) rather than fetching pages it cannot keep. Rows still unwritten at
close are counted in ``sputnik/writer/rows-lost``. A row that does not fit the schema cannot be
retried: it is logged, counted in ``sputnik/writer/rows-dropped``, and skipped (so is an item
that reaches the writer without a datetime to partition it by).

Settings are checked by ``crawler.config``; an unwritable root raises ``ConfigError`` naming the
setting when the pipeline is built, which stops the crawl before the spider opens (``scrapy
crawl`` exits with status 1).

Incremental crawls (``crawler.state``, settings ``DATASET_STATE_*``): at open the writer brings the
dataset's state up to date with the dataset; at each flush of articles it takes the state's write
lock, leaves out rows whose article the dataset holds with the same ``content_hash``
(``sputnik/writer/skipped-unchanged``: a refresh found it unchanged, or another job wrote it first),
writes the rest, and records them in the state once their files are renamed into place. Rows that
are new versions of stored articles are counted in ``sputnik/writer/articles-changed`` too. If the
lock cannot be had in ``DATASET_STATE_TIMEOUT_SECS``, the flush fails as a failed write does.

With ``FRONTIER_URL`` the state and its lock are on Redis (``crawler.shared_state``), and the lock
has a lease (``DATASET_LOCK_LEASE_SECS``), renewed between partitions. A file's rows are recorded
only if the lock is still ours; if its lease expired before (another writer may have written the
same articles meanwhile), the flush counts ``sputnik/writer/lock-lost``, logs an ERROR, deletes
the file it has just written and keeps the rows buffered: the next flush checks them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import redis
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import create_looping_call, is_asyncio_available, run_in_thread
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import DeferredLock

from crawler import signals as crawler_signals
from crawler.config import ConfigError, get_config
from crawler.dataset import (
    LegacyLayoutError,
    check_layout,
    file_schema,
    is_local,
    migrate_command,
    new_job_id,
    partition_folder,
    remove_stale_temp_files,
    row_edition,
    stale_temp_secs,
)
from crawler.items import ArticleItem, RejectItem
from crawler.redis_connection import connect
from crawler.state import DatasetState, LockLost, LockTimeout, open_state, state_location

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    import pyarrow.fs as pafs
    from scrapy.crawler import Crawler

    from crawler.config import Config

logger = logging.getLogger(__name__)

FLUSH_CHECK_MAX_SECS = 5.0  # the timer looks at the buffers' age at least this often
RENAME_RETRY_SECS = (0.05, 0.5)  # waits before renaming again a temp file compaction moved
RECEIPT = "_sputnik_receipt"  # the item's attribute and the buffered row's key
COMPRESSION = "zstd"
# An article row is a few KB of text: 10 000 rows is some 30-100 MB before compression, a usual
# row group size. Files hold about DATASET_FLUSH_ROWS rows, so with the default one group each.
ROW_GROUP_ROWS = 10_000
MAX_FAILED_FLUSHES = 3
# The state could not be read or written (its rows stay buffered, or its file is taken in later).
STATE_ERRORS = (sqlite3.Error, redis.RedisError, LockTimeout, LockLost)

Row = dict[str, Any]
Partition = tuple[str, str]  # (edition, date): the folder edition=<edition>/date=<date>


def partition_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` of a datetime in UTC (naive ones are taken as UTC, as pyarrow does)."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.date().isoformat()


class Receipt:
    """Settled once an item's row is committed to its dataset or will never be written."""

    __slots__ = ("_callbacks", "settled")

    def __init__(self) -> None:
        self.settled = False
        self._callbacks: list[Callable[[], None]] = []

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once settled (now, if it is already)."""
        if self.settled:
            callback()
        else:
            self._callbacks.append(callback)

    def settle(self) -> None:
        if self.settled:
            return
        self.settled = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


def settle_rows(rows: list[Row]) -> None:
    for row in rows:
        receipt = row.get(RECEIPT)
        if receipt is not None:
            receipt.settle()


@dataclass
class _Dataset:
    """One output dataset: where it goes, its schema and its buffered rows."""

    setting: str
    uri: str
    item_class: type
    partition_by: str
    written_stat: str
    filesystem: pafs.FileSystem | None = None
    root: str = ""
    buffer: dict[Partition, list[Row]] = field(default_factory=dict)
    buffered: int = 0
    flush_at: int = 0
    seq: int = 0
    failed_flushes: int = 0
    oldest: float | None = None  # time.monotonic() when the oldest buffered row came

    def __post_init__(self) -> None:
        self.schema = file_schema(self.item_class)
        self.names = tuple(f.name for f in fields(self.item_class))

    def add(self, partition: Partition, rows: list[Row]) -> None:
        if self.oldest is None:
            self.oldest = time.monotonic()
        self.buffer.setdefault(partition, []).extend(rows)
        self.buffered += len(rows)

    def take(self) -> dict[Partition, list[Row]]:
        batch, self.buffer, self.buffered = self.buffer, {}, 0
        self.oldest = None
        return batch

    def due(self, flush_secs: float) -> bool:
        """Whether the buffer is full, or (``flush_secs`` > 0) has waited that long."""
        if not self.buffered:
            return False
        if self.buffered >= self.flush_at:
            return True
        return bool(flush_secs) and time.monotonic() - (self.oldest or 0.0) >= flush_secs


@dataclass
class _Written:
    """What became of one partition's rows in a flush."""

    partition: Partition
    rows: list[Row]
    path: str | None = None
    size: int = 0
    error: BaseException | None = None
    bad: list[tuple[Row, BaseException]] = field(default_factory=list)
    unchanged: int = 0  # rows left out: the dataset holds them already
    unchanged_rows: list[Row] = field(default_factory=list)
    changed: int = 0  # rows written that are new versions of stored articles
    state_error: BaseException | None = None  # written, but not recorded in the state
    taken_back: str | None = None  # written, then deleted: the lock was lost before the record
    take_back_error: BaseException | None = None  # ... and that delete failed


def _resolve_root(dataset: _Dataset, config: Config) -> None:
    filesystem, root = config.resolve(dataset.uri)  # checked by crawler.config
    dataset.filesystem, dataset.root = filesystem, root.rstrip("/")


def _probe_root(dataset: _Dataset) -> None:
    """Create the root and prove it writable with a hidden probe file.

    On S3 this is the first request: a wrong endpoint, missing bucket or bad keys fail here,
    before the spider opens (the SDK's connect timeout and retries bound the wait).
    """
    assert dataset.filesystem is not None
    probe = f"{dataset.root}/_probe-{uuid.uuid4().hex}.tmp"
    local = is_local(dataset.filesystem)
    try:
        if local:  # S3 has no folders (and pyarrow refuses to create a bucket)
            dataset.filesystem.create_dir(dataset.root, recursive=True)
        with dataset.filesystem.open_output_stream(probe) as out:
            out.write(b"")
        dataset.filesystem.delete_file(probe)
    except Exception as exc:
        where = "" if local else " (S3: check S3_ENDPOINT_URL/AWS_ENDPOINT_URL, the bucket, keys)"
        message = " ".join(str(exc).split())  # the SDK's messages span lines
        raise ConfigError(
            f"{dataset.setting} = {dataset.uri!r} is not a writable dataset root{where}: {message}"
        ) from exc


def _to_table(rows: list[Row], schema: pa.Schema) -> tuple[pa.Table, list[Row], list]:
    """The rows as a table, plus the rows kept and the ones that do not fit the schema."""
    try:
        return pa.Table.from_pylist(rows, schema=schema), rows, []
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    # Rare (a normalizer bug): find the culprits one by one rather than lose the batch.
    good: list[Row] = []
    bad: list[tuple[Row, BaseException]] = []
    for row in rows:
        try:
            pa.Table.from_pylist([row], schema=schema)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            bad.append((row, exc))
        else:
            good.append(row)
    return pa.Table.from_pylist(good, schema=schema), good, bad


def _write_partition(
    filesystem: pafs.FileSystem,
    root: str,
    schema: pa.Schema,
    partition: Partition,
    rows: list[Row],
    stem: str,
) -> _Written:
    """Write one partition's rows to a hidden file and rename it into place (runs in a thread).

    On object storage, straight to the final name: S3 has no rename (a move is copy + delete),
    and an object appears only once its upload completes, whole; the name is unique (job id,
    sequence, random part), so no reader or other writer ever sees a part of it.
    """
    table, good, bad = _to_table(rows, schema)
    written = _Written(partition, good, bad=bad)
    if not good:
        return written
    folder = f"{root}/{partition_folder(*partition)}"
    name = f"{stem}-{uuid.uuid4().hex[:8]}.parquet"
    if not is_local(filesystem):
        try:
            _write_file(filesystem, table, f"{folder}/{name}")
        except Exception as exc:
            written.error = exc  # an upload that fails is aborted: no object appears
            return written
        written.path = f"{folder}/{name}"
        written.size = filesystem.get_file_info(written.path).size
        return written
    temp = f"{folder}/_{name}.tmp"  # hidden from pyarrow, and not matched by *.parquet globs
    try:
        filesystem.create_dir(folder, recursive=True)
        _write_file(filesystem, table, temp)
        _rename_into_place(filesystem, temp, f"{folder}/{name}")
    except Exception as exc:
        written.error = exc
        with contextlib.suppress(Exception):  # it may not exist; a leftover is hidden anyway
            filesystem.delete_file(temp)
        return written
    written.path = f"{folder}/{name}"
    written.size = filesystem.get_file_info(written.path).size
    return written


def _write_file(filesystem: pafs.FileSystem, table: pa.Table, path: str) -> None:
    pq.write_table(
        table, path, filesystem=filesystem, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS
    )


def _rename_into_place(filesystem: pafs.FileSystem, temp: str, final: str) -> None:
    """Rename (``rename(2)`` on local disks: atomic). Compaction may swap the partition's folder
    meanwhile and then move our temp file into the new one: a rename that lands between the two
    finds nothing, so it is tried again a moment later (``RENAME_RETRY_SECS``)."""
    for wait in (*RENAME_RETRY_SECS, None):
        try:
            filesystem.move(temp, final)
            return
        except FileNotFoundError:
            if wait is None:
                raise
            time.sleep(wait)  # in the flush thread, never on the reactor


def _write_batch(
    dataset: _Dataset,
    batch: dict[Partition, list[Row]],
    stem: str,
    state: DatasetState | None = None,
) -> list[_Written]:
    """Write a batch, one file per partition; with a state, only rows it does not hold yet."""
    assert dataset.filesystem is not None
    fs, root, schema = dataset.filesystem, dataset.root, dataset.schema
    if state is None:
        return [
            _write_partition(fs, root, schema, partition, rows, stem)
            for partition, rows in sorted(batch.items())
        ]
    results: list[_Written] = []
    try:
        with state.writing():
            for partition, rows in sorted(batch.items()):
                state.keep_alive()  # a lease (Redis) starts again for each partition
                new, changed, same = state.new_versions(partition[0], rows)
                written = _write_partition(fs, root, schema, partition, new, stem)
                written.changed, written.unchanged = changed, len(same)
                written.unchanged_rows = same
                results.append(written)
                if written.path is not None:
                    try:
                        state.record(written.path[len(root) + 1 :], partition[0], written.rows)
                    except LockLost as exc:
                        _take_back(fs, written, exc)
                        raise
    except LockLost as exc:
        # Partitions recorded before stay recorded; the rest are kept for the next flush.
        done = {w.partition for w in results}
        results += [_Written(p, r, error=exc) for p, r in sorted(batch.items()) if p not in done]
    except STATE_ERRORS as exc:
        # Rolled back (SQLite). Files already in place stay (the next sync takes them in); the
        # other partitions' rows are kept for the next flush.
        done = {w.partition for w in results}
        for written in results:
            if written.path is not None:
                written.state_error = exc
        results += [_Written(p, r, error=exc) for p, r in sorted(batch.items()) if p not in done]
    return results


def _take_back(filesystem: pafs.FileSystem, written: _Written, lost: LockLost) -> None:
    """Delete a file whose rows could not be recorded because the lock's lease had expired:
    another writer may have written the same articles meanwhile. Its rows go back to the
    buffer; if the delete fails, the dataset holds them twice until compaction."""
    assert written.path is not None
    written.taken_back, written.path, written.error = written.path, None, lost
    try:
        filesystem.delete_file(written.taken_back)
    except Exception as exc:
        written.take_back_error = exc


class ParquetWriterPipeline:
    """Buffer ``ArticleItem``/``RejectItem`` rows and write them to ``DATASET_URI``/``REJECTS_URI``.

    Other items pass unchanged. See the module docstring for settings, files and failures.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.config = config = get_config(crawler)
        self.crawler = crawler
        self.stats = crawler.stats
        self.flush_rows = config.dataset_flush_rows
        self.flush_secs = config.dataset_flush_secs
        self._timer: Any = None
        self.articles = _Dataset(
            setting="DATASET_URI",
            uri=config.dataset_uri,
            item_class=ArticleItem,
            partition_by="published_at",
            written_stat="sputnik/writer/articles-written",
        )
        self.rejects = _Dataset(
            setting="REJECTS_URI",
            uri=config.rejects_uri,
            item_class=RejectItem,
            partition_by="fetched_at",
            written_stat="sputnik/writer/rejects-written",
        )
        self._check_roots()
        self.state_location = state_location(config)
        if self.state_location is not None and self.state_location.frontier is not None:
            # Before the spider opens: an unreachable Redis is a ConfigError naming FRONTIER_URL.
            connect(self.state_location.frontier).close()
            if config.dataset_state_path:
                logger.warning(
                    "DATASET_STATE_PATH is not used with FRONTIER_URL: the dataset state is on"
                    " Redis (crawler.shared_state)"
                )
        self.state: DatasetState | None = None
        self.job_id = ""
        self._lock: asyncio.Lock | DeferredLock | None = None
        self._opened = False
        self._stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.flush_requested, signal=crawler_signals.flush_requested)
        return pipeline

    @property
    def _log_extra(self) -> dict[str, Any]:
        return {"spider": self.crawler.spider}

    def _check_roots(self) -> None:
        # Blocking, but once and before the crawl starts (as FilesPipeline's FSFilesStore
        # makes its folder): raising here stops the crawl before the spider opens.
        command = migrate_command(self.config.dataset_uri, self.config.rejects_uri)
        for dataset in (self.articles, self.rejects):
            _resolve_root(dataset, self.config)
            try:
                assert dataset.filesystem is not None
                setting = f"{dataset.setting} = {dataset.uri!r}"
                check_layout(dataset.filesystem, dataset.root, setting, command)
            except LegacyLayoutError as exc:
                raise ConfigError(str(exc)) from None
            except OSError as exc:  # an unreadable root: the probe says more
                logger.debug("Cannot list %s: %s", dataset.root, exc)
            _probe_root(dataset)
            dataset.flush_at = self.flush_rows

    async def open_spider(self) -> None:
        job_id = getattr(self.crawler.spider, "job_id", None) or new_job_id()
        # The id goes into file names: keep it to a safe alphabet.
        self.job_id = re.sub(r"[^A-Za-z0-9._-]", "-", str(job_id))
        # asyncio.Lock needs the asyncio loop; a plain Twisted reactor gets a DeferredLock.
        self._lock = asyncio.Lock() if is_asyncio_available() else DeferredLock()
        # Temp files of killed crawls, old enough that no running writer owns them.
        stale_secs = stale_temp_secs(self.config.dataset_state_timeout_secs)
        for dataset in (self.articles, self.rejects):
            removed = await run_in_thread(
                remove_stale_temp_files, dataset.filesystem, dataset.root, stale_secs
            )
            if removed:
                self.stats.inc_value("sputnik/writer/temp-files-removed", len(removed))
        if self.state_location is not None:
            self.state, report = await run_in_thread(open_state, self.state_location)
            logger.info(
                "Dataset state %s: %d articles stored (%s %d files, %d rows, in %.2f s)",
                self.state.where,
                self.state.count(),
                "rebuilt from" if report.rebuilt else "took in",
                report.files,
                report.rows,
                report.secs,
                extra=self._log_extra,
            )
        self._opened = True
        if self.flush_secs:
            self._timer = create_looping_call(self._flush_old)
            self._timer.start(min(self.flush_secs / 2, FLUSH_CHECK_MAX_SECS), now=False)
        logger.info(
            "Writing articles to %s and rejects to %s (job %s, flush every %d rows or %g s)",
            self.articles.root,
            self.rejects.root,
            self.job_id,
            self.flush_rows,
            self.flush_secs,
            extra=self._log_extra,
        )

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            dataset = self.articles
        elif isinstance(item, RejectItem):
            dataset = self.rejects
            self.stats.inc_value("sputnik/rejects")
            self.stats.inc_value(f"sputnik/rejects/{item.reason}")
        else:
            return item
        row = {name: getattr(item, name) for name in dataset.names}
        date = partition_date(row[dataset.partition_by])
        if date is None and dataset is self.rejects:
            row["fetched_at"] = datetime.now(UTC)
            date = partition_date(row["fetched_at"])
        if date is None:
            self.stats.inc_value("sputnik/writer/rows-dropped")
            raise DropItem(
                f"Not written: {item.url} has no datetime published_at (got"
                f" {row['published_at']!r}); is ValidatePipeline enabled before the writer?",
                log_level="ERROR",
            )
        receipt = Receipt()
        row[RECEIPT] = receipt  # not a column: pyarrow takes only the schema's names
        with contextlib.suppress(AttributeError):  # an item class with __slots__
            setattr(item, RECEIPT, receipt)
        edition = row_edition(getattr(item, "edition", None), item.url, self.config.editions)
        dataset.add((edition, date), [row])
        if dataset.due(self.flush_secs):
            await self._flush(dataset)
        return item

    def _flush_old(self) -> None:
        """The timer: write buffers that waited ``DATASET_FLUSH_SECS``, in a quiet crawl too."""
        for dataset in (self.articles, self.rejects):
            if dataset.due(self.flush_secs) and not self._stopping:
                deferred_from_coro(self._timed_flush(dataset))

    def flush_requested(self) -> None:
        """``crawler.signals.flush_requested``: write both buffers now, whatever their size."""
        for dataset in (self.articles, self.rejects):
            if self._opened and dataset.buffered and not self._stopping:
                deferred_from_coro(self._timed_flush(dataset, now=True))

    async def _timed_flush(self, dataset: _Dataset, *, now: bool = False) -> None:
        try:
            await self._flush(dataset, final=now)
        except Exception:  # nobody awaits this one: say it here
            self.stats.inc_value("sputnik/writer/write-errors")
            logger.error(
                "Timed flush to %s failed", dataset.root, exc_info=True, extra=self._log_extra
            )

    async def close_spider(self) -> None:
        if not self._opened:
            return  # open_spider failed: nothing was buffered
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        for dataset in (self.articles, self.rejects):
            await self._flush(dataset, final=True)
            if dataset.buffered:
                self.stats.inc_value("sputnik/writer/rows-lost", dataset.buffered)
                logger.error(
                    "Lost %d rows that could not be written to %s",
                    dataset.buffered,
                    dataset.root,
                    extra=self._log_extra,
                )
        if self.state is not None:
            self.state.close()
        logger.info(
            "Datasets closed: %d articles, %d rejects written in %d files (job %s)",
            self.stats.get_value("sputnik/writer/articles-written", 0),
            self.stats.get_value("sputnik/writer/rejects-written", 0),
            self.stats.get_value("sputnik/writer/files-written", 0),
            self.job_id,
            extra=self._log_extra,
        )

    async def _flush(self, dataset: _Dataset, *, final: bool = False) -> None:
        """Write the buffered rows unless another flush got them first; one flush at a time."""
        assert self._lock is not None
        await self._lock.acquire()
        try:
            if not dataset.buffered or (not final and not dataset.due(self.flush_secs)):
                return
            dataset.seq += 1
            stem = f"part-{self.job_id}-{dataset.seq:05d}"
            state = self.state if dataset is self.articles else None
            results = await run_in_thread(_write_batch, dataset, dataset.take(), stem, state)
            self._account(dataset, results)
        finally:
            self._lock.release()

    def _account(self, dataset: _Dataset, results: list[_Written]) -> None:
        """Count and log a flush's outcome; put rows whose write failed back in the buffer."""
        rows = files = 0
        failed = False
        lost = [w for w in results if isinstance(w.error, LockLost)]
        if lost:
            self._lock_lost(lost)
        for written in results:
            # Left out as already stored, or unwritable: settled either way.
            settle_rows(written.unchanged_rows)
            settle_rows([row for row, _ in written.bad])
            if written.unchanged:
                self.stats.inc_value("sputnik/writer/skipped-unchanged", written.unchanged)
            if written.changed:
                self.stats.inc_value("sputnik/writer/articles-changed", written.changed)
            if written.state_error is not None:
                self.stats.inc_value("sputnik/writer/state-errors")
                logger.error(
                    "Wrote %s but could not record it in the dataset state (%s); the next crawl"
                    " reads it in from the dataset",
                    written.path,
                    written.state_error,
                    extra=self._log_extra,
                )
            for row, exc in written.bad:
                self.stats.inc_value("sputnik/writer/rows-dropped")
                logger.error(
                    "Dropped a row for %s that does not fit the %s schema: %s",
                    row.get("url"),
                    dataset.item_class.__name__,
                    exc,
                    extra=self._log_extra,
                )
            if written.error is not None:
                failed = True
                if not isinstance(written.error, LockLost):  # said once, in _lock_lost
                    self.stats.inc_value("sputnik/writer/write-errors")
                    logger.error(
                        "Failed to write %d rows to %s/%s; keeping them for the next flush",
                        len(written.rows),
                        dataset.root,
                        partition_folder(*written.partition),
                        exc_info=written.error,
                        extra=self._log_extra,
                    )
                # Ahead of rows buffered meanwhile, so they are retried first.
                key = written.partition
                dataset.buffer[key] = written.rows + dataset.buffer.get(key, [])
                dataset.buffered += len(written.rows)
                dataset.oldest = time.monotonic()  # and retried DATASET_FLUSH_SECS from now
            elif written.path is not None:
                settle_rows(written.rows)
                rows += len(written.rows)
                files += 1
                self.stats.inc_value(dataset.written_stat, len(written.rows))
                self.stats.inc_value("sputnik/writer/files-written")
                logger.debug(
                    "Wrote %d rows (%d bytes) to %s",
                    len(written.rows),
                    written.size,
                    written.path,
                    extra=self._log_extra,
                )
        if files:
            logger.info(
                "Wrote %d rows in %d files to %s", rows, files, dataset.root, extra=self._log_extra
            )
        self._check_failed(dataset, failed)

    def _lock_lost(self, lost: list[_Written]) -> None:
        """Say once per flush that the dataset lock's lease expired, and what was taken back."""
        self.stats.inc_value("sputnik/writer/lock-lost")
        deleted = [w.taken_back for w in lost if w.taken_back and w.take_back_error is None]
        kept = [w for w in lost if w.take_back_error is not None]
        logger.error(
            "Lost the dataset lock before recording a flush (%s); deleted %s; keeping %d rows"
            " for the next flush",
            lost[0].error,
            ", ".join(p for p in deleted if p) or "no file",
            sum(len(w.rows) for w in lost),
            extra=self._log_extra,
        )
        for written in kept:
            logger.error(
                "Could not delete %s after losing the dataset lock: its rows may be in the"
                " dataset twice until compaction",
                written.taken_back,
                exc_info=written.take_back_error,
                extra=self._log_extra,
            )

    def _check_failed(self, dataset: _Dataset, failed: bool) -> None:
        """Clear the count of failed flushes, or close the crawl after too many in a row."""
        if not failed:
            dataset.failed_flushes, dataset.flush_at = 0, self.flush_rows
            return
        # Retry once FLUSH_ROWS more rows have come, not on every item.
        dataset.failed_flushes += 1
        dataset.flush_at = dataset.buffered + self.flush_rows
        if dataset.failed_flushes >= MAX_FAILED_FLUSHES and not self._stopping:
            self._stopping = True
            logger.error(
                "Closing the crawl: %d flushes to %s failed in a row (%s); %d rows buffered",
                dataset.failed_flushes,
                dataset.root,
                dataset.setting,
                dataset.buffered,
                extra=self._log_extra,
            )
            # Not awaited: closing waits for the running items, this one included.
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="write-failed"))
