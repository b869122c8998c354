"""``scrapy crawl sputnik``: articles from seeds, then their related articles, hop by hop.

Spider arguments (``-a NAME=VALUE``; scrapyd: ``NAME=VALUE``):

- ``editions``: the editions to crawl (``crawler/editions.json`` codes), comma-separated, or
  ``all``; default ``en`` (sputnikglobe.com). Seeds on an edition's host add that edition.
- ``seeds``: comma-separated URLs: articles, listings, the RSS feed or sitemaps, on any
  edition's host.
- ``seeds_file``: a file of such URLs, one a line (``#`` comments allowed).
- ``source``: ``rss`` (each chosen edition's RSS feed), ``sitemap`` (each chosen edition's
  article sitemaps, see ``since``/``until``) or ``urls`` (only ``seeds``/``seeds_file``), or
  several joined by commas (``rss,sitemap``). Without any of these: each chosen edition's RSS
  feed, and for ``en`` the seed article of ``seed-article.txt``.
- ``since``, ``until``: ``YYYY-MM-DD``, ``today`` or ``today-N`` (N days before today, UTC), the
  publication dates the sitemaps are read for, as each edition's sitemaps define their days
  (passed to its ``date_start``/``date_end`` as they are); the relative forms suit scheduled
  crawls.
- ``refresh``: ``1`` to fetch articles the dataset already holds again (``crawler.state``);
  the writer keeps a new row only for those whose text changed.

Whatever a seed lists becomes an article request at depth 0; from every article the spider
follows its related-article links (inline cards and structured data), up to ``DEPTH_LIMIT`` hops,
within the chosen editions (links to other editions are counted, ``off-edition``, and left).
URLs are canonical (``crawler.urls``) before they are scheduled; requests go to ``SITE_ORIGIN``
when it is set, while every URL in the data keeps its public ``https://<edition host>`` form.
An HTML listing seed gives its first page, and ``LISTING_MORE_PAGES`` more ("load more"). Pages
that need a browser reach the spider rendered (``crawler.render``), or marked ``needs_js``
without one.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from lxml import etree
from parsel import Selector
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

# The error gunzip and HttpCompressionMiddleware raise past DOWNLOAD_MAXSIZE (private, but the
# one Scrapy's own SitemapSpider catches; tests/test_size_limits.py notices if it moves).
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

from crawler.config import ConfigError, get_config
from crawler.dataset import new_job_id
from crawler.editions import DEFAULT_EDITION, EditionsError
from crawler.errors import response_error_reject
from crawler.extract import Extracted, NotArticle, Page, extract_page, related_links, unread_depth
from crawler.items import RawArticle, RejectItem
from crawler.middlewares import OffEditionRedirect, OffSiteRedirect, request_public_url
from crawler.render import RenderedTooLarge, needs_js_detail
from crawler.urls import (
    INT64_MAX,
    PUBLIC_ORIGIN,
    canonicalize,
    edition_of,
    fetch,
    old_form,
    public_target,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.config import Config
    from crawler.editions import Edition

SEED_ARTICLE = (
    PUBLIC_ORIGIN
    + "/20240410/china-sending-message-that-it-has-russias-back-if-west-escalates-1117838001.html"
)
# Every edition's, on its own origin (markup.md §5).
RSS_FEED = "/export/rss2/archive/index.xml"
SITEMAP_INDEX = "/sitemap_article_index.xml"
SITEMAP_RANGE = "/sitemap_article.xml"
FIRST_DAY = date(2004, 1, 1)  # the sitemaps go back to 2004
SOURCES = ("rss", "sitemap", "urls")
JOB_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
RELATIVE_DAY = re.compile(r"^today(?:-(\d{1,5}))?$")
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}
# A listing's root element, looked for in its first bytes: ``sm:urlset`` and plain ``urlset`` alike.
LISTING_ROOT = re.compile(rb"<(?:[\w.-]+:)?(rss|urlset|sitemapindex)[\s>/]")
LISTING_HEAD_BYTES = 4096
SITEMAP_KINDS = {"sitemapindex": "sitemap-index", "urlset": "sitemap"}


class Listing(NamedTuple):
    """What a listing seed lists, and, when it could not be read in full, why."""

    kind: str  # rss, sitemap-index, sitemap or html
    urls: list[str]
    problem: tuple[str, str] | None = None  # (reject reason, detail)


class UnreadableListing(Exception):
    """A listing that cannot be read: a reject ``reason`` and its ``detail``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class SputnikSpider(scrapy.Spider):
    name = "sputnik"

    editions: tuple[Edition, ...]
    """The editions this crawl follows links within (``-a editions=``, plus the seeds')."""

    def __init__(
        self,
        editions: str | None = None,
        seeds: str | None = None,
        seeds_file: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        refresh: str | None = None,
        _job: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.since = _parse_date("since", since)
        self.until = _parse_date("until", until)
        if self.since and self.until and self.since > self.until:
            raise ConfigError(f"spider argument since ({since}) is after until ({until})")
        sources = [s.strip() for s in (source or "").split(",") if s.strip()]
        if source is not None and (not sources or set(sources) - set(SOURCES)):
            raise ConfigError(
                f"spider argument source must be one or more of {', '.join(SOURCES)}"
                f" (comma-separated), got {source!r}"
            )
        urls = [u.strip() for u in (seeds or "").split(",") if u.strip()]
        if seeds_file:
            urls += _read_seeds_file(seeds_file)
        if "urls" in sources and not urls:
            raise ConfigError("spider argument source=urls needs seeds or seeds_file")
        if (since or until) and "sitemap" not in sources:
            self.logger.warning("since/until only filter sitemap seeds (source=sitemap)")
        self.editions_argument = editions
        self.sources = sources
        self.given_seeds = urls
        self.seed_urls: list[str] = []  # made in from_crawler, with the editions table
        self.refresh = _parse_flag("refresh", refresh)
        if _job is not None and not JOB_ID.match(_job):
            raise ConfigError(f"spider argument _job must match {JOB_ID.pattern}, got {_job!r}")
        self.job_id = _job or new_job_id()

    def choose_editions(self, config: Config) -> tuple[Edition, ...]:
        """The editions ``-a editions=`` names (``en`` without it, unless seeds are given),
        then those of the seeds given on an edition's host."""
        table = config.editions
        try:
            if self.editions_argument is None and self.given_seeds:
                chosen: tuple[Edition, ...] = ()
            else:
                chosen = table.select(self.editions_argument)
        except EditionsError as exc:
            raise ConfigError(f"spider argument editions: {exc}") from None
        seeded = (edition_of(url, table) for url in self.given_seeds)
        chosen = tuple(dict.fromkeys((*chosen, *(e for e in seeded if e is not None))))
        if not chosen:  # seeds only on SITE_ORIGIN: the default edition's
            chosen = (table[DEFAULT_EDITION],) if DEFAULT_EDITION in table else table.editions[:1]
        return chosen

    def edition_seeds(self) -> list[str]:
        """The seeds of the chosen editions (``source``), then the given ones."""
        urls: list[str] = []
        for edition in self.editions:
            if "rss" in self.sources:
                urls.append(edition.origin + RSS_FEED)
            if "sitemap" in self.sources:
                urls += self.sitemap_seeds(edition)
            if not self.sources and not self.given_seeds:
                if edition.host == urlsplit(SEED_ARTICLE).hostname:
                    urls.append(SEED_ARTICLE)
                urls.append(edition.origin + RSS_FEED)
        return list(dict.fromkeys([*self.given_seeds, *urls]))

    def sitemap_seeds(self, edition: Edition) -> list[str]:
        """An edition's sitemap index, or with ``since``/``until`` the sitemaps of that range,
        one per calendar month: the site serves any ``date_start``..``date_end`` range
        (markup.md §3), and a month (~1 MB) stays far below ``DOWNLOAD_MAXSIZE`` where years
        would not."""
        if not (self.since or self.until):
            return [edition.origin + SITEMAP_INDEX]
        start = self.since or FIRST_DAY
        end = self.until or datetime.now(UTC).date()
        seeds = []
        while start <= end:
            next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = min(end, next_month - timedelta(days=1))
            seeds.append(
                f"{edition.origin}{SITEMAP_RANGE}?date_start={start:%Y%m%d}&date_end={last:%Y%m%d}"
            )
            start = next_month
        return seeds

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        config = get_config(crawler)  # first: a bad setting stops the crawl before anything
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.origin = config.site_origin
        spider.more_pages = config.listing_more_pages
        spider.editions = spider.choose_editions(config)
        spider.seed_urls = spider.edition_seeds()
        for url in spider.seed_urls:
            public = spider.to_public(url)
            if public is None:
                where = " or SITE_ORIGIN" if spider.origin else ""
                raise ConfigError(
                    f"spider argument seeds: {url!r} is not on an edition's host{where}"
                )
            if canonicalize(public, editions=config.editions)[1] == "id-too-large":
                raise ConfigError(
                    f"spider argument seeds: {url!r} has an article id beyond int64 ({INT64_MAX})"
                )
        return spider

    # -- URLs ------------------------------------------------------------------------------

    def to_public(self, url: str, request: scrapy.Request | None = None) -> str | None:
        """The public URL a URL stands for; ``None`` when it is neither on an edition's host nor
        on ``SITE_ORIGIN``. On an edition's host (any of its hosts): the URL itself (user-info
        dropped; the canonical host is ``canonicalize``'s job). On ``SITE_ORIGIN``: its path and
        query on the public host ``request`` was sent for (its ``Host`` header), else on the
        first chosen edition's host (seeds given on the origin)."""
        host = request.headers.get("Host") if request is not None else None
        public_host = host.decode("latin-1") if host else self.editions[0].host
        return public_target(url.strip(), self.origin, public_host, self.config.editions.hosts)

    def landed_url(self, response: Response) -> str | None:
        """The canonical public URL of the page a response holds: the one finally requested, after
        redirects within the site (through an origin: its ``Host`` and path); ``None`` when that
        is not an article URL. The request's URL, not the response's: a rendered page's URL is
        whatever its scripts set (``pushState``)."""
        request = response.request
        if request is None:
            public = self.to_public(response.url)
        else:
            public = request_public_url(request, self.origin)
        url = canonicalize(public, editions=self.config.editions)[0] if public else None
        return str(url) if url else None  # an old form's too: the row's URL is today's form

    def edition_code(self, url: str) -> str | None:
        """The code of the edition whose host a public URL is on."""
        edition = edition_of(url, self.config.editions)
        return edition.code if edition else None

    def chosen(self, url: str) -> bool:
        """Whether a public URL is on a chosen edition's host."""
        return edition_of(url, self.config.editions) in self.editions

    # -- requests --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.seed_urls:
            public = self.to_public(url)
            assert public is not None  # checked in from_crawler
            article, _ = canonicalize(public, editions=self.config.editions)
            if article:
                yield self.article_request(article, referer=None)
            else:
                yield self.listing_request(public, listing_more=self.more_pages, seed=True)

    def article_request(self, url: str, referer: str | None, **meta: Any) -> scrapy.Request:
        """A request for the article at canonical ``url``; one written in the old form also
        carries that public URL, for ``crawler.middlewares.OldFormMiddleware``."""
        if old := old_form(url):
            meta["old_form"] = old
        return self.site_request(
            url, self.parse_article, public_url=str(url), public_referer=referer, **meta
        )

    def listing_request(self, url: str, **meta: Any) -> scrapy.Request:
        return self.site_request(url, self.parse_listing, public_url=url, listing=True, **meta)

    def site_request(self, public_url: str, callback: Any, /, **meta: Any) -> scrapy.Request:
        """A request for a public URL (``crawler.urls.fetch``: through ``SITE_ORIGIN`` with the
        public host in ``Host``; its download slot the public host)."""
        target = fetch(public_url, self.origin)
        return scrapy.Request(
            target.url,
            headers=target.headers,
            callback=callback,
            errback=self.failed,
            meta={**target.meta, **meta},
        )

    # -- callbacks -------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """An article page: its row (or a reject), then requests for its related articles.

        The page is parsed once; the extraction returns its related links too. Each part runs
        on its own: an exception while extracting makes the page an ``extract-error`` reject
        (``crawler.errors``) and its related links are still followed (read apart then).
        """
        public_url = self.landed_url(response)
        if public_url is None:
            yield self.reject(
                response,
                "redirect-not-article",
                f"Redirected to {(response.request or response).url}, not an article URL.",
            )
            return
        page = Page.of(response, public_url, self.config.editions)
        found: Extracted | NotArticle | None = None
        try:
            found = extract_page(page)
            item = self.article_item(response, page, found)
        except Exception as exc:
            item = response_error_reject("extraction", exc, response, self)
        yield item
        if isinstance(item, RejectItem) and item.reason in ("needs-js", "not-article"):
            return
        yield from self.related_requests(page, found)

    def article_item(
        self, response: Response, page: Page, found: Extracted | NotArticle
    ) -> RawArticle | RejectItem:
        """The page's raw fields, or the reject saying why there are none to use."""
        if reason := response.meta.get("needs_js"):
            return self.reject(response, "needs-js", needs_js_detail(reason), found)
        if depth := unread_depth(page):
            detail = (
                f"The markup is nested {depth:,} levels deep, where the HTML parser stops:"
                " the rest of the page is unread."
            )
            return self.reject(response, "too-deep", detail, found)
        if isinstance(found, NotArticle):
            detail = (
                "No article evidence on the page: no article JSON-LD or microdata, no"
                " og:type=article, article:* or pubdate meta, no known article template, no"
                " <h1> with a publication time; found holds what was seen."
            )
            return self.reject(response, "not-article", detail, found)
        self.crawler.stats.inc_value(f"sputnik/extract/layout/{found.layout}")
        return RawArticle(
            url=page.url,
            fields=found.fields,
            layout=found.layout,
            fallbacks=found.fallbacks,
            status=response.status,
            fetched_at=datetime.now(UTC),
            depth=response.meta.get("depth", 0),
            referer=response.meta.get("public_referer"),
            job_id=self.job_id,
        )

    def related_requests(
        self, page: Page, found: Extracted | NotArticle | None
    ) -> Iterator[scrapy.Request]:
        """Requests for the page's related articles, as the extraction found them (read apart
        when it failed); dropped links counted by reason. A failure to read them is logged
        with the traceback and counted in ``sputnik/links/failed``."""
        stats = self.crawler.stats
        try:
            if isinstance(found, Extracted):
                links, dropped = found.related, found.dropped
            else:
                links, dropped = related_links(page)
        except Exception:
            stats.inc_value("sputnik/links/failed")
            self.logger.exception("Related links of %s unreadable", page.url)
            return
        for reason, count in dropped.items():
            stats.inc_value(f"sputnik/links/dropped/{reason}", count)
        for url in links:
            if self.chosen(url):
                yield self.article_request(url, referer=page.url)
            else:
                stats.inc_value("sputnik/links/dropped/off-edition")

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """A seed that lists articles: RSS, a sitemap (index), or an HTML listing. One that
        cannot be read (in full) is a reject; the URLs read before the break are followed."""
        kind, urls, problem = self.listed_urls(response)
        if problem:
            self.logger.warning("Seed %s: %s", response.meta["public_url"], problem[1])
            yield self.reject(response, *problem)
        more = "-more" if response.meta.get("listing_page", 1) > 1 else ""
        if urls or not problem:
            self.crawler.stats.inc_value(f"sputnik/seeds/read/{kind}{more}")
        listed = 0
        for url in urls:
            article, reason = canonicalize(
                url, response.meta["public_url"], editions=self.config.editions
            )
            if article and not self.chosen(article):
                self.crawler.stats.inc_value("sputnik/links/dropped/off-edition")
            elif article:
                listed += 1
                # Listed articles start at depth 0, whatever the listing's own depth.
                yield self.article_request(article, referer=None, depth_reset=True)
            elif kind == "sitemap-index" and self.wanted_sitemap(url):
                public = self.to_public(urljoin(response.meta["public_url"], url))
                listed += 1
                if public and self.chosen(public):
                    yield self.listing_request(public, depth_reset=True)
                else:  # a child sitemap on another host is never fetched
                    reason = "off-edition" if public else "off-site"
                    self.crawler.stats.inc_value(f"sputnik/links/dropped/{reason}")
            elif reason:
                self.crawler.stats.inc_value(f"sputnik/links/dropped/{reason}")
        if not listed and not problem and response.meta.get("seed"):
            # A captcha or maintenance page served with 200: the health checks fail on it.
            self.logger.warning("Seed %s listed no article", response.meta["public_url"])
            self.crawler.stats.inc_value(f"sputnik/seeds/listed-nothing/{kind}")
        if kind == "html":
            yield from self.more_of_listing(response)

    def more_of_listing(self, response: Response) -> Iterator[Any]:
        """The next page of an HTML listing, while ``LISTING_MORE_PAGES`` allows: from the
        "load more" address (``crawler.render`` clicks the button when only a script has it);
        a ``needs-js`` reject when that needed a browser and there was none."""
        meta = response.meta
        if reason := meta.get("needs_js"):
            yield self.reject(response, "needs-js", needs_js_detail(reason))
            return
        left = meta.get("listing_more", 0)
        href = response.css(
            "div.list__more::attr(data-url), div.list-items-loaded::attr(data-next-url)"
        ).get()
        public = self.to_public(urljoin(meta["public_url"], href)) if href else None
        if left > 0 and public:
            page = meta.get("listing_page", 1) + 1
            yield self.listing_request(
                public, listing_more=left - 1, listing_page=page, depth_reset=True
            )

    def listed_urls(self, response: Response) -> Listing:
        """The links of a listing: an RSS feed's items, a sitemap's or sitemap index's
        ``loc``s (gzipped or not, with or without the sitemaps.org namespace), or an HTML
        page's links."""
        body = response.body
        gzipped = gzip_magic_number(response)
        if gzipped:  # a .xml.gz file (Content-Encoding is undone before the spider)
            try:
                body = self.gunzip_listing(response)
            except UnreadableListing as exc:
                return Listing("sitemap", [], (exc.reason, exc.detail))
        match = LISTING_ROOT.search(body[:LISTING_HEAD_BYTES])
        root = match[1] if match else None
        if root == b"rss":
            text = isinstance(response, TextResponse) and not gzipped
            selector = response.selector if text else Selector(body=body, type="xml")
            return Listing("rss", selector.xpath("//item/link/text()").getall())
        if root or gzipped:  # only sitemaps come gzipped
            return read_sitemap(body)
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type", b"unknown type").decode(errors="replace")
            detail = f"{len(body)} bytes of {kind}: neither a feed, a sitemap nor a page"
            return Listing("html", [], ("not-listing", detail))
        return Listing("html", response.css("a::attr(href)").getall())

    def gunzip_listing(self, response: Response) -> bytes:
        """A gzipped sitemap, unzipped up to ``DOWNLOAD_MAXSIZE``, as ``SitemapSpider`` does."""
        max_size = response.meta.get("download_maxsize", self.config.download_maxsize)
        warn_size = response.meta.get("download_warnsize", self.config.download_warnsize)
        try:
            body = gunzip(response.body, max_size=max_size)
        except _DecompressionMaxSizeExceeded as exc:
            raise UnreadableListing(
                "too-large",
                f"{len(response.body)} bytes of gzip unzip to more than DOWNLOAD_MAXSIZE"
                f" ({max_size} bytes): {exc}",
            ) from None
        except (OSError, EOFError, struct.error, zlib.error) as exc:
            raise UnreadableListing(
                "broken-sitemap", f"cannot unzip {len(response.body)} bytes of gzip: {exc}"
            ) from None
        if len(response.body) < warn_size <= len(body):
            self.logger.warning(
                "Sitemap %s is %d bytes unzipped, more than DOWNLOAD_WARNSIZE (%d bytes)",
                response.meta["public_url"],
                len(body),
                warn_size,
            )
        return body

    def wanted_sitemap(self, url: str) -> bool:
        """A child sitemap overlapping ``since``..``until`` (all of them without a range)."""
        query = parse_qs(urlsplit(url).query)
        try:
            start = datetime.strptime(query["date_start"][0], "%Y%m%d").date()
            end = datetime.strptime(query["date_end"][0], "%Y%m%d").date()
        except (KeyError, ValueError):
            return not (self.since or self.until)
        return not ((self.since and end < self.since) or (self.until and start > self.until))

    def failed(self, failure: Failure) -> Iterator[RejectItem]:
        """A request that produced no page: kept as a reject with the reason."""
        request = failure.request  # type: ignore[attr-defined]
        status = None
        if too_large := too_large_detail(failure, self.config):
            reason = "too-large"
        elif failure.check(HttpError):
            status = failure.value.response.status
            reason = f"http-{status}"
        elif failure.check(OffEditionRedirect):
            reason = "redirect-off-edition"
        elif failure.check(OffSiteRedirect):
            reason = "redirect-off-site"
        elif failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            reason = "robots-disallowed"
        elif failure.check(IgnoreRequest) and "redirections" in str(failure.value):
            reason = "too-many-redirects"
        elif failure.check(IgnoreRequest):
            reason = "ignored"
        else:
            reason = "download-error"
        if request.meta.get("listing"):
            self.logger.error("Seed %s failed: %s", request.meta["public_url"], failure.value)
        url = request.meta.get("public_url", request.url)
        yield RejectItem(
            url=url,
            edition=self.edition_code(url),
            reason=reason,
            detail=too_large or f"{failure.type.__name__}: {failure.value}",
            status=status,
            fetched_at=datetime.now(UTC),
            depth=request.meta.get("depth", 0),
            referer=request.meta.get("public_referer"),
            job_id=self.job_id,
        )

    def reject(
        self,
        response: Response,
        reason: str,
        detail: str,
        found: Extracted | NotArticle | None = None,
    ) -> RejectItem:
        """A reject of the page; ``found`` is what was read (an article's raw fields, or what a
        page without article evidence showed)."""
        seen = found.fields if isinstance(found, Extracted) else found.seen if found else None
        return RejectItem(
            url=response.meta["public_url"],
            edition=self.edition_code(response.meta["public_url"]),
            reason=reason,
            detail=detail,
            found=json.dumps(seen, default=str, ensure_ascii=False) if seen is not None else None,
            status=response.status,
            fetched_at=datetime.now(UTC),
            depth=response.meta.get("depth", 0),
            referer=response.meta.get("public_referer"),
            job_id=self.job_id,
        )


def read_sitemap(body: bytes) -> Listing:
    """The ``loc``s of a sitemap or sitemap index, read by Scrapy's ``Sitemap`` (any namespace
    or none, entities never resolved). Broken XML gives the ``loc``s read before the break,
    and a ``broken-sitemap`` problem."""
    try:
        sitemap = Sitemap(body)
    except (etree.LxmlError, StopIteration) as exc:  # StopIteration: not one element
        return Listing("sitemap", [], ("broken-sitemap", f"not XML: {_describe(exc)}"))
    kind = SITEMAP_KINDS.get(sitemap.type)
    if kind is None:
        detail = f"root element <{sitemap.type}>, not <urlset> or <sitemapindex>"
        return Listing("sitemap", [], ("broken-sitemap", detail))
    urls: list[str] = []
    try:
        urls.extend(loc for entry in sitemap if (loc := entry["loc"]))
    except etree.LxmlError as exc:
        error = _describe(exc)
    else:  # lxml recovers from most breaks, and logs them
        errors = sitemap.xmliter.error_log.filter_from_errors()
        error = f"{errors[0].message} (line {errors[0].line})" if errors else None
    if error is None:
        return Listing(kind, urls)
    return Listing(kind, urls, ("broken-sitemap", f"broken XML, {len(urls)} URLs read: {error}"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def too_large_detail(failure: Failure, config: Config) -> str | None:
    """Why a response was refused for its size, or ``None``: in Scrapy 2.19 the download
    handler cancels a body past ``DOWNLOAD_MAXSIZE`` (``DownloadCancelledError``: its only
    cause there; no message when the body was already streaming), and
    ``HttpCompressionMiddleware`` refuses one that unzips to more (``IgnoreRequest`` from
    ``_DecompressionMaxSizeExceeded``); ``crawler.render`` refuses a rendered page past it
    (``RenderedTooLarge``)."""
    exc = failure.value
    max_size = failure.request.meta.get(  # type: ignore[attr-defined]
        "download_maxsize", config.download_maxsize
    )
    if isinstance(exc, DownloadCancelledError):
        said = f": {exc}" if str(exc) else ""
        return f"more than DOWNLOAD_MAXSIZE ({max_size} bytes), download stopped{said}"
    if isinstance(exc, IgnoreRequest) and isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):
        return f"more than DOWNLOAD_MAXSIZE ({max_size} bytes) once unzipped: {exc}"
    if isinstance(exc, RenderedTooLarge):
        return str(exc)
    return None


def _parse_date(name: str, value: str | None) -> date | None:
    """``YYYY-MM-DD``, ``today`` or ``today-N`` (UTC)."""
    if value is None:
        return None
    if match := RELATIVE_DAY.match(value.strip()):
        return datetime.now(UTC).date() - timedelta(days=int(match[1] or 0))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"spider argument {name} must be YYYY-MM-DD, today or today-N, got {value!r}"
        ) from None


def _parse_flag(name: str, value: str | None) -> bool:
    if value is None:
        return False
    flag = FLAGS.get(value.strip().lower())
    if flag is None:
        raise ConfigError(f"spider argument {name} must be 1 or 0 (true/false), got {value!r}")
    return flag


def _read_seeds_file(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"spider argument seeds_file: cannot read {path!r}: {exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
