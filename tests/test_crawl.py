"""End to end: ``scrapy crawl sputnik`` over real HTTP against the mirror, checked against the
manifest's truth, the mirror's request counts and the crawl's stats."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from crawler.items import ArticleItem
from tests.crawl import MONITORED, Crawl, run_crawl
from tests.mirror import seed as real
from tests.mirror.manifest import COLUMNS, reachable, record
from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.process import Mirror, run_mirror
from tests.test_stats import assert_stats_documented

ARTICLES = 600
DEPTH = 4
SEED_URL = PUBLIC_ORIGIN + real.SEED_PATH
SEED_TXT = Path(__file__).parent / "mirror" / "data" / "seed-article.txt"
# The manifest's columns the crawler writes (all of them once it writes ``layout``).
WRITTEN = tuple(c for c in COLUMNS if c in {f.name for f in fields(ArticleItem)})


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(ARTICLES)


@pytest.fixture(scope="module")
def crawl_mirror() -> Any:
    with run_mirror(articles=ARTICLES) as running:
        yield running


@pytest.fixture(scope="module")
def seed_crawl(crawl_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    before = crawl_mirror.stats()
    crawl = run_crawl(
        crawl_mirror,
        tmp_path_factory.mktemp("seed-crawl"),
        "-a",
        f"seeds={SEED_URL}",
        settings={"DEPTH_LIMIT": str(DEPTH), **MONITORED},
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    crawl.stats["mirror_before"] = before
    crawl.stats["mirror_after"] = crawl_mirror.stats()
    return crawl


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def withheld(site: Site, expected: dict[int, int], depth_limit: int) -> dict[str, str]:
    """Linked pages robots.txt withholds: never fetched, kept as rejects."""
    return {
        site.stubs[t].url: "robots-disallowed"
        for i, d in expected.items()
        if d < depth_limit
        for t in site.related(i)
        if site.stubs[t].day == ROBOTS_DISALLOWED_DAY
    }


def as_truth(row: dict[str, Any]) -> dict[str, Any]:
    """A dataset row in the manifest's notation (timestamps as ISO strings in UTC)."""
    out = {}
    for name in WRITTEN:
        value = row[name]
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
        out[name] = value
    return out


def test_crawl_reaches_exactly_the_reachable_articles(seed_crawl: Crawl, site: Site) -> None:
    expected = reachable(site, [site.seed_index], DEPTH)
    written = rows(seed_crawl.articles)
    urls = Counter(r["url"] for r in written)
    assert all(n == 1 for n in urls.values()), "each article written once"
    truths = {i: record(site, i) for i in expected}
    good = {t["url"] for t in truths.values() if t["status"] == "article"}
    bad = {t["url"]: t["reject_reason"] for t in truths.values() if t["status"] == "rejected"}
    assert set(urls) == good
    robots = withheld(site, expected, DEPTH)
    assert robots, "the crawl meets robots.txt"
    rejects = Counter((r["url"], r["reason"]) for r in rows(seed_crawl.rejects))
    assert rejects == Counter((bad | robots).items())
    depths = {r["url"]: r["depth"] for r in written}
    assert depths == {
        site.stubs[i].url: d for i, d in expected.items() if site.stubs[i].url in good
    }


def test_every_field_equals_the_manifest(seed_crawl: Crawl, site: Site) -> None:
    for row in rows(seed_crawl.articles):
        truth = record(site, site.by_path[row["url"][len(PUBLIC_ORIGIN) :]])
        assert as_truth(row) == {k: truth[k] for k in WRITTEN}, truth["variants"]
        assert row["job_id"] and row["fetched_at"] is not None
    seed = next(r for r in rows(seed_crawl.articles) if r["url"] == SEED_URL)
    assert seed["depth"] == 0 and seed["referer"] is None
    # and straight against the values the user handed over (seed-article.txt)
    lines = [line for line in SEED_TXT.read_text().splitlines() if line.strip()]
    assert seed["headline"] == lines[1] and seed["description"] == lines[4]
    assert seed["published_at"].isoformat() == "2024-04-10T02:11:00+00:00"
    assert [seed["section"], *seed["tags"], seed["image_url"]] == lines[8:19]
    assert seed["body"].replace("\n\n", "") == lines[19]
    assert seed["related_urls"] == lines[20:22]
    assert seed["authors"] == [lines[27]] and seed["genre"] == lines[29]
    assert seed["language"] == "en" and seed["copyright_year"] == int(lines[26])
    assert seed["publisher"]["legal_name"] == "MIA „Rosiya Segodnya“"
    assert [f"{i['width']} {i['height']} true" for i in seed["images"]] == lines[32:35]
    assert seed["keywords"] == [k.strip() for k in lines[-1].split(",")]
    assert seed["date"] in ("2024-04-10", datetime(2024, 4, 10).date())


def test_stats_follow_one_scheme_and_are_documented(seed_crawl: Crawl) -> None:
    assert_stats_documented(seed_crawl.stats)


def test_requests_stay_on_the_mirror_and_happen_once(seed_crawl: Crawl, site: Site) -> None:
    before, after = seed_crawl.stats["mirror_before"], seed_crawl.stats["mirror_after"]
    paths = Counter(after["paths"]) - Counter(before["paths"])
    served = after["requests"] - before["requests"]
    assert served == seed_crawl.stats["downloader/request_count"]
    assert paths.pop("/robots.txt") == 1
    expected = reachable(site, [site.seed_index], DEPTH)
    assert paths == Counter({site.stubs[i].path: 1 for i in expected})
    # through SITE_ORIGIN, every request names the public host it is for
    hosts = Counter(after["hosts"]) - Counter(before["hosts"])
    assert set(hosts) == {"sputnikglobe.com"}
    assert seed_crawl.stats["sputnik/writer/articles-written"] == len(rows(seed_crawl.articles))


def test_listing_seed_drops_other_links_by_reason(crawl_mirror: Mirror, tmp_path: Path) -> None:
    crawl = run_crawl(
        crawl_mirror,
        tmp_path,
        "-a",
        f"seeds={crawl_mirror.url}/world/",
        settings={"DEPTH_LIMIT": "1", **MONITORED},
    )
    assert crawl.returncode == 0, crawl.log[-2000:]
    for reason in ("not-article", "off-site", "bad-scheme"):
        assert crawl.stats.get(f"sputnik/links/dropped/{reason}", 0) > 0, reason
    assert crawl.stats["sputnik/seeds/read/html"] == 1
    depths = Counter(r["depth"] for r in rows(crawl.articles))
    assert set(depths) == {0, 1} and depths[0] >= 15  # the listing's 20 articles, then one hop
    assert "Crawl finished" in crawl.log


def test_robots_txt_is_obeyed(crawl_mirror: Mirror, site: Site, tmp_path: Path) -> None:
    withheld = next(s for s in site.stubs if s.day == "20240102")
    crawl = run_crawl(crawl_mirror, tmp_path, "-a", f"seeds={withheld.url}")
    assert crawl.returncode == 0
    assert crawl.stats.get("robotstxt/forbidden") == 1
    assert [r["reason"] for r in rows(crawl.rejects)] == ["robots-disallowed"]
    assert rows(crawl.articles) == []


def test_rss_seed_gives_depth_zero_articles(
    crawl_mirror: Mirror, site: Site, tmp_path: Path
) -> None:
    crawl = run_crawl(
        crawl_mirror, tmp_path, "-a", "source=rss", settings={"DEPTH_LIMIT": "1", **MONITORED}
    )
    assert crawl.returncode == 0, crawl.log[-2000:]
    latest = [s.index for s in site.latest(100)]
    expected = reachable(site, latest, 1)
    written = {r["url"]: r["depth"] for r in rows(crawl.articles)}
    rejected = {r["url"] for r in rows(crawl.rejects)}
    assert set(written) | rejected == {site.stubs[i].url for i in expected}
    assert {written[s.url] for s in site.latest(100) if s.url in written} == {0}


@pytest.mark.parametrize(
    ("args", "settings", "named"),
    [
        (["-a", "since=2024-13-01", "-a", "source=sitemap"], {}, "since"),
        (["-a", "source=atom"], {}, "source"),
        (["-a", "seeds=https://example.invalid/x.html"], {}, "seeds"),
        ([], {"SITE_ORIGIN": "ftp://127.0.0.1"}, "SITE_ORIGIN"),
        ([], {"DATASET_FLUSH_ROWS": "many"}, "DATASET_FLUSH_ROWS"),
        ([], {"RETRY_BACKOFF_BASE_SECS": "-1"}, "RETRY_BACKOFF_BASE_SECS"),
    ],
)
def test_bad_input_stops_at_start(
    tmp_path: Path, args: list[str], settings: dict[str, str], named: str
) -> None:
    crawl = run_crawl(
        None, tmp_path, *args, settings={"SITE_ORIGIN": "http://127.0.0.1:9", **settings}
    )
    assert crawl.returncode != 0
    assert named in crawl.log
    assert crawl.stats.get("downloader/request_count", 0) == 0


FAULTS = ";".join(
    [
        "429=1@/2024*%15x1",  # Retry-After: 1, then fine
        "status=503@/2024*%10x1",
        "status=500@/2024*%5x2",
        "drop@/2024*%5x1",
        "truncate@/2024*%5x1",
        "redirect=2@/2024*%5",
        "gzip@/2024*%15",
        "cp1251@/2024*%10",
        "ctype=application/octet-stream@/2024*%5",
        "slow=0.3@/2024*%5",
    ]
)


def test_faults_lose_nothing(site: Site, seed_crawl: Crawl, tmp_path: Path) -> None:
    """Transient faults are retried, odd encodings decoded: the same rows as a clean crawl."""
    deepest = sorted(reachable(site, [site.seed_index], DEPTH).items(), key=lambda kv: -kv[1])
    gone, looping = (site.stubs[i] for i, _ in deepest[:2])  # their links are not followed
    faults = f"status=410@{gone.path};loop@{looping.path};{FAULTS}"
    with run_mirror(articles=ARTICLES, faults=faults) as faulty:
        crawl = run_crawl(
            faulty,
            tmp_path,
            "-a",
            f"seeds={SEED_URL}",
            settings={"DEPTH_LIMIT": str(DEPTH), "LOGSTATS_INTERVAL": "0.5", **MONITORED},
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    clean = {r["url"]: as_truth(r) for r in rows(seed_crawl.articles)}
    faulted = {r["url"]: as_truth(r) for r in rows(crawl.articles)}
    assert looping.url in clean and gone.url in clean
    assert faulted == {url: row for url, row in clean.items() if url not in (gone.url, looping.url)}
    rejects = {r["url"]: r["reason"] for r in rows(crawl.rejects)}
    assert rejects[gone.url] == "http-410"
    assert rejects[looping.url] == "too-many-redirects"
    # the periodic progress line (the retries' waits make this crawl last a few seconds)
    assert re.search(
        r"Fetched \d+ pages \(at \d+ pages/min\), \d+ articles written, \d+ rejects,"
        r" \d+ requests queued",
        crawl.log,
    )
    assert crawl.stats["retry/count"] >= 5
    assert crawl.stats["sputnik/retry/retry-after-honoured"] >= 1
    assert not crawl.stats.get("retry/max_reached")
    assert_stats_documented(crawl.stats)


def test_sitemap_seed_for_a_date_range(crawl_mirror: Mirror, site: Site, tmp_path: Path) -> None:
    crawl = run_crawl(
        crawl_mirror,
        tmp_path,
        *("-a", "source=sitemap", "-a", "since=2024-01-04", "-a", "until=2024-01-04"),
        settings={"DEPTH_LIMIT": "1", **MONITORED},
    )
    assert crawl.returncode == 0, crawl.log[-2000:]
    day = [s.index for s in site.stubs if s.day == "20240104"]
    truths = [record(site, i) for i in day]
    seeds = {r["url"] for r in rows(crawl.articles) if r["depth"] == 0}
    assert seeds == {t["url"] for t in truths if t["status"] == "article"}
    expected = reachable(site, day, 1)
    written = {r["url"] for r in rows(crawl.articles)} | {r["url"] for r in rows(crawl.rejects)}
    assert written == {site.stubs[i].url for i in expected} | set(withheld(site, expected, 1))
    assert crawl.stats["sputnik/seeds/read/sitemap"] == 1
