"""A failure on one page becomes a reject of that page: never a lost page, never a lost crawl.

Any exception while a page is extracted (the spider), normalized or validated (the pipelines),
or while the state of an article it links to is looked up (``crawler.state``) becomes a
``RejectItem`` with the reason ``extract-error`` and, as ``detail``, the stage and the exception's
type and message; it is logged at ERROR with the traceback. The page's other links are still
followed. ``ErrorRejectMiddleware``, a spider middleware placed outermost, is the last net: an
exception out of any spider callback (or another spider middleware) becomes such a reject of the
page it was reading, instead of Scrapy's "Spider error" line. It reads no settings.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import CloseSpider

from crawler.items import RejectItem

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

REASON = "extract-error"
DETAIL_CHARS = 1000  # an exception's message can hold a whole page's value


def error_detail(stage: str, exc: BaseException) -> str:
    """``"<stage> failed: <Type>: <message>"``, cut to ``DETAIL_CHARS``.

    :param stage: what was being done: ``extraction``, ``normalization``, ...
    :param exc: the exception
    """
    text = f"{stage} failed: {type(exc).__name__}: {exc}"
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def log_error(stage: str, url: str, exc: BaseException, spider: Any = None) -> None:
    """The ERROR line of a page's failure, with the traceback."""
    logger.error(
        "Rejected %s (%s): %s failed: %s: %s",
        url,
        REASON,
        stage,
        type(exc).__name__,
        exc,
        exc_info=exc,
        extra={"spider": spider},
    )


def found_json(fields: Any) -> str | None:
    """``found`` for a reject: the fields as JSON, or ``None`` when they do not serialize."""
    try:
        return json.dumps(fields, default=str, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None


def error_reject(
    stage: str,
    exc: BaseException,
    *,
    url: str,
    status: int | None = None,
    found: str | None = None,
    fetched_at: datetime | None = None,
    depth: int | None = 0,
    referer: str | None = None,
    job_id: str | None = None,
    spider: Any = None,
) -> RejectItem:
    """The ``extract-error`` reject of a page on which ``stage`` raised ``exc``, logged.

    :param stage: what was being done, named in the detail and the log
    :param exc: the exception
    :param url: the page's canonical URL
    :param fetched_at: when it was fetched (default: now)
    """
    log_error(stage, url, exc, spider)
    return RejectItem(
        url=url,
        reason=REASON,
        detail=error_detail(stage, exc),
        found=found,
        status=status,
        fetched_at=fetched_at or datetime.now(UTC),
        depth=depth,
        referer=referer,
        job_id=job_id,
    )


def response_error_reject(
    stage: str, exc: BaseException, response: Response, spider: Any = None
) -> RejectItem:
    """``error_reject`` for the page of a response (a spider request's ``meta``)."""
    meta = response.meta
    return error_reject(
        stage,
        exc,
        url=meta.get("public_url", response.url),
        status=response.status,
        depth=meta.get("depth", 0),
        referer=meta.get("public_referer"),
        job_id=getattr(spider, "job_id", None),
        spider=spider,
    )


class ErrorRejectMiddleware:
    """The last net for spider callbacks: an exception becomes an ``extract-error`` reject."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> list[RejectItem] | None:
        if isinstance(exception, CloseSpider):
            return None  # Scrapy's way to stop the crawl from a callback
        callback = getattr(response.request, "callback", None)
        stage = f"callback {getattr(callback, '__name__', 'parse')}"
        return [response_error_reject(stage, exception, response, self.crawler.spider)]
