"""Languages done right (issue 11): the normalizer knows each article's edition; local time
offsets and zones, NFC text, CJK word counts, locale-aware lower-casing, right-to-left text,
house names of every edition, non-Latin slugs and related links on the page's own edition.
Hand-written strings and pages: one function under test each."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import normalize as n
from crawler.editions import packaged_table
from crawler.extract import Page, extract_article, related_links
from crawler.house import house
from crawler.items import RawArticle
from crawler.pipelines.normalize import NormalizePipeline
from crawler.pipelines.validate import reject_missing
from crawler.urls import canonicalize

EN = "https://sputnikglobe.com/20240410/china-sending-message-1117838001.html"
ES = "https://noticiaslatam.lat/20260729/titular-1090000001.html"
AR = "https://sarabic.ae/20260729/1090000002.html"
ZH = "https://sputniknews.cn/20260729/1061234567.html"
TR = "https://anlatilaninotesi.com.tr/20260729/baslik-1080000003.html"
SHANGHAI = timezone(timedelta(hours=8))
# es moved to a new host: every host it had is a former one.
MOVED = ["noticiaslatam.lat", "mundo.sputniknews.com", "sputniknews.lat"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# -- the edition ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "edition", "site", "language"),
    [
        (EN, "en", "sputnikglobe.com", "en"),
        ("https://www.sputniknews.com/20240410/x-1117838001.html", "en", "sputnikglobe.com", "en"),
        ("https://mundo.sputniknews.com/20260729/titular-1090000001.html", "es", None, "es"),
        (ZH, "zh", "sputniknews.cn", "zh"),
        ("https://en.sputniknews.africa/20260729/a-1000000001.html", "en-af", None, "en"),
        ("https://sputnik.by/20260729/a-1000000001.html", "ru-by", "sputnik.by", "ru"),
    ],
)
def test_edition_site_and_default_language(
    url: str, edition: str, site: str | None, language: str
) -> None:
    values, invalid = n.normalize_fields(url, {"headline": "h"})
    current = packaged_table()[edition].host
    assert (values["edition"], values["site"], values["language"]) == (
        edition,
        site or current,
        language,
    )
    assert values["url"].startswith(f"https://{current}/") and not invalid


def test_the_page_language_wins_and_cn_is_zh() -> None:
    assert n.language_processor("cn_CN") == "zh"
    assert n.language_processor("CN") == "zh"
    assert n.normalize_fields(ZH, {"language": "cn_CN"})[0]["language"] == "zh"
    assert n.normalize_fields(ES, {"language": "en-US"})[0]["language"] == "en"
    values, invalid = n.normalize_fields(ES, {"language": "Español"})
    assert values["language"] == "es" and "language" in invalid  # counted, the edition's kept


def test_a_host_of_no_edition_has_none() -> None:
    values, _ = n.normalize_fields("https://example.com/20240410/x-1117838001.html", {})
    assert values["edition"] is None and values["language"] is None
    assert values["site"] == "example.com"


def test_the_crawls_table_moves_a_host() -> None:
    table = packaged_table().updated(
        {"es": {"host": "noticias.example.net", "former_hosts": MOVED}}
    )
    values, _ = n.normalize_fields(
        ES, {"related_urls": ["/20260728/otro-1090000000.html", ES]}, editions=table
    )
    assert values["url"] == "https://noticias.example.net/20260729/titular-1090000001.html"
    assert (values["site"], values["edition"]) == ("noticias.example.net", "es")
    assert values["related_urls"] == [
        "https://noticias.example.net/20260728/otro-1090000000.html",
        values["url"],
    ]


def test_the_pipeline_uses_the_crawls_table() -> None:
    changes = {"zh": {"host": "sputniknews.example.cn", "name": "Sputnik Zhongguo"}}
    crawler = get_crawler(settings_dict={"EDITIONS": json.dumps(changes)})
    pipeline = build_from_crawler(NormalizePipeline, crawler)
    raw = RawArticle(
        url="https://sputniknews.example.cn/20260729/1061234567.html",
        fields={
            "headline": "标题 | Sputnik Zhongguo",
            "published_at": "2026-07-29T13:19",
            "authors": ["Sputnik Zhongguo"],
        },
    )
    item = pipeline.process_item(raw)
    assert (item.edition, item.site, item.language) == ("zh", "sputniknews.example.cn", "zh")
    assert item.headline == "标题" and item.authors == []
    assert item.published_at == datetime(2026, 7, 29, 5, 19, tzinfo=UTC)  # read in Shanghai
    raw.fields["headline"] = ""
    reject = reject_missing(pipeline.process_item(raw))
    assert reject is not None and reject.edition == "zh"


# -- time -----------------------------------------------------------------------------------------

T = datetime(2026, 7, 29, 5, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "20260729T1319+0800",  # sputniknews.cn's article:published_time
        "2026-07-29T13:19+0800",
        "2026-07-29T13:19:00+08:00",
        "2026-07-29T13:19+08",
        "2026-07-29T08:19+0300",
        "2026-07-29T08:19:00.000+03:00",
        "2026-07-29T02:19-0300",
        "20260729T0219-0300",
        "2026-07-29T05:19:00Z",
        "13:19 GMT+8 29.07.2026",
        datetime(2026, 7, 29, 13, 19, tzinfo=SHANGHAI),
    ],
)
def test_local_offsets_to_utc(raw: object) -> None:
    for zone in (UTC, SHANGHAI):  # an offset given: the zone plays no part
        moment = n.timestamp_processor(raw, zone=zone)
        assert moment == T and moment.tzinfo is UTC


def test_a_time_without_offset_is_read_in_the_editions_zone() -> None:
    zh = packaged_table()["zh"].zone
    assert n.timestamp_processor("2026-07-29T13:19", zone=zh) == T
    assert n.timestamp_processor("20260729T1319", zone=zh) == T
    assert n.timestamp_processor(datetime(2026, 7, 29, 13, 19), zone=zh) == T
    assert n.timestamp_processor("2026-07-29", zone=zh) == datetime(2026, 7, 28, 16, tzinfo=UTC)
    assert n.timestamp_processor("2026-07-29T05:19") == T  # UTC by default
    assert n.timestamp_processor(str(int(T.timestamp())), zone=zh) == T  # unix time: UTC
    fields = {"published_at": "2026-07-29T13:19", "modified_at": "2026-07-29T13:19+0000"}
    zh_values = n.normalize_fields(ZH, fields)[0]
    assert zh_values["published_at"] == T
    assert zh_values["modified_at"] == datetime(2026, 7, 29, 13, 19, tzinfo=UTC)
    assert n.normalize_fields(ES, fields)[0]["published_at"] == datetime(
        2026, 7, 29, 13, 19, tzinfo=UTC
    )


# -- NFC ------------------------------------------------------------------------------------------


def test_every_text_field_is_nfc() -> None:
    composed = {
        "headline": "Perú: última sesión",
        "description": "Café à São Paulo",
        "body": "Niño pidió café.\n\nÉl dijo: «sí».",
        "section": "américa latina",
        "genre": "Análisis",
        "keywords": ["José Martí", "Bogotá"],
        "authors": ["José Pérez"],
    }
    raw = {
        key: [nfd(v) for v in value] if isinstance(value, list) else nfd(value)
        for key, value in composed.items()
    }
    raw["tags"] = [nfd("Perú"), "Perú", nfd("ÉXITO")]
    raw["publisher"] = {"name": nfd("Sputnik Perú"), "legalName": nfd("Agencia Perú")}
    assert raw["headline"] != composed["headline"]
    values, invalid = n.normalize_fields(ES, raw)
    assert not invalid
    for key, value in composed.items():
        assert values[key] == value, key
    assert values["tags"] == ["perú", "éxito"]  # one tag, whichever form the page wrote
    assert values["publisher"]["name"] == "Sputnik Perú"
    assert values["publisher"]["legal_name"] == "Agencia Perú"
    expected = f"{composed['headline']}\n{composed['body']}".encode()
    assert values["content_hash"] == hashlib.sha256(expected).hexdigest()
    assert values["content_hash"] == n.normalize_fields(ES, composed)[0]["content_hash"]


def test_lists_split_on_the_commas_of_each_script() -> None:
    assert n.keywords_processor("中国，美国, 俄罗斯，") == ["中国", "美国", "俄罗斯"]
    assert n.keywords_processor("روسيا، الصين ،مصر") == ["روسيا", "الصين", "مصر"]
    assert n.keywords_processor("中俄、中美关系") == ["中俄、中美关系"]  # one phrase
    assert n.tags_processor("Rusia, EEUU", language="es") == ["rusia", "eeuu"]


# -- word count -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("One two\n\nthree", 3),
        ("The ministry said — in a statement — that it's 5.2% up.", 10),  # "—" is no word
        ("Hello , world ... ! - ok", 3),
        ("a_b _ __ 2024 ½", 3),  # "_" alone is no word; "½" is numeric
        ("中国外交部发言人表示。", 10),  # ten Han characters, "。" none
        ("2024年GDP增长5.2%，", 6),  # 2024, 年, GDP, 增, 长, 5.2%
        ("東京（スプートニク）岸田首相は、", 13),
        ("カタカナ・テスト", 7),  # the middle dot U+30FB separates, counts nothing
        ("ｶﾀｶﾅ", 4),  # half-width katakana
        ("𠀀𠀁 x", 3),  # Han beyond the BMP
        ("قال الرئيس \u200fإن شركة Apple ستستثمر 500 مليون", 8),
        ("서울 시장", 2),  # Hangul has spaces: runs count
        ("", 0),
    ],
)
def test_word_count(body: str, words: int) -> None:
    assert n.word_count(body) == words


def test_word_count_of_english_is_split_less_punctuation() -> None:
    body = 'He said: "No." — then left.\n\n— A new paragraph, 2 lines & more.'
    tokens = body.split()
    assert n.word_count(body) == len(tokens) - sum(not any(c.isalnum() for c in t) for t in tokens)


def test_word_count_of_chinese_is_about_its_characters() -> None:
    body = (
        "俄罗斯总统普京7月29日在莫斯科会见了来访的中国外交部长。双方就两国关系、"
        "国际和地区问题交换了意见，并表示愿意继续加强在联合国等多边框架内的合作。\n\n"
        "普京说，俄中关系处于历史最高水平。"
    )
    han = sum("\u4e00" <= c <= "\u9fff" for c in body)
    assert n.word_count(body) == han + 2  # "7月29日": 7 and 29 are a word each
    assert 0.8 < n.word_count(body) / len(body) <= 1


def test_word_count_of_a_long_punctuation_run_is_linear() -> None:
    # A backtracking pattern would take minutes on these; the counts are exact.
    assert n.word_count("-" * 200_000) == 0
    assert n.word_count("-" * 200_000 + "a") == 1
    assert n.word_count("中" * 100_000) == 100_000


# -- case -----------------------------------------------------------------------------------------


def test_tags_lower_cased_the_turkish_way_in_turkish() -> None:
    tags = ["İstanbul", "IŞİD", "Irak", "ırak", "Türkiye"]
    assert n.tags_processor(tags, language="tr") == ["istanbul", "ışid", "ırak", "türkiye"]
    assert n.tags_processor(tags, language="az")[:3] == ["istanbul", "ışid", "ırak"]
    assert n.section_processor("DÜNYA İÇİN", language="tr") == "dünya için"
    assert n.normalize_fields(TR, {"tags": tags})[0]["tags"] == n.tags_processor(tags, "tr")


def test_tags_lower_cased_elsewhere_without_a_stray_dot() -> None:
    assert n.tags_processor(["IRAQ", "İstanbul", "Irak"], language="en") == [
        "iraq",
        "istanbul",
        "irak",
    ]
    assert n.tags_processor(["İstanbul"]) == ["istanbul"]  # no U+0307 left
    assert n.tags_processor([nfd("İSTANBUL")], language="tr") == ["istanbul"]
    assert n.tags_processor(["ΑΘΗΝΑ", "Москва", "ÉTATS-UNIS"]) == ["αθηνα", "москва", "états-unis"]


def test_caseless_scripts_are_left_alone() -> None:
    tags = ["روسيا", "中国", "ロシア", "हिंदी"]
    assert n.tags_processor(tags, language="ar") == tags
    assert n.section_processor("世界", language="zh") == "世界"


# -- right-to-left --------------------------------------------------------------------------------

# An Arabic paragraph with an LTR brand name, digits, the marks that keep their order (RLM,
# LRM, ALM) and a presentation form (U+FEFB, lam-alef) that NFC must not touch.
ARABIC = (
    "أعلنت شركة \u200eSputnik Pro\u200e\u200f عن 3 منتجات جديدة في عام 2026\u061c، "
    "وقالت إن \u202bالمبيعات\u202c ارتفعت بنسبة 15% \u200fﻻ غير."
)


def test_right_to_left_text_kept_intact() -> None:
    assert unicodedata.normalize("NFC", ARABIC) == ARABIC  # nothing for NFC to change
    assert n.text_processor(ARABIC) == ARABIC
    assert n.body_processor([ARABIC, " \u200f "]) == f"{ARABIC}\n\n\u200f"
    assert n.body_processor(f"  {ARABIC}  \n\n{ARABIC}") == f"{ARABIC}\n\n{ARABIC}"


def test_right_to_left_page_read_intact() -> None:
    page = (
        '<html lang="ar"><head><meta property="article:published_time"'
        ' content="20260729T1319+0300"></head><body><div class="article">'
        '<h1 class="article__title">\u200fعنوان  المقال\u200f</h1><div class="article__body">'
        '<div class="article__block" data-type="text"><div class="article__text">'
        f"{ARABIC}</div></div></div></div></body></html>"
    )
    found = extract_article(HtmlResponse(AR, body=page.encode(), encoding="utf-8"), AR)
    assert found is not None
    values, invalid = n.normalize_fields(AR, found.fields, found.fallbacks)
    assert values["body"] == ARABIC and values["headline"] == "\u200fعنوان المقال\u200f"
    assert (values["language"], values["edition"]) == ("ar", "ar")
    assert values["published_at"] == datetime(2026, 7, 29, 10, 19, tzinfo=UTC)
    assert not invalid


# -- house names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "authors"),
    [
        ("Wilmer Leon. Sputnik International", ["Wilmer Leon"]),
        (["Ana Pérez - Sputnik Mundo", "Ana Pérez"], ["Ana Pérez"]),
        (["Ahmed Ali. Sputnik Arabic"], ["Ahmed Ali"]),
        (["Ayşe Yılmaz, Sputnik Türkiye"], ["Ayşe Yılmaz"]),
        (["王伟 | Sputnik China"], ["王伟"]),
        (["Sputnik Mundo", "Sputnik Japan", "Sputnik Türkiye", "RIA Novosti"], []),
        (["Juan Sputnik"], ["Juan Sputnik"]),  # a surname, not the house
    ],
)
def test_house_names_of_every_edition(value: object, authors: list[str]) -> None:
    assert n.authors_processor(value) == authors


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("Titular - Sputnik Mundo", "Titular"),
        ("标题 | Sputnik China", "标题"),
        ("見出し — Sputnik Japan", "見出し"),
        ("Başlık - Sputnik Türkiye", "Başlık"),
        ("Headline - Sputnik International", "Headline"),
        ("Hungary buys doses - Sputnik V", "Hungary buys doses - Sputnik V"),  # the vaccine
        ("Sputnik Mundo", "Sputnik Mundo"),  # nothing else: kept
        ("Interview with Sputnik International", "Interview with Sputnik International"),
    ],
)
def test_edition_name_after_a_title(title: str, headline: str) -> None:
    assert n.headline_processor(title) == headline


def test_house_rules_come_from_the_table() -> None:
    table = packaged_table().updated(
        {"xx": {"host": "noticias.example.org", "language": "es", "name": "Noticias Orbita"}}
    )
    rules = house(table)
    assert rules.name.match("Noticias Orbita") and not house().name.match("Noticias Orbita")
    assert n.authors_processor(["Eva Ruiz. Noticias Orbita"], house=rules) == ["Eva Ruiz"]
    assert n.headline_processor("Titular - Noticias Orbita", house=rules) == "Titular"
    assert house(table) is rules  # built once per table
    every = {e.name for e in packaged_table()}
    assert all(house().name.match(name) for name in every)


# -- slugs and related links ----------------------------------------------------------------------


def _spellings(host: str, path: str) -> list[str]:
    """One article's URL written five ways: raw, percent-encoded upper- and lower-case, half
    and half, and only the slug's first two letters encoded."""
    upper = quote(path)
    lower = re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), upper)
    mixed = upper[: len(upper) // 2] + lower[len(upper) // 2 :]
    folder, slug = path.rsplit("/", 1)
    partly = f"{folder}/{quote(slug[:2])}{slug[2:]}"
    return [f"https://{host}{p}" for p in (path, upper, lower, mixed, partly)]


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("sarabic.ae", "/20240101/مرحبا-123456789.html"),
        ("sputniknews.cn", "/20240101/你好世界-123456789.html"),
        ("arabic.sputniknews.com", "/amp/20240101/مرحبا-بكم-123456789.html"),
    ],
)
def test_non_latin_slugs_give_one_canonical_url(host: str, path: str) -> None:
    current = packaged_table().by_host(host).host  # type: ignore[union-attr]
    expected = f"https://{current}{quote(path.removeprefix('/amp'))}"  # %XX upper-case UTF-8
    assert re.search("%[0-9A-F]{2}", expected) and not re.search("%[0-9A-F]?[a-f]", expected)
    spellings = _spellings(host, path)
    assert len(set(spellings)) == 5
    base = f"https://{current}/20240102/x-1000000.html"
    root_relative = [url.split(host, 1)[1] for url in spellings]
    for href in spellings + root_relative:
        assert canonicalize(href, base) == (expected, None), href
        assert n.related_url(href, base) == (expected, None), href


ES_PAGE = (
    '<html lang="es"><head></head><body><div class="article">'
    '<h1 class="article__title">Titular</h1><div class="article__body">'
    '<div class="article__block" data-type="article"><div class="article__article">'
    '<a href="/20260728/otro-1090000000.html">A</a></div></div>'
    '<div class="article__block" data-type="article"><div class="article__article">'
    '<a href="https://sputnikglobe.com/20260728/english-1117000000.html">B</a></div></div>'
    '<div class="article__block" data-type="article"><div class="article__article">'
    '<a href="https://mundo.sputniknews.com/20260727/viejo-1089999999.html">C</a></div></div>'
    '<div class="article__block" data-type="article"><div class="article__article">'
    '<a href="/20260726/a%c3%b1o-nuevo-1089999998.html">D</a></div></div>'
    "</div></div></body></html>"
)
ES_RELATED = [
    "https://noticiaslatam.lat/20260728/otro-1090000000.html",
    "https://sputnikglobe.com/20260728/english-1117000000.html",  # another edition's: kept
    "https://noticiaslatam.lat/20260727/viejo-1089999999.html",
    "https://noticiaslatam.lat/20260726/a%C3%B1o-nuevo-1089999998.html",
]


def test_related_links_resolve_on_the_pages_own_edition() -> None:
    response = HtmlResponse(ES, body=ES_PAGE.encode(), encoding="utf-8")
    found = extract_article(response, ES)
    assert found is not None and found.related == ES_RELATED
    assert related_links(response, ES) == (ES_RELATED, {})
    values, _ = n.normalize_fields(ES, found.fields)
    assert values["related_urls"] == ES_RELATED
    # Relative links in raw values resolve on the article's edition too.
    assert n.related_urls_processor(["/20260728/otro-1090000000.html"], base=ES) == ES_RELATED[:1]


def test_related_links_with_the_crawls_table() -> None:
    table = packaged_table().updated(
        {"es": {"host": "noticias.example.net", "former_hosts": MOVED}}
    )
    moved = "https://noticias.example.net/20260729/titular-1090000001.html"
    response = HtmlResponse(moved, body=ES_PAGE.encode(), encoding="utf-8")
    expected = [u.replace("noticiaslatam.lat", "noticias.example.net") for u in ES_RELATED]
    page = Page.of(response, moved, table)
    assert page.editions is table and Page.of(page, editions=packaged_table()).editions is table
    found = extract_article(page)
    assert found is not None and found.related == expected
    assert related_links(response, moved, table)[0] == expected
