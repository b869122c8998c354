"""Extraction: every mirror article gives exactly the manifest's record; each source reads every
shape markup.md allows, on hand-written snippets; pages that are not articles give ``None``."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, fields
from datetime import UTC, datetime
from difflib import SequenceMatcher
from types import ModuleType
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.extract import (
    SOURCES,
    Page,
    extract_article,
    html,
    jsonld,
    microdata,
    related_links,
    source,
)
from crawler.items import ArticleItem, RawArticle
from crawler.normalize import to_article
from tests.mirror import pages, text
from tests.mirror.manifest import COLUMNS, iso, record
from tests.mirror.model import Site

N = 1500
ARCHIVE = 400  # 2019-2020 articles of an archive site: every layout
# The manifest's columns the crawler writes (all of them once it writes ``layout``).
WRITTEN = tuple(c for c in COLUMNS if c in {f.name for f in fields(ArticleItem)})
URL = "https://sputnikglobe.com/20240410/some-story-1117838001.html"


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(N)


def response(body: str | bytes, url: str = URL) -> HtmlResponse:
    return HtmlResponse(
        url, body=body.encode() if isinstance(body, str) else body, encoding="utf-8"
    )


def mirror_response(site: Site, path: str) -> HtmlResponse:
    return response(pages.render(site, path).body, "https://sputnikglobe.com" + path)


def normalized(resp: HtmlResponse, url: str) -> dict[str, Any]:
    found = extract_article(resp, url)
    assert found is not None, url
    item, invalid = to_article(
        RawArticle(url=url, fields=found.fields, layout=found.layout, fallbacks=found.fallbacks)
    )
    assert not invalid, (url, invalid)
    row = asdict(item)
    for key in ("published_at", "created_at", "modified_at"):
        if row[key] is not None:
            row[key] = iso(row[key])
    return {key: row[key] for key in WRITTEN}


# -- the mirror: every article, every variant -------------------------------------------------


def test_every_mirror_article_gives_its_record(site: Site) -> None:
    mismatches: dict[str, list[int]] = {}
    variants_seen: set[tuple[str, ...]] = set()
    for index in range(N):
        truth = record(site, index)
        stub = site.stubs[index]
        found = normalized(mirror_response(site, stub.path), stub.url)
        for column in WRITTEN:
            if found[column] != truth[column]:
                mismatches.setdefault(column, []).append(index)
        v = stub.variants
        variants_seen.add((v.jsonld, str(v.microdata), v.shape, v.timestamp, v.kind))
    assert not mismatches, {k: v[:5] for k, v in mismatches.items()}
    assert len(variants_seen) > 100  # the loop really met the variants


def test_every_archive_article_gives_its_record_whatever_its_layout() -> None:
    """The 2019-2020 archive: earlier-template pages (markup.md §4), generic pages and current
    ones, each read by its own sources; a generic body is a text extractor's: close, not exact."""
    archive = Site(300, archive=ARCHIVE)
    mismatches: dict[str, list[int]] = {}
    layouts: Counter[str] = Counter()
    for index in range(ARCHIVE):
        truth, stub = record(archive, index), archive.stubs[index]
        found = normalized(mirror_response(archive, stub.path), stub.url)
        layouts[found["layout"]] += 1
        columns = WRITTEN
        if truth["layout"] == "generic":
            ratio = SequenceMatcher(None, found["body"], truth["body"]).ratio()
            assert ratio >= 0.95, (stub.url, ratio)
            columns = tuple(c for c in WRITTEN if c not in ("body", "word_count", "content_hash"))
        for column in columns:
            if found[column] != truth[column]:
                mismatches.setdefault(column, []).append(index)
    assert not mismatches, {k: v[:5] for k, v in mismatches.items()}
    assert min(layouts.values()) >= 20 and set(layouts) == {"current", "earlier", "generic"}


def test_seed_article_values(site: Site) -> None:
    stub = site.stubs[site.seed_index]
    row = normalized(mirror_response(site, stub.path), stub.url)
    assert row["headline"] == "China Sending Message That ‘It Has Russia’s Back’ If West Escalates"
    assert row["published_at"] == "2024-04-10T02:11:00Z"
    assert row["authors"] == ["Ian DeMartino"]
    assert row["language"] == "en"
    assert row["publisher"]["logo_width"] == 252
    assert row["body"].count("\n\n") == 4  # five paragraphs, not articleBody's one


def test_related_links_match_related_urls(site: Site) -> None:
    for index in range(0, N, 7):
        stub = site.stubs[index]
        apart = related_links(mirror_response(site, stub.path), stub.url)
        found = extract_article(mirror_response(site, stub.path), stub.url)
        assert found is not None
        assert apart == (found.related, found.dropped)
        assert found.related == found.fields.get("related_urls", [])
        assert found.related == record(site, index)["related_urls"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/world/",
        text.TAGS[0].path,
        text.TAGS[-1].path,
        "/docs/about_us.html",
        "/services/widget/lenta/",
        "/services/subscribe/",
        "/20240101/no-such-article-1.html",  # the 404 page
    ],
)
def test_pages_that_are_not_articles(site: Site, path: str) -> None:
    assert extract_article(mirror_response(site, path), "https://sputnikglobe.com" + path) is None


def test_truncated_and_garbled_pages_never_raise(site: Site) -> None:
    for stub in site.stubs[:40:4]:
        page = pages.render(site, stub.path).body
        for cut in (1, 500, len(page) // 3, len(page) // 2, len(page) - 100):
            for body in (page[:cut], page[cut:], page[:cut] + page[cut + 2000 :]):
                resp = response(body, stub.url)
                found = extract_article(resp, stub.url)
                related_links(resp, stub.url)
                if found is not None:
                    to_article(RawArticle(url=stub.url, fields=found.fields))


def test_sources_are_named() -> None:
    assert [s.name for s in SOURCES] == ["jsonld", "microdata", "html", "earlier", "generic"]
    assert [s.reads_page for s in SOURCES] == [True, True, True, False, False]  # (root, url)


def test_a_source_may_take_the_root_and_the_url() -> None:
    """The earlier and generic templates' modules take ``extract(root, base_url)``."""
    seen: list[Any] = []

    def extract(root: Any, base_url: str | None) -> dict[str, Any]:
        seen.append((root, base_url))
        return {"headline": "H"}

    module = ModuleType("crawler.extract.other")
    module.extract = extract  # type: ignore[attr-defined]
    other = source(module, ("generic",))
    assert (other.name, other.reads_page, other.layouts) == ("other", False, {"generic"})
    page = Page.of(Selector("<html><body><h1>x</h1></body></html>"), URL)
    assert other.read(page) == {"headline": "H"}
    assert seen == [(page.root, URL)]


# -- JSON-LD -----------------------------------------------------------------------------------


def ld(*objects: Any, raw: str = "") -> Selector:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(o)}</script>' for o in objects
    )
    return Selector(f"<html><head>{scripts}{raw}</head><body></body></html>")


ARTICLE = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Title"}


def test_jsonld_plain_graph_list_and_several_scripts() -> None:
    assert jsonld.extract(ld(ARTICLE))["headline"] == "Title"
    site_ld = {"@type": "WebSite", "name": "Sputnik"}
    crumbs = {"@type": "BreadcrumbList", "itemListElement": []}
    assert jsonld.extract(ld({"@graph": [site_ld, crumbs, ARTICLE]}))["headline"] == "Title"
    assert jsonld.extract(ld(site_ld, crumbs, ARTICLE))["headline"] == "Title"
    assert jsonld.extract(ld([site_ld, ARTICLE]))["headline"] == "Title"
    assert jsonld.extract(ld({"@type": "WebPage", "mainEntity": ARTICLE}))["headline"] == "Title"


@pytest.mark.parametrize(
    "kind",
    [
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "LiveBlogPosting",
        ["NewsArticle", "ReportageNewsArticle"],
        ["CreativeWork", "Article"],
        "https://schema.org/NewsArticle",
        "schema:Article",
    ],
)
def test_jsonld_article_types(kind: Any) -> None:
    assert jsonld.extract(ld({"@type": kind, "headline": "T"})) == {"headline": "T"}


def test_jsonld_other_types_are_not_articles() -> None:
    assert jsonld.extract(ld({"@type": "WebPage", "headline": "T"})) == {}
    assert jsonld.extract(ld({"@type": ["Thing"], "name": "T"})) == {}


@pytest.mark.parametrize(
    "script",
    [
        '{"@type": "NewsArticle", "headline": "Editor\'s "pick" ',  # cut off, bad quote
        "{'@type': 'NewsArticle'}",
        "",
        "null",
        "42",
        '"just a string"',
        '{"@graph": 5}',
        '{"@graph": [null, 1, "x", {"@type": 7}]}',
        '[[[{"@type": {"nested": true}}]]]',
        "<!-- -->",
    ],
)
def test_jsonld_broken_markup_never_raises(script: str) -> None:
    page = Selector(
        f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    )
    assert jsonld.extract(page) == {}
    assert extract_article(response(f"<html><head>{script}</head></html>"), URL) is None


def test_jsonld_broken_script_beside_a_good_one() -> None:
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "head</script>'
    assert jsonld.extract(ld(ARTICLE, raw=broken))["headline"] == "Title"


def test_jsonld_comment_and_cdata_wrapped_script() -> None:
    script = f"\n<!--\n{json.dumps(ARTICLE)}\n-->\n"
    page = Selector(f'<html><head><script type="application/ld+json">{script}</script></head>')
    assert jsonld.extract(page)["headline"] == "Title"
    script = f"//<![CDATA[\n{json.dumps(ARTICLE)}\n//]]>"
    page = Selector(f'<html><head><script type="application/ld+json">{script}</script></head>')
    assert jsonld.extract(page)["headline"] == "Title"


def test_jsonld_prefers_the_object_naming_the_page() -> None:
    other = {"@type": "NewsArticle", "headline": "Other", "url": "https://sputnikglobe.com/x"}
    mine = {"@type": "NewsArticle", "headline": "Mine", "mainEntityOfPage": {"@id": URL}}
    assert jsonld.extract(ld(other, mine), URL)["headline"] == "Mine"
    assert jsonld.extract(ld(other, mine))["headline"] == "Other"


def fields_of(**values: Any) -> dict[str, Any]:
    return jsonld.fields({"@type": "NewsArticle", **values})


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ({"@type": "Person", "name": "Ian DeMartino"}, ["Ian DeMartino"]),
        ([{"@type": "Person", "name": "A"}, {"@type": "Person", "name": "B"}], ["A", "B"]),
        ("Ian DeMartino", ["Ian DeMartino"]),
        (["A", "B"], ["A", "B"]),
        ({"@type": "Organization", "name": "Sputnik International"}, []),
        ("Sputnik International", []),
        ([{"@type": "Organization", "name": "X"}, "B", {"name": "C"}], ["B", "C"]),
        ({"@type": ["Person"], "name": {"@value": "D"}}, ["D"]),
        (None, []),
        (42, ["42"]),
    ],
)
def test_jsonld_author_shapes(author: Any, expected: list[str]) -> None:
    assert fields_of(author=author).get("authors", []) == expected


def test_jsonld_creator_when_the_author_is_an_organisation() -> None:
    found = fields_of(author={"@type": "Organization", "name": "S"}, creator="Ian DeMartino")
    assert found["authors"] == ["Ian DeMartino"]


def test_jsonld_image_shapes() -> None:
    crop = {"@type": "ImageObject", "url": "https://i/1.jpg", "width": 1920, "height": "1080"}
    found = fields_of(image=[crop, {**crop, "url": "https://i/2.jpg"}], thumbnailUrl="https://i/m")
    assert found["image_url"] == "https://i/m"
    assert found["images"] == [
        {"url": "https://i/1.jpg", "width": 1920, "height": "1080"},
        {"url": "https://i/2.jpg", "width": 1920, "height": "1080"},
    ]
    found = fields_of(image=crop)
    assert "image_url" not in found  # a crop is not the main photo: og:image is the fallback
    assert found["images"] == [{"url": "https://i/1.jpg", "width": 1920, "height": "1080"}]
    found = fields_of(image="https://i/main.jpg")
    assert found["image_url"] == "https://i/main.jpg"
    assert found["images"] == [{"url": "https://i/main.jpg", "width": None, "height": None}]
    found = fields_of(image=["https://i/a.jpg", "https://i/b.jpg"])
    assert found["image_url"] == "https://i/a.jpg"
    assert [i["url"] for i in found["images"]] == ["https://i/a.jpg", "https://i/b.jpg"]
    found = fields_of(image={"@type": "ImageObject", "contentUrl": "https://i/c.jpg",
                             "width": {"@type": "QuantitativeValue", "value": 800}})  # fmt: skip
    assert found["images"] == [{"url": "https://i/c.jpg", "width": 800, "height": None}]


def test_jsonld_text_values_as_strings_objects_and_lists() -> None:
    found = fields_of(
        articleSection=["analysis", "world"],
        genre=["News"],
        description={"@value": "Lead"},
        inLanguage={"@type": "Language", "name": "English", "alternateName": "en"},
        copyrightYear="2024",
    )
    assert found["section"] == "analysis"
    assert found["genre"] == "News"
    assert found["description"] == "Lead"
    assert found["language"] == "en"
    assert found["copyright_year"] == "2024"
    assert fields_of(copyrightYear=2024)["copyright_year"] == 2024
    assert fields_of(name="Only a name")["headline"] == "Only a name"
    assert "headline" not in fields_of(headline="  ")


def test_jsonld_keywords_and_tags_shapes() -> None:
    assert fields_of(keywords="a, b")["keywords"] == "a, b"
    assert fields_of(keywords=["a", "b"])["keywords"] == ["a", "b"]
    assert fields_of(keywords=[{"@type": "DefinedTerm", "name": "a"}])["keywords"] == ["a"]
    assert fields_of(mentions="russia, china")["tags"] == "russia, china"
    things = [{"@type": "Thing", "name": "russia"}, "china", {"name": ""}]
    assert fields_of(mentions=things)["tags"] == ["russia", "china"]
    assert fields_of(mentions={"@type": "Thing", "name": "nato"})["tags"] == ["nato"]
    assert "tags" not in fields_of(about=["russia"])  # about holds only the first tags


def test_jsonld_links_and_urls() -> None:
    found = fields_of(
        citation=[{"@type": "CreativeWork", "url": "https://a/1"}, "https://a/2"],
        relatedLink="https://a/3",
        mainEntityOfPage={"@type": "WebPage", "@id": URL},
    )
    assert found["related_urls"] == ["https://a/1", "https://a/2", "https://a/3"]
    assert found["url"] == URL
    assert fields_of(mainEntityOfPage=URL)["url"] == URL
    assert fields_of(url=URL, mainEntityOfPage="https://x")["url"] == URL


def test_jsonld_dates_as_given() -> None:
    found = fields_of(
        datePublished="2024-04-10T02:11+0000",
        dateCreated=["2024-04-10T02:10+0000"],
        dateModified=1712715060,
    )
    assert found["published_at"] == "2024-04-10T02:11+0000"
    assert found["created_at"] == "2024-04-10T02:10+0000"
    assert found["modified_at"] == 1712715060


def test_jsonld_publisher_shapes() -> None:
    publisher = {
        "@type": "Organization",
        "name": "Sputnik International",
        "email": "feedback@sputniknews.com",
        "telephone": "+74956456601",
        "legalName": "MIA „Rosiya Segodnya“",
        "logo": {"@type": "ImageObject", "url": "https://i/logo.png", "width": 252, "height": 60},
    }
    assert fields_of(publisher=publisher)["publisher"] == {
        "name": "Sputnik International",
        "email": "feedback@sputniknews.com",
        "telephone": "+74956456601",
        "legal_name": "MIA „Rosiya Segodnya“",
        "logo_url": "https://i/logo.png",
        "logo_width": 252,
        "logo_height": 60,
    }
    found = fields_of(publisher={"name": "S", "logo": "https://i/logo.png"})["publisher"]
    assert found["logo_url"] == "https://i/logo.png" and found["logo_width"] is None
    assert fields_of(publisher="Sputnik")["publisher"] == {"name": "Sputnik"}
    assert "publisher" not in fields_of(publisher={"@type": "Organization"})


# -- microdata ----------------------------------------------------------------------------------


def md(block: str) -> Selector:
    return Selector(f'<html><body><div class="article">{block}</div></body></html>')


def test_microdata_text_and_meta_forms() -> None:
    as_text = md(
        '<div class="article__meta" itemscope itemtype="https://schema.org/Article">'
        '<div itemprop="keywords">a, b</div><div itemprop="datePublished">2024-04-10T02:11+0000'
        '</div><div itemprop="dateCreated">2024-04-10T02:10+0000</div>'
        '<div itemprop="dateModified">2024-04-10T03:00+0000</div><div itemprop="genre">News</div>'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<div itemprop="name">Ian  DeMartino</div></div>'
        '<div itemprop="creator" itemscope itemtype="https://schema.org/Person">'
        '<div itemprop="name">Ian DeMartino</div></div></div>'
    )
    expected = {
        "keywords": "a, b",
        "published_at": "2024-04-10T02:11+0000",
        "created_at": "2024-04-10T02:10+0000",
        "modified_at": "2024-04-10T03:00+0000",
        "genre": "News",
        "authors": ["Ian DeMartino"],
    }
    assert microdata.extract(as_text) == expected
    as_meta = md(
        '<div class="article__meta" itemscope itemtype="http://schema.org/NewsArticle">'
        '<meta itemprop="keywords" content="a, b">'
        '<meta itemprop="datePublished" content="2024-04-10T02:11+0000">'
        '<time itemprop="dateCreated" datetime="2024-04-10T02:10+0000">10 April</time>'
        '<meta itemprop="dateModified" content="2024-04-10T03:00+0000">'
        '<meta itemprop="genre" content="News">'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<meta itemprop="name" content="Ian DeMartino"></div></div>'
    )
    assert microdata.extract(as_meta) == expected


def test_microdata_organisation_is_not_an_author() -> None:
    page = md(
        '<div class="article__meta" itemscope itemtype="https://schema.org/Article">'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Organization">'
        '<div itemprop="name">Sputnik International</div></div>'
        '<div itemprop="author">Sputnik International</div></div>'
    )
    assert microdata.extract(page) == {}
    page = md(
        '<div class="article__meta" itemscope itemtype="https://schema.org/Article">'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Organization">'
        '<div itemprop="name">Sputnik</div></div>'
        '<div itemprop="creator" itemscope itemtype="https://schema.org/Person">'
        '<div itemprop="name">A B</div></div></div>'
    )
    assert microdata.extract(page) == {"authors": ["A B"]}


def test_microdata_block_without_itemscope() -> None:
    page = md(
        '<div class="article__meta"><span itemprop="datePublished">2024-04-10T02:11+0000</span>'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<span itemprop="name">A B</span></div><span itemprop="genre">News</span></div>'
    )
    assert microdata.extract(page) == {
        "published_at": "2024-04-10T02:11+0000",
        "genre": "News",
        "authors": ["A B"],
    }


def test_microdata_block_inside_an_outer_item() -> None:
    page = Selector(
        '<html><body><div class="article" itemscope itemtype="https://schema.org/WebPage">'
        '<div class="article__meta"><meta itemprop="genre" content="News"></div></div></html>'
    )
    assert microdata.extract(page) == {"genre": "News"}


def test_microdata_article_item_elsewhere() -> None:
    page = Selector(
        '<html><body><div itemscope itemtype="https://schema.org/WebSite">'
        '<meta itemprop="name" content="S"></div>'
        '<div itemscope itemtype="https://schema.org/NewsArticle">'
        '<meta itemprop="headline" content="T"><meta itemprop="articleSection" content="world">'
        "</div></body></html>"
    )
    assert microdata.extract(page) == {"headline": "T", "section": "world"}


def test_microdata_absent_or_odd() -> None:
    assert microdata.extract(md("<p>no microdata</p>")) == {}
    assert microdata.extract(md('<div class="article__meta"></div>')) == {}
    assert microdata.extract(md('<div itemscope itemprop="x"><div itemscope></div></div>')) == {}


# -- HTML ---------------------------------------------------------------------------------------

HEAD = (
    '<meta property="og:title" content="OG title">'
    '<meta property="og:description" content="OG lead">'
    '<meta name="description" content="Meta lead">'
    '<meta property="og:image" content="https://i/og.jpg">'
    '<meta property="article:section" content="Analysis">'
    '<meta property="article:published_time" content="20240410T0211+0000">'
    '<meta name="keywords" content="a, b">'
    '<meta property="og:url" content="https://sputnikglobe.com/og-url">'
    '<meta property="og:locale" content="en_US">'
)


def doc(article: str, head: str = HEAD, lang: str = ' lang="en"') -> Selector:
    return Selector(
        f"<!DOCTYPE html><html{lang}><head>{head}</head><body>"
        f'<div class="lenta"><div class="article__title">sidebar, not ours</div></div>'
        f'<div class="article">{article}</div></body></html>'
    )


def body(blocks: str) -> Selector:
    return doc(f'<div class="article__body">{blocks}</div>')


def text_block(inner: str) -> str:
    return f'<div class="article__block" data-type="text"><div class="article__text">{inner}</div></div>'  # noqa: E501


def test_html_header_fields() -> None:
    page = doc(
        '<div class="article__header"><a class="uptitle" href="/world/">World</a>'
        '<h1 class="article__title">\n  The &ldquo;Title&rdquo;  </h1>'
        '<div class="article__info"><div class="article__info-date">'
        '<a href="/20240410/" data-unixtime="1712715060">02:11 GMT 10.04.2024'
        " (Updated: 14:05 GMT 11.04.2024)</a></div></div>"
        '<div class="article__announce-text">The <b>lead</b>.</div>'
        '<div class="article__announce"><div class="media"><div class="media__size">'
        '<img src="/img/main.jpg" alt="x"></div></div></div></div>',
        head='<link rel="canonical" href="https://sputnikglobe.com/canonical">',
    )
    found = html.extract(page, URL)
    assert found == {
        "url": "https://sputnikglobe.com/canonical",
        "headline": "The “Title”",
        "description": "The lead.",
        "section": "World",
        "language": "en",
        "published_at": "1712715060",
        "modified_at": "14:05 GMT 11.04.2024",
        "image_url": "https://sputnikglobe.com/img/main.jpg",
    }


def test_html_meta_fallbacks() -> None:
    found = html.extract(doc("", lang=""))
    assert found == {
        "url": "https://sputnikglobe.com/og-url",
        "headline": "OG title",
        "description": "OG lead",
        "section": "Analysis",
        "keywords": "a, b",
        "language": "en_US",
        "published_at": "20240410T0211+0000",
        "image_url": "https://i/og.jpg",
    }
    assert html.extract(doc("", head='<meta name="description" content="D">')) == {
        "description": "D",
        "language": "en",
    }


def test_html_visible_date_without_unixtime_or_update() -> None:
    page = doc('<div class="article__info-date"><a>02:11 GMT 10.04.2024</a></div>', head="")
    found = html.extract(page)
    assert found["published_at"] == "02:11 GMT 10.04.2024"
    assert "modified_at" not in found


def test_html_body_blocks() -> None:
    page = body(
        text_block('MOSCOW (Sputnik) - One. As <a href="/x">earlier reported</a> said, two.')
        + '<div class="article__block" data-type="article"><div class="article__article">'
        '<a href="/20240409/rel-1117821017.html" title="Rel"><img src="x.jpg">'
        '<span class="article__article-title">Related title</span></a></div></div>'
        '<h2 class="article__h2">A sub-head</h2>'
        '<div class="article__block" data-type="quote"><div class="article__quote">'
        '<div class="article__quote-bg"></div><div class="article__quote-text">“Quoted.”</div>'
        "</div></div>"
        '<div class="article__block" data-type="media"><div class="media"><div class="media__size">'
        '<img src="a.jpg"></div><div class="media__copyright">© Sputnik / Photo</div>'
        '<div class="media__title">Caption</div></div></div>'
        '<div class="article__block" data-type="photolenta"><div class="photolenta__title">'
        "Photos</div></div>"
        '<div class="article__block" data-type="banner"><div class="banner">Advertisement</div>'
        "</div>"
        '<div class="article__block" data-type="social"><div class="ria-tweet"><blockquote '
        'class="twitter-tweet"><p>Tweet text</p><a href="https://t/1">May 1</a></blockquote>'
        "</div></div>"
        '<h3 class="article__h2">Smaller head</h3>'
        + text_block("Line one<br>line two")
        + text_block("<p>First p.</p><p>Second p.</p>")
        + '<div class="article__block" data-type="text">Bare block text.</div>'
        '<div class="article__block"><div class="article__text">Untyped.</div>'
        '<div class="banner">Ad</div></div>' + text_block("   ")
    )
    assert html.extract(page)["body"] == [
        "MOSCOW (Sputnik) - One. As earlier reported said, two.",
        "A sub-head",
        "“Quoted.”",
        "Smaller head",
        "Line one line two",
        "First p.",
        "Second p.",
        "Bare block text.",
        "Untyped.",
    ]


def test_html_live_blog_entries() -> None:
    page = body(
        text_block("Intro.") + '<div class="online">'
        '<div class="online__item"><div class="online__item-top"><div class="online__item-date"'
        ' data-unixtime="1712715660">02:21 GMT 10.04.2024</div></div>'
        '<h2 class="online__item-title">Second entry</h2><div class="online__item-text">'
        '<div class="article__text">Text 2a.</div><div class="article__text">Text 2b.</div>'
        "</div></div>"
        '<div class="online__item"><div class="online__item-title">First entry</div>'
        '<div class="online__item-text"><p>Text 1.</p></div></div>'
        "</div>" + text_block("Outro.")
    )
    assert html.extract(page)["body"] == [
        "Intro.",
        "Second entry",
        "Text 2a.",
        "Text 2b.",
        "First entry",
        "Text 1.",
        "Outro.",
    ]


def test_html_footer_tags_and_authors() -> None:
    page = doc(
        '<div class="article__footer"><ul class="tags">'
        '<li class="tag"><a href="/location_russia/"><span class="tag__text">Russia</span></a></li>'
        '<li class="tag"><a href="/keyword_nato/"><span class="tag__text">NATO</span></a></li>'
        '</ul><div class="article__author"><a class="article__author-name">Ian DeMartino</a>'
        '</div><div class="article__author"><a class="article__author-name"> A  B </a></div></div>'
    )
    found = html.extract(page)
    assert found["tags"] == ["Russia", "NATO"]
    assert found["authors"] == ["Ian DeMartino", "A B"]
    page = doc('<ul class="tags"><li class="tag"><a href="/keyword_x/">X Tag</a></li></ul>')
    assert html.extract(page)["tags"] == ["X Tag"]


def test_html_related_cards_in_page_order() -> None:
    page = body(
        '<div class="article__block" data-type="article"><div class="article__article">'
        '<a href="/20240409/b-1117821017.html?chat_room_id=5" title="B"><img src="b.jpg"></a>'
        "</div></div>"
        + text_block('Text <a href="/20240101/inline-1115800000.html">inline</a>.')
        + '<div class="article__block" data-type="article">'
        '<a href="https://sputniknews.com/20240409/a-1117824035.html"> </a></div>'
        '<div class="article__article"><a href="/amp/20240409/c-1117800000.html">C</a></div>'
    )
    assert html.extract(page)["related_urls"] == [
        "/20240409/b-1117821017.html?chat_room_id=5",
        "https://sputniknews.com/20240409/a-1117824035.html",
        "/amp/20240409/c-1117800000.html",
    ]


def test_html_main_photo_fallbacks() -> None:
    page = doc(
        '<div class="article__body"><div class="media__size"><img data-src="https://i/lazy.jpg">'
        "</div></div>",
        head="",
    )
    assert html.extract(page, URL)["image_url"] == "https://i/lazy.jpg"


def test_html_markup_outside_div_article() -> None:
    page = Selector(
        '<html><body><h1 class="article__title">Title</h1><div class="article__body">'
        + text_block("Text.")
        + "</div></body></html>"
    )
    assert html.parse(page.root).found
    found = html.extract(page)
    assert found["headline"] == "Title" and found["body"] == ["Text."]
    page = Selector(
        '<html><body><div class="article"><div class="article__meta"></div></div>'
        '<h1 class="article__title">Outside</h1></body></html>'
    )
    assert html.extract(page)["headline"] == "Outside"


def test_html_nothing_on_an_empty_page() -> None:
    page = Selector("<html><body><p>Hello</p></body></html>")
    assert html.extract(page) == {}
    assert not html.parse(page.root).found


# -- merging --------------------------------------------------------------------------------------


def article_page(ld_object: dict[str, Any] | None, article: str, head: str = "") -> HtmlResponse:
    script = (
        f'<script type="application/ld+json">{json.dumps(ld_object)}</script>' if ld_object else ""
    )
    return response(
        f'<html lang="en"><head>{head}{script}</head><body><div class="article">{article}</div>'
        "</body></html>"
    )


def test_merge_precedence_and_sources() -> None:
    resp = article_page(
        {"@type": "NewsArticle", "headline": "LD title", "articleBody": "P1.P2."},
        '<div class="article__meta" itemscope itemtype="https://schema.org/Article">'
        '<meta itemprop="genre" content="News"><meta itemprop="headline" content="MD title"></div>'
        '<h1 class="article__title">HTML title</h1>'
        '<div class="article__body">' + text_block("P1.") + text_block("P2.") + "</div>",
    )
    found = extract_article(resp, URL)
    assert found is not None
    raw, sources = found.fields, found.sources
    assert raw["headline"] == "LD title" and sources["headline"] == "jsonld"
    assert raw["genre"] == "News" and sources["genre"] == "microdata"
    assert raw["body"] == ["P1.", "P2."] and sources["body"] == "html"
    assert raw["language"] == "en" and sources["language"] == "html"
    assert set(raw) == set(sources)


def test_merge_falls_back_to_article_body_and_to_a_crop() -> None:
    resp = article_page(
        {
            "@type": "NewsArticle",
            "headline": "T",
            "articleBody": "Only the run-together body.",
            "image": {"@type": "ImageObject", "url": "https://i/crop.jpg"},
        },
        '<div class="article__body"><div class="article__block" data-type="banner"></div></div>',
    )
    found = extract_article(resp, URL)
    assert found is not None
    raw, sources = found.fields, found.sources
    assert raw["body"] == "Only the run-together body." and sources["body"] == "jsonld"
    assert raw["image_url"] == "https://i/crop.jpg" and sources["image_url"] == "jsonld"


def test_merge_related_urls_union() -> None:
    resp = article_page(
        {
            "@type": "NewsArticle",
            "citation": [
                "https://sputnikglobe.com/20240409/a-1117821017.html",
                {"url": "https://sputniknews.com/20240409/c-1117800000.html?utm_source=x"},
                "https://example.com/elsewhere",
                "https://sputnikglobe.com/keyword_nato/",
            ],
        },
        '<div class="article__body">'
        '<div class="article__block" data-type="article"><div class="article__article">'
        '<a href="/amp/20240409/b-1117824035.html#comments">B</a></div></div>'
        '<div class="article__block" data-type="article"><div class="article__article">'
        '<a href="//sputnikglobe.com/20240409/a-1117821017.html">A</a></div></div>'
        '<div class="article__block" data-type="article"><div class="article__article">'
        '<a href="javascript:void(0)">X</a></div></div></div>',
    )
    found = extract_article(resp, URL)
    assert found is not None
    raw, sources = found.fields, found.sources
    expected = [
        "https://sputnikglobe.com/20240409/b-1117824035.html",
        "https://sputnikglobe.com/20240409/a-1117821017.html",
        "https://sputnikglobe.com/20240409/c-1117800000.html",
    ]
    assert raw["related_urls"] == expected
    assert sources["related_urls"] == "html+jsonld"
    dropped = Counter({"bad-scheme": 1, "off-site": 1, "not-article": 1})
    assert (found.related, found.dropped) == (expected, dropped)
    assert related_links(resp, URL) == (expected, dropped)  # read apart: the same


def test_article_detection() -> None:
    assert extract_article(response("<html><body><p>x</p></body></html>"), URL) is None
    crumbs = json.dumps({"@type": "BreadcrumbList", "itemListElement": []})
    listing = response(
        f'<html><head><script type="application/ld+json">{crumbs}</script></head></html>'
    )
    assert extract_article(listing, URL) is None
    only_ld = response(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "T"}'
        "</script></head><body></body></html>"
    )
    found = extract_article(only_ld, URL)
    assert found is not None
    assert (found.fields, found.sources, found.fallbacks) == (
        {"headline": "T"},
        {"headline": "jsonld"},
        {},
    )
    assert (found.layout, found.evidence) == ("generic", "jsonld")
    empty_article = extract_article(article_page(None, ""), URL)
    assert empty_article is not None
    assert empty_article.fields == {"language": "en"}
    assert empty_article.sources == {"language": "html"}
    assert (empty_article.layout, empty_article.evidence) == ("current", "current-template")


def test_an_unreadable_value_falls_back_to_the_next_source():
    """A garbled JSON-LD date does not hide the meta tag's good one."""
    ld = json.dumps({"@type": "NewsArticle", "headline": "T", "datePublished": "yesterday-ish"})
    page = response(
        "<html><head>"
        '<meta property="article:published_time" content="2024-04-10T02:11+0000">'
        f'<script type="application/ld+json">{ld}</script></head>'
        '<body><div class="article"><h1 class="article__title">T</h1></div></body></html>'
    )
    found = extract_article(page, URL)
    assert found.fields["published_at"] == "yesterday-ish"
    item, invalid = to_article(RawArticle(url=URL, fields=found.fields, fallbacks=found.fallbacks))
    assert item.published_at == datetime(2024, 4, 10, 2, 11, tzinfo=UTC)
    assert "published_at" not in invalid
