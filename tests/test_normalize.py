"""Normalization: one test per field rule, with its edge cases; then the pipeline."""

from __future__ import annotations

import hashlib
import inspect
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import normalize as n
from crawler.items import ArticleItem, RawArticle, RejectItem
from crawler.pipelines.normalize import NormalizePipeline, normalize

URL = "https://sputnikglobe.com/20240410/china-sending-message-1117838001.html"
T = datetime(2024, 4, 10, 2, 11, tzinfo=UTC)


def test_text_collapses_whitespace() -> None:
    assert n.text_processor("  China\n\tSending \u00a0Message  ") == "China Sending Message"
    assert n.text_processor(["", "  ", "First", "Second"]) == "First"
    assert n.text_processor(2024) == "2024"
    assert n.text_processor("   ") is None
    assert n.text_processor(None) is None
    assert n.text_processor([]) is None
    with pytest.raises(ValueError, match="expected text"):
        n.text_processor({"name": "x"})
    with pytest.raises(ValueError):
        n.text_processor(True)


def test_body_paragraphs_joined_by_a_blank_line() -> None:
    assert n.body_processor(["  One\n two ", "", "   ", "Three"]) == "One two\n\nThree"
    assert n.body_processor("One.\nTwo.\n\n  Three.  ") == "One.\n\nTwo.\n\nThree."
    assert n.body_processor("Run.Together.") == "Run.Together."
    assert n.body_processor([]) is None
    assert n.body_processor("  ") is None
    assert n.body_processor(None) is None
    with pytest.raises(ValueError, match="expected paragraphs"):
        n.body_processor(["ok", 3])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-04-10T02:11+0000", T),  # the site's form
        ("2024-04-10T02:11:00+0000", T),
        ("2024-04-10T02:11:00Z", T),
        ("2024-04-10T02:11Z", T),
        ("2024-04-10T05:11+0300", T),
        ("2024-04-09T23:11-0300", T),
        ("2024-04-10T02:11:00+00:00", T),
        ("20240410T0211+0000", T),  # compact article:published_time
        ("  2024-04-10T02:11+0000 ", T),
        ("2024-04-10T02:11", T),  # no offset: UTC
        ("2024-04-10T02:11:00.123456Z", T.replace(microsecond=123456)),
        ("1712715060", T),  # data-unixtime
        (1712715060, T),
        (1712715060.5, T.replace(microsecond=500000)),
        ("1712715060000", T),  # milliseconds
        ("02:11 GMT 10.04.2024", T),  # the header's visible text
        ("2:11 GMT 10.4.2024", T),
        ("05:11 GMT+3 10.04.2024", T),
        (datetime(2024, 4, 10, 5, 11, tzinfo=timezone(timedelta(hours=3))), T),
        (datetime(2024, 4, 10, 2, 11), T),
        (["2024-04-10T02:11+0000", "2025-01-01"], T),
        (None, None),
        ("", None),
    ],
)
def test_timestamps_to_aware_utc(raw: object, expected: datetime | None) -> None:
    moment = n.timestamp_processor(raw)
    assert moment == expected
    if moment is not None:
        assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    ["yesterday", "2024-13-45T02:11+0000", "99:99 GMT 10.04.2024", "10.04.2024", {"a": 1}, True],
)
def test_unparseable_timestamps_raise_value_error(raw: object) -> None:
    with pytest.raises(ValueError):
        n.timestamp_processor(raw)


def test_language_primary_subtag() -> None:
    assert n.language_processor("en_EN") == "en"
    assert n.language_processor("en-US") == "en"
    assert n.language_processor("EN") == "en"
    assert n.language_processor(" ru ") == "ru"
    assert n.language_processor("ast") == "ast"
    assert n.language_processor(["en_US"]) == "en"
    assert n.language_processor(None) is None
    for bad in ("English", "e", "12", "en1"):
        with pytest.raises(ValueError, match="not a language tag"):
            n.language_processor(bad)


def test_section_lower_case() -> None:
    assert n.section_processor("Analysis") == "analysis"
    assert n.section_processor(["World", "Russia"]) == "world"
    assert n.section_processor("  Middle  East ") == "middle east"
    assert n.section_processor("") is None


def test_tags_lower_case_in_order_without_duplicates() -> None:
    assert n.tags_processor(["Russia", "China", " russia ", "", "US Hegemony"]) == [
        "russia",
        "china",
        "us hegemony",
    ]
    assert n.tags_processor("russia, china,, nato , China") == ["russia", "china", "nato"]
    assert n.tags_processor(None) == []
    assert n.tags_processor([]) == []
    with pytest.raises(ValueError):
        n.tags_processor([{"name": "x"}])


def test_keywords_split_trimmed_deduplicated() -> None:
    raw = "russian foreign minister sergey lavrov, lavrov chinese visit ,global south,, "
    assert n.keywords_processor(raw) == [
        "russian foreign minister sergey lavrov",
        "lavrov chinese visit",
        "global south",
    ]
    assert n.keywords_processor(["a b", "c, d", "a b", " "]) == ["a b", "c", "d"]
    assert n.keywords_processor("Case Kept, case kept") == ["Case Kept", "case kept"]
    assert n.keywords_processor(",") == []
    assert n.keywords_processor(None) == []


def test_authors_collapsed_deduplicated() -> None:
    assert n.authors_processor(["Ian  DeMartino", "A B", "Ian DeMartino"]) == [
        "Ian DeMartino",
        "A B",
    ]
    assert n.authors_processor("Ian DeMartino") == ["Ian DeMartino"]
    assert n.authors_processor("Smith, John") == ["Smith, John"]  # not split on commas
    assert n.authors_processor(None) == []


def test_image_url() -> None:
    assert n.url_processor(" https://cdn1.img.sputnikglobe.com/a.jpg ") == (
        "https://cdn1.img.sputnikglobe.com/a.jpg"
    )
    assert n.url_processor("//cdn1.img.sputnikglobe.com/a.jpg") == (
        "https://cdn1.img.sputnikglobe.com/a.jpg"
    )
    assert n.url_processor(None) is None
    for bad in ("/img/a.jpg", "javascript:void(0)", "data:image/png;base64,xx"):
        with pytest.raises(ValueError):
            n.url_processor(bad)


def test_images_as_url_width_height() -> None:
    assert n.images_processor(
        [
            {"url": "https://i/1.jpg", "width": 1920, "height": "1080"},
            {"contentUrl": "https://i/2.jpg", "width": "1920px", "height": 1440.0},
            "https://i/3.jpg",
            {"url": "https://i/1.jpg", "width": 1920, "height": "1080"},  # duplicate
            {"url": "https://i/4.jpg", "width": "wide", "height": -5},
            {"width": 10},  # no URL
            "not a url",
        ]
    ) == [
        {"url": "https://i/1.jpg", "width": 1920, "height": 1080},
        {"url": "https://i/2.jpg", "width": 1920, "height": 1440},
        {"url": "https://i/3.jpg", "width": None, "height": None},
        {"url": "https://i/4.jpg", "width": None, "height": None},
    ]
    assert n.images_processor("https://i/m.jpg") == [
        {"url": "https://i/m.jpg", "width": None, "height": None}
    ]
    assert n.images_processor(None) == []
    with pytest.raises(ValueError, match="no image URL"):
        n.images_processor(["nope"])


def test_pixels() -> None:
    assert [n.pixels(v) for v in (252, "60", " 1920px ", 1920.0, "1.5", 0, -1, True, None)] == [
        252,
        60,
        1920,
        1920,
        None,
        None,
        None,
        None,
        None,
    ]


def test_publisher_struct() -> None:
    full = {
        "name": "Sputnik International",
        "email": "feedback@sputniknews.com",
        "telephone": "+74956456601",
        "legal_name": "MIA „Rosiya Segodnya“",
        "logo_url": "https://cdn1.img.sputnikglobe.com/i/logo/logo-social.png",
        "logo_width": "252",
        "logo_height": 60,
    }
    assert n.publisher_processor(full) == {**full, "logo_width": 252}
    assert n.publisher_processor(
        {"name": "S", "legalName": "L", "logo": {"url": "https://i/l.png", "width": 1}}
    ) == {
        "name": "S",
        "email": None,
        "telephone": None,
        "legal_name": "L",
        "logo_url": "https://i/l.png",
        "logo_width": 1,
        "logo_height": None,
    }
    assert n.publisher_processor("Sputnik")["name"] == "Sputnik"  # type: ignore[index]
    assert n.publisher_processor({"logo": "https://i/l.png"})["logo_url"] == "https://i/l.png"  # type: ignore[index]
    assert n.publisher_processor({"logo_url": "not a url"}) is None
    assert n.publisher_processor(None) is None
    with pytest.raises(ValueError):
        n.publisher_processor(42)


def test_copyright_year() -> None:
    assert n.copyright_year_processor(2024) == 2024
    assert n.copyright_year_processor("2024") == 2024
    assert n.copyright_year_processor(2024.0) == 2024
    assert n.copyright_year_processor("© 2024 Sputnik") == 2024
    assert n.copyright_year_processor(["2023"]) == 2023
    assert n.copyright_year_processor(None) is None
    for bad in ("twenty", "20245", 24, True):
        with pytest.raises(ValueError, match="not a year"):
            n.copyright_year_processor(bad)


def test_related_urls_canonical_and_unique() -> None:
    assert n.related_urls_processor(
        [
            "https://sputnikglobe.com/20240409/a-1117821017.html",
            "https://sputniknews.com/20240409/a-1117821017.html?utm_source=x",
            "/amp/20240409/b-1117824035.html",
            "https://sputnikglobe.com/keyword_nato/",
            "https://example.com/20240409/c-1117800000.html",
        ]
    ) == [
        "https://sputnikglobe.com/20240409/a-1117821017.html",
        "https://sputnikglobe.com/20240409/b-1117824035.html",
    ]
    assert n.related_urls_processor(None) == []


def test_derived_fields() -> None:
    assert n.article_id_processor(URL) == 1117838001
    assert n.article_id_processor("https://sputnikglobe.com/20240410/1117838001.html") == (
        1117838001
    )
    assert n.article_id_processor("https://sputnikglobe.com/docs/about.html") is None
    assert n.site_processor(URL) == "sputnikglobe.com"
    assert n.word_count("One two\n\nthree") == 3
    assert n.word_count(None) is None
    expected = hashlib.sha256(b"Head\nOne\n\nTwo").hexdigest()
    assert n.content_hash("Head", "One\n\nTwo") == expected
    assert n.content_hash(None, "B") == hashlib.sha256(b"\nB").hexdigest()


def test_normalize_fields_counts_invalid_values_and_never_raises() -> None:
    values, invalid = n.normalize_fields(
        "https://sputniknews.com/20240410/china-sending-message-1117838001.html?x=1",
        {
            "headline": " Head ",
            "body": ["One", "Two"],
            "published_at": "not a time",
            "language": "English",
            "tags": ["A", {"bad": 1}],
            "copyright_year": "2024",
        },
    )
    assert values["url"] == URL
    assert values["article_id"] == 1117838001
    assert values["site"] == "sputnikglobe.com"
    assert values["headline"] == "Head"
    assert values["published_at"] is None
    assert values["language"] == "en"  # the page's is unreadable: the edition's
    assert values["tags"] == []
    assert values["copyright_year"] == 2024
    assert values["word_count"] == 2
    assert set(invalid) == {"published_at", "language", "tags"}
    assert "not a time" in invalid["published_at"]
    values, invalid = n.normalize_fields(URL, {})
    assert values["headline"] is None and values["authors"] == [] and not invalid
    assert values["content_hash"] == n.content_hash(None, None)


# -- the pipeline ---------------------------------------------------------------------------------


def raw_article(**fields: object) -> RawArticle:
    return RawArticle(
        url=URL,
        fields={"headline": "Head", "published_at": "2024-04-10T02:11+0000", **fields},
        layout="current",
        fetched_at=T,
        depth=2,
        referer="https://sputnikglobe.com/20240409/a-1117821017.html",
        job_id="job-1",
    )


@pytest.fixture
def pipeline() -> NormalizePipeline:
    return build_from_crawler(NormalizePipeline, get_crawler())


def test_pipeline_turns_raw_articles_into_items(pipeline: NormalizePipeline) -> None:
    item = pipeline.process_item(raw_article(tags=["Russia"]))
    assert isinstance(item, ArticleItem)
    assert item.url == URL and item.article_id == 1117838001 and item.site == "sputnikglobe.com"
    assert item.headline == "Head" and item.published_at == T and item.tags == ["russia"]
    assert (item.fetched_at, item.depth, item.referer, item.job_id) == (
        T,
        2,
        "https://sputnikglobe.com/20240409/a-1117821017.html",
        "job-1",
    )
    assert not pipeline.crawler.stats.get_stats()
    assert normalize(raw_article(tags=["Russia"])) == item


def test_pipeline_counts_and_logs_invalid_values(
    pipeline: NormalizePipeline, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        item = pipeline.process_item(raw_article(published_at="soon", language="??"))
    assert item.published_at is None and item.language == "en"  # the edition's
    stats = pipeline.crawler.stats
    assert stats.get_value("sputnik/normalize/invalid") == 2
    assert stats.get_value("sputnik/normalize/invalid/published-at") == 1
    assert stats.get_value("sputnik/normalize/invalid/language") == 1
    assert "published_at" in caplog.text


def test_pipeline_passes_other_items_through(pipeline: NormalizePipeline) -> None:
    reject = RejectItem(url=URL, reason="not-article")
    assert pipeline.process_item(reject) is reject
    assert pipeline.process_item({"a": 1}) == {"a": 1}


def test_pipeline_process_item_takes_no_spider() -> None:
    assert list(inspect.signature(NormalizePipeline.process_item).parameters) == ["self", "item"]
