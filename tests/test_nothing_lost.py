"""Nothing silently lost (issue 8, points 4-7 and 14): every fetched page ends as a row or a
reject, whatever it holds, and a failure on one page never takes its links with it.

Real crawls (``scrapy crawl sputnik`` subprocesses) against ``tests/hostile.py`` serving pages
nested 100,000 levels deep, absurd dates, ids beyond int64 and a page without a headline; and one
crawl with failures injected into extraction, normalization, validation, the state lookup and a
listing callback (``tests/inject_failures.py``, an add-on given with ``-s ADDONS=...``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as ds
import pytest
from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

import crawler.pipelines.normalize
import crawler.pipelines.validate
from crawler.errors import ErrorRejectMiddleware
from crawler.extract import html, jsonld, microdata
from crawler.items import ArticleItem, RawArticle, RejectItem, arrow_schema
from crawler.normalize import OutOfRange, normalize_fields, timestamp_processor
from crawler.pipelines.normalize import NormalizePipeline
from crawler.pipelines.validate import ValidatePipeline
from crawler.spiders.sputnik import SputnikSpider
from crawler.state import SkipStoredMiddleware
from crawler.urls import article_id, canonicalize
from tests.crawl import Crawl, run_crawl
from tests.hostile import HostileServer, Reply
from tests.inject_failures import MARK

if TYPE_CHECKING:
    from pathlib import Path

PUBLIC = "https://sputnikglobe.com"
NEST = 100_000  # levels of the hostile pages' nesting
READABLE_NEST = 1_500  # deeper than Python's recursion limit, shallower than libxml2's 2,048
INT64_MAX = 2**63 - 1
HTML = {"Content-Type": "text/html; charset=utf-8"}


def article(
    headline: str | None = "A headline",
    published: str | None = "2024-04-10T02:11:00+00:00",
    body: str = '<div class="article__block" data-type="text"><div class="article__text">'
    "Some text.</div></div>",
    jsonld: str | None = None,
    cards: tuple[str, ...] = (),
    markup: bool = True,
) -> Reply:
    """An article page as the site writes one: ``div.article`` with its title, body and related
    cards, ``article:published_time`` in the head, and optionally a JSON-LD script."""
    head = "<title>t</title>"
    if published:
        head += f'<meta property="article:published_time" content="{published}">'
    if jsonld:
        head += f'<script type="application/ld+json">{jsonld}</script>'
    links = "".join(
        f'<div class="article__block" data-type="article"><div class="article__article">'
        f'<a href="{href}">related</a></div></div>'
        for href in cards
    )
    title = f'<h1 class="article__title">{headline}</h1>' if headline is not None else ""
    page = (
        f'<div class="article">{title}<div class="article__body">{body}{links}</div></div>'
        if markup
        else "<div><p>" + "Nothing but a paragraph. " * 20 + "</p></div>"
    )
    text = f'<!DOCTYPE html><html lang="en"><head>{head}</head><body>{page}</body></html>'
    return Reply(200, HTML, text.encode())


def nested_json(levels: int) -> str:
    return "[" * levels + "]" * levels


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def by_url(crawl: Crawl) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    return (
        {r["url"]: r for r in rows(crawl.articles)},
        {r["url"]: r for r in rows(crawl.rejects)},
    )


def assert_clean(crawl: Crawl) -> None:
    """Exit 0, no "Spider error", no exception Scrapy had to catch."""
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "Spider error" not in crawl.log
    assert "spider_exceptions/count" not in crawl.stats, crawl.log[-3000:]


# -- a hostile site, no injection -------------------------------------------------------------

DEEP_HTML = "/20240410/deep-html-1117838101.html"  # 100,000 levels: the parser stops at 2,048
DEEP_READABLE = "/20240410/deep-readable-1117838102.html"  # 1,500 levels, all parsed
DEEP_JSONLD = "/20240410/deep-jsonld-1117838103.html"  # JSON-LD 100,000 levels, HTML fine
DEEP_JSONLD_ONLY = "/20240410/deep-jsonld-only-1117838104.html"  # no markup: render checks it
DATE_ABSURD = "/20240410/date-absurd-1117838105.html"
DATE_FALLBACK = "/20240410/date-fallback-1117838106.html"
BIG_IDS = "/20240410/big-ids-1117838107.html"  # links to ids beyond int64, then a good one
AFTER_BIG = "/20240410/after-big-1117838108.html"
NO_HEADLINE = "/20240410/no-headline-1117838109.html"
HUGE_ID = "/20240410/huge-" + str(INT64_MAX + 1) + ".html"
ENDLESS_ID = "/20240410/endless-" + "9" * 5000 + ".html"  # beyond int()'s 4,300 digits


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    deep_div = "<div>" * NEST + "lost" + "</div>" * NEST
    readable = (
        '<div class="article__block" data-type="text"><div class="article__text">'
        + "<span>" * READABLE_NEST
        + "Deep text."
        + "</span>" * READABLE_NEST
        + "</div></div>"
    )
    deep_headline = "<b>" * READABLE_NEST + "Deep headline" + "</b>" * READABLE_NEST
    jsonld_deep = json.dumps({"@type": "NewsArticle", "headline": "From JSON-LD"})[:-1]
    jsonld_deep += ', "about": ' + nested_json(NEST) + "}"
    with HostileServer() as site:
        site.route(DEEP_HTML, article(body="<p>Before the nest.</p>" + deep_div))
        site.route(DEEP_READABLE, article(headline=deep_headline, body=readable))
        site.route(DEEP_JSONLD, article(headline="From HTML", jsonld=jsonld_deep))
        # No other article evidence (no article:published_time either): not an article.
        site.route(DEEP_JSONLD_ONLY, article(markup=False, published=None, jsonld=jsonld_deep))
        absurd = json.dumps({"@type": "NewsArticle", "datePublished": "9999-12-31T23:59:59-23:59"})
        site.route(DATE_ABSURD, article(published=None, jsonld=absurd))
        year_one = json.dumps(
            {
                "@type": "NewsArticle",
                "datePublished": "0001-01-01T00:00:00Z",
                "dateCreated": "0001-01-01T00:00:00+01:00",
                "dateModified": "2999-01-01T00:00:00Z",
            }
        )
        site.route(DATE_FALLBACK, article(jsonld=year_one))
        site.route(BIG_IDS, article(cards=(HUGE_ID, ENDLESS_ID, AFTER_BIG)))
        site.route(AFTER_BIG, article())
        site.route(NO_HEADLINE, article(headline=None))
        seeds = [
            DEEP_HTML,
            DEEP_READABLE,
            DEEP_JSONLD,
            DEEP_JSONLD_ONLY,
            DATE_ABSURD,
            DATE_FALLBACK,
            BIG_IDS,
            NO_HEADLINE,
        ]
        crawl = run_crawl(
            None,
            tmp_path_factory.mktemp("hostile"),
            "-a",
            "seeds=" + ",".join(PUBLIC + p for p in seeds),
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never"},
            timeout=120,
        )
        crawl.stats["test/paths"] = site.paths()
    return crawl


def test_every_hostile_page_ends_as_a_row_or_a_reject(hostile_crawl: Crawl) -> None:
    assert_clean(hostile_crawl)
    written, rejected = by_url(hostile_crawl)
    fetched = {p for p in hostile_crawl.stats["test/paths"] if p.endswith(".html")}
    assert {PUBLIC + p for p in fetched} == set(written) | set(rejected)
    assert not set(written) & set(rejected)


def test_deep_html_is_read_in_full_or_rejected_with_its_depth(hostile_crawl: Crawl) -> None:
    written, rejected = by_url(hostile_crawl)
    readable = written[PUBLIC + DEEP_READABLE]
    assert readable["headline"] == "Deep headline"
    assert readable["body"] == "Deep text."
    cut = rejected[PUBLIC + DEEP_HTML]
    assert cut["reason"] == "too-deep"
    assert "2048" in cut["detail"] or "2,048" in cut["detail"]
    assert json.loads(cut["found"])["headline"] == "A headline"  # what was read is kept
    assert cut["status"] == 200


def test_deep_jsonld_is_skipped_like_broken_json(hostile_crawl: Crawl) -> None:
    written, rejected = by_url(hostile_crawl)
    assert written[PUBLIC + DEEP_JSONLD]["headline"] == "From HTML"
    assert rejected[PUBLIC + DEEP_JSONLD_ONLY]["reason"] == "not-article"


def test_absurd_dates_are_rejected_or_fall_back(hostile_crawl: Crawl) -> None:
    written, rejected = by_url(hostile_crawl)
    absurd = rejected[PUBLIC + DATE_ABSURD]
    assert absurd["reason"] == "date-out-of-range"
    assert "9999-12-31T23:59:59-23:59" in absurd["detail"]
    assert absurd["status"] == 200
    row = written[PUBLIC + DATE_FALLBACK]
    assert row["published_at"] == datetime(2024, 4, 10, 2, 11, tzinfo=UTC)
    assert row["created_at"] is None and row["modified_at"] is None
    dates = {r["date"] for r in rows(hostile_crawl.articles)}
    assert all(str(d) >= "1990-01-01" for d in dates), dates
    assert hostile_crawl.stats["sputnik/normalize/invalid/published-at"] == 1


def test_ids_beyond_int64_are_dropped_and_counted(hostile_crawl: Crawl) -> None:
    written, _ = by_url(hostile_crawl)
    assert PUBLIC + AFTER_BIG in written  # the links after them were still followed
    assert hostile_crawl.stats["sputnik/links/dropped/id-too-large"] == 2
    assert HUGE_ID not in hostile_crawl.stats["test/paths"]


def test_missing_field_rejects_keep_the_http_status(hostile_crawl: Crawl) -> None:
    _, rejected = by_url(hostile_crawl)
    reject = rejected[PUBLIC + NO_HEADLINE]
    assert reject["reason"] == "missing-headline"
    assert reject["status"] == 200


def test_seed_with_an_id_beyond_int64_stops_at_start(tmp_path: Path) -> None:
    crawl = run_crawl(
        None,
        tmp_path,
        "-a",
        f"seeds={PUBLIC}{HUGE_ID}",
        settings={"SITE_ORIGIN": "http://127.0.0.1:9"},
    )
    assert crawl.returncode != 0
    assert "seeds" in crawl.log and "int64" in crawl.log
    assert crawl.stats.get("downloader/request_count", 0) == 0


# -- injected failures ------------------------------------------------------------------------

SEED = "/20240410/seed-1117838200.html"
FAIL_PAGES = {
    "extract": "/20240410/fails-extract-1117838201.html",
    "normalize": "/20240410/fails-normalize-1117838202.html",
    "validate": "/20240410/fails-validate-1117838203.html",
}
STATE_FAILS = "/20240410/fails-state-1117838204.html"  # its state lookup raises
LINKED = {  # linked from the failing pages: their links survive
    "extract": "/20240410/after-extract-1117838211.html",
    "normalize": "/20240410/after-normalize-1117838212.html",
    "validate": "/20240410/after-validate-1117838213.html",
    "state": "/20240410/after-state-1117838214.html",
}
LISTING = "/world/"  # its callback raises


@pytest.fixture(scope="module")
def injected_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    with HostileServer() as site:
        for stage, path in FAIL_PAGES.items():
            site.route(path, article(headline=f"{MARK}-{stage}", cards=(LINKED[stage],)))
        # The seed links to the page whose lookup fails first, then to one after it.
        site.route(SEED, article(cards=(STATE_FAILS, LINKED["state"])))
        site.route(STATE_FAILS, article())
        for path in LINKED.values():
            site.route(path, article())
        site.route(LISTING, Reply(200, HTML, b"<html><body><a href='/x'>x</a></body></html>"))
        crawl = run_crawl(
            None,
            tmp_path_factory.mktemp("injected"),
            "-a",
            "seeds=" + ",".join(PUBLIC + p for p in (SEED, *FAIL_PAGES.values(), LISTING)),
            settings={
                "SITE_ORIGIN": site.url,
                "RENDER_JS": "never",
                "ADDONS": json.dumps({"tests.inject_failures.InjectFailures": 0}),
            },
            timeout=120,
        )
        crawl.stats["test/paths"] = site.paths()
    return crawl


def test_injected_failures_become_extract_error_rejects(injected_crawl: Crawl) -> None:
    assert_clean(injected_crawl)
    _, rejected = by_url(injected_crawl)
    for stage, path in FAIL_PAGES.items():
        reject = rejected[PUBLIC + path]
        assert reject["reason"] == "extract-error", (stage, reject)
        assert "RuntimeError" in reject["detail"] and f"injected {stage}" in reject["detail"]
        assert reject["status"] == 200
    state = rejected[PUBLIC + STATE_FAILS]
    assert state["reason"] == "extract-error"
    assert "injected state" in state["detail"]
    listing = rejected[PUBLIC + LISTING]
    assert listing["reason"] == "extract-error"
    assert listing["detail"] == "callback parse_listing failed: RuntimeError: injected listing"
    assert injected_crawl.stats["sputnik/rejects/extract-error"] == 5
    assert STATE_FAILS not in injected_crawl.stats["test/paths"]
    # Logged with the traceback.
    assert injected_crawl.log.count("Traceback") >= 5


def test_links_survive_a_failure_on_their_page(injected_crawl: Crawl) -> None:
    written, rejected = by_url(injected_crawl)
    assert {PUBLIC + p for p in LINKED.values()} <= set(written)
    assert PUBLIC + SEED in written
    fetched = {PUBLIC + p for p in injected_crawl.stats["test/paths"] if p != "/robots.txt"}
    assert fetched <= set(written) | set(rejected)


# -- units: deep nesting -----------------------------------------------------------------------


def page(body: str) -> HtmlResponse:
    return HtmlResponse(PUBLIC + DEEP_READABLE, body=body.encode(), encoding="utf-8")


def test_text_and_body_walks_need_no_recursion() -> None:
    levels = 1_900  # parsed in full, twice Python's recursion limit
    response = page(
        '<html><body><div class="article"><h1 class="article__title">'
        + "<i>" * levels
        + "Title <br>deep"
        + "</i>" * levels
        + '</h1><div class="article__body">'
        + '<div class="article__block" data-type="text">'
        + "<div>" * levels
        + "<p>One</p><p>Two <script>x</script>too</p>"
        + "</div>" * levels
        + "</div></div></div></body></html>"
    )
    found = html.extract(response)
    assert found["headline"] == "Title deep"
    assert found["body"] == ["One", "Two too"]
    assert html.unread_depth(response.selector.root) is None


def test_a_page_the_parser_stops_in_gives_its_depth() -> None:
    response = page("<html><body><p>Read.</p>" + "<div>" * NEST + "</body></html>")
    assert html.unread_depth(response.selector.root) == html.PARSER_DEPTH
    assert (
        html.unread_depth(page("<html><body><p>x<!-- c --></p></body></html>").selector.root)
        is None
    )


def test_jsonld_nested_too_deep_is_skipped_and_walked_without_recursion() -> None:
    good = json.dumps({"@type": "NewsArticle", "headline": "Kept"})
    scripts = f'<script type="application/ld+json">{nested_json(NEST)}</script>'
    scripts += f'<script type="application/ld+json">{good}</script>'
    assert jsonld.extract(page(f"<html><head>{scripts}</head></html>"))["headline"] == "Kept"
    value: Any = [{"@type": "NewsArticle", "headline": "Bottom"}]
    for _ in range(5_000):  # as deep as no decoder gives, to walk it anyway
        value = [value, {"@graph": []}]
    assert jsonld.find_article([value]) == {"@type": "NewsArticle", "headline": "Bottom"}
    image = {"url": "https://a/b.jpg", "width": [[[[1]]]], "height": {"value": {"x": 1}}}
    assert jsonld._images(image) == [{"url": "https://a/b.jpg", "width": None, "height": None}]


def test_microdata_block_props_need_no_recursion() -> None:
    levels = 1_900
    response = page(
        '<html><body><div class="article"><div class="article__meta">'
        + "<span>" * levels
        + '<meta itemprop="genre" content="News">'
        + "</span>" * levels
        + "</div></div></body></html>"
    )
    assert microdata.extract(response) == {"genre": "News"}


# -- units: dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-23:59",  # year 10000 in UTC: OverflowError before
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "0001-01-01T00:00:00Z",
        "1989-12-31T23:59:59Z",
        "2999-01-01T00:00:00Z",
        "00:00 GMT-23 31.12.9999",
    ],
)
def test_timestamps_out_of_range_are_invalid(raw: str) -> None:
    with pytest.raises(OutOfRange, match=r"outside 1990-01-01 \.\. now \+ 2 days") as caught:
        timestamp_processor(raw)
    assert raw in str(caught.value)
    assert isinstance(caught.value, ValueError)  # normalize_fields tries the next source


def test_timestamps_in_range_are_kept() -> None:
    assert timestamp_processor("1990-01-01T00:00:00Z") == datetime(1990, 1, 1, tzinfo=UTC)
    soon = datetime.now(UTC) + timedelta(days=1)
    assert timestamp_processor(soon.isoformat()) == soon


def test_an_absurd_date_falls_back_to_the_next_source() -> None:
    values, invalid = normalize_fields(
        PUBLIC + DATE_FALLBACK,
        {"headline": "H", "published_at": "0001-01-01T00:00:00Z", "created_at": "3000-01-01"},
        {"published_at": ["2024-04-10T02:11+0000"]},
    )
    assert values["published_at"] == datetime(2024, 4, 10, 2, 11, tzinfo=UTC)
    assert values["created_at"] is None
    assert set(invalid) == {"created_at"}


def raw_article(**fields: Any) -> RawArticle:
    return RawArticle(
        url=PUBLIC + NO_HEADLINE,
        fields={"headline": "H", "published_at": "2024-04-10T02:11+0000", **fields},
        status=203,
        fetched_at=datetime(2024, 4, 10, 3, 0, tzinfo=UTC),
        depth=1,
        job_id="job",
    )


def test_missing_and_out_of_range_rejects_keep_status_and_value() -> None:
    normalizer = build_from_crawler(NormalizePipeline, get_crawler())
    validator = build_from_crawler(ValidatePipeline, get_crawler())
    article = normalizer.process_item(raw_article(headline=None))
    assert article.status == 203
    reject = validator.process_item(article)
    assert (reject.reason, reject.status) == ("missing-headline", 203)
    reject = validator.process_item(
        normalizer.process_item(raw_article(published_at="9999-12-31T23:59:59-23:59"))
    )
    assert (reject.reason, reject.status) == ("date-out-of-range", 203)
    assert "9999-12-31T23:59:59-23:59" in reject.detail and "published_at" in reject.detail
    reject = validator.process_item(normalizer.process_item(raw_article(published_at="soon")))
    assert reject.reason == "missing-published-at" and "'soon'" in reject.detail
    written = normalizer.process_item(raw_article())
    assert validator.process_item(written) is written
    assert [f.name for f in dataclasses.fields(ArticleItem)] == arrow_schema(ArticleItem).names


# -- units: ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/20240410/a-{INT64_MAX}.html", (PUBLIC + f"/20240410/a-{INT64_MAX}.html", None)),
        (f"/20240410/a-000{INT64_MAX}.html", (PUBLIC + f"/20240410/a-000{INT64_MAX}.html", None)),
        (HUGE_ID, (None, "id-too-large")),
        (ENDLESS_ID, (None, "id-too-large")),
    ],
)
def test_article_ids_are_bounded_to_int64(path: str, expected: tuple[Any, Any]) -> None:
    assert canonicalize(path) == expected
    assert article_id(PUBLIC + path) == (INT64_MAX if expected[0] else None)


# -- units: the catch-alls ---------------------------------------------------------------------


def test_pipelines_turn_exceptions_into_extract_error_rejects(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    normalizer = build_from_crawler(NormalizePipeline, get_crawler())
    validator = build_from_crawler(ValidatePipeline, get_crawler())
    article = normalizer.process_item(raw_article())

    def boom(*args: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(crawler.pipelines.normalize, "to_article", boom)
    monkeypatch.setattr(crawler.pipelines.validate, "reject_missing", boom)
    with caplog.at_level(logging.ERROR):
        for reject, stage in (
            (normalizer.process_item(raw_article()), "normalization"),
            (validator.process_item(article), "validation"),
        ):
            assert isinstance(reject, RejectItem)
            assert reject.reason == "extract-error"
            assert reject.detail == f"{stage} failed: KeyError: 'boom'"
            assert (reject.url, reject.status, reject.depth) == (PUBLIC + NO_HEADLINE, 203, 1)
    assert caplog.text.count("Traceback") == 2


def test_the_last_net_turns_a_callback_exception_into_a_reject() -> None:
    spider_crawler = get_crawler(SputnikSpider, {"SITE_ORIGIN": PUBLIC})
    spider_crawler.spider = SputnikSpider.from_crawler(spider_crawler, _job="job-9")
    middleware = build_from_crawler(ErrorRejectMiddleware, spider_crawler)
    request = Request(
        "http://127.0.0.1:9/world/",
        callback=spider_crawler.spider.parse_listing,
        meta={"public_url": PUBLIC + "/world/"},
    )
    response = HtmlResponse(request.url, body=b"<html></html>", request=request, status=200)
    [reject] = middleware.process_spider_exception(response, ZeroDivisionError("x"))
    assert (reject.url, reject.reason, reject.status, reject.job_id) == (
        PUBLIC + "/world/",
        "extract-error",
        200,
        "job-9",
    )
    assert reject.detail == "callback parse_listing failed: ZeroDivisionError: x"
    assert middleware.process_spider_exception(response, CloseSpider("done")) is None


def test_a_failed_state_lookup_rejects_that_link_only(tmp_path: Path) -> None:
    state_crawler = get_crawler(settings_dict={"DATASET_URI": str(tmp_path / "articles")})
    middleware = build_from_crawler(SkipStoredMiddleware, state_crawler)

    class BrokenState:
        def contains(self, edition: str, article: int) -> bool:
            raise sqlite3.OperationalError("disk I/O error")

    middleware.state = BrokenState()  # type: ignore[assignment]
    link = Request("http://127.0.0.1:9" + AFTER_BIG, meta={"public_url": PUBLIC + AFTER_BIG})
    reject = middleware._checked(link)
    assert isinstance(reject, RejectItem) and reject.reason == "extract-error"
    assert reject.url == PUBLIC + AFTER_BIG and "OperationalError: disk I/O error" in reject.detail
    beyond = Request("http://127.0.0.1:9" + HUGE_ID)
    assert middleware._checked(beyond) is beyond  # no article id: no lookup
