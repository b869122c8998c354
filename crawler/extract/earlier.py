"""Raw article fields from the earlier template (markup.md §4), met in archive copies of 2019-2021.

Its pages have no JSON-LD and none of today's ``article__`` classes: the article is microdata on
the root element, the visible parts are ``b-article__*`` blocks, and the related articles are
``b-inject`` cards nested inside the body's paragraphs (the HTML parser closes the ``<p>`` at the
card, so the text after a card is read back into its paragraph) and "see also" links, both in the
old URL form ``/<section>/<YYYYMMDD><id>-<slug>/`` (``crawler.urls.canonicalize`` maps it).

One pass over the tree indexes the classes read here (``index``); the fields are read from it.
Values are as the page writes them (``crawler.normalize`` reads them): timestamps as written,
names with the house suffix, the rubric's text in its case, ``related_urls`` as ``href``s.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from lxml import etree

from crawler.house import HOUSE_NAME

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

__all__ = ["extract", "index", "is_earlier", "related_hrefs"]

# The classes read, and where they sit (markup.md §4, all [C]).
CLASSES = frozenset(
    {
        "b-article__header-title",  # > h1
        "b-article__header",
        "b-article__meta",  # hidden microdata: image, publisher, author
        "b-article__refs-date",  # time[datetime], "22:57 GMT 28.04.2020"
        "b-article__refs-date-upd",  # "(updated 11:14 GMT 29.04.2020)"
        "b-article__refs-author",  # "by <a rel=author>"
        "b-article__refs-rubric",  # a, the section
        "b-article__lead",  # > p
        "b-article__text",  # [itemprop=articleBody] > p
        "b-article__refs-tags",  # > a
        "b-article__refs-item",  # dl, "see also" > dd > a
        "b-inject",  # inline related card, inside a <p> of the body
    }
)
ROOT_TYPES = frozenset({"NewsArticle", "Article"})
# Not body text: inject cards (``b-inject``, and radio pages' ``b-inject__audio*`` players),
# the disclaimer, photo credits and captions, lazy images, banners, share buttons. Class names
# beyond §4's are not known: families are matched by prefix, captions by name.
SKIP_CLASSES = frozenset({"b-disclaimer", "b-article__header-copy", "b-article__refs"})
SKIP_PREFIXES = ("b-inject", "b-banner", "b-share", "b-social", "b-media__copy")
SKIP_PARTS = ("caption", "disclaimer")
SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "svg", "img", "picture", "video",
        "audio", "figure", "button", "form", "input", "select", "object", "embed", "aside",
    }
)  # fmt: skip
# Elements whose edges separate words.
BREAKING = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "blockquote",
        "section", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "header", "footer", "br",
    }
)  # fmt: skip
# What starts a paragraph of its own in the text container.
PARAGRAPHS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li"})
CONTAINERS = frozenset({"div", "section", "article", "ul", "ol", "main"})
MAX_DEPTH = 64  # containers nested deeper are read as one paragraph each
VISIBLE_TIME = re.compile(
    r"\d{1,2}:\d{2}\s*GMT\s*(?:[+-]\d{1,2}(?::?\d{2})?\s*)?\d{1,2}\.\d{1,2}\.\d{4}"
)
UNIX_SECONDS = re.compile(r"\d{9,11}")


def is_earlier(root: HtmlElement) -> bool:
    """Whether the page carries the earlier template's markup: ``NewsArticle``/``Article``
    microdata on the root element with ``meta[name=pubdate]``, or a ``b-article__*`` class."""
    kind = (root.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1]
    if root.get("itemscope") is not None and kind in ROOT_TYPES:
        for meta in root.iter("meta"):
            if (meta.get("name") or "").strip().lower() == "pubdate":
                return True
    # Its blocks are all divs; a Python scan stops at the first (an XPath would not), and on
    # other pages visits only the divs (~0.2 ms on a 160 KB page).
    for element in root.iter("div"):
        classes = element.get("class")
        if classes and "b-article__" in classes:
            return True
    return False


def index(root: HtmlElement) -> dict[str, list[HtmlElement]]:
    """The elements of ``CLASSES`` in page order, the ``meta``s and the ``rel=author`` links
    (under ``"meta"`` and ``"author"``), found in one pass over the page."""
    found: dict[str, list[HtmlElement]] = {name: [] for name in (*CLASSES, "meta", "author")}
    for element in root.iter(etree.Element):
        tag = element.tag
        if tag == "meta":
            found["meta"].append(element)
        elif tag == "a" and "author" in (element.get("rel") or "").lower().split():
            found["author"].append(element)
        classes = element.get("class")
        if classes and "b-" in classes:
            for token in classes.split():
                if token in CLASSES:
                    found[token].append(element)
    return found


def extract(root: Any, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields of an earlier-template page, keyed by ``ArticleItem`` field names; ``{}`` on
    pages without its markup (``is_earlier``). Missing or broken parts are missing keys, never
    an exception.

    :param root: the lxml root element of the whole page (``response.selector.root``); a parsel
        ``Selector`` or a response is read through its root too
    :param base_url: the page's canonical public URL, to resolve relative image addresses
    """
    root = getattr(getattr(root, "selector", root), "root", root)
    if not isinstance(getattr(root, "tag", None), str):
        return {}
    if not is_earlier(root):
        return {}
    found = index(root)
    meta = _metas(found["meta"])
    created, updated = _visible_dates(
        found["b-article__refs-date"] + found["b-article__refs-date-upd"]
    )
    out: dict[str, Any] = {
        "url": _canonical(root),
        "headline": _headline(root, found),
        "description": _first_text(found["b-article__lead"]),
        "body": body_paragraphs(found["b-article__text"][:1]),
        "section": _first_text(found["b-article__refs-rubric"])
        or meta.get("itemprop:articlesection"),
        "tags": _tags(found["b-article__refs-tags"]),
        "keywords": meta.get("news_keywords") or meta.get("keywords"),
        "authors": _authors(found, meta),
        "language": (root.get("lang") or "").strip() or meta.get("og:locale"),
        "published_at": (
            meta.get("pubdate")
            or meta.get("itemprop:datepublished")
            or _unix(meta.get("analytics:p_ts"))
            or created
        ),
        "created_at": meta.get("itemprop:datecreated") or created,
        "modified_at": meta.get("lastmod") or meta.get("itemprop:datemodified") or updated,
        "image_url": _image(found["b-article__meta"], meta, base_url),
        "related_urls": related_hrefs(found),
    }
    return {key: value for key, value in out.items() if value not in (None, "", [])}


def related_hrefs(found: dict[str, list[HtmlElement]]) -> list[str]:
    """``href``s of the inject cards' links, then of the "see also" links, as written, in page
    order without duplicates (a card links its picture and its title to the same article).

    :param found: the page's ``index``
    """
    links: list[HtmlElement] = []
    for card in found["b-inject"]:
        links.extend(card.iter("a"))
    for item in found["b-article__refs-item"]:
        links.extend(link for dd in item.iter("dd") for link in dd.iter("a"))
    hrefs = ((link.get("href") or "").strip() for link in links)
    return list(dict.fromkeys(href for href in hrefs if href))


# -- body --------------------------------------------------------------------------------------


def body_paragraphs(bodies: Iterable[HtmlElement]) -> list[str]:
    """The text container's paragraphs, one string each (whitespace collapsed), in page order.

    A ``<p>`` starts a paragraph; text after an inject card (the tail the parser left when it
    closed the ``<p>`` at the card's ``<div>``) continues it. Cards, the disclaimer, lazy image
    placeholders and other media are left out.

    :param bodies: ``div.b-article__text`` elements (the first is the article's)
    """
    out: list[str] = []
    for body in bodies:
        _paragraphs(body, out, 0)
    return [p for p in (" ".join(p.split()) for p in out) if p]


def _paragraphs(container: HtmlElement, out: list[str], depth: int) -> None:
    current: list[str] = [container.text or ""]
    for child in container:
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS or _skipped(child):
            current.append(" ")  # a card between two halves of a paragraph
        elif tag in PARAGRAPHS:
            out.append("".join(current))
            current = [_text(child)]
        elif tag in CONTAINERS:
            out.append("".join(current))
            current = []
            if depth < MAX_DEPTH:
                _paragraphs(child, out, depth + 1)
            else:
                out.append(_text(child))
        else:  # inline: a link, bold text, a line break
            current.append(" " if tag == "br" else _text(child))
        if child.tail:
            current.append(child.tail)
    out.append("".join(current))


def _skipped(element: HtmlElement) -> bool:
    classes = element.get("class")
    if not classes:
        return False
    return any(
        token in SKIP_CLASSES
        or token.startswith(SKIP_PREFIXES)
        or any(part in token for part in SKIP_PARTS)
        for token in classes.split()
    )


def _text(element: HtmlElement) -> str:
    """Visible text of an element without what ``_skipped`` leaves out, whitespace collapsed."""
    parts: list[str] = []
    walk = etree.iterwalk(element, events=("start", "end"))
    for event, node in walk:
        tag = node.tag
        if node is element:
            if event == "start" and node.text:
                parts.append(node.text)
            continue
        if not isinstance(tag, str):  # a comment: only its tail is text
            if event == "end" and node.tail:
                parts.append(node.tail)
            continue
        if event == "start":
            if tag in SKIP_TAGS or _skipped(node):
                walk.skip_subtree()
                node_text = None
            else:
                node_text = node.text
            if tag in BREAKING:
                parts.append(" ")
            if node_text:
                parts.append(node_text)
        else:
            if tag in BREAKING:
                parts.append(" ")
            if node.tail:
                parts.append(node.tail)
    return " ".join("".join(parts).split())


# -- small readers -------------------------------------------------------------------------------


def _metas(metas: list[HtmlElement]) -> dict[str, str]:
    """``<meta>`` contents (first wins) by ``name``/``property`` and by ``itemprop:<prop>``, keys
    lower-case; the earlier template writes both on one tag (``itemprop=datePublished
    name=pubdate``). Only the article's own ``itemprop``s: not those of nested items."""
    out: dict[str, str] = {}
    for meta in metas:
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        key = meta.get("name") or meta.get("property")
        if key and key.strip():
            out.setdefault(key.strip().lower(), content)
        props = meta.get("itemprop")
        if props and not _in_nested_item(meta):
            for prop in props.split():
                out.setdefault(f"itemprop:{prop.lower()}", content)
    return out


def _in_nested_item(element: HtmlElement) -> bool:
    """Whether an element belongs to an item below the root's (a publisher, an author...)."""
    for ancestor in element.iterancestors():
        if ancestor.get("itemscope") is not None:
            return ancestor.getparent() is not None
    return False


def _canonical(root: HtmlElement) -> str | None:
    head = root.find("head")
    for link in head.iter("link") if head is not None else ():
        if "canonical" in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            if href:
                return href
    return None


def _headline(root: HtmlElement, found: dict[str, list[HtmlElement]]) -> str | None:
    for title in found["b-article__header-title"]:
        text = _first_text(list(title.iter("h1"))) or _text(title)
        if text:
            return text
    for header in found["b-article__header"]:
        if text := _first_text(list(header.iter("h1"))):
            return text
    for h1 in root.iter("h1"):
        props = set((h1.get("itemprop") or "").split())
        if {"headline", "name"} & props and (text := _text(h1)):
            return text
    return None


def _visible_dates(times: list[HtmlElement]) -> tuple[str | None, str | None]:
    """The visible creation and update times: ``datetime`` attributes (``2020-04-28T22:57``,
    UTC), else the text (``22:57 GMT 28.04.2020``, ``(updated 11:14 GMT 29.04.2020)``)."""
    created = updated = None
    for element in times:
        text = _text(element)
        value = (element.get("datetime") or "").strip() or _visible_time(text)
        upd = "b-article__refs-date-upd" in (element.get("class") or "").split()
        if upd or "updated" in text.lower():
            updated = updated or value
        else:
            created = created or value
    return created, updated


def _visible_time(text: str) -> str | None:
    match = VISIBLE_TIME.search(text)
    return match.group(0) if match else None


def _unix(value: str | None) -> str | None:
    return value if value and UNIX_SECONDS.fullmatch(value) else None


def _authors(found: dict[str, list[HtmlElement]], meta: dict[str, str]) -> list[str]:
    """``rel=author`` links (those of ``div.b-article__refs-author`` first), else the hidden
    block's ``Person`` names, else ``meta[name=author]``; the house is no author."""
    links = [a for block in found["b-article__refs-author"] for a in block.iter("a")]
    links = [a for a in links if "author" in (a.get("rel") or "").lower().split()] or links
    names = _texts(links) or _texts(found["author"]) or _persons(found["b-article__meta"])
    if not names and meta.get("author"):
        names = [meta["author"]]
    return [name for name in names if not HOUSE_NAME.match(name)]


def _persons(blocks: list[HtmlElement]) -> list[str]:
    """Names of the ``Person`` authors in the hidden microdata block (not organisations)."""
    names = []
    for block in blocks:
        for item in block.iter(etree.Element):
            props = (item.get("itemprop") or "").split()
            kind = (item.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1]
            if "author" not in props or kind != "Person":
                continue
            for name in item.iter(etree.Element):
                if "name" in (name.get("itemprop") or "").split():
                    value = name.get("content") or _text(name)
                    if value and value.strip():
                        names.append(" ".join(value.split()))
                        break
    return names


def _tags(blocks: list[HtmlElement]) -> list[str]:
    names = (_text(a).strip(" ,") for block in blocks for a in block.iter("a"))
    return [name for name in names if name]


def _image(blocks: list[HtmlElement], meta: dict[str, str], base_url: str | None) -> str | None:
    """The article's image from the hidden block (``itemprop=image``: its ``url``, ``content``,
    ``src`` or ``href``), else ``og:image`` (a sharing snippet on these pages)."""
    src = None
    for block in blocks:
        for element in block.iter(etree.Element):
            if "image" not in (element.get("itemprop") or "").split():
                continue
            for node in element.iter(etree.Element):
                is_url = node is element or "url" in (node.get("itemprop") or "").split()
                value = (
                    node.get("content") or node.get("src") or node.get("href") if is_url else None
                )
                if value and value.strip():
                    src = value.strip()
                    break
            if src:
                break
        if src:
            break
    src = src or meta.get("og:image")
    if not src or src.startswith("data:"):
        return None
    return urljoin(base_url, src) if base_url else src


def _first_text(elements: list[HtmlElement]) -> str | None:
    for element in elements:
        if text := _text(element):
            return text
    return None


def _texts(elements: Iterable[HtmlElement]) -> list[str]:
    return [text for text in map(_text, elements) if text]
