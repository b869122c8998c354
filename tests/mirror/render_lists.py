"""Pages that are not articles: home, section and tag lists, "more" fragments, the news-feed
widget, ``/docs/`` prose, the newsletter page and the 404 page.

They follow markup.md §1 and §3:

- Home page: ``.cell-main-photo__title`` (top story), ``a.cell-list__item``, ``.cell-list-f__link``
  [C].
- Section lists ``/<section>/`` and tag pages ``/keyword_…/``, ``/category_…/``, ``/location_…/``:
  ``div.list__item`` with ``a.list__title``, 20 a page, newest first; the next page's address in
  ``div.list__more[data-url]``, then in ``div.list-items-loaded[data-next-url]`` of each fragment
  served from ``/services/<list>/more.html?id=<last id>&date=<YYYYMMDDTHHMM>`` [C]. As on ria.ru
  (same engine), a fragment is the items inside ``div.list-items-loaded``, with no page around them.
- News-feed widget ``/services/widget/lenta/``: ``div.lenta__item > a[href] > div.lenta__item-text``
  and ``div.lenta__item-date[data-unixtime]`` [C].

Article links are written as the real site writes them: mostly relative
(``/20240410/slug-id.html``), some absolute on the public origin. Listings include orphan
articles, which nothing else links. None of these pages carries article markup (``div.article``,
a NewsArticle JSON-LD).
"""

from __future__ import annotations

import json
import re
import zlib
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from tests.mirror import boilerplate, text
from tests.mirror.model import image_url

if TYPE_CHECKING:
    from tests.mirror.model import Site, Stub
    from tests.mirror.text import Tag

PAGE_SIZE = 20
LENTA_SIZE = 30
HOME_LATEST = 30
HOME_SECTION_ITEMS = 5
ABSOLUTE_LINK_ONE_IN = 8  # about one listing link in 8 is absolute, the rest relative
SITE_NAME = "Sputnik International"
RSS_PATH = "/export/rss2/archive/index.xml"
SECTION_NAMES = {s: ("US" if s == "us" else s.title()) for s in text.SECTIONS}
TAG_BY_NAME = {t.path.strip("/"): t for t in text.TAGS}
THUMB_BOX = (0, 22, 900, 528)  # the 16:9 crop of the article's photo
THUMB_SIZE = "600x338"

_LIST = re.compile(r"^/([a-z0-9_]+)/$")
_MORE = re.compile(r"^/services/([a-z0-9_]+)/more\.html$")
_DOC = re.compile(r"^/docs/([a-z_]+)\.html$")
_ID = re.compile(r"^\d{1,12}$")
_DATE = re.compile(r"^(\d{8})T(\d{4})(\d{2})?$")

_sections: WeakKeyDictionary[Site, dict[str, list[int]]] = WeakKeyDictionary()


def _section_names(site: Site) -> dict[str, str]:
    """List token -> shown name of the site's sections (``/world/`` -> ``World``)."""
    if site.edition.code == "en":
        return SECTION_NAMES
    texts = site.texts
    return {texts.section_path(s): texts.section_title(s) for s in texts.SECTIONS}


def _tags_by_name(site: Site) -> dict[str, Tag]:
    if site.edition.code == "en":
        return TAG_BY_NAME
    return {t.path.strip("/"): t for t in site.texts.TAGS}


def page(site: Site, path: str, query: dict[str, list[str]]) -> str | None:
    """The page at ``path`` (query already parsed), or ``None`` when there is none (a 404).

    :param site: the model
    :param path: the request path, e.g. ``/world/`` or ``/services/world/more.html``
    :param query: the parsed query string; only ``more.html`` reads it (``id``, ``date``)
    """
    if path == "/":
        return home(site)
    if path == "/services/widget/lenta/":
        return lenta(site)
    if path == "/services/subscribe/":
        return subscribe(site)
    if match := _DOC.match(path):
        return doc(site, match[1])
    if match := _MORE.match(path):
        return more(site, match[1], query)
    if match := _LIST.match(path):
        return list_page(site, match[1])
    return None


# -- links and dates ----------------------------------------------------------------------------


def _href(stub: Stub, place: str) -> str:
    """Relative mostly, absolute sometimes; which one depends on the article and the page kind."""
    if zlib.crc32(f"{place}:{stub.article_id}".encode()) % ABSOLUTE_LINK_ONE_IN == 0:
        return stub.url
    return stub.path


def _unixtime(stub: Stub) -> int:
    return int(stub.published.timestamp())


def _shown_time(stub: Stub) -> str:
    return stub.published.strftime("%H:%M GMT %d.%m.%Y")


def _thumb(site: Site, stub: Stub) -> str:
    image = site.article(stub.index).image
    return image_url(
        image.media_id, stub.published, THUMB_BOX, THUMB_SIZE, site.edition.image_origin
    )


def _head(site: Site, title: str, path: str, description: str, jsonld: dict | None = None) -> str:
    origin, house = site.origin, escape(site.edition.house)
    parts = [
        f'<meta name="description" content="{escape(description)}">',
        f'<link rel="canonical" href="{origin}{path}">',
        f'<link rel="alternate" type="application/rss+xml" title="{house}"'
        f' href="{origin}{RSS_PATH}">',
        '<meta property="og:type" content="website">',
        f'<meta property="og:site_name" content="{house}">',
        f'<meta property="og:title" content="{escape(title)}">',
        f'<meta property="og:url" content="{origin}{path}">',
    ]
    if jsonld is not None:
        data = json.dumps(jsonld, ensure_ascii=False).replace("</", "<\\/")
        parts.append(f'<script type="application/ld+json">{data}</script>')
    return "\n".join(parts)


def _breadcrumbs(site: Site, name: str, path: str) -> dict:
    house, origin = site.edition.house, site.origin
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": house, "item": f"{origin}/"},
            {"@type": "ListItem", "position": 2, "name": name, "item": f"{origin}{path}"},
        ],
    }


# -- section and tag lists ----------------------------------------------------------------------


def _section_index(site: Site) -> dict[str, list[int]]:
    """Section -> article indices, newest first (built once per site)."""
    index = _sections.get(site)
    if index is None:
        texts = site.texts
        index = {texts.section_path(s): [] for s in texts.SECTIONS}
        for stub in reversed(site.stubs):
            index.setdefault(texts.section_path(stub.section), []).append(stub.index)
        _sections[site] = index
    return index


def _listing(site: Site, name: str) -> tuple[str, str, list[int]] | None:
    """(title, path, indices newest first) of a section or tag list, or ``None``."""
    path = f"/{name}/"
    names = _section_names(site)
    if name in names:
        return names[name], path, _section_index(site)[name]
    tag = _tags_by_name(site).get(name)
    if tag is None:
        return None
    return tag.name, path, site.tag_index.get(path, [])


def _more_url(name: str, stub: Stub) -> str:
    return f"/services/{name}/more.html?id={stub.article_id}&date={stub.published:%Y%m%dT%H%M}"


def _list_item(site: Site, stub: Stub, place: str) -> str:
    href = escape(_href(stub, place))
    headline = escape(stub.headline)
    tags = "".join(
        f'<a href="{t.path}" class="list__tag">'
        f'<span class="list__tag-text">{escape(t.name)}</span></a>'
        for t in stub.tags[:3]
    )
    return (
        f'<div class="list__item" data-article-id="{stub.article_id}">'
        f'<div class="list__content"><a href="{href}" class="list__image" tabindex="-1">'
        f'<picture><img src="{_thumb(site, stub)}" alt="{headline}" title="{headline}">'
        "</picture></a>"
        f'<a href="{href}" class="list__title">{headline}</a></div>'
        f'<div class="list__info"><div class="list__date" data-unixtime="{_unixtime(stub)}">'
        f"{_shown_time(stub)}</div>"
        f'<div class="list__views"><span class="list__views-icon"></span></div></div>'
        f'<div class="list__tags">{tags}</div></div>\n'
    )


def _items(site: Site, indices: list[int], place: str) -> str:
    return "".join(_list_item(site, site.stubs[i], place) for i in indices)


def list_page(site: Site, name: str) -> str | None:
    """The first page of a section or tag list: 20 newest items and the "more" button."""
    listing = _listing(site, name)
    if listing is None:
        return None
    title, path, indices = listing
    shown = indices[:PAGE_SIZE]
    button = ""
    if len(indices) > PAGE_SIZE:
        url = escape(_more_url(name, site.stubs[shown[-1]]))
        button = f'<div class="list__more" data-url="{url}"><span>Load more</span></div>'
    main = (
        f'<div class="section"><h1 class="section__title">{escape(title)}</h1>'
        f'<div class="list" data-list="{name}">\n{_items(site, shown, "list")}</div>{button}</div>'
    )
    house = site.edition.house
    description = f"{title}: the latest news and analysis from {house}."
    head = _head(site, f"{title} - {house}", path, description, _breadcrumbs(site, title, path))
    return boilerplate.document(
        escape(f"{title} - {house}"), head, main, _aside(site), site.edition
    )


def more(site: Site, name: str, query: dict[str, list[str]]) -> str | None:
    """The fragment after article ``id`` (or, failing that, before ``date``) of a list.

    :return: the next 20 items inside ``div.list-items-loaded``, whose ``data-next-url`` is left
        out when the list ends; ``None`` (a 404) for an unknown list or no usable ``id``/``date``
    """
    listing = _listing(site, name)
    if listing is None:
        return None
    cut = _cut(site, _one(query, "id"), _one(query, "date"))
    if cut is None:
        return None
    indices = listing[2]
    start = bisect_right(indices, -cut, key=_negative)  # first item older than the cut
    shown = indices[start : start + PAGE_SIZE]
    next_url = ""
    if start + PAGE_SIZE < len(indices):
        next_url = f' data-next-url="{escape(_more_url(name, site.stubs[shown[-1]]))}"'
    return (
        f'<div class="list-items-loaded" data-count="{len(shown)}"{next_url}>\n'
        f"{_items(site, shown, 'more')}</div>\n"
    )


def _negative(value: int) -> int:
    return -value


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def _cut(site: Site, article_id: str, date: str) -> int | None:
    """The index the next page starts below: the given article's, else the first at ``date``."""
    if _ID.match(article_id) and int(article_id) in site.by_id:
        return site.by_id[int(article_id)]
    match = _DATE.match(date)
    if match is None:
        return None
    try:
        moment = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return bisect_left(site.stubs, moment, key=_published)


def _published(stub: Stub) -> datetime:
    return stub.published


# -- home page and news feed --------------------------------------------------------------------


def home(site: Site) -> str:
    """The home page: the top story, the latest news, then a few items of every section."""
    latest = site.latest(HOME_LATEST + 1)
    top, rest = latest[0], latest[1:]
    main = (
        '<div class="section section-main">'
        + _main_photo(site, top)
        + _cell_list(site, "Latest news", rest)
        + "".join(_cell_list_f(site, s) for s in _section_names(site))
        + "</div>"
    )
    house = site.edition.house
    jsonld = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": house,
        "url": f"{site.origin}/",
    }
    description = f"{house}: breaking news, analysis and opinion from around the world."
    head = _head(site, house, "/", description, jsonld)
    return boilerplate.document(
        f"{escape(house)}: breaking news", head, main, _aside(site), site.edition
    )


def _main_photo(site: Site, stub: Stub) -> str:
    href = escape(_href(stub, "home-top"))
    headline = escape(stub.headline)
    return (
        f'<div class="cell cell-main-photo" data-article-id="{stub.article_id}">'
        f'<a href="{href}" class="cell-main-photo__link">'
        f'<div class="cell-main-photo__image"><img src="{_thumb(site, stub)}" alt="{headline}">'
        "</div>"
        f'<span class="cell-main-photo__title">{headline}</span></a>'
        f'<div class="cell-main-photo__date" data-unixtime="{_unixtime(stub)}">'
        f"{stub.published:%H:%M}</div></div>\n"
    )


def _cell_list(site: Site, title: str, stubs: list[Stub]) -> str:
    items = "".join(
        f'<a href="{escape(_href(s, "home-list"))}" class="cell-list__item" '
        f'data-article-id="{s.article_id}"><span class="cell-list__item-img">'
        f'<img src="{_thumb(site, s)}" alt=""></span>'
        f'<span class="cell-list__item-title">{escape(s.headline)}</span>'
        f'<span class="cell-list__item-date" data-unixtime="{_unixtime(s)}">'
        f"{s.published:%H:%M}</span></a>\n"
        for s in stubs
    )
    return (
        f'<div class="cell cell-list"><div class="cell__controls">'
        f'<span class="cell__controls-title">{escape(title)}</span></div>'
        f'<div class="cell-list__list">\n{items}</div>'
        f'<a class="cell__more" href="/services/widget/lenta/">All news</a></div>\n'
    )


def _cell_list_f(site: Site, section: str) -> str:
    indices = _section_index(site)[section][:HOME_SECTION_ITEMS]
    items = "".join(
        f'<div class="cell-list-f__item"><a href="{escape(_href(site.stubs[i], "home-f"))}" '
        f'class="cell-list-f__link">{escape(site.stubs[i].headline)}</a></div>\n'
        for i in indices
    )
    return (
        f'<div class="cell cell-list-f" data-section="{section}">'
        f'<a class="cell-list-f__header" href="/{section}/">{_section_names(site)[section]}</a>\n'
        f"{items}</div>\n"
    )


def _aside(site: Site) -> str:
    trending = "".join(
        f'<a class="trending__item" href="{t.path}">{escape(t.name)}</a>'
        for t in site.texts.TAGS[:12]
    )
    return f'<div class="trending"><div class="trending__title">Trending</div>{trending}</div>'


def lenta(site: Site) -> str:
    """The news-feed widget: the latest 30 articles, a page of its own without the site chrome."""
    items = "".join(
        f'<div class="lenta__item" data-article-id="{s.article_id}">'
        f'<a href="{escape(_href(s, "lenta"))}" class="lenta__item-size">'
        f'<div class="lenta__item-date" data-unixtime="{_unixtime(s)}">{s.published:%H:%M}</div>'
        f'<div class="lenta__item-text">{escape(s.headline)}</div></a></div>\n'
        for s in site.latest(LENTA_SIZE)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{site.edition.html_lang}"><head><meta charset="utf-8">\n'
        f"<title>News feed - {escape(site.edition.house)}</title>\n"
        '<meta name="robots" content="noindex">\n'
        f"{boilerplate.STYLE}\n</head>\n"
        f'<body class="body widget"><div class="lenta">\n{items}</div></body></html>\n'
    )


# -- static pages -------------------------------------------------------------------------------

DOCS: dict[str, tuple[str, tuple[str, ...]]] = {
    "about_us": (
        "About Us",
        (
            "Sputnik is an international news agency and radio broadcaster. It covers world"
            " politics, economics, science and culture for readers and listeners in many"
            " languages.",
            "The English-language edition, Sputnik International, publishes news, analysis,"
            " opinion and interviews around the clock, from bureaus across the world.",
        ),
    ),
    "terms_of_use": (
        "Terms of Use",
        (
            "These terms govern your use of the site and its content. By using the site you"
            " accept them; if you do not, please do not use it.",
            "Materials may be quoted with a hyperlink to the original publication. Any other"
            " reproduction requires the prior written consent of the copyright holder.",
        ),
    ),
    "privacy_policy": (
        "Privacy Policy",
        (
            "This policy explains what personal data the site collects, why, and how long it is"
            " kept. We collect only the data needed to run the site and its services.",
            "You may ask us what data we hold about you, and ask that it be corrected or deleted,"
            " by writing to the address given on the About Us page.",
        ),
    ),
    "cookie_policy": (
        "Cookie Policy",
        (
            "The site uses cookies to remember your settings, to measure audiences and to show"
            " content that suits you. Some cookies are set by our partners.",
            "You can refuse or delete cookies in your browser settings; some parts of the site"
            " may then stop working as intended.",
        ),
    ),
    "editorial_policy": (
        "Editorial Policy",
        (
            "Our journalists check facts with at least two independent sources before"
            " publication, and we correct errors promptly and openly.",
            "Opinion pieces are labelled as such and reflect the views of their authors, not"
            " necessarily those of the editorial board.",
        ),
    ),
}


def doc(site: Site, name: str) -> str | None:
    """A ``/docs/<name>.html`` page of plain prose, for the names the footer links."""
    if name not in DOCS:
        return None
    title, paragraphs = DOCS[name]
    path = f"/docs/{name}.html"
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    main = (
        f'<div class="docs"><h1 class="docs__title">{title}</h1>'
        f'<div class="docs__text">{body}</div></div>'
    )
    house = escape(site.edition.house)
    head = _head(site, f"{title} - {house}", path, paragraphs[0])
    return boilerplate.document(f"{title} - {house}", head, main, "", site.edition)


def subscribe(site: Site) -> str:
    """The newsletter page linked from the footer: a short text and a form."""
    main = (
        '<div class="subscribe"><h1 class="subscribe__title">Newsletter</h1>'
        f"<p>Get the day's top stories from {escape(site.edition.house)} in your inbox.</p>"
        '<form class="subscribe__form" action="/services/subscribe/" method="post">'
        '<input type="email" name="email" placeholder="Your email" required>'
        '<button type="submit" class="button">Subscribe</button></form></div>'
    )
    house = escape(site.edition.house)
    head = _head(
        site, f"Newsletter - {house}", "/services/subscribe/", "Subscribe to our newsletter."
    )
    return boilerplate.document(f"Newsletter - {house}", head, main, "", site.edition)


def not_found_page(site: Site) -> str:
    """The 404 page: the site's chrome around a short message; no article markup (it links
    no articles, so a crawler learns nothing from a 404)."""
    main = (
        '<div class="error-page"><div class="error-page__code">404</div>'
        '<h1 class="error-page__title">Page not found</h1>'
        "<p>The page you requested does not exist or has been removed.</p>"
        '<a class="error-page__link" href="/">Go to the main page</a></div>'
    )
    head = '<meta name="robots" content="noindex">'
    house = escape(site.edition.house)
    return boilerplate.document(f"Page not found - {house}", head, main, "", site.edition)
