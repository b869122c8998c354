"""Raw article fields from the page's JSON-LD (markup.md §2, "JSON-LD").

The article object is found in plain scripts, in several scripts, inside ``@graph`` wrappers or a
``mainEntity``, with ``@type`` a string or a list. Its key names are unverified on the real site
[U], and any value may be a string, an object or a list, so every key is read through small
shape-tolerant helpers. A script that is not valid JSON is skipped: broken markup means missing
keys, never an exception. So is one nested deeper than the JSON decoder goes (Python's recursion
limit, about 1,000 levels, less the caller's depth); objects are walked without recursion.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crawler.extract.page import Page
from crawler.extract.values import is_article_type, person, type_names

__all__ = ["article_object", "extract", "fields", "find_article"]


def extract(page: Any, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields of the page's article object, keyed by ``ArticleItem`` field names.

    :param page: a ``Page`` (or a response, a parsel ``Selector``, an lxml root)
    :param base_url: the page's public URL, when ``page`` does not carry it; prefers the
        article object naming it when a page holds several
    """
    article = article_object(Page.of(page, base_url))
    return fields(article) if article is not None else {}


def article_object(page: Page) -> dict[str, Any] | None:
    """The page's article object (``find_article`` on its JSON-LD), found once per page."""
    return page.memo("jsonld-article", lambda p: find_article(p.jsonld, p.url))


def find_article(values: list[Any], base_url: str | None = None) -> dict[str, Any] | None:
    """The first article-typed object (the one whose ``url`` is ``base_url``, if any is)."""
    found = [node for node in _nodes(values) if is_article_type(node.get("@type"))]
    if not found:
        return None
    if base_url:
        for node in found:
            if base_url in (_url(node.get("url")), _url(node.get("mainEntityOfPage"))):
                return node
    return found[0]


def fields(article: dict[str, Any]) -> dict[str, Any]:
    """Raw ``ArticleItem`` fields of one article object; keys without a usable value are absent."""
    out: dict[str, Any] = {
        "url": _url(article.get("url")) or _url(article.get("mainEntityOfPage")),
        "headline": _string(article.get("headline")) or _string(article.get("name")),
        "description": _string(article.get("description")),
        "body": _string(article.get("articleBody")),
        "section": _string(article.get("articleSection")),
        "tags": _names(article.get("mentions")),
        "keywords": _keywords(article.get("keywords")),
        "authors": _persons(article.get("author")) or _persons(article.get("creator")),
        "genre": _string(article.get("genre")),
        "language": _language(article.get("inLanguage")),
        "published_at": _scalar(article.get("datePublished")),
        "created_at": _scalar(article.get("dateCreated")),
        "modified_at": _scalar(article.get("dateModified")),
        "image_url": _image_url(article),
        "images": _images(article.get("image")),
        "related_urls": _urls(article.get("citation")) + _urls(article.get("relatedLink")),
        "publisher": _publisher(article.get("publisher")),
        "copyright_year": _scalar(article.get("copyrightYear")),
    }
    return {key: value for key, value in out.items() if value not in (None, "", [], {})}


# -- finding the article ---------------------------------------------------------------------


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every object of a decoded script: top level, list items, ``@graph`` and ``mainEntity``,
    in document order (a stack, not recursion: lists may nest as deep as the decoder went)."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            if isinstance(item, dict):
                yield item
                inner = [item[key] for key in ("@graph", "mainEntity") if key in item]
                if inner:
                    stack.append(iter(inner))
                    break
        else:
            stack.pop()


# -- value shapes ------------------------------------------------------------------------------


def _first(value: Any) -> Any:
    """A list's first non-empty item; other values unchanged."""
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "", [], {})), None)
    return value


def _string(value: Any) -> str | None:
    """A text value: a string, a number, an object's ``name``/``@value``, or a list's first."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _scalar(value: Any) -> str | int | None:
    """A timestamp or year as given (string or number), from a list's first or ``@value``."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value  # type: ignore[return-value]
    return value if isinstance(value, str) and value.strip() else None


def _url(value: Any) -> str | None:
    """A link: a string, or an object's ``url``/``@id``/``contentUrl``; a list's first."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or value.get("contentUrl")
        value = _first(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _urls(value: Any) -> list[str]:
    """Links from a string, an object or a list of either, in order."""
    items = value if isinstance(value, list) else [value]
    return [u for u in (_url(item) for item in items) if u]


def _names(value: Any) -> list[str] | str | None:
    """Names of ``Thing``s or strings (a list), or a comma-separated string as is."""
    if isinstance(value, str):
        return value
    items = value if isinstance(value, list) else [value]
    return [n for n in (_string(item) for item in items) if n]


def _keywords(value: Any) -> list[str] | str | None:
    """``keywords``: a (comma-separated) string or a list of strings/``DefinedTerm``s."""
    if isinstance(value, str):
        return value
    return _names(value) if isinstance(value, list | dict) else None


def _persons(value: Any) -> list[str]:
    """Names of the persons among authors: ``Person`` objects and plain strings
    (``crawler.extract.values.person``: organisations and the house are not authors)."""
    out = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            name = person(_string(item.get("name")), type_names(item.get("@type")))
        else:
            name = person(_string(item), None)
        if name:
            out.append(name)
    return out


def _language(value: Any) -> str | None:
    """``inLanguage``: a code string, or a ``Language`` object's ``alternateName``/``name``."""
    value = _first(value)
    if isinstance(value, dict):
        return _string(value.get("alternateName")) or _string(value.get("name"))
    return _string(value)


def _image_url(article: dict[str, Any]) -> str | None:
    """The main photo: ``thumbnailUrl``, else ``image`` when it is a plain URL (or URLs).

    ``ImageObject``s are the site's crops (16:9, 4:3, 1:1), not the main photo: they go to
    ``images`` only, and the page's ``og:image`` is the better fallback.
    """
    thumb = _url(article.get("thumbnailUrl"))
    if thumb:
        return thumb
    image = _first(article.get("image"))
    return image.strip() if isinstance(image, str) and image.strip() else None


def _images(value: Any) -> list[dict[str, Any]]:
    """``image`` as ``{url, width, height}`` dicts, sizes raw: URL strings and ``ImageObject``s."""
    out = []
    for item in value if isinstance(value, list) else [value]:
        url = _url(item)
        if not url:
            continue
        sized = isinstance(item, dict)
        width = _size(item.get("width")) if sized else None
        height = _size(item.get("height")) if sized else None
        out.append({"url": url, "width": width, "height": height})
    return out


def _size(value: Any) -> Any:
    """A width or height as given: a number, a string, or a ``QuantitativeValue``'s ``value``;
    anything else (a nested list, say) is ``None``, so raw fields stay flat."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, int | float | str) else None


def _publisher(value: Any) -> dict[str, Any] | None:
    """The publisher ``Organization`` with its ``logo``; a plain string is its name."""
    value = _first(value)
    if isinstance(value, str):
        return {"name": value} if value.strip() else None
    if not isinstance(value, dict):
        return None
    logo = _first(value.get("logo"))
    out = {
        "name": _string(value.get("name")),
        "email": _string(value.get("email")),
        "telephone": _string(value.get("telephone")),
        "legal_name": _string(value.get("legalName")),
        "logo_url": _url(logo),
        "logo_width": _size(logo.get("width")) if isinstance(logo, dict) else None,
        "logo_height": _size(logo.get("height")) if isinstance(logo, dict) else None,
    }
    return out if any(v is not None for v in out.values()) else None
