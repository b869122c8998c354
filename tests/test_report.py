"""``python -m crawler report``: the numbers in the page, offline, and the page in real Chromium.

The dataset is written by the real writer pipeline (two jobs of made-up rows, as
tests/test_write.py does) plus one file of an older schema without ``layout``; health records are
fixtures in the format the monitors write (``<DATASET_URI>/_health/<job_id>.json``).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow.parquet as pq
import pytest
import scrapy
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.dataset import file_schema
from crawler.items import ArticleItem, RejectItem
from crawler.pipelines.write import ParquetWriterPipeline
from tests.crawl import run_crawl
from tests.mirror import seed
from tests.mirror.model import PUBLIC_ORIGIN
from tests.spiders_write import make_article

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.mirror.process import Mirror

REPO_ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("world", "russia", "economy", "military")
OLD_ROWS = 4  # rows in the file written before the layout column existed
HIVE = "hive_partitioning = true, hive_types = {'edition': 'VARCHAR', 'date': 'DATE'}"


class JobSpider(scrapy.Spider):
    name = "job_spider"

    def __init__(self, job_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id


def write_job(root: Path, job_id: str, items: list[Any]) -> None:
    """Write ``items`` with the real writer, as one crawl job would."""
    crawler = get_crawler(
        JobSpider,
        {"DATASET_URI": str(root / "articles"), "REJECTS_URI": str(root / "rejects")},
    )
    crawler.spider = JobSpider.from_crawler(crawler, job_id=job_id)
    writer = build_from_crawler(ParquetWriterPipeline, crawler)

    async def feed() -> None:
        await writer.open_spider()
        for item in items:
            await writer.process_item(item)
        await writer.close_spider()

    asyncio.run(feed())


def article(i: int, job_id: str, layout: str = "current") -> ArticleItem:
    item = make_article(i, job_id=job_id)
    item.section = SECTIONS[i % len(SECTIONS)]
    item.authors = [f"Author {i % 3}"] if i % 2 else []
    item.description = "Lead." if i % 3 else None
    item.layout = layout
    return item


def spanish(item: ArticleItem) -> ArticleItem:
    """The article on the es edition's host (its edition left to the writer to find)."""
    item.url = item.url.replace("sputnikglobe.com", "noticiaslatam.lat")
    item.site = "noticiaslatam.lat"
    return item


def reject(i: int, job_id: str, reason: str) -> RejectItem:
    return RejectItem(
        url=f"https://sputnikglobe.com/20240409/broken-{i}.html",
        reason=reason,
        detail="Made up for the report test.",
        status=200,
        fetched_at=make_article(i).fetched_at,
        depth=1,
        job_id=job_id,
    )


def health(root: Path, job_id: str, *, healthy: bool, failures: list[dict[str, str]]) -> None:
    folder = root / "articles" / "_health"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "job_id": job_id,
        "spider": "sputnik",
        "started_at": f"2026-11-0{1 if healthy else 2}T10:00:00Z",
        "finished_at": f"2026-11-0{1 if healthy else 2}T10:05:00Z",
        "finish_reason": "finished",
        "healthy": healthy,
        "failures": failures,
        "stats": {"pages": 40, "articles_written": 20, "rejects": 3},
    }
    (folder / f"{job_id}.json").write_text(json.dumps(record))


def write_old_file(root: Path) -> None:
    """A partition file in the schema before ``layout`` (issue 9), as older crawls left."""
    items = [article(100 + i, "job-old") for i in range(OLD_ROWS)]
    schema = file_schema(ArticleItem)
    rows = [{name: getattr(item, name) for name in schema.names} for item in items]
    table = schema.empty_table().from_pylist(rows, schema=schema).drop_columns(["layout"])
    folder = root / "articles" / "edition=en" / "date=2024-04-09"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-job-old-00000-0000old0.parquet")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    write_job(
        root,
        "job-a",
        [article(i, "job-a") for i in range(20)]
        + [reject(i, "job-a", "not-article") for i in range(3)],
    )
    write_job(
        root,
        "job-b",
        [article(i, "job-b", "earlier" if i % 4 else "generic") for i in range(20, 26)]
        + [spanish(article(i, "job-b", "earlier" if i % 4 else "generic")) for i in range(26, 30)]
        + [reject(i, "job-b", "missing-headline") for i in range(5)]
        + [reject(i, "job-b", "http-5xx") for i in range(2)],
    )
    write_old_file(root)
    health(root, "job-a", healthy=True, failures=[])
    (root / "articles" / "_health" / ".job-c.json.tmp").write_text("{")  # being written
    (root / "articles" / "_health" / "job-d.json").write_text('{"job_id": "job-d"')  # cut short
    health(
        root,
        "job-b",
        healthy=False,
        failures=[{"monitor": "Markup drift", "reason": "headline coverage 80 % below 98 %"}],
    )
    return root


def run_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "report", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def report(dataset: Path) -> Path:
    out = dataset / "report.html"
    done = run_report(
        str(dataset / "articles"), "--rejects", str(dataset / "rejects"), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    return out


def table_rows(page: str, css: str) -> list[list[str]]:
    """The body cells of the table of that class."""
    found = re.search(rf'<table class="{css}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table {css}"
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in found[1].split("</tr>") if row]


def test_numbers_match_the_dataset(dataset: Path, report: Path) -> None:
    page = report.read_text()
    source = f"read_parquet('{dataset}/articles/**/*.parquet', {HIVE}, union_by_name = true)"
    per_day = duckdb.sql(f"SELECT date, count(*) FROM {source} GROUP BY 1 ORDER BY 1").fetchall()
    assert [(row[0], int(row[1])) for row in table_rows(page, "per-day")] == [
        (str(day), n) for day, n in per_day
    ]
    assert "34 articles, 10 rejects" in page
    editions = duckdb.sql(
        f"SELECT edition, count(*), min(date), max(date) FROM {source} GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    assert [
        (e, int(n), r, first, last) for e, n, r, first, last in table_rows(page, "editions")
    ] == [
        (edition, n, "10" if edition == "en" else "0", str(first), str(last))
        for edition, n, first, last in editions
    ]
    assert [(e, n) for e, n, *_ in editions] == [("en", 30), ("es", 4)]
    assert dict(table_rows(page, "layouts")) == {
        "current": "20",
        "earlier": "7",
        "generic": "3",
        "(not recorded)": str(OLD_ROWS),
    }
    assert dict(table_rows(page, "reasons")) == {
        "missing-headline": "5",
        "not-article": "3",
        "http-5xx": "2",
    }
    coverage = dict(table_rows(page, "coverage"))
    assert coverage["headline"] == "100.0"
    authors = duckdb.sql(f"SELECT 100 * avg((len(authors) > 0)::int) FROM {source}").fetchall()[0]
    assert coverage["authors"] == str(round(authors[0], 1))
    assert dict(table_rows(page, "top-sections")) == {
        "world": "9",
        "russia": "9",
        "economy": "8",
        "military": "8",
    }
    jobs = {row[0]: row for row in table_rows(page, "jobs")}
    assert jobs["job-a"][4:7] == ["20", "3", "healthy"]
    assert jobs["job-b"][4:7] == ["10", "7", "failed"]
    assert "Markup drift: headline coverage 80 % below 98 %" in jobs["job-b"][7]
    assert jobs["job-old"][4:7] == [str(OLD_ROWS), "0", "no record"]
    assert jobs["job-d"][4:7] == ["0", "0", "no record"]  # a record that cannot be read
    assert jobs["job-d"][7].startswith("unreadable: ")
    assert not any(job.startswith((".", "job-c")) for job in jobs)
    assert "python -m crawler compact" in page  # job-a, job-b and the old file share partitions


def test_no_external_resources(report: Path) -> None:
    page = report.read_text()
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert page.count("<svg") == 7  # per day, coverage, layouts, rejects, jobs, files x2


def test_empty_dataset_without_rejects(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    out = tmp_path / "report.html"
    done = run_report(str(tmp_path / "articles"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "0 articles, 0 rejects (no rejects dataset given)" in page
    assert "No articles in the dataset." in page
    assert "No crawl jobs" in page
    assert "<svg" not in page


def test_no_rejects_and_a_missing_rejects_folder(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = run_report(
        str(dataset / "articles"), "--rejects", str(tmp_path / "none"), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "No rejects." in page
    assert "34 articles, 0 rejects" in page


@pytest.fixture
def browser_page(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 900})
        finally:
            browser.close()


def test_charts_render_in_chromium(report: Path, browser_page: Any) -> None:
    errors: list[str] = []
    requests: list[str] = []
    browser_page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    browser_page.on("pageerror", lambda e: errors.append(str(e)))
    browser_page.on("request", lambda r: requests.append(r.url))
    browser_page.on("requestfailed", lambda r: errors.append(f"failed {r.url}"))
    browser_page.goto(report.as_uri(), wait_until="load")
    charts = browser_page.eval_on_selector_all(
        "section svg",
        """svgs => svgs.map(s => {
            const box = s.getBoundingClientRect();
            const drawn = [...s.querySelectorAll('path')].filter(p => {
                const b = p.getBBox(); return b.width > 0 || b.height > 0; });
            return {width: box.width, height: box.height, paths: drawn.length};
        })""",
    )
    assert len(charts) == 7
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart
        assert chart["paths"] > 5, chart
    assert browser_page.locator("h2").count() == 8  # editions: a table only
    assert errors == []
    assert requests == [report.as_uri()]  # the page itself, nothing else


def test_report_of_a_mirror_crawl(mirror: Mirror, tmp_path: Path) -> None:
    """A real crawl: the report's days and reasons are the dataset's, its one job listed."""
    crawl = run_crawl(
        mirror,
        tmp_path,
        "-a",
        f"seeds={PUBLIC_ORIGIN + seed.SEED_PATH}",
        settings={"DEPTH_LIMIT": "2"},
        timeout=120,
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    out = tmp_path / "report.html"
    done = run_report(str(crawl.articles), "--rejects", str(crawl.rejects), "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    articles = f"read_parquet('{crawl.articles}/**/*.parquet', {HIVE})"
    per_day = duckdb.sql(f"SELECT date, count(*) FROM {articles} GROUP BY 1 ORDER BY 1").fetchall()
    assert len(per_day) > 1
    assert [(row[0], int(row[1])) for row in table_rows(page, "per-day")] == [
        (str(day), n) for day, n in per_day
    ]
    assert dict(table_rows(page, "layouts")) == {"current": str(sum(n for _, n in per_day))}
    (edition,) = table_rows(page, "editions")
    assert edition[:2] == ["en", str(sum(n for _, n in per_day))]
    (job,) = table_rows(page, "jobs")
    assert (
        int(job[4]) == sum(n for _, n in per_day) == crawl.stats["sputnik/writer/articles-written"]
    )
    assert int(job[5]) == crawl.stats.get("sputnik/writer/rejects-written", 0)
