"""A throwaway spider and health suites for the notification tests (``tests/test_notify.py``).

Run with ``scrapy runspider tests/notify_spider.py -a job_id=…
-s SPIDERMON_SPIDER_CLOSE_MONITORS=tests.notify_spider.FailingSuite`` (or ``PassingSuite``).
It makes no requests and writes nothing; Spidermon runs the chosen suite at close, with the
project's notification actions (``crawler.notify.FAILED_ACTIONS``) as its failed actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from spidermon import Monitor, MonitorSuite, monitors

from crawler import settings as project_settings
from crawler.notify import FAILED_ACTIONS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SPIDERMON = "spidermon.contrib.scrapy.extensions.Spidermon"


@monitors.name("Nothing written")
class NothingWritten(Monitor):
    @monitors.name("articles written")
    def test_articles_written(self) -> None:
        self.fail("site unreachable")


@monitors.name("Errors")
class Errors(Monitor):
    @monitors.name("error log lines")
    def test_no_errors(self) -> None:
        self.assertEqual(self.data.stats.get("log_count/ERROR", 0), 0)


class FailingSuite(MonitorSuite):
    monitors: ClassVar[list[Any]] = [NothingWritten, Errors]
    monitors_failed_actions: ClassVar[list[Any]] = FAILED_ACTIONS


class PassingSuite(MonitorSuite):
    monitors: ClassVar[list[Any]] = [Errors]
    monitors_failed_actions: ClassVar[list[Any]] = FAILED_ACTIONS


class Quiet(scrapy.Spider):
    name = "quiet"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ITEM_PIPELINES": {},
        "SPIDERMON_ENABLED": True,
        # The project's: its Spidermon extension (crawler.monitors.HealthMonitors) runs the
        # suite given, before CrawlSummary, so STATS_FILE holds the notification counters.
        "EXTENSIONS": project_settings.EXTENSIONS,
    }

    def __init__(self, job_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id or None

    async def start(self) -> AsyncIterator[Any]:
        return
        yield
