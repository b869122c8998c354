"""Archive article pages of 2019-2020: the earlier template (markup.md §4) and an unknown one.

``earlier_page`` follows §4 to the letter: microdata on ``<html>`` (``NewsArticle``, ``Article``
on some pages), no JSON-LD, ``pubdate``/``lastmod``/``dateCreated`` metas with seconds, a hidden
``div.b-article__meta`` (image, publisher, author as a ``Person`` "Name. Sputnik International"
or the ``Organization`` Sputnik), the headline in ``div.b-article__header-title > h1`` (on some
pages in a ``div.b-header`` above the column, with the hero image and its credit), the visible
``time.b-article__refs-date`` and ``(updated ...)``, ``analytics:p_ts``, the ``rel=author`` byline,
``a.b-article__refs-rubric``, ``div.b-article__lead``, one ``div.b-article__text`` of plain
``<p>``s with ``div.b-inject`` cards nested inside ``<p>``s (old-form links, lazy SVG
placeholders; a radio show's ``b-inject__audio`` player on some), ``p.b-disclaimer`` on opinion
pieces, then ``div.b-article__refs`` (tags, a story,
"see also"), ``og:type`` website, a ``/sharing_snippet/`` ``og:image``, a canonical link naming the
old form, and many scripts; every text is in the HTML.

``generic_page`` is a news page of no template the crawler knows: ``og:``/``article:`` metas, an
``<h1>``, a ``<time>``, a ``rel=author`` byline and the text, inside a realistic page (cookie
banner, navigation, share buttons, a figure, tags, related stories, comments, sidebar, footer).

What a perfect crawler reads from each is in ``manifest.py``; no card is ever followed by text
inside its ``<p>``, so the paragraphs an HTML parser sees are the model's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import escape
from random import Random

from tests.mirror import boilerplate, text
from tests.mirror import seed as real
from tests.mirror.model import IMAGE_ORIGIN, Article, Block, Site, Stub

SCHEMA = "http://schema.org"
DISCLAIMER = (
    "The views and opinions expressed in the article are those of the author and do not"
    " necessarily reflect those of Sputnik."
)
PLACEHOLDER = "/i/svg/placeholder.svg"
MOSCOW = timezone(timedelta(hours=3))
STORIES = ("world_news", "us_politics", "middle_east", "trade_war", "arms_race")
_EARLIER_SCRIPTS = (
    '<script src="/min/js/libs/lazysizes.min.js" async></script>\n'
    '<script src="/min/js/likes.min.js" defer></script>\n'
    '<script src="/min/js/comments.min.js" defer></script>\n'
    "<script>var adsQueue=window.adsQueue||[];adsQueue.push({slot:'article_top',"
    "size:[[728,90],[970,250]]});</script>\n"
    "<script>window.analytics={rubric:document.querySelector('meta[name=\"analytics:rubric\"]')"
    ".content,ts:+document.querySelector('meta[name=\"analytics:p_ts\"]').content};</script>\n"
)


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(moment: datetime) -> str:
    return moment.strftime("%H:%M GMT %d.%m.%Y")


def _rubric(site: Site, section: str) -> str:
    if site.edition.code != "en" and section in site.texts.SECTIONS:
        return site.texts.section_title(section)
    if section == text.ARABIC_SECTION:
        return section
    return "US" if section == "us" else section.title()


def _old_href(site: Site, stub: Stub, form: str) -> str:
    """A link to an archive article as the earlier template wrote it."""
    return site.edition.former_origin + stub.old_path if form == "old-former" else stub.old_path


def _segments(block: Block) -> str:
    return "".join(
        _text(s) if isinstance(s, str) else f'<a href="{_attr(s.href)}">{_text(s.text)}</a>'
        for s in block.segments
    )


# -- the earlier template -------------------------------------------------------------------------


def _inject(site: Site, block: Block) -> str:
    """``div.b-inject.m-inject-min``: a lazy picture (SVG placeholder), credit, title link."""
    target = site.stubs[block.target]
    href = _attr(_old_href(site, target, block.form))
    title = _text(target.headline)
    thumb = f"{IMAGE_ORIGIN}/img/thumb/{target.article_id}.jpg"
    return (
        '<div class="b-inject m-inject-min"><div class="b-inject__media">'
        f'<a href="{href}" class="b-inject__media-link"><picture>'
        f'<source media="(min-width: 480px)" data-srcset="{thumb}">'
        f'<img src="{PLACEHOLDER}" data-src="{thumb}" class="lazyload"'
        f' alt="{_attr(target.headline)}">'
        '</picture></a><div class="b-inject__copy">© Sputnik</div></div>'
        f'<div class="b-inject__content"><a href="{href}">{title}</a></div></div>'
    )


def _audio(stub: Stub) -> str:
    """A radio show's player, the inject of radio pages: neither body text nor a related link."""
    return (
        '<div class="b-inject m-inject-audio"><div class="b-inject__audio">'
        f'<audio preload="none" data-src="/audio/{stub.article_id}.mp3"></audio>'
        '<div class="b-inject__audio-title">The Critical Hour</div>'
        '<div class="b-inject__audio-duration">00:58:12</div></div></div>'
    )


def _earlier_text(
    site: Site, article: Article, disclaimer: bool, rng: Random, radio: bool = False
) -> str:
    """The ``<p>``s; a card sits in its own ``<p>`` or at the end of the one before it."""
    out: list[str] = [f"<p>{_audio(article.stub)}</p>"] if radio else []
    blocks = article.blocks
    k = 0
    while k < len(blocks):
        block = blocks[k]
        k += 1
        if block.kind == "related":
            out.append(f"<p>{_inject(site, block)}</p>")
            continue
        inner = _segments(block)
        while k < len(blocks) and blocks[k].kind == "related" and rng.random() < 0.5:
            inner += _inject(site, blocks[k])
            k += 1
        out.append(f"<p>{inner}</p>")
    if disclaimer:
        out.append(f'<p class="b-disclaimer">{DISCLAIMER}</p>')
    return '<div class="b-article__text" itemprop="articleBody">\n' + "\n".join(out) + "\n</div>"


def _earlier_meta(article: Article, house: str) -> str:
    image = article.image
    if article.authors:
        author = (
            f'<div itemprop="author" itemscope itemtype="{SCHEMA}/Person">'
            f'<meta itemprop="name" content="{_attr(article.authors[0])}. {_attr(house)}">'
            "</div>"
        )
    else:
        author = (
            f'<div itemprop="author" itemscope itemtype="{SCHEMA}/Organization">'
            '<meta itemprop="name" content="Sputnik"></div>'
        )
    return (
        '<div class="b-article__meta" style="display:none">'
        f'<div itemprop="image" itemscope itemtype="{SCHEMA}/ImageObject">'
        f'<a href="{image.main_url}" itemprop="url"></a>'
        '<meta itemprop="width" content="1920"><meta itemprop="height" content="1080"></div>'
        f'<div itemprop="publisher" itemscope itemtype="{SCHEMA}/Organization">'
        '<meta itemprop="name" content="Sputnik">'
        f'<div itemprop="logo" itemscope itemtype="{SCHEMA}/ImageObject">'
        f'<a href="{real.PUBLISHER["logo_url"]}" itemprop="url"></a>'
        f'<meta itemprop="width" content="{real.PUBLISHER["logo_width"]}">'
        f'<meta itemprop="height" content="{real.PUBLISHER["logo_height"]}"></div></div>'
        f"{author}</div>"
    )


def _earlier_refs(site: Site, article: Article, rng: Random) -> str:
    stub = article.stub
    tags = ", ".join(f'<a href="/tags/{t.path.strip("/")}/">{_text(t.name)}</a>' for t in stub.tags)
    cards = {b.target for b in article.blocks if b.kind == "related"}
    form = "old-former" if rng.random() < 0.3 else "old-relative"
    see_also = "".join(
        f'<dd><a href="{_attr(_old_href(site, site.stubs[t], form))}">'
        f"<strong>{_text(site.stubs[t].headline)}</strong></a></dd>"
        for t in article.related
        if t not in cards
    )
    story = rng.choice(STORIES)
    parts = [
        f'<div class="b-article__refs-tags"><span class="b-article__refs-title">Tags:</span> {tags}'
        "</div>",
        f'<div class="b-article__refs-item b-article__refs-story"><a href="/trend/{story}/">'
        f"{story.replace('_', ' ').title()}</a></div>",
    ]
    if see_also:
        parts.append(f'<dl class="b-article__refs-item"><dt>See also:</dt>{see_also}</dl>')
    return '<div class="b-article__refs">' + "".join(parts) + "</div>"


def earlier_page(site: Site, index: int) -> bytes:
    """An archive copy in the earlier template (markup.md §4), UTF-8 encoded."""
    article = site.article(index)
    stub = article.stub
    rng = Random(f"{stub.key}:html")
    itemtype = "Article" if rng.random() < 0.2 else "NewsArticle"
    hero = rng.random() < 0.4
    disclaimer = rng.random() < 0.25
    radio = rng.random() < 0.1
    edition = site.edition
    # sputnikglobe.com's copies of arabic.sputniknews.com pages keep that site's name and host
    arabic = stub.language == "ar" and edition.code == "en"
    house = "Sputnik Arabic" if arabic else edition.house
    origin = "https://arabic.sputniknews.com" if arabic else edition.former_origin
    old_url = origin + stub.old_path
    section_path = stub.old_path.split("/")[1]
    stamp = int(stub.published.timestamp())
    head = [
        f"<title>{_text(stub.headline)} - {house}</title>",
        f'<meta name="description" content="{_attr(article.description)}">',
    ]
    if article.keywords:
        head.append(f'<meta name="keywords" content="{_attr(article.keywords_raw)}">')
        head.append(f'<meta name="news_keywords" content="{_attr(article.keywords_raw)}">')
    if article.authors:
        head.append(f'<meta name="author" content="{_attr(article.authors[0])}. {_attr(house)}">')
    head += [
        f'<meta itemprop="datePublished" name="pubdate" content="{_z(stub.published)}">',
        f'<meta itemprop="dateModified" name="lastmod" content="{_z(article.modified)}">',
        f'<meta itemprop="dateCreated" content="{_z(article.created)}">',
        f'<meta name="analytics:p_ts" content="{stamp}">',
        f'<meta name="analytics:rubric" content="{section_path}">',
        f'<meta property="og:title" content="{_attr(stub.headline)}">',
        f'<meta property="og:description" content="{_attr(article.description)}">',
        f'<meta property="og:url" content="{old_url}">',
        '<meta property="og:type" content="website">',
        f'<meta property="og:site_name" content="{house}">',
        f'<meta property="og:image" content="{origin}/sharing_snippet/'
        f'{stub.article_id}.png?{stamp}">',
        f'<link rel="canonical" href="{old_url}">',
        boilerplate.STYLE,
        boilerplate.SCRIPTS,
        _EARLIER_SCRIPTS,
    ]
    h1_prop = "headline" if rng.random() < 0.5 else "name"
    title = (
        f'<div class="b-article__header-title"><h1 itemprop="{h1_prop}">'
        f"{_text(stub.headline)}</h1></div>"
    )
    photo = article.image
    if hero:
        top = (
            '<div class="b-header"><div class="b-article__header">'
            f'<div class="b-article__header-img"><img src="{photo.main_url}"'
            f' alt="{_attr(photo.alt)}"></div>{title}'
            f'<div class="b-article__header-copy">{_text(photo.credit)}</div></div></div>'
        )
        header, announce = "", ""
    else:
        top = ""
        header = f'<div class="b-article__header">{title}</div>'
        announce = (
            f'<div class="b-article__announce"><img src="{PLACEHOLDER}"'
            f' data-src="{photo.main_url}" class="lazyload" alt="{_attr(photo.alt)}">'
            f'<div class="b-article__announce-copy">{_text(photo.credit)}</div></div>'
        )
    byline = ""
    if article.authors:
        name = article.authors[0]
        byline = (
            '<div class="b-article__refs-author">by <a rel="author"'
            f' href="/authors/{name.lower().replace(" ", "_")}/">{_text(name)}</a></div>'
        )
    updated = ""
    if article.modified != stub.published:
        updated = (
            f'<time class="b-article__refs-date-upd" datetime="{article.modified:%Y-%m-%dT%H:%M}">'
            f"(updated {_shown(article.modified)})</time>"
        )
    info = (
        f'<div class="b-article__refs-info">{byline}'
        f'<a class="b-article__refs-rubric" itemprop="articleSection" href="/{section_path}/">'
        f"{_rubric(site, stub.section)}</a>"
        f'<time class="b-article__refs-date" itemprop="dateCreated"'
        f' datetime="{stub.published:%Y-%m-%dT%H:%M}">{_shown(stub.published)}</time>{updated}'
        f'<div class="b-article__likes" data-id="{stub.article_id}"><span>0</span></div></div>'
    )
    main = (
        f'<div class="b-article" data-id="{stub.article_id}">{_earlier_meta(article, house)}'
        f"{header}"
        f"{info}{announce}"
        f'<div class="b-article__lead" itemprop="description"><p>{_text(article.description)}'
        f"</p></div>\n{_earlier_text(site, article, disclaimer, rng, radio)}\n"
        f"{_earlier_refs(site, article, rng)}"
        f'<div class="b-comments" data-article="{stub.article_id}"><div class="b-comments__title">'
        'Comments</div><div class="b-comments__list" data-load="/services/comments/"></div>'
        "</div></div>"
    )
    lang = (
        'lang="ar" dir="rtl"'
        if arabic or edition.direction == "rtl"
        else f'lang="{edition.html_lang}"'
    )
    page = (
        f"<!DOCTYPE html>\n<html {lang} itemscope"
        f' itemtype="{SCHEMA}/{itemtype}" prefix="og: http://ogp.me/ns#"><head>\n'
        '<meta charset="utf-8">\n'
        + "\n".join(head)
        + '\n</head>\n<body class="body">'
        + boilerplate.HEADER
        + top
        + '<div class="l-main"><div class="l-column">'
        + main
        + '</div><div class="l-aside"><div class="b-banner" data-position="aside">'
        "Advertisement</div></div></div>"
        + boilerplate.FOOTER
        + '<script>adsQueue.push({slot:"article_bottom"});</script></body></html>\n'
    )
    return page.encode()


# -- an unknown template --------------------------------------------------------------------------


def _generic_chrome() -> tuple[str, str]:
    """The unknown site's inline stylesheet and script bundle (~70 KB, as real pages carry),
    built once from a fixed seed; class names of its own, none of Sputnik's."""
    rng = Random("generic-chrome")
    names = (
        "story",
        "story-title",
        "story-text",
        "kicker",
        "byline",
        "share-buttons",
        "widget",
        "site-header",
        "main-nav",
        "cc-banner",
        "comments",
        "comment",
        "related-list",
        "col",
    )
    css = "".join(
        f".{rng.choice(names)}-{n}{{margin:{rng.randrange(30)}px;color:#{rng.randrange(16**6):06x};"
        f"font-size:{rng.randrange(10, 30)}px;line-height:1.{rng.randrange(9)}}}\n"
        for n in range(500)
    )
    js = "".join(
        f"function g{n}(e){{var t=e&&e.querySelector('.{rng.choice(names)}');"
        f"return t?t.getAttribute('data-{rng.randrange(10**6):x}'):{n}}}\n"
        for n in range(450)
    )
    return f"<style>{css}</style>", f"<script>{js}</script>"


_GENERIC_STYLE, _GENERIC_SCRIPT = _generic_chrome()
_COMMENTERS = ("observer_77", "Anna K.", "truthseeker", "M. Rossi", "dave1984", "Lin")
_COMMENTS = (
    "Interesting take, but I would like to see the sources.",
    "This is exactly what everyone expected.",
    "Thanks for the report!",
    "Not sure I agree with the conclusion here.",
)


def _byline(article: Article) -> str:
    links = [
        f'<a rel="author" href="/authors/{n.lower().replace(" ", "-")}/">{_text(n)}</a>'
        for n in article.authors
    ]
    return f'<span class="byline">By {" and ".join(links)}</span>' if links else ""


def generic_page(site: Site, index: int) -> bytes:
    """An archive copy in a template no source knows (see the module docstring)."""
    article = site.article(index)
    stub = article.stub
    rng = Random(f"{stub.key}:html")
    photo = article.image
    zone = MOSCOW if rng.random() < 0.5 else stub.published.tzinfo
    published = stub.published.astimezone(zone).isoformat()
    metas = [
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{_attr(stub.headline)}">',
        f'<meta property="og:description" content="{_attr(article.description)}">',
        f'<meta property="og:url" content="{stub.url}">',
        f'<meta property="og:image" content="{photo.main_url}">',
        '<meta property="og:site_name" content="World Desk">',
        f'<meta property="article:published_time" content="{published}">',
    ]
    if article.modified != stub.published:
        metas.append(
            f'<meta property="article:modified_time"'
            f' content="{article.modified.astimezone(zone).isoformat()}">'
        )
    metas.append(f'<meta property="article:section" content="{_rubric(site, stub.section)}">')
    metas += [f'<meta property="article:tag" content="{_attr(t.name)}">' for t in stub.tags]
    share = (
        '<div class="share-buttons">'
        f'<a class="share-fb" href="https://facebook.invalid/sharer?u={stub.url}">Share</a>'
        f'<a class="share-tw" href="https://twitter.invalid/intent/tweet?url={stub.url}">Tweet</a>'
        f'<a class="share-mail" href="mailto:?subject={_attr(stub.headline)}">Email</a></div>'
    )
    paragraphs = "\n".join(f"<p>{_segments(b)}</p>" for b in article.blocks if b.kind == "text")
    others = [site.stubs[i] for i in range(max(0, index - 6), index)][::-1]
    related = "".join(
        f'<li class="related-item"><a href="{o.path}">{_text(o.headline)}</a>'
        f'<span class="related-date">{o.published:%b %d, %Y}</span></li>'
        for o in others[:5]
    )
    comments = "".join(
        f'<div class="comment"><div class="comment-author">{_text(rng.choice(_COMMENTERS))}</div>'
        f'<div class="comment-body"><p>{_text(rng.choice(_COMMENTS))}</p></div>'
        '<a class="comment-reply" href="#reply">Reply</a></div>'
        for _ in range(rng.randrange(0, 5))
    )
    tags = "".join(
        f'<a class="tag-link" href="/topic/{t.path.strip("/")}/">{_text(t.name)}</a>'
        for t in stub.tags
    )
    nav = "".join(
        f'<li><a href="/{s}/">{_rubric(site, s)}</a></li>'
        for s in ("world", "us", "asia", "economy")
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="{site.edition.html_lang}"><head><meta charset="utf-8">'
        f"<title>{_text(stub.headline)} | World Desk</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        + "".join(metas)
        + '<link rel="stylesheet" href="/assets/site.css">'
        + _GENERIC_STYLE
        + "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({page:'story'});</script>"
        '</head><body class="page-story">'
        '<div id="cookie-consent" class="cc-banner"><p>We use cookies to improve your experience'
        ' and to show you relevant advertising. <a href="/privacy/">Learn more</a></p>'
        '<button class="cc-accept">Accept all</button><button class="cc-reject">Reject</button>'
        "</div>"
        f'<div class="site"><header class="site-header"><a class="logo" href="/">World Desk</a>'
        f'<nav class="main-nav"><ul>{nav}</ul></nav></header>'
        '<div class="container"><div class="row"><div class="col col-main"><div class="story">'
        f'<div class="story-head"><div class="kicker">'
        f'<a href="/{site.texts.section_path(stub.section)}/">{_rubric(site, stub.section)}</a>'
        "</div>"
        f'<h1 class="story-title">{_text(stub.headline)}</h1>'
        f'<div class="story-meta">{_byline(article)} <time datetime="{published}">'
        f"{stub.published:%B %d, %Y %H:%M} UTC</time></div></div>"
        f"{share}"
        f'<figure class="story-figure"><img src="{photo.main_url}" alt="{_attr(photo.alt)}">'
        f"<figcaption>{_text(photo.alt)} {_text(photo.credit)}</figcaption></figure>"
        f'<div class="story-body"><div class="story-text">\n{paragraphs}\n</div></div>'
        f'<div class="story-tags">{tags}</div>{share}</div>'
        '<section class="related-stories"><h3>Related stories</h3>'
        f'<ul class="related-list">{related}</ul></section>'
        f'<section class="comments" id="comments"><h3>Comments</h3>{comments}'
        '<form class="comment-form"><textarea name="comment"></textarea>'
        "<button>Post</button></form></section></div>"
        '<aside class="col col-side"><div class="widget"><h4>Most read</h4><ol>'
        + "".join(f'<li><a href="{o.path}">{_text(o.headline)}</a></li>' for o in others[5:6])
        + '</ol></div><div class="ad-slot">Advertisement</div></aside></div></div>'
        '<footer class="site-footer"><ul><li><a href="/about/">About us</a></li>'
        '<li><a href="/privacy/">Privacy</a></li><li><a href="/contact/">Contact</a></li></ul>'
        "<p>© 2020 World Desk. All rights reserved.</p></footer></div>"
        f'<script src="/assets/app.js" defer></script>{_GENERIC_SCRIPT}</body></html>\n'
    )
    return page.encode()
