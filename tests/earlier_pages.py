"""Hand-written pages of the earlier template, built from markup.md §4 alone (not from the mirror
or the crawler): an English opinion piece, an Arabic news item, agency news signed by the
Organization Sputnik. ``earlier_page`` writes one; ``EN``, ``AR`` and ``AGENCY`` are the three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape


@dataclass(frozen=True)
class Earlier:
    """What one earlier-template page says, and what its row must hold."""

    path: str  # the old form, on sputniknews.com
    lang: str
    itemtype: str
    headline: str
    rubric: str  # the section as the page writes it
    rubric_href: str
    lead: str
    paragraphs: list[str]
    tags: list[str]
    author: str | None  # a Person, written "Name. Sputnik International" in meta author
    author_href: str | None
    published: str  # meta pubdate, UTC with seconds
    created: str
    modified: str
    visible_created: str  # time[datetime]: no seconds, no zone
    visible_updated_text: str  # "(updated 11:14 GMT 29.04.2020)"
    cards: list[tuple[str, str]] = field(default_factory=list)  # (old-form href, title)
    see_also: list[tuple[str, str]] = field(default_factory=list)
    disclaimer: bool = True
    keywords: str | None = None

    @property
    def canonical(self) -> str:
        return "https://sputniknews.com" + self.path


def earlier_page(page: Earlier, *, scripts: int = 6) -> str:
    """The page's HTML, as an archive copy of the earlier template (markup.md §4): microdata on
    the root element, no JSON-LD, the hidden meta block, inject cards inside paragraphs, lazy
    placeholders, the disclaimer, refs (tags, "see also"), and a handful of scripts."""
    article_id = page.path.rstrip("/").rsplit("/", 1)[-1][8:].split("-", 1)[0]
    cards = list(page.cards)
    body = []
    for number, text in enumerate(page.paragraphs):
        if cards and number in (1, 3):
            href, title = cards.pop(0)
            half = len(text) // 2
            cut = text.rfind(" ", 0, half) if " " in text else half
            card = (
                '<div class="b-inject m-inject-min"><div class="b-inject__media">'
                f'<a href="{href}"><picture><source srcset="/i/blank.svg">'
                '<img src="/i/blank.svg" data-src="/i/card.jpg" alt=""></picture></a></div>'
                '<div class="b-inject__copy">© Sputnik / Photographer</div>'
                f'<div class="b-inject__content"><a href="{href}">{escape(title)}</a></div></div>'
            )
            body.append(f"<p>{escape(text[:cut])} {card}{escape(text[cut:])}</p>")
        else:
            body.append(f"<p>{escape(text)}</p>")
    if page.disclaimer:
        body.append(
            '<p class="b-disclaimer">The views and opinions expressed in the article do not'
            " necessarily reflect those of Sputnik.</p>"
        )
    body.append(
        '<div class="b-article__lazy"><picture><img src="/i/blank.svg" class="lazyload"'
        ' data-src="/i/photo.jpg"></picture></div>'
    )
    author_meta = (
        '<div itemprop="author" itemscope itemtype="http://schema.org/Person">'
        f'<meta itemprop="name" content="{escape(page.author)}. Sputnik International"></div>'
        if page.author
        else '<div itemprop="author" itemscope itemtype="http://schema.org/Organization">'
        '<meta itemprop="name" content="Sputnik"></div>'
    )
    author_refs = (
        f'<div class="b-article__refs-author">by <a rel="author" href="{page.author_href}">'
        f"{escape(page.author)}</a></div>"
        if page.author
        else ""
    )
    meta_author = f"{page.author}. Sputnik International" if page.author else "Sputnik"
    tags = ", ".join(
        f'<a href="/tags/keyword_{t.lower().replace(" ", "_")}/">{escape(t)}</a>' for t in page.tags
    )
    see_also = "".join(
        f'<dd><a href="{href}"><strong>{escape(title)}</strong></a></dd>'
        for href, title in page.see_also
    )
    keywords = (
        f'<meta name="keywords" content="{escape(page.keywords)}">'
        f'<meta name="news_keywords" content="{escape(page.keywords)}">'
        if page.keywords
        else ""
    )
    script = "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({x:1});</script>"
    direction = ' dir="rtl"' if page.lang == "ar" else ""
    year, month, day = page.visible_created[:10].split("-")
    visible_day = f"{day}.{month}.{year}"
    return f"""<!DOCTYPE html>
<html lang="{page.lang}"{direction} itemscope itemtype="http://schema.org/{page.itemtype}">
<head>
<meta charset="utf-8">
<title>{escape(page.headline)} - Sputnik International</title>
<meta name="description" content="{escape(page.lead)}">
<meta name="author" content="{escape(meta_author)}">
{keywords}
<meta itemprop="datePublished" name="pubdate" content="{page.published}">
<meta itemprop="dateModified" name="lastmod" content="{page.modified}">
<meta itemprop="dateCreated" content="{page.created}">
<meta name="analytics:p_ts" content="1574111847">
<meta property="og:type" content="website">
<meta property="og:title" content="{escape(page.headline)}">
<meta property="og:image" content="https://cdn.sputniknews.com/sharing_snippet/{article_id}.png?1574111847">
<link rel="canonical" href="{page.canonical}">
{script * (scripts // 2)}
</head>
<body class="b-page">
<div class="b-header"><div class="b-header__menu"><a href="/">Sputnik</a>
<a href="/world/">World</a> <a href="/columnists/">Columnists</a></div></div>
<div class="l-wrapper"><div class="l-main">
<div class="b-article">
 <div class="b-article__meta" style="display:none">
  <div itemprop="image" itemscope itemtype="http://schema.org/ImageObject">
   <meta itemprop="url" content="https://cdn.sputniknews.com/images/107734/34/1077343470.jpg">
   <meta itemprop="width" content="1000"><meta itemprop="height" content="541"></div>
  <div itemprop="publisher" itemscope itemtype="http://schema.org/Organization">
   <meta itemprop="name" content="Sputnik">
   <div itemprop="logo" itemscope itemtype="http://schema.org/ImageObject">
    <meta itemprop="url" content="https://sputniknews.com/i/logo.png"></div></div>
  {author_meta}
 </div>
 <div class="b-article__header">
  <div class="b-article__header-title"><h1 itemprop="headline">{escape(page.headline)}</h1></div>
  <div class="b-article__header-copy">© REUTERS / Photographer</div>
 </div>
 <div class="b-article__refs">
  <a class="b-article__refs-rubric" itemprop="articleSection"
     href="{page.rubric_href}">{escape(page.rubric)}</a>
  <time class="b-article__refs-date" itemprop="dateCreated"
     datetime="{page.visible_created}">{page.visible_created[11:]} GMT {visible_day}</time>
  <time class="b-article__refs-date-upd">{escape(page.visible_updated_text)}</time>
  {author_refs}
  <div class="b-article__likes"><span class="b-likes">12</span></div>
 </div>
 <div class="b-article__lead" itemprop="description"><p>{escape(page.lead)}</p></div>
 <div class="b-article__text" itemprop="articleBody">
{"".join(body)}
 </div>
 <div class="b-article__refs">
  <div class="b-article__refs-tags">{tags}</div>
  <div class="b-article__refs-story"><a href="/trend/impeachment/">Impeachment</a></div>
  <dl class="b-article__refs-item"><dt>See also:</dt>{see_also}</dl>
 </div>
 <div class="b-comments" id="comments"><div class="b-comments__count">0</div></div>
</div>
</div></div>
<div class="b-footer">© 2019 Sputnik. All rights reserved</div>
{script * (scripts - scripts // 2)}
</body>
</html>
"""


EN = Earlier(
    path="/columnists/201911181077343476-royal-self-indicting-arrogance/",
    lang="en",
    itemtype="NewsArticle",
    headline="Royal Self-Indicting Arrogance",
    rubric="Columnists",
    rubric_href="/columnists/",
    lead="Prince Andrew's interview tells more than he meant it to, writes our columnist.",
    paragraphs=[
        "The interview was meant to close the matter; it opened it again.",
        "Viewers noticed the tone more than the words, and the palace noticed the viewers.",
        "Critics in London said the answers raised more questions than they settled.",
        "Supporters argued that he had been candid where others would have stayed silent.",
        "Either way, the story will not go away before the new year.",
    ],
    tags=["Prince Andrew", "UK", "Royal Family"],
    author="Wilmer Leon",
    author_href="/authors/wilmer_leon/",
    published="2019-11-18T21:17:27Z",
    created="2019-11-18T21:17:27Z",
    modified="2019-11-19T11:14:03Z",
    visible_created="2019-11-18T21:17",
    visible_updated_text="(updated 11:14 GMT 19.11.2019)",
    cards=[
        ("/world/201911171077333333-palace-statement/", "Palace Issues Statement"),
        ("/uk/201911161077322222-bbc-interview/", "BBC Interview Aired"),
    ],
    see_also=[
        ("/columnists/201911101077211111-earlier-column/", "An Earlier Column"),
        ("/world/201911171077333333-palace-statement/", "Palace Issues Statement"),
    ],
)

AR = Earlier(
    path="/arab_world/202004281045171234-اجتماع-الجامعة/",
    lang="ar",
    itemtype="Article",
    headline="اجتماع طارئ لجامعة الدول العربية",
    rubric="العالم العربي",
    rubric_href="/arab_world/",
    lead="عقدت جامعة الدول العربية اجتماعا طارئا عبر الفيديو.",
    paragraphs=[
        "عقدت جامعة الدول العربية اليوم اجتماعا طارئا على مستوى المندوبين.",
        "وناقش المجتمعون آخر التطورات في المنطقة والتعاون لمواجهة الوباء.",
        "وأكد البيان الختامي على أهمية العمل العربي المشترك.",
    ],
    tags=["جامعة الدول العربية", "مصر"],
    author="أحمد عبد الوهاب",
    author_href="/authors/ahmed/",
    published="2020-04-28T22:57:11Z",
    created="2020-04-28T22:57:11Z",
    modified="2020-04-29T11:14:40Z",
    visible_created="2020-04-28T22:57",
    visible_updated_text="(updated 11:14 GMT 29.04.2020)",
    cards=[("/arab_world/202004271045160000-بيان/", "بيان")],
    disclaimer=False,
    keywords="الجامعة العربية, مصر",
)

AGENCY = Earlier(
    path="/world/202001101077980000-un-council-meets/",
    lang="en",
    itemtype="NewsArticle",
    headline="UN Security Council Meets on Libya",
    rubric="World",
    rubric_href="/world/",
    lead="The council met behind closed doors.",
    paragraphs=[
        "UNITED NATIONS (Sputnik) - The UN Security Council met on Friday to discuss Libya.",
        "No statement was issued after the meeting.",
    ],
    tags=["UN Security Council", "Libya"],
    author=None,
    author_href=None,
    published="2020-01-10T18:02:00Z",
    created="2020-01-10T18:02:00Z",
    modified="2020-01-10T18:05:00Z",
    visible_created="2020-01-10T18:02",
    visible_updated_text="(updated 18:05 GMT 10.01.2020)",
    disclaimer=False,
)
