"""The browser behind ``RENDER_JS`` (``crawler.render``): scrapy-playwright's download handler,
started only when a page needs it.

``PlaywrightHandler`` is ``scrapy_playwright``'s ``ScrapyPlaywrightDownloadHandler`` (settings
``PLAYWRIGHT_*``, see its documentation), with two differences:

- Nothing starts with the engine: Playwright and Chromium start at the first request with
  ``meta["playwright"]``, so a crawl that renders nothing pays nothing. Other requests go to
  Scrapy's HTTP handler, as with scrapy-playwright's own.
- When the browser cannot start (``PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]`` is not an
  executable file, or the launch fails), it logs why once, at ERROR, and fails that request and
  every later rendering request with ``BrowserUnavailable``, without trying again.

At the end of the crawl (and on Ctrl-C, when Scrapy closes the downloader) scrapy-playwright closes
the contexts, the browser and Playwright, in that order.

``abort_request`` is the ``PLAYWRIGHT_ABORT_REQUEST`` predicate: images, fonts and media are
never downloaded (``ABORTED_RESOURCE_TYPES``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

if TYPE_CHECKING:
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy_playwright.handler import Config

logger = logging.getLogger(__name__)

ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media"})
INSTALL_HINT = (
    "install Debian's chromium package (apt-get install chromium) or set"
    ' PLAYWRIGHT_LAUNCH_OPTIONS=\'{"executable_path": "/path/to/chromium"}\''
)


class BrowserUnavailable(Exception):
    """No browser could be started; the message says why and what to install or set."""


def abort_request(request: PlaywrightRequest) -> bool:
    """Whether the browser skips a subresource: images, fonts and media."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


def missing_executable(config: Config) -> str | None:
    """Why the configured browser executable cannot run, or ``None`` (also when none is set:
    then Playwright's own browser is tried, and a failed launch says why)."""
    if config.cdp_url or config.connect_url:
        return None
    path = config.launch_options.get("executable_path")
    if not path:
        return None
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        return f"no browser at {path} (PLAYWRIGHT_LAUNCH_OPTIONS executable_path): {INSTALL_HINT}"
    return None


class PlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, started at the first page to render (see the module)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._start_lock = asyncio.Lock()
        self._started = False
        self._unavailable: str | None = None

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to ``engine_started``: start nothing yet."""

    def _engine_started(self) -> None:  # type: ignore[override]
        """As above, for Scrapy versions before 2.14."""

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        await self._start()
        return await super()._download_request(request, spider)

    async def _start(self) -> None:
        if self._started:
            return
        async with self._start_lock:
            if self._unavailable is None and not self._started:
                self._unavailable = missing_executable(self.config)
                if self._unavailable is None:
                    try:
                        await self._launch()
                        await self._maybe_launch_browser()
                    except Exception as exc:
                        self._unavailable = f"the browser did not start ({exc}): {INSTALL_HINT}"
                if self._unavailable is not None:
                    logger.error(
                        "Cannot render pages that need a browser: %s. They become needs-js"
                        " rejects.",
                        self._unavailable,
                    )
                    self.stats.set_value("sputnik/render/browser_unavailable", 1)
                else:
                    self._started = True
            if self._unavailable is not None:
                raise BrowserUnavailable(self._unavailable)
