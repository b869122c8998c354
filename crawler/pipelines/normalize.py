"""``NormalizePipeline``: each ``RawArticle`` the spider yields becomes an ``ArticleItem``.

The per-field rules are in ``crawler.normalize``. A value the page gives but no rule can read
becomes ``None`` (lists: empty), is logged, and is counted in ``sputnik/normalize/invalid`` (total)
and ``sputnik/normalize/invalid/<field>`` (``_`` as ``-``: ``published-at``); the validation
pipeline decides whether the article can still be written (the item is a ``NormalizedArticle``,
which carries the page's HTTP status and the invalid fields' exceptions for that). An exception
while normalizing makes the page an ``extract-error`` reject (``crawler.errors``). Other items
(rejects) pass through unchanged. The editions table is the crawl's (``EDITIONS_FILE``,
``EDITIONS``: ``Config.editions``): it gives each article its ``edition``, ``site`` and
default ``language``, its time zone and house names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawler.config import get_config
from crawler.errors import error_reject, found_json
from crawler.items import ArticleItem, RawArticle, RejectItem
from crawler.normalize import to_article
from crawler.urls import edition_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

    from crawler.editions import EditionTable

logger = logging.getLogger(__name__)


def normalize(raw: RawArticle, editions: EditionTable | None = None) -> ArticleItem:
    """The ``ArticleItem`` of a ``RawArticle``; unreadable values are ``None`` (lists empty).

    ``crawler.normalize.to_article`` also gives the reasons, which the pipeline logs and counts.

    :param editions: the crawl's editions table; the packaged one if not given
    """
    return to_article(raw, editions)[0]


class NormalizePipeline:
    """Raw page values in, dataset values out (see ``crawler.normalize``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.editions = get_config(crawler).editions

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> ArticleItem | RejectItem | Any:
        if not isinstance(item, RawArticle):
            return item
        try:
            article, invalid = to_article(item, self.editions)
        except Exception as exc:
            reject = error_reject(
                "normalization",
                exc,
                url=item.url,
                status=item.status,
                found=found_json(item.fields),
                fetched_at=item.fetched_at,
                depth=item.depth,
                referer=item.referer,
                job_id=item.job_id,
                spider=self.crawler.spider,
            )
            edition = edition_of(item.url, self.editions)
            reject.edition = edition.code if edition else None
            return reject
        stats = self.crawler.stats
        for field, reason in invalid.items():
            stats.inc_value("sputnik/normalize/invalid")
            stats.inc_value(f"sputnik/normalize/invalid/{field.replace('_', '-')}")
            logger.warning(
                "Unreadable %s on %s: %s",
                field,
                item.url,
                reason,
                extra={"spider": self.crawler.spider},
            )
        return article
