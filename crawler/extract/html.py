"""Raw article fields from the current template's HTML and the ``<head>`` meta tags (markup.md §2).

Class names are confirmed [C] but their nesting is inferred [I], so elements are found by class
anywhere inside ``div.article`` (the whole document when it is missing) rather than by exact
paths, and the body is read by walking ``div.article__body`` for what is text. Selectors are
compiled once at import and run on the page's one lxml tree: extraction runs on every page.
The index of the template's elements (``markup``) is built once per page and kept on the
``Page``, where microdata and the article test find it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urljoin

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from crawler.extract.page import Page
from crawler.house import HOUSE_NAME

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_translator = HTMLTranslator()


def css(expression: str) -> etree.XPath:
    """A CSS selector compiled to an XPath, relative to the element it is called on."""
    return etree.XPath(_translator.css_to_xpath(expression, prefix="descendant-or-self::"))


# The classes the extractors look up, found in one pass over div.article (see ``Markup``).
# Nesting is inferred [I]: h1.article__title and div.article__body are looked for in the whole
# page when div.article lacks them (every article page has them: no cost normally). Only those
# tags: widgets elsewhere may reuse the class names.
CLASSES = (
    "article__title",
    "article__body",
    "article__announce-text",
    "article__info-date",
    "article__meta",
    "article__article",
    "article__author-name",
    "tag__text",
    "uptitle",
)
_CLASS_SET = frozenset(CLASSES)
_ESSENTIAL = {"article__title": "h1", "article__body": "div"}
# libxml2 stops parsing a document nested deeper than this with XML_PARSE_HUGE, which parsel's
# huge_tree sets (``unread_depth``); shallower trees are read in full, and walked iteratively.
PARSER_DEPTH = 2048
TITLE = css("h1.article__title")
UNIXTIME = css("[data-unixtime]")
TAG_LINK = css("ul.tags li a")  # fallback when a tag has no span.tag__text
HEADER_PHOTO = css(
    ".article__header div.media__size img, .article__announce img, .article__header img"
)
ANY_PHOTO = css("div.media__size img")

# A visible date: "02:11 GMT 10.04.2024", possibly "GMT+3"; the "(Updated: ...)" part follows.
VISIBLE_TIME = re.compile(
    r"\d{1,2}:\d{2}\s*GMT\s*(?:[+-]\d{1,2}(?::?\d{2})?\s*)?\d{1,2}\.\d{1,2}\.\d{4}"
)
UPDATED = re.compile(r"\(\s*Updated\s*:?\s*([^)]*)\)", re.I)

# What is not body text (markup.md §2): cards, media and their credits, banners, photo-lentas,
# tweets, the live entries' time stamps.
SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "svg", "img", "picture", "video",
        "audio", "figure", "button", "form", "input", "select", "object", "embed", "aside",
    }
)  # fmt: skip
SKIP_CLASSES = frozenset(
    {
        "article__article", "media", "media__size", "media__copyright", "media__title",
        "photoview__open", "photolenta", "banner", "ria-tweet", "twitter-tweet",
        "instagram-media", "online__item-top", "online__item-date", "article__quote-bg",
        "share", "tags",
    }
)  # fmt: skip
TEXT_BLOCK_TYPES = frozenset({"text", "quote"})
PARAGRAPH_CLASSES = frozenset(
    {"article__text", "article__h2", "article__quote-text", "online__item-title"}
)
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Elements whose edges separate words inside a paragraph's text.
BREAKING = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "blockquote",
        "section", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "header", "footer",
    }
)  # fmt: skip


def extract(page: Any, base_url: str | None = None) -> dict[str, Any]:
    """Raw fields from the page's markup, keyed by ``ArticleItem`` field names.

    :param page: a ``Page`` (or a response, a parsel ``Selector``, an lxml root)
    :param base_url: the page's public URL, when ``page`` does not carry it, to resolve
        relative image addresses
    """
    page = Page.of(page, base_url)
    found = markup(page)
    scope, index = found.scope, found.index
    meta = page.meta
    date_text, unixtime = _info_date(index["article__info-date"])
    updated = UPDATED.search(date_text)
    out: dict[str, Any] = {
        "url": meta.get("link:canonical") or meta.get("og:url"),
        "headline": _first_text(index["article__title"]) or meta.get("og:title"),
        "description": (
            _first_text(index["article__announce-text"])
            or meta.get("og:description")
            or meta.get("description")
        ),
        "body": body_paragraphs(index["article__body"]),
        "section": meta.get("article:section") or _first_text(index["uptitle"]),
        "tags": _texts(index["tag__text"]) or _texts(TAG_LINK(scope)),
        "keywords": meta.get("keywords"),
        "authors": [a for a in _texts(index["article__author-name"]) if not HOUSE_NAME.match(a)],
        "language": page.root.get("lang") or meta.get("og:locale"),
        "published_at": (
            meta.get("article:published_time") or unixtime or _visible_time(date_text)
        ),
        "modified_at": (
            meta.get("article:modified_time")
            or (_visible_time(updated.group(1)) if updated else None)
        ),
        "image_url": _absolute(meta.get("og:image"), page.url) or _photo(scope, page.url),
        "related_urls": related_hrefs(index["cards"]),
    }
    return {key: value for key, value in out.items() if value not in (None, "", [])}


class Markup(NamedTuple):
    """Where a page's current-template markup is: ``div.article`` and its elements by class."""

    article: HtmlElement | None
    scope: HtmlElement  # div.article, or the whole page without one
    index: dict[str, list[HtmlElement]]  # CLASSES and "cards", in page order
    title: bool  # an h1.article__title is on the page

    @property
    def found(self) -> bool:
        """Whether the page is in the current template: ``div.article`` or ``h1.article__title``."""
        return self.article is not None or self.title


def found(page: Page) -> bool:
    """Whether the page is in the current template (``div.article`` or ``h1.article__title``),
    by a scan that stops at the first ``div.article``: cheaper than ``markup``, for the
    article test before a browser is asked for (``crawler.render``). Taken from ``markup``
    when that is built already."""
    built = page.known("current")
    return built.found if built is not None else page.memo("current-found", _found)


def _found(page: Page) -> bool:
    for element in page.root.iter("div"):
        classes = element.get("class")
        if classes and "article" in classes.split():
            return True
    return bool(TITLE(page.root))


def markup(page: Page) -> Markup:
    """``parse`` of the page, once per page (kept on it)."""
    return page.memo("current", lambda p: parse(p.root))


def parse(root: HtmlElement) -> Markup:
    """Find ``div.article`` and the elements of ``CLASSES`` (and card blocks) in it.

    One pass instead of one XPath per selector, since it runs on every page.
    """
    article = None
    for element in root.iter("div"):  # a Python scan stops at the match; an XPath does not
        classes = element.get("class")
        if classes and "article" in classes.split():
            article = element
            break
    scope = article if article is not None else root
    index = _index(scope, _CLASS_SET)
    missing = {name for name in _ESSENTIAL if not index[name]}
    if article is not None and missing:
        outside = _index(root, missing)
        for name in missing:
            index[name] = [e for e in outside[name] if e.tag == _ESSENTIAL[name]]
    # Without div.article the index covers the whole page: every h1.article__title is in it.
    title = any(e.tag == "h1" for e in index["article__title"])
    return Markup(article, scope, index, title)


def _index(scope: HtmlElement, names: frozenset[str] | set[str]) -> dict[str, list[HtmlElement]]:
    index: dict[str, list[HtmlElement]] = {name: [] for name in (*CLASSES, "cards")}
    for element in scope.iter(etree.Element):  # Python beats a 9-way contains() XPath here
        classes = element.get("class")
        if not classes:
            continue
        card = element.get("data-type") == "article"
        for token in classes.split():
            if token in names:
                index[token].append(element)
                card = card or token == "article__article"
        if card:
            index["cards"].append(element)
    return index


def unread_depth(root: HtmlElement) -> int | None:
    """The depth at which the HTML parser gave up on the page, or ``None`` if it read it all.

    libxml2 stops at ``PARSER_DEPTH`` levels of nesting and drops the rest of the document.
    The elements still open then are the last children all the way down, so following last
    children from the root (a few steps on a normal page) reaches that depth exactly.
    """
    depth = 1
    element = root
    while len(element):
        element = element[-1]
        depth += 1
    return depth if depth >= PARSER_DEPTH else None


def related_hrefs(cards: list[HtmlElement]) -> list[str]:
    """``href``s of the inline related-article cards' links, in page order, as written.

    :param cards: card elements (``div.article__block[data-type=article]``,
        ``div.article__article``), as ``parse`` indexes them; a card inside a card counts once
    """
    seen: set[HtmlElement] = set()
    hrefs = []
    for card in cards:
        for link in card.iter("a"):
            if link not in seen:
                seen.add(link)
                href = (link.get("href") or "").strip()
                if href:
                    hrefs.append(href)
    return hrefs


# -- body --------------------------------------------------------------------------------------


def body_paragraphs(bodies: list[HtmlElement]) -> list[str]:
    """Body text, one string per paragraph, in page order (whitespace collapsed).

    Text and quote blocks, sub-heads and live-blog entries (title, then text paragraphs); related
    cards, media, captions, credits, banners, photo-lentas and tweets are left out.

    :param bodies: the ``div.article__body`` elements; the first is read
    """
    out: list[str] = []
    for body in bodies[:1]:
        _walk(body, out)
    return [p for p in out if p]


def _walk(element: HtmlElement, out: list[str]) -> None:
    # Iterative, with a stack of child iterators: a page nested thousands of levels deep must
    # not exhaust Python's recursion limit (libxml2 builds trees up to 2,048 levels).
    # A frame: (children left, where their paragraphs go, text block or None, its parent's list).
    stack: list[tuple[Any, list[str], HtmlElement | None, list[str]]] = [
        (iter(element), out, None, out)
    ]
    while stack:
        children, target, block, outer = stack[-1]
        for child in children:
            tag = child.tag
            if not isinstance(tag, str) or tag in SKIP_TAGS:
                continue  # comments and processing instructions have a non-string tag
            classes = set((child.get("class") or "").split())
            if classes & SKIP_CLASSES:
                continue
            if "article__block" in classes:
                kind = (child.get("data-type") or "").strip()
                if kind in TEXT_BLOCK_TYPES:
                    stack.append((iter(child), [], child, target))
                    break
                if not kind:
                    stack.append((iter(child), target, None, target))  # only recognisable text
                    break
                continue
            if classes & PARAGRAPH_CLASSES or tag in HEADINGS or tag == "p":
                if tag != "p" and any(c.tag == "p" for c in child):
                    stack.append((iter(child), target, None, target))  # paragraphs in one div
                    break
                target.append(_text(child))
                continue
            stack.append((iter(child), target, None, target))
            break
        else:
            stack.pop()
            if block is not None:
                # A text block without the inner div.article__text still holds text [I].
                outer.extend(target or [_text(block)])


def _skipped(element: HtmlElement) -> bool:
    classes = element.get("class")
    return bool(classes) and not SKIP_CLASSES.isdisjoint(classes.split())


def _text(element: HtmlElement) -> str:
    """Visible text of an element, whitespace collapsed; ``<br>`` and block edges separate."""
    parts: list[str] = []
    _text_parts(element, parts)
    return " ".join("".join(parts).split())


def _text_parts(element: HtmlElement, parts: list[str]) -> None:
    # Iterative (see ``_walk``); a frame is (children left, what follows its element's children:
    # the closing space of a breaking element and the element's tail).
    if element.text:
        parts.append(element.text)
    stack: list[tuple[Any, str]] = [(iter(element), "")]
    while stack:
        children, after = stack[-1]
        for child in children:
            tag = child.tag
            if isinstance(tag, str) and tag not in SKIP_TAGS and not _skipped(child):
                if tag == "br":
                    parts.append(" ")
                else:
                    breaking = tag in BREAKING
                    if breaking:
                        parts.append(" ")
                    if child.text:
                        parts.append(child.text)
                    if len(child):
                        stack.append((iter(child), (" " if breaking else "") + (child.tail or "")))
                        break
                    if breaking:
                        parts.append(" ")
            if child.tail:
                parts.append(child.tail)
        else:
            stack.pop()
            if after:
                parts.append(after)


# -- small readers -------------------------------------------------------------------------------


def _first_text(elements: list[HtmlElement]) -> str | None:
    for element in elements:
        text = _text(element)
        if text:
            return text
    return None


def _texts(elements: list[HtmlElement]) -> list[str]:
    return [text for text in map(_text, elements) if text]


def _info_date(elements: list[HtmlElement]) -> tuple[str, str | None]:
    """The header date's visible text and its ``data-unixtime`` (on the link inside [C])."""
    for element in elements:
        for stamped in UNIXTIME(element):
            unixtime = (stamped.get("data-unixtime") or "").strip()
            if unixtime.isdigit():
                return _text(element), unixtime
        return _text(element), None
    return "", None


def _visible_time(text: str) -> str | None:
    match = VISIBLE_TIME.search(text)
    return match.group(0) if match else None


def _absolute(href: str | None, base_url: str | None) -> str | None:
    """A link resolved against the page's URL (the earlier template's ``og:image`` is relative,
    markup.md §4); as written without one."""
    if href and base_url and not href.startswith(("http://", "https://")):
        return urljoin(base_url, href)
    return href


def _photo(scope: HtmlElement, base_url: str | None) -> str | None:
    """The main photo's address: the header's image, else the first ``div.media__size`` one."""
    for images in (HEADER_PHOTO(scope), ANY_PHOTO(scope)):
        for image in images:
            src = (image.get("src") or image.get("data-src") or "").strip()
            if src and not src.startswith("data:"):
                return urljoin(base_url, src) if base_url else src
    return None
