"""Turn articles that lack a required field into rejects.

The required fields are ``crawler.items.REQUIRED``.
An article lacking one becomes a ``RejectItem`` with the reason ``missing-<field>`` (``_`` as
``-``: ``missing-published-at``) for the first missing field in that order; the detail names all
of them and ``found`` holds the non-empty fields as JSON. Every other item passes unchanged.
Reads no settings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from crawler.items import REQUIRED, ArticleItem, RejectItem

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
    found = {
        f.name: value
        for f in fields(item)
        if f.name not in COPIED_FIELDS and not is_empty(value := getattr(item, f.name))
    }
    return RejectItem(
        url=item.url,
        reason="missing-" + missing[0].replace("_", "-"),
        detail=f"The article page has no {', '.join(missing)}.",
        found=json.dumps(found, default=_json_default, ensure_ascii=False),
        # ArticleItem has no status column; take it if a subclass or later version adds one.
        status=getattr(item, "status", None),
        fetched_at=item.fetched_at,
        depth=item.depth,
        referer=item.referer,
        job_id=item.job_id,
    )


class ValidatePipeline:
    """Replace each ``ArticleItem`` that lacks a required field by a ``RejectItem``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        reject = reject_missing(item)
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
