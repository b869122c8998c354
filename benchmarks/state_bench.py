"""The dataset state at scale: "is this article stored?" at a million articles.

Writes a synthetic articles dataset (the real schema; ids, hashes and dates filled, text columns
empty, since the state reads only ``article_id``, ``content_hash`` and ``fetched_at``), then
measures what incremental crawls pay for the state (``crawler/state.py``):

- rebuild: the state is missing and is rebuilt from every file of the dataset;
- start: a crawl's start when the state knows every file (list the dataset, compare);
- lookups: ``contains()`` per article request (the spider middleware), stored and not stored;
- flush check: ``new_versions()`` for one flush of ``DATASET_FLUSH_ROWS`` rows, under the lock;
- the database's size on disk;
- with ``--migrate``: the dataset is written in the layout of before editions (``date=`` folders
  at the top) and moved by ``python -m crawler migrate`` (``crawler.migrate``) first.

Examples:

    python benchmarks/state_bench.py                          # 1,000,000 articles, 2,740 days
    python benchmarks/state_bench.py --articles 100000 --days 365 --files-per-day 24
    python benchmarks/state_bench.py --articles 10000 --days 30 --files-per-day 24 --migrate
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy.settings import Settings

from crawler.config import Config
from crawler.dataset import file_schema
from crawler.items import ArticleItem
from crawler.migrate import migrate
from crawler.state import ArticleState, open_state, state_location

ARTICLES = 1_000_000
DAYS = 2_740  # about 365 articles a day for 7.5 years
FILES_PER_DAY = 1  # a compacted dataset; try 24 for hourly crawls never compacted
LOOKUPS = 200_000
FLUSH_ROWS = 1_000
FIRST_ID = 1_100_000_000
START = datetime(2017, 1, 1, tzinfo=UTC)


def build(root: Path, articles: int, days: int, files_per_day: int, old: bool = False) -> int:
    """Write the dataset (``old``: in the layout of before editions); the number of files."""
    schema = file_schema(ArticleItem)
    per_day = articles // days
    files = 0
    fetched = datetime(2025, 1, 1, tzinfo=UTC)
    for day in range(days):
        first = day * per_day
        count = per_day if day < days - 1 else articles - first
        ids = list(range(FIRST_ID + first, FIRST_ID + first + count))
        published = [START + timedelta(days=day, seconds=i) for i in range(count)]
        columns = {name: pa.nulls(count, schema.field(name).type) for name in schema.names}
        columns["article_id"] = pa.array(ids, pa.int64())
        columns["url"] = pa.array([f"https://sputnikglobe.com/x/{i}.html" for i in ids])
        columns["content_hash"] = pa.array([f"{i:064x}" for i in ids])
        columns["published_at"] = pa.array(published, schema.field("published_at").type)
        columns["fetched_at"] = pa.array([fetched] * count, schema.field("fetched_at").type)
        table = pa.table(columns, schema=schema)
        edition = "" if old else "edition=en/"
        folder = root / f"{edition}date={START + timedelta(days=day):%Y-%m-%d}"
        folder.mkdir(parents=True)
        step = -(-count // files_per_day)
        for n, offset in enumerate(range(0, count, step)):
            pq.write_table(table.slice(offset, step), folder / f"part-bench-{n:05d}.parquet")
            files += 1
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--files-per-day", type=int, default=FILES_PER_DAY)
    parser.add_argument("--lookups", type=int, default=LOOKUPS)
    parser.add_argument("--flush-rows", type=int, default=FLUSH_ROWS)
    parser.add_argument(
        "--migrate", action="store_true", help="write the old layout and migrate it first"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="state-bench-") as tmp:
        root = Path(tmp) / "articles"
        started = time.perf_counter()
        files = build(root, args.articles, args.days, args.files_per_day, old=args.migrate)
        print(
            f"dataset: {args.articles:,} articles in {files:,} files over {args.days:,} days"
            f" (written in {time.perf_counter() - started:.1f} s)"
        )
        location = state_location(Config.from_settings(Settings({"DATASET_URI": str(root)})))
        assert location is not None
        if args.migrate:
            report = migrate(root)
            print(
                f"migration: {len(report.roots[0].partitions):,} date= folders,"
                f" {report.roots[0].files:,} files moved, state rebuilt"
                f" ({report.state_articles:,} articles) in {report.secs:.2f} s"
            )
            for path in Path(location.path).parent.glob(f"{Path(location.path).name}*"):
                path.unlink()  # so that the rebuild below is measured as without --migrate

        state, report = open_state(location)
        print(f"rebuild from the dataset: {report.secs:.2f} s ({report.rows:,} rows)")
        state.close()
        size = sum(p.stat().st_size for p in Path(location.path).parent.iterdir())
        print(f"state on disk: {size / 1e6:.1f} MB ({size / args.articles:.0f} bytes/article)")

        started = time.perf_counter()
        state, report = open_state(location)
        count = state.count()
        print(
            f"start of a crawl (open, list {files:,} files, compare, count):"
            f" {time.perf_counter() - started:.3f} s, {count:,} articles"
        )

        rng = random.Random(1)
        present = [FIRST_ID + rng.randrange(args.articles) for _ in range(args.lookups)]
        absent = [FIRST_ID + args.articles + rng.randrange(10**6) for _ in range(args.lookups)]
        for label, ids in (("stored", present), ("not stored", absent)):
            started = time.perf_counter()
            hits = sum(state.contains("en", i) for i in ids)
            per = (time.perf_counter() - started) / len(ids)
            print(f"contains(), {label}: {per * 1e6:.1f} µs per lookup ({hits:,} hits)")

        now = datetime.now(UTC)
        batch = [
            {"article_id": i, "content_hash": f"{i:064x}", "fetched_at": now}
            for i in present[: args.flush_rows // 2] + absent[: args.flush_rows // 2]
        ]
        started = time.perf_counter()
        with state.writing():
            new, _, same = state.new_versions("en", batch)
        print(
            f"new_versions() for a flush of {len(batch):,} rows: "
            f"{(time.perf_counter() - started) * 1e3:.1f} ms ({len(new)} new, {len(same)} stored)"
        )
        state.close()
        ArticleState(location).close()


if __name__ == "__main__":
    main()
