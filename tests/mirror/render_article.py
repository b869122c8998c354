"""Article pages, following markup.md §2: JSON-LD, the microdata block, header, body blocks of
every ``data-type``, tags footer and author; and their ``/amp/`` copies.

Each article's ``Variants`` decide which sources the page carries and in what shape, so that a
crawler meets the main path and every fallback in fixed proportions. What a perfect crawler can
recover from each variant is defined in ``manifest.py``, from the model, not from this HTML.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html import escape
from random import Random
from typing import Any

from tests.mirror import boilerplate
from tests.mirror import seed as real
from tests.mirror.model import (
    IMAGE_ORIGIN,
    Article,
    Block,
    Image,
    Site,
    Stub,
)

MOSCOW = timezone(timedelta(hours=3))
_ENTITIES = {"’": "&rsquo;", "‘": "&#8216;", "“": "&ldquo;", "”": "&#8221;", "—": "&mdash;"}


# -- small formatters ---------------------------------------------------------------------------


def timestamp(moment: datetime, style: str, zone: tzinfo = UTC) -> str:
    """A time as the page's variant writes it in JSON-LD and microdata; ``minute`` and
    ``seconds`` in the edition's local time (``zone``), with its offset."""
    if style == "offset":
        return moment.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M+0300")
    if zone is not UTC and style in ("minute", "seconds"):
        return moment.astimezone(zone).strftime(
            "%Y-%m-%dT%H:%M%z" if style == "minute" else "%Y-%m-%dT%H:%M:%S%z"
        )
    return moment.strftime(
        {
            "minute": "%Y-%m-%dT%H:%M+0000",
            "seconds": "%Y-%m-%dT%H:%M:%S+0000",
            "seconds-z": "%Y-%m-%dT%H:%M:%SZ",
            "minute-z": "%Y-%m-%dT%H:%MZ",
            "colon": "%Y-%m-%dT%H:%M:%S+00:00",
        }[style]
    )


def visible_time(moment: datetime, zone: tzinfo = UTC) -> str:
    """``02:11 GMT 10.04.2024``; other editions show local time, ``13:19 GMT+8 29.07.2026``."""
    if zone is UTC:
        return moment.strftime("%H:%M GMT %d.%m.%Y")
    offset = moment.astimezone(zone).utcoffset() or timedelta()
    hours = int(offset.total_seconds() // 3600)
    return moment.astimezone(zone).strftime(f"%H:%M GMT{hours:+d} %d.%m.%Y")


def compact_time(moment: datetime, zone: tzinfo = UTC) -> str:
    """``article:published_time`` in its compact form, ``20260729T1319+0800``."""
    return moment.astimezone(zone).strftime("%Y%m%dT%H%M%z")


_HEX = re.compile(r"%[0-9A-F]{2}")


def lower_hex(path: str) -> str:
    """A percent-encoded path as some links write it, with lower-case hex (``%d8%b1``)."""
    return _HEX.sub(lambda m: m[0].lower(), path) if "%" in path else path


def unixtime(moment: datetime) -> int:
    return int(moment.timestamp())


def _text(value: str, entities: bool) -> str:
    """HTML-escaped text; with ``entities``, curly quotes and dashes as character references."""
    out = escape(value, quote=False)
    if entities:
        for char, ref in _ENTITIES.items():
            out = out.replace(char, ref)
    return out


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _href(site: Site, stub: Stub, form: str) -> str:
    """A link to an article in one of the forms the real site writes; relative links to a
    percent-encoded path use lower-case hex, absolute ones upper-case."""
    edition = site.edition
    origin = site.origin
    return {
        "public": stub.url,
        "relative": lower_hex(stub.path),
        "query": f"{lower_hex(stub.path)}?chat_room_id={stub.article_id % 97}",
        "fragment": f"{origin}{stub.path}#comments",
        "amp": f"{origin}/amp{stub.path}",
        "former": edition.former_origin + stub.path,
        "scheme-relative": f"//{edition.host}{stub.path}",
    }[form]


# -- JSON-LD -----------------------------------------------------------------------------------


def _persons(names: tuple[str, ...], shape: str) -> Any:
    objects = [{"@type": "Person", "name": n} for n in names]
    if shape == "alt":
        return objects
    if shape == "scalar":
        return names[0] if len(names) == 1 else list(names)
    return objects[0] if len(objects) == 1 else objects


def _images(image: Image, shape: str) -> Any:
    crops = [
        {"@type": "ImageObject", "url": u, "width": w, "height": h, "representativeOfPage": True}
        for u, w, h in image.crops
    ]
    return {"canonical": crops, "alt": crops[0], "scalar": image.main_url}[shape]


def _related_links(site: Site, article: Article) -> dict[str, Any]:
    forms = {"public": "", "former": "", "query": "?utm_source=sputnik"}
    former = site.edition.former_origin
    urls = []
    for target, form in zip(article.related, article.jsonld_related_forms, strict=True):
        stub = site.stubs[target]
        base = former if form == "former" else site.origin
        urls.append(base + stub.path + forms[form])
    urls += [other.url for other, _ in article.foreign]  # other editions' articles, last
    if not urls:
        return {}
    shape = article.stub.variants.shape
    if shape == "alt":
        return {"citation": [{"@type": "CreativeWork", "url": u} for u in urls]}
    if shape == "scalar":
        return {"relatedLink": urls[0] if len(urls) == 1 else urls}
    return {"citation": urls}


def news_article(site: Site, article: Article) -> dict[str, Any]:
    """The page's NewsArticle (LiveBlogPosting for live pages), in the variant's shape."""
    stub, v = article.stub, article.stub.variants
    shape, url = v.shape, stub.url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if v.kind == "live" else "NewsArticle",
        "url": url,
        "mainEntityOfPage": url if shape != "canonical" else {"@type": "WebPage", "@id": url},
    }
    if v.kind != "no-headline":
        data |= {"headline": stub.headline, "name": stub.headline}
    edition = site.edition
    house = {"@type": "Organization", "name": edition.house}
    data["author" if not article.authors else "sourceOrganization"] = house
    data["description"] = article.description
    if v.kind != "no-date":
        zone = edition.zone
        data |= {
            "dateCreated": timestamp(article.created, v.timestamp, zone),
            "datePublished": timestamp(stub.published, v.timestamp, zone),
            "dateModified": timestamp(article.modified, v.timestamp, zone),
        }
    tags = [site.texts.lower(t.name) for t in stub.tags]
    data["articleSection"] = [stub.section] if shape == "alt" else stub.section
    data["mentions"] = (
        ", ".join(tags) if shape == "scalar" else [{"@type": "Thing", "name": t} for t in tags]
    )
    if shape != "scalar":
        data["thumbnailUrl"] = article.image.main_url
    data["image"] = _images(article.image, shape)
    data["articleBody"] = "".join(article.body_paragraphs)  # run together, as on the real site
    data |= _related_links(site, article)
    data["about"] = (
        tags[:3] if shape == "scalar" else [{"@type": "Thing", "name": t} for t in tags[:3]]
    )
    data["publisher"] = {
        "@type": "Organization",
        "name": edition.house,
        "email": real.PUBLISHER["email"],
        "telephone": real.PUBLISHER["telephone"],
        "legalName": real.PUBLISHER["legal_name"],
        "logo": {
            "@type": "ImageObject",
            "url": real.PUBLISHER["logo_url"],
            "width": real.PUBLISHER["logo_width"],
            "height": real.PUBLISHER["logo_height"],
        },
    }
    year = stub.published.year
    data["copyrightYear"] = str(year) if shape == "scalar" else year
    if article.authors:
        data["author"] = _persons(article.authors, shape)
        data["creator"] = _persons(article.authors[:1], shape)
    data["genre"] = article.genre
    data["inLanguage"] = edition.language_raw
    data["keywords"] = list(article.keywords) if shape == "alt" else article.keywords_raw
    return data


def _website(site: Site) -> dict[str, Any]:
    return {
        "@type": "WebSite",
        "name": site.edition.house,
        "url": site.origin + "/",
        "potentialAction": {
            "@type": "SearchAction",
            "target": site.origin + "/search/?query={query}",
            "query-input": "required name=query",
        },
    }


def _breadcrumbs(site: Site, stub: Stub) -> dict[str, Any]:
    texts = site.texts
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": 1,
                "name": site.edition.house,
                "item": site.origin + "/",
            },
            {
                "@type": "ListItem",
                "position": 2,
                "name": texts.section_title(stub.section),
                "item": f"{site.origin}/{texts.section_path(stub.section)}/",
            },
        ],
    }


def _script(data: dict[str, Any], ascii_only: bool) -> str:
    body = json.dumps(data, ensure_ascii=ascii_only, indent=None).replace("</", "<\\/")
    return f'<script type="application/ld+json">{body}</script>'


def jsonld_scripts(site: Site, article: Article) -> str:
    """The page's ``application/ld+json`` scripts for its JSON-LD variant."""
    v = article.stub.variants
    ascii_only = v.entities
    if v.jsonld == "missing":
        return ""
    main = news_article(site, article)
    if v.jsonld == "graph":
        del main["@context"]
        graph = {
            "@context": "https://schema.org",
            "@graph": [_website(site), _breadcrumbs(site, article.stub), main],
        }
        return _script(graph, ascii_only)
    if v.jsonld == "multi":
        crumbs = {"@context": "https://schema.org"} | _breadcrumbs(site, article.stub)
        site_ld = {"@context": "https://schema.org"} | _website(site)
        return "\n".join(_script(d, ascii_only) for d in (site_ld, crumbs, main))
    if v.jsonld == "broken":
        # An unescaped quote in a value and a cut-off tail: no JSON parser can read this.
        text = json.dumps(main, ensure_ascii=False).replace("</", "<\\/")
        text = text.replace('"description": "', '"description": "Editor\'s "pick" ', 1)
        return f'<script type="application/ld+json">{text[: len(text) * 2 // 3]}</script>'
    return _script(main, ascii_only)


# -- microdata and head --------------------------------------------------------------------------


def microdata(site: Site, article: Article) -> str:
    """``div.article__meta``: keywords, dates, genre, author/creator names (markup.md §2)."""
    stub, v = article.stub, article.stub.variants
    zone = site.edition.zone
    as_meta = v.shape != "canonical"  # <meta itemprop content> on some pages, text on others

    def prop(name: str, value: str) -> str:
        if as_meta:
            return f'<meta itemprop="{name}" content="{_attr(value)}">'
        return f'<div itemprop="{name}">{_text(value, v.entities)}</div>'

    def agent(role: str, name: str, kind: str) -> str:
        return (
            f'<div itemprop="{role}" itemscope="" itemtype="https://schema.org/{kind}">'
            f"{prop('name', name)}</div>"
        )

    parts = [prop("keywords", article.keywords_raw)]
    if v.kind != "no-date":
        parts += [
            prop("datePublished", timestamp(stub.published, v.timestamp, zone)),
            prop("dateCreated", timestamp(article.created, v.timestamp, zone)),
            prop("dateModified", timestamp(article.modified, v.timestamp, zone)),
        ]
    parts.append(prop("genre", article.genre))
    if article.authors:
        parts += [agent("author", n, "Person") for n in article.authors]
        parts.append(agent("creator", article.authors[0], "Person"))
    else:
        parts.append(agent("author", site.edition.house, "Organization"))
    return (
        '<div class="article__meta" itemscope="" itemtype="https://schema.org/Article">'
        + "".join(parts)
        + "</div>"
    )


def head_tags(site: Site, article: Article, rng: Random) -> str:
    stub, v = article.stub, article.stub.variants
    edition = site.edition
    tags = [
        f'<meta name="description" content="{_attr(article.description)}">',
        f'<meta name="keywords" content="{_attr(article.keywords_raw)}">',
        f'<meta property="og:url" content="{stub.url}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:site_name" content="{_attr(edition.house)}">',
        f'<meta property="og:description" content="{_attr(article.description)}">',
        f'<meta property="og:image" content="{article.image.main_url}">',
        '<meta property="article:section"'
        f' content="{_attr(site.texts.section_title(stub.section))}">',
    ]
    if v.kind != "no-headline":
        tags.insert(0, f'<meta property="og:title" content="{_attr(stub.headline)}">')
    if rng.random() < 0.85:  # link rel=canonical is inferred, not confirmed: some pages lack it
        tags.append(f'<link rel="canonical" href="{stub.url}">')
    tags.append(f'<link rel="amphtml" href="{site.origin}/amp{stub.path}">')
    if rng.random() < 0.5:  # og:locale is unverified
        tags.append(f'<meta property="og:locale" content="{edition.og_locale}">')
    if v.kind != "no-date":
        published = (
            compact_time(stub.published, edition.zone)
            if v.compact_meta_time
            else timestamp(stub.published, v.timestamp, edition.zone)
        )
        tags.append(f'<meta property="article:published_time" content="{published}">')
    tags.append(jsonld_scripts(site, article))
    return "\n".join(tags)


# -- body ------------------------------------------------------------------------------------


def _photo(image: Image, stub: Stub, lazy: bool, house: str = "Sputnik International") -> str:
    alt = _attr(f"{image.alt} - {house}, 1920, {stub.published:%d.%m.%Y}")
    if lazy:
        return (
            f'<div class="photoview__open" data-photoview-src="{image.crops[0][0]}">'
            f'<img data-src="{image.main_url}" alt="{alt}" title="{_attr(image.alt)}"></div>'
        )
    return (
        f'<div class="media__size"><img media-type="ar16x9" src="{image.main_url}" alt="{alt}"'
        f' title="{_attr(image.alt)}" width="1920" height="1080"></div>'
    )


def _credit(image: Image) -> str:
    return (
        f'<div class="media__copyright"><span class="media__copyright-item">{_attr(image.credit)}'
        f'</span></div><div class="media__title">{_text(image.alt, False)}</div>'
    )


def _block(site: Site, article: Article, block: Block, n: int) -> str:
    stub, ent = article.stub, article.stub.variants.entities
    house = site.edition.house
    kind = block.kind
    if kind == "text":
        inner = "".join(
            _text(s, ent)
            if isinstance(s, str)
            else _text(s.text, ent)
            if not s.href
            else f'<a href="{_attr(s.href)}">{_text(s.text, ent)}</a>'
            for s in block.segments
        )
        return (
            '<div class="article__block" data-type="text">\n  '
            f'<div class="article__text">{inner}</div>\n</div>'
        )
    if kind == "quote":
        return (
            '<div class="article__block" data-type="quote"><div class="article__quote">'
            '<div class="article__quote-bg"></div>'
            f'<div class="article__quote-text">{_text(block.text, ent)}</div></div></div>'
        )
    if kind in ("h2", "h3"):
        return f'<{kind} class="article__h2">{_text(block.text, ent)}</{kind}>'
    if kind in ("related", "foreign"):
        if block.other is not None:  # another edition's article, on its own host
            target, href = block.other, block.href
        else:
            target = site.stubs[block.target]
            href = _href(site, target, block.form)
        images = IMAGE_ORIGIN if site.edition.code == "en" else site.edition.image_origin
        return (
            '<div class="article__block" data-type="article"><div class="article__article">'
            f'<a href="{_attr(href)}" title="{_attr(target.headline)}"'
            ' class="article__article-link">'
            f'<img src="{images}/img/thumb/{target.article_id}.jpg"'
            f' alt="{_attr(target.headline)}">'
            f'<span class="article__article-title">{_text(target.headline, ent)}</span>'
            f'<span class="article__article-info" data-unixtime="{unixtime(target.published)}">'
            f"{visible_time(target.published, target.zone)}</span></a></div></div>"
        )
    if kind == "media":
        assert block.image is not None
        return (
            '<div class="article__block" data-type="media"><div class="media">'
            f"{_photo(block.image, stub, n % 2 == 1, house)}{_credit(block.image)}</div></div>"
        )
    if kind == "photolenta":
        items = "".join(
            f'<div class="photolenta__item">{_photo(i, stub, True, house)}{_credit(i)}</div>'
            for i in block.images
        )
        return (
            '<div class="article__block" data-type="photolenta"><div class="photolenta">'
            f'<div class="photolenta__title">Photos</div>{items}</div></div>'
        )
    if kind == "banner":
        return (
            '<div class="article__block" data-type="banner"><div class="banner"'
            f' data-position="article_desktop_content-{n}"><div class="banner__content">'
            "Advertisement</div></div></div>"
        )
    if kind == "tweet":
        return (
            '<div class="article__block" data-type="social"><div class="ria-tweet">'
            f'<blockquote class="twitter-tweet"><p lang="{site.edition.html_lang}">'
            f"{_text(block.text, ent)}</p>"
            f'&mdash; Sputnik <a href="{_attr(block.href)}">{stub.published:%B %d, %Y}</a>'
            "</blockquote></div></div>"
        )
    if kind == "live":
        assert block.time is not None
        paragraphs = "".join(
            f'<div class="article__text">{_text(p, ent)}</div>' for p in block.paragraphs
        )
        return (
            f'<div class="online__item" data-id="{stub.article_id}{n}">'
            f'<div class="online__item-top"><div class="online__item-date"'
            f' data-unixtime="{unixtime(block.time)}">{visible_time(block.time, stub.zone)}'
            "</div></div>"
            f'<h2 class="online__item-title">{_text(block.text, ent)}</h2>'
            f'<div class="online__item-text">{paragraphs}</div></div>'
        )
    raise ValueError(f"unknown block kind {kind!r}")


def body(site: Site, article: Article) -> str:
    out: list[str] = []
    in_live = False
    for n, block in enumerate(article.blocks):
        if (block.kind == "live") != in_live:
            in_live = not in_live
            out.append('<div class="online">' if in_live else "</div>")
        out.append(_block(site, article, block, n))
    if in_live:
        out.append("</div>")
    return '<div class="article__body">\n' + "\n".join(out) + "\n</div>"


def header(site: Site, article: Article) -> str:
    stub, v = article.stub, article.stub.variants
    texts, zone = site.texts, stub.zone
    title = "" if v.kind == "no-headline" else _text(stub.headline, v.entities)
    date = ""
    if v.kind != "no-date":
        updated = ""
        if article.modified != stub.published:
            updated = f" (Updated: {visible_time(article.modified, zone)})"
        date = (
            f'<div class="article__info-date"><a href="/{stub.day}/"'
            f' data-unixtime="{unixtime(stub.published)}">'
            f"{visible_time(stub.published, zone)}{updated}</a></div>"
        )
    return (
        '<div class="article__header">'
        '<div class="article__supertag-header"><a class="uptitle"'
        f' href="/{texts.section_path(stub.section)}/">{texts.section_title(stub.section)}</a>'
        "</div>"
        f'<h1 class="article__title">\n    {title}\n  </h1>'
        f'<div class="article__info">{date}</div>'
        f'<div class="article__announce-text">{_text(article.description, v.entities)}</div>'
        '<div class="article__announce"><div class="media">'
        f"{_photo(article.image, stub, False, site.edition.house)}"
        f"{_credit(article.image)}</div></div></div>"
    )


def footer(article: Article, rng: Random) -> str:
    stub = article.stub
    tags = list(stub.tags)
    if len(tags) > 2 and rng.random() < 0.05:  # the site sometimes lists a tag twice
        tags.append(tags[0])
    items = "".join(
        f'<li class="tag"><a href="{t.path}" class="tag__link"><span class="tag__text">'
        f"{_text(t.name, False)}</span></a></li>"
        for t in tags
    )
    authors = "".join(
        f'<div class="article__author"><a class="article__author-name"'
        f' href="/author_{n.lower().replace(" ", "_")}/">{_text(n, False)}</a></div>'
        for n in article.authors
    )
    share = (
        '<div class="share">'
        f'<a class="share__item" href="mailto:?subject={_attr(stub.headline)}&amp;body={stub.url}">'
        "Email</a>"
        '<a class="share__item" href="javascript:void(0)" data-share="copy">Copy link</a>'
        f'<a class="share__item" href="https://t.me.invalid/share/url?url={stub.url}">Telegram</a>'
        "</div>"
    )
    return f'<div class="article__footer"><ul class="tags">{items}</ul>{authors}{share}</div>'


_lenta_items: dict[tuple[int, int], str] = {}


def _lenta_item(site: Site, index: int) -> str:
    """One sidebar entry; cached, since every page shows twenty of them."""
    key = (id(site), index)
    item = _lenta_items.get(key)
    if item is None:
        s = site.stubs[index]
        item = (
            f'<div class="lenta__item"><a href="{s.path}" class="lenta__item-size">'
            f'<div class="lenta__item-date" data-unixtime="{unixtime(s.published)}">'
            f'{s.published:%H:%M}</div><div class="lenta__item-text">{_text(s.headline, False)}'
            "</div></a></div>"
        )
        _lenta_items[key] = item
    return item


def sidebar(site: Site, stub: Stub) -> str:
    """Latest news beside the article: links to other articles that are NOT related links."""
    first = max(0, stub.index - 20)
    items = "".join(_lenta_item(site, i) for i in range(stub.index - 1, first - 1, -1))
    return f'<div class="lenta">{items}</div>'


_recommendations: dict[int, list[bytes]] = {}


def recommendations(site: Site, rng: Random) -> bytes:
    """An inline state script of varying size: real pages weigh 100-250 KB in all."""
    items = _recommendations.get(id(site))
    if items is None:
        sample = site.stubs[:: max(1, len(site.stubs) // 997)][:997]
        items = [
            json.dumps(
                {"id": s.article_id, "title": s.headline, "url": s.url, "views": s.index * 7}
            ).encode()
            for s in sample
        ]
        _recommendations.clear()
        _recommendations[id(site)] = items
    count = rng.randrange(0, 420)
    start = rng.randrange(len(items))
    chosen = (items * (1 + count // len(items) + 1))[start : start + count]
    return b"<script>window.__RECOMMENDATIONS__=[" + b",".join(chosen) + b"];</script>"


def page(site: Site, index: int) -> bytes:
    """The full HTML of article ``index``, UTF-8 encoded."""
    article = site.article(index)
    stub, v = article.stub, article.stub.variants
    rng = Random(f"{stub.key}:html")
    house = site.edition.house
    title = house if v.kind == "no-headline" else f"{stub.headline} - {house}"
    main = (
        f'<div class="article" data-article-id="{stub.article_id}">'
        + (microdata(site, article) if v.microdata else "")
        + header(site, article)
        + body(site, article)
        + footer(article, rng)
        + "</div>"
    )
    html = boilerplate.document_bytes(
        _attr(title),
        head_tags(site, article, rng),
        main,
        sidebar(site, stub),
        tail=recommendations(site, rng),
        edition=site.edition,
    )
    if v.nfd:  # decomposed accents (e + U+0301) in the HTML; the truth is NFC
        return unicodedata.normalize("NFD", html.decode()).encode()
    return html


def amp_page(site: Site, index: int) -> str:
    """The ``/amp/`` copy: a light duplicate whose canonical link names the real page."""
    article = site.article(index)
    stub = article.stub
    paragraphs = "".join(f"<p>{_text(p, False)}</p>" for p in article.body_paragraphs)
    return (
        f'<!doctype html>\n<html amp lang="{site.edition.html_lang}"><head><meta charset="utf-8">'
        f"<title>{_attr(stub.headline)}</title>"
        f'<link rel="canonical" href="{stub.url}">'
        '<meta name="viewport" content="width=device-width,minimum-scale=1">'
        f"{jsonld_scripts(site, article)}"
        "<style amp-boilerplate>body{visibility:hidden}</style></head>"
        f"<body><article><h1>{_text(stub.headline, False)}</h1>{paragraphs}</article>"
        "</body></html>\n"
    )
