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

from tests.crawl import FAST, Crawl, run_crawl
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror

ARTICLES = 600
# The RSS feed's 100 articles (depth 0), then their related ones (depth 1): some 300 requests,
# 4 s uninterrupted. One hop, because Scrapy gives a page the depth of the first link to it that
# completes: with two, a retried or redirected page finishing late changes depths, and so which
# pages are within the limit, from one crawl to the next, killed or not.
DEPTH = "1"
# A tenth of the articles redirected twice (same article, new requests), a tenth failing once
# (retried), the rest slow (0.3 s), so that the crawl lasts long enough to be killed a few times.
FAULTS = "redirect=2@/2*%10;status=503@/2*%10x1;slow=0.3@/2*"
STARTED = "Spider opened"
# Differ between any two crawls: times, job, and which of an article's linkers came first.
VARYING = ("fetched_at", "job_id", "referer")


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


def test_killed_crawls_resume_to_the_uninterrupted_dataset(tmp_path: Path) -> None:
    args = ("-a", "source=rss")
    settings = {"DEPTH_LIMIT": DEPTH}
    with run_mirror(articles=ARTICLES, faults=FAULTS) as mirror:  # its own fault counts
        whole = run_crawl(mirror, tmp_path / "whole", *args, settings=settings)
    assert whole.returncode == 0, whole.log[-3000:]
    assert whole.stats["retry/count"] > 0 and whole.stats["downloader/response_status_count/302"]

    with run_mirror(articles=ARTICLES, faults=FAULTS) as mirror:
        killed_and_resumed(mirror, tmp_path, args, settings, whole)


def killed_and_resumed(
    mirror: Mirror, tmp_path: Path, args: tuple[str, ...], settings: dict[str, str], whole: Crawl
) -> None:
    out = tmp_path / "killed"
    settings = {**settings, "JOBDIR": str(out / "job"), "DATASET_FLUSH_ROWS": "10"}
    # After the spider opened, 5 to 20 % of the uninterrupted crawl's time each, so that the
    # crawl cannot end before its last kill; a fixed seed, so that a failure can be replayed.
    pick = random.Random(8)
    moments = [whole.stats["elapsed_time_seconds"] * pick.uniform(0.05, 0.2) for _ in range(4)]
    signals = [signal.SIGKILL, signal.SIGKILL, signal.SIGINT, signal.SIGKILL]  # and a Ctrl-C
    for run, (after, signum) in enumerate(zip(moments, signals, strict=True)):
        log = tmp_path / f"run{run}.log"
        code = interrupted(mirror, out, log, after, signum, *args, settings=settings)
        if signum == signal.SIGKILL:
            assert code == -signal.SIGKILL, log.read_text()[-3000:]
    written_before = len(rows(out / "articles"))
    assert 0 < written_before < len(rows(whole.articles)), "the kills landed mid-crawl"

    last = run_crawl(mirror, out, *args, settings=settings)
    assert last.returncode == 0, last.log[-3000:]
    assert articles_by_url(out / "articles") == articles_by_url(whole.articles)
    assert {(r["url"], r["reason"]) for r in rows(out / "rejects")} == {
        (r["url"], r["reason"]) for r in rows(whole.rejects)
    }
    assert last.stats["sputnik/journal/unclean-start"] == 1
    assert last.stats["sputnik/journal/requeued"] > 0

    again = run_crawl(mirror, out, *args, settings=settings)
    assert again.returncode == 0
    assert again.stats["sputnik/journal/already-finished"] == 1
    assert articles_by_url(out / "articles") == articles_by_url(whole.articles)


def test_a_jobdir_killed_without_journal_fails_loudly(mirror: Mirror, tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "requests.queue").mkdir(parents=True)
    (job / "requests.seen").write_bytes(b"\x00\x02ab")  # what a killed Scrapy crawl leaves
    crawl = run_crawl(mirror, tmp_path, settings={"JOBDIR": str(job)})
    assert crawl.returncode == 1
    assert "cannot be resumed" in crawl.log and "JOBDIR" in crawl.log
