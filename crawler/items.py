"""The dataset's schema: one class per row kind, the single source of every column.

``ArticleItem`` is one row of the articles dataset, ``RejectItem`` one row of the rejects dataset.
Each field carries its Arrow type in its metadata; ``arrow_schema`` derives the Parquet schema from
the class, so a column is added in one place. The text under each field says what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
IMAGE = pa.struct([("url", pa.string()), ("width", pa.int32()), ("height", pa.int32())])
PUBLISHER = pa.struct(
    [
        ("name", pa.string()),
        ("email", pa.string()),
        ("telephone", pa.string()),
        ("legal_name", pa.string()),
        ("logo_url", pa.string()),
        ("logo_width", pa.int32()),
        ("logo_height", pa.int32()),
    ]
)


def column(arrow: pa.DataType, default: Any = None) -> Any:
    """A field with its Arrow type; lists default to empty."""
    if isinstance(arrow, pa.ListType):
        return field(default_factory=list, metadata={"arrow": arrow})
    return field(default=default, metadata={"arrow": arrow})


# Fields an article must have; without one it becomes a reject (crawler.pipelines.validate).
REQUIRED = ("url", "article_id", "headline", "published_at")


@dataclass(kw_only=True)
class ArticleItem:
    """One article. Required: ``url``, ``article_id``, ``headline``, ``published_at``.

    Every other field is ``None`` (lists: empty) when the page does not carry it. Values are
    normalized by ``crawler.pipelines.normalize``; the spider fills raw values only.
    """

    url: str = column(pa.string(), "")
    """Canonical article URL, always ``https://<edition host>/YYYYMMDD/slug-id.html`` form."""
    article_id: int | None = column(pa.int64())
    """The number at the end of the URL: unique within an edition only."""
    site: str | None = column(pa.string())
    """Host of the canonical URL, the edition's current host, e.g. ``sputnikglobe.com``."""
    edition: str | None = column(pa.string())
    """The edition's code (``crawler/editions.json``): ``en``, ``en-af``, ``es``, ``zh``..."""
    headline: str | None = column(pa.string())
    """Title, whitespace collapsed."""
    description: str | None = column(pa.string())
    """The lead paragraph, whitespace collapsed."""
    body: str | None = column(pa.string())
    """Text and quote blocks, sub-heads and live entries in page order, one paragraph each,
    joined by a blank line; no related cards, captions, credits, banners or tweets."""
    section: str | None = column(pa.string())
    """Lower-case section, e.g. ``analysis``."""
    tags: list[str] = column(pa.list_(pa.string()))
    """Lower-case tag names in page order, no duplicates."""
    keywords: list[str] = column(pa.list_(pa.string()))
    """SEO keyword phrases, split on commas, trimmed, no empties or duplicates."""
    authors: list[str] = column(pa.list_(pa.string()))
    """Names of the persons who wrote it (organisations are not authors)."""
    genre: str | None = column(pa.string())
    """E.g. ``News``."""
    language: str | None = column(pa.string())
    """BCP 47 language tag, e.g. ``en`` (from ``en_EN``)."""
    published_at: datetime | None = column(TIMESTAMP)
    """Publication time, UTC, microseconds."""
    created_at: datetime | None = column(TIMESTAMP)
    """Creation time, UTC."""
    modified_at: datetime | None = column(TIMESTAMP)
    """Last update, UTC."""
    image_url: str | None = column(pa.string())
    """The main photo's address."""
    images: list[dict[str, Any]] = column(pa.list_(IMAGE))
    """Every image object of the structured data: ``{url, width, height}`` (pixels)."""
    related_urls: list[str] = column(pa.list_(pa.string()))
    """Canonical URLs of related articles (inline cards, then structured data), no duplicates."""
    publisher: dict[str, Any] | None = column(PUBLISHER)
    """The publishing organisation, from the structured data."""
    copyright_year: int | None = column(pa.int32())
    """From the structured data."""
    word_count: int | None = column(pa.int32())
    """Words of ``body``: each Han, hiragana or katakana character is one word, every other
    run of non-space characters with a letter or digit in it is one (README, "Editions")."""
    content_hash: str | None = column(pa.string())
    """SHA-256 hex of ``headline + "\\n" + body``: changes when the text does."""
    layout: str | None = column(pa.string())
    """How the page was read: ``current`` (today's template, markup.md §2), ``earlier`` (the
    template of archive copies until about 2021, §4) or ``generic`` (no known template: the
    structured data, metas, ``<h1>`` and the main text). ``None`` in files written before the
    column existed."""
    fetched_at: datetime | None = column(TIMESTAMP)
    """When the page was downloaded, UTC."""
    depth: int | None = column(pa.int32())
    """Related-link hops from the seed (Scrapy's ``depth``)."""
    referer: str | None = column(pa.string())
    """Canonical URL of the page that linked here; ``None`` for seeds."""
    job_id: str | None = column(pa.string())
    """The crawl job: scrapyd's job id, else a UTC timestamp with a random suffix."""


@dataclass(kw_only=True)
class NormalizedArticle(ArticleItem):
    """An ``ArticleItem`` between normalization and validation, with what a reject of it needs
    and the dataset has no column for. The writer takes ``ArticleItem``'s fields only, so these
    are never written: the articles schema stays ``ArticleItem``'s."""

    status: int | None = None
    """HTTP status of the page, for a reject's ``status``."""
    errors: dict[str, ValueError] = field(default_factory=dict, compare=False, repr=False)
    """Per field, why the page's value could not be used (``crawler.normalize``): a reject's
    reason and detail (``date-out-of-range`` from ``crawler.normalize.OutOfRange``)."""


@dataclass(kw_only=True)
class RejectItem:
    """A page that did not become an article, kept with the reason. Required: all but ``found``."""

    url: str = column(pa.string(), "")
    """Canonical URL (or the URL requested, when it is not an article URL)."""
    edition: str | None = column(pa.string())
    """The code of the edition whose host ``url`` is on."""
    reason: str = column(pa.string(), "")
    """One hyphenated token: ``not-article``, ``missing-headline``, ``http-404``, ..."""
    detail: str | None = column(pa.string())
    """A human-readable sentence about the reason."""
    found: str | None = column(pa.string())
    """JSON object of the raw fields that were found on the page; for a ``not-article`` page,
    what was seen instead: its ``title``, first ``h1``, ``og:type``, ``jsonld_types``,
    ``microdata_types``, whether it has a publication ``time``, how many ``scripts``."""
    status: int | None = column(pa.int32())
    """HTTP status of the response, if there was one."""
    fetched_at: datetime | None = column(TIMESTAMP)
    """When it happened, UTC."""
    depth: int | None = column(pa.int32())
    """As in ``ArticleItem``."""
    referer: str | None = column(pa.string())
    """As in ``ArticleItem``."""
    job_id: str | None = column(pa.string())
    """As in ``ArticleItem``."""


def arrow_schema(item_class: type) -> pa.Schema:
    """The Parquet schema of an item class, from its fields' metadata, in field order."""
    return pa.schema([pa.field(f.name, f.metadata["arrow"]) for f in fields(item_class)])


@dataclass(kw_only=True)
class RawArticle:
    """What the spider found on an article page, before normalization; never written as is.

    ``fields`` maps ``ArticleItem`` field names to values as the page gave them (strings,
    lists, JSON-LD objects), merged from the sources in ``crawler.extract``'s order.
    ``crawler.pipelines.normalize`` turns it into an ``ArticleItem``.
    """

    url: str
    """Canonical URL of the page."""
    fields: dict[str, Any]
    """Raw values by ``ArticleItem`` field name; a field the page lacks is absent."""
    layout: str | None = None
    """The page's template: ``current``, ``earlier`` or ``generic`` (``ArticleItem.layout``)."""
    fallbacks: dict[str, list[Any]] = field(default_factory=dict)
    """Per field, the lower-precedence sources' values, tried when ``fields``' is unreadable."""
    status: int = 200
    fetched_at: datetime | None = None
    depth: int = 0
    referer: str | None = None
    job_id: str | None = None
