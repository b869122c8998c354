"""Run ``scrapy crawl sputnik`` against a mirror in a subprocess, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from crawler.config import Config
from tests.mirror.process import REPO_ROOT, Mirror

# The mirror is on loopback: no throttling, no politeness waits, fast retries.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_BACKOFF_BASE_SECS": "0.05",
    "LOG_LEVEL": "INFO",
    # Most test crawls are of deliberately broken sites: the health checks are tested in
    # tests/test_monitors.py and on the healthy crawls of tests/test_crawl.py (MONITORED).
    "SPIDERMON_ENABLED": "False",
}
MONITORED = {"SPIDERMON_ENABLED": "True"}


@dataclass
class Crawl:
    """A finished crawl: exit code, final stats, log, and where it wrote."""

    returncode: int
    stats: dict[str, Any]
    log: str
    articles: Path
    rejects: Path


def run_crawl(
    mirror: Mirror | None,
    out: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 300,
) -> Crawl:
    """``scrapy crawl sputnik ARGS`` writing under ``out``; ``settings`` add ``-s`` options."""
    out.mkdir(parents=True, exist_ok=True)
    stats_file = out / "stats.json"
    merged = {
        **FAST,
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
        "STATS_FILE": str(stats_file),
    }
    if mirror is not None:
        merged["SITE_ORIGIN"] = mirror.url
    merged |= settings or {}
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik", *args]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return Crawl(done.returncode, stats, done.stderr, out / "articles", out / "rejects")


def config_of(settings: dict[str, Any]) -> Config:
    """The crawler's checked ``Config`` for these settings (the project's defaults for others)."""
    return Config.from_settings(Settings(settings))
