"""The mirror's feeds and listing pages (markup.md §3): RSS, sitemaps, robots.txt, section and
tag pagination, the news-feed widget and the home page.

Pages are rendered in-process with ``pages.render``, the function the mirror's server calls; one
test fetches the feeds from a running mirror.
"""

from __future__ import annotations

import re
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from parsel import Selector

from tests.mirror import pages, render_feeds, render_lists
from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.text import SECTIONS, TAGS

ARTICLES = 400
ARTICLE = re.compile(r"^/\d{8}/(?:[^/?#]*-)?\d{6,}\.html$")
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RSS_PATH = render_feeds.RSS_PATH


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(ARTICLES)


def get(site: Site, url: str) -> pages.Page:
    """Render a public URL (or a path) as the mirror would serve it."""
    return pages.render(site, url.removeprefix(PUBLIC_ORIGIN))


def body(site: Site, url: str) -> str:
    page = get(site, url)
    assert page.status == 200, url
    return page.body.decode()


def follow_list(site: Site, path: str) -> tuple[list[str], list[str]]:
    """Every ``a.list__title`` href of a list and its "more" fragments, and the pages' sources."""
    html = body(site, path)
    sources = [html]
    hrefs = Selector(text=html).css("div.list__item a.list__title::attr(href)").getall()
    next_url = Selector(text=html).css("div.list__more::attr(data-url)").get()
    while next_url:
        fragment = body(site, next_url)
        sources.append(fragment)
        selector = Selector(text=fragment)
        items = selector.css("div.list__item a.list__title::attr(href)").getall()
        assert 0 < len(items) <= render_lists.PAGE_SIZE
        hrefs += items
        next_url = selector.css("div.list-items-loaded::attr(data-next-url)").get()
    return [h.removeprefix(PUBLIC_ORIGIN) for h in hrefs], sources


def listing_pages(site: Site) -> dict[str, str]:
    """Path -> HTML of every listing-like page worth checking."""
    paths = ["/", "/services/widget/lenta/", *(f"/{s}/" for s in SECTIONS), TAGS[0].path]
    found = {p: body(site, p) for p in paths}
    first = Selector(text=found["/world/"]).css("div.list__more::attr(data-url)").get()
    found[first] = body(site, first)
    return found


# -- RSS ----------------------------------------------------------------------------------------


def test_rss_is_rss2_newest_first(site):
    root = ET.fromstring(body(site, RSS_PATH))
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for name in ("title", "link", "description", "lastBuildDate"):
        assert channel.findtext(name)
    assert channel.findtext("language") == "en"
    items = channel.findall("item")
    latest = site.latest(100)
    assert len(items) == min(100, len(site)) == len(latest)
    assert [i.findtext("link") for i in items] == [s.url for s in latest]
    assert [i.findtext("title") for i in items] == [s.headline for s in latest]  # escaping
    times = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert times == [s.published for s in latest]
    assert times == sorted(times, reverse=True)
    for item, stub in zip(items, latest, strict=True):
        assert item.findtext("guid") == stub.url
        assert item.findtext("description")
        assert item.findtext("category") == stub.section
        enclosure = item.find("enclosure")
        assert enclosure is not None
        assert enclosure.get("url") == site.article(stub.index).image.main_url
        assert enclosure.get("type") == "image/jpeg"


def test_rss_links_render(site):
    root = ET.fromstring(body(site, RSS_PATH))
    for link in root.iter("link"):
        if ARTICLE.match(link.text.removeprefix(PUBLIC_ORIGIN)):
            assert get(site, link.text).status == 200, link.text


# -- sitemaps -----------------------------------------------------------------------------------


def urlset(site: Site, url: str) -> list[str]:
    root = ET.fromstring(body(site, url))
    assert root.tag == f"{SITEMAP}urlset"
    for entry in root.findall(f"{SITEMAP}url"):
        datetime.fromisoformat(entry.findtext(f"{SITEMAP}lastmod"))
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def test_sitemaps_list_every_article_once(site):
    index = ET.fromstring(body(site, "/sitemap_article_index.xml"))
    assert index.tag == f"{SITEMAP}sitemapindex"
    children = index.findall(f"{SITEMAP}sitemap")
    first, last = site.stubs[0].published, site.stubs[-1].published
    assert len(children) == (last.year - first.year) * 12 + last.month - first.month + 1
    listed: list[str] = []
    for child in children:
        datetime.fromisoformat(child.findtext(f"{SITEMAP}lastmod"))
        loc = child.findtext(f"{SITEMAP}loc")
        assert loc.startswith(f"{PUBLIC_ORIGIN}/sitemap_article.xml?date_start=")
        locs = urlset(site, loc)
        stamps = [site.stubs[site.by_path[u.removeprefix(PUBLIC_ORIGIN)]].published for u in locs]
        assert stamps == sorted(stamps, reverse=True)
        listed += locs
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(s.url for s in site.stubs)


def test_sitemap_one_day(site):
    seed = site.stubs[site.seed_index]
    locs = urlset(site, f"/sitemap_article.xml?date_start={seed.day}&date_end={seed.day}")
    assert seed.url in locs
    assert locs == [s.url for s in reversed(site.stubs) if s.day == seed.day]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?date_start=20240101",
        "?date_start=2024-01-01&date_end=20240131",
        "?date_start=20240101&date_end=20241341",
        "?date_start=abc&date_end=def",
    ],
)
def test_sitemap_malformed_dates_are_404(site, query):
    assert get(site, f"/sitemap_article.xml{query}").status == 404


# -- robots.txt ---------------------------------------------------------------------------------


def test_robots_txt(site):
    parser = RobotFileParser()
    parser.parse(body(site, "/robots.txt").splitlines())
    withheld = next(s for s in site.stubs if s.day == ROBOTS_DISALLOWED_DAY)
    assert not parser.can_fetch("*", withheld.url)
    assert not parser.can_fetch("*", f"{PUBLIC_ORIGIN}/search/?query=nato")
    assert parser.can_fetch("*", site.stubs[site.seed_index].url)
    assert parser.can_fetch("*", f"{PUBLIC_ORIGIN}/world/")
    assert parser.site_maps() == [f"{PUBLIC_ORIGIN}/sitemap_article_index.xml"]


# -- lists --------------------------------------------------------------------------------------


def test_section_pagination_reaches_every_article_once(site):
    seen: list[str] = []
    for section in SECTIONS:
        hrefs, _ = follow_list(site, f"/{section}/")
        expected = [s.path for s in reversed(site.stubs) if s.section == section]
        assert hrefs == expected, section
        seen += hrefs
    assert sorted(seen) == sorted(s.path for s in site.stubs)  # orphans included
    assert any(s.orphan for s in site.stubs)


def test_tag_pages_paginate(site):
    path, indices = max(site.tag_index.items(), key=lambda item: len(item[1]))
    assert len(indices) > render_lists.PAGE_SIZE
    hrefs, _ = follow_list(site, path)
    assert hrefs == [site.stubs[i].path for i in indices]


def test_more_fragment_is_not_a_document(site):
    fragment = body(site, f"/services/world/more.html?id={site.stubs[-1].article_id}")
    assert "<html" not in fragment
    assert Selector(text=fragment).css("div.list-items-loaded div.list__item")
    assert get(site, "/services/world/more.html?id=x&date=y").status == 404
    assert get(site, "/services/nowhere/more.html?id=1").status == 404


def test_lenta_widget(site):
    selector = Selector(text=body(site, "/services/widget/lenta/"))
    items = selector.css("div.lenta__item")
    latest = site.latest(30)
    assert len(items) == len(latest)
    for item, stub in zip(items, latest, strict=True):
        assert item.css("div.lenta__item > a[href] > div.lenta__item-text::text").get() == (
            stub.headline
        )
        assert item.css("a::attr(href)").get().removeprefix(PUBLIC_ORIGIN) == stub.path
        unixtime = item.css("div.lenta__item-date::attr(data-unixtime)").get()
        assert int(unixtime) == int(stub.published.timestamp())


def test_home_page(site):
    selector = Selector(text=body(site, "/"))
    newest = site.stubs[-1]
    assert selector.css(".cell-main-photo__title::text").get() == newest.headline
    assert len(selector.css("a.cell-list__item::attr(href)").getall()) >= 20
    assert len(selector.css(".cell-list-f__link::attr(href)").getall()) >= len(SECTIONS)


def test_listing_pages_are_not_articles(site):
    for path, html in listing_pages(site).items():
        selector = Selector(text=html)
        assert not selector.css("div.article"), path
        assert "NewsArticle" not in html, path


def test_listing_links_render(site):
    forms: set[str] = set()
    checked: set[str] = set()
    for html in listing_pages(site).values():
        for href in Selector(text=html).css("a::attr(href)").getall():
            path = href.removeprefix(PUBLIC_ORIGIN)
            if not ARTICLE.match(path):
                continue
            forms.add("absolute" if href.startswith(PUBLIC_ORIGIN) else "relative")
            if path not in checked:
                checked.add(path)
                assert get(site, path).status == 200, href
    assert forms == {"absolute", "relative"}


def test_static_pages_and_404(site):
    for name in ("about_us", "terms_of_use", "privacy_policy", "cookie_policy", "editorial_policy"):
        assert "<p>" in body(site, f"/docs/{name}.html")
    assert "<form" in body(site, "/services/subscribe/")
    missing = get(site, "/docs/nothing.html")
    assert missing.status == 404
    html = missing.body.decode()
    assert "Page not found" in html
    assert not Selector(text=html).css("div.article")
    for path in ("/nowhere/", "/keyword_nobody/", "/search/", "/services/widget/other/"):
        assert get(site, path).status == 404, path


def test_no_mirror_address_and_deterministic(site):
    other = Site(ARTICLES)
    feeds = [RSS_PATH, "/sitemap_article_index.xml", "/robots.txt", "/docs/about_us.html"]
    feeds.append("/sitemap_article.xml?date_start=20240101&date_end=20240131")
    for path, html in [*listing_pages(site).items(), *((p, body(site, p)) for p in feeds)]:
        assert "127.0.0.1" not in html, path
        assert "localhost" not in html, path
        assert get(other, path).body.decode() == html, path


# -- over HTTP ----------------------------------------------------------------------------------


def test_feeds_served_over_http(mirror):
    site = Site(mirror.articles, mirror.seed)
    for path in (RSS_PATH, "/sitemap_article_index.xml", "/robots.txt", "/world/"):
        with urllib.request.urlopen(mirror.url + path, timeout=30) as response:
            assert response.status == 200
            served = response.read()
        assert served == pages.render(site, path).body, path
    index = ET.fromstring(pages.render(site, "/sitemap_article_index.xml").body)
    child = urlsplit(index.findtext(f"{SITEMAP}sitemap/{SITEMAP}loc"))
    with urllib.request.urlopen(f"{mirror.url}{child.path}?{child.query}", timeout=30) as response:
        assert response.headers.get_content_type() == "application/xml"
        assert ET.fromstring(response.read()).tag == f"{SITEMAP}urlset"
