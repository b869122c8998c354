"""Downloader middlewares that replace two of Scrapy's own, and one that tries old-form URLs.

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

Both redirect middlewares here (``ChainRedirectMiddleware`` for HTTP 3xx and
``SiteMetaRefreshMiddleware``, Scrapy's ``MetaRefreshMiddleware``, for refresh meta tags) follow
a redirect only on the site (``crawler.urls.site_fetch_url``): to a site host, then fetched
from ``SITE_ORIGIN`` as every request is, or to ``SITE_ORIGIN``'s own scheme, host and port.
Any other target (another host or port, another scheme, a link-local address) is refused before
a request is made, even for its ``robots.txt``: the request fails with ``OffSiteRedirect``, which
the spider keeps as a ``redirect-off-site`` reject, and ``sputnik/redirect/off-site`` counts it.

``OldFormMiddleware``: an article linked in the earlier template's old form (markup.md §4,
``/<section>/<YYYYMMDD><id>-<slug>/``) is requested at its canonical URL, where the live site
redirects old forms [I]; a 404 there is followed, once, by a request for the old form
(``meta["old_form"]``), as a redirect would be: same public URL and depth for the row, counted in
``sputnik/urls/old-form-retried``. A 404 there too is the page's ``http-404`` reject.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.response import response_status_message

from crawler.config import get_config
from crawler.urls import site_fetch_url

if TYPE_CHECKING:
    from typing import Any, Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class OldFormMiddleware:
    """On a 404, the article's old-form URL (``meta["old_form"]``, a fetch URL) is tried once."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        old = request.meta.get("old_form")
        if response.status != 404 or not old or request.meta.get("old_form_tried"):
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("sputnik/urls/old-form-retried")
        logger.debug(
            "%s is a 404: trying its old form %s",
            request.url,
            old,
            extra={"spider": self.crawler.spider},
        )
        meta = {**request.meta, "old_form_tried": True}
        return request.replace(url=old, meta=meta, dont_filter=True)


class OffSiteRedirect(IgnoreRequest):
    """A redirect to a target off the site: not followed; the message names the target."""


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
            self.crawler.stats.inc_value("sputnik/retry/retry-after-too-long")
            return response
        else:
            self.crawler.stats.inc_value("sputnik/retry/retry-after-honoured")
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


class _OnSiteRedirects:
    """The decision both redirect middlewares share: where a redirect may go (see the module)."""

    crawler: Crawler
    origin: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)  # type: ignore[misc]
        middleware.origin = get_config(crawler).site_origin
        return middleware

    def site_url(self, request: Request, target: str) -> str:
        """The URL to fetch for a redirect of ``request`` to ``target``, or ``OffSiteRedirect``."""
        fetch = site_fetch_url(target, self.origin)
        if fetch is None:
            self.crawler.stats.inc_value("sputnik/redirect/off-site")
            logger.warning(
                "Not following a redirect off the site: %s -> %s",
                request.url,
                target,
                extra={"spider": self.crawler.spider},
            )
            raise OffSiteRedirect(f"{request.url} redirects off the site, to {target}")
        return fetch


class ChainRedirectMiddleware(_OnSiteRedirects, RedirectMiddleware):
    def _build_redirect_request(
        self, source_request: Request, response: Response, *, url: str, **kwargs: Any
    ) -> Request:
        # Here, before Scrapy's own check that drops non-HTTP targets: they are off the site too.
        url = self.site_url(source_request, url)
        return super()._build_redirect_request(source_request, response, url=url, **kwargs)

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result = super()._redirect(redirected, request, reason)
        if result.url in result.meta["redirect_urls"]:
            result.dont_filter = True
        return result


class SiteMetaRefreshMiddleware(_OnSiteRedirects, MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, following a refresh only on the site."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        # Only refreshes that are followed (not those over METAREFRESH_MAXDELAY) are checked.
        redirected = redirected.replace(url=self.site_url(request, redirected.url))
        return super()._redirect(redirected, request, reason)


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
