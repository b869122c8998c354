"""Raw article fields from the ``div.article__meta`` microdata block (markup.md §2).

The block's itemprops are confirmed [C]: ``keywords``, ``datePublished``, ``dateCreated``,
``dateModified``, ``genre`` and ``author``/``creator`` > ``name``; whether the block is itself an
``itemscope`` is not. So the block's own properties are read directly, whatever scope it sits in
(cheap: the block is small), and only a page without the block is searched with extruct for an
Article item anywhere (extruct walks the whole document).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree

from crawler.extract.html import parse
from crawler.extract.jsonld import ARTICLE_TYPES, HOUSE_NAME, PERSON_TYPES

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from parsel import Selector
    from scrapy.http import TextResponse

ITEMSCOPE = etree.XPath("descendant-or-self::*[@itemscope]")
# schema.org property -> ArticleItem field
FIELDS = {
    "headline": "headline",
    "description": "description",
    "articleSection": "section",
    "keywords": "keywords",
    "genre": "genre",
    "inLanguage": "language",
    "datePublished": "published_at",
    "dateCreated": "created_at",
    "dateModified": "modified_at",
}
_extractor = MicrodataExtractor()


def extract(page: TextResponse | Selector, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields of the page's Article microdata, keyed by ``ArticleItem`` field names.

    :param page: a response or a parsel ``Selector`` of the whole page
    :param base_url: the page's public URL, to resolve link-valued properties
    """
    root: HtmlElement = getattr(page, "selector", page).root
    blocks = parse(root).index["article__meta"]
    props = _block_properties(blocks[0]) if blocks else _item_properties(root, base_url)
    if not props:
        return {}
    out: dict[str, Any] = {}
    for prop, field in FIELDS.items():
        value = _string(props.get(prop))
        if value:
            out[field] = value
    authors = _persons(props.get("author")) or _persons(props.get("creator"))
    if authors:
        out["authors"] = authors
    return out


def _item_properties(root: HtmlElement, base_url: str | None) -> dict[str, list[Any]] | None:
    """Properties of the page's first Article-typed item (values as lists), or ``None``."""
    if not ITEMSCOPE(root):
        return None  # spares extruct's whole-document pass on pages without microdata
    try:
        items = _extractor.extract_items(root, base_url)
    except Exception:  # extruct on odd markup: a missing source, not a failed page
        return None
    for item in items:
        if ARTICLE_TYPES & _types(item):
            return {
                k: v if isinstance(v, list) else [v] for k, v in item.get("properties", {}).items()
            }
    return None


def _block_properties(block: HtmlElement) -> dict[str, list[Any]]:
    """The itemprops of ``div.article__meta`` (not of items nested in it), in extruct's shape."""
    props: dict[str, list[Any]] = {}
    for element in _own_props(block):
        value: Any
        if element.get("itemscope") is not None:
            names = [
                _value(n) for n in _own_props(element) if "name" in n.get("itemprop", "").split()
            ]
            value = {"type": element.get("itemtype", ""), "properties": {"name": names}}
        else:
            value = _value(element)
        for prop in element.get("itemprop", "").split():
            props.setdefault(prop, []).append(value)
    return props


def _own_props(element: HtmlElement) -> Iterator[HtmlElement]:
    """Descendants with an ``itemprop`` that belong to ``element``, not to a nested item, in
    document order (a stack, not recursion: markup may nest 2,048 levels deep)."""
    stack = [iter(element)]
    while stack:
        for child in stack[-1]:
            if not isinstance(child.tag, str):
                continue
            if child.get("itemprop") is not None:
                yield child
            if child.get("itemscope") is None and len(child):
                stack.append(iter(child))
                break
        else:
            stack.pop()


def _value(element: HtmlElement) -> str:
    """A property's value as microdata defines it, for the elements the block uses."""
    if element.tag == "meta":
        return element.get("content", "")
    if element.tag == "time":
        return element.get("datetime") or element.text_content()
    if element.get("content"):
        return element.get("content", "")
    return " ".join(element.text_content().split())


def _types(item: dict[str, Any]) -> set[str]:
    value = item.get("type") or ""
    names = value if isinstance(value, list) else value.split()
    return {re.split(r"[/:#]", n)[-1] for n in names if isinstance(n, str)}


def _string(values: list[Any] | None) -> str | None:
    for value in values or ():
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _persons(values: list[Any] | None) -> list[str]:
    """Names of ``Person`` items (or untyped ones); organisations and the house are not authors."""
    out = []
    for value in values or ():
        if isinstance(value, dict):
            types = _types(value)
            if types and not types & PERSON_TYPES:
                continue
            props = value.get("properties") or {}
            name = props.get("name")
            name = _string(name if isinstance(name, list) else [name])
        else:
            name = _string([value])
            if name and HOUSE_NAME.match(name):
                continue
        if name:
            out.append(" ".join(name.split()))
    return out
