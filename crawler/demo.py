"""``python -m crawler.demo`` (``make demo``): the main job on the bundled offline mirror.

Starts the mirror (``python -m tests.mirror``) on a free loopback port, runs
``scrapy crawl sputnik -s SITE_ORIGIN=<mirror> -a seeds=<the seed article>`` into ``data/demo/``,
prints a short DuckDB summary of the dataset (articles per day, top tags, one sample row), writes
the HTML report (``crawler.report``) to ``data/demo/report.html``, prints its path and stops the
mirror. The mirror's made-up articles get a folder of their own, emptied on every run, so
they never mix with a real crawl's ``data/articles``.
"""

from __future__ import annotations

import selectors
import shutil
import subprocess
import sys
from pathlib import Path

from crawler.report import write_report

ARTICLES = 2000  # articles the mirror generates
DEPTH_LIMIT = 6  # related-article hops from the seed: about 200 articles on this mirror
SEED_URL = (
    "https://sputnikglobe.com/20240410/"
    "china-sending-message-that-it-has-russias-back-if-west-escalates-1117838001.html"
)
STARTUP_TIMEOUT_SECS = 60.0
SHUTDOWN_TIMEOUT_SECS = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_ROOT = REPO_ROOT / "data" / "demo"
REPORT = DEMO_ROOT / "report.html"


class MirrorError(RuntimeError):
    """The mirror did not start or did not report its URL."""


def start_mirror(articles: int) -> subprocess.Popen[str]:
    """Start the mirror on a free loopback port; its stderr goes to ours."""
    command = [
        sys.executable,
        "-u",
        "-m",
        "tests.mirror",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--articles",
        str(articles),
    ]
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def read_base_url(mirror: subprocess.Popen[str], timeout_secs: float) -> str:
    """Return the base URL the mirror prints as its first stdout line."""
    assert mirror.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(mirror.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_secs):
            raise MirrorError(f"the mirror printed no URL within {timeout_secs:g} s")
    line = mirror.stdout.readline().strip()
    if not line:
        raise MirrorError(f"the mirror exited (code {mirror.wait()}) before printing its URL")
    return line


def stop_mirror(mirror: subprocess.Popen[str]) -> None:
    """Terminate the mirror and reap it, killing it if it does not exit in time."""
    if mirror.poll() is None:
        mirror.terminate()
        try:
            mirror.wait(SHUTDOWN_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            mirror.kill()
            mirror.wait()
    if mirror.stdout is not None:
        mirror.stdout.close()


def crawl(base_url: str) -> int:
    """``scrapy crawl sputnik`` from the seed article into ``data/``; its exit code."""
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "sputnik",
        "-a",
        f"seeds={SEED_URL}",
        "-s",
        f"SITE_ORIGIN={base_url}",
        "-s",
        f"DEPTH_LIMIT={DEPTH_LIMIT}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",  # the mirror is on loopback: no need to be polite
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "LOG_LEVEL=INFO",
        "-s",
        f"DATASET_URI={DEMO_ROOT / 'articles'}",
        "-s",
        f"REJECTS_URI={DEMO_ROOT / 'rejects'}",
    ]
    return subprocess.run(command, cwd=REPO_ROOT, check=False).returncode


# The partition columns' types declared, not guessed from the folder names (crawler.dataset).
HIVE_OPTIONS = (
    "hive_partitioning = true, hive_types = {'edition': 'VARCHAR', 'date': 'DATE'},"
    " union_by_name = true"
)


def summarize(articles: Path, rejects: Path) -> str:
    """Articles per day, top tags and one sample row, straight from the Parquet files."""
    import duckdb  # imported here: only the summary needs it

    con = duckdb.connect()
    source = f"read_parquet('{articles}/**/*.parquet', {HIVE_OPTIONS})"
    total, days, editions = con.execute(
        f"SELECT count(*), count(DISTINCT date), string_agg(DISTINCT edition, ', ' ORDER BY"
        f" edition) FROM {source}"
    ).fetchone()
    lines = [f"Dataset {articles}: {total} articles over {days} days (editions: {editions})"]
    per_day = con.execute(
        f"SELECT date, count(*) AS n FROM {source} GROUP BY date ORDER BY n DESC, date LIMIT 5"
    ).fetchall()
    lines.append("  busiest days: " + ", ".join(f"{d} ({n})" for d, n in per_day))
    tags = con.execute(
        f"SELECT tag, count(*) AS n FROM (SELECT unnest(tags) AS tag FROM {source})"
        " GROUP BY tag ORDER BY n DESC, tag LIMIT 8"
    ).fetchall()
    lines.append("  top tags: " + ", ".join(f"{t} ({n})" for t, n in tags))
    sample = con.execute(
        f"SELECT url, headline, published_at, section, authors, word_count, depth FROM {source}"
        f" WHERE url = '{SEED_URL}'"
    ).fetchone()
    if sample:
        names = ("url", "headline", "published_at", "section", "authors", "word_count", "depth")
        lines.append("  sample row:")
        lines += [f"    {name}: {value}" for name, value in zip(names, sample, strict=True)]
    if rejects.exists():
        reasons = con.execute(
            f"SELECT reason, count(*) FROM read_parquet('{rejects}/**/*.parquet',"
            f" {HIVE_OPTIONS}) GROUP BY reason ORDER BY 2 DESC"
        ).fetchall()
        lines.append("  rejects: " + (", ".join(f"{r} ({n})" for r, n in reasons) or "none"))
    return "\n".join(lines)


def main() -> int:
    """Run the demo; return the process exit code."""
    shutil.rmtree(DEMO_ROOT, ignore_errors=True)  # the demo shows a whole crawl every time
    mirror = start_mirror(ARTICLES)
    try:
        base_url = read_base_url(mirror, STARTUP_TIMEOUT_SECS)
        print(f"Mirror of sputnikglobe.com serving at {base_url} ({ARTICLES} articles)", flush=True)
        code = crawl(base_url)
        if code:
            print(f"demo: the crawl failed (exit code {code})", file=sys.stderr)
        else:
            print(summarize(DEMO_ROOT / "articles", DEMO_ROOT / "rejects"))
        write_report(str(DEMO_ROOT / "articles"), str(REPORT), str(DEMO_ROOT / "rejects"))
        print(f"Report: {REPORT} (open it in a browser; it works offline)")
        if code:
            return code
    except MirrorError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop_mirror(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
