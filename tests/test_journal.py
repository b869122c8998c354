"""Killed crawls resume: ``JOBDIR`` after SIGKILL (``crawler.journal``). Real ``scrapy crawl``
subprocesses, real signals at random moments, against the mirror."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from tests.crawl import FAST, run_crawl
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror

ARTICLES = 600
DEPTH = "2"  # the RSS feed's 100 articles, then two hops: some 340 pages, 6 s uninterrupted
SLOW = "slow=0.3@/2*"  # every article page waits 0.3 s: the crawl lasts long enough to kill
STARTED = "Spider opened"
# Breadth-first (Scrapy's recipe), so that an article's depth is its fewest hops from a seed in
# any crawl; otherwise the order pages complete in decides which are within DEPTH_LIMIT.
BFS = {
    "DEPTH_PRIORITY": "1",
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
}
# Differ between any two crawls: times, job, and which of an article's linkers came first.
VARYING = ("fetched_at", "job_id", "referer")


@pytest.fixture(scope="module")
def slow_mirror() -> Any:
    with run_mirror(articles=ARTICLES, faults=SLOW) as running:
        yield running


def command(mirror: Mirror, out: Path, *args: str, settings: dict[str, str]) -> list[str]:
    merged = {
        **FAST,
        "SITE_ORIGIN": mirror.url,
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
        **settings,
    }
    line = [sys.executable, "-m", "scrapy", "crawl", "sputnik", *args]
    for name, value in merged.items():
        line += ["-s", f"{name}={value}"]
    return line


def interrupted(
    mirror: Mirror, out: Path, log: Path, after_secs: float, signum: int, *args: str, **kw: Any
) -> int:
    """Start a crawl, send ``signum`` ``after_secs`` after its spider opened; its exit code."""
    with log.open("w") as err:
        process = subprocess.Popen(command(mirror, out, *args, **kw), cwd=REPO_ROOT, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while STARTED not in log.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl did not start"
            time.sleep(0.02)
        time.sleep(after_secs)
        process.send_signal(signum)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def articles_by_url(path: Path) -> dict[str, dict[str, Any]]:
    found = rows(path)
    counts = Counter(r["url"] for r in found)
    assert [u for u, n in counts.items() if n > 1] == [], "each article written once"
    return {r["url"]: {k: v for k, v in r.items() if k not in VARYING} for r in found}


def test_killed_crawls_resume_to_the_uninterrupted_dataset(
    slow_mirror: Mirror, tmp_path: Path
) -> None:
    args = ("-a", "source=rss")
    settings = {**BFS, "DEPTH_LIMIT": DEPTH}
    whole = run_crawl(slow_mirror, tmp_path / "whole", *args, settings=settings)
    assert whole.returncode == 0, whole.log[-3000:]

    out = tmp_path / "killed"
    settings |= {"JOBDIR": str(out / "job"), "DATASET_FLUSH_ROWS": "10"}
    moments = random.Random(8).sample([0.3, 0.6, 0.9, 1.2, 1.5], 3)
    signals = [signal.SIGKILL, signal.SIGINT, signal.SIGKILL]  # a Ctrl-C resume in between
    for run, (after, signum) in enumerate(zip(moments, signals, strict=True)):
        log = tmp_path / f"run{run}.log"
        code = interrupted(slow_mirror, out, log, after, signum, *args, settings=settings)
        if signum == signal.SIGKILL:
            assert code == -signal.SIGKILL, log.read_text()[-3000:]
    written_before = len(rows(out / "articles"))
    assert 0 < written_before < len(rows(whole.articles)), "the kills landed mid-crawl"

    last = run_crawl(slow_mirror, out, *args, settings=settings)
    assert last.returncode == 0, last.log[-3000:]
    assert articles_by_url(out / "articles") == articles_by_url(whole.articles)
    assert {(r["url"], r["reason"]) for r in rows(out / "rejects")} == {
        (r["url"], r["reason"]) for r in rows(whole.rejects)
    }
    assert last.stats["sputnik/journal/unclean-start"] == 1
    assert last.stats["sputnik/journal/requeued"] > 0

    again = run_crawl(slow_mirror, out, *args, settings=settings)
    assert again.returncode == 0
    assert again.stats["sputnik/journal/already-finished"] == 1
    assert "holds a finished crawl" in again.log
    assert articles_by_url(out / "articles") == articles_by_url(whole.articles)


def test_a_jobdir_killed_without_journal_fails_loudly(mirror: Mirror, tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "requests.queue").mkdir(parents=True)
    (job / "requests.seen").write_bytes(b"\x00\x02ab")  # what a killed Scrapy crawl leaves
    crawl = run_crawl(mirror, tmp_path, settings={"JOBDIR": str(job)})
    assert crawl.returncode == 1
    assert "cannot be resumed" in crawl.log and "JOBDIR" in crawl.log
