"""An article page's raw fields, merged field by field from an ordered list of sources.

``SOURCES`` sets the precedence (JSON-LD, then microdata, then HTML and meta tags, markup.md §2),
like itemadapter's ``ADAPTER_CLASSES``: a new source goes into the list, not into if-chains.
``FIELD_SOURCES`` holds the exceptions markup.md names: the body comes from the HTML blocks first
(JSON-LD ``articleBody`` runs paragraphs together), and ``related_urls`` is the union of the inline
cards and the structured data's links. Every source reads the response's one parsed tree.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import fields
from typing import TYPE_CHECKING, Any, NamedTuple
from weakref import WeakKeyDictionary

from crawler.extract import generic, html, jsonld, microdata
from crawler.items import ArticleItem
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.http import TextResponse

__all__ = ["SOURCES", "Extracted", "extract_article", "related_links", "unread_depth"]

SOURCES = (jsonld, microdata, html, generic)
FIELD_SOURCES = {"body": (html, jsonld, microdata, generic)}
FIELD_NAMES = tuple(f.name for f in fields(ArticleItem))
NAMES = {source: source.__name__.rsplit(".", 1)[-1] for source in SOURCES}

# The related links found while extracting, for ``related_links`` on the same response: the
# spider asks for both, and the page is parsed once.
_related: WeakKeyDictionary[Any, tuple[str, list[str], Counter[str]]] = WeakKeyDictionary()


class Extracted(NamedTuple):
    """An article page's raw fields, where each came from, and the lower sources' values."""

    fields: dict[str, Any]
    sources: dict[str, str]
    fallbacks: dict[str, list[Any]]
    """Per field, the values of the sources after the chosen one, in precedence order: used
    when the chosen value cannot be read (a garbled JSON-LD date, say)."""


def extract_article(response: TextResponse, public_url: str) -> Extracted | None:
    """The raw fields of an article page (``Extracted``), or ``None`` for other pages.

    A page is an article page when it has ``div.article``, ``h1.article__title`` or an article
    JSON-LD object; tag pages, section lists, docs and 404 pages have none. Raw values keep the
    page's forms (timestamps as written, keyword strings, ...); ``crawler.normalize`` reads them.
    ``related_urls`` is already canonical: inline cards in page order, then the structured data's
    links, duplicates and non-article links dropped. Sources are ``jsonld``, ``microdata`` and
    ``html``; ``related_urls`` names each that contributed, joined by ``+``.

    :param response: the downloaded page
    :param public_url: its canonical public URL, the base of relative links
    """
    selector = response.selector
    found = {
        NAMES[source]: source.extract(selector, public_url)
        for source in SOURCES
        if source is not generic
    }
    found["generic"] = generic.extract(selector.root, public_url)  # takes the lxml root
    # Until recognition by evidence (issue 9, point 1): at an article URL, an <h1> and a date.
    generic_evidence = (
        canonicalize(public_url)[0] is not None
        and {
            "headline",
            "published_at",
        }
        <= found["generic"].keys()
    )
    if not found["jsonld"] and not html.is_article(selector.root) and not generic_evidence:
        return None

    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    fallbacks: dict[str, list[Any]] = {}
    for field in FIELD_NAMES:
        if field == "related_urls":
            continue
        for source in FIELD_SOURCES.get(field, SOURCES):
            value = found[NAMES[source]].get(field)
            if value in (None, "", [], {}):
                continue
            if field not in raw:
                raw[field] = value
                sources[field] = NAMES[source]
            else:
                fallbacks.setdefault(field, []).append(value)
    if "image_url" not in raw and raw.get("images"):
        # Only the crops are known: the first stands for the main photo.
        raw["image_url"] = raw["images"][0]["url"]
        sources["image_url"] = sources["images"]

    cards = found["html"].get("related_urls", [])
    linked = found["jsonld"].get("related_urls", [])
    urls, dropped = _canonical_related(cards, linked, public_url)
    if urls:
        raw["related_urls"] = urls
        names = [name for name, hrefs in (("html", cards), ("jsonld", linked)) if hrefs]
        sources["related_urls"] = "+".join(names)
    _remember(response, public_url, urls, dropped)
    return Extracted(raw, sources, fallbacks)


def related_links(response: TextResponse, public_url: str) -> tuple[list[str], Counter[str]]:
    """Canonical URLs of the page's related articles, and dropped links counted by reason.

    The same list as ``extract_article``'s ``related_urls`` (taken from it when that ran on this
    response); reasons are ``crawler.urls.canonicalize``'s: ``bad-scheme``, ``off-site``,
    ``not-article``.

    :param response: the downloaded article page
    :param public_url: its canonical public URL, the base of relative links
    """
    try:
        cached = _related.get(response)
    except TypeError:  # not weakly referenceable: nothing was cached
        cached = None
    if cached is not None and cached[0] == public_url:
        return list(cached[1]), Counter(cached[2])
    selector = response.selector
    cards = html.related_hrefs(html.parse(selector.root).index["cards"])
    linked = jsonld.extract(selector, public_url).get("related_urls", [])
    return _canonical_related(cards, linked, public_url)


def unread_depth(response: TextResponse) -> int | None:
    """How deep the page was nested where the HTML parser stopped reading it (the rest of the
    page is missing), or ``None`` for a page read to its end (``html.unread_depth``)."""
    return html.unread_depth(response.selector.root)


def _canonical_related(
    cards: Iterable[str], linked: Iterable[str], public_url: str
) -> tuple[list[str], Counter[str]]:
    urls: dict[str, None] = {}
    dropped: Counter[str] = Counter()
    for href in (*cards, *linked):
        url, reason = canonicalize(href, public_url)
        if url:
            urls.setdefault(url)
        elif reason:
            dropped[reason] += 1
    return list(urls), dropped


def _remember(response: Any, public_url: str, urls: list[str], dropped: Counter[str]) -> None:
    with suppress(TypeError):  # not weakly referenceable: related_links parses again
        _related[response] = (public_url, urls, dropped)
