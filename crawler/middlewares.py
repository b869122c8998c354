"""Downloader middlewares that replace two of Scrapy's own.

``BackoffRetryMiddleware``: Scrapy's retries, waiting before each one. Replaces
``scrapy.downloadermiddlewares.retry.RetryMiddleware`` and reads the same ``RETRY_*`` settings,
plus:

- ``RETRY_BACKOFF_BASE_SECS`` (1.0): the first wait; it doubles with every retry of a request.
- ``RETRY_BACKOFF_MAX_SECS`` (60): the longest backoff wait.
- ``RETRY_AFTER_MAX_SECS`` (300): the longest wait a ``Retry-After`` header may ask for; a
  response asking for more is not retried.

A 429 or 503 with ``Retry-After`` (seconds or an HTTP date) waits what the server asks.

``ChainRedirectMiddleware``: Scrapy's ``RedirectMiddleware``, except that a redirect back to a URL
already in the request's own chain (A -> B -> A, as cookie and consent walls do) is not dropped by
the duplicate filter, which has already seen A: the page would be lost without a trace. Loops are
still bounded by ``REDIRECT_MAX_TIMES``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

from crawler.config import get_config

if TYPE_CHECKING:
    from typing import Any, Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response


class BackoffRetryMiddleware(RetryMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        config = get_config(crawler)
        middleware.backoff_base_secs = config.retry_backoff_base_secs
        middleware.backoff_max_secs = config.retry_backoff_max_secs
        middleware.retry_after_max_secs = config.retry_after_max_secs
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_secs(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = self.backoff_secs(request)
        elif wait > self.retry_after_max_secs:
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            return response
        else:
            self.crawler.stats.inc_value("retry/retry_after_honoured")
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(wait)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self.backoff_secs(request))
        return retry

    def backoff_secs(self, request: Request) -> float:
        tries = request.meta.get("retry_times", 0)
        return min(self.backoff_max_secs, self.backoff_base_secs * 2**tries)


class ChainRedirectMiddleware(RedirectMiddleware):
    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result = super()._redirect(redirected, request, reason)
        if result.url in result.meta["redirect_urls"]:
            result.dont_filter = True
        return result


def retry_after_secs(value: bytes | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or HTTP-date), or ``None``."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
