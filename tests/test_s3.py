"""Datasets on object storage: crawls of the mirror into ``s3://`` on a real S3 API server.

moto's server mode (``ThreadedMotoServer``) runs in this process on a free loopback port; the
crawls and the compaction run in subprocesses that find it, and their keys, through the standard
``AWS_*`` environment variables, as a deployment would. The same crawls go to local folders too,
and the rows must be the same. Readers: pyarrow (``crawler.dataset``), Polars, DuckDB.
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow.fs as pafs
import pytest
from fsspec.implementations.arrow import ArrowFSWrapper

from crawler import dataset
from crawler.config import ConfigError
from crawler.items import ArticleItem
from tests.crawl import Crawl, config_of, run_crawl
from tests.hostile import HostileServer
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, run_mirror
from tests.test_scrapyd import articles_written, feed

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.timeout(600)

ARTICLES = 400
FIRST = 300  # out at the first run
SECOND = 340  # out at the second
BUCKET = "sputnik-data"
ARTICLES_URI = f"s3://{BUCKET}/crawl/articles"
REJECTS_URI = f"s3://{BUCKET}/crawl/rejects"
KEYS = {"AWS_ACCESS_KEY_ID": "moto-test-key", "AWS_SECRET_ACCESS_KEY": "moto-test-secret"}
# What varies between two crawls of the same pages (the referer: whichever linking page was
# fetched first, with concurrent requests).
PER_CRAWL = {"job_id", "fetched_at", "referer"}


@dataclass
class S3:
    endpoint: str  # http://127.0.0.1:port
    state: Path  # the S3 crawls' local DATASET_STATE_PATH


@dataclass
class Runs:
    s3: S3
    first: Crawl
    second: Crawl
    local_first: Crawl
    local_second: Crawl
    local_out: Path
    s3_secs: list[float]
    local_secs: list[float]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """A moto S3 server with one bucket; the AWS variables point every subprocess at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        for name, value in {
            **KEYS,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            env.setenv(name, value)
        pafs.S3FileSystem(
            endpoint_override=f"{host}:{port}",
            scheme="http",
            region="us-east-1",
            allow_bucket_creation=True,
        ).create_dir(BUCKET)
        try:
            yield S3(endpoint, tmp_path_factory.mktemp("s3-state") / "articles.sqlite")
        finally:
            server.stop()


def s3_settings(s3: S3) -> dict[str, str]:
    return {
        "DEPTH_LIMIT": "1",
        "DATASET_URI": ARTICLES_URI,
        "REJECTS_URI": REJECTS_URI,
        "DATASET_STATE_PATH": str(s3.state),
    }


def timed_crawl(mirror: Any, out: Path, settings: dict[str, str], secs: list[float]) -> Crawl:
    started = time.perf_counter()
    crawl = run_crawl(mirror, out, "-a", "source=rss", settings=settings)
    secs.append(time.perf_counter() - started)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert " ERROR: " not in crawl.log and "Traceback" not in crawl.log, crawl.log[-3000:]
    return crawl


@pytest.fixture(scope="module")
def runs(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Two feed crawls into S3 (the mirror's clock moves between them), the same two locally."""
    out = tmp_path_factory.mktemp("s3-crawls")
    local_out = tmp_path_factory.mktemp("local-crawls")
    s3_secs: list[float] = []
    local_secs: list[float] = []
    local = {"DEPTH_LIMIT": "1"}
    with run_mirror(articles=ARTICLES, published=FIRST) as mirror:
        first = timed_crawl(mirror, out / "1", s3_settings(s3), s3_secs)
        local_first = timed_crawl(mirror, local_out, local, local_secs)
        mirror.publish(SECOND)
        second = timed_crawl(mirror, out / "2", s3_settings(s3), s3_secs)
        local_second = timed_crawl(mirror, local_out, local, local_secs)
    return Runs(s3, first, second, local_first, local_second, local_out, s3_secs, local_secs)


def rows(uri: str | Path) -> list[dict[str, Any]]:
    return dataset.read_articles(uri).to_pylist()


def comparable(table_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without what differs from crawl to crawl, sorted by URL."""
    kept = [{k: v for k, v in r.items() if k not in PER_CRAWL} for r in table_rows]
    return sorted(kept, key=lambda r: r["url"])


def objects(uri: str) -> list[str]:
    """Every object under a root (hidden ones too), relative to it."""
    filesystem, root = dataset.resolve_uri(uri)
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    infos = filesystem.get_file_info(selector)
    return sorted(i.path[len(root) + 1 :] for i in infos if i.type == pafs.FileType.File)


def compact(s3: S3, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler", "compact", *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


# -- writing --------------------------------------------------------------------------------------


def job_of(crawl: Crawl) -> str:
    """The crawl's job id, as the writer logs it at open."""
    found = re.search(r"Writing articles to .* \(job ([^,)]+)", crawl.log)
    assert found, crawl.log[-3000:]
    return found.group(1)


def test_a_crawl_into_s3_writes_the_feed_articles(runs: Runs) -> None:
    site = Site(ARTICLES, published=FIRST)
    written = [r for r in rows(ARTICLES_URI) if r["job_id"] == job_of(runs.first)]
    assert {r["url"] for r in written} == articles_written(site, feed(site))
    assert runs.first.stats["sputnik/writer/articles-written"] == len(written)
    # Straight to the final names: no probe, no temp object left, only the jobs' files.
    names = objects(ARTICLES_URI) + objects(REJECTS_URI)
    assert names and all(n.endswith(".parquet") and "/part-" in n for n in names), names
    assert not [n for n in names if "/_" in n or n.startswith("_")]


def test_the_second_run_writes_only_new_articles(runs: Runs) -> None:
    later = Site(ARTICLES, published=SECOND)
    everything = rows(ARTICLES_URI)
    second = job_of(runs.second)
    stored = {r["url"] for r in everything if r["job_id"] != second}
    new = [r for r in everything if r["job_id"] == second]
    stored_indices = {later.by_path[u.removeprefix("https://sputnikglobe.com")] for u in stored}
    expected = articles_written(later, feed(later), stored_indices)
    assert {s.url for s in later.stubs[FIRST:]} & expected, "newly published articles among them"
    assert {r["url"] for r in new} == expected
    assert not {r["url"] for r in new} & stored
    assert Counter(r["article_id"] for r in everything).most_common(1)[0][1] == 1
    assert runs.second.stats["sputnik/state/skipped-stored"] > 0


def test_s3_holds_the_rows_of_the_same_crawls_written_locally(runs: Runs) -> None:
    on_s3 = rows(ARTICLES_URI)
    local = rows(runs.local_out / "articles")
    assert len(on_s3) > 150
    assert comparable(on_s3) == comparable(local)
    rejects = dataset.read_rejects(REJECTS_URI).to_pylist()
    local_rejects = dataset.read_rejects(runs.local_out / "rejects").to_pylist()
    assert Counter(r["url"] for r in rejects) == Counter(r["url"] for r in local_rejects)


def test_polars_and_duckdb_read_the_s3_dataset(runs: Runs) -> None:
    expected = comparable(rows(ARTICLES_URI))
    # Polars through pyarrow (the project's schema), and on its own (object_store).
    scanned = pl.scan_pyarrow_dataset(dataset.open_dataset(ARTICLES_URI, ArticleItem)).collect()
    assert comparable(scanned.to_dicts()) == expected
    own = pl.read_parquet(
        f"{ARTICLES_URI}/**/*.parquet",
        hive_partitioning=True,
        hive_schema={"edition": pl.String, "date": pl.Date},
        storage_options={
            "aws_endpoint_url": runs.s3.endpoint,
            "aws_access_key_id": KEYS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": KEYS["AWS_SECRET_ACCESS_KEY"],
            "aws_region": "us-east-1",
            "aws_allow_http": "true",
        },
    )
    assert sorted(own["url"].to_list()) == [r["url"] for r in expected]
    assert own["date"].dtype == pl.Date
    # DuckDB 2 has no S3 of its own offline: an fsspec filesystem around pyarrow's.
    con = duckdb.connect()
    con.register_filesystem(ArrowFSWrapper(dataset.resolve_uri(ARTICLES_URI)[0]))
    found = con.sql(
        f"SELECT url, content_hash, edition, date FROM read_parquet('{ARTICLES_URI}/**/*.parquet',"
        " hive_partitioning = true, hive_types = {'edition': 'VARCHAR', 'date': 'DATE'},"
        " union_by_name = true) ORDER BY url"
    ).fetchall()
    assert found == [(r["url"], r["content_hash"], r["edition"], r["date"]) for r in expected]


# -- compaction -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compacted(runs: Runs) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float, str]:
    before = comparable(rows(ARTICLES_URI))
    rejects_before = dataset.read_rejects(REJECTS_URI).to_pylist()
    started = time.perf_counter()
    done = compact(runs.s3, ARTICLES_URI, "--rejects", REJECTS_URI, "--state", str(runs.s3.state))
    secs = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return before, rejects_before, secs, done.stdout


def test_compaction_on_s3_leaves_one_file_per_partition_and_the_same_rows(
    runs: Runs, compacted: tuple[list[dict[str, Any]], list[dict[str, Any]], float, str]
) -> None:
    before, rejects_before, secs, summary = compacted
    assert comparable(rows(ARTICLES_URI)) == before
    files = dataset.dataset_files(*dataset.resolve_uri(ARTICLES_URI))
    partitions = Counter(f.rsplit("/", 1)[0] for f in files)
    assert partitions and set(partitions.values()) == {1}
    assert all("/part-compact-" in f for f in files)
    assert objects(ARTICLES_URI) == files  # the old objects are gone, nothing else left
    # Rejects: one per URL, the latest (both crawls rejected the same pages).
    rejects = dataset.read_rejects(REJECTS_URI).to_pylist()
    assert len(rejects) < len(rejects_before)
    assert {r["url"] for r in rejects} == {r["url"] for r in rejects_before}
    assert Counter(r["url"] for r in rejects).most_common(1)[0][1] == 1
    print(f"compaction on S3 (moto): {secs:.2f} s; {summary.strip()}")
    print(
        f"crawls (2 runs each): S3 {runs.s3_secs}, local {runs.local_secs} s;"
        f" pages {runs.first.stats.get('response_received_count')},"
        f" {runs.second.stats.get('response_received_count')}"
    )


def test_after_compaction_the_state_still_knows_every_article(
    runs: Runs, compacted: Any, tmp_path: Path
) -> None:
    with run_mirror(articles=ARTICLES, published=SECOND) as mirror:
        again = timed_crawl(mirror, tmp_path, s3_settings(runs.s3), [])
    assert again.stats.get("sputnik/writer/articles-written", 0) == 0
    assert again.stats["sputnik/state/skipped-stored"] > 0


def test_compaction_on_s3_wants_a_local_state(runs: Runs) -> None:
    done = compact(runs.s3, ARTICLES_URI)
    assert done.returncode == 1
    assert "--state" in done.stderr and "Traceback" not in done.stderr


# -- misconfiguration -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"DATASET_URI": "s3://no-such-bucket/articles"}, "DATASET_URI"),
        ({"REJECTS_URI": "s3://no-such-bucket/rejects"}, "REJECTS_URI"),
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:{port}"}, "DATASET_URI"),
        ({"S3_ENDPOINT_URL": "ftp://127.0.0.1"}, "S3_ENDPOINT_URL"),
    ],
)
def test_a_bad_bucket_or_endpoint_stops_the_crawl_before_any_request(
    s3: S3, tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    given = {
        "DATASET_URI": ARTICLES_URI + "-bad",
        "REJECTS_URI": REJECTS_URI + "-bad",
        "DATASET_STATE_PATH": str(tmp_path / "state.sqlite"),
        **{k: v.format(port=free_port()) for k, v in settings.items()},
    }
    started = time.perf_counter()
    with HostileServer() as site:
        crawl = run_crawl(None, tmp_path, settings={"SITE_ORIGIN": site.url, **given})
        assert site.requests == []  # not even robots.txt
    assert crawl.returncode == 1
    assert f"ERROR: Not started: {named}" in crawl.log, crawl.log[-3000:]
    assert "Traceback" not in crawl.log
    assert time.perf_counter() - started < 120  # the SDK's timeouts and retries are bounded
    assert not objects(ARTICLES_URI + "-bad")


def test_s3_settings_reach_the_filesystem_and_never_hold_keys() -> None:
    config = config_of(
        {
            "DATASET_URI": ARTICLES_URI,
            "REJECTS_URI": REJECTS_URI,
            "DATASET_STATE_PATH": "state.sqlite",
            "S3_ENDPOINT_URL": "https://s3.example.net:9000/",
            "S3_REGION": "eu-west-3",
        }
    )
    filesystem, root = config.resolve(config.dataset_uri)
    assert isinstance(filesystem, pafs.S3FileSystem)
    assert root == f"{BUCKET}/crawl/articles"
    assert filesystem.region == "eu-west-3"
    assert config.s3_endpoint_url == "https://s3.example.net:9000"
    with pytest.raises(ConfigError, match="DATASET_STATE_PATH"):
        config_of({"DATASET_URI": ARTICLES_URI, "REJECTS_URI": REJECTS_URI})
    with pytest.raises(ConfigError, match="DATASET_URI"):
        config_of({"DATASET_URI": "s3://", "DATASET_STATE_PATH": "state.sqlite"})
