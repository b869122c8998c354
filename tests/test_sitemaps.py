"""Sitemap seeds read with Scrapy's own sitemap support: indexes and url sets, gzipped (``.xml.gz``)
or not, with or without the sitemaps.org namespace; a sitemap that cannot be read is a reject.

The site is ``tests.hostile`` as ``SITE_ORIGIN``, serving small valid articles."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from scrapy.utils.test import get_crawler

from crawler.spiders.sputnik import SputnikSpider, read_sitemap
from crawler.urls import PUBLIC_ORIGIN
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply
from tests.hostile_payloads import (
    MIB,
    article_page,
    gzip_bomb,
    gzip_file_reply,
    html_reply,
    sitemap_index,
    urlset,
)

XML = {"Content-Type": "application/xml; charset=utf-8"}


def article_path(n: int) -> str:
    return f"/20240410/sitemap-article-{n}-{1117838010 + n}.html"


def public(path: str) -> str:
    return PUBLIC_ORIGIN + path


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def test_sitemaps_gzipped_or_not_with_or_without_namespace(tmp_path: Path) -> None:
    articles = {n: public(article_path(n)) for n in range(1, 8)}
    broken = urlset([articles[7], articles[1]])
    broken = broken[: broken.index(b"<loc>", broken.index(b"</url>"))] + b"<loc>\x00\x01<<"
    with HostileServer() as site:
        for n in articles:
            site.route(article_path(n), html_reply(article_page(f"Sitemap article {n}")))
        # a gzipped index of a gzipped url set and a plain one without namespace
        children = [public("/sitemap-a.xml.gz"), public("/sitemap-b.xml")]
        index = sitemap_index([*children, "https://example.org/elsewhere.xml.gz"])
        site.route("/sitemap_index.xml.gz", gzip_file_reply(gzip.compress(index)))
        a = urlset([articles[1], articles[2], articles[3]])
        site.route("/sitemap-a.xml.gz", gzip_file_reply(gzip.compress(a)))
        b = urlset([articles[4], articles[5]], namespace=False)
        site.route("/sitemap-b.xml", Reply(200, XML, b))
        # a namespace-less index of a namespace-less gzipped url set
        plain = sitemap_index([public("/sitemap-c.xml.gz")], namespace=False)
        site.route("/plain_index.xml", Reply(200, XML, plain))
        c = urlset([articles[6]], namespace=False)
        site.route("/sitemap-c.xml.gz", gzip_file_reply(gzip.compress(c)))
        # unreadable ones: cut off in the middle, too big once unzipped, not gzip after all
        site.route("/broken.xml", Reply(200, XML, broken))
        head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        site.route("/bomb.xml.gz", gzip_file_reply(gzip_bomb(2048 * MIB, head)))
        site.route("/junk.xml.gz", gzip_file_reply(b"\x1f\x8b\x08\x00junk, not deflate data"))
        seeds = ["/sitemap_index.xml.gz", "/plain_index.xml", "/broken.xml"]
        seeds += ["/bomb.xml.gz", "/junk.xml.gz"]
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", "seeds=" + ",".join(public(s) for s in seeds)),
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never"},
            timeout=120,
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "Traceback" not in crawl.log, crawl.log[-3000:]
    assert {r["url"] for r in rows(crawl.articles)} == set(articles.values())
    rejects = {r["url"]: r for r in rows(crawl.rejects)}
    assert {url: r["reason"] for url, r in rejects.items()} == {
        public("/broken.xml"): "broken-sitemap",
        public("/bomb.xml.gz"): "too-large",
        public("/junk.xml.gz"): "broken-sitemap",
    }
    assert "broken XML, 1 URLs read" in rejects[public("/broken.xml")]["detail"]
    assert "DOWNLOAD_MAXSIZE" in rejects[public("/bomb.xml.gz")]["detail"]
    assert crawl.stats["sputnik/seeds/read/sitemap-index"] == 2
    assert crawl.stats["sputnik/seeds/read/sitemap"] == 4  # a, b, c and what broken.xml had
    assert crawl.stats["sputnik/links/dropped/off-site"] == 1  # the child on another host


@pytest.mark.parametrize(
    ("body", "kind", "urls", "problem"),
    [
        (sitemap_index(["https://sputnikglobe.com/s.xml"]), "sitemap-index", 1, None),
        (urlset(["https://sputnikglobe.com/a", "https://sputnikglobe.com/b"]), "sitemap", 2, None),
        (
            b'<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sm:url><sm:loc>https://sputnikglobe.com/a</sm:loc></sm:url></sm:urlset>",
            "sitemap",
            1,
            None,
        ),
        (
            b"<urlset><url><loc> </loc></url><url><lastmod>x</lastmod></url></urlset>",
            "sitemap",
            0,
            None,
        ),
        (b"", "sitemap", 0, "not XML: XMLSyntaxError"),
        (b"\x00\x01", "sitemap", 0, "not XML: StopIteration"),
        (b"<html><body>a page</body></html>", "sitemap", 0, "root element <html>"),
        (b"<urlset><url><loc>https://sputnikglobe.com/a</loc></url><", "sitemap", 1, "1 URLs read"),
    ],
)
def test_read_sitemap(body: bytes, kind: str, urls: int, problem: str | None) -> None:
    listing = read_sitemap(body)
    assert (listing.kind, len(listing.urls)) == (kind, urls)
    if problem is None:
        assert listing.problem is None
    else:
        assert listing.problem is not None
        assert listing.problem[0] == "broken-sitemap"
        assert problem in listing.problem[1]


@pytest.mark.parametrize(
    ("since", "until", "ranges"),
    [
        ("2024-01-04", "2024-01-04", ["20240104-20240104"]),
        (
            "2024-01-15",
            "2024-03-10",
            ["20240115-20240131", "20240201-20240229", "20240301-20240310"],
        ),
        ("2023-12-31", "2024-01-01", ["20231231-20231231", "20240101-20240101"]),
    ],
)
def test_a_date_range_is_read_a_month_at_a_time(since: str, until: str, ranges: list[str]) -> None:
    """A long range is one sitemap per calendar month (each ~1 MB on the live site), never one
    sitemap of the whole range, which would pass ``DOWNLOAD_MAXSIZE``."""
    crawler = get_crawler(SputnikSpider, {"SITE_ORIGIN": "http://127.0.0.1:1"})
    spider = SputnikSpider.from_crawler(crawler, source="sitemap", since=since, until=until)
    expected = []
    for pair in ranges:
        start, end = pair.split("-")
        expected.append(f"{PUBLIC_ORIGIN}/sitemap_article.xml?date_start={start}&date_end={end}")
    assert spider.seed_urls == expected
