"""The archive of 2019-2020 (``Site(..., archive=M)``): its place in the model, its truth, the
old-form redirects, and how crawls reach it (sitemaps, listings, related links); served over HTTP.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import subprocess
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawl import run_crawl
from tests.mirror import model, pages, render_lists
from tests.mirror.manifest import COLUMNS, reachable, record
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror
from tests.test_crawl import WRITTEN, as_truth, rows

ARTICLES = 300
ARCHIVE = 400


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(ARTICLES, archive=ARCHIVE)


@pytest.fixture(scope="module")
def served() -> Mirror:
    with run_mirror(articles=ARTICLES, archive=ARCHIVE) as running:
        yield running


def test_archive_comes_first_and_is_2019_2020(site: Site) -> None:
    assert len(site) == site.total == ARTICLES + ARCHIVE
    archive, current = site.stubs[:ARCHIVE], site.stubs[ARCHIVE:]
    assert {s.published.year for s in archive} == {2019, 2020}
    assert all(s.published.year >= 2024 for s in current)
    assert all(s.layout == "current" and not s.old_path for s in current)
    assert any(s.published.second for s in archive)  # the earlier template's times have seconds
    assert len({s.article_id for s in site.stubs}) == len({s.path for s in site.stubs}) == len(site)
    for stub in archive:
        assert pages.ARTICLE_PATH.match(stub.path) and stub.path.endswith(
            f"-{stub.article_id}.html"
        )
        section = "arab_world" if stub.language == "ar" else stub.section
        assert stub.old_path == f"/{section}/{stub.day}{stub.article_id}-" + (
            stub.path.split("/")[2].rsplit("-", 1)[0] + "/"
        )
        assert pages.OLD_ARTICLE_PATH.match(stub.old_path)
        assert 1_073_000_000 < stub.article_id < model.FIRST_GENERATED_ID


def test_layout_proportions(site: Site) -> None:
    counts = Counter(s.layout for s in site.stubs[:ARCHIVE])
    arabic = [s for s in site.stubs[:ARCHIVE] if s.language == "ar"]
    assert {s.layout for s in arabic} == {"earlier"} and len(arabic) >= ARCHIVE // 25
    for layout, percent in model.LAYOUTS:
        p = percent / 100
        sigma = math.sqrt(ARCHIVE * p * (1 - p))
        assert abs(counts[layout] - ARCHIVE * p) <= 4 * sigma + 1, (layout, counts)


def test_the_rest_of_the_site_does_not_change(site: Site) -> None:
    """2024 articles keep their ids, paths, text and truth; only related links that reached
    the earliest 2024 articles gain one to an archive article, at the end of their list."""
    plain = Site(ARTICLES)
    for before, after in zip(plain.stubs, site.stubs[ARCHIVE:], strict=True):
        assert (before.path, before.article_id, before.published) == (
            after.path,
            after.article_id,
            after.published,
        )
        old, new = record(plain, before.index), record(site, after.index)
        if old["related_urls"] != new["related_urls"]:
            assert any(t < ARCHIVE for t in site.related(after.index))
            if before.variants.kind != "live":
                assert sorted(old["body"].split("\n\n")) == sorted(new["body"].split("\n\n"))
            for name in ("related_urls", "body", "word_count", "content_hash"):
                old.pop(name), new.pop(name)
        assert old == new
    seed = site.seed_index
    assert [site.stubs[t].url for t in site.related(seed)] == [
        plain.stubs[t].url for t in plain.related(plain.seed_index)
    ]


def test_archive_truth(site: Site) -> None:
    for index in range(ARCHIVE):
        rec = record(site, index)
        assert set(rec) >= set(COLUMNS) and rec["layout"] == site.stubs[index].layout
        assert rec["status"] == "article" and rec["published_at"].startswith(("2019", "2020"))
        if rec["layout"] == "current":
            continue
        assert rec["publisher"] is rec["copyright_year"] is rec["genre"] is None
        assert rec["images"] == []
        assert not any("Sputnik" in a for a in rec["authors"])
        assert all(u.startswith("https://sputnikglobe.com/20") for u in rec["related_urls"])
        assert all(
            site.by_path[u[len(model.PUBLIC_ORIGIN) :]] < ARCHIVE for u in rec["related_urls"]
        )
        if site.stubs[index].language == "ar":
            assert rec["language"] == "ar" and rec["section"] == "العالم العربي"
            assert rec["authors"] == [] and re.search("[\u0600-\u06ff]", rec["body"])
        if rec["layout"] == "generic":
            assert rec["related_urls"] == [] and rec["created_at"] is None
            assert rec["keywords"] == []
        else:
            assert rec["created_at"] == rec["published_at"] and rec["modified_at"]


def test_crawls_reach_the_archive(site: Site) -> None:
    """Through related links from 2024 (the earliest articles link back), and among themselves."""
    reached = reachable(site, [site.seed_index], 0)
    layouts = Counter(site.stubs[i].layout for i in reached if i < ARCHIVE)
    assert layouts["earlier"] > 50 and layouts["generic"] > 5 and layouts["current"] > 10
    linking = [i for i in range(ARCHIVE, len(site)) if any(t < ARCHIVE for t in site.related(i))]
    assert 0.3 * model.ARCHIVE_REACH <= len(linking) <= 0.7 * model.ARCHIVE_REACH
    assert max(linking) < ARCHIVE + model.ARCHIVE_REACH


def test_sitemaps_and_listings_name_the_archive(site: Site) -> None:
    index = pages.render(site, "/sitemap_article_index.xml").body.decode()
    assert "date_start=20190101&amp;date_end=20190131" in index
    assert "date_start=20201201&amp;date_end=20201231" in index
    month = pages.render(site, "/sitemap_article.xml?date_start=20200301&date_end=20200331")
    listed = re.findall(r"<loc>([^<]+)</loc>", month.body.decode())
    assert listed == [s.url for s in reversed(site.stubs[:ARCHIVE]) if s.day[:6] == "202003"]
    assert listed
    for section in ("world", "economy"):
        listed = render_lists._section_index(site)[section]
        assert listed[-1] < ARCHIVE  # the last "more" fragments of a section list reach 2019
    rss = pages.render(site, "/export/rss2/archive/index.xml").body.decode()
    assert not any(s.url in rss for s in site.stubs[:ARCHIVE])  # the feed is the latest 100


def test_old_form_redirects_to_the_canonical_page(served: Mirror, site: Site) -> None:
    parts = urlsplit(served.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    for layout in ("earlier", "generic", "current"):
        stub = next(s for s in site.stubs[:ARCHIVE] if s.layout == layout)
        connection.request("GET", stub.old_path)
        response = connection.getresponse()
        assert response.read() == b""
        assert (response.status, response.getheader("Location")) == (301, stub.path)
        connection.request("GET", stub.path)
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 200 and stub.headline.split("’")[0] in body.replace("&#x27;", "'")
    earlier = next(s for s in site.stubs[:ARCHIVE] if s.layout == "earlier")
    for missing in (
        earlier.old_path.replace(str(earlier.article_id), str(earlier.article_id + 1)),
        "/amp" + earlier.path,
        "/world/201901011070000000-no-such-story/",
    ):
        connection.request("GET", missing)
        response = connection.getresponse()
        response.read()
        assert response.status == 404, missing
    connection.close()


def test_manifest_cli_writes_the_archive(tmp_path) -> None:
    out = tmp_path / "manifest.jsonl"
    command = [sys.executable, "-m", "tests.mirror", "manifest", "--articles", "10"]
    subprocess.run([*command, "--archive", "30", "--out", str(out)], cwd=REPO_ROOT, check=True)
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    site = Site(10, archive=30)
    assert written == [json.loads(json.dumps(record(site, i))) for i in range(40)]
    assert {r["layout"] for r in written[:30]} <= {"earlier", "generic", "current"}
    assert all(r["old_path"] for r in written[:30]) and not any(r["old_path"] for r in written[30:])


def test_a_crawl_of_archive_months(served: Mirror, site: Site, tmp_path: Path) -> None:
    """``scrapy crawl`` seeded from the 2020-03 sitemap, one hop: every page of the month, in
    whichever layout, is a row, and every row equals the truth."""
    crawl = run_crawl(
        served,
        tmp_path,
        *("-a", "source=sitemap", "-a", "since=2020-03-01", "-a", "until=2020-03-31"),
        settings={"DEPTH_LIMIT": "1"},
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    month = [s for s in site.stubs[:ARCHIVE] if s.day.startswith("202003")]
    written = {r["url"]: as_truth(r) for r in rows(crawl.articles)}
    rejected = {r["url"] for r in rows(crawl.rejects)}
    assert {s.url for s in month} <= set(written)  # and what their links reach
    assert {s.layout for s in month} == {"current", "earlier", "generic"}
    assert not rejected & {s.url for s in month}
    for url, row in written.items():
        truth = record(site, site.by_path[urlsplit(url).path])
        if truth["layout"] == "generic":  # a text extractor's body: close, not exact
            similarity = SequenceMatcher(None, row["body"], truth["body"]).ratio()
            assert similarity >= 0.95, (url, similarity)
            for derived in ("body", "word_count", "content_hash"):
                row.pop(derived), truth.pop(derived)
        assert row == {k: truth[k] for k in WRITTEN if k in row}, url
