"""Crawl benchmark: the full pipeline against a bare spider, on the mirror, in one run.

For each mirror size it crawls every article (seeded from the sitemaps, related links followed)
twice: with ``scrapy crawl sputnik`` (extract, normalize, validate, write Parquet) and with
``benchmarks/bare_spider.py`` (same links, nothing else). It prints pages/s of both and their
ratio, peak RSS (sampled from ``/proc`` every 0.2 s, with the RSS at each quarter of the crawl
to show whether it grows), Parquet bytes per article, the articles written per layout
(``sputnik/extract/layout/<layout>``), and, measured in this process after the crawls,
extraction + normalization alone in ms per page, for all pages and for each layout met
(``current``, ``earlier``, ``generic``).

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
EXTRACT_ARCHIVE = 2_000  # archive articles (every layout) for the per-layout timing
RSS_SAMPLE_SECS = 0.2
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    # Scrapy is CPU-bound on loopback: past 8 parallel requests pages/s barely moves while every
    # extra page in flight costs memory (seen at 3,000 articles: 16 -> 127 pages/s, 385 MB peak;
    # 8 -> 122 pages/s, 299 MB; 4 -> 113 pages/s, 257 MB).
    "CONCURRENT_REQUESTS": "8",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DEPTH_LIMIT": "1",
    "LOG_LEVEL": "WARNING",
}


def crawl(command: list[str], origin: str, out: Path) -> dict[str, Any]:
    """Run one crawl; its final stats plus ``rss_mb`` samples (one per 0.2 s)."""
    stats_file = out / "stats.json"
    settings = {
        **SETTINGS,
        "SITE_ORIGIN": origin,
        "STATS_FILE": str(stats_file),
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
        # Requests wait on disk, not in memory: a sitemap seed queues a month (~2,900 URLs) at
        # once, and in memory the queue alone grows the peak by ~60 MB from 5,000 to 20,000
        # articles (seen: 367 MB without, 304 MB with, at 20,000).
        "JOBDIR": str(out / "job"),
    }
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(command, cwd=REPO_ROOT)
    samples = []
    while process.poll() is None:
        samples.append(rss_mb(process.pid))
        time.sleep(RSS_SAMPLE_SECS)
    if process.returncode:
        raise SystemExit(f"crawl failed ({process.returncode}): {' '.join(command)}")
    stats = json.loads(stats_file.read_text())
    stats["rss_mb"] = [s for s in samples if s]
    return stats


def rss_mb(pid: int) -> float:
    """Resident memory of a live process, from /proc (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def quarters(samples: list[float]) -> str:
    """RSS at 25, 50, 75 and 100 % of the crawl's duration."""
    if not samples:
        return "-"
    picks = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3, 4)]
    return "/".join(f"{p:.0f}" for p in picks)


def pages_per_sec(stats: dict[str, Any]) -> float:
    return stats["response_received_count"] / stats["elapsed_time_seconds"]


def extraction_ms(articles: int, archive: int = 0) -> dict[str, float]:
    """Extraction and normalization of one page, in ms: the mean over ``EXTRACT_PAGES`` pages
    (``all``), and over the pages of each layout met (an ``archive`` has all three)."""
    site = Site(articles, archive=archive)
    step = max(1, len(site) // EXTRACT_PAGES)
    stubs = site.stubs[::step][:EXTRACT_PAGES]
    bodies = [pages.render(site, s.path).body for s in stubs]
    elapsed: dict[str, list[float]] = {}
    for stub, body in zip(stubs, bodies, strict=True):
        # Parsing is counted: extraction cannot run without it.
        started = time.perf_counter()
        response = HtmlResponse("http://127.0.0.1" + stub.path, body=body, encoding="utf-8")
        found = extract_article(response, stub.url)
        if found:
            raw = RawArticle(
                url=stub.url, fields=found.fields, layout=found.layout, fallbacks=found.fallbacks
            )
            normalize(raw)
        took = time.perf_counter() - started
        elapsed.setdefault("all", []).append(took)
        elapsed.setdefault(found.layout if found else "not-article", []).append(took)
    return {layout: sum(t) / len(t) * 1000 for layout, t in elapsed.items()}


def run(size: int) -> dict[str, Any]:
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
        written = full.get("sputnik/writer/articles-written", 0)
        return {
            "articles": size,
            "full_pages": full["response_received_count"],
            "bare_pages": bare["response_received_count"],
            "full_pps": pages_per_sec(full),
            "bare_pps": pages_per_sec(bare),
            "ratio": pages_per_sec(full) / pages_per_sec(bare),
            "full_rss_mb": max(full["rss_mb"]),
            "bare_rss_mb": max(bare["rss_mb"]),
            "full_rss_quarters": quarters(full["rss_mb"]),
            "written": written,
            "parquet_bytes_per_article": parquet / written if written else 0.0,
            "layouts": {
                key.rsplit("/", 1)[-1]: value
                for key, value in full.items()
                if key.startswith("sputnik/extract/layout/")
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    rows = [run(size) for size in args.sizes]
    header = (
        "articles  pages(full/bare)  pages/s full  pages/s bare  ratio"
        "  peak RSS MB full/bare  full RSS MB at 25/50/75/100%  Parquet B/article"
    )
    print(header)
    for r in rows:
        print(
            f"{r['articles']:>8}  {r['full_pages']:>7}/{r['bare_pages']:<8}"
            f"  {r['full_pps']:>12.1f}  {r['bare_pps']:>12.1f}  {r['ratio']:>5.2f}"
            f"  {r['full_rss_mb']:>10.0f}/{r['bare_rss_mb']:<10.0f}"
            f"  {r['full_rss_quarters']:>28}  {r['parquet_bytes_per_article']:>17.0f}"
        )
    for r in rows:
        layouts = ", ".join(f"{k} {v}" for k, v in sorted(r["layouts"].items()))
        print(f"{r['articles']:>8} articles read per layout: {layouts or '-'}")
    ms = extraction_ms(2_000)
    by_layout = extraction_ms(300, archive=EXTRACT_ARCHIVE)
    per_layout = ", ".join(f"{k} {v:.2f}" for k, v in sorted(by_layout.items()) if k != "all")
    print(
        f"extraction + normalization (parse included): {ms['all']:.2f} ms/page;"
        f" per layout, on a 2019-2020 archive: {per_layout} ms/page"
    )


if __name__ == "__main__":
    main()
