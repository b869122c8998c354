"""Whether a page is an article, by evidence rather than one template's class names, and which
template (``layout``) it is in.

Evidence, looked for cheapest first, the first found is the answer (``evidence``):

- ``current-template``: ``div.article`` or ``h1.article__title`` (markup.md §2);
- ``article-meta``: an ``article:*`` meta (``article:published_time``, ``article:section``...);
- ``og-type``: ``og:type`` is ``article``;
- ``pubdate``: ``meta[name=pubdate]`` (the earlier template's, markup.md §4);
- ``earlier-template``: a ``b-article__*`` class (markup.md §4);
- ``jsonld``: a JSON-LD object of an article type (``NewsArticle``, ``LiveBlogPosting``...);
- ``microdata``: an item of an article type anywhere, the root element included;
- ``h1-time``: only at an article URL, an ``<h1>`` with a publication time
  (``time[datetime]`` or an ``itemprop=datePublished``).

A page without any is no article: ``seen`` says what it had, for the ``not-article`` reject.

``layout``: ``current`` when the current template's markup is there (``div.article`` /
``h1.article__title``), ``earlier`` when the earlier one's is (a ``b-article__*`` class, or
article microdata on the root element with ``meta[name=pubdate]``), else ``generic``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from crawler.extract import html, jsonld, microdata
from crawler.extract.values import is_article_type, type_names

if TYPE_CHECKING:
    from crawler.extract.page import Page

LAYOUTS = ("current", "earlier", "generic")
EARLIER_PREFIX = "b-article"
H1 = etree.XPath("descendant-or-self::h1")
PUBLISHED_TIME = etree.XPath(
    "descendant-or-self::*[self::time[@datetime] or @itemprop='datePublished'][1]"
)
TITLE = etree.XPath("/html/head/title")
SEEN_CHARS = 200  # of a title or heading in a not-article reject's ``found``


def evidence(page: Page, article_url: bool = True) -> str | None:
    """The first evidence (see the module) that the page is an article, or ``None``.

    :param page: the parsed page
    :param article_url: whether the page's URL is an article URL (only then does an ``<h1>``
        with a publication time count)
    """
    if not page.is_html:
        return None
    if html.found(page):
        return "current-template"
    meta = page.meta
    if any(key.startswith("article:") for key in meta):
        return "article-meta"
    if meta.get("og:type", "").lower() == "article":
        return "og-type"
    if "pubdate" in meta:
        return "pubdate"
    if earlier_markup(page):
        return "earlier-template"
    if jsonld.article_object(page) is not None:
        return "jsonld"
    if microdata.has_article_item(page):
        return "microdata"
    if article_url and H1(page.root) and PUBLISHED_TIME(page.root):
        return "h1-time"
    return None


def layout(page: Page) -> str:
    """``current``, ``earlier`` or ``generic``: which template the article page is in."""
    if html.found(page):
        return "current"
    if earlier_markup(page):
        return "earlier"
    root = page.root
    if "pubdate" in page.meta and is_article_type(root.get("itemtype")):
        return "earlier"
    return "generic"


def earlier_markup(page: Page) -> bool:
    """Whether an element has a ``b-article__*`` (or ``b-article``) class; kept on the page."""
    return page.memo("earlier-markup", _has_earlier_class)


def _has_earlier_class(page: Page) -> bool:
    for element in page.root.iter(etree.Element):  # stops at the first match
        classes = element.get("class")
        if classes and EARLIER_PREFIX in classes:
            for token in classes.split():
                if token == EARLIER_PREFIX or token.startswith(EARLIER_PREFIX + "__"):
                    return True
    return False


def seen(page: Page) -> dict[str, Any]:
    """What a page without evidence had, for its reject's ``found``: its title and first
    ``<h1>``, the ``og:type``, the types of its JSON-LD objects and microdata items, whether it
    has a ``<time>``, and how many scripts."""
    if not page.is_html:
        return {"html": False}
    root = page.root
    out: dict[str, Any] = {}
    titles = TITLE(root)
    if titles and (title := " ".join(titles[0].text_content().split())):
        out["title"] = title[:SEEN_CHARS]
    headings = H1(root)
    if headings and (heading := " ".join(headings[0].text_content().split())):
        out["h1"] = heading[:SEEN_CHARS]
    if "og:type" in page.meta:
        out["og:type"] = page.meta["og:type"]
    ld_types = sorted({t for value in page.jsonld for t in _ld_types(value)})
    if ld_types:
        out["jsonld_types"] = ld_types
    item_types = sorted({t for v in microdata.ITEMTYPES(root) for t in type_names(str(v))})
    if item_types:
        out["microdata_types"] = item_types
    out["time"] = bool(PUBLISHED_TIME(root))
    out["scripts"] = sum(1 for _ in root.iter("script"))
    return out


def _ld_types(value: Any) -> set[str]:
    """The ``@type``s of a decoded JSON-LD script's top-level objects (and ``@graph``'s)."""
    items = value if isinstance(value, list) else [value]
    names: set[str] = set()
    for item in items:
        if isinstance(item, dict):
            names |= type_names(item.get("@type"))
            graph = item.get("@graph")
            for node in graph if isinstance(graph, list) else ():
                if isinstance(node, dict):
                    names |= type_names(node.get("@type"))
    return names
