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
a redirect only on the site (``crawler.urls.public_target``): to a host of an edition the crawl
chose, then requested as every page is (``retarget``: through ``SITE_ORIGIN`` with that host in
``Host``, in that host's download slot), or to ``SITE_ORIGIN``'s own scheme, host and port (a
relative ``Location`` too), then on the same public host as the request redirected. A target on
an edition the crawl did not choose is refused before any request: ``OffEditionRedirect``, a
``redirect-off-edition`` reject, counted in ``sputnik/redirect/off-edition``. Any other target
(another host or port, another scheme, a link-local address) is refused before a request is
made, even for its ``robots.txt``: the request fails with ``OffSiteRedirect``, which the spider
keeps as a ``redirect-off-site`` reject, and ``sputnik/redirect/off-site`` counts it.

``OldFormMiddleware``: an article linked in the earlier template's old form (markup.md §4,
``/<section>/<YYYYMMDD><id>-<slug>/``) is requested at its canonical URL, where the live site
redirects old forms [I]; a 404 there is followed, once, by a request for the old form
(``meta["old_form"]``, the public URL on the edition's former host, requested as every page is),
as a redirect would be: same public URL and depth for the row, counted in
``sputnik/urls/old-form-retried``. A 404 there too is the page's ``http-404`` reject.

``HostFingerprinter`` (``REQUEST_FINGERPRINTER_CLASS``): Scrapy's request fingerprints, with the
``Host`` header, which alone tells two editions' pages at one path apart through one origin.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.request import fingerprint
from scrapy.utils.response import response_status_message

from crawler.config import get_config
from crawler.urls import fetch, public_target, requested_public_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

    from crawler.editions import EditionTable

logger = logging.getLogger(__name__)


class OldFormMiddleware:
    """On a 404, the article's old-form public URL (``meta["old_form"]``) is tried once."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.origin = get_config(crawler).site_origin

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
        # On the old form's host (a former one: a proxy or an archive knows those too).
        return retarget(request, old, self.origin, old_form_tried=True).replace(dont_filter=True)


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


class OffEditionRedirect(OffSiteRedirect):
    """A redirect to an edition the crawl did not choose: not followed either."""


class _OnSiteRedirects:
    """The decision both redirect middlewares share: where a redirect may go (see the module)."""

    crawler: Crawler
    origin: str
    editions: EditionTable

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)  # type: ignore[misc]
        config = get_config(crawler)
        middleware.origin = config.site_origin
        middleware.editions = config.editions
        return middleware

    def site_request(self, request: Request, target: str) -> Request:
        """``request`` sent to the public URL a redirect to ``target`` stands for (on its
        public host: a relative or origin ``Location`` stays on the request's); or
        ``OffSiteRedirect`` (``OffEditionRedirect`` for an edition the crawl did not choose)."""
        public = public_target(
            target, self.origin, public_host(request, self.origin), self.editions.hosts
        )
        stats = self.crawler.stats
        spider = self.crawler.spider
        if public is None:
            stats.inc_value("sputnik/redirect/off-site")
            logger.warning(
                "Not following a redirect off the site: %s -> %s",
                request.url,
                target,
                extra={"spider": spider},
            )
            raise OffSiteRedirect(f"{request.url} redirects off the site, to {target}")
        edition = self.editions.by_host(urlsplit(public).hostname)
        chosen = getattr(spider, "editions", None)  # without a spider (unit tests): any
        if chosen is not None and edition not in chosen:
            stats.inc_value("sputnik/redirect/off-edition")
            logger.warning(
                "Not following a redirect to an edition not crawled (%s): %s -> %s",
                edition.code if edition else "?",
                request.url,
                target,
                extra={"spider": spider},
            )
            raise OffEditionRedirect(
                f"{request.url} redirects to edition {edition.code if edition else '?'},"
                f" not crawled: {target}"
            )
        return retarget(request, public, self.origin)


class ChainRedirectMiddleware(_OnSiteRedirects, RedirectMiddleware):
    def _build_redirect_request(
        self, source_request: Request, response: Response, *, url: str, **kwargs: Any
    ) -> Request:
        # Here, before Scrapy's own check that drops non-HTTP targets: they are off the site too.
        site = self.site_request(source_request, url)
        return super()._build_redirect_request(site, response, url=site.url, **kwargs)

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result = super()._redirect(redirected, request, reason)
        if result.url in result.meta["redirect_urls"]:
            result.dont_filter = True
        return result


class SiteMetaRefreshMiddleware(_OnSiteRedirects, MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, following a refresh only on the site."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        # Only refreshes that are followed (not those over METAREFRESH_MAXDELAY) are checked.
        return super()._redirect(self.site_request(redirected, redirected.url), request, reason)


class HostFingerprinter:
    """``REQUEST_FINGERPRINTER_CLASS``: Scrapy's fingerprints, with the ``Host`` header. Through
    one origin, two editions' pages at one path (``/robots.txt``, the RSS feed, an article id
    that both have) are one URL on the origin: only the ``Host`` tells them apart, for the
    duplicate filter, the journal and the cache. Without a ``Host`` header (the live site) the
    fingerprint is Scrapy's own."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        return fingerprint(request, include_headers=("Host",))


def public_host(request: Request, origin: str) -> str:
    """The public host a request is for: its ``Host`` header through an origin, else the
    host of its URL."""
    return urlsplit(request_public_url(request, origin)).hostname or ""


def request_public_url(request: Request, origin: str) -> str:
    """The public URL a request stands for: through ``origin``, its ``Host`` header with its
    path and query; else its URL (``crawler.urls.requested_public_url``)."""
    host = request.headers.get("Host")
    return requested_public_url(request.url, host.decode("latin-1") if host else None, origin)


def retarget(request: Request, public_url: str, origin: str, **meta: Any) -> Request:
    """``request`` sent for another public URL (``crawler.urls.fetch``): its URL, ``Host``
    header and download slot replaced; ``meta`` added."""
    target = fetch(public_url, origin)
    headers = request.headers.copy()
    headers.pop("Host", None)
    headers.update(target.headers)
    return request.replace(
        url=target.url, headers=headers, meta={**request.meta, **target.meta, **meta}
    )


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
