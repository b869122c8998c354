"""Turn articles that lack a required field into rejects.

The required fields are ``crawler.items.REQUIRED``.
An article lacking one becomes a ``RejectItem`` with the reason ``missing-<field>`` (``_`` as
``-``: ``missing-published-at``) for the first missing field in that order; the detail names all
of them (and why a value the page gave could not be used) and ``found`` holds the non-empty
fields as JSON. When the page gave that field but no source's value was in range (a timestamp
outside 1990 .. now + 2 days, ``crawler.normalize.OutOfRange``) the reason is
``date-out-of-range`` instead. The reject's ``status`` is the page's (``NormalizedArticle``),
its ``edition`` the article's.
An exception while validating makes the page an ``extract-error`` reject (``crawler.errors``).
Every other item passes unchanged.

For the markup-drift monitor (``crawler.monitors``) it counts the article pages it sees,
``sputnik/coverage/pages``, and those having each field of ``MONITOR_COVERAGE_MIN``,
``sputnik/coverage/<field>``: rows and ``missing-*`` rejects alike, so a vanished required field
shows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from crawler.config import get_config
from crawler.errors import error_reject
from crawler.items import REQUIRED, ArticleItem, NormalizedArticle, RejectItem
from crawler.normalize import OutOfRange


def coverage_stat(name: str) -> str:
    """The stat counting the article pages that have field ``name`` (hyphenated:
    ``sputnik/coverage/published-at``)."""
    field = name.replace("_", "-")
    return f"sputnik/coverage/{field}"


if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Columns a RejectItem has of its own; ``found`` holds what the page gave, not these.
COPIED_FIELDS = ("fetched_at", "depth", "referer", "job_id")


def is_empty(value: Any) -> bool:
    """``None``, a blank string or an empty collection."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return not value
    return False


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def reject_missing(item: ArticleItem) -> RejectItem | None:
    """The ``RejectItem`` for an article lacking a required field, or ``None`` if it has all."""
    missing = [name for name in REQUIRED if is_empty(getattr(item, name))]
    if not missing:
        return None
    normalized = isinstance(item, NormalizedArticle)
    errors = item.errors if normalized else {}
    found = {
        f.name: value
        for f in fields(ArticleItem)
        if f.name not in COPIED_FIELDS and not is_empty(value := getattr(item, f.name))
    }
    first = errors.get(missing[0])
    if isinstance(first, OutOfRange):
        reason = first.reason
        detail = f"The article page has no {', '.join(missing)} in range."
    else:
        reason = "missing-" + missing[0].replace("_", "-")
        detail = f"The article page has no {', '.join(missing)}."
    unusable = [f"{name}: {errors[name]}" for name in missing if name in errors]
    if unusable:
        detail += f" Given but unusable: {'; '.join(unusable)}."
    return RejectItem(
        url=item.url,
        edition=item.edition,
        reason=reason,
        detail=detail,
        found=json.dumps(found, default=_json_default, ensure_ascii=False),
        status=item.status if normalized else None,
        fetched_at=item.fetched_at,
        depth=item.depth,
        referer=item.referer,
        job_id=item.job_id,
    )


class ValidatePipeline:
    """Replace each ``ArticleItem`` that lacks a required field by a ``RejectItem``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        fields = get_config(crawler).monitors.coverage_min
        self.coverage = {name: coverage_stat(name) for name in fields}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        self.stats.inc_value("sputnik/coverage/pages")
        for name, stat in self.coverage.items():
            if not is_empty(getattr(item, name, None)):
                self.stats.inc_value(stat)
        try:
            reject = reject_missing(item)
        except Exception as exc:
            failed = error_reject(
                "validation",
                exc,
                url=item.url,
                status=item.status if isinstance(item, NormalizedArticle) else None,
                fetched_at=item.fetched_at,
                depth=item.depth,
                referer=item.referer,
                job_id=item.job_id,
                spider=self.crawler.spider,
            )
            failed.edition = item.edition
            return failed
        if reject is None:
            return item
        logger.info(
            "Rejected %s (%s): %s",
            reject.url,
            reject.reason,
            reject.detail,
            extra={"spider": self.crawler.spider},
        )
        return reject
