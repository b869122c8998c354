"""Any real Sputnik page (issue 9): an article is known by evidence, not one template's class
names; each is read in a ``layout`` (``current``, ``earlier``, ``generic``) that reaches its row
and the stats; a server-rendered page with many scripts is no shell; datasets written before the
``layout`` column read with new ones and compact to the current schema.

The earlier-template page is written from markup.md §4 alone; the generic page has only
``og:``/``article:`` metas, an ``<h1>``, a ``<time>`` and the text.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from scrapy.http import HtmlResponse

from crawler import compact as compaction
from crawler import dataset, migrate
from crawler.extract import NotArticle, extract_article, extract_page
from crawler.items import ArticleItem, RawArticle
from crawler.normalize import to_article
from crawler.pipelines.validate import reject_missing
from crawler.render import needs_browser
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply
from tests.test_write import feed, make_writer

PUBLIC = "https://sputnikglobe.com"
EARLIER_PATH = "/20191118/royal-self-indicting-arrogance-1077343476.html"
GENERIC_PATH = "/20200428/an-unknown-template-1079123456.html"
TIMED_PATH = "/20200429/only-a-heading-and-a-time-1079123457.html"
NOT_ARTICLE_PATH = "/20200430/a-page-of-nothing-1079123458.html"
HTML = {"Content-Type": "text/html; charset=utf-8"}
BEFORE_LAYOUT = Path(__file__).parent / "data" / "before_layout"  # written by the code before

SCRIPTS = "".join(
    f'<script src="/js/{name}.js"></script>'
    for name in ("jquery", "likes", "comments", "ads", "lazyload", "metrika", "player", "share")
)


def earlier_page(*, root_type: str = "NewsArticle", classes: bool = True) -> str:
    """An archive copy in the earlier template (markup.md §4): microdata on the root element,
    dates in the head, ``b-article__*`` markup, an inject card inside a paragraph, the
    disclaimer, lazy placeholders, many scripts, no JSON-LD, ``og:type`` ``website``."""
    b = "b-article" if classes else "x-story"
    return f"""<!DOCTYPE html>
<html lang="en" itemscope itemtype="http://schema.org/{root_type}"><head>
<meta charset="utf-8"><title>Royal Self-Indicting Arrogance - Sputnik International</title>
<link rel="canonical" href="https://sputniknews.com/columnists/201911181077343476-royal-self-indicting-arrogance/">
<meta property="og:type" content="website">
<meta property="og:title" content="Royal Self-Indicting Arrogance">
<meta property="og:image" content="/sharing_snippet/1077343476.png?1574111847">
<meta itemprop="datePublished" name="pubdate" content="2019-11-18T21:17:27Z">
<meta itemprop="dateModified" name="lastmod" content="2019-11-19T08:02:11Z">
<meta itemprop="dateCreated" content="2019-11-18T21:17:27Z">
<meta name="author" content="Wilmer Leon. Sputnik International">
<meta name="analytics:p_ts" content="1574111847">
{SCRIPTS}
</head><body><noscript><img src="/counter.gif"></noscript>
<div class="b-header"><div class="{b}__header"><div class="{b}__header-title">
<h1 itemprop="headline">Royal Self-Indicting Arrogance</h1></div>
<div class="{b}__header-copy">© Photo: Pool</div></div></div>
<div class="{b}"><div class="{b}__meta" style="display:none">
<div itemprop="author" itemscope itemtype="http://schema.org/Person">
<meta itemprop="name" content="Wilmer Leon. Sputnik International"></div></div>
<div class="{b}__refs"><a class="{b}__refs-rubric" itemprop="articleSection"
 href="/columnists/">Columnists</a>
<time class="{b}__refs-date" itemprop="dateCreated" datetime="2019-11-18T21:17">21:17 GMT
 18.11.2019</time><time class="{b}__refs-date-upd">(updated 08:02 GMT 19.11.2019)</time>
<div class="{b}__refs-author">by <a rel="author" href="/authors/wilmer_leon/">Wilmer Leon</a>
</div></div>
<div class="{b}__lead" itemprop="description"><p>Prince Andrew gave an interview.</p></div>
<div class="{b}__text" itemprop="articleBody"><p>The first paragraph.</p>
<p>The second <div class="b-inject m-inject-min"><div class="b-inject__media">
<a href="/world/201911171077333333-other-story/"><picture><img src="/i/blank.svg"></picture></a>
</div><div class="b-inject__content"><a href="/world/201911171077333333-other-story/">A card
</a></div></div> paragraph.</p>
<p class="b-disclaimer">The views and opinions expressed are those of the author.</p></div>
<div class="{b}__refs-tags"><a href="/tags/keyword_royal_family/">Royal Family</a>,
<a href="/tags/keyword_uk/">UK</a></div></div>
{SCRIPTS}{SCRIPTS}</body></html>"""


GENERIC_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>An unknown template</title>
<meta property="og:type" content="article">
<meta property="og:title" content="An Unknown Template">
<meta property="og:description" content="The lead of it.">
<meta property="article:published_time" content="2020-04-28T22:57:00Z">
<meta property="article:section" content="World">
</head><body><div class="page"><div class="cookie-banner">We use cookies.</div>
<div class="wrap"><div class="main"><h1>An Unknown Template</h1>
<time datetime="2020-04-28T22:57:00Z">28 April 2020</time>
<div class="content"><p>First paragraph of the text.</p><p>Second paragraph.</p></div>
<div class="share"><a href="#">Share</a></div></div>
<ul class="related"><li><a href="/20200427/a-story-1079000001.html">A story</a></li></ul>
<div class="comments">No comments.</div></div><footer>© The house</footer></div>
</body></html>"""

TIMED_PAGE = """<!DOCTYPE html><html><head><title>Story</title></head><body>
<div><h1>Only a Heading and a Time</h1><time datetime="2020-04-29T10:00:00Z">29 April</time>
<p>Text of the story.</p></div></body></html>"""

NOT_ARTICLE_PAGE = (
    """<!DOCTYPE html><html><head><title>Nothing</title>
<meta property="og:type" content="website">
<script type="application/ld+json">{"@type": "WebSite", "name": "S"}</script></head>
<body><h1>A heading, no time</h1><p>Some words.</p><p>"""
    + "A page of plain text, server-rendered, that is no article. " * 5
    + """</p></body></html>"""
)


def page(body: str, path: str = EARLIER_PATH) -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1:9" + path, body=body.encode(), encoding="utf-8")


def normalized(body: str, path: str) -> ArticleItem:
    found = extract_article(page(body, path), PUBLIC + path)
    assert found is not None
    raw = RawArticle(url=PUBLIC + path, fields=found.fields, layout=found.layout)
    return to_article(raw)[0]


# -- recognition and layout ----------------------------------------------------------------------


def test_an_earlier_template_page_is_an_earlier_article() -> None:
    found = extract_page(page(earlier_page()), PUBLIC + EARLIER_PATH)
    assert not isinstance(found, NotArticle)
    assert (found.layout, found.evidence) == ("earlier", "pubdate")
    item = normalized(earlier_page(), EARLIER_PATH)
    assert item.layout == "earlier"
    assert item.headline == "Royal Self-Indicting Arrogance"
    assert item.published_at == datetime(2019, 11, 18, 21, 17, 27, tzinfo=UTC)
    assert item.modified_at == datetime(2019, 11, 19, 8, 2, 11, tzinfo=UTC)
    assert item.description == "Prince Andrew gave an interview."
    assert item.image_url == PUBLIC + "/sharing_snippet/1077343476.png?1574111847"
    # The rubric's href is no section name (its text is the earlier template's source's).
    assert item.section != "https://sputnikglobe.com/columnists/"
    assert reject_missing(item) is None


@pytest.mark.parametrize(
    ("body", "layout"),
    [
        (earlier_page(root_type="Article"), "earlier"),
        (earlier_page(classes=False), "earlier"),  # root microdata + pubdate, no b-article__
        (earlier_page().replace('name="pubdate" ', ""), "earlier"),  # b-article__ classes
        (GENERIC_PAGE, "generic"),
        (TIMED_PAGE, "generic"),
    ],
)
def test_layout(body: str, layout: str) -> None:
    found = extract_article(page(body), PUBLIC + EARLIER_PATH)
    assert found is not None and found.layout == layout


@pytest.mark.parametrize(
    ("head", "body", "evidence"),
    [
        ('<script type="application/ld+json">{"@type": "AnalysisNewsArticle"}</script>', "",
         "jsonld"),
        ('<script type="application/ld+json">{"@graph": [{"@type": "LiveBlogPosting"}]}</script>',
         "", "jsonld"),
        ("", '<div itemscope itemtype="https://schema.org/ReportageNewsArticle"></div>',
         "microdata"),
        ('<meta property="og:type" content="article">', "", "og-type"),
        ('<meta property="article:section" content="World">', "", "article-meta"),
        ('<meta name="pubdate" content="2019-11-18T21:17:27Z">', "", "pubdate"),
        ("", '<div class="b-article__text"><p>x</p></div>', "earlier-template"),
        ("", '<div class="article"></div>', "current-template"),
        ("", '<h1 class="article__title">T</h1>', "current-template"),
        ("", '<h1>T</h1><span itemprop="datePublished">2020-01-01</span>', "h1-time"),
    ],
)  # fmt: skip
def test_every_kind_of_evidence(head: str, body: str, evidence: str) -> None:
    html = f"<html><head>{head}</head><body><p>Words.</p>{body}</body></html>"
    found = extract_page(page(html), PUBLIC + GENERIC_PATH)
    assert not isinstance(found, NotArticle) and found.evidence == evidence


def test_root_element_microdata_is_evidence() -> None:
    html = (
        '<html itemscope itemtype="http://schema.org/NewsArticle"><head></head><body>'
        '<h1 itemprop="headline">T</h1></body></html>'
    )
    found = extract_article(page(html), PUBLIC + GENERIC_PATH)
    assert found is not None and found.evidence == "microdata"
    assert found.fields["headline"] == "T"


def test_a_heading_with_a_time_counts_only_at_an_article_url() -> None:
    assert extract_article(page(TIMED_PAGE), PUBLIC + TIMED_PATH) is not None
    assert extract_article(page(TIMED_PAGE, "/docs/x.html"), PUBLIC + "/docs/x.html") is None


def test_a_page_without_evidence_says_what_was_seen() -> None:
    found = extract_page(page(NOT_ARTICLE_PAGE), PUBLIC + NOT_ARTICLE_PATH)
    assert isinstance(found, NotArticle)
    assert found.seen == {
        "title": "Nothing",
        "h1": "A heading, no time",
        "og:type": "website",
        "jsonld_types": ["WebSite"],
        "time": False,
        "scripts": 1,
    }


def test_a_generic_page_reads_from_its_metas() -> None:
    item = normalized(GENERIC_PAGE, GENERIC_PATH)
    assert item.layout == "generic"
    assert item.headline == "An Unknown Template"
    assert item.published_at == datetime(2020, 4, 28, 22, 57, tzinfo=UTC)
    assert item.section == "world"


def test_an_article_missing_a_required_field_stays_a_missing_reject() -> None:
    no_headline = GENERIC_PAGE.replace(
        '<meta property="og:title" content="An Unknown Template">', ""
    )
    no_headline = no_headline.replace("<h1>An Unknown Template</h1>", "")
    reject = reject_missing(normalized(no_headline, GENERIC_PATH))
    assert reject is not None and reject.reason == "missing-headline"
    assert json.loads(reject.found or "{}")["layout"] == "generic"


# -- script-built detection -----------------------------------------------------------------------


def test_a_server_rendered_page_with_many_scripts_is_no_shell() -> None:
    meta = {"public_url": PUBLIC + EARLIER_PATH}
    assert needs_browser(page(earlier_page()), meta) is None
    # The same chrome without any article evidence (scripts, a noscript) is a shell.
    shell = f"<html><head>{SCRIPTS}</head><body><noscript>Enable JS</noscript></body></html>"
    assert needs_browser(page(shell), meta) == "shell"


# -- a crawl -------------------------------------------------------------------------------------


def test_a_crawl_writes_each_layout_and_counts_it(tmp_path: Path) -> None:
    with HostileServer() as site:
        site.route(EARLIER_PATH, Reply(200, HTML, earlier_page().encode()))
        site.route(GENERIC_PATH, Reply(200, HTML, GENERIC_PAGE.encode()))
        site.route(TIMED_PATH, Reply(200, HTML, TIMED_PAGE.encode()))
        site.route(NOT_ARTICLE_PATH, Reply(200, HTML, NOT_ARTICLE_PAGE.encode()))
        paths = (EARLIER_PATH, GENERIC_PATH, TIMED_PATH, NOT_ARTICLE_PATH)
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "seeds=" + ",".join(PUBLIC + p for p in paths),
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never", "DEPTH_LIMIT": "0"},
            timeout=120,
        )
    assert crawl.returncode == 0, crawl.log
    rows = {r["url"]: r for r in dataset.read_articles(crawl.articles).to_pylist()}
    assert {u: r["layout"] for u, r in rows.items()} == {
        PUBLIC + EARLIER_PATH: "earlier",
        PUBLIC + GENERIC_PATH: "generic",
        PUBLIC + TIMED_PATH: "generic",  # an <h1> and a <time>: the generic source reads them
    }
    assert rows[PUBLIC + EARLIER_PATH]["headline"] == "Royal Self-Indicting Arrogance"
    assert rows[PUBLIC + TIMED_PATH]["headline"] == "Only a Heading and a Time"
    assert rows[PUBLIC + TIMED_PATH]["body"] == "Text of the story."
    rejects = {r["url"]: r for r in dataset.read_rejects(crawl.rejects).to_pylist()}
    seen = rejects[PUBLIC + NOT_ARTICLE_PATH]
    assert seen["reason"] == "not-article"
    assert json.loads(seen["found"])["jsonld_types"] == ["WebSite"]
    stats = crawl.stats
    assert stats["sputnik/extract/layout/earlier"] == 1
    assert stats["sputnik/extract/layout/generic"] == 2
    assert "sputnik/extract/layout/current" not in stats
    assert "sputnik/render/needs-js" not in stats


# -- datasets written before the layout column --------------------------------------------------


def new_article(day: int, article_id: int) -> ArticleItem:
    published = datetime(2019, 11, day, 12, tzinfo=UTC)
    return ArticleItem(
        url=f"{PUBLIC}/{published:%Y%m%d}/new-{article_id}.html",
        article_id=article_id,
        headline="New",
        published_at=published,
        content_hash=f"new-{article_id}",
        layout="current",
        fetched_at=datetime(2024, 6, 1, tzinfo=UTC),
    )


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """The files the code before the ``layout`` column wrote (2019-11-18 and -19), and new ones
    beside them (2019-11-18 and -20): the 2019-11-19 partition holds an old file only. Written
    before editions too: moved into ``edition=en/`` first (``crawler.migrate``)."""
    root = tmp_path / "articles"
    shutil.copytree(BEFORE_LAYOUT, root)
    assert "layout" not in pq.read_schema(next(root.rglob("*.parquet"))).names
    migrate.migrate(root)
    items = [new_article(18, 1_090_000_001), new_article(20, 1_090_000_002)]
    asyncio.run(feed(make_writer(tmp_path), items))
    return root


def layouts(rows: list[dict[str, Any]]) -> dict[int, str | None]:
    return {r["article_id"]: r["layout"] for r in rows}


EXPECTED = {
    1077343476: None,
    1077343477: None,
    1077343478: None,
    1_090_000_001: "current",
    1_090_000_002: "current",
}


def test_old_files_read_with_new_ones(mixed: Path) -> None:
    table = dataset.read_articles(mixed)
    assert table.schema == dataset.dataset_schema(ArticleItem)
    assert layouts(table.to_pylist()) == EXPECTED
    glob = f"{mixed}/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT article_id, layout FROM read_parquet('{glob}', hive_partitioning = true,"
        " union_by_name = true)"
    ).fetchall()
    assert dict(rows) == EXPECTED
    lazy = pl.scan_pyarrow_dataset(dataset.open_dataset(mixed, ArticleItem))
    assert layouts(lazy.select("article_id", "layout").collect().to_dicts()) == EXPECTED


def test_compaction_rewrites_old_files_to_the_current_schema(mixed: Path) -> None:
    report = compaction.compact(mixed)
    assert sorted(p.partition for p in report.partitions) == [
        "edition=en/date=2019-11-18",
        "edition=en/date=2019-11-19",
    ]
    schema = dataset.file_schema(ArticleItem)
    for path in mixed.rglob("*.parquet"):
        assert pq.read_schema(path).remove_metadata() == schema, path
    assert layouts(dataset.read_articles(mixed).to_pylist()) == EXPECTED
    # Once rewritten, nothing is left to do.
    assert compaction.compact(mixed).partitions == []
