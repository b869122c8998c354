"""Render benchmark: a crawl in which every article is script-built, against the same crawl of the
static site, on the mirror.

The mirror serves every article script-built (``--js-shells 100``: two thirds shells, one third
related blocks filled after load), so ``scrapy crawl sputnik -a source=sitemap`` renders each of
them once in Chromium (``RENDER_JS=auto``). It prints rendered pages/s (pages rendered over the
crawl's whole time, browser start included), the same site's static crawl for comparison, and
memory sampled every 0.5 s: the crawler's RSS, and the browser's (Playwright's driver and every
Chromium process under the crawler) as PSS, which counts the memory those processes share once.
Memory is shown at each fifth of the crawl, and the last fifth's mean against the second's: flat
means the browser closes what it opens.

Examples:

    python benchmarks/render_bench.py                     # 1,200 script-built articles
    python benchmarks/render_bench.py --articles 3000     # a longer run, for memory
    python benchmarks/render_bench.py --pages 8           # 8 pages open at once (default 4)
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

from tests.mirror.process import REPO_ROOT, run_mirror

ARTICLES = 1_200  # every one script-built: at least 1,000 rendered pages
SAMPLE_SECS = 0.5
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "8",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DEPTH_LIMIT": "1",  # the sitemaps list every article at depth 0
    "LOG_LEVEL": "WARNING",
}


def crawl(origin: str, out: Path, settings: dict[str, str]) -> dict[str, Any]:
    """One ``source=sitemap`` crawl: its final stats plus memory samples."""
    stats_file = out / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik", "-a", "source=sitemap"]
    merged = {
        **SETTINGS,
        **settings,
        "SITE_ORIGIN": origin,
        "STATS_FILE": str(stats_file),
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(command, cwd=REPO_ROOT)
    crawler_mb, browser_mb = [], []
    while process.poll() is None:
        crawler_mb.append(memory_mb(process.pid, "Rss"))
        browser_mb.append(sum(memory_mb(pid, "Pss") for pid in descendants(process.pid)))
        time.sleep(SAMPLE_SECS)
    if process.returncode:
        raise SystemExit(f"crawl failed ({process.returncode}): {' '.join(command)}")
    stats = json.loads(stats_file.read_text())
    stats["crawler_mb"] = [m for m in crawler_mb if m]
    while browser_mb and not browser_mb[-1]:  # the browser closed before the crawler did
        browser_mb.pop()
    stats["browser_mb"] = browser_mb
    return stats


def descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def memory_mb(pid: int, field: str) -> float:
    """``Rss`` or ``Pss`` of a live process in MB, from /proc (0 once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def fifths(samples: list[float]) -> str:
    """Memory at 20, 40, 60, 80 and 100 % of the crawl."""
    if not samples:
        return "-"
    picks = [samples[min(len(samples) - 1, len(samples) * q // 5)] for q in range(1, 6)]
    return "/".join(f"{p:.0f}" for p in picks)


def growth(samples: list[float]) -> float:
    """Mean of the last fifth minus the mean of the second fifth (the first holds start-up)."""
    n = len(samples) // 5
    if n == 0:
        return 0.0
    second, last = samples[n : 2 * n], samples[-n:]
    return sum(last) / len(last) - sum(second) / len(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES, help="(%(default)s)")
    parser.add_argument(
        "--pages", type=int, default=4, help="PLAYWRIGHT_MAX_PAGES_PER_CONTEXT (%(default)s)"
    )
    args = parser.parse_args()
    settings = {"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": str(args.pages)}
    with tempfile.TemporaryDirectory() as tmp:
        with run_mirror(articles=args.articles, js_shells=100) as built:
            rendered = crawl(built.url, Path(tmp) / "js", settings)
        with run_mirror(articles=args.articles) as static_site:
            static = crawl(static_site.url, Path(tmp) / "static", settings)
    count = rendered.get("sputnik/render/rendered", 0)
    elapsed = rendered["elapsed_time_seconds"]
    print(
        f"{args.articles} articles, {args.pages} pages open at once: {count} pages rendered"
        f" ({rendered.get('sputnik/render/requested/shell', 0)} shells,"
        f" {rendered.get('sputnik/render/requested/related', 0)} related blocks),"
        f" {rendered.get('sputnik/writer/articles-written', 0)} articles written"
    )
    print(
        f"rendered: {count / elapsed:.1f} pages/s ({elapsed:.0f} s);"
        f" static twin: {static['response_received_count'] / static['elapsed_time_seconds']:.1f}"
        f" pages/s ({static['elapsed_time_seconds']:.0f} s)"
    )
    for name, samples in (
        ("crawler RSS", rendered["crawler_mb"]),
        ("browser PSS", rendered["browser_mb"]),
        ("static crawler RSS", static["crawler_mb"]),
    ):
        print(
            f"{name:>19} MB: peak {max(samples, default=0):.0f}, at 20/40/60/80/100%"
            f" {fifths(samples)}, last fifth vs second {growth(samples):+.0f}"
        )
    print(
        f"pages closed {rendered.get('playwright/page_count/closed', 0)}"
        f" of {rendered.get('playwright/page_count', 0)}, most open at once"
        f" {rendered.get('playwright/page_count/max_concurrent', 0)},"
        f" requests aborted (images, fonts, media)"
        f" {rendered.get('playwright/request_count/aborted', 0)}"
    )


if __name__ == "__main__":
    main()
