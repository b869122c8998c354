"""The "already stored" state of a dataset on Redis, for many workers on many machines.

With ``FRONTIER_URL`` (``crawler.frontier``) a dataset's state (``crawler.state``) is not a SQLite
file beside the dataset, which one machine alone can lock, but three keys on the same Redis
(password from ``SPUTNIK_REDIS_PASSWORD``), named by the dataset, not by the crawl, so that every
crawl of one dataset shares them:

- ``sputnik:_dataset:<id>:articles``, a hash: ``<edition>:<article_id>`` -> ``<content_hash>
  <fetched_at µs>`` of the latest stored version of each article;
- ``sputnik:_dataset:<id>:files``, a set: the dataset files (relative to its root) taken in;
- ``sputnik:_dataset:<id>:lock``: the dataset's write lock (redis-py's ``redis.lock.Lock``).

``<id>`` is the first 16 hex digits of the SHA-256 of the resolved ``DATASET_URI``
(``s3://bucket/prefix``, ``local:///absolute/path``): :func:`dataset_keys`. The S3 endpoint is not
part of it (workers may name it differently). No crawl id starts with ``_``, so
``python -m crawler frontier-clean`` never removes these keys; delete them by hand with the
dataset (the next crawl would rebuild them from the dataset anyway).

As with SQLite the state is derived from the dataset: a crawl's writer syncs it at start under
the lock (files it does not know are read in; if a file it knew is gone, it is rebuilt), a flush
records a file's rows only once the file is in place, and compaction swaps the list of files.

The lock has a lease (``DATASET_LOCK_LEASE_SECS``, default 60 s): a holder killed with SIGKILL
releases it by expiry. A flush or compaction renews it between partitions
(``Lock.reacquire``), so only a real stall outlives it: a process paused (SIGSTOP, a VM frozen,
a long GC), a network cut. A flush waits ``DATASET_STATE_TIMEOUT_SECS`` for the lock, then fails
as a failed write does (its rows stay buffered).

Fencing. A writer holds the lock from "which of these rows are new?" to recording the file it
wrote with them. Recording is one Lua script that compares the lock's value with the writer's
token and only then updates the hash and the set, so nothing is recorded under a lost lease. A
writer whose lease expired between its check and its record (another writer may have taken the
lock since, seen those articles as new and written them too) counts
``sputnik/writer/lock-lost``, logs an ERROR, deletes the file it has just uploaded and keeps its
rows buffered; the next flush checks again under the lock and leaves out what the other writer
stored (``sputnik/writer/skipped-unchanged``).

The duplicate guarantee, precisely: no article version is written twice to the dataset, except when
a writer that lost its lease is killed (or its delete fails) between its upload and that delete;
when a writer is killed between a file's upload and its record (with the frontier's leases, another
worker fetches those pages again at once, and its state, synced at its start, does not know the
file); or when Redis stays unreachable through a record (after redis-py's retries; the script is
fenced and idempotent, so a retry is safe): the file is then kept, unrecorded
(``sputnik/writer/state-errors``), and another writer may write the same rows before a sync takes it
in. Such a duplicate is a second row with the same ``(edition, article_id, content_hash)`` in a
second file (in the same partition: its ``published_at`` is the same), which the next sync takes in
as stored. Compaction (``python -m crawler compact --frontier``, under the same lock) keeps one row
per ``(edition, article_id)`` in each partition, the greatest ``fetched_at``
(``crawler.compact.latest_versions``); until then readers can dedupe on ``(edition, article_id,
content_hash)``. A writer never marks an article stored that the dataset does not hold: a file whose
rows were recorded is in place, and a record that fails leaves the state as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from redis.exceptions import LockError

from crawler.dataset import is_local
from crawler.redis_connection import connect
from crawler.state import (
    LOOKUP_CHUNK,
    DatasetState,
    LockLost,
    LockTimeout,
    Row,
    StateLocation,
    micros,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import pyarrow.fs as pafs

logger = logging.getLogger(__name__)

PREFIX = "sputnik:_dataset"  # "_": never a crawl id, so never a crawl's keys (crawler.frontier)
LOCK_SLEEP_SECS = 0.1  # between tries while another writer holds the lock
STORE_ROWS = 5000  # rows per script call when a file is taken in (a record is one call)

# KEYS: lock, articles, files. ARGV: token, file ("" for none), then per row: field,
# content_hash, fetched_at (µs). Fenced: nothing changes unless the lock still holds our token.
# A later fetched_at wins, as in SQLite's UPSERT (µs since 1970 fit a Lua double exactly).
STORE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
for i = 3, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if not old or tonumber(string.match(old, '(%-?%d+)$')) <= tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
  end
end
if ARGV[2] ~= '' then redis.call('SADD', KEYS[3], ARGV[2]) end
return 1
"""
# KEYS: lock, files. ARGV: token, how many removed, the removed files, the added files.
REPLACE_FILES = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local removed = tonumber(ARGV[2])
for i = 3, 2 + removed do redis.call('SREM', KEYS[2], ARGV[i]) end
for i = 3 + removed, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1
"""
# KEYS: lock, articles, files. ARGV: token.
FORGET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"""


def dataset_keys(filesystem: pafs.FileSystem, root: str) -> dict[str, str]:
    """The Redis keys of the dataset at ``root``: ``articles``, ``files``, ``lock``."""
    where = str(Path(root).absolute()) if is_local(filesystem) else root.rstrip("/")
    name = f"{filesystem.type_name}://{where}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    base = f"{PREFIX}:{digest}"
    return {"articles": f"{base}:articles", "files": f"{base}:files", "lock": f"{base}:lock"}


class RedisState(DatasetState):
    """A dataset's state on Redis; see the module docstring.

    One client per instance (redis-py's pool is thread-safe): the writer uses its own, in its
    flush thread; ``SkipStoredMiddleware`` another on the reactor (one ``HMGET`` a page).

    :raises crawler.config.ConfigError: ``FRONTIER_URL`` is unreachable
    """

    def __init__(self, location: StateLocation) -> None:
        super().__init__(location)
        assert location.frontier is not None
        self.url = location.frontier.url
        self.server = connect(location.frontier)  # a PING: unreachable fails here
        self.keys = dataset_keys(self.filesystem, self.root)
        self.lock = self.server.lock(
            self.keys["lock"],
            timeout=location.lease_secs,
            sleep=LOCK_SLEEP_SECS,
            blocking_timeout=location.timeout_secs,
            thread_local=False,  # one flush at a time, in whichever thread runs it
        )
        self._held = False
        self._store_script = self.server.register_script(STORE)
        self._replace_script = self.server.register_script(REPLACE_FILES)
        self._forget_script = self.server.register_script(FORGET)

    @property
    def where(self) -> str:
        return f"{self.url} {self.keys['articles'].rsplit(':', 1)[0]}"

    def close(self) -> None:
        self.server.close()

    # -- reading ---------------------------------------------------------------------------

    def contains(self, edition: str, article: int) -> bool:
        return bool(self.server.hexists(self.keys["articles"], f"{edition}:{article}"))

    def contains_many(self, keys: list[tuple[str, int]]) -> list[bool]:
        if not keys:
            return []
        fields = [f"{edition}:{article}" for edition, article in keys]
        return [value is not None for value in self.server.hmget(self.keys["articles"], fields)]

    def count(self) -> int:
        return int(self.server.hlen(self.keys["articles"]))

    def known_files(self) -> set[str]:
        return {path.decode() for path in self.server.smembers(self.keys["files"])}

    def latest(self, edition: str, articles: Iterable[int]) -> dict[int, tuple[str, int]]:
        ids = list(articles)
        found: dict[int, tuple[str, int]] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            values = self.server.hmget(self.keys["articles"], [f"{edition}:{i}" for i in chunk])
            for article, value in zip(chunk, values, strict=True):
                if value is not None:
                    content_hash, fetched = value.decode().rsplit(" ", 1)
                    found[article] = (content_hash, int(fetched))
        return found

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The dataset's Redis lock, waited for up to ``DATASET_STATE_TIMEOUT_SECS``.

        :raises LockTimeout: another writer held it all that time
        """
        if self._held:
            yield  # already inside (sync() called by compaction)
            return
        if not self.lock.acquire():
            raise LockTimeout(
                f"the dataset lock {self.keys['lock']} on {self.url} was held by another writer"
                f" for {self.location.timeout_secs:g} s (DATASET_STATE_TIMEOUT_SECS)"
            )
        self._held = True
        try:
            yield
        finally:
            self._held = False
            try:
                self.lock.release()
            except LockError:
                # Its lease expired meanwhile: what was done under it was fenced.
                logger.warning("The dataset lock %s had expired before its release", self.lock.name)
            except redis.RedisError as exc:  # its lease frees it
                logger.warning("Cannot release the dataset lock %s: %s", self.lock.name, exc)

    def keep_alive(self) -> None:
        if not self._held:
            return
        try:
            self.lock.reacquire()  # the lease starts again, if the lock is still ours
        except LockError as exc:
            raise self._lost() from exc

    def _lost(self) -> LockLost:
        return LockLost(
            f"the lease of the dataset lock {self.keys['lock']} expired"
            f" (DATASET_LOCK_LEASE_SECS = {self.location.lease_secs:g})"
        )

    def _fenced(self, script: redis.commands.core.Script, keys: list[str], args: list) -> None:
        token = self.lock.local.token
        if token is None or script(keys=[self.keys["lock"], *keys], args=[token, *args]) != 1:
            raise self._lost()

    def record(self, path: str, edition: str, rows: Iterable[Row]) -> None:
        """Fenced: one script call records every row and the file, or nothing."""
        values = [
            (edition, r["article_id"], r.get("content_hash") or "", micros(r["fetched_at"]))
            for r in rows
        ]
        keys = [self.keys["articles"], self.keys["files"]]
        try:
            self._fenced(self._store_script, keys, [path, *_flat(values)])
        except LockLost:
            # redis-py retries a call whose answer was lost: if a first try went through
            # before the lease expired, the file is known (only this call adds it), and its
            # rows are recorded: the file must stay.
            if not self.server.sismember(self.keys["files"], path):
                raise

    def replace_files(self, removed: Iterable[str], added: Iterable[str]) -> None:
        gone = list(removed)
        self._fenced(self._replace_script, [self.keys["files"]], [len(gone), *gone, *added])

    def _forget(self) -> None:
        self._fenced(self._forget_script, [self.keys["articles"], self.keys["files"]], [])

    def _store(self, path: str, edition: str, values: list[tuple[str, int, str, int]]) -> None:
        # A big file in several calls, the file named in the last: until then it is unknown,
        # and a sync reads it again (its rows are in the dataset either way).
        keys = [self.keys["articles"], self.keys["files"]]
        for start in range(0, len(values), STORE_ROWS):
            last = start + STORE_ROWS >= len(values)
            chunk = _flat(values[start : start + STORE_ROWS])
            self._fenced(self._store_script, keys, [path if last else "", *chunk])
        if not values:
            self._fenced(self._store_script, keys, [path])


def _flat(values: list[tuple[str, int, str, int]]) -> list[str | int]:
    """The script's arguments for rows ``(edition, article_id, content_hash, fetched_at)``."""
    flat: list[str | int] = []
    for edition, article, content_hash, fetched in values:
        flat += [f"{edition}:{article}", content_hash, fetched]
    return flat
