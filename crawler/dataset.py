"""The on-disk layout of the articles and rejects datasets, and how to read them back.

Both datasets are Hive-partitioned Parquet,
``<root>/edition=<code>/date=YYYY-MM-DD/part-<job>-<seq>-<uuid8>.parquet``: by edition first
(``crawler/editions.json``: ``en``, ``es``, ``zh``...), so that a reader filtering one edition
opens none of the others' files, then articles by the UTC date of ``published_at``, rejects by
that of ``fetched_at``; one schema from ``crawler.items.arrow_schema``. The ``edition`` and
``date`` columns live only in the folder names (:data:`PARTITIONING`); the readers here give
``edition`` as a string in its place among the item's columns and ``date`` as ``date32`` at the
end. DuckDB and Polars infer types from folder names, so declare them (``hive_types``;
``schema=``). A row's edition is its item's ``edition``, else the edition of its URL's host
(:func:`row_edition`), else ``none`` (:data:`NO_EDITION`: a reject of a URL on no edition's host;
no edition code can be spelled so, and a ``_``-prefixed name would hide the folder from pyarrow).

Datasets written before editions (``date=`` folders at the top, all ``en``) are moved into
``edition=en/`` by ``python -m crawler migrate`` (``crawler.migrate``); a crawl or a compaction
meeting one stops with :class:`LegacyLayoutError` (:func:`check_layout`), as a mixed layout would
break every reader.

Files being written are named ``_part-….parquet.tmp`` in the same folder and renamed into place.
pyarrow skips them (leading ``_``); DuckDB and Polars do *not* skip hidden files, but a
``**/*.parquet`` glob does not match ``.tmp``. So read with a glob, never a bare folder::

    duckdb.sql("SELECT * FROM read_parquet('data/articles/**/*.parquet', "
               "hive_partitioning = true, hive_types = {'edition': 'VARCHAR', 'date': 'DATE'},"
               " union_by_name = true)")
    polars.scan_pyarrow_dataset(open_dataset("data/articles", ArticleItem))

Files written before a column was added (``layout``, issue 9) lack it: :func:`open_dataset` gives
it empty (``null``) in their rows, as it reads every file with the project's schema; DuckDB needs
``union_by_name = true`` (without it, the first file's columns are taken), and Polars reads them
through :func:`open_dataset` (``scan_parquet`` needs ``schema=`` and
``missing_columns="insert"``). Compaction (``crawler.compact``) rewrites such files in the
current schema.

On object storage (``s3://bucket/prefix``, :func:`resolve_uri`, :func:`s3_filesystem`: endpoint
``S3_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL``, region ``S3_REGION`` or ``AWS_REGION``, keys only from
the environment) there is no rename: the writer uploads straight to the final, unique name, and an
object appears, whole, when its upload completes; a failed upload leaves nothing. So there are no
temp files there, and none to clean up. Readers list the prefix: a file shows up at once, whole.

A killed crawl leaves its temp files behind; :func:`remove_stale_temp_files` removes those no
running writer can still own (the writer at every crawl's start, and compaction).
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from crawler.editions import CODE
from crawler.items import ArticleItem, RejectItem, arrow_schema
from crawler.urls import edition_of

if TYPE_CHECKING:
    from os import PathLike

    from crawler.editions import EditionTable

logger = logging.getLogger(__name__)

EDITION_FIELD = pa.field("edition", pa.string())
DATE_FIELD = pa.field("date", pa.date32())
PARTITIONING = pa.schema([EDITION_FIELD, DATE_FIELD])
"""The Hive partition columns, outermost first, as the readers give them."""
PARTITION_NAMES = tuple(PARTITIONING.names)
NO_EDITION = "none"
"""The ``edition`` folder of rows whose URL is on no edition's host."""
STALE_TEMP_MIN_SECS = 3600.0
STALE_TEMP_LOCK_TIMEOUTS = 10  # times the state's lock timeout a temp file must be older than


class LegacyLayoutError(ValueError):
    """A dataset root in the layout of before editions (``date=`` folders at its top)."""


def partition_folder(edition: str, date: str) -> str:
    """The folder of a partition, relative to the root: ``edition=en/date=2024-04-10``."""
    return f"edition={edition}/date={date}"


def partition_of(path: str) -> dict[str, str]:
    """The Hive partition values a path relative to the root carries: ``{"edition": "en",
    "date": "2024-04-10"}`` for ``edition=en/date=2024-04-10/part-….parquet``."""
    values = {}
    for part in path.split("/")[:-1]:
        name, sep, value = part.partition("=")
        if sep and name in PARTITION_NAMES:
            values[name] = value
    return values


def row_edition(edition: str | None, url: str | None, editions: EditionTable | None) -> str:
    """The ``edition`` folder of a row: its own ``edition`` (the normalizer's, the spider's),
    else the edition of its URL's host, else :data:`NO_EDITION`.

    :param editions: the table (``Config.editions``); the packaged one if not given
    """
    if isinstance(edition, str) and CODE.match(edition):
        return edition  # a code: safe in a folder name
    found = edition_of(url, editions) if isinstance(url, str) and url else None
    return found.code if found is not None else NO_EDITION


def legacy_folders(filesystem: pafs.FileSystem, root: str) -> list[str]:
    """The ``date=`` folders at the top of a root: the layout of before editions."""
    selector = pafs.FileSelector(root, recursive=False, allow_not_found=True)
    return sorted(
        info.base_name
        for info in filesystem.get_file_info(selector)
        if info.type == pafs.FileType.Directory and info.base_name.startswith("date=")
    )


def check_layout(filesystem: pafs.FileSystem, root: str, setting: str, command: str) -> None:
    """Refuse a root written before editions: a crawl or compaction adding ``edition=`` folders
    beside its ``date=`` ones would leave a layout no reader can read as one dataset.

    :param setting: what the root was given as, for the message: ``DATASET_URI = '…'``
    :param command: the migration command line to run, for the message
    :raises LegacyLayoutError: one line naming ``setting`` and ``command``
    """
    old = legacy_folders(filesystem, root)
    if old:
        raise LegacyLayoutError(
            f"{setting} holds a dataset written before editions ({len(old)} date= folders at"
            f" its top, e.g. {old[0]}): migrate it first with: {command}"
        )


def migrate_command(dataset_uri: str | PathLike[str], rejects_uri: str | None = None) -> str:
    """The ``python -m crawler migrate`` command line for a dataset (and its rejects)."""
    command = f"python -m crawler migrate {os.fspath(dataset_uri)}"
    return f"{command} --rejects {rejects_uri}" if rejects_uri else command


S3_CONNECT_TIMEOUT_SECS = 5.0  # an unreachable endpoint fails the crawl's start in seconds
S3_REQUEST_TIMEOUT_SECS = 60.0
S3_ATTEMPTS = 3


def is_local(filesystem: pafs.FileSystem) -> bool:
    """Whether a dataset's filesystem is the local one (renames are atomic there; on object
    storage they are copy + delete)."""
    return isinstance(filesystem, pafs.LocalFileSystem)


def s3_filesystem(endpoint_url: str = "", region: str = "") -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem, built in this one place.

    Credentials come from the environment only (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``, or the AWS SDK's other sources: config files, instance roles), never
    from settings, as Scrapy logs overridden settings.

    :param endpoint_url: ``http(s)://host[:port]`` of an S3-compatible server (``S3_ENDPOINT_URL``);
        empty: ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` from the environment, else AWS
    :param region: ``S3_REGION``; empty: ``AWS_REGION`` or ``AWS_DEFAULT_REGION``, else the SDK's
    """
    endpoint_url = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_S3", "")
        or os.environ.get("AWS_ENDPOINT_URL", "")
    )
    region = region or os.environ.get("AWS_REGION", "") or os.environ.get("AWS_DEFAULT_REGION", "")
    options: dict = {
        "connect_timeout": S3_CONNECT_TIMEOUT_SECS,
        "request_timeout": S3_REQUEST_TIMEOUT_SECS,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=S3_ATTEMPTS),
    }
    if region:
        options["region"] = region
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
            raise ValueError(f"not an http(s)://host[:port] endpoint: {endpoint_url!r}")
        options["scheme"], options["endpoint_override"] = parts.scheme, parts.netloc
        # A server of its own (MinIO, moto, Ceph...) has no region, but the SDK signs with one.
        options.setdefault("region", "us-east-1")
    return pafs.S3FileSystem(**options)


def resolve_uri(
    uri: str | PathLike[str], *, endpoint_url: str = "", region: str = ""
) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of a dataset root.

    :param uri: a local path (relative to the working directory), ``file:///abs/path``,
        ``s3://bucket/prefix`` (:func:`s3_filesystem`), or another URI pyarrow knows
    :param endpoint_url: for ``s3://``, as in :func:`s3_filesystem` (``S3_ENDPOINT_URL``)
    :param region: for ``s3://``, as in :func:`s3_filesystem` (``S3_REGION``)
    """
    text = os.fspath(uri)
    if "://" not in text:
        # pyarrow rejects scheme-less relative paths; resolve them here so both work.
        return pafs.LocalFileSystem(), os.path.abspath(text)
    if text.startswith("s3://"):
        parts = urlsplit(text)
        if not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"not an s3://bucket/prefix URI: {text!r}")
        path = f"{parts.netloc}/{parts.path.strip('/')}".rstrip("/")
        return s3_filesystem(endpoint_url, region), path
    return pafs.FileSystem.from_uri(text)


def dataset_files(filesystem: pafs.FileSystem, root: str, folder: str = "") -> list[str]:
    """The files a reader of the dataset sees, relative to ``root``, sorted.

    That is every ``*.parquet`` file with no part of its path starting with ``_`` or ``.``:
    temp files being written, the state store (``_state/``) and other hidden entries are left
    out, as pyarrow leaves them out.

    :param filesystem: as from :func:`resolve_uri`
    :param root: the dataset root, as from :func:`resolve_uri`
    :param folder: only the files under this folder of the root, e.g.
        ``edition=en/date=2024-04-10``
    """
    base = f"{root}/{folder}" if folder else root
    selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
    found = []
    for info in filesystem.get_file_info(selector):
        relative = info.path[len(root) + 1 :]
        hidden = any(part.startswith(("_", ".")) for part in relative.split("/"))
        if info.type == pafs.FileType.File and relative.endswith(".parquet") and not hidden:
            found.append(relative)
    return sorted(found)


def stale_temp_secs(lock_timeout_secs: float) -> float:
    """How long after its last write a hidden temp file is taken for a killed crawl's leftover.

    A writer's temp file lives while one flush writes one partition's rows (well under a second
    for 1,000 rows) and is renamed the moment the write ends, so its last write is at most that
    old. A flush of articles writes it while holding the dataset state's write lock, which other
    writers wait for at most ``DATASET_STATE_TIMEOUT_SECS`` before they fail: a flush lasting
    that long is already broken. Ten times that timeout, and at least an hour, is far beyond any
    live writer. Erring either way is harmless: a live temp file removed would cost one failed
    flush, retried with the same rows; a leftover kept costs disk until the next crawl.

    :param lock_timeout_secs: the state's lock timeout (``DATASET_STATE_TIMEOUT_SECS``)
    """
    return max(STALE_TEMP_MIN_SECS, STALE_TEMP_LOCK_TIMEOUTS * lock_timeout_secs)


def remove_stale_temp_files(
    filesystem: pafs.FileSystem, root: str, min_age_secs: float, *, now: datetime | None = None
) -> list[str]:
    """Remove the writer's hidden temp files last written more than ``min_age_secs`` ago.

    Those are the ``_*.tmp`` files in the root (the writer's ``_probe-….tmp``) and in its visible
    folders (``_part-….parquet.tmp`` in the partitions); hidden folders (``_state/``) are left
    alone. Each removal is logged; one that fails is logged and skipped, never raised.

    :param filesystem: as from :func:`resolve_uri`
    :param root: the dataset root, as from :func:`resolve_uri`
    :param min_age_secs: as from :func:`stale_temp_secs`
    :param now: the current time (for tests)
    :returns: the paths removed, relative to ``root``
    """
    if isinstance(filesystem, pafs.S3FileSystem):
        # On object storage the writer writes straight to the final name (no rename there) and
        # compaction writes no temp files: there are none to remove, and listing a whole
        # bucket at every start would cost requests for nothing.
        return []
    now = now or datetime.now(UTC)
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    removed = []
    for info in filesystem.get_file_info(selector):
        *folders, name = info.path[len(root) + 1 :].split("/")
        if (
            info.type != pafs.FileType.File
            or not (name.startswith("_") and name.endswith(".tmp"))
            or any(part.startswith(("_", ".")) for part in folders)
            or info.mtime is None
        ):
            continue
        age = (now - info.mtime).total_seconds()
        if age <= min_age_secs:
            continue  # perhaps a running writer's
        try:
            filesystem.delete_file(info.path)
        except FileNotFoundError:
            continue  # another crawl removed it first
        except OSError as exc:
            logger.warning("Cannot remove the stale temp file %s: %s", info.path, exc)
            continue
        logger.info("Removed %s, a temp file a killed crawl left %.0f s ago", info.path, age)
        removed.append(info.path[len(root) + 1 :])
    return removed


def new_job_id() -> str:
    """A job id for crawls not run by scrapyd: UTC time to the second plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def file_schema(item_class: type) -> pa.Schema:
    """The schema of a dataset's files: the item's columns but the partition ones
    (``edition`` lives in the folder names)."""
    schema = arrow_schema(item_class)
    for name in PARTITION_NAMES:
        if name in schema.names:
            schema = schema.remove(schema.get_field_index(name))
    return schema


def dataset_schema(item_class: type) -> pa.Schema:
    """The schema of a dataset as read back: the item's columns (``edition`` among them, from
    the folder names) plus ``date``."""
    schema = arrow_schema(item_class)
    for field in PARTITIONING:
        if field.name not in schema.names:
            schema = schema.append(field)
    return schema


def open_dataset(
    uri: str | PathLike[str], item_class: type, *, endpoint_url: str = "", region: str = ""
) -> ds.Dataset:
    """A ``pyarrow.dataset.Dataset`` over a root written by the Parquet writer pipeline.

    :param uri: the dataset root, as in :func:`resolve_uri`
    :param item_class: ``ArticleItem`` or ``RejectItem``, whose schema the files carry
    :param endpoint_url: for ``s3://``, as in :func:`resolve_uri`
    :param region: for ``s3://``, as in :func:`resolve_uri`
    """
    filesystem, path = resolve_uri(uri, endpoint_url=endpoint_url, region=region)
    return ds.dataset(
        path,
        filesystem=filesystem,
        format="parquet",
        schema=dataset_schema(item_class),
        partitioning=ds.partitioning(PARTITIONING, flavor="hive"),
    )


def read_articles(uri: str | PathLike[str] = "data/articles") -> pa.Table:
    """The whole articles dataset as one table, with ``edition`` and ``date`` (``date32``)."""
    return open_dataset(uri, ArticleItem).to_table()


def read_rejects(uri: str | PathLike[str] = "data/rejects") -> pa.Table:
    """The whole rejects dataset as one table, with ``edition`` and ``date`` (``date32``)."""
    return open_dataset(uri, RejectItem).to_table()
