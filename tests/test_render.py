"""Pages that need a browser, crawled with a real headless Chromium (Debian's ``chromium``).

The mirror serves a share of articles script-built (``--js-shells``, ``tests/mirror/render_js.py``)
and lists whose "load more" only a script follows (``--js-lists``); the truth is the manifest's,
the same as for the static twins. Each crawl is small: tens of pages.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.crawl import FAST, Crawl, run_crawl
from tests.mirror import render_js
from tests.mirror.manifest import reachable, record
from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror
from tests.test_crawl import WRITTEN, as_truth, rows

if TYPE_CHECKING:
    from collections.abc import Iterator

ARTICLES = 300  # the same site as the session's static ``mirror``
JS_PERCENT = 30
DEPTH = 4  # from the seed article: 26 pages, 12 of them script-built


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(ARTICLES)


@pytest.fixture(scope="module")
def js_mirror(chromium: str) -> Iterator[Mirror]:
    with run_mirror(articles=ARTICLES, js_shells=JS_PERCENT, js_lists=True) as running:
        yield running


def chromium_pids() -> set[int]:
    """Every running Chromium process (browser, renderers, helpers) on this machine."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith("chrom"):
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def wait_gone(pids: set[int], timeout: float = 10) -> set[int]:
    """The processes of ``pids`` still running after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (left := pids & chromium_pids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def kind(site: Site, index: int) -> str | None:
    return render_js.kind(site.stubs[index], JS_PERCENT)


def first(site: Site, wanted: str | None, linked: bool, **variants: Any) -> int:
    """The first article served as ``wanted`` whose variants match, with related articles or
    (not ``linked``) without: a crawl at ``DEPTH_LIMIT=1`` fetches few pages more."""
    return next(
        s.index
        for s in site.stubs
        if kind(site, s.index) == wanted
        and s.variants.kind == "article"
        and all(getattr(s.variants, k) == v for k, v in variants.items())
        and bool(site.article(s.index).related) == linked
        and site.stubs[s.index].day != ROBOTS_DISALLOWED_DAY
    )


def truth_rows(site: Site, urls: set[str]) -> dict[str, dict[str, Any]]:
    """The manifest's rows of those of ``urls`` that are articles (not rejects)."""
    truths = [record(site, site.by_path[url[len(PUBLIC_ORIGIN) :]]) for url in urls]
    return {t["url"]: {k: t[k] for k in WRITTEN} for t in truths if t["status"] == "article"}


def test_mixed_crawl_renders_only_script_built_pages(
    js_mirror: Mirror, site: Site, tmp_path: Path
) -> None:
    expected = reachable(site, [site.seed_index], DEPTH)
    built = Counter(kind(site, i) for i in expected)
    del built[None]
    assert built["payload"] + built["api"] >= 4 and built["related"] >= 2
    before = chromium_pids()
    crawl = run_crawl(
        js_mirror,
        tmp_path,
        "-a",
        f"seeds={PUBLIC_ORIGIN}{site.stubs[site.seed_index].path}",
        settings={"DEPTH_LIMIT": str(DEPTH)},
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    stats = crawl.stats
    # Rendered: exactly the script-built pages, each once, each page closed.
    assert stats["sputnik/render/requested"] == sum(built.values())
    assert stats["sputnik/render/requested/shell"] == built["payload"] + built["api"]
    assert stats["sputnik/render/requested/related"] == built["related"]
    assert stats["sputnik/render/rendered"] == sum(built.values())
    assert not any(k.startswith("sputnik/render/incomplete") for k in stats)
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]
    assert stats["playwright/page_count"] == sum(built.values())
    assert stats["playwright/browser_count"] == 1
    # images are not downloaded: the mirror's are on the image CDN, off the site (crawler.browser)
    assert stats.get("sputnik/browser/blocked/image", 0) > 0
    assert "playwright/request_count/resource_type/image" in stats
    assert not any(k.startswith("playwright/response_count/resource_type/image") for k in stats)
    # Every row is the truth, which is also the static twin's (test_crawl checks those).
    written = {r["url"]: as_truth(r) for r in rows(crawl.articles)}
    urls = {site.stubs[i].url for i in expected}
    assert written == truth_rows(site, urls)
    assert not wait_gone(chromium_pids() - before), "Chromium left running after the crawl"


def twin_seeds(site: Site) -> list[int]:
    """A payload shell, an api shell, a page whose related links only a script inserts, and a
    static page; only the third has related articles."""
    return [
        first(site, "payload", linked=False),
        first(site, "api", linked=False),
        first(site, "related", linked=True, jsonld_valid=False),  # links only in the cards
        first(site, None, linked=False),
    ]


def crawl_seeds(mirror: Mirror, out: Path, site: Site, seeds: list[int], **settings: str) -> Crawl:
    urls = ",".join(site.stubs[i].url for i in seeds)
    crawl = run_crawl(mirror, out, "-a", f"seeds={urls}", settings=settings)
    assert crawl.returncode == 0, crawl.log[-3000:]
    return crawl


def test_rendered_rows_equal_their_static_twins(
    js_mirror: Mirror, mirror: Mirror, site: Site, tmp_path: Path
) -> None:
    seeds = twin_seeds(site)
    related_only = seeds[2]
    rendered = crawl_seeds(js_mirror, tmp_path / "js", site, seeds, DEPTH_LIMIT="1")
    static = crawl_seeds(mirror, tmp_path / "static", site, seeds, DEPTH_LIMIT="1")
    js_rows = {r["url"]: as_truth(r) for r in rows(rendered.articles)}
    static_rows = {r["url"]: as_truth(r) for r in rows(static.articles)}
    assert js_rows == static_rows
    assert {site.stubs[i].url for i in seeds} <= set(js_rows)
    # The script-inserted related links were followed: their articles are there too.
    inserted = {site.stubs[t].url for t in site.related(related_only)}
    hop = inserted - {site.stubs[i].url for i in seeds}
    depth_one = {r["url"] for r in rows(rendered.articles) if r["depth"] == 1}
    assert hop and hop <= depth_one | {r["url"] for r in rows(rendered.rejects)}
    assert not static.stats.get("sputnik/render/requested")
    assert "playwright/browser_count" not in static.stats  # a static crawl starts no browser


def test_never_gives_needs_js_rejects(js_mirror: Mirror, site: Site, tmp_path: Path) -> None:
    seeds = twin_seeds(site)
    crawl = crawl_seeds(js_mirror, tmp_path, site, seeds, RENDER_JS="never", DEPTH_LIMIT="1")
    rejects = {r["url"]: r for r in rows(crawl.rejects)}
    assert {url: r["reason"] for url, r in rejects.items()} == {
        site.stubs[i].url: "needs-js" for i in seeds[:3]
    }
    # What the page did give is kept: the related page's text, not its links.
    found = json.loads(rejects[site.stubs[seeds[2]].url]["found"])
    assert found["headline"] and "related_urls" not in found
    assert [r["url"] for r in rows(crawl.articles)] == [site.stubs[seeds[3]].url]
    assert crawl.stats["sputnik/render/needs-js"] == 3
    assert crawl.stats["sputnik/render/needs-js/shell"] == 2
    assert "playwright/browser_count" not in crawl.stats
    assert crawl.log.count("RENDER_JS=never") == 1


def test_no_browser_is_said_once_and_gives_needs_js_rejects(
    js_mirror: Mirror, site: Site, tmp_path: Path
) -> None:
    seeds = twin_seeds(site)
    missing = json.dumps({"executable_path": str(tmp_path / "no-chromium")})
    crawl = crawl_seeds(
        js_mirror, tmp_path, site, seeds, PLAYWRIGHT_LAUNCH_OPTIONS=missing, DEPTH_LIMIT="1"
    )
    assert {r["url"]: r["reason"] for r in rows(crawl.rejects)} == {
        site.stubs[i].url: "needs-js" for i in seeds[:3]
    }
    assert [r["url"] for r in rows(crawl.articles)] == [site.stubs[seeds[3]].url]
    errors = [line for line in crawl.log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, errors
    assert "no-chromium" in errors[0] and "apt-get install chromium" in errors[0]
    assert crawl.stats["sputnik/render/browser-unavailable"] == 1
    assert "playwright/browser_count" not in crawl.stats


def test_always_renders_every_article(js_mirror: Mirror, site: Site, tmp_path: Path) -> None:
    seeds = twin_seeds(site)
    crawl = crawl_seeds(js_mirror, tmp_path, site, seeds, RENDER_JS="always", DEPTH_LIMIT="1")
    expected = reachable(site, seeds, 1)
    assert crawl.stats["sputnik/render/requested/always"] == len(expected)
    assert crawl.stats["sputnik/render/requested"] == len(expected)  # never twice
    written = {r["url"]: as_truth(r) for r in rows(crawl.articles)}
    assert written == truth_rows(site, {site.stubs[i].url for i in expected})


def test_load_more_is_clicked_in_the_browser(chromium: str, tmp_path: Path) -> None:
    settings = {"LISTING_MORE_PAGES": "2", "DEPTH_LIMIT": "1"}
    args = ("-a", f"seeds={PUBLIC_ORIGIN}/world/")
    listed = {}
    # Articles answer 404 here: the rejects name exactly what the lists gave, and nothing more.
    for lists in (True, False):
        with run_mirror(1000, faults="status=404@/2024*", js_lists=lists) as lists_only:
            crawl = run_crawl(lists_only, tmp_path / str(lists), *args, settings=settings)
        assert crawl.returncode == 0, crawl.log[-3000:]
        assert {r["reason"] for r in rows(crawl.rejects)} == {"http-404"}
        listed[lists] = crawl, {r["url"] for r in rows(crawl.rejects)}
    (rendered, by_click), (static, by_address) = listed[True], listed[False]
    assert len(by_click) == 60  # three pages of 20
    assert by_click == by_address
    assert rendered.stats["sputnik/render/requested/load-more"] == 1
    assert "sputnik/seeds/read/html-more" not in rendered.stats
    assert static.stats["sputnik/seeds/read/html-more"] == 2  # the static twin's "more" fragments
    assert "sputnik/render/requested" not in static.stats


def test_ctrl_c_closes_the_browser(chromium: str, site: Site, tmp_path: Path) -> None:
    before = chromium_pids()
    with run_mirror(articles=ARTICLES, js_shells=100) as everything_built:
        command = [sys.executable, "-m", "scrapy", "crawl", "sputnik", "-a", "source=sitemap"]
        settings = {
            **FAST,
            "SITE_ORIGIN": everything_built.url,
            "DEPTH_LIMIT": "0",
            "DATASET_URI": str(tmp_path / "articles"),
            "REJECTS_URI": str(tmp_path / "rejects"),
            "STATS_FILE": str(tmp_path / "stats.json"),
        }
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        crawl = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 60
            while not (chromium_pids() - before) and time.monotonic() < deadline:
                assert crawl.poll() is None, "the crawl ended before rendering"
                time.sleep(0.1)
            assert chromium_pids() - before, "no browser started"
            time.sleep(1)  # pages in flight
            crawl.send_signal(signal.SIGINT)
            _, log = crawl.communicate(timeout=60)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()
    assert crawl.returncode == 0, log[-3000:]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["finish_reason"] == "shutdown"
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]
    assert stats["sputnik/render/rendered"] < ARTICLES  # stopped early
    assert not wait_gone(chromium_pids() - before), "Chromium left running after Ctrl-C"


@pytest.mark.parametrize(
    ("name", "value"), [("RENDER_JS", "sometimes"), ("RENDER_TIMEOUT_SECS", "0")]
)
def test_bad_render_setting_stops_at_start(tmp_path: Path, name: str, value: str) -> None:
    crawl = run_crawl(None, tmp_path, settings={"SITE_ORIGIN": "http://127.0.0.1:9", name: value})
    assert crawl.returncode != 0
    assert name in crawl.log
    assert crawl.stats.get("downloader/request_count", 0) == 0
