"""The mirror's clock: only the first K articles are out, and moving K publishes more.

Pages are rendered in-process with ``pages.render``; one test moves the clock of a running
mirror over HTTP.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from tests.mirror import pages, render_feeds
from tests.mirror.manifest import record
from tests.mirror.model import PUBLIC_ORIGIN, Site
from tests.mirror.process import REPO_ROOT, run_mirror

ARTICLES = 400
EARLY = 300
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Any article path on a page, whatever form the link takes (href, JSON-LD, scripts).
ARTICLE_PATH = re.compile(r"/\d{8}/[^\"'\s<>?#/]*\.html")


@pytest.fixture(scope="module")
def full() -> Site:
    return Site(ARTICLES)


@pytest.fixture(scope="module")
def early() -> Site:
    return Site(ARTICLES, published=EARLY)


def rss_links(site: Site) -> list[str]:
    body = pages.render(site, render_feeds.RSS_PATH).body
    return [link.text or "" for link in ET.fromstring(body).iter("link")][1:]


def sitemap_locs(site: Site) -> set[str]:
    index = ET.fromstring(pages.render(site, render_feeds.SITEMAP_INDEX_PATH).body)
    locs: set[str] = set()
    for loc in index.iter(f"{SITEMAP}loc"):
        child = ET.fromstring(pages.render(site, (loc.text or "")[len(PUBLIC_ORIGIN) :]).body)
        locs |= {u.text or "" for u in child.iter(f"{SITEMAP}loc")}
    return locs


def test_only_the_first_k_articles_are_out(full: Site, early: Site) -> None:
    assert len(early) == EARLY and early.total == len(full) == ARTICLES
    assert early.stubs == full.stubs[:EARLY]
    for stub in full.stubs[EARLY:]:
        assert pages.render(early, stub.path).status == 404
        assert pages.render(early, "/amp" + stub.path).status == 404
    assert pages.render(early, full.stubs[EARLY - 1].path).status == 200
    assert rss_links(early) == [s.url for s in full.stubs[EARLY - 100 : EARLY][::-1]]
    assert sitemap_locs(early) == {s.url for s in full.stubs[:EARLY]}
    assert sitemap_locs(full) == {s.url for s in full.stubs}


def test_nothing_links_to_an_article_not_yet_out(full: Site, early: Site) -> None:
    unpublished = {s.path for s in full.stubs[EARLY:]}
    assert any(t >= EARLY for i in range(EARLY) for t in full.related(i)), "forward links exist"
    paths = ["/", "/world/", "/services/widget/lenta/", *(s.path for s in early.stubs[::5])]
    seen_later = set()
    for path in paths:
        html = pages.render(early, path).body.decode()
        assert not set(ARTICLE_PATH.findall(html)) & unpublished, path
        seen_later |= set(ARTICLE_PATH.findall(pages.render(full, path).body.decode()))
    assert seen_later & unpublished, "the same pages name them once they are out"
    for index in range(EARLY):
        assert all(t < EARLY for t in early.related(index))
        assert set(early.related(index)) == {t for t in full.related(index) if t < EARLY}


def test_article_text_does_not_depend_on_the_clock(full: Site, early: Site) -> None:
    out = {s.url for s in early.stubs}
    for index in range(EARLY):
        now, later = record(early, index), record(full, index)
        assert now["content_hash"] == later["content_hash"], index
        assert now["body"] == later["body"], index
        assert now["related_urls"] == [u for u in later["related_urls"] if u in out]


def test_same_clock_same_bytes(early: Site) -> None:
    again = Site(ARTICLES, published=EARLY)
    later = Site(ARTICLES, published=200).advanced_to(EARLY)
    for path in ["/", render_feeds.RSS_PATH, *(s.path for s in early.stubs[::25])]:
        body = pages.render(early, path).body
        assert pages.render(again, path).body == body, path
        assert pages.render(later, path).body == body, path


@pytest.mark.parametrize("published", [0, ARTICLES + 1])
def test_clock_out_of_range_is_refused(published: int) -> None:
    with pytest.raises(ValueError, match="published must be between 1 and articles"):
        Site(ARTICLES, published=published)


def test_manifest_follows_the_clock() -> None:
    command = [sys.executable, "-m", "tests.mirror", "manifest", "--articles", str(ARTICLES)]
    done = subprocess.run(
        [*command, "--published", "250"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    urls = [json.loads(line)["url"] for line in done.stdout.splitlines()]
    assert urls == [s.url for s in Site(ARTICLES).stubs[:250]]


def test_moving_the_clock_of_a_running_mirror(full: Site) -> None:
    with run_mirror(articles=ARTICLES, published=EARLY) as mirror:
        assert mirror.clock() == EARLY
        new = full.stubs[EARLY]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(mirror.url + new.path, timeout=30)
        assert missing.value.code == 404
        mirror.publish(EARLY + 20)
        assert mirror.clock() == EARLY + 20
        with urllib.request.urlopen(mirror.url + new.path, timeout=30) as response:
            assert response.status == 200
        with urllib.request.urlopen(mirror.url + render_feeds.RSS_PATH, timeout=30) as response:
            assert new.url in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{mirror.url}/__mirror__/clock?published=0", timeout=30)
        assert bad.value.code == 400
        stats = mirror.stats()
        assert not [p for p in stats["paths"] if p.startswith("/__mirror__/")]
        assert stats["requests"] == 3
