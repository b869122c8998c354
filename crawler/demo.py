"""``python -m crawler.demo`` (``make demo``): the main job on the bundled offline mirror.

Starts the mirror (``python -m tests.mirror``) of four editions (``en``, ``es``, ``ar``,
``zh``) on a free loopback port, runs ``scrapy crawl sputnik -s SITE_ORIGIN=<mirror>
-a editions=en,es,ar,zh -a seeds=<the seed article and one article of each other edition>`` into
``data/demo/``, prints
a short DuckDB summary of the dataset (articles per edition and day, top tags, one sample row),
writes
the HTML report (``crawler.report``) to ``data/demo/report.html``, prints its path and stops the
mirror. The mirror's made-up articles get a folder of their own, emptied on every run, so
they never mix with a real crawl's ``data/articles``.
"""

from __future__ import annotations

import re
import selectors
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from crawler.editions import packaged_table
from crawler.report import write_report

ARTICLES = 2000  # articles the mirror generates, per edition
EDITIONS = ("en", "es", "ar", "zh")
DEPTH_LIMIT = 6  # related-article hops from each seed: about 200 articles per edition here
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
        "--editions",
        ",".join(EDITIONS),
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


def edition_seed(base_url: str, code: str) -> str:
    """The newest article of an edition's RSS feed, asked of the mirror with its public host."""
    host = packaged_table()[code].host
    request = urllib.request.Request(
        base_url + "/export/rss2/archive/index.xml", headers={"Host": host}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        feed = response.read().decode("utf-8")
    found = re.search(r"<item>.*?<link>([^<]+)</link>", feed, re.S)
    if found is None:
        raise MirrorError(f"the mirror's {code} feed lists no article")
    return found[1]


def crawl(base_url: str) -> int:
    """``scrapy crawl sputnik`` from the seed article and one article of each other edition
    into ``data/``; its exit code."""
    seeds = [SEED_URL, *(edition_seed(base_url, code) for code in EDITIONS[1:])]
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "sputnik",
        "-a",
        f"editions={','.join(EDITIONS)}",
        "-a",
        f"seeds={','.join(seeds)}",
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
    per_edition = con.execute(
        f"SELECT edition, any_value(site), count(*), min(date), max(date) FROM {source}"
        " GROUP BY edition ORDER BY edition"
    ).fetchall()
    lines += [
        f"  {code:<3} {site:<18} {n:>4} articles, {first} .. {last}"
        for code, site, n, first, last in per_edition
    ]
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
        print(
            f"Mirror of {', '.join(EDITIONS)} serving at {base_url} ({ARTICLES} articles each)",
            flush=True,
        )
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
