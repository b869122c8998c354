"""A journal of the requests a ``JOBDIR`` crawl scheduled and finished, so a killed one resumes.

Scrapy keeps a ``JOBDIR`` crawl's queue on disk but records where it stands only when the crawl
closes cleanly, while ``requests.seen`` (the duplicate filter) grows as it goes: after a SIGKILL
the next run finds every URL seen and nothing queued, and finishes at once, fetching nothing.
The journal, ``<JOBDIR>/sputnik-journal.sqlite``, is the durable record instead:

- ``JournalScheduler`` (``SCHEDULER``) records every request it enqueues, serialized as Scrapy's
  disk queues do (``Request.to_dict``), with its fingerprint, and numbers it in
  ``meta["sputnik_journal"]``; redirects, retries and render re-requests keep the number.
- ``JournalMiddleware`` (spider middleware, engine side of the others) marks a request done once
  everything its callback or errback gave is settled (``crawler.outcomes``, which the shared
  frontier's leases use too): each request it yielded enqueued (or dropped as a duplicate), each
  item dropped, or its row or reject committed to the datasets by the writer
  (``crawler.pipelines.write.Receipt``: the writer flushes every ``DATASET_FLUSH_ROWS`` rows or
  ``DATASET_FLUSH_SECS``). A listing is done once the requests it listed are recorded; an
  article once its row (or reject) is on disk.
- At start, when the journal holds requests, Scrapy's own queue (``requests.queue``) is
  discarded, ``requests.seen`` is rewritten with the fingerprints of the requests done, and every
  request not done is enqueued again (with its depth and meta), however the last run ended:
  closed, Ctrl-C, crash or SIGKILL. SQLite commits as the crawl goes (write-ahead log, synced by
  the OS: a power cut may lose the last commits, which only means fetching those pages again).

A request is fetched again only when its outcome was not committed. Between the writer's commit
and the journal's mark there is a moment: a kill then fetches that page once more; an article
is then left out by the writer as unchanged (``crawler.state``), a reject is written twice.
A JOBDIR left by a killed crawl without a journal (an older version) cannot be resumed: the
crawl stops at once with an error rather than finishing empty. A JOBDIR whose crawl finished
says so with a warning.

Stats: ``sputnik/journal/recorded`` (requests journaled), ``sputnik/journal/done``,
``sputnik/journal/requeued`` (enqueued again at start), ``sputnik/journal/unclean-start`` (1 when
the last run did not close), ``sputnik/journal/already-finished`` (1 when nothing was left),
``sputnik/journal/unserializable`` (requests that cannot be journaled, so not resumable).
"""

from __future__ import annotations

import logging
import pickle
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir
from scrapy.utils.misc import load_object
from scrapy.utils.reactor import CallLaterOnce
from scrapy.utils.request import request_from_dict

from crawler.config import ConfigError
from crawler.outcomes import OutcomeMiddleware, OutcomeTracker

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

JOURNAL_FILE = "sputnik-journal.sqlite"
KEY = "sputnik_journal"  # request.meta: the request's number in the journal
PARENT_KEY = "_sputnik_journal_parent"  # request.meta, until enqueued: who yielded it
PENDING_CHUNK = 1000  # requests read at a time when a resume enqueues them again
SEEN_LENGTH_BYTES = 2  # requests.seen: each fingerprint after its big-endian 2-byte length
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, fingerprint BLOB NOT NULL,"
    " request BLOB, done INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX IF NOT EXISTS pending ON requests (id) WHERE done = 0",
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
    " closed TEXT, reason TEXT)",
)

_JOURNALS: WeakKeyDictionary[Crawler, Journal] = WeakKeyDictionary()


class Journal(OutcomeTracker):
    """The journal of one crawl's ``JOBDIR`` (one SQLite connection, on the reactor thread)."""

    key = KEY
    parent_key = PARENT_KEY

    def __init__(self, crawler: Crawler, jobdir: str) -> None:
        super().__init__()
        self.crawler = crawler
        self.stats = crawler.stats
        self.jobdir = Path(jobdir)
        self.path = self.jobdir / JOURNAL_FILE
        self.jobdir.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            for statement in SCHEMA:
                self._db.execute(statement)
            self._db.commit()
            self._next = (self._db.execute("SELECT max(id) FROM requests").fetchone()[0] or 0) + 1
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"JOBDIR {jobdir!r}: the request journal {self.path} is unreadable ({exc});"
                " this crawl cannot be resumed: remove the folder or use another JOBDIR"
            ) from exc
        self._commit = CallLaterOnce(self.commit)
        self._run = 0
        self._unserializable_logged = False

    @classmethod
    def of(cls, crawler: Crawler) -> Journal | None:
        """The crawl's journal, if its scheduler keeps one."""
        return _JOURNALS.get(crawler)

    # -- start and close -------------------------------------------------------------------

    def start(self) -> None:
        """Before the scheduler and its duplicate filter open: set ``JOBDIR`` up for a resume."""
        db = self._db
        last = db.execute("SELECT id, closed FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        seen = self.jobdir / "requests.seen"
        queue = self.jobdir / "requests.queue"
        if last is None and seen.exists() and seen.stat().st_size:
            if not (queue / "active.json").exists():
                raise ConfigError(
                    f"JOBDIR {str(self.jobdir)!r} was left by a crawl that did not close"
                    f" cleanly and kept no request journal ({JOURNAL_FILE}): it cannot be"
                    " resumed (Scrapy would find every URL seen and fetch nothing); remove the"
                    " folder or use another JOBDIR"
                )
            logger.warning(
                "JOBDIR %s has no request journal (an older crawl): resuming from Scrapy's"
                " queue; requests are journaled from now on",
                self.jobdir,
            )
        elif last is not None:
            total, pending = db.execute(
                "SELECT count(*), count(*) FILTER (WHERE done = 0) FROM requests"
            ).fetchone()
            shutil.rmtree(queue, ignore_errors=True)
            self._write_seen(seen)
            if last[1] is None:
                self.stats.set_value("sputnik/journal/unclean-start", 1)
                logger.warning(
                    "JOBDIR %s: the last crawl did not close cleanly (killed?); resuming from"
                    " its journal: %d of %d requests to fetch again",
                    self.jobdir,
                    pending,
                    total,
                )
            else:
                logger.info(
                    "JOBDIR %s: resuming from the journal: %d of %d requests left",
                    self.jobdir,
                    pending,
                    total,
                )
            if total and not pending:
                self.stats.set_value("sputnik/journal/already-finished", 1)
                logger.warning(
                    "JOBDIR %s holds a finished crawl (%d requests, all done): nothing is"
                    " fetched again; use another JOBDIR for a new crawl",
                    self.jobdir,
                    total,
                )
        cursor = db.execute("INSERT INTO runs (started) VALUES (?)", (_now(),))
        self._run = cursor.lastrowid or 0
        db.commit()

    def _write_seen(self, seen: Path) -> None:
        """``requests.seen`` as the fingerprints of the requests done (the others are
        enqueued again, which adds theirs)."""
        temp = seen.with_name(seen.name + ".tmp")
        with temp.open("wb") as out:
            for (fingerprint,) in self._db.execute(
                "SELECT fingerprint FROM requests WHERE done = 1"
            ):
                out.write(len(fingerprint).to_bytes(SEEN_LENGTH_BYTES, "big") + fingerprint)
        temp.replace(seen)

    def pending(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The requests not done, oldest first, as ``Request.to_dict`` gave them (read a chunk
        at a time: a big crawl may leave millions)."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT id, request FROM requests WHERE done = 0 AND request IS NOT NULL"
                " AND id > ? ORDER BY id LIMIT ?",
                (last, PENDING_CHUNK),
            ).fetchall()
            if not rows:
                return
            for number, blob in rows:
                yield number, pickle.loads(blob)  # our own file, as Scrapy's disk queues do
            last = rows[-1][0]

    def close(self, reason: str) -> None:
        self._commit.cancel()
        self._db.execute(
            "UPDATE runs SET closed = ?, reason = ? WHERE id = ?", (_now(), reason, self._run)
        )
        self.commit()
        left = self._db.execute("SELECT count(*) FROM requests WHERE done = 0").fetchone()[0]
        logger.info(
            "Request journal %s closed (%s): %d requests left for a resume", self.path, reason, left
        )
        self._db.close()

    def commit(self) -> None:
        self._db.commit()

    # -- recording -------------------------------------------------------------------------

    def reserve(self) -> int:
        number, self._next = self._next, self._next + 1
        return number

    def record(self, number: int, request: Request, spider: Spider) -> bool:
        """Journal a request just enqueued; ``False`` if it cannot be serialized."""
        try:
            blob = pickle.dumps(request.to_dict(spider=spider), protocol=4)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            self.stats.inc_value("sputnik/journal/unserializable")
            if not self._unserializable_logged:
                self._unserializable_logged = True
                logger.warning(
                    "Cannot journal %s (%s): it would not be fetched again after a kill; no"
                    " more such requests are logged (sputnik/journal/unserializable)",
                    request,
                    exc,
                    extra={"spider": spider},
                )
            return False
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        self._db.execute(
            "INSERT INTO requests (id, fingerprint, request) VALUES (?, ?, ?)",
            (number, fingerprint, blob),
        )
        self.stats.inc_value("sputnik/journal/recorded")
        self._commit.schedule()
        return True

    def done(self, number: int) -> None:
        self._open.pop(number, None)
        self._db.execute("UPDATE requests SET done = 1, request = NULL WHERE id = ?", (number,))
        self.stats.inc_value("sputnik/journal/done")
        self._commit.schedule()


class JournalScheduler(Scheduler):
    """Scrapy's scheduler; with ``JOBDIR``, every request it enqueues is journaled, and a
    resume enqueues again what the journal has not seen done (see the module docstring)."""

    journal: Journal | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = job_dir(crawler.settings)
        journal = None
        if jobdir:
            journal = Journal(crawler, jobdir)
            if not issubclass(load_object(crawler.settings["DUPEFILTER_CLASS"]), RFPDupeFilter):
                raise ConfigError(
                    "JOBDIR resumes need DUPEFILTER_CLASS to be Scrapy's RFPDupeFilter (or a"
                    f" subclass), got {crawler.settings['DUPEFILTER_CLASS']!r}"
                )
            journal.start()  # before the duplicate filter reads requests.seen
            _JOURNALS[crawler] = journal
        scheduler = super().from_crawler(crawler)
        scheduler.journal = journal
        return scheduler

    def open(self, spider: Spider) -> Deferred[None] | None:
        result = super().open(spider)
        if self.journal is not None:
            self._requeue(spider)
        return result

    def _requeue(self, spider: Spider) -> None:
        assert self.journal is not None
        requeued = 0
        for number, data in self.journal.pending():
            request = request_from_dict(data, spider=spider)
            request.meta[KEY] = number
            if super().enqueue_request(request):
                requeued += 1
            else:  # the same fingerprint as another one left: that one is fetched
                self.journal.done(number)
        if requeued:
            self.stats.inc_value("sputnik/journal/requeued", requeued)
            logger.info(
                "Enqueued again %d requests from the journal", requeued, extra={"spider": spider}
            )

    def close(self, reason: str) -> Deferred[None] | None:
        result = super().close(reason)
        if self.journal is not None:
            self.journal.close(reason)
        return result

    def enqueue_request(self, request: Request) -> bool:
        journal = self.journal
        if journal is None:
            return super().enqueue_request(request)
        parent = journal.arriving(request)
        number = request.meta.get(KEY)
        new = number is None
        if new:
            number = request.meta[KEY] = journal.reserve()
        added = super().enqueue_request(request)
        if new and not (added and journal.record(number, request, self.spider)):
            del request.meta[KEY]
        elif not new and not added:
            journal.exhausted(number)  # a redirect to a page already seen: nothing more comes
        if parent is not None:
            journal.settle(parent)
        return added

    def next_request(self) -> Request | None:
        request = super().next_request()
        journal = self.journal
        if request is None or journal is None:
            return request
        number = request.meta.get(KEY)
        if number is None:  # from the queue of a crawl that kept no journal
            number = request.meta[KEY] = journal.reserve()
            if not journal.record(number, request, self.spider):
                del request.meta[KEY]
                return request
        journal.leaving(request)
        return request


class JournalMiddleware(OutcomeMiddleware):
    """Counts what each journaled request's callback gives and settles it (module docstring).

    Off (``NotConfigured``) without ``JOBDIR``.
    """

    def __init__(self, crawler: Crawler) -> None:
        if not job_dir(crawler.settings):
            raise NotConfigured
        super().__init__(crawler)

    def tracker_of(self, crawler: Crawler) -> OutcomeTracker | None:
        return Journal.of(crawler)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
