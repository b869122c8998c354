"""The generic source (issue 9, point 2): pages of a template the crawler does not know.

Hand-written pages (``tests/generic_pages.py``), in English and in Arabic, read field by field
and crawled; htmldate's path (a date only in the text); broken markup; and trafilatura is never
called on a page of a known template (it is paid on unknown pages only).
"""

from __future__ import annotations

import difflib
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pyarrow.dataset as ds
import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.extract import extract_article, generic
from crawler.items import RawArticle
from crawler.normalize import to_article
from tests import generic_pages as pages
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply
from tests.mirror import pages as mirror_pages
from tests.mirror.model import Site

if TYPE_CHECKING:
    from pathlib import Path

PUBLIC = "https://sputnikglobe.com"
HTML = {"Content-Type": "text/html; charset=utf-8"}
SIMILAR = 0.95  # the body's least similarity with the true text
CASES = {
    "english": (pages.ENGLISH_PATH, pages.english_page, pages.ENGLISH_TRUTH, pages.ENGLISH_NOISE),
    "arabic": (pages.ARABIC_PATH, pages.arabic_page, pages.ARABIC_TRUTH, pages.ARABIC_NOISE),
}


def read(page: str | bytes, path: str) -> dict[str, Any]:
    """A page's row as the crawler would write it (extraction, then normalization)."""
    body = page.encode() if isinstance(page, str) else page
    url = PUBLIC + path
    found = extract_article(HtmlResponse(url, body=body, encoding="utf-8"), url)
    assert found is not None, "not taken for an article"
    item, invalid = to_article(RawArticle(url=url, fields=found.fields, fallbacks=found.fallbacks))
    assert not invalid, invalid
    return asdict(item)


def similarity(body: str | None, paragraphs: list[str]) -> float:
    return difflib.SequenceMatcher(None, body or "", "\n\n".join(paragraphs)).ratio()


def check_row(row: dict[str, Any], truth: dict[str, Any], noise: list[str]) -> None:
    for key in ("headline", "authors", "description", "section", "tags", "image_url", "language"):
        assert row[key] == truth[key], key
    for key in ("published_at", "modified_at"):
        value = row[key]
        assert (value.isoformat() if value else None) == truth[key], key
    assert similarity(row["body"], truth["body"]) >= SIMILAR
    assert [text for text in noise if text in row["body"]] == []
    assert row["headline"] not in row["body"]


@pytest.mark.parametrize("case", CASES)
def test_a_page_of_an_unknown_template_gives_its_fields(case: str) -> None:
    path, page, truth, noise = CASES[case]
    check_row(read(page(), path), truth, noise)


def test_the_body_is_one_string_per_paragraph() -> None:
    found = generic.extract(Selector(pages.english_page()).root, PUBLIC + pages.ENGLISH_PATH)
    assert found["body"] == pages.ENGLISH_BODY  # the sub-head too, in its place
    assert found["published_at"] == "2020-04-28T22:57:00+00:00"  # as written


def test_a_date_only_in_the_text_is_htmldates_day_read_as_midnight_utc() -> None:
    found = generic.extract(Selector(pages.undated_page()).root, PUBLIC + pages.UNDATED_PATH)
    assert found["published_at"] == "2019-06-07"
    row = read(pages.undated_page(), pages.UNDATED_PATH)
    assert row["published_at"].isoformat() == "2019-06-07T00:00:00+00:00"
    assert row["headline"] == "Harbour seals return to the estuary"
    assert similarity(row["body"], pages.UNDATED_BODY) >= SIMILAR


def page_with(head: str = "", body: str = "") -> Any:
    text = " ".join(["Some words of the article, long enough to be its text."] * 12)
    return Selector(
        f"<html><head>{head}</head><body><div><h1>A headline</h1>{body}"
        f"<div><p>{text}</p><p>{text}</p></div></div></body></html>"
    ).root


def test_a_time_of_day_beats_a_day_and_a_day_beats_htmldate(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(generic, "find_date", lambda *a, **k: calls.append(a) or "2001-01-01")
    day = '<meta name="date" content="2020-04-28">'
    timed = '<time datetime="2020-04-28T10:05:00Z">28 April</time>'
    assert generic.extract(page_with(day, timed))["published_at"] == "2020-04-28T10:05:00Z"
    assert generic.extract(page_with(day))["published_at"] == "2020-04-28"
    assert calls == []
    garbled = '<meta property="article:published_time" content="last Tuesday">'
    assert generic.extract(page_with(garbled, timed))["published_at"] == "2020-04-28T10:05:00Z"
    assert generic.extract(page_with(garbled))["published_at"] == "2001-01-01"
    assert len(calls) == 1


def test_the_time_read_is_the_articles_not_a_comments() -> None:
    comment = '<div class="comments"><time datetime="2020-05-01T08:00Z">1 May</time></div>'
    stamped = '<p class="by"><time datetime="2020-04-28T09:00Z">28 April</time></p>'
    root = Selector(
        f"<html><body><div class='top'><div class='head'><h1>H</h1>{stamped}</div></div>"
        f"{comment}</body></html>"
    ).root
    assert generic.extract(root)["published_at"] == "2020-04-28T09:00Z"
    updated = '<time class="date-updated" datetime="2020-04-29T10:00Z">29 April</time>'
    root = Selector(f"<html><body><div><h1>H</h1>{stamped}{updated}</div></body></html>").root
    assert generic.extract(root)["modified_at"] == "2020-04-29T10:00Z"


def test_authors_drop_the_house_and_its_suffix() -> None:
    def authors(head: str = "", body: str = "") -> list[str]:
        return generic.extract(page_with(head, body)).get("authors", [])

    assert authors('<meta name="author" content="Wilmer Leon. Sputnik International">') == [
        "Wilmer Leon"
    ]
    assert authors('<meta name="author" content="Sputnik">') == []
    assert authors('<meta name="author" content="Ann Lee, Bo Chan">') == ["Ann Lee", "Bo Chan"]
    assert authors('<meta property="article:author" content="https://facebook.com/x">') == []
    linked = '<p>by <a rel="author" href="/a">Ann Lee</a> and <a rel="author">Sputnik</a></p>'
    assert authors('<meta name="author" content="Someone Else">', linked) == ["Ann Lee"]


def test_several_h1s_the_one_the_title_names_and_its_time() -> None:
    root = Selector(
        '<html><head><meta property="og:title" content="The real story"></head><body>'
        '<header><h1>Daily Meridian</h1><time datetime="2020-06-01T06:00Z">Today</time></header>'
        '<div><h1>The real story</h1><p><time datetime="2020-04-28T09:00Z">28 April</time></p>'
        "</div></body></html>"
    ).root
    found = generic.extract(root)
    assert found["headline"] == "The real story"
    assert found["published_at"] == "2020-04-28T09:00Z"
    assert "headline" not in generic.extract(Selector("<html><title>Site</title></html>").root)


BROKEN = [
    b"",
    b"   ",
    b"\x00\x01\x02\xff\xfe garbage",
    b"<html><head><meta property='og:title'",
    b"<h1>Only a headline</h1>",
    b"<p>" * 3000 + b"deep" + b"</p>" * 3000,
    b"<div>" * 2100 + b"<h1>lost</h1>",
    b"<html><body>" + b"<div><p>x</p></div>" * 20000 + b"</body></html>",
    b"<html><head><meta property='article:published_time' content='9999-99-99'></head></html>",
]


def root_of(body: bytes) -> Any:
    """The tree the spider hands the sources (empty bodies included)."""
    return HtmlResponse(PUBLIC + "/x", body=body, encoding="utf-8").selector.root


@pytest.mark.parametrize("body", BROKEN, ids=range(len(BROKEN)))
def test_broken_markup_gives_missing_keys(body: bytes) -> None:
    found = generic.extract(root_of(body), PUBLIC + "/x")
    assert isinstance(found, dict)
    assert "published_at" not in found
    assert all(value not in (None, "", []) for value in found.values())


def test_truncated_pages_never_raise() -> None:
    page = pages.english_page().encode()
    for cut in range(0, len(page), 397):
        for body in (page[:cut], page[cut:]):
            generic.extract(root_of(body), PUBLIC + "/x")


def test_a_failing_general_extractor_costs_its_field_only(monkeypatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RecursionError("hostile markup")

    monkeypatch.setattr(generic, "bare_extraction", fail)
    monkeypatch.setattr(generic, "find_date", fail)
    found = generic.extract(Selector(pages.undated_page()).root, PUBLIC + pages.UNDATED_PATH)
    assert found["headline"] == "Harbour seals return to the estuary"
    assert "body" not in found
    assert "published_at" not in found


def test_a_huge_tree_is_not_handed_to_the_general_extractors(monkeypatch, caplog) -> None:
    calls = counting(monkeypatch)
    monkeypatch.setattr(generic, "MAX_ELEMENTS", 10)
    found = generic.extract(Selector(pages.undated_page()).root, PUBLIC + pages.UNDATED_PATH)
    assert found["headline"] == "Harbour seals return to the estuary"
    assert "body" not in found
    assert "published_at" not in found
    assert calls == {"trafilatura": 0, "htmldate": 0}
    assert "more than 10 elements" in caplog.text


def test_a_page_of_tiny_elements_costs_little() -> None:
    """4 MB (DOWNLOAD_MAXSIZE) of empty paragraphs: 400,000 elements."""
    root = root_of(b"<html><body><h1>H</h1>" + b"<div><p>x</p></div>" * 200_000)
    start = time.perf_counter()
    found = generic.extract(root, PUBLIC + "/x")
    assert time.perf_counter() - start < 2
    assert found == {"headline": "H"}


def counting(monkeypatch) -> dict[str, int]:
    """Count the calls of trafilatura and htmldate made by the generic source."""
    calls = {"trafilatura": 0, "htmldate": 0}

    def wrap(name: str, function: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return function(*args, **kwargs)

        return counted

    monkeypatch.setattr(generic, "bare_extraction", wrap("trafilatura", generic.bare_extraction))
    monkeypatch.setattr(generic, "find_date", wrap("htmldate", generic.find_date))
    return calls


def test_known_templates_never_pay_for_trafilatura(monkeypatch) -> None:
    calls = counting(monkeypatch)
    site = Site(300)
    for stub in site.stubs:
        body = mirror_pages.render(site, stub.path).body
        extract_article(HtmlResponse(stub.url, body=body, encoding="utf-8"), stub.url)
    assert calls == {"trafilatura": 0, "htmldate": 0}
    earlier = (
        '<html lang="en"><head><meta name="pubdate" content="2019-11-18T21:17:27Z"></head><body>'
        '<h1 itemprop="headline">Old</h1><div class="b-article__text" itemprop="articleBody">'
        "<p>Text.</p></div></body></html>"
    )
    generic.extract(Selector(earlier).root)
    assert calls == {"trafilatura": 0, "htmldate": 0}
    read(pages.english_page(), pages.ENGLISH_PATH)
    assert calls == {"trafilatura": 1, "htmldate": 0}  # its dates are in its metas


def test_trafilatura_cost_per_generic_page() -> None:
    """Not a benchmark: a bound that catches a runaway (a copy per paragraph, say)."""
    root = Selector(pages.english_page()).root
    generic.extract(root, PUBLIC + pages.ENGLISH_PATH)
    start = time.perf_counter()
    for _ in range(10):
        generic.body(root, PUBLIC + pages.ENGLISH_PATH, None)
    assert (time.perf_counter() - start) / 10 < 0.2


# -- a crawl -------------------------------------------------------------------------------------


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def test_a_crawl_of_unknown_template_pages_writes_their_rows(tmp_path: Path) -> None:
    served = {
        pages.ENGLISH_PATH: pages.english_page(),
        pages.ARABIC_PATH: pages.arabic_page(),
        pages.UNDATED_PATH: pages.undated_page(),
    }
    with HostileServer() as site:
        for path, page in served.items():
            site.route(path, Reply(200, HTML, page.encode()))
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "seeds=" + ",".join(PUBLIC + path for path in served),
            settings={"SITE_ORIGIN": site.url},  # RENDER_JS=auto: none of them needs a browser
            timeout=120,
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "sputnik/render/requested" not in crawl.stats
    assert rows(crawl.rejects) == []
    written = {row["url"]: row for row in rows(crawl.articles)}
    assert set(written) == {PUBLIC + path for path in served}
    for path, _, truth, noise in CASES.values():
        check_row(written[PUBLIC + path], truth, noise)
    undated = written[PUBLIC + pages.UNDATED_PATH]
    assert undated["published_at"].isoformat() == "2019-06-07T00:00:00+00:00"
    assert similarity(undated["body"], pages.UNDATED_BODY) >= SIMILAR
    assert crawl.stats["sputnik/writer/articles-written"] == 3
