"""ValidatePipeline and ParquetWriterPipeline on real files: partitions, schema, flushes, failures.

Unit tests build each pipeline with ``get_crawler`` and feed it items inside ``asyncio.run`` (the
writer's thread hand-off needs a running loop). The subprocess tests run ``scrapy runspider`` on
``tests/spiders_write.py`` and signal it.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset
import pyarrow.fs
import pyarrow.parquet as pq
import pytest
import scrapy
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import dataset
from crawler.items import ArticleItem, RejectItem, arrow_schema
from crawler.pipelines import write
from crawler.pipelines.validate import ValidatePipeline
from crawler.pipelines.write import ParquetWriterPipeline
from tests.spiders_write import make_article

REPO_ROOT = Path(__file__).resolve().parents[1]
SPIDER_FILE = REPO_ROOT / "tests" / "spiders_write.py"
WRITER = "crawler.pipelines.write.ParquetWriterPipeline"

FULL_PUBLISHER = {
    "name": "Sputnik",
    "email": "feedback@sputniknews.com",
    "telephone": None,
    "legal_name": "Sputnik International",
    "logo_url": "https://cdn.sputnikglobe.com/logo.png",
    "logo_width": 140,
    "logo_height": None,
}


class JobSpider(scrapy.Spider):
    name = "job_spider"

    def __init__(self, job_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if job_id is not None:
            self.job_id = job_id


def make_crawler(tmp_path: Path, job_id: str | None = "job-a", **settings: Any) -> Any:
    crawler = get_crawler(
        JobSpider,
        {
            "DATASET_URI": str(tmp_path / "articles"),
            "REJECTS_URI": str(tmp_path / "rejects"),
            **settings,
        },
    )
    crawler.spider = JobSpider.from_crawler(crawler, job_id=job_id)
    return crawler


def make_writer(tmp_path: Path, job_id: str | None = "job-a", **settings: Any) -> Any:
    return build_from_crawler(ParquetWriterPipeline, make_crawler(tmp_path, job_id, **settings))


async def feed(writer: ParquetWriterPipeline, items: list[Any], *, close: bool = True) -> None:
    await writer.open_spider()
    for item in items:
        await writer.process_item(item)
    if close:
        await writer.close_spider()


def visible_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def all_files(root: Path) -> list[Path]:
    """Every file under a dataset root but the state's (``_state/``, see crawler.state)."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "_state" not in p.relative_to(root).parts
    )


def stats(writer: ParquetWriterPipeline) -> dict[str, Any]:
    return writer.crawler.stats.get_stats()


def full_article(i: int = 0) -> ArticleItem:
    """An article with every column filled, some nested values null."""
    item = make_article(i, job_id="job-a")
    item.description = "Lead."
    item.section = "world"
    item.keywords = ["a phrase", "another"]
    item.authors = ["A. Writer"]
    item.genre = "News"
    item.language = "en"
    item.created_at = item.published_at - timedelta(minutes=5)
    item.modified_at = item.published_at + timedelta(hours=1)
    item.image_url = "https://cdn.sputnikglobe.com/img/1.jpg"
    item.images = [
        {"url": "https://cdn.sputnikglobe.com/img/1.jpg", "width": 1920, "height": 1080},
        {"url": "https://cdn.sputnikglobe.com/img/2.jpg", "width": None, "height": None},
    ]
    item.related_urls = ["https://sputnikglobe.com/20240101/other-1000999.html"]
    item.publisher = dict(FULL_PUBLISHER)
    item.copyright_year = 2024
    item.word_count = 7
    item.content_hash = "0" * 64
    item.referer = "https://sputnikglobe.com/20240101/other-1000999.html"
    item.depth = 1
    return item


def sparse_article(i: int = 1) -> ArticleItem:
    """Only the required columns: everything else null or an empty list."""
    return ArticleItem(
        url=f"https://sputnikglobe.com/20240409/sparse-{2_000_000 + i}.html",
        article_id=2_000_000 + i,
        headline="Sparse",
        published_at=datetime(2024, 4, 9, 12, 0, tzinfo=UTC),
    )


def as_row(item: Any) -> dict[str, Any]:
    return {f.name: getattr(item, f.name) for f in arrow_schema(type(item))}


# --- ValidatePipeline ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "empty", "reason"),
    [
        ("url", "", "missing-url"),
        ("article_id", None, "missing-article-id"),
        ("headline", None, "missing-headline"),
        ("headline", "  ", "missing-headline"),
        ("published_at", None, "missing-published-at"),
    ],
)
def test_validate_turns_missing_field_into_reject(tmp_path, field, empty, reason):
    pipeline = build_from_crawler(ValidatePipeline, make_crawler(tmp_path))
    item = full_article()
    setattr(item, field, empty)
    reject = pipeline.process_item(item)
    assert isinstance(reject, RejectItem)
    assert reject.reason == reason
    assert field in reject.detail
    assert (reject.url, reject.fetched_at, reject.depth, reject.referer, reject.job_id) == (
        item.url,
        item.fetched_at,
        item.depth,
        item.referer,
        item.job_id,
    )
    assert reject.status is None  # ArticleItem has no status column
    found = json.loads(reject.found)
    assert field not in found
    assert found["body"] == item.body
    assert found["images"] == item.images
    assert "fetched_at" not in found and "job_id" not in found  # columns of their own


def test_validate_names_every_missing_field_but_reasons_the_first(tmp_path):
    pipeline = build_from_crawler(ValidatePipeline, make_crawler(tmp_path))
    item = full_article()
    item.headline = None
    item.published_at = None
    reject = pipeline.process_item(item)
    assert reject.reason == "missing-headline"
    assert "headline" in reject.detail and "published_at" in reject.detail
    found = json.loads(reject.found)
    assert found["created_at"] == item.created_at.isoformat()
    assert "keywords" in found and "description" in found


def test_validate_passes_complete_articles_and_other_items(tmp_path):
    pipeline = build_from_crawler(ValidatePipeline, make_crawler(tmp_path))
    article = sparse_article()
    assert pipeline.process_item(article) is article
    reject = RejectItem(url="https://sputnikglobe.com/x", reason="not-article")
    assert pipeline.process_item(reject) is reject
    other = {"url": "x"}
    assert pipeline.process_item(other) is other


# --- ParquetWriterPipeline: layout and types ----------------------------------------------


def test_partitions_by_edition_then_utc_date(tmp_path):
    writer = make_writer(tmp_path)
    minus_one = timezone(timedelta(hours=-1))
    plus_three = timezone(timedelta(hours=3))
    late = sparse_article(1)
    late.published_at = datetime(2024, 4, 9, 23, 30, tzinfo=minus_one)  # 2024-04-10 00:30Z
    early = sparse_article(2)
    early.published_at = datetime(2024, 4, 10, 1, 30, tzinfo=plus_three)  # 2024-04-09 22:30Z
    naive = sparse_article(3)
    naive.published_at = datetime(2024, 4, 11, 23, 59)  # naive is taken as UTC
    # Its edition given (the normalizer's), or none: the URL's host says (es, on a former host).
    spanish = sparse_article(4)
    spanish.url = "https://noticiaslatam.lat/20240409/sparse-2000004.html"
    spanish.edition = "es"
    former = sparse_article(5)
    former.url = "https://mundo.sputniknews.com/20240409/sparse-2000005.html"
    reject = RejectItem(
        url="https://sputnikglobe.com/x",
        reason="http-404",
        status=404,
        fetched_at=datetime(2024, 4, 10, 1, 30, tzinfo=plus_three),
    )
    chinese = RejectItem(url="https://sputniknews.cn/x", edition="zh", reason="http-404")
    chinese.fetched_at = datetime(2024, 4, 9, 8, 0, tzinfo=UTC)
    nowhere = RejectItem(url="https://example.com/x", reason="redirect-off-site")
    nowhere.fetched_at = datetime(2024, 4, 9, 8, 0, tzinfo=UTC)
    asyncio.run(feed(writer, [late, early, naive, spanish, former, reject, chinese, nowhere]))

    def where(root: Path) -> dict[int | str, str]:
        table = pq.read_table(root, partitioning="hive")  # reads folder values as strings
        key = "article_id" if "article_id" in table.column_names else "url"
        return {r[key]: f"{r['edition']}/{r['date']}" for r in table.to_pylist()}

    assert where(tmp_path / "articles") == {
        late.article_id: "en/2024-04-10",
        early.article_id: "en/2024-04-09",
        naive.article_id: "en/2024-04-11",
        spanish.article_id: "es/2024-04-09",
        former.article_id: "es/2024-04-09",
    }
    assert where(tmp_path / "rejects") == {
        "https://sputnikglobe.com/x": "en/2024-04-09",
        "https://sputniknews.cn/x": "zh/2024-04-09",
        "https://example.com/x": "none/2024-04-09",  # on no edition's host
    }
    folders = {p.parent.relative_to(tmp_path).as_posix() for p in visible_files(tmp_path)}
    assert "articles/edition=es/date=2024-04-09" in folders
    assert "rejects/edition=none/date=2024-04-09" in folders
    table = dataset.read_articles(tmp_path / "articles")
    by_id = {r["article_id"]: r["published_at"] for r in table.to_pylist()}
    assert by_id[late.article_id] == datetime(2024, 4, 10, 0, 30, tzinfo=UTC)


def test_file_schema_is_items_schema_zstd_without_partition_columns(tmp_path):
    writer = make_writer(tmp_path)
    asyncio.run(feed(writer, [full_article(), sparse_article()]))
    files = visible_files(tmp_path / "articles")
    assert files
    for path in files:
        file_schema = pq.read_schema(path)
        assert file_schema.equals(dataset.file_schema(ArticleItem), check_metadata=False)
        assert set(arrow_schema(ArticleItem).names) - set(file_schema.names) == {"edition"}
        assert "date" not in file_schema.names
        assert file_schema.field("published_at").type == pa.timestamp("us", tz="UTC")
        assert file_schema.field("article_id").type == pa.int64()
        assert file_schema.field("images").type == pa.list_(
            pa.struct([("url", pa.string()), ("width", pa.int32()), ("height", pa.int32())])
        )
        assert pa.types.is_struct(file_schema.field("publisher").type)
        metadata = pq.ParquetFile(path).metadata
        assert metadata.row_group(0).column(0).compression == "ZSTD"
        assert path.name.startswith("part-job-a-00001-")


def test_nulls_and_empty_lists_round_trip(tmp_path):
    writer = make_writer(tmp_path)
    full, sparse = full_article(), sparse_article()
    partial_publisher = sparse_article(2)
    partial_publisher.publisher = {"name": "Sputnik"}  # missing struct keys read back as null
    asyncio.run(feed(writer, [full, sparse, partial_publisher]))
    rows = {r["article_id"]: r for r in dataset.read_articles(tmp_path / "articles").to_pylist()}
    assert len(rows) == 3
    for item in (full, sparse):
        row = rows[item.article_id]
        assert row.pop("date") == item.published_at.astimezone(UTC).date()
        assert row == {**as_row(item), "edition": "en"}  # from the folder, as the URL's host says
    assert rows[sparse.article_id]["tags"] == []  # empty list, not null
    assert rows[sparse.article_id]["publisher"] is None
    assert rows[partial_publisher.article_id]["publisher"] == {
        key: ("Sputnik" if key == "name" else None) for key in FULL_PUBLISHER
    }


def two_editions(tmp_path: Path) -> tuple[Path, list[ArticleItem]]:
    """An articles dataset of en and es, over several files, with colliding ids."""
    writer = make_writer(tmp_path, DATASET_FLUSH_ROWS=4)
    items = [full_article(i) for i in range(10)] + [sparse_article()]
    for i in range(3):  # the same ids as en's first three, on es's host
        spanish = full_article(i)
        spanish.url = spanish.url.replace("sputnikglobe.com", "noticiaslatam.lat")
        spanish.site, spanish.edition, spanish.language = "noticiaslatam.lat", "es", "es"
        items.append(spanish)
    asyncio.run(feed(writer, items))
    return tmp_path / "articles", items


DUCKDB_HIVE = "hive_partitioning = true, hive_types = {'edition': 'VARCHAR', 'date': 'DATE'}"
POLARS_HIVE = {"edition": pl.String, "date": pl.Date}


def test_readers_agree_on_rows_and_types(tmp_path):
    root, items = two_editions(tmp_path)
    # A temp file a killed crawl could leave behind: every reader below must skip it.
    temp = root / "edition=en" / "date=2024-04-09" / "_part-dead-00001-deadbeef.parquet.tmp"
    temp.write_bytes(b"PAR1 junk")
    glob = f"{root}/**/*.parquet"

    arrow = dataset.read_articles(root)
    duck = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', {DUCKDB_HIVE})").to_arrow_table()
    polars = pl.scan_parquet(glob, hive_partitioning=True, hive_schema=POLARS_HIVE).collect()

    assert arrow.schema.field("edition").type == pa.string()
    assert duck.schema.field("edition").type == pa.string()
    assert polars.schema["edition"] == pl.String
    assert arrow.schema.field("date").type == pa.date32()
    assert duck.schema.field("date").type == pa.date32()
    assert polars.schema["date"] == pl.Date
    assert arrow.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    # DuckDB gives TIMESTAMPTZ in its session time zone (here Etc/UTC): same instants.
    assert duck.schema.field("published_at").type.unit == "us"
    assert duck.schema.field("published_at").type.tz is not None
    assert polars.schema["published_at"] == pl.Datetime("us", "UTC")
    assert polars.schema["article_id"] == pl.Int64
    assert duck.schema.field("article_id").type == pa.int64()

    def rows(table: pa.Table) -> list[dict[str, Any]]:
        columns = [
            "edition", "article_id", "url", "published_at", "tags", "images", "publisher", "date"
        ]  # fmt: skip
        return sorted(
            table.select(columns).to_pylist(), key=lambda r: (r["edition"], r["article_id"])
        )

    expected = rows(arrow)
    assert len(expected) == len(items)
    assert {(r["edition"], r["url"]) for r in expected} == {
        ("es" if "noticiaslatam" in i.url else "en", i.url) for i in items
    }
    assert rows(duck) == expected
    assert rows(polars.to_arrow()) == expected


def test_readers_filtering_one_edition_open_no_other_files(tmp_path):
    root, items = two_editions(tmp_path)
    # Every en file made unreadable: a reader that opened one would fail.
    for path in (root / "edition=en").rglob("*.parquet"):
        path.write_bytes(b"PAR1 not parquet at all PAR1")
    spanish = sorted(i.url for i in items if i.edition == "es")

    arrow = dataset.open_dataset(root, ArticleItem).to_table(
        filter=pyarrow.dataset.field("edition") == "es", columns=["url"]
    )
    # DuckDB and Polars read the first file's footer for the schema, whatever the filter: name
    # the edition's folder (its hive value still read).
    duck = duckdb.sql(
        f"SELECT url, edition FROM read_parquet('{root}/edition=es/**/*.parquet', {DUCKDB_HIVE})"
    ).to_arrow_table()
    assert set(duck["edition"].to_pylist()) == {"es"}
    polars = pl.scan_parquet(
        f"{root}/edition=es/**/*.parquet", hive_partitioning=True, hive_schema=POLARS_HIVE
    ).collect()
    assert set(polars["edition"].to_list()) == {"es"}
    assert sorted(arrow["url"].to_pylist()) == spanish
    assert sorted(duck["url"].to_pylist()) == spanish
    assert sorted(polars["url"].to_list()) == spanish
    with pytest.raises(pa.ArrowInvalid):  # the en files are indeed broken
        dataset.read_articles(root)


def test_pandas_reads_the_partition_columns_with_their_types(tmp_path):
    pd = pytest.importorskip("pandas")  # not a dependency of the project
    root, items = two_editions(tmp_path)
    partitioning = pyarrow.dataset.partitioning(dataset.PARTITIONING, flavor="hive")
    frame = pd.read_parquet(root, engine="pyarrow", partitioning=partitioning)
    assert len(frame) == len(items)
    assert sorted(frame["edition"].unique()) == ["en", "es"]
    assert {type(d) for d in frame["date"]} == {type(items[0].published_at.date())}
    assert (frame.loc[frame["edition"] == "es", "article_id"].sort_values().tolist()) == [
        1_000_000,
        1_000_001,
        1_000_002,
    ]


# --- flushing ------------------------------------------------------------------------------


def test_flushes_every_n_rows_during_the_crawl(tmp_path):
    writer = make_writer(tmp_path, DATASET_FLUSH_ROWS="5")  # scrapyd passes strings
    root = tmp_path / "articles"
    same_day = [sparse_article(i) for i in range(12)]

    async def scenario() -> None:
        await writer.open_spider()
        for item in same_day[:4]:
            await writer.process_item(item)
        assert visible_files(root) == []
        await writer.process_item(same_day[4])
        assert len(visible_files(root)) == 1
        for item in same_day[5:12]:
            await writer.process_item(item)
            assert writer.articles.buffered < 5  # memory stays bounded
        assert len(visible_files(root)) == 2
        await writer.close_spider()

    asyncio.run(scenario())
    files = visible_files(root)
    assert sorted(pq.ParquetFile(p).metadata.num_rows for p in files) == [2, 5, 5]
    assert sorted(p.name.split("-")[3] for p in files) == ["00001", "00002", "00003"]
    assert stats(writer)["sputnik/writer/articles-written"] == 12
    assert stats(writer)["sputnik/writer/files-written"] == 3


def test_rejects_are_counted_and_written(tmp_path):
    writer = make_writer(tmp_path)
    now = datetime.now(UTC)
    rejects = [
        RejectItem(url="https://a", reason="http-404", status=404, fetched_at=now),
        RejectItem(url="https://b", reason="http-404", status=404, fetched_at=now),
        RejectItem(url="https://c", reason="missing-headline", found="{}", fetched_at=now),
        RejectItem(url="https://d", reason="not-article"),  # no fetched_at: the write time
    ]
    asyncio.run(feed(writer, rejects))
    assert stats(writer)["sputnik/rejects"] == 4
    assert stats(writer)["sputnik/rejects/http-404"] == 2
    assert stats(writer)["sputnik/rejects/missing-headline"] == 1
    assert stats(writer)["sputnik/writer/rejects-written"] == 4
    table = dataset.read_rejects(tmp_path / "rejects")
    assert table.schema.field("date").type == pa.date32()
    rows = {r["url"]: r for r in table.to_pylist()}
    assert rows["https://d"]["fetched_at"] is not None
    assert rows["https://d"]["date"] == rows["https://d"]["fetched_at"].date()
    assert rows["https://c"]["found"] == "{}"
    assert visible_files(tmp_path / "articles") == []


def test_two_jobs_writing_one_root_never_clash(tmp_path):
    first = make_writer(tmp_path, job_id="job-a", DATASET_FLUSH_ROWS=3)
    second = make_writer(tmp_path, job_id="job-b", DATASET_FLUSH_ROWS=3)
    # A rerun under the same job id must not overwrite the first run either.
    third = make_writer(tmp_path, job_id="job-a", DATASET_FLUSH_ROWS=3)
    writers = [first, second, third]

    async def interleaved() -> None:
        for w in writers:
            await w.open_spider()
        for i in range(10):
            for n, w in enumerate(writers):
                await w.process_item(sparse_article(100 * n + i))
        await asyncio.gather(*(w.close_spider() for w in writers))

    asyncio.run(interleaved())
    files = visible_files(tmp_path / "articles")
    assert len(files) == len({p.name for p in files}) == 12  # 4 files per job: 3+3+3+1
    assert {p.name.split("-")[1] + "-" + p.name.split("-")[2] for p in files} == {
        "job-a",
        "job-b",
    }
    ids = dataset.read_articles(tmp_path / "articles").column("article_id").to_pylist()
    assert sorted(ids) == sorted(2_000_000 + 100 * n + i for n in range(3) for i in range(10))


def test_job_id_generated_when_spider_has_none(tmp_path):
    writer = make_writer(tmp_path, job_id=None)
    asyncio.run(feed(writer, [sparse_article()]))
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", writer.job_id)
    (path,) = visible_files(tmp_path / "articles")
    assert path.name.startswith(f"part-{writer.job_id}-00001-")


# --- failures ------------------------------------------------------------------------------


def failing_write_table(calls: list[str]) -> Any:
    """A ``pq.write_table`` that writes half a file, then fails like a full disk."""
    real = pq.write_table

    def half_write(table: pa.Table, where: str, *, filesystem: Any, **kwargs: Any) -> None:
        calls.append(where)
        sink = pa.BufferOutputStream()
        real(table, sink, **kwargs)
        data = sink.getvalue().to_pybytes()
        with filesystem.open_output_stream(where) as out:
            out.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    return half_write


def test_failed_write_leaves_no_visible_file_and_retries(tmp_path, monkeypatch, caplog):
    writer = make_writer(tmp_path, DATASET_FLUSH_ROWS=3)
    root = tmp_path / "articles"
    items = [sparse_article(i) for i in range(8)]
    calls: list[str] = []

    async def scenario() -> None:
        await writer.open_spider()
        with monkeypatch.context() as patch:
            patch.setattr(write.pq, "write_table", failing_write_table(calls))
            for item in items[:3]:
                await writer.process_item(item)
        assert calls and all(Path(c).name.startswith("_") for c in calls)
        assert visible_files(root) == []
        assert all(p.name.startswith("_") for p in all_files(root))
        assert stats(writer)["sputnik/writer/write-errors"] == 1
        assert writer.articles.buffered == 3  # kept for the next flush
        for item in items[3:5]:
            await writer.process_item(item)
        assert visible_files(root) == []  # no retry on every item: waits for 3 more rows
        await writer.process_item(items[5])
        assert len(visible_files(root)) == 1
        for item in items[6:]:
            await writer.process_item(item)
        await writer.close_spider()

    asyncio.run(scenario())
    assert "Failed to write 3 rows" in caplog.text
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)
    ids = dataset.read_articles(root).column("article_id").to_pylist()
    assert sorted(ids) == [a.article_id for a in items]  # each row exactly once
    assert stats(writer)["sputnik/writer/articles-written"] == 8
    assert [p for p in all_files(root) if p.name.startswith("_")] == []


def test_persistent_write_failure_closes_the_crawl(tmp_path, monkeypatch):
    crawler = make_crawler(tmp_path, DATASET_FLUSH_ROWS=2)
    reasons: list[str] = []

    class Engine:
        async def close_spider_async(self, *, reason: str) -> None:
            reasons.append(reason)

    crawler.engine = Engine()
    writer = build_from_crawler(ParquetWriterPipeline, crawler)
    monkeypatch.setattr(write.pq, "write_table", failing_write_table([]))

    async def scenario() -> None:
        await writer.open_spider()
        # Flushes at 2, 4 and 6 buffered rows (a retry waits for FLUSH_ROWS new rows).
        for i in range(6):
            await writer.process_item(sparse_article(i))
        await asyncio.sleep(0)
        assert reasons == ["write-failed"]
        await writer.close_spider()

    asyncio.run(scenario())
    assert stats(writer)["sputnik/writer/write-errors"] == 4  # three flushes and the one at close
    assert stats(writer)["sputnik/writer/rows-lost"] == 6
    assert visible_files(tmp_path / "articles") == []


def test_row_that_does_not_fit_the_schema_is_dropped_loudly(tmp_path, caplog):
    writer = make_writer(tmp_path)
    bad = sparse_article(1)
    bad.article_id = "not a number"
    good = [sparse_article(i) for i in range(2, 5)]
    asyncio.run(feed(writer, [bad, *good]))
    ids = dataset.read_articles(tmp_path / "articles").column("article_id").to_pylist()
    assert sorted(ids) == [a.article_id for a in good]
    assert stats(writer)["sputnik/writer/rows-dropped"] == 1
    assert "sputnik/writer/write-errors" not in stats(writer)  # one counter per event
    assert bad.url in caplog.text


def test_article_without_datetime_is_dropped_loudly(tmp_path):
    writer = make_writer(tmp_path)
    item = sparse_article()
    item.published_at = "2024-04-09T12:00:00Z"  # page text never decides the partition

    async def scenario() -> None:
        await writer.open_spider()
        with pytest.raises(DropItem, match="published_at"):
            await writer.process_item(item)
        await writer.close_spider()

    asyncio.run(scenario())
    assert stats(writer)["sputnik/writer/rows-dropped"] == 1
    assert all_files(tmp_path / "articles") == []


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"DATASET_FLUSH_ROWS": 0}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_FLUSH_ROWS": -5}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_FLUSH_ROWS": "abc"}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_FLUSH_ROWS": "2.5"}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_FLUSH_ROWS": 2.5}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_FLUSH_ROWS": True}, "DATASET_FLUSH_ROWS"),
        ({"DATASET_URI": ""}, "DATASET_URI"),
        ({"REJECTS_URI": "   "}, "REJECTS_URI"),
        ({"DATASET_URI": "nosuch://bucket/x"}, "DATASET_URI"),
        ({"DATASET_URI": "{a_file}/articles"}, "DATASET_URI"),
        ({"REJECTS_URI": "{tmp}/articles/rejects"}, "REJECTS_URI"),
    ],
)
def test_bad_setting_raises_naming_it(tmp_path, settings, name):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    settings = {k: v.format(a_file=a_file, tmp=tmp_path) if isinstance(v, str) else v
                for k, v in settings.items()}  # fmt: skip
    with pytest.raises(ValueError, match=name):
        make_writer(tmp_path, **settings)


def test_file_uri_is_accepted(tmp_path):
    writer = make_writer(tmp_path, DATASET_URI=(tmp_path / "via-uri").as_uri())
    asyncio.run(feed(writer, [sparse_article()]))
    assert len(visible_files(tmp_path / "via-uri")) == 1
    assert dataset.read_articles((tmp_path / "via-uri").as_uri()).num_rows == 1


# --- real crawls in a subprocess -----------------------------------------------------------


def runspider(tmp_path: Path, *args: str, **settings: Any) -> subprocess.Popen[str]:
    """``scrapy runspider tests/spiders_write.py`` outside the project (no project settings)."""
    settings = {
        "ITEM_PIPELINES": json.dumps({WRITER: 900}),
        "DATASET_URI": str(tmp_path / "articles"),
        "REJECTS_URI": str(tmp_path / "rejects"),
        "LOG_LEVEL": "INFO",
        **settings,
    }
    command = [sys.executable, "-m", "scrapy", "runspider", str(SPIDER_FILE), *args]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)


def wait_for_items(process: subprocess.Popen[str], count: int) -> None:
    """Read the crawl's log until the spider says it yielded item ``count``."""
    assert process.stderr is not None
    for line in process.stderr:
        if f"Yielding item {count}" in line:
            return
    pytest.fail(f"the crawl ended before yielding {count} items")


@pytest.mark.timeout(120)
def test_sigterm_flushes_buffered_rows(tmp_path):
    stats_file = tmp_path / "stats.json"
    process = runspider(
        tmp_path,
        *("-a", "count=1000", "-a", "delay_secs=0.02", "-a", "job_id=sigterm"),
        *("-a", f"stats_file={stats_file}"),
        DATASET_FLUSH_ROWS=7,
    )
    wait_for_items(process, 30)
    flushed_before = len(visible_files(tmp_path / "articles"))
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=60)
    assert process.returncode == 0, log

    crawl = json.loads(stats_file.read_text())
    assert crawl["test/close_reason"] == "shutdown"
    yielded = crawl["test/yielded"]
    assert 30 <= yielded < 1000
    assert flushed_before >= 1  # files appeared while the crawl ran
    table = dataset.read_articles(tmp_path / "articles")
    assert table.num_rows == yielded == crawl["item_scraped_count"]
    assert crawl["sputnik/writer/articles-written"] == yielded
    assert sorted(table.column("article_id").to_pylist()) == [1_000_000 + i for i in range(yielded)]
    assert [p for p in all_files(tmp_path / "articles") if p.name.startswith("_")] == []


@pytest.mark.timeout(120)
def test_sigkill_leaves_no_broken_visible_file(tmp_path):
    process = runspider(
        tmp_path, "-a", "count=1000", "-a", "delay_secs=0.002", DATASET_FLUSH_ROWS=3
    )
    wait_for_items(process, 200)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    files = visible_files(tmp_path / "articles")
    assert files
    # Each visible file is whole. (It may hold more than 3 rows: those that came in while the
    # previous flush was writing.)
    rows = sum(pq.read_table(path).num_rows for path in files)
    assert dataset.read_articles(tmp_path / "articles").num_rows == rows >= 3


@pytest.mark.timeout(120)
def test_bad_setting_stops_the_crawl_before_it_starts(tmp_path):
    process = runspider(tmp_path, "-a", "count=5", DATASET_FLUSH_ROWS="many")
    _, log = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "DATASET_FLUSH_ROWS must be a whole number >= 1" in log
    assert "Spider opened" not in log
    assert not (tmp_path / "articles").exists()


def test_a_rename_retries_once_compaction_has_moved_the_temp_file(tmp_path):
    # Compaction swaps a partition's folder, then moves temp files being written into the new
    # one: a rename in between finds nothing, and must find the file a moment later.
    filesystem = pa.fs.LocalFileSystem()
    temp, final = tmp_path / "_part.parquet.tmp", tmp_path / "part.parquet"
    mover = threading.Timer(0.02, lambda: temp.write_bytes(b"rows"))
    mover.start()
    write._rename_into_place(filesystem, str(temp), str(final))
    mover.join()
    assert final.read_bytes() == b"rows" and not temp.exists()
    with pytest.raises(FileNotFoundError):  # never there: the flush fails, its rows kept
        write._rename_into_place(filesystem, str(temp), str(final))
