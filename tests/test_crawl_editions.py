"""End to end across editions: ``scrapy crawl sputnik -a editions=en,es,ar,zh`` over real HTTP
against a mirror serving five editions (``ja`` too, which the crawl does not choose), every
edition's requests through one ``SITE_ORIGIN`` with its public host in ``Host``; checked against
the manifest's truth, the mirror's request counts by ``Host`` and the crawl's stats."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.dataset import read_articles, read_rejects
from crawler.editions import packaged_table
from tests.crawl import MONITORED, Crawl, run_crawl
from tests.mirror.process import Mirror, run_mirror
from tests.mirror.sites import Editions
from tests.test_crawl import WRITTEN, as_truth
from tests.test_stats import assert_stats_documented

SERVED = ("en", "es", "ar", "zh", "ja")
CHOSEN = ("en", "es", "ar", "zh")
ARTICLES = 400  # per edition
DEPTH = 0  # no limit: which link reaches a page first cannot change what is reached
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def mirror() -> Any:
    with run_mirror(articles=ARTICLES, editions=SERVED) as running:
        yield running


@pytest.fixture(scope="module")
def model(mirror: Mirror) -> Editions:
    return mirror.model()


@pytest.fixture(scope="module")
def crawl(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    before = mirror.stats()
    done = run_crawl(
        mirror,
        tmp_path_factory.mktemp("editions-crawl"),
        "-a",
        "editions=" + ",".join(CHOSEN),
        settings={"DEPTH_LIMIT": str(DEPTH), **MONITORED},
    )
    assert done.returncode == 0, done.log[-3000:]
    done.stats["mirror_before"] = before
    done.stats["mirror_after"] = mirror.stats()
    return done


def articles(crawl: Crawl) -> list[dict[str, Any]]:
    return read_articles(crawl.articles).to_pylist()


def test_writes_exactly_the_reachable_articles_of_the_chosen_editions(
    crawl: Crawl, model: Editions
) -> None:
    truth = model.records(CHOSEN, DEPTH)
    written = articles(crawl)
    urls = Counter(row["url"] for row in written)
    assert all(n == 1 for n in urls.values()), "each article written once"
    good = {url for url, rec in truth.items() if rec["status"] == "article"}
    assert set(urls) == good
    assert {row["edition"] for row in written} == set(CHOSEN)
    bad = {url: rec["reject_reason"] for url, rec in truth.items() if rec["status"] == "rejected"}
    withheld = model.withheld(model.reachable(CHOSEN, DEPTH), DEPTH, CHOSEN)
    robots = {model[code].stubs[index].url: "robots-disallowed" for code, index in withheld}
    assert robots, "every edition's robots.txt is obeyed"
    rejects = Counter((r["url"], r["reason"]) for r in read_rejects(crawl.rejects).to_pylist())
    assert rejects == Counter((bad | robots).items())


def test_every_column_equals_the_truth(crawl: Crawl, model: Editions) -> None:
    truth = model.records(CHOSEN, DEPTH)
    assert "edition" in WRITTEN and "language" in WRITTEN
    for row in articles(crawl):
        expected = truth[row["url"]]
        assert as_truth(row) == {k: expected[k] for k in WRITTEN}, expected["variants"]


def test_ids_repeat_across_editions_and_both_articles_are_kept(crawl: Crawl) -> None:
    editions_of: dict[int, set[str]] = {}
    for row in articles(crawl):
        editions_of.setdefault(row["article_id"], set()).add(row["edition"])
    assert any(len(found) > 1 for found in editions_of.values())


def test_chinese_word_count_is_about_its_characters(crawl: Crawl) -> None:
    chinese = [r for r in articles(crawl) if r["edition"] == "zh" and r["body"]]
    assert chinese
    for row in chinese:
        han = len(CJK.findall(row["body"]))
        assert han > 100
        # Each Han character a word, plus the few Latin words and numbers among them.
        assert han <= row["word_count"] <= han * 1.2, row["url"]
        assert row["body"] == unicodedata.normalize("NFC", row["body"])


def test_no_request_reaches_an_edition_not_chosen(crawl: Crawl, model: Editions) -> None:
    before, after = crawl.stats["mirror_before"], crawl.stats["mirror_after"]
    hosts = Counter(after["hosts"]) - Counter(before["hosts"])
    table = packaged_table()
    assert {table.by_host(host).code for host in hosts} == set(CHOSEN)  # type: ignore[union-attr]
    assert not [h for h in hosts if table.by_host(h).code == "ja"]  # type: ignore[union-attr]
    # The cross-edition links to ja exist, and were dropped as off-edition, never fetched.
    assert crawl.stats["sputnik/links/dropped/off-edition"] > 0
    # One robots.txt per chosen edition's public host.
    paths = Counter(after["paths"]) - Counter(before["paths"])
    assert paths["/robots.txt"] == len(CHOSEN)


def test_partitions_hold_one_edition_each(crawl: Crawl) -> None:
    folders = {p.parent.parent.name for p in Path(crawl.articles).rglob("*.parquet")}
    assert folders == {f"edition={code}" for code in CHOSEN}
    for code in CHOSEN:
        table = read_articles(Path(crawl.articles) / f"edition={code}")
        assert set(table.column("site").to_pylist()) == {packaged_table()[code].host}


def test_stats_follow_one_scheme_and_are_documented(crawl: Crawl) -> None:
    assert_stats_documented(crawl.stats)
