"""What the articles dataset already holds, so that a crawl fetches and writes only what is new.

The state is a SQLite database beside the dataset, ``<DATASET_URI>/_state/articles.sqlite``
(schema: ``crawler/state.sql``): for each article in the dataset, keyed by its edition and id
(ids are unique only within an edition; the edition is the ``edition=`` folder of its files), the
``content_hash`` and ``fetched_at`` of its latest version; and the dataset files whose rows it
has taken in. Readers
of the dataset never see it (pyarrow skips ``_`` folders; its names do not match
``**/*.parquet``). It is derived from the dataset, never the other way round:

- The writer (``crawler.pipelines.write``) records a file's rows in the same SQLite transaction
  in which it decides which rows to write, and commits only after the file is renamed into place.
  A crash in between leaves a file the state does not know: :meth:`ArticleState.sync` reads it
  in at the next start. So an article is never marked stored without being in the dataset.
- :meth:`ArticleState.sync` (at every crawl's start, under the write lock) takes in files it does
  not know, and rebuilds everything from the dataset when a file it knew has gone, or when the
  database is missing or from another schema version.
- Writers hold SQLite's write lock (``BEGIN IMMEDIATE``) from "which of these rows are new?" to
  the commit. Two jobs writing one dataset are thus serialized flush by flush: the second sees the
  first's rows as stored, and no article version is written twice. WAL mode lets the lookups of
  :class:`SkipStoredMiddleware` run meanwhile. SQLite's locks hold on one machine, not over NFS.

Settings:

- ``DATASET_STATE_ENABLED`` (default ``True``): ``False`` makes crawls fetch and write every
  article they reach, as if the dataset were empty.
- ``DATASET_STATE_PATH`` (default: ``_state/articles.sqlite`` under a local dataset root): a
  local file; needed when ``DATASET_URI`` is not on the local filesystem.
- ``DATASET_STATE_TIMEOUT_SECS`` (default 120): how long a flush waits for another job's write
  lock before it fails (its rows stay buffered for the next flush).

With ``FRONTIER_URL`` (many workers on many machines: ``crawler.frontier``) the state is not this
SQLite file but a hash and a set on the same Redis, and the write lock a Redis lock with a lease
(``crawler.shared_state``; ``DATASET_STATE_PATH`` is then not used). Both are a
:class:`DatasetState`: the writer, :class:`SkipStoredMiddleware` and compaction see one contract,
and reading the dataset's files into the state (:meth:`DatasetState.sync`) is this module's code
for both.

``SkipStoredMiddleware``, a spider middleware, drops requests for stored articles before they are
scheduled (the edition of the request's public URL, ``request.meta["public_url"]``, and its id;
stat ``sputnik/state/skipped-stored``), unless the spider has ``refresh`` set. Under ``refresh``
the writer still compares: an unchanged article is not written again
(``sputnik/writer/skipped-unchanged``), a changed one is written as a new row
(``sputnik/writer/articles-changed``).
"""

from __future__ import annotations

import contextlib
import logging
import pkgutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.config import FrontierConfig, get_config
from crawler.dataset import EDITION_FIELD, dataset_files, partition_of, row_edition
from crawler.errors import error_reject
from crawler.urls import article_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.config import Config

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: articles keyed by (edition, article_id)
STATE_FOLDER = "_state"
STATE_FILE = "articles.sqlite"
LOOKUP_CHUNK = 500  # ids per "IN (...)" query
READ_THREADS = 4  # files read at once when the state takes in dataset files
READ_CHUNK = 256  # files read ahead of the inserts, at most
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = ["article_id", "content_hash", "fetched_at"]
UPSERT = (
    "INSERT INTO articles (edition, article_id, content_hash, fetched_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (edition, article_id) DO UPDATE SET"
    " content_hash = excluded.content_hash, fetched_at = excluded.fetched_at"
    " WHERE excluded.fetched_at >= articles.fetched_at"
)

Row = dict[str, Any]


@dataclass(frozen=True)
class StateLocation:
    """Where a dataset's state lives, and the dataset it describes.

    With ``frontier`` the state is on that Redis (``crawler.shared_state``) and ``path`` is
    empty; else ``path`` is the SQLite file.
    """

    path: str
    filesystem: pafs.FileSystem
    root: str
    timeout_secs: float
    frontier: FrontierConfig | None = None
    lease_secs: float = 60.0  # the Redis lock's lease (DATASET_LOCK_LEASE_SECS)


class LockTimeout(TimeoutError):
    """The state's write lock was not had within ``DATASET_STATE_TIMEOUT_SECS``."""


class LockLost(RuntimeError):
    """The write lock's lease expired while it was held (a stalled process or network): another
    writer may have taken it, so nothing more is recorded under it (``crawler.shared_state``)."""


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`ArticleState.sync` did."""

    files: int
    rows: int
    rebuilt: bool
    secs: float


def state_location(config: Config) -> StateLocation | None:
    """Where the state of ``DATASET_URI`` lives; ``None`` when ``DATASET_STATE_ENABLED`` is off.

    :param config: the crawl's settings, checked (``crawler.config``)
    """
    if not config.dataset_state_enabled:
        return None
    filesystem, root = config.resolve(config.dataset_uri)
    root = root.rstrip("/")
    if config.frontier.url:
        return StateLocation(
            "",
            filesystem,
            root,
            config.dataset_state_timeout_secs,
            frontier=config.frontier,
            lease_secs=config.dataset_lock_lease_secs,
        )
    path = config.dataset_state_path or f"{root}/{STATE_FOLDER}/{STATE_FILE}"
    return StateLocation(
        str(Path(path).absolute()),
        filesystem,
        root,
        config.dataset_state_timeout_secs,
        lease_secs=config.dataset_lock_lease_secs,
    )


def micros(moment: datetime | None) -> int:
    """Microseconds since the epoch (naive datetimes are UTC); 0 for ``None``."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def _wal(db: sqlite3.Connection, timeout_secs: float) -> None:
    """Switch to WAL. Two crawls creating one new database at once can find it locked without
    SQLite waiting (a journal-mode change skips the busy handler): try again until the timeout."""
    deadline = time.monotonic() + timeout_secs
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class DatasetState:
    """What a dataset holds, as the writer, ``SkipStoredMiddleware`` and compaction see it.

    One class per backend: :class:`ArticleState` (SQLite beside the dataset) and
    ``crawler.shared_state.RedisState`` (Redis, with ``FRONTIER_URL``). This class holds what
    they share: which rows are new (:meth:`new_versions`) and reading the dataset's files into
    the state (:meth:`sync`, :meth:`rebuild`). Methods marked *in a write transaction* must run
    inside ``with state.writing():``.
    """

    def __init__(self, location: StateLocation) -> None:
        self.location = location
        self.filesystem = location.filesystem
        self.root = location.root

    @property
    def where(self) -> str:
        """Where the state is, for logs."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- reading ---------------------------------------------------------------------------

    def contains(self, edition: str, article: int) -> bool:
        """Whether the dataset holds a version of article ``article`` (its ``article_id``) of
        ``edition`` (its code)."""
        raise NotImplementedError

    def contains_many(self, keys: list[tuple[str, int]]) -> list[bool]:
        """:meth:`contains` for each ``(edition, article_id)``, in order (Redis: one round trip)."""
        return [self.contains(edition, article) for edition, article in keys]

    def count(self) -> int:
        """Articles in the dataset."""
        raise NotImplementedError

    def known_files(self) -> set[str]:
        """The dataset files whose rows the state holds, relative to the root."""
        raise NotImplementedError

    def latest(self, edition: str, articles: Iterable[int]) -> dict[int, tuple[str, int]]:
        """``article_id -> (content_hash, fetched_at in µs)`` of the latest stored versions of
        articles of ``edition``."""
        raise NotImplementedError

    # -- writing ---------------------------------------------------------------------------

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """The write lock, waited for up to ``DATASET_STATE_TIMEOUT_SECS``; re-entrant (compaction
        syncs inside it)."""
        raise NotImplementedError

    def keep_alive(self) -> None:
        """Between steps of a long write (partitions of a flush, of a compaction): renew the
        lock's lease, if it has one. *In a write transaction*.

        :raises LockLost: the lease had expired
        """

    def record(self, path: str, edition: str, rows: Iterable[Row]) -> None:
        """Note that the file ``path`` (relative to the root) holds ``rows`` of ``edition``.
        *In a write transaction*, once the file is in place.

        :raises LockLost: (Redis) the lock is no longer ours: nothing was recorded
        """
        raise NotImplementedError

    def replace_files(self, removed: Iterable[str], added: Iterable[str]) -> None:
        """Compaction swapped files holding the same latest versions. *In a write transaction*.

        :raises LockLost: (Redis) the lock is no longer ours: nothing was changed
        """
        raise NotImplementedError

    def _forget(self) -> None:
        """Forget every article and file. *In a write transaction*."""
        raise NotImplementedError

    def _store(self, path: str, edition: str, values: list[tuple[str, int, str, int]]) -> None:
        """Take in the keys ``(edition, article_id, content_hash, fetched_at µs)`` of the file
        ``path``, a later ``fetched_at`` winning. *In a write transaction*."""
        raise NotImplementedError

    def new_versions(self, edition: str, rows: list[Row]) -> tuple[list[Row], int, list[Row]]:
        """Rows of ``edition`` to write, how many of them are new versions of stored articles,
        and the rows whose content the dataset already holds (not to write).

        A row is to write when its article is not stored, or when its ``content_hash`` differs
        from the latest stored version's. *In a write transaction*, so that the answer still
        holds when the rows are recorded.
        """
        ids = {r["article_id"] for r in rows}
        latest = {k: v[0] for k, v in self.latest(edition, ids).items()}
        new: list[Row] = []
        same: list[Row] = []
        changed = 0
        for row in rows:
            content_hash = row.get("content_hash") or ""
            stored = latest.get(row["article_id"])
            if stored == content_hash:
                same.append(row)
                continue
            new.append(row)
            changed += stored is not None
            latest[row["article_id"]] = content_hash
        return new, changed, same

    # -- syncing with the dataset ----------------------------------------------------------

    def sync(self, folder: str = "") -> SyncReport:
        """Take in the dataset files the state does not know; rebuild if a known one is gone.

        :param folder: only look at this folder of the dataset (e.g.
            ``edition=en/date=2024-04-10``), as compaction does for the partition it holds the
            lock for
        """
        started = time.perf_counter()
        with self.writing():
            prefix = f"{folder}/" if folder else ""
            known = {p for p in self.known_files() if p.startswith(prefix)}
            present = set(dataset_files(self.filesystem, self.root, folder))
            rebuilt = bool(known - present)
            if rebuilt:
                # Files went away behind our back (deleted by hand?): start again from the data.
                self._forget()
                known = set()
                present = set(dataset_files(self.filesystem, self.root))
            new = sorted(present - known)
            rows = self._take_in(new)
        return SyncReport(len(new), rows, rebuilt, time.perf_counter() - started)

    def rebuild(self) -> SyncReport:
        """Forget everything and take in every file of the dataset again (as after a migration
        moved them all). *In a write transaction* when called inside one."""
        started = time.perf_counter()
        with self.writing():
            self._forget()
            present = dataset_files(self.filesystem, self.root)
            rows = self._take_in(present)
        return SyncReport(len(present), rows, True, time.perf_counter() - started)

    def _take_in(self, paths: list[str]) -> int:
        rows = 0
        # Reading a file's footer costs about a millisecond: read several at once.
        with ThreadPoolExecutor(READ_THREADS) as pool:
            for start in range(0, len(paths), READ_CHUNK):
                chunk = paths[start : start + READ_CHUNK]
                for path, table in zip(chunk, pool.map(self._read_keys, chunk), strict=True):
                    edition = partition_of(path).get(EDITION_FIELD.name)
                    if edition is None:
                        # Outside any edition= folder (a layout of before editions, which
                        # crawls refuse): its rows have no key; left unknown.
                        logger.error(
                            "%s/%s is in no edition= folder: not in the dataset state (run"
                            " python -m crawler migrate %s)",
                            self.root,
                            path,
                            self.root,
                        )
                        continue
                    if isinstance(table, Exception):
                        # Left unknown, so the next sync tries again.
                        logger.error(
                            "Cannot read %s/%s for the dataset state: %s", self.root, path, table
                        )
                        continue
                    table = table.filter(pc.is_valid(table["article_id"]))
                    values = list(
                        zip(
                            [edition] * table.num_rows,
                            table["article_id"].to_pylist(),
                            pc.fill_null(table["content_hash"], "").to_pylist(),
                            pc.fill_null(table["fetched_at"].cast(pa.int64()), 0).to_pylist(),
                            strict=True,
                        )
                    )
                    self.keep_alive()  # a big dataset takes a while: a lease stays ours
                    self._store(path, edition, values)
                    rows += table.num_rows
        return rows

    def _read_keys(self, path: str) -> pa.Table | Exception:
        """The state's columns of one dataset file, or why it cannot be read (in a thread)."""
        try:
            with self.filesystem.open_input_file(f"{self.root}/{path}") as source:
                return pq.ParquetFile(source).read(columns=COLUMNS, use_threads=False)
        except (OSError, pa.ArrowException) as exc:
            return exc


class ArticleState(DatasetState):
    """One connection to a dataset's SQLite state database.

    A connection is not shared between threads at the same time: the writer uses its own, in its
    flush thread, one flush at a time; ``SkipStoredMiddleware`` uses another on the reactor.
    """

    def __init__(self, location: StateLocation) -> None:
        super().__init__(location)
        self._db = self._connect()

    @property
    def where(self) -> str:
        return self.location.path

    def close(self) -> None:
        self._db.close()

    def _connect(self) -> sqlite3.Connection:
        path = Path(self.location.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            path,
            timeout=self.location.timeout_secs,
            isolation_level=None,  # transactions are ours: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,
        )
        try:
            _wal(db, self.location.timeout_secs)
            # Durable enough: a commit lost to a power cut leaves a file sync() takes back in.
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._create(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        schema = pkgutil.get_data("crawler", "state.sql")
        assert schema is not None
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                # Another version's tables: the state is derived, so start again.
                db.execute("DROP TABLE IF EXISTS articles")
                db.execute("DROP TABLE IF EXISTS files")
                for statement in schema.decode().split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------

    def contains(self, edition: str, article: int) -> bool:
        query = "SELECT 1 FROM articles WHERE edition = ? AND article_id = ?"
        return self._db.execute(query, (edition, article)).fetchone() is not None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def known_files(self) -> set[str]:
        return {path for (path,) in self._db.execute("SELECT path FROM files")}

    def latest(self, edition: str, articles: Iterable[int]) -> dict[int, tuple[str, int]]:
        ids = list(articles)
        found: dict[int, tuple[str, int]] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT article_id, content_hash, fetched_at FROM articles"
                f" WHERE edition = ? AND article_id IN ({marks})"
            )
            for article, content_hash, fetched in self._db.execute(query, [edition, *chunk]):
                found[article] = (content_hash, fetched)
        return found

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A write transaction: SQLite's write lock, waited for up to the timeout.

        :raises sqlite3.OperationalError: ``database is locked`` after the timeout
        """
        if self._db.in_transaction:
            yield  # already inside one (sync() called by compaction)
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record(self, path: str, edition: str, rows: Iterable[Row]) -> None:
        """Committed with the transaction, once the file is in place (SQLite's lock has no
        lease: it holds until the commit)."""
        values = [
            (edition, r["article_id"], r.get("content_hash") or "", micros(r["fetched_at"]))
            for r in rows
        ]
        self._store(path, edition, values)

    def replace_files(self, removed: Iterable[str], added: Iterable[str]) -> None:
        self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])
        self._db.executemany("INSERT OR IGNORE INTO files (path) VALUES (?)", [(p,) for p in added])

    def _forget(self) -> None:
        self._db.execute("DELETE FROM articles")
        self._db.execute("DELETE FROM files")

    def _store(self, path: str, edition: str, values: list[tuple[str, int, str, int]]) -> None:
        self._db.executemany(UPSERT, values)
        self._db.execute("INSERT OR IGNORE INTO files (path) VALUES (?)", (path,))


def open_state(location: StateLocation) -> tuple[DatasetState, SyncReport]:
    """Open a dataset's state and bring it up to date with the dataset (blocking).

    A database that is not one (a torn copy, another program's file) is moved aside as
    ``<name>.broken-<time>`` and rebuilt from the dataset.

    :raises crawler.config.ConfigError: (Redis) ``FRONTIER_URL`` is unreachable
    """
    state = connect_state(location)
    try:
        return state, state.sync()
    except BaseException:
        state.close()
        raise


def connect_state(location: StateLocation) -> DatasetState:
    """Open a dataset's state as it is (a database that is not one moved aside, as in
    :func:`open_state`), not synced with the dataset: on Redis with ``location.frontier``
    (``crawler.shared_state``), else the SQLite file."""
    if location.frontier is not None:
        from crawler.shared_state import RedisState  # here: it imports this module

        return RedisState(location)
    try:
        state = ArticleState(location)
    except sqlite3.DatabaseError as exc:
        if "not a database" not in str(exc) and "malformed" not in str(exc):
            raise
        aside = f"{location.path}.broken-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        logger.warning("The dataset state %s is unreadable (%s): rebuilding it", location.path, exc)
        Path(location.path).rename(aside)
        state = ArticleState(location)
    return state


class SkipStoredMiddleware:
    """Drop requests for articles the dataset already holds, before they are scheduled.

    An article request is one whose URL path is an article's (``crawler.urls.article_id``); its
    article is that id in the edition of its public URL (``request.meta["public_url"]``, else
    its URL) by the crawl's table of editions.
    Each one dropped is counted in ``sputnik/state/skipped-stored``. Off when the spider's
    ``refresh`` attribute is true (``-a refresh=1``) and when ``DATASET_STATE_ENABLED`` is off. A
    lookup that fails makes that article an ``extract-error`` reject (``crawler.errors``); the
    page's other links go on. A page's article links are looked up at once
    (:meth:`DatasetState.contains_many`: one round trip on Redis), start requests one by one.
    """

    def __init__(self, crawler: Crawler) -> None:
        config = get_config(crawler)
        location = state_location(config)
        if location is None:
            raise NotConfigured
        self.location = location
        self.editions = config.editions
        self.crawler = crawler
        self.state: DatasetState | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _open(self) -> None:
        # On the first start request: after the writer's open_spider has synced the state.
        spider = self.crawler.spider
        if getattr(spider, "refresh", False):
            logger.info("Refresh: stored articles are fetched again", extra={"spider": spider})
            return
        self.state = connect_state(self.location)
        logger.info(
            "Skipping the %d articles stored in %s (state: %s)",
            self.state.count(),
            self.location.root,
            self.state.where,
            extra={"spider": spider},
        )

    def _key(self, request: Request) -> tuple[str, int] | None:
        """The article a request is for: the edition of its public URL's host, and its id."""
        public = request.meta.get("public_url") or request.url
        article = article_id(public)
        return None if article is None else (row_edition(None, public, self.editions), article)

    def _stored(self, request: Request) -> None:
        self.crawler.stats.inc_value("sputnik/state/skipped-stored")
        logger.debug("Skipped %s: stored", request.url, extra={"spider": self.crawler.spider})

    def _checked_page(self, output: list[Any], response: Response) -> Iterator[Any]:
        """:meth:`_checked` for a page's whole output, its article links looked up at once (on
        Redis one round trip per page, not one per link); alone when that fails, so that a
        failing lookup makes only its own article a reject."""
        assert self.state is not None
        keys: dict[int, tuple[str, int]] = {}
        for n, result in enumerate(output):
            if isinstance(result, Request):
                with contextlib.suppress(Exception):  # _checked makes it a reject, below
                    if (key := self._key(result)) is not None:
                        keys[n] = key
        try:
            found = self.state.contains_many(list(keys.values()))
            stored: dict[int, bool] | None = dict(zip(keys, found, strict=True))
        except Exception:
            stored = None
        for n, result in enumerate(output):
            if stored is None or (isinstance(result, Request) and n not in keys):
                if (checked := self._checked(result, response)) is not None:
                    yield checked
            elif stored.get(n):
                self._stored(result)
            else:
                yield result

    def _checked(self, result: Any, response: Response | None = None) -> Any:
        """``result`` when it goes on; ``None`` for a request for a stored article; an
        ``extract-error`` reject of the linked article when its lookup fails, so that the
        page's other links still go on."""
        if self.state is None or not isinstance(result, Request):
            return result
        try:
            key = self._key(result)
            stored = key is not None and self.state.contains(*key)
        except Exception as exc:
            meta = result.meta
            parent = response.meta.get("depth", 0) + 1 if response is not None else 0
            return error_reject(
                "the state lookup",
                exc,
                url=meta.get("public_url", result.url),
                depth=meta.get("depth", parent),
                referer=meta.get("public_referer"),
                job_id=getattr(self.crawler.spider, "job_id", None),
                spider=self.crawler.spider,
            )
        if not stored:
            return result
        self._stored(result)
        return None

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        self._open()
        async for result in start:
            if (checked := self._checked(result)) is not None:
                yield checked

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        if self.state is None:
            async for item in result:
                yield item
            return
        output: list[Any] = []  # a callback yields its page's links at once: look them up so
        try:
            async for item in result:
                output.append(item)
        except Exception:
            # What the callback yielded before it failed still goes on (ErrorRejectMiddleware
            # makes the failure a reject).
            for checked in self._checked_page(output, response):
                yield checked
            raise
        for checked in self._checked_page(output, response):
            yield checked

    def spider_closed(self) -> None:
        if self.state is not None:
            self.state.close()
