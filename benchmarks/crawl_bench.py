"""Crawl benchmark: the full pipeline against a bare spider, on the mirror, in one run.

For each mirror size it crawls every article (seeded from the sitemaps, related links followed)
twice: with ``scrapy crawl sputnik`` (extract, normalize, validate, write Parquet) and with
``benchmarks/bare_spider.py`` (same links, nothing else). It prints pages/s of both and their
ratio, peak RSS (Scrapy's ``memusage/max``), Parquet bytes per article, and, measured in this
process, extraction + normalization alone in ms per page.

Examples:

    python benchmarks/crawl_bench.py                       # 5,000 and 20,000 articles
    python benchmarks/crawl_bench.py --sizes 2000          # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.http import HtmlResponse

from crawler.extract import extract_article
from crawler.items import RawArticle
from crawler.pipelines.normalize import normalize
from tests.mirror import pages
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, run_mirror

SIZES = (5_000, 20_000)  # articles in the mirror: RSS must stay flat from the first to the last
EXTRACT_PAGES = 1_000  # pages timed for extraction alone
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DEPTH_LIMIT": "1",
    "LOG_LEVEL": "WARNING",
    "MEMUSAGE_CHECK_INTERVAL_SECONDS": "1",
}


def crawl(command: list[str], origin: str, out: Path) -> dict[str, Any]:
    stats_file = out / "stats.json"
    settings = {
        **SETTINGS,
        "SITE_ORIGIN": origin,
        "STATS_FILE": str(stats_file),
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
    }
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    started = time.monotonic()
    subprocess.run(command, cwd=REPO_ROOT, check=True)
    stats = json.loads(stats_file.read_text())
    stats["wall_secs"] = time.monotonic() - started
    return stats


def pages_per_sec(stats: dict[str, Any]) -> float:
    return stats["response_received_count"] / stats["elapsed_time_seconds"]


def extraction_ms(articles: int) -> float:
    """Extraction and normalization of one page, in ms (mean over ``EXTRACT_PAGES`` pages)."""
    site = Site(articles)
    step = max(1, len(site) // EXTRACT_PAGES)
    responses = [
        HtmlResponse(
            "http://127.0.0.1" + s.path,
            body=pages.render(site, s.path).body,
            encoding="utf-8",
        )
        for s in site.stubs[::step][:EXTRACT_PAGES]
    ]
    started = time.perf_counter()
    for response in responses:
        found = extract_article(response, "https://sputnikglobe.com" + response.url[16:])
        if found:
            normalize(RawArticle(url="https://sputnikglobe.com/", fields=found[0]))
    return (time.perf_counter() - started) / len(responses) * 1000


def run(size: int) -> dict[str, float]:
    with run_mirror(articles=size, cpus={1}) as mirror, tempfile.TemporaryDirectory() as tmp:
        full = crawl(
            [sys.executable, "-m", "scrapy", "crawl", "sputnik", "-a", "source=sitemap"],
            mirror.url,
            Path(tmp) / "full",
        )
        bare = crawl(
            [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                "benchmarks/bare_spider.py",
                "-a",
                f"seeds={mirror.url}/sitemap_article_index.xml",
            ],
            mirror.url,
            Path(tmp) / "bare",
        )
        files = (Path(tmp) / "full" / "articles").rglob("*.parquet")
        parquet = sum(p.stat().st_size for p in files)
        written = full.get("sputnik/articles_written", 0)
        return {
            "articles": size,
            "full_pages": full["response_received_count"],
            "bare_pages": bare["response_received_count"],
            "full_pps": pages_per_sec(full),
            "bare_pps": pages_per_sec(bare),
            "ratio": pages_per_sec(full) / pages_per_sec(bare),
            "full_rss_mb": full.get("memusage/max", 0) / 2**20,
            "bare_rss_mb": bare.get("memusage/max", 0) / 2**20,
            "written": written,
            "parquet_bytes_per_article": parquet / written if written else 0.0,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    print(f"extraction + normalization: {extraction_ms(2_000):.2f} ms/page", flush=True)
    rows = [run(size) for size in args.sizes]
    header = (
        "articles  pages(full/bare)  pages/s full  pages/s bare  ratio"
        "  peak RSS MB full/bare  Parquet B/article"
    )
    print(header)
    for r in rows:
        print(
            f"{r['articles']:>8}  {r['full_pages']:>7}/{r['bare_pages']:<8}"
            f"  {r['full_pps']:>12.1f}  {r['bare_pps']:>12.1f}  {r['ratio']:>5.2f}"
            f"  {r['full_rss_mb']:>10.0f}/{r['bare_rss_mb']:<10.0f}"
            f"  {r['parquet_bytes_per_article']:>17.0f}"
        )


if __name__ == "__main__":
    main()
