"""``scrapy crawl``: Scrapy's own command, with one line for a bad argument or setting.

Scrapy reports a spider or component that fails to start with a traceback from the event loop
("Task exception was never retrieved"). A ``crawler.config.ConfigError`` (a bad setting or spider
argument, raised before any request) is instead logged as one ERROR line naming it. Exit codes:

- 0: the crawl ran;
- 1: it did not start: a bad argument or setting (the message names it), or another start-up
  failure (Scrapy's traceback);
- 3: a health check failed (``crawler.monitors``): the closing summary says which and why.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from scrapy.commands import crawl

from crawler.config import ConfigError

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 1
EXIT_UNHEALTHY = 3


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's usage errors
            return
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Task):
            started.add_done_callback(_report_bad_input)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_BAD_INPUT
            return
        health = getattr(crawler, "sputnik_health", None)
        if health is not None and not health.healthy:
            self.exitcode = EXIT_UNHEALTHY


def _report_bad_input(task: asyncio.Task[None]) -> None:
    """Log a ``ConfigError`` in one line (fetching it also keeps asyncio's traceback away)."""
    if task.cancelled():
        return
    error = task.exception()
    if isinstance(error, ConfigError):
        logger.error("Not started: %s", error)
    elif error is not None:
        logger.error("Not started", exc_info=error)
