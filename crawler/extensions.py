"""Crawl progress and the closing summary, both read from the crawl's stats.

``ProgressLogStats`` replaces Scrapy's ``LogStats`` (same ``LOGSTATS_INTERVAL``): every interval it
logs pages fetched, articles written, rejects, pages/min and the scheduler's queue size.
``CrawlSummary`` logs one screen at the end: pages, articles (and those skipped as already
stored), rejects and dropped links by reason, errors.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.extensions.logstats import LogStats

from crawler.config import get_config

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class ProgressLogStats(LogStats):
    """The periodic progress line, with the project's counters."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = super().from_crawler(crawler)
        extension.crawler = crawler
        return extension

    def log(self, spider: Spider) -> None:
        self.calculate_stats()
        stats = self.stats
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        logger.info(
            "Fetched %(pages)d pages (at %(rate)d pages/min), %(articles)d articles written,"
            " %(rejects)d rejects, %(queued)d requests queued",
            {
                "pages": self.pages,
                "rate": self.prate,
                "articles": stats.get_value("sputnik/writer/articles-written", 0),
                "rejects": stats.get_value("sputnik/rejects", 0),
                "queued": len(scheduler) if scheduler is not None else 0,  # type: ignore[arg-type]
            },
            extra={"spider": spider},
        )


class CrawlSummary:
    """Logs a one-screen summary of the crawl when the spider closes.

    With ``STATS_FILE`` set (a path), it also writes the crawl's final stats there as JSON, for
    monitoring and for the tests.
    """

    def __init__(self, stats: StatsCollector, stats_file: str | None, crawler: Crawler) -> None:
        self.stats = stats
        self.stats_file = stats_file
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler.stats, get_config(crawler).stats_file, crawler)
        # Low priority: runs after the stats collector has set finish_time and finish_reason.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        # The monitors' verdict (crawler.monitors.HealthMonitors runs before this).
        health = getattr(self.crawler, "sputnik_health", None)
        text = summary(stats, reason, health.describe() if health is not None else None)
        level = logging.INFO if health is None or health.healthy else logging.WARNING
        logger.log(level, "%s", text, extra={"spider": spider})
        if self.stats_file:
            data = {"finish_reason": reason, **stats}
            Path(self.stats_file).write_text(json.dumps(data, default=str, indent=1) + "\n")


def summary(stats: dict, reason: str, health: str | None = None) -> str:
    """The closing summary's text, from a stats dict and the health checks' verdict."""

    def by_prefix(prefix: str) -> str:
        items = sorted((k[len(prefix) :], v) for k, v in stats.items() if k.startswith(prefix))
        return ", ".join(f"{name} {count}" for name, count in items) or "none"

    errors = stats.get("log_count/ERROR", 0)
    return "\n".join(
        [
            f"Crawl finished ({reason}).",
            f"  pages fetched:     {stats.get('response_received_count', 0)}",
            f"  articles written:  {stats.get('sputnik/writer/articles-written', 0)}"
            f" (new versions {stats.get('sputnik/writer/articles-changed', 0)})",
            f"  already stored:    {stats.get('sputnik/state/skipped-stored', 0)} not fetched,"
            f" {stats.get('sputnik/writer/skipped-unchanged', 0)} fetched but unchanged",
            f"  rejects:           {stats.get('sputnik/rejects', 0)}"
            f" ({by_prefix('sputnik/rejects/')})",
            f"  links dropped:     {by_prefix('sputnik/links/dropped/')}",
            f"  rendered:          {stats.get('sputnik/render/rendered', 0)} pages in the browser"
            f" ({by_prefix('sputnik/render/requested/')}),"
            f" {stats.get('sputnik/render/needs-js', 0)} needed one and had none",
            f"  retries:           {stats.get('retry/count', 0)}",
            f"  errors logged:     {errors}",
            f"  files written:     {stats.get('sputnik/writer/files-written', 0)}",
            f"  health:            {health or 'not checked (SPIDERMON_ENABLED is off)'}",
        ]
    )
