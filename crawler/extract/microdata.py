"""Raw article fields from the ``div.article__meta`` microdata block (markup.md §2).

The block's itemprops are confirmed [C]: ``keywords``, ``datePublished``, ``dateCreated``,
``dateModified``, ``genre`` and ``author``/``creator`` > ``name``; whether the block is itself an
``itemscope`` is not. So the block's own properties are read directly, whatever scope it sits in
(cheap: the block is small), and only a page without the block is searched with extruct for an
Article item anywhere (extruct walks the whole document): the earlier template's is the root
element itself (``<html itemscope itemtype=".../NewsArticle">``, markup.md §4), its properties
spread over the ``<head>`` metas and the visible page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree

from crawler.extract.html import markup
from crawler.extract.page import Page
from crawler.extract.values import first_text, is_article_type, person, type_names

if TYPE_CHECKING:
    from lxml.html import HtmlElement

ITEMTYPES = etree.XPath("descendant-or-self::*[@itemscope]/@itemtype")
# schema.org property -> ArticleItem field
FIELDS = {
    "headline": "headline",
    "name": "headline",  # the earlier template's h1 has either (markup.md §4)
    "articleBody": "body",
    "description": "description",
    "articleSection": "section",
    "keywords": "keywords",
    "genre": "genre",
    "inLanguage": "language",
    "datePublished": "published_at",
    "dateCreated": "created_at",
    "dateModified": "modified_at",
}
LINK = ("http://", "https://", "/")
_extractor = MicrodataExtractor()


def extract(page: Any, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields of the page's Article microdata, keyed by ``ArticleItem`` field names.

    :param page: a ``Page`` (or a response, a parsel ``Selector``, an lxml root)
    :param base_url: the page's public URL, when ``page`` does not carry it, to resolve
        link-valued properties
    """
    page = Page.of(page, base_url)
    blocks = markup(page).index["article__meta"]
    props = _block_properties(blocks[0]) if blocks else _item_properties(page)
    if not props:
        return {}
    out: dict[str, Any] = {}
    for prop, field in FIELDS.items():
        if field not in out and (value := _text(props.get(prop))):
            out[field] = value
    authors = _persons(props.get("author")) or _persons(props.get("creator"))
    if authors:
        out["authors"] = authors
    if image := _image_url(props.get("image")):
        out["image_url"] = image  # the article's photo, where og:image is a sharing card
    return out


def has_article_item(page: Page) -> bool:
    """Whether an item of an article type is anywhere on the page (the root element too)."""
    return page.memo("microdata-article", lambda p: any(map(is_article_type, ITEMTYPES(p.root))))


def _item_properties(page: Page) -> dict[str, list[Any]] | None:
    """Properties of the page's first Article-typed item (values as lists), or ``None``."""
    if not has_article_item(page):
        return None  # spares extruct's whole-document pass on pages without an article item
    try:
        items = _extractor.extract_items(page.root, page.url)
    except Exception:  # extruct on odd markup: a missing source, not a failed page
        return None
    for item in items:
        if is_article_type(item.get("type")):
            return {
                k: v if isinstance(v, list) else [v] for k, v in item.get("properties", {}).items()
            }
    return None


def _text(values: list[Any] | None) -> str | None:
    """The first text value, stripped. An ``<a itemprop>`` gives its ``href`` (the earlier
    template's rubric link): a link is no text."""
    for value in values or ():
        if isinstance(value, str) and (text := value.strip()) and not text.startswith(LINK):
            return text
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


def _image_url(values: list[Any] | None) -> str | None:
    """The first image address: a URL value, or an ``ImageObject``'s ``url``/``contentUrl``
    (the earlier template's hidden meta block, markup.md §4)."""
    for value in values or ():
        if isinstance(value, dict):
            props = value.get("properties") or {}
            value = first_text(props.get("url")) or first_text(props.get("contentUrl"))
        if isinstance(value, str) and value.strip().startswith(LINK):
            return value.strip()
    return None


def _persons(values: list[Any] | None) -> list[str]:
    """Names of ``Person`` items (or untyped ones); organisations and the house are not authors."""
    out = []
    for value in values or ():
        if isinstance(value, dict):
            name = (value.get("properties") or {}).get("name")
            name = person(first_text(name), type_names(value.get("type") or ""))
        else:
            name = person(first_text(value), None)
        if name:
            out.append(name)
    return out
