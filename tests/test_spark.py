"""Spark reads the dataset: ``spark.read.parquet`` on a real two-edition crawl of the mirror,
in a local pyspark session on Java 17; and the same crawl written into S3 (a moto server).

pyspark's wheel has no S3A connector (``hadoop-aws`` and the AWS SDK bundle come from Maven, which
this machine and CI cannot reach), so ``s3a://`` is not read here: the S3 test copies the bucket's
objects key for key to a local folder and reads that, which checks that the objects a crawl puts
on S3 are a dataset Spark reads. The README gives the ``s3a://`` settings for a machine with Maven.

Marked ``spark`` and deselected by default (pyproject's ``addopts``): ``make test-spark`` installs
``requirements-spark.lock`` and Java, then runs ``pytest -m spark``. Selected without pyspark or
Java, these tests fail, never skip.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from crawler.dataset import PARTITIONING, file_schema, read_articles, read_rejects, resolve_uri
from crawler.items import ArticleItem, RejectItem
from tests.crawl import Crawl, run_crawl
from tests.mirror.process import run_mirror
from tests.s3_server import run_s3

try:
    from py4j.protocol import Py4JJavaError  # a Java exception, as pyspark raises it

    # F and T: the names Spark's own documentation gives these modules
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import from_arrow_schema
except ImportError as error:  # `make test` deselects these tests and does not install pyspark
    PYSPARK_MISSING: ImportError | None = error
else:
    PYSPARK_MISSING = None

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.3 warns on import about pandas 3 (the dev lock's, for the README's readers);
    # nothing here goes through pandas: Spark's Arrow path is pyarrow's.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.timeout(600),
]

EDITIONS = ("en", "es")
ARTICLES = 150  # per edition
DEPTH = 1  # the home pages and what they link to: a few dozen articles per edition, many dates


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    with run_mirror(articles=ARTICLES, editions=EDITIONS) as mirror:
        done = run_crawl(
            mirror,
            tmp_path_factory.mktemp("spark-crawl"),
            "-a",
            "editions=" + ",".join(EDITIONS),
            settings={"DEPTH_LIMIT": str(DEPTH)},
        )
    assert done.returncode == 0, done.log[-3000:]
    return done


def java_home() -> str:
    """The Java pyspark starts: ``JAVA_HOME``'s, else ``java`` on the ``PATH``."""
    if home := os.environ.get("JAVA_HOME"):
        if os.access(Path(home, "bin", "java"), os.X_OK):
            return home
        pytest.fail(f"JAVA_HOME={home} has no bin/java")
    found = shutil.which("java")
    if found is None:
        pytest.fail("no Java: `make test-spark` installs openjdk-17-jre-headless")
    return str(Path(found).resolve().parent.parent)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local session for the module: one core, no UI, timestamps shown in UTC."""
    if PYSPARK_MISSING is not None:
        pytest.fail(f"pyspark is missing ({PYSPARK_MISSING}): run `make test-spark`")
    os.environ.setdefault("JAVA_HOME", java_home())
    scratch = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("sputnik-test-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        # Nothing lands in the working tree (a warehouse folder, spill files).
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config("spark.local.dir", str(scratch / "local"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def articles(spark: SparkSession, crawl: Crawl) -> DataFrame:
    return spark.read.parquet(str(crawl.articles))


def spark_schema(item_class: type) -> T.StructType:
    """The schema Spark should infer: the files' columns (the project's Arrow schema in Spark's
    types), then the partition columns from the folder names, outermost first."""
    schema = from_arrow_schema(file_schema(item_class))
    for field in from_arrow_schema(PARTITIONING).fields:
        schema.add(field)
    return schema


def sorted_rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda row: (row["url"], row["fetched_at"]))


def test_schema_is_the_projects_with_edition_and_date_as_partition_columns(
    articles: DataFrame,
) -> None:
    assert articles.schema == spark_schema(ArticleItem)
    types = {field.name: field.dataType for field in articles.schema.fields}
    # Every timestamp(us, UTC) column is an instant: TimestampType, not NTZ, not a number.
    instants = [f.name for f in file_schema(ArticleItem) if pa.types.is_timestamp(f.type)]
    assert {"published_at", "fetched_at"} <= set(instants)
    assert all(types[name] == T.TimestampType() for name in instants)
    assert types["tags"] == T.ArrayType(T.StringType())
    assert types["images"] == T.ArrayType(
        T.StructType(
            [
                T.StructField("url", T.StringType()),
                T.StructField("width", T.IntegerType()),
                T.StructField("height", T.IntegerType()),
            ]
        )
    )
    assert isinstance(types["publisher"], T.StructType)
    assert "name" in types["publisher"].fieldNames()
    # The partition columns come last, typed from the folder names.
    assert articles.columns[-2:] == ["edition", "date"]
    assert (types["edition"], types["date"]) == (T.StringType(), T.DateType())


def test_every_row_and_value_equals_pyarrows_read(articles: DataFrame, crawl: Crawl) -> None:
    expected = read_articles(crawl.articles)
    assert expected.num_rows > 50
    assert set(expected.column("edition").to_pylist()) == set(EDITIONS)
    assert articles.count() == expected.num_rows
    assert sorted_rows(articles.toArrow()) == sorted_rows(expected)


def test_date_partition_is_the_utc_date_of_published_at(articles: DataFrame) -> None:
    dates = articles.select("date").distinct().count()
    assert dates > 1
    assert articles.where(F.col("date") != F.to_date("published_at")).count() == 0


def test_filtering_an_edition_reads_only_its_rows(
    spark: SparkSession, articles: DataFrame, crawl: Crawl
) -> None:
    table = read_articles(crawl.articles)
    spanish = table.filter(pc.equal(table.column("edition"), "es"))
    rows = articles.where("edition = 'es'")
    assert 0 < rows.count() == spanish.num_rows < table.num_rows
    assert {r.site for r in rows.select("site").distinct().collect()} == set(
        spanish.column("site").to_pylist()
    )
    # Spark prunes on the partition column: the filter is among the scan's partition filters
    # (only edition=es/ files are opened), none is left to apply to the rows it reads.
    plan = rows._jdf.queryExecution().toString()
    assert re.search(r"PartitionFilters: \[[^\]]*\(edition#\d+ = es\)\]", plan), plan
    assert "DataFilters: []" in plan
    # One edition's folder read alone keeps its partition column, given the dataset's root.
    folder = spark.read.option("basePath", str(crawl.articles)).parquet(
        str(crawl.articles / "edition=es")
    )
    assert folder.schema == articles.schema
    assert sorted_rows(folder.toArrow()) == sorted_rows(spanish)


def test_rejects_read_with_their_schema(spark: SparkSession, crawl: Crawl) -> None:
    rejects = spark.read.parquet(str(crawl.rejects))
    assert rejects.schema == spark_schema(RejectItem)
    expected = read_rejects(crawl.rejects)
    assert expected.num_rows > 0
    assert sorted_rows(rejects.toArrow()) == sorted_rows(expected)
    assert rejects.where(F.col("date") != F.to_date("fetched_at")).count() == 0


def test_temp_files_are_skipped_and_older_files_merge(
    spark: SparkSession, crawl: Crawl, tmp_path: Path
) -> None:
    """A writer's ``_part-….parquet.tmp`` is not read; a file written before the ``layout``
    column (issue 9) reads with ``layout`` null under ``mergeSchema``."""
    root = tmp_path / "articles"
    shutil.copytree(crawl.articles, root)
    first = sorted(root.glob("edition=en/date=*/part-*.parquet"))[0]
    (first.parent / "_part-killed-writer.parquet.tmp").write_bytes(b"PAR1 cut short")
    old = pq.read_table(first).drop_columns(["layout"])
    old_folder = root / "edition=en" / "date=2000-01-01"
    old_folder.mkdir()
    pq.write_table(old, old_folder / "part-before-layout.parquet")

    merged = spark.read.option("mergeSchema", "true").parquet(str(root))
    assert {f.name: f for f in merged.schema} == {f.name: f for f in spark_schema(ArticleItem)}
    assert merged.count() == read_articles(crawl.articles).num_rows + old.num_rows
    layouts = merged.where("date = DATE'2000-01-01'").select("layout").distinct().collect()
    assert layouts == [T.Row(layout=None)]
    assert merged.where("date != DATE'2000-01-01' AND layout IS NULL").count() == 0


# -- on S3 ----------------------------------------------------------------------------------------


BUCKET = "sputnik-spark"
ARTICLES_URI = f"s3://{BUCKET}/crawl/articles"
REJECTS_URI = f"s3://{BUCKET}/crawl/rejects"


@pytest.fixture(scope="module")
def s3_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """The same two-edition crawl, written into a moto S3 server's bucket; the server (and the
    ``AWS_*`` variables that point at it) lasts as long as the module's tests."""
    out = tmp_path_factory.mktemp("spark-s3-crawl")
    settings = {
        "DEPTH_LIMIT": str(DEPTH),
        "DATASET_URI": ARTICLES_URI,
        "REJECTS_URI": REJECTS_URI,
        # The "already stored" state is SQLite: a local file, not an object.
        "DATASET_STATE_PATH": str(out / "state" / "articles.sqlite"),
    }
    with run_s3(BUCKET), run_mirror(articles=ARTICLES, editions=EDITIONS) as mirror:
        done = run_crawl(mirror, out, "-a", "editions=" + ",".join(EDITIONS), settings=settings)
        assert done.returncode == 0, done.log[-3000:]
        yield done


def copy_of(uri: str, to: Path) -> Path:
    """Every object under an ``s3://`` root, copied key for key into the folder ``to``."""
    filesystem, root = resolve_uri(uri)
    pafs.copy_files(
        root, str(to), source_filesystem=filesystem, destination_filesystem=pafs.LocalFileSystem()
    )
    return to


def test_spark_reads_the_objects_a_crawl_wrote_to_s3(
    spark: SparkSession, s3_crawl: Crawl, tmp_path: Path
) -> None:
    """Spark reads the bucket's objects as they lie (copied key for key): the project's schema,
    ``edition`` and ``date`` as partition columns, and every row pyarrow reads from S3 itself."""
    assert s3_crawl.stats["sputnik/writer/articles-written"] > 50
    articles = spark.read.parquet(str(copy_of(ARTICLES_URI, tmp_path / "articles")))
    assert articles.schema == spark_schema(ArticleItem)
    assert articles.columns[-2:] == ["edition", "date"]
    expected = read_articles(ARTICLES_URI)
    assert set(expected.column("edition").to_pylist()) == set(EDITIONS)
    assert articles.count() == expected.num_rows
    assert sorted_rows(articles.toArrow()) == sorted_rows(expected)
    assert articles.where(F.col("date") != F.to_date("published_at")).count() == 0

    rejects = spark.read.parquet(str(copy_of(REJECTS_URI, tmp_path / "rejects")))
    assert rejects.schema == spark_schema(RejectItem)
    expected_rejects = read_rejects(REJECTS_URI)
    assert expected_rejects.num_rows > 0
    assert sorted_rows(rejects.toArrow()) == sorted_rows(expected_rejects)


def test_pysparks_own_jars_have_no_s3a_connector(spark: SparkSession, s3_crawl: Crawl) -> None:
    """Why the test above copies: ``s3a://`` needs ``hadoop-aws`` from Maven (README). When a
    pyspark release ships the connector, this fails: read ``s3a://`` directly there instead."""
    with pytest.raises(Py4JJavaError, match=r"ClassNotFoundException.*S3AFileSystem"):
        spark.read.parquet(ARTICLES_URI.replace("s3://", "s3a://", 1))
