"""A throwaway spider for the writer's subprocess tests: yields made-up articles, slowly.

Run with ``scrapy runspider tests/spiders_write.py -a count=N -a delay_secs=S -a job_id=…``.
It makes no requests; each item is counted in ``test/yielded`` and logged, so a test can
signal the crawl after a known number of items; ``-a stats_file=PATH`` dumps the final stats.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.utils.asyncio import sleep

from crawler.items import ArticleItem

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

FIRST_PUBLISHED = datetime(2024, 4, 8, 22, 0, tzinfo=UTC)


def make_article(i: int, job_id: str | None = None) -> ArticleItem:
    """Article number ``i``: one every 3 hours from ``FIRST_PUBLISHED``, so dates vary."""
    article_id = 1_000_000 + i
    return ArticleItem(
        url=f"https://sputnikglobe.com/20240409/article-{article_id}.html",
        article_id=article_id,
        site="sputnikglobe.com",
        headline=f"Headline {i}",
        body=f"Paragraph one of {i}.\n\nParagraph two.",
        tags=["world", f"tag-{i % 5}"],
        published_at=FIRST_PUBLISHED + timedelta(hours=3 * i),
        fetched_at=datetime.now(UTC),
        depth=0,
        job_id=job_id,
    )


class SlowArticles(scrapy.Spider):
    name = "slow_articles"

    def __init__(
        self,
        count: str = "100",
        delay_secs: str = "0.05",
        job_id: str = "",
        stats_file: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.count = int(count)
        self.delay_secs = float(delay_secs)
        self.stats_file = stats_file
        if job_id:
            self.job_id = job_id

    async def start(self) -> AsyncIterator[Any]:
        for i in range(self.count):
            self.crawler.stats.inc_value("test/yielded")
            self.logger.info("Yielding item %d", i + 1)
            yield make_article(i, getattr(self, "job_id", None))
            await sleep(self.delay_secs)

    def closed(self, reason: str) -> None:
        # spider_closed comes after the pipelines closed: the writer's stats are final here.
        if self.stats_file:
            stats = {**self.crawler.stats.get_stats(), "test/close_reason": reason}
            Path(self.stats_file).write_text(json.dumps(stats, default=str))
