"""``python -m crawler migrate DATASET_URI [--rejects REJECTS_URI]``: move a dataset written
before editions into the layout with them.

Before editions, both datasets were ``<root>/date=YYYY-MM-DD/part-….parquet``, and every row was
an article (or reject) of ``en`` (``site`` = ``sputnikglobe.com``: the crawler knew no other
host). Now they are ``<root>/edition=<code>/date=YYYY-MM-DD/`` (``crawler.dataset``). Migrating
renames each ``date=X/`` folder at the top of a root to ``edition=en/date=X/`` (``--edition``
for another code): no file is read or rewritten, so it takes about as long as listing the
folders, whatever the size of the data. Rejects move to ``edition=en/`` too, whatever their URL
(they were all the ``en`` crawl's).

It holds the articles state's write lock (``crawler.state``, the lock every flush and every
compaction takes) from the first move to the end, and rebuilds the state from the moved files in
that same transaction: a crawl of the new version waits (``DATASET_STATE_TIMEOUT_SECS``), a
compaction too. Crawls of the version before editions take no part in this: stop them before
migrating.

Safe to re-run, and after a kill: a folder's move is one ``rename(2)``, so a killed migration
leaves each folder either moved or not; the next run moves the rest (a ``date=X/`` whose target
exists already has its files moved in one by one) and rebuilds the state; until then crawls and
compactions refuse the dataset, since ``date=`` folders remain at its top. A run with nothing left
to move changes nothing (it brings the state up to date, as a crawl's start would).

Only local datasets (the move is a rename), like compaction.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.fs as pafs

from crawler import settings
from crawler.compact import local_root
from crawler.dataset import EDITION_FIELD, legacy_folders
from crawler.editions import CODE, DEFAULT_EDITION
from crawler.state import STATE_FILE, STATE_FOLDER, StateLocation, connect_state

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)


@dataclass
class RootReport:
    """What the migration did to one dataset root."""

    root: str
    partitions: list[str] = field(default_factory=list)  # the date= folders moved
    files: int = 0  # visible Parquet files in them


@dataclass
class MigrateReport:
    """What a migration did."""

    roots: list[RootReport] = field(default_factory=list)
    edition: str = DEFAULT_EDITION
    state_articles: int = 0
    state_rebuilt: bool = False
    secs: float = 0.0

    def summary(self) -> str:
        lines = []
        for done in self.roots:
            if done.partitions:
                lines.append(
                    f"Migrated {done.root}: {len(done.partitions)} date= folders"
                    f" ({done.files} files) moved into edition={self.edition}/"
                )
            else:
                lines.append(f"{done.root} is already in the layout with editions: nothing moved")
        how = "rebuilt" if self.state_rebuilt else "up to date"
        lines.append(
            f"Dataset state {how}: {self.state_articles} articles; done in {self.secs:.2f} s"
        )
        return "\n".join(lines)


def move_partitions(root: str, edition: str) -> RootReport:
    """Move every ``date=X/`` folder at the top of ``root`` to ``edition=<edition>/date=X/``.

    A folder whose target exists (a run killed while merging it) has its entries moved one by
    one, then is removed. Directory entries are synced, so the moves survive a power cut.

    :raises ValueError: an entry that is in both a folder and its target
    """
    report = RootReport(root)
    base = Path(root)
    target_root = base / f"{EDITION_FIELD.name}={edition}"
    old = legacy_folders(pafs.LocalFileSystem(), root)
    if not old:
        return report
    target_root.mkdir(exist_ok=True)
    for name in old:
        folder, target = base / name, target_root / name
        report.files += sum(
            1 for p in folder.iterdir() if p.suffix == ".parquet" and p.name[0] not in "_."
        )
        if not target.exists():
            folder.rename(target)  # one rename(2): moved whole or not at all
        else:
            for entry in sorted(folder.iterdir()):
                if (target / entry.name).exists():
                    raise ValueError(f"{entry} is in {target} too: move one of them by hand")
                entry.rename(target / entry.name)
            folder.rmdir()
        report.partitions.append(name)
        logger.info("Moved %s to %s", folder, target)
    _fsync_dir(target_root)
    _fsync_dir(base)
    return report


def migrate(
    uri: str | os.PathLike[str],
    rejects_uri: str | os.PathLike[str] | None = None,
    *,
    edition: str = DEFAULT_EDITION,
    state_path: str | None = None,
    timeout_secs: float = settings.DATASET_STATE_TIMEOUT_SECS,
) -> MigrateReport:
    """Move a dataset (and its rejects) written before editions into ``edition=<edition>/``;
    see the module docstring.

    :param uri: the articles dataset root (``DATASET_URI``): a local path or ``file://`` URI
    :param rejects_uri: the rejects dataset root (``REJECTS_URI``), if any
    :param edition: the code of the edition the old rows are (``en``)
    :param state_path: the dataset state's file (``DATASET_STATE_PATH``); default
        ``_state/articles.sqlite`` under the root
    :param timeout_secs: how long to wait for a crawl's flush to release the write lock
    """
    started = time.perf_counter()
    if not CODE.match(edition):
        raise ValueError(f"--edition must be an edition code such as en or ru-by, got {edition!r}")
    root = local_root(uri)
    rejects = local_root(rejects_uri) if rejects_uri is not None else None
    location = StateLocation(
        state_path or f"{root}/{STATE_FOLDER}/{STATE_FILE}",
        pafs.LocalFileSystem(),
        root,
        timeout_secs,
    )
    report = MigrateReport(edition=edition)
    state = connect_state(location)
    try:
        with state.writing():
            for folder in (root, rejects):
                if folder is not None:
                    report.roots.append(move_partitions(folder, edition))
            moved = bool(report.roots[0].partitions)
            # Every path the state knew has changed: take the files in again.
            synced = state.rebuild() if moved else state.sync()
            report.state_rebuilt = synced.rebuilt
        report.state_articles = state.count()
    finally:
        state.close()
    report.secs = time.perf_counter() - started
    return report


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crawler migrate``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler migrate",
        description="Move a dataset written before editions (date= folders at its top) into"
        " edition=en/date=.../ folders, under the dataset state's write lock, and rebuild the"
        " state. Safe to re-run; nothing to do on a migrated dataset.",
    )
    parser.add_argument("uri", metavar="DATASET_URI", help="the articles dataset (local path)")
    parser.add_argument(
        "--rejects", metavar="REJECTS_URI", help="migrate this rejects dataset too (local path)"
    )
    parser.add_argument(
        "--edition",
        default=DEFAULT_EDITION,
        metavar="CODE",
        help="the edition the old rows are (%(default)s: the crawler knew no other before)",
    )
    parser.add_argument("--state", metavar="PATH", help="DATASET_STATE_PATH, if not the default")
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
    try:
        report = migrate(
            args.uri,
            args.rejects,
            edition=args.edition,
            state_path=args.state,
            timeout_secs=args.timeout,
        )
    except (ValueError, OSError, sqlite3.Error) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    print(report.summary(), flush=True)
    return 0
