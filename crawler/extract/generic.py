"""Raw article fields of a page in a template the crawler does not know (the last source).

It reads only pages without a known template's body container (``div.article__body``,
``div.b-article__text``, ``itemprop=articleBody``): those have their own sources, and a scan of
their ``div``s that stops at the container is all this source costs them. On other pages it
reads what any news page carries, whoever built it: ``og:``/``article:`` and other common meta
tags, its ``<h1>``, ``<time datetime>``, ``rel=author`` links; and two general extractors:

- **trafilatura** for the body (a few ms on a small page, ~5 ms on a 160 KB one). It runs for
  precision, without comments, tables, images or links, and without its fallback extractors
  (``fast``: justext's time grows with the square of the page's blocks); its paragraphs are the
  body, one string each, minus the headline it repeats.
- **htmldate** for a publication date written only in the text. It gives a day, not a time, so
  it is asked only when no meta or ``<time>`` gives a date; its day is returned as
  ``YYYY-MM-DD``, which ``crawler.normalize`` reads as midnight in the edition's time zone (UTC
  for most). A date-only meta, in the same form, comes before it; a value with a time of day
  before both.

Neither runs on a page of more than ``MAX_ELEMENTS`` elements (a hostile page would stall the
crawl). Both get a copy of the page (they prune their input) and are guarded: a page they choke
on gives no body or no date, never an exception.
"""

from __future__ import annotations

import logging
import re
from copy import copy
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from htmldate import find_date
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from crawler.house import HOUSE_NAME, HOUSE_SUFFIX
from crawler.normalize import timestamp_processor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# Meta names, in precedence order (keys lower-cased; ``property``, ``name`` or ``itemprop``).
PUBLISHED_METAS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "pubdate",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "dcterms.issued",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
)
MODIFIED_METAS = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "lastmod",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
)
DESCRIPTION_METAS = ("og:description", "description", "twitter:description")
TITLE_METAS = ("og:title", "twitter:title")
IMAGE_METAS = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
KEYWORDS_METAS = ("keywords", "news_keywords")
DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
BYLINE = re.compile(r"^\s*by\s+", re.I)
AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
# Body containers of the known templates: a page with one gets its body from those sources.
BODY_CLASSES = frozenset({"article__body", "b-article__text"})
ARTICLE_BODY = etree.XPath("boolean(//*[@itemprop='articleBody'])")
AUTHOR_LINKS = etree.XPath(
    "//a[contains(concat(' ', translate(normalize-space(@rel), 'AUTHOR', 'author'), ' '),"
    " ' author ')]"
)
# Beyond this many elements trafilatura and htmldate are not run (body and guessed date stay
# missing, logged): their time grows with the tree (~60 and ~10 µs an element), and a hostile page
# of tiny elements within DOWNLOAD_MAXSIZE would hold the crawl for many seconds. Real article
# pages have a few thousand.
MAX_ELEMENTS = 25_000
# How far up from the <h1> a <time> is looked for (a byline's is a few levels away).
NEAR_LEVELS = 6
# trafilatura's output elements whose edges separate words.
BLOCKS = frozenset({"p", "head", "item", "lb", "quote", "list", "row", "cell", "code"})
# Built once: trafilatura reads its configuration per Extractor. Shared read-only (it copies
# the options before changing them).
OPTIONS = Extractor(
    output_format="python",
    fast=True,
    precision=True,
    comments=False,
    tables=False,
    images=False,
    links=False,
    formatting=False,
)


def extract(root: HtmlElement, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields of a page of an unknown template, keyed by ``ArticleItem`` field names;
    missing ones absent. Nothing for a page with a known template's body container: its own
    sources read it, and nothing here is paid for on it (``has_body_container``).

    :param root: the lxml root element of the whole page (``response.selector.root``)
    :param base_url: the page's canonical public URL, to resolve a relative image address
    """
    if root is None or not hasattr(root, "iter") or has_body_container(root):
        return {}
    meta = metas(root)
    h1, headline = _headline(root, _first(meta, TITLE_METAS))
    readable = within_limit(root, base_url)  # a tree the general extractors read in time
    image = _first(meta, IMAGE_METAS)
    out: dict[str, Any] = {
        "url": _canonical(root) or _first(meta, ("og:url",)),
        "headline": headline,
        "description": _first(meta, DESCRIPTION_METAS),
        "section": _first(meta, ("article:section",)),
        "tags": meta.get("article:tag", []),
        "keywords": _first(meta, KEYWORDS_METAS),
        "authors": authors(root, meta),
        "language": root.get("lang") or _first(meta, ("og:locale", "content-language")),
        "published_at": published(root, h1, meta, guess=readable),
        "modified_at": _best_time(
            [*_values(meta, MODIFIED_METAS), *_time_attrs(root, h1, modified=True)]
        ),
        "image_url": urljoin(base_url, image) if image and base_url else image,
    }
    if readable:
        out["body"] = body(root, base_url, headline)
    return {key: value for key, value in out.items() if value not in (None, "", [])}


# -- reading the page ----------------------------------------------------------------------------


def metas(root: HtmlElement) -> dict[str, list[str]]:
    """Every ``<meta>`` content by lower-cased ``property``/``name``/``itemprop``, in page order.

    The whole document, not only ``<head>``: broken markup moves metas into ``<body>``.
    """
    out: dict[str, list[str]] = {}
    for element in root.iter("meta"):
        content = (element.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (element.get(attribute) or "").strip().lower()
            if key:
                out.setdefault(key, []).append(content)
    return out


def text_of(element: Any) -> str:
    """An element's text, whitespace collapsed (scripts and styles left out)."""
    parts = []
    for node in element.iter():
        tag = node.tag
        if isinstance(tag, str) and tag not in ("script", "style") and node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return " ".join("".join(parts).split())


def has_body_container(root: HtmlElement) -> bool:
    """Whether a known template's body container is on the page: its sources read it.

    It runs on every page: a scan of the ``div``s that stops at the container (early on the
    known templates' pages) is cheaper there than an XPath over the whole tree."""
    for element in root.iter("div"):
        classes = element.get("class")
        if classes and not BODY_CLASSES.isdisjoint(classes.split()):
            return True
    return bool(ARTICLE_BODY(root))


def within_limit(root: HtmlElement, base_url: str | None) -> bool:
    """Whether the page has at most ``MAX_ELEMENTS`` elements (logged when not)."""
    if sum(1 for _ in islice(root.iter(), MAX_ELEMENTS + 1)) <= MAX_ELEMENTS:
        return True
    logger.warning(
        "Page %s has more than %d elements: no body or date looked for in its text",
        base_url,
        MAX_ELEMENTS,
    )
    return False


def authors(root: HtmlElement, meta: dict[str, list[str]]) -> list[str]:
    """Names of ``a[rel~=author]`` links, else of ``meta[name=author]`` / ``article:author``
    (not profile URLs); house suffix stripped, the house itself (an organisation) dropped."""
    linked = [text_of(a) for a in AUTHOR_LINKS(root)]
    names = linked or [
        part
        for value in (*meta.get("author", ()), *meta.get("article:author", ()))
        if "://" not in value
        for part in AUTHOR_SPLIT.split(HOUSE_SUFFIX.sub("", value))
    ]
    out: dict[str, None] = {}
    for name in names:
        name = BYLINE.sub("", HOUSE_SUFFIX.sub("", name)).strip()
        if name and not HOUSE_NAME.match(name):
            out.setdefault(name)
    return list(out)


def published(
    root: HtmlElement, h1: HtmlElement | None, meta: dict[str, list[str]], guess: bool
) -> str | None:
    """The publication time: metas, then ``<time datetime>`` (the one nearest the headline's
    ``h1`` when none is marked); else, with ``guess``, htmldate's day (see the module)."""
    times = _time_attrs(root, h1, modified=False)
    found = _best_time([*_values(meta, PUBLISHED_METAS), *times])
    return found or (found_date(root) if guess else None)


def found_date(root: HtmlElement) -> str | None:
    """htmldate's publication day, ``YYYY-MM-DD``, or ``None`` (also when it fails)."""
    try:
        return find_date(root, original_date=True, extensive_search=True)
    except Exception:  # a third-party parser on hostile markup: no date rather than no page
        logger.debug("htmldate failed", exc_info=True)
        return None


def body(root: HtmlElement, base_url: str | None, headline: str | None) -> list[str]:
    """trafilatura's paragraphs of the page's main text, minus the headline; ``[]`` when it
    finds none or fails."""
    options = copy(OPTIONS)
    options.source = options.url = base_url  # for trafilatura's own log messages
    try:
        document = bare_extraction(root, options=options)
    except Exception:  # a third-party extractor on hostile markup: no body rather than no page
        logger.debug("trafilatura failed on %s", base_url, exc_info=True)
        return []
    if document is None or document.body is None:
        return []
    folded = headline.casefold() if headline else None
    return [p for p in _paragraphs(document.body) if p.casefold() != folded]


def _paragraphs(tree: Any) -> Iterable[str]:
    """One string per block of trafilatura's output tree: a paragraph, a sub-head, a quote,
    each item of a list."""
    for block in tree:
        if not isinstance(block.tag, str):
            continue
        items = [item for item in block if item.tag == "item"] if block.tag == "list" else []
        for element in items or [block]:
            text = _xml_text(element)
            if text:
                yield text


def _xml_text(element: Any) -> str:
    """Text of a trafilatura output element; line breaks and block edges separate words."""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if node.tag in BLOCKS:
                parts.append(" ")
            parts.append(node.text or "")
        else:
            if node.tag in BLOCKS:
                parts.append(" ")
            if node is not element:
                parts.append(node.tail or "")
    return " ".join("".join(parts).split())


# -- small readers -------------------------------------------------------------------------------


def _values(meta: dict[str, list[str]], names: Iterable[str]) -> list[str]:
    return [value for name in names for value in meta.get(name, ())]


def _first(meta: dict[str, list[str]], names: Iterable[str]) -> str | None:
    return next(iter(_values(meta, names)), None)


def _canonical(root: HtmlElement) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            if href:
                return href
    return None


def _title(root: HtmlElement) -> str | None:
    for title in root.iter("title"):
        return text_of(title) or None
    return None


def _headline(root: HtmlElement, meta_title: str | None) -> tuple[HtmlElement | None, str | None]:
    """The headline's ``<h1>`` and text: the ``<h1>`` the title meta or ``<title>`` names
    (several ``<h1>``: a logo may be one), else the first; without one, the title meta (never
    ``<title>`` alone: it names the site too)."""
    h1s = [(h1, text) for h1 in root.iter("h1") if (text := text_of(h1))]
    if not h1s:
        return None, meta_title
    if len(h1s) > 1:
        for named in (meta_title, _title(root)):
            folded = (named or "").casefold()
            for h1, text in h1s:
                if folded and text.casefold() in folded:
                    return h1, text
    return h1s[0]


def _time_attrs(root: HtmlElement, h1: HtmlElement | None, modified: bool) -> list[str]:
    """``datetime`` values of the article's ``<time>`` elements, most telling first.

    Published: ``time[itemprop=datePublished]`` or ``time[pubdate]``, then the first ``<time>``
    near the ``<h1>`` (in its closest ancestor that has one: not the comments' or the site
    header's dates). Modified: ``time[itemprop=dateModified]`` or a class saying "updated".
    """
    times = [t for t in root.iter("time") if (t.get("datetime") or "").strip()]
    if not times:
        return []
    wanted, words = (
        ("datemodified", ("updated", "modified", "upd"))
        if modified
        else ("datepublished", ("published", "pubdate"))
    )
    marked = [
        t
        for t in times
        if (t.get("itemprop") or "").lower() == wanted
        or (not modified and t.get("pubdate") is not None)
        or any(word in (t.get("class") or "").lower() for word in words)
    ]
    values = [t.get("datetime", "").strip() for t in marked]
    if not modified:
        values += [t.get("datetime", "").strip() for t in _near(h1, times)]
    return values


def _near(h1: HtmlElement | None, times: list[Any]) -> list[Any]:
    """The first ``<time>`` inside the ``<h1>``'s closest ancestor holding one (below
    ``<body>``, at most ``NEAR_LEVELS`` up); without an ``<h1>``, the page's first."""
    if h1 is None:
        return times[:1]
    chosen = set(times)
    for ancestor in islice(h1.iterancestors(), NEAR_LEVELS):
        if ancestor.tag in ("body", "html"):
            break
        for element in ancestor.iter("time"):
            if element in chosen:
                return [element]
    return []


def _best_time(values: list[str]) -> str | None:
    """The first value ``crawler.normalize`` can read that has a time of day, else the first
    readable day (``YYYY-MM-DD``), else ``None``."""
    day = None
    for value in values:
        value = value.strip()
        try:
            readable = timestamp_processor(value) is not None
        except ValueError:
            continue
        if not readable:
            continue
        if not DATE_ONLY.fullmatch(value):
            return value
        day = day or value
    return day
