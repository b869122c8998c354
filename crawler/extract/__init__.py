"""An article page's raw fields, merged field by field from an ordered list of sources.

The page is parsed once (the response's lxml tree) and handed to every source as one
``crawler.extract.page.Page``; whatever a source reads of it that another may need (the head
metas, the JSON-LD objects, the current template's element index) is kept on that page.

1. **Is it an article?** ``crawler.extract.evidence`` looks for evidence, not one template's class
   names: JSON-LD or microdata of an article type, ``og:type=article``, ``article:*`` metas,
   ``meta[name=pubdate]``, the current or the earlier template's markup, or, at an article URL,
   an ``<h1>`` with a publication time. Without any the page is ``NotArticle``, with what was
   seen on it. It also decides the page's ``layout``: ``current``, ``earlier`` or ``generic``.
2. **Sources, in order** (``SOURCES``; each only on the layouts it names):

   1. ``jsonld``: the JSON-LD article object (``crawler.extract.jsonld``), every layout;
   2. ``microdata``: the article item (``crawler.extract.microdata``), every layout;
   3. ``html``: the current template and the ``<head>`` metas (``crawler.extract.html``), every
      layout (the metas are every template's);
   4. ``earlier``: the earlier template (markup.md §4), earlier pages only;
   5. ``generic``: headline, dates, author and text of a page of no known template, generic
      pages only.

   The first source with a value gives a field; the later sources' values are kept as
   ``fallbacks``, tried in order when that value cannot be read (a garbled date, say).
   Exceptions (``TEMPLATE_FIRST``): ``body`` and ``related_urls`` come from the templates first
   (``html``, ``earlier``, ``generic``), then from the structured data: ``articleBody`` runs the
   paragraphs together, and the inline cards come before the structured data's links.
   ``related_urls`` is the union of every source's links, canonical (``crawler.urls``), in that
   order; the extraction returns it with the dropped links counted by reason. A link is resolved
   against the page's own URL (``/YYYYMMDD/...`` is on the page's edition) and canonicalized
   with the page's editions table (``Page.editions``; the packaged one by default): a link to
   another edition stays, on that edition's current host.

A source is a module with ``extract(page)`` (a ``Page``) or ``extract(root, base_url)`` (the lxml
root of the whole page and its public URL, as the other sources' modules take it) returning raw
values keyed by ``crawler.items.ArticleItem`` field names, empty ones left out; ``source()``
adapts either. A new source goes into ``SOURCES``, like itemadapter's ``ADAPTER_CLASSES``.
"""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, NamedTuple

from crawler.extract import earlier, evidence, generic, html, jsonld, microdata
from crawler.extract.page import Page
from crawler.items import ArticleItem
from crawler.normalize import related_url
from crawler.urls import PUBLIC_ORIGIN, article_id

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

    from crawler.editions import EditionTable

__all__ = [
    "LAYOUTS",
    "SOURCES",
    "Extracted",
    "NotArticle",
    "Page",
    "extract_article",
    "extract_page",
    "related_links",
    "source",
    "unread_depth",
]

LAYOUTS = evidence.LAYOUTS
FIELD_NAMES = tuple(f.name for f in fields(ArticleItem) if f.name != "layout")
TEMPLATE_FIRST = ("html", "earlier", "generic")  # body and related_urls: templates first


class Source(NamedTuple):
    """One source of raw fields: its name (as in ``Extracted.sources``), its module, the layouts
    it reads, and whether its ``extract`` takes a ``Page`` or ``(root, base_url)``."""

    name: str
    module: ModuleType
    layouts: frozenset[str]
    reads_page: bool

    def read(self, page: Page) -> dict[str, Any]:
        extract = self.module.extract  # looked up each time: tests wrap it
        return extract(page) if self.reads_page else extract(page.root, page.url)


def source(module: ModuleType, layouts: Iterable[str] = LAYOUTS) -> Source:
    """A ``Source`` for a module with ``extract(page)`` or ``extract(root, base_url)`` (told
    apart by the name of its first parameter, ``page`` or not).

    :param module: the source's module; its last dotted name is the source's name
    :param layouts: the layouts it is read on
    """
    first = next(iter(inspect.signature(module.extract).parameters))
    name = module.__name__.rsplit(".", 1)[-1]
    return Source(name, module, frozenset(layouts), first == "page")


# The merge's order (see the module docstring).
SOURCES = (
    source(jsonld),
    source(microdata),
    source(html),
    source(earlier, ("earlier",)),
    source(generic, ("generic",)),
)


@dataclass
class Extracted:
    """An article page's raw fields, where each came from, and what else the merge learnt."""

    fields: dict[str, Any]
    sources: dict[str, str]
    """Per field, the name of the source that gave it (``related_urls``: each, joined by ``+``)."""
    fallbacks: dict[str, list[Any]]
    """Per field, the values of the sources after the chosen one, in precedence order: used
    when the chosen value cannot be read (a garbled JSON-LD date, say)."""
    layout: str = "generic"
    """``current``, ``earlier`` or ``generic`` (``crawler.extract.evidence.layout``)."""
    evidence: str = ""
    """What made it an article (``crawler.extract.evidence.evidence``)."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Related links left out, by reason (``crawler.urls.canonicalize``'s)."""

    @property
    def related(self) -> list[str]:
        """Canonical URLs of the related articles, in order (``fields["related_urls"]``)."""
        return list(self.fields.get("related_urls", ()))


class NotArticle(NamedTuple):
    """A page without article evidence, and what was seen on it (``evidence.seen``)."""

    seen: dict[str, Any]


def extract_page(
    page: Any, public_url: str | None = None, editions: EditionTable | None = None
) -> Extracted | NotArticle:
    """The raw fields of an article page (``Extracted``), or ``NotArticle`` for other pages.

    Raw values keep the page's forms (timestamps as written, keyword strings, ...);
    ``crawler.normalize`` reads them.

    :param page: a ``Page``, or the downloaded response
    :param public_url: the page's canonical public URL (the base of relative links), when
        ``page`` does not carry it
    :param editions: the crawl's editions table, when ``page`` does not carry it (the packaged
        one if neither does)
    """
    page = Page.of(page, public_url, editions)
    if page.is_html:
        html.markup(page)  # the html source reads it on every page: the article test too
    at_article_url = bool(page.url) and article_id(page.url) is not None
    found_by = evidence.evidence(page, at_article_url)
    if found_by is None:
        return NotArticle(evidence.seen(page))
    layout = evidence.layout(page)
    found = {s.name: s.read(page) for s in SOURCES if layout in s.layouts}
    order = [s.name for s in SOURCES if s.name in found]
    template_first = [n for n in TEMPLATE_FIRST if n in found]
    template_first += [n for n in order if n not in template_first]

    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    fallbacks: dict[str, list[Any]] = {}
    for name in FIELD_NAMES:
        if name == "related_urls":
            continue
        for source_name in template_first if name == "body" else order:
            value = found[source_name].get(name)
            if value in (None, "", [], {}):
                continue
            if name not in raw:
                raw[name] = value
                sources[name] = source_name
            else:
                fallbacks.setdefault(name, []).append(value)
    if "image_url" not in raw and raw.get("images"):
        # Only the crops are known: the first stands for the main photo.
        raw["image_url"] = raw["images"][0]["url"]
        sources["image_url"] = sources["images"]

    links = {n: found[n].get("related_urls") or [] for n in template_first}
    urls, dropped = _canonical_related(links.values(), page.url, page.editions)
    if urls:
        raw["related_urls"] = urls
        sources["related_urls"] = "+".join(n for n, hrefs in links.items() if hrefs)
    return Extracted(raw, sources, fallbacks, layout, found_by, dropped)


def extract_article(
    page: Any, public_url: str | None = None, editions: EditionTable | None = None
) -> Extracted | None:
    """``extract_page``, with ``None`` for a page that is no article."""
    found = extract_page(page, public_url, editions)
    return found if isinstance(found, Extracted) else None


def related_links(
    page: Any, public_url: str | None = None, editions: EditionTable | None = None
) -> tuple[list[str], Counter[str]]:
    """Canonical URLs of the page's related articles, and dropped links counted by reason,
    read apart from the other fields: for a page whose extraction failed (``Extracted``
    carries them otherwise). The inline cards, then the JSON-LD's links.

    :param page: a ``Page``, or the downloaded article page
    :param public_url: its canonical public URL, the base of relative links
    :param editions: the crawl's editions table, when ``page`` does not carry it
    """
    page = Page.of(page, public_url, editions)
    if not page.is_html:
        return [], Counter()
    cards = html.related_hrefs(html.markup(page).index["cards"])
    if earlier.is_earlier(page.root):
        cards += earlier.related_hrefs(earlier.index(page.root))
    linked = jsonld.extract(page).get("related_urls", [])
    return _canonical_related((cards, linked), page.url, page.editions)


def unread_depth(page: Any) -> int | None:
    """How deep the page was nested where the HTML parser stopped reading it (the rest of the
    page is missing), or ``None`` for a page read to its end (``html.unread_depth``)."""
    page = Page.of(page)
    return html.unread_depth(page.root) if page.is_html else None


def _canonical_related(
    groups: Iterable[Iterable[str]], public_url: str | None, editions: EditionTable | None
) -> tuple[list[str], Counter[str]]:
    urls: dict[str, None] = {}
    dropped: Counter[str] = Counter()
    base = public_url or PUBLIC_ORIGIN + "/"
    for hrefs in groups:
        for href in hrefs:
            # Most links are canonical already: related_url skips canonicalize's work on them.
            url, reason = related_url(href, base, editions)
            if url:
                urls.setdefault(url)
            elif reason:
                dropped[reason] += 1
    return list(urls), dropped
