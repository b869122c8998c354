"""Ground truth: for every article, the record a perfect crawler writes, computed from the model.

The record has the dataset's columns (see the README's schema) that do not depend on the crawl
itself (``fetched_at``, ``depth``, ``referer`` and ``job_id`` do). What a page variant does not
carry, a perfect crawler cannot know, so the record leaves it empty: a page without valid JSON-LD
has no publisher; without JSON-LD and microdata, no genre and no creation time. The rules per field
are in ``record``; none of them reads the mirror's HTML.

Archive articles (``Site(..., archive=M)``) in the earlier template (markup.md §4) carry no JSON-LD:
no publisher, images, copyright year or genre; dates (with seconds) from the ``<head>`` metas;
authors are the person named (without ". Sputnik International"), none for agency news;
keywords only on pages with ``meta[name=keywords]``; related: the inject cards, then the "see
also" links. Generic pages carry ``og:``/``article:`` metas, an ``<h1>``, a ``<time>``, a byline
and the text: no creation time, a modification time only when they show one, no related links
(a crawler cannot tell their related stories from any other list). ``layout`` says which.
Arabic pages (``language`` ``ar``) have an Arabic rubric as section and no person as author.

Beside the columns a record has ``status`` (``article``, or ``rejected`` with ``reject_reason``),
``robots_allowed``, ``variants``, ``path`` (where the mirror serves it) and ``old_path`` (the
former URL form that redirects to it, archive articles only).

Editions (``tests.mirror.editions``): ``edition`` is the code, ``site`` the edition's host, URLs
are on that host (a percent-encoded slug in w3lib's canonical form: UTF-8, upper-case hex),
``language`` the BCP 47 primary subtag (``zh`` where pages say ``cn_CN``), times in UTC, text NFC
(some pages are served in NFD), tags lower-cased as the language does it (Turkish ``İ`` -> ``i``,
``I`` -> ``ı``; scripts without case unchanged), the publisher named as the edition's house, and
``related_urls`` ending with the related articles of other editions (on their own hosts) that
the page links. ``word_count`` follows ``word_count`` below, the same rule for every script.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import IO, Any

from tests.mirror import seed as real
from tests.mirror.model import ROBOTS_DISALLOWED_DAY, Article, Site

SITE = "sputnikglobe.com"
# The dataset's columns a record holds, in the dataset's order (crawl provenance aside).
COLUMNS = (
    "url", "article_id", "site", "edition", "headline", "description", "body", "section", "tags",
    "keywords", "authors", "genre", "language", "published_at", "created_at", "modified_at",
    "image_url", "images", "related_urls", "publisher", "copyright_year", "word_count",
    "content_hash", "layout",
)  # fmt: skip


# Characters that count one word each: Han ideographs (CJK Unified Ideographs, Extension A,
# Compatibility Ideographs, Extensions B-G), hiragana, katakana (full and half width).
_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    "\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\uff66-\uff9f"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_OR_SPACE = re.compile(f"[\\s{_CJK}]+")


def word_count(text: str) -> int:
    """Words of ``text`` by the rule the crawler shares: each Han ideograph, hiragana or
    katakana character is one word; every other maximal run of characters that are neither
    whitespace nor such characters is one word when it holds a letter or digit
    (``str.isalnum``). English: the whitespace-separated tokens, less punctuation-only ones."""
    runs = _CJK_OR_SPACE.split(text)
    return len(_CJK_CHAR.findall(text)) + sum(1 for run in runs if any(c.isalnum() for c in run))


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, ends trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def iso(moment: datetime) -> str:
    """A UTC instant as ``2024-04-10T02:11:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(headline: str | None, body: str) -> str:
    """SHA-256 (hex) of the normalized headline, a newline, and the normalized body."""
    return hashlib.sha256(f"{headline or ''}\n{body}".encode()).hexdigest()


def _images(article: Article) -> list[dict[str, Any]]:
    """``images`` as the JSON-LD ``image`` value gives them; nothing without valid JSON-LD."""
    variants = article.stub.variants
    if not variants.jsonld_valid:
        return []
    crops = [{"url": u, "width": w, "height": h} for u, w, h in article.image.crops]
    if variants.shape == "alt":
        return crops[:1]
    if variants.shape == "scalar":
        return [{"url": article.image.main_url, "width": None, "height": None}]
    return crops


def _publisher(site: Site) -> dict[str, Any]:
    return dict(real.PUBLISHER) | {"name": site.edition.house}


def _tags(site: Site, article: Article) -> list[str]:
    return list(dict.fromkeys(site.texts.lower(t.name) for t in article.stub.tags))


def _related_urls(site: Site, article: Article) -> list[str]:
    """The inline cards in page order, then the structured data's list, without repeats (the
    README's rule): another edition's card comes after the page's own cards."""
    cards = [
        site.stubs[b.target].url if b.kind == "related" else b.other.url  # type: ignore[union-attr]
        for b in article.blocks
        if b.kind in ("related", "foreign")
    ]
    linked = [site.stubs[t].url for t in article.related]
    return list(dict.fromkeys(cards + linked + [other.url for other, _ in article.foreign]))


def record(site: Site, index: int) -> dict[str, Any]:
    """The truth for article ``index``."""
    article = site.article(index)
    stub, v = article.stub, article.stub.variants
    if stub.layout != "current":
        return _archive_record(site, article)
    jsonld, structured = v.jsonld_valid, v.jsonld_valid or v.microdata
    dated = v.kind != "no-date"
    headline = collapse(stub.headline) if v.kind != "no-headline" else None
    body = "\n\n".join(collapse(p) for p in article.body_paragraphs)
    modified: str | None = None
    if dated and (structured or article.modified != stub.published):
        # Without structured data only the visible "(Updated: ...)" text tells it.
        modified = iso(article.modified)
    reason = None
    if headline is None:
        reason = "missing-headline"
    elif not dated:
        reason = "missing-published-at"
    return {
        "url": stub.url,
        "article_id": stub.article_id,
        "site": site.edition.host,
        "edition": site.edition.code,
        "headline": headline,
        "description": collapse(article.description),
        "body": body,
        "section": stub.section,
        "tags": _tags(site, article),
        "keywords": list(article.keywords),
        "authors": list(article.authors),
        "genre": article.genre if structured else None,
        "language": site.edition.language,
        "published_at": iso(stub.published) if dated else None,
        "created_at": iso(article.created) if dated and structured else None,
        "modified_at": modified,
        "image_url": article.image.main_url,
        "images": _images(article),
        "related_urls": _related_urls(site, article),
        "publisher": _publisher(site) if jsonld else None,
        "copyright_year": stub.published.year if jsonld else None,
        "word_count": word_count(body),
        "content_hash": content_hash(headline, body),
        "status": "rejected" if reason else "article",
        "reject_reason": reason,
        "robots_allowed": stub.day != ROBOTS_DISALLOWED_DAY,
        "layout": stub.layout,
        "variants": asdict(v),
        "path": stub.path,
        "old_path": stub.old_path,
    }


def _archive_record(site: Site, article: Article) -> dict[str, Any]:
    """The truth for an earlier-template or generic page (see the module docstring)."""
    stub = article.stub
    earlier = stub.layout == "earlier"
    headline = collapse(stub.headline)
    body = "\n\n".join(collapse(p) for p in article.body_paragraphs)
    modified = article.modified if earlier or article.modified != stub.published else None
    return {
        "url": stub.url,
        "article_id": stub.article_id,
        "site": site.edition.host,
        "edition": site.edition.code,
        "headline": headline,
        "description": collapse(article.description),
        "body": body,
        "section": stub.section,
        "tags": _tags(site, article),
        "keywords": list(article.keywords),
        "authors": list(article.authors),
        "genre": None,
        "language": stub.language,
        "published_at": iso(stub.published),
        "created_at": iso(article.created) if earlier else None,
        "modified_at": iso(modified) if modified else None,
        "image_url": article.image.main_url,
        "images": [],
        "related_urls": _related_urls(site, article),
        "publisher": None,
        "copyright_year": None,
        "word_count": word_count(body),
        "content_hash": content_hash(headline, body),
        "layout": stub.layout,
        "status": "article",
        "reject_reason": None,
        "robots_allowed": stub.day != ROBOTS_DISALLOWED_DAY,
        "variants": asdict(stub.variants),
        "path": stub.path,
        "old_path": stub.old_path,
    }


def records(site: Site) -> Iterable[dict[str, Any]]:
    return (record(site, i) for i in range(len(site)))


def write(site: Site, out: IO[str]) -> int:
    """Write every record as one JSON line; return how many."""
    count = 0
    for rec in records(site):
        out.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def reachable(
    site: Site, start: Iterable[int], depth_limit: int, stored: Iterable[int] = ()
) -> dict[int, int]:
    """Articles a crawler reaches from ``start`` through related links: index -> depth.

    Depth counts as Scrapy's ``DEPTH_LIMIT`` does (start pages are depth 0; ``0`` means no
    limit). Pages robots.txt disallows are never fetched, so their links are not followed; nor
    are those of ``stored`` articles, which an incremental crawl does not fetch again.
    """
    skip = set(stored)
    depth: dict[int, int] = {}
    queue: deque[int] = deque()
    for index in start:
        if (
            index not in depth
            and index not in skip
            and site.stubs[index].day != ROBOTS_DISALLOWED_DAY
        ):
            depth[index] = 0
            queue.append(index)
    while queue:
        index = queue.popleft()
        if depth_limit and depth[index] >= depth_limit:
            continue
        for target in site.related(index):
            if target in skip:
                continue
            if target not in depth and site.stubs[target].day != ROBOTS_DISALLOWED_DAY:
                depth[target] = depth[index] + 1
                queue.append(target)
    return depth
