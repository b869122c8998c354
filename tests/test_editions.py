"""The editions table (``crawler/editions.py``): loading, overrides, and how the spider uses it.

Crawl-level behaviour across editions (seeds, off-edition links, no request to an edition not
chosen) is tested against the multi-edition mirror in ``tests/test_crawl_editions.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.config import ConfigError
from crawler.editions import EditionsError, load_table, packaged_table
from crawler.spiders.sputnik import SputnikSpider
from crawler.urls import canonicalize, edition_of
from tests.crawl import config_of, run_crawl
from tests.hostile import HostileServer

ORIGIN = "http://127.0.0.1:1"


def spider(settings: dict[str, object] | None = None, **arguments: str) -> SputnikSpider:
    crawler = get_crawler(SputnikSpider, {"SITE_ORIGIN": ORIGIN, **(settings or {})})
    return SputnikSpider.from_crawler(crawler, **arguments)


# -- the table ---------------------------------------------------------------------------------


def test_packaged_table_holds_the_known_editions() -> None:
    table = packaged_table()
    codes = [e.code for e in table]
    assert codes[0] == "en" and len(codes) == len(set(codes)) >= 20
    assert {"en", "en-af", "en-in", "es", "ar", "zh", "ja", "tr", "ru-by", "kk"} <= set(codes)
    assert table["en"].host == "sputnikglobe.com"
    assert table["es"].former_hosts == ("mundo.sputniknews.com", "sputniknews.lat")
    assert table["zh"].time_zone == "Asia/Shanghai"
    # Every host, current or former, with or without www., names exactly one edition.
    for edition in table:
        for host in edition.hosts:
            assert table.by_host(host) is edition
            assert table.by_host(host.upper() + ".") is edition
    assert table.by_host("example.com") is None
    assert table.by_host(None) is None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://sputnikglobe.com/20240101/x-1.html", "en"),
        ("http://www.sputniknews.com/x", "en"),
        ("https://mundo.sputniknews.com/20240101/x-1.html", "es"),
        ("https://SARABIC.AE:8443/", "ar"),
        ("https://sputnik.by/", "ru-by"),
        ("https://bel.sputnik.by/", "be"),
        ("https://example.com/", None),
    ],
)
def test_edition_of_a_url(url: str, code: str | None) -> None:
    edition = edition_of(url)
    assert (edition.code if edition else None) == code


def test_former_hosts_canonicalize_to_the_current_host() -> None:
    assert canonicalize("https://www.mundo.sputniknews.com/amp/20240101/hola-1117838001.html") == (
        "https://noticiaslatam.lat/20240101/hola-1117838001.html",
        None,
    )
    assert canonicalize("/20240101/1117838001.html", "https://sputniknews.cn/x/") == (
        "https://sputniknews.cn/20240101/1117838001.html",
        None,
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "is not JSON"),
        ('{"editions": []}', "non-empty"),
        ('{"editions": [{"code": "en"}]}', "'host' must be a non-empty string"),
        (
            '{"editions": [{"code": "EN", "host": "a.com", "language": "en", "name": "A"}]}',
            "code must look like",
        ),
        (
            '{"editions": [{"code": "en", "host": "www.a.com", "language": "en", "name": "A"}]}',
            "without www.",
        ),
        (
            '{"editions": [{"code": "en", "host": "a.com", "language": "en", "name": "A",'
            ' "time_zone": "Mars/Olympus"}]}',
            "IANA zone",
        ),
        (
            '{"editions": [{"code": "en", "host": "a.com", "language": "en", "name": "A"},'
            ' {"code": "es", "host": "b.com", "language": "es", "name": "B",'
            ' "former_hosts": ["a.com"]}]}',
            "in two editions",
        ),
        (
            '{"editions": [{"code": "en", "host": "a.com", "language": "en", "name": "A",'
            ' "colour": "red"}]}',
            "unknown field 'colour'",
        ),
    ],
)
def test_a_broken_table_is_refused_with_the_place(document: str, message: str) -> None:
    with pytest.raises(EditionsError, match=message):
        load_table(document, "test table")


def test_editions_setting_moves_a_host_without_touching_code() -> None:
    moved = {
        "ar": {"host": "sarabic.news", "former_hosts": ["sarabic.ae", "arabic.sputniknews.com"]}
    }
    table = config_of({"EDITIONS": json.dumps(moved)}).editions
    assert table["ar"].host == "sarabic.news" and table["ar"].name == "Sputnik Arabic"
    assert canonicalize("https://sarabic.ae/20240101/x-1117838001.html", editions=table) == (
        "https://sarabic.news/20240101/x-1117838001.html",
        None,
    )
    added = config_of({"EDITIONS": {"xx": {"host": "x.test", "language": "de", "name": "X"}}})
    assert added.editions["xx"].origin == "https://x.test"


def test_editions_file_replaces_the_table(tmp_path: Path) -> None:
    path = tmp_path / "editions.json"
    rows = [{"code": "en", "host": "sputnikglobe.example", "language": "en", "name": "S"}]
    path.write_text(json.dumps({"editions": rows}))
    table = config_of({"EDITIONS_FILE": str(path)}).editions
    assert [e.host for e in table] == ["sputnikglobe.example"]
    assert table.by_host("sputnikglobe.com") is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"EDITIONS": "[1]"}, "EDITIONS must be a JSON object"),
        ({"EDITIONS": {"ar": {"host": "not a host"}}}, r"EDITIONS\['ar'\]"),
        ({"EDITIONS": {"ar": {"code": "es"}}}, "code cannot be changed"),
        ({"EDITIONS_FILE": "/nonexistent/editions.json"}, "EDITIONS_FILE: cannot read"),
    ],
)
def test_bad_editions_settings_name_the_setting(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_of(settings)


def test_the_live_site_is_each_editions_own_host() -> None:
    assert config_of({}).site_origin == ""
    assert config_of({"SITE_ORIGIN": "https://sputnikglobe.com/"}).site_origin == ""
    assert config_of({"SITE_ORIGIN": "https://www.sarabic.ae"}).site_origin == ""
    assert config_of({"SITE_ORIGIN": ORIGIN + "/"}).site_origin == ORIGIN


# -- the spider's editions -----------------------------------------------------------------------


def test_default_is_english_with_its_seed_article_and_feed() -> None:
    crawl = spider()
    assert [e.code for e in crawl.editions] == ["en"]
    assert crawl.seed_urls == [
        "https://sputnikglobe.com/20240410/china-sending-message-that-it-has-russias-back-if-west-escalates-1117838001.html",
        "https://sputnikglobe.com/export/rss2/archive/index.xml",
    ]


def test_each_chosen_edition_gets_its_own_seeds() -> None:
    crawl = spider(editions="es,zh")
    assert [e.code for e in crawl.editions] == ["es", "zh"]
    assert crawl.seed_urls == [
        "https://noticiaslatam.lat/export/rss2/archive/index.xml",
        "https://sputniknews.cn/export/rss2/archive/index.xml",
    ]
    crawl = spider(editions="ar", source="sitemap", since="2024-01-15", until="2024-02-02")
    assert crawl.seed_urls == [
        "https://sarabic.ae/sitemap_article.xml?date_start=20240115&date_end=20240131",
        "https://sarabic.ae/sitemap_article.xml?date_start=20240201&date_end=20240202",
    ]
    assert len(spider(editions="all", source="rss").seed_urls) == len(packaged_table())


def test_seeds_on_an_editions_host_add_that_edition() -> None:
    seed = "https://mundo.sputniknews.com/20240101/hola-1117838001.html"
    crawl = spider(seeds=seed)
    assert [e.code for e in crawl.editions] == ["es"] and crawl.seed_urls == [seed]
    crawl = spider(editions="en", seeds=seed, source="urls")
    assert [e.code for e in crawl.editions] == ["en", "es"]
    # A seed on SITE_ORIGIN is the first chosen edition's.
    crawl = spider(editions="ja", seeds=ORIGIN + "/20240101/1117838001.html")
    assert crawl.to_public(crawl.seed_urls[0]) == "https://sputniknews.jp/20240101/1117838001.html"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"editions": "en,xx"}, "spider argument editions: unknown edition 'xx'"),
        ({"seeds": "https://example.com/20240101/x-1.html"}, "not on an edition's host"),
    ],
)
def test_bad_editions_arguments_stop_the_spider(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spider(**arguments)


def test_an_unknown_edition_stops_the_crawl_before_any_request(tmp_path: Path) -> None:
    with HostileServer() as server:
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "editions=en,klingon",
            settings={"SITE_ORIGIN": server.url},
        )
        assert server.requests == []
    assert crawl.returncode == 1
    assert "ERROR: Not started: spider argument editions: unknown edition 'klingon'" in crawl.log


def test_readme_lists_the_packaged_table() -> None:
    """The README's table of editions is the packaged one, row for row."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [
        line
        for line in readme.split("## Editions", 1)[1].split("\n## ", 1)[0].splitlines()
        if line.startswith("| `")
    ]
    expected = [
        f"| `{e.code}` | {e.host} | {', '.join(e.former_hosts)} | `{e.language}` | {e.name} |"
        for e in packaged_table()
    ]
    assert rows == expected
