"""Editions benchmark: a crawl of four editions through one origin against one of one edition.

The mirror serves ``en``, ``es``, ``ar`` and ``zh`` (``--articles`` each); the crawl reads every
chosen edition's sitemaps and follows one hop of related links (``crawl_bench``'s settings: 8
requests in parallel, JOBDIR), with each edition's public host in ``Host`` and its own download
slot. For comparison, the same crawl of ``en`` alone on a mirror of four times as many articles
(the same number of pages from one host). Prints pages/s, pages and articles per edition, peak
RSS and the off-edition links dropped.

Examples:

    python benchmarks/editions_bench.py                 # 2,000 articles per edition
    python benchmarks/editions_bench.py --articles 500  # a quick look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crawl_bench import crawl, pages_per_sec
from crawler.dataset import read_articles
from tests.mirror.process import run_mirror

EDITIONS = ("en", "es", "ar", "zh")
ARTICLES = 2_000


def run(editions: tuple[str, ...], articles: int) -> dict[str, Any]:
    """One sitemap crawl of ``editions`` on a mirror serving them, ``articles`` each."""
    with (
        run_mirror(articles=articles, editions=editions, cpus={1}) as mirror,
        tempfile.TemporaryDirectory() as tmp,
    ):
        command = [sys.executable, "-m", "scrapy", "crawl", "sputnik"]
        command += ["-a", "editions=" + ",".join(editions), "-a", "source=sitemap"]
        stats = crawl(command, mirror.url, Path(tmp))
        table = read_articles(Path(tmp) / "articles")
        per_edition: dict[str, int] = {}
        for code in table.column("edition").to_pylist():
            per_edition[code] = per_edition.get(code, 0) + 1
        hosts = mirror.stats()["hosts"]
    return {
        "editions": ",".join(editions),
        "articles": articles,
        "pages": stats["response_received_count"],
        "pps": pages_per_sec(stats),
        "rss_mb": max(stats["rss_mb"]),
        "written": per_edition,
        "requests_by_host": dict(sorted(hosts.items())),
        "off_edition": stats.get("sputnik/links/dropped/off-edition", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES, help="articles per edition")
    args = parser.parse_args()
    rows = [
        run(EDITIONS, args.articles),
        run(("en",), args.articles * len(EDITIONS)),
    ]
    print("editions      articles/edition  pages  pages/s  peak RSS MB  off-edition links")
    for r in rows:
        print(
            f"{r['editions']:<12}  {r['articles']:>16}  {r['pages']:>5}  {r['pps']:>7.1f}"
            f"  {r['rss_mb']:>11.0f}  {r['off_edition']:>17}"
        )
    for r in rows:
        written = ", ".join(f"{k} {v}" for k, v in sorted(r["written"].items()))
        hosts = ", ".join(f"{k} {v}" for k, v in r["requests_by_host"].items())
        print(f"{r['editions']}: articles written {written}; requests by Host: {hosts}")


if __name__ == "__main__":
    main()
