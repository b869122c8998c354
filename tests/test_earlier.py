"""The earlier template (markup.md §4): hand-written pages built from §4 alone give headline,
dates, author, section, lead, body and tags, raw (``crawler.extract.earlier``) and normalized
(``crawler.normalize``); broken parts are missing keys, never exceptions; a crawl of such pages
served by ``tests/hostile.py`` writes their rows. Authors lose the house suffix whatever the source.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler import normalize as n
from crawler.extract import earlier, extract_article
from crawler.urls import PUBLIC_ORIGIN, canonicalize
from tests.crawl import run_crawl
from tests.earlier_pages import AGENCY, AR, EN, Earlier, earlier_page
from tests.hostile import HostileServer, Reply
from tests.test_crawl import rows

if TYPE_CHECKING:
    from pathlib import Path

HTML = {"Content-Type": "text/html; charset=utf-8"}


def public(page: Earlier) -> str:
    url = canonicalize(page.path)[0]
    assert url is not None
    return str(url)


def root(html: str) -> Any:
    return Selector(text=html).root


def row(page: Earlier, html: str | None = None) -> dict[str, Any]:
    """The page's normalized fields, as the crawl computes them."""
    url = public(page)
    response = HtmlResponse(url, body=(html or earlier_page(page)).encode(), encoding="utf-8")
    found = extract_article(response, url)
    assert found is not None
    values, invalid = n.normalize_fields(url, found.fields, found.fallbacks)
    assert invalid == {}
    return values


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- raw fields ----------------------------------------------------------------------------------


def test_english_page_raw_fields() -> None:
    raw = earlier.extract(root(earlier_page(EN)), public(EN))
    assert raw["headline"] == EN.headline
    assert raw["description"] == EN.lead
    assert raw["section"] == "Columnists"
    assert raw["tags"] == EN.tags
    assert raw["authors"] == ["Wilmer Leon"]
    assert raw["body"] == EN.paragraphs  # cards, disclaimer, lazy placeholders left out
    assert raw["published_at"] == EN.published
    assert raw["created_at"] == EN.created
    assert raw["modified_at"] == EN.modified
    assert raw["language"] == "en"
    assert raw["url"] == EN.canonical
    assert raw["image_url"] == "https://cdn.sputniknews.com/images/107734/34/1077343470.jpg"
    # inject cards, then "see also", as written, each once
    assert raw["related_urls"] == [
        "/world/201911171077333333-palace-statement/",
        "/uk/201911161077322222-bbc-interview/",
        "/columnists/201911101077211111-earlier-column/",
    ]
    assert "keywords" not in raw


def test_card_text_is_not_body_text() -> None:
    raw = earlier.extract(root(earlier_page(EN)), public(EN))
    text = " ".join(raw["body"])
    for banned in ("Palace Issues Statement", "Photographer", "views and opinions", "See also"):
        assert banned not in text


def test_english_page_normalized_row() -> None:
    values = row(EN)
    path = "/20191118/royal-self-indicting-arrogance-1077343476.html"
    assert values["url"] == PUBLIC_ORIGIN + path
    assert values["article_id"] == 1077343476
    assert values["headline"] == EN.headline
    assert values["description"] == EN.lead
    assert values["section"] == "columnists"
    assert values["tags"] == ["prince andrew", "uk", "royal family"]
    assert values["authors"] == ["Wilmer Leon"]  # not "Wilmer Leon. Sputnik International"
    assert values["body"] == "\n\n".join(EN.paragraphs)
    assert values["published_at"] == utc(EN.published)
    assert values["created_at"] == utc(EN.created)
    assert values["modified_at"] == utc(EN.modified)
    assert values["language"] == "en"
    assert values["related_urls"] == [
        PUBLIC_ORIGIN + "/20191117/palace-statement-1077333333.html",
        PUBLIC_ORIGIN + "/20191116/bbc-interview-1077322222.html",
        PUBLIC_ORIGIN + "/20191110/earlier-column-1077211111.html",
    ]
    assert all(type(u) is str for u in values["related_urls"])


def test_arabic_page() -> None:
    raw = earlier.extract(root(earlier_page(AR)), public(AR))
    assert raw["section"] == "العالم العربي"
    assert raw["body"] == AR.paragraphs
    assert raw["keywords"] == AR.keywords
    values = row(AR)
    assert values["headline"] == AR.headline
    assert values["section"] == "العالم العربي"
    assert values["language"] == "ar"
    assert values["authors"] == [AR.author]
    assert values["tags"] == AR.tags
    assert values["keywords"] == ["الجامعة العربية", "مصر"]
    assert values["body"] == "\n\n".join(AR.paragraphs)
    assert values["published_at"] == utc(AR.published)
    assert values["article_id"] == 1045171234
    assert values["related_urls"] == [canonicalize("/arab_world/202004271045160000-بيان/")[0]]


def test_organisation_author_is_no_author() -> None:
    raw = earlier.extract(root(earlier_page(AGENCY)), public(AGENCY))
    assert "authors" not in raw
    values = row(AGENCY)
    assert values["authors"] == []
    assert values["headline"] == AGENCY.headline
    assert values["body"] == "\n\n".join(AGENCY.paragraphs)


def test_visible_dates_when_the_metas_are_missing() -> None:
    html = earlier_page(EN)
    for name in (
        'itemprop="datePublished" name="pubdate"',
        'itemprop="dateModified" name="lastmod"',
        'itemprop="dateCreated" content',
    ):
        html = html.replace(name, 'name="x"' + (" content" if "content" in name else ""))
    html = html.replace('name="analytics:p_ts"', 'name="y"')
    raw = earlier.extract(root(html), public(EN))
    assert raw["published_at"] == raw["created_at"] == "2019-11-18T21:17"
    assert raw["modified_at"] == "11:14 GMT 19.11.2019"
    assert n.timestamp_processor(raw["modified_at"]) == datetime(2019, 11, 19, 11, 14, tzinfo=UTC)


# -- recognition and broken pages ----------------------------------------------------------------


def test_recognition() -> None:
    assert earlier.is_earlier(root(earlier_page(EN)))
    microdata_only = (
        '<html itemscope itemtype="https://schema.org/NewsArticle"><head>'
        '<meta name="pubdate" content="2019-11-18T21:17:27Z"></head><body><h1>x</h1></body></html>'
    )
    assert earlier.is_earlier(root(microdata_only))
    current = (
        '<html lang="en"><head><meta property="og:title" content="x"></head><body>'
        '<div class="article"><h1 class="article__title">x</h1></div></body></html>'
    )
    assert not earlier.is_earlier(root(current))
    assert earlier.extract(root(current), PUBLIC_ORIGIN + "/") == {}


@pytest.mark.parametrize(
    ("cut", "missing"),
    [
        ('<div class="b-article__header', {"headline"}),  # -title and its parent
        ('<div class="b-article__lead"', {"description"}),
        ('<div class="b-article__text"', {"body"}),
        ('<div class="b-article__refs-tags">', {"tags"}),
        ('<a class="b-article__refs-rubric"', {"section"}),
    ],
)
def test_missing_parts_are_missing_keys(cut: str, missing: set[str]) -> None:
    """A block renamed away takes its field (only that one) with it."""
    html = earlier_page(EN).replace(cut, cut.replace("b-article__", "x-"))
    assert html != earlier_page(EN)
    html = html.replace('itemprop="headline"', "")  # the h1's microdata fallback
    html = html.replace('itemprop="articleSection"', "")
    raw = earlier.extract(root(html), public(EN))
    whole = earlier.extract(root(earlier_page(EN)), public(EN))
    assert set(whole) - set(raw) == missing


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html></html>",
        '<html class="b-article__x"><body><div class="b-article__text"></div></body></html>',
        '<div class="b-article__text"><p>a<div class="b-inject"><a>b</a></div>',  # cut short
        '<div class="b-article__text">' + "<div>" * 3000 + "deep" + "</div>" * 3000 + "</div>",
        '<div class="b-article__refs-date" datetime="">?</div><meta name="pubdate" content="">'
        '<div class="b-article__meta"><div itemprop="image" itemscope></div></div>',
        '<html lang="" itemscope itemtype="x"><div class="b-article__header-title"></div>',
        "<!-- c --><?pi x?><div class='b-article__lead'><!-- c -->text</div>",
    ],
)
def test_broken_markup_never_raises(html: str) -> None:
    doc = root(html) if html else root("<html/>")
    raw = earlier.extract(doc, public(EN))
    assert isinstance(raw, dict)
    assert all(value not in (None, "", []) for value in raw.values())


def test_radio_players_and_captions_are_not_body_text() -> None:
    html = (
        '<div class="b-article__text" itemprop="articleBody"><p>One.</p>'
        '<div class="b-inject__audio"><span class="b-inject__audio-time">00:00</span></div>'
        '<p>Two <span class="b-inject__audio-title">Listen</span>and three.</p>'
        '<div class="b-article__media"><img src="/i/blank.svg"><div class="b-media__caption">'
        "A caption</div></div><p>Four.</p></div>"
    )
    assert earlier.extract(root(html), None)["body"] == ["One.", "Two and three.", "Four."]


def test_deep_nesting_is_read() -> None:
    html = '<div class="b-article__text">' + "<div>" * 300 + "<p>deep</p>" + "</div>" * 300
    assert earlier.extract(root(html), None)["body"] == ["deep"]


# -- authors, whatever the source ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "authors"),
    [
        ("Wilmer Leon. Sputnik International", ["Wilmer Leon"]),
        (["Wilmer Leon. Sputnik International", "Wilmer Leon"], ["Wilmer Leon"]),
        (["Ann Smith .  sputnik international "], ["Ann Smith"]),
        (["Sputnik", "Sputnik International", "RIA Novosti"], []),
        (["John Doe", "Sputnik"], ["John Doe"]),
    ],
)
def test_house_suffix_and_names(value: Any, authors: list[str]) -> None:
    assert n.authors_processor(value) == authors


def test_house_suffix_stripped_from_json_ld_authors() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "h", "author": {"@type": "Person", "name": "Wilmer Leon. Sputnik'
        ' International"}}</script></head><body></body></html>'
    )
    url = PUBLIC_ORIGIN + "/20240410/x-1117838001.html"
    found = extract_article(HtmlResponse(url, body=html.encode()), url)
    assert found is not None
    assert n.normalize_fields(url, found.fields)[0]["authors"] == ["Wilmer Leon"]


# -- a crawl ---------------------------------------------------------------------------------------


def test_crawl_of_earlier_pages(tmp_path: Path) -> None:
    """Seeds in today's form and in the old form; linked articles in the old form are followed."""
    linked = {
        href: replace(AGENCY, path=href, headline=title, cards=[], see_also=[])
        for href, title in [*EN.cards, *EN.see_also, *AR.cards]
    }
    pages = [EN, AR, AGENCY, *linked.values()]
    with HostileServer() as site:
        for page in pages:
            path = public(page)[len(PUBLIC_ORIGIN) :]
            site.route(path, Reply(200, HTML, earlier_page(page).encode()))
        seeds = [public(EN), AR.canonical, public(AGENCY)]
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "seeds=" + ",".join(seeds),
            "-a",
            "source=urls",
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never", "DEPTH_LIMIT": "1"},
            timeout=60,
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    written = {r["url"]: r for r in rows(crawl.articles)}
    assert rows(crawl.rejects) == []
    assert set(written) == {public(page) for page in pages}
    for page in (EN, AR, AGENCY):
        got = written[public(page)]
        want = row(page)
        for column in (
            "headline", "description", "body", "section", "tags", "authors", "language",
            "published_at", "created_at", "modified_at", "related_urls", "article_id",
        ):  # fmt: skip
            assert got[column] == want[column], column
    assert written[public(EN)]["authors"] == ["Wilmer Leon"]
    assert written[public(AGENCY)]["authors"] == []
    assert written[public(AR)]["section"] == "العالم العربي"
    for page in linked.values():
        assert written[public(page)]["depth"] == 1
    assert "sputnik/urls/old-form-retried" not in crawl.stats  # every canonical URL answered
