"""A bare Scrapy spider for the crawl benchmark: it follows the same links as ``sputnik`` (the
seeds' articles, then each article's related cards and structured-data links) but extracts
nothing, normalizes nothing and writes nothing. Its pages/s is the ceiling the full pipeline is
measured against.

    scrapy runspider benchmarks/bare_spider.py -a seeds=<sitemap index URL> -s SITE_ORIGIN=...
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.urls import PUBLIC_ORIGIN, canonicalize

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, seeds: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed_urls = [s for s in seeds.split(",") if s]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.origin = self.settings.get("SITE_ORIGIN").rstrip("/")
        for url in self.seed_urls:
            yield scrapy.Request(url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        for loc in response.xpath("//sm:loc/text()", namespaces=SITEMAP_NS).getall():
            # Listed pages start at depth 0, as in the sputnik spider.
            meta = {"depth_reset": True}
            if "sitemap_article.xml" in loc:
                yield scrapy.Request(self.local(loc), callback=self.parse_sitemap, meta=meta)
            else:
                yield scrapy.Request(self.local(loc), callback=self.parse_article, meta=meta)

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        public = PUBLIC_ORIGIN + response.url[len(self.origin) :]
        hrefs = response.css("div.article__article > a::attr(href)").getall()
        for script in response.css('script[type="application/ld+json"]::text').getall():
            try:
                data = json.loads(script)
            except ValueError:
                continue
            for obj in data.get("@graph", [data]) if isinstance(data, dict) else []:
                links = obj.get("citation") or obj.get("relatedLink") or []
                for link in links if isinstance(links, list) else [links]:
                    hrefs.append(link["url"] if isinstance(link, dict) else link)
        for href in hrefs:
            url, _ = canonicalize(href, public)
            if url:
                yield scrapy.Request(self.local(url), callback=self.parse_article)

    def local(self, url: str) -> str:
        return self.origin + url.removeprefix(PUBLIC_ORIGIN)
