"""Bounded memory: gzip bombs and huge pages are refused as ``too-large`` rejects, and the crawl
that meets them all stays under ``PEAK_RSS_LIMIT``.

One crawl against ``tests.hostile`` as ``SITE_ORIGIN``: a 2 GiB ``Content-Encoding: gzip``
robots.txt, article and ``.xml.gz`` sitemap (each ~2 MB on the wire), a 30 MB page streamed
without ``Content-Length``, a page announcing a 50 MB JSON-LD string in its ``Content-Length``,
an article just under ``DOWNLOAD_MAXSIZE`` (the biggest page the crawl keeps) and a small one.
The crawler's peak RSS is its own ``ru_maxrss``, read by ``os.wait4`` on its pid: no other
process of the test run counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from scrapy.settings import Settings

from crawler.urls import PUBLIC_ORIGIN
from tests.crawl import FAST, run_crawl
from tests.hostile import HostileServer, Reply
from tests.hostile_payloads import (
    MIB,
    article_page,
    big_body,
    gzip_bomb,
    gzip_file_reply,
    html_reply,
)
from tests.mirror.process import REPO_ROOT

PEAK_RSS_LIMIT = 400 * MIB
BOMB = 2048 * MIB  # 2 GiB once unzipped
HTML = {"Content-Type": "text/html; charset=utf-8"}
GZIP_HTML = {**HTML, "Content-Encoding": "gzip"}
GZIP_TEXT = {"Content-Type": "text/plain", "Content-Encoding": "gzip"}
PATHS = {
    "bomb": "/20240410/gzip-bomb-1117838101.html",
    "big": "/20240410/thirty-megabytes-1117838102.html",
    "jsonld": "/20240410/fifty-megabyte-json-ld-1117838103.html",
    "fine": "/20240410/fine-1117838104.html",
    "near": "/20240410/near-the-limit-1117838105.html",
    "sitemap": "/sitemap-bomb.xml.gz",
}


def rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def crawl_peak_rss(out: Path, seeds: list[str], settings: dict[str, str]) -> tuple[int, int, str]:
    """``scrapy crawl sputnik`` as ``tests.crawl.run_crawl`` runs it: exit code, the crawler's
    own peak RSS in bytes (``tests.peak_rss``: not the test process's size), and its log."""
    merged = {
        **FAST,
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
        "STATS_FILE": str(out / "stats.json"),
        **settings,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik", "-a", "seeds=" + ",".join(seeds)]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    log, peak = out / "crawl.log", out / "peak-rss"
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "tests.peak_rss", str(peak), *command],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=120,
            check=False,
        )
    return done.returncode, int(peak.read_text()), log.read_text()


def test_bombs_and_huge_pages_are_too_large_rejects_in_bounded_memory(tmp_path: Path) -> None:
    settings = Settings()
    settings.setmodule("crawler.settings")
    limit = settings.getint("DOWNLOAD_MAXSIZE")
    # The biggest page the crawl keeps: one long JSON-LD string, 64 KiB under the limit.
    near_body = "x" * (min(limit, 16 * MIB) - 64 * 1024)
    near = article_page("Near the limit").replace(
        b'"articleBody": "', b'"articleBody": "' + near_body.encode(), 1
    )
    jsonld_head = (
        b'<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "'
    )
    jsonld_tail = b'"}</script></head><body></body></html>'
    jsonld_size = len(jsonld_head) + 50 * MIB + len(jsonld_tail)
    with HostileServer() as site:
        site.route("/robots.txt", Reply(200, GZIP_TEXT, gzip_bomb(BOMB, b"User-agent: *\n")))
        site.route(PATHS["bomb"], Reply(200, GZIP_HTML, gzip_bomb(BOMB, b"<html><body>")))
        site.route(PATHS["big"], Reply(200, HTML, big_body(30 * MIB, b"<html><body><p>")))
        site.route(
            PATHS["jsonld"],
            Reply(
                200,
                {**HTML, "Content-Length": str(jsonld_size)},
                big_body(50 * MIB, jsonld_head, jsonld_tail),
            ),
        )
        site.route(PATHS["fine"], html_reply(article_page("A fine article")))
        site.route(PATHS["near"], html_reply(near))
        site.route(PATHS["sitemap"], gzip_file_reply(gzip_bomb(BOMB, b"<urlset>")))
        code, peak, log = crawl_peak_rss(
            tmp_path,
            [PUBLIC_ORIGIN + path for path in PATHS.values()],
            {"SITE_ORIGIN": site.url, "RENDER_JS": "never"},
        )
    print(f"peak RSS {peak / MIB:.0f} MiB")  # pytest -s shows the measure
    assert code == 0, log[-3000:]
    assert limit <= 16 * MIB  # news pages are ~250 KB; Scrapy's own default is 1 GiB
    assert "Traceback" not in log, log[-3000:]
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak / MIB:.0f} MiB"
    written = {r["url"] for r in rows(tmp_path / "articles")}
    assert written == {PUBLIC_ORIGIN + PATHS["fine"], PUBLIC_ORIGIN + PATHS["near"]}
    rejects = {r["url"]: r for r in rows(tmp_path / "rejects")}
    too_large = ["bomb", "big", "jsonld", "sitemap"]
    assert {url: r["reason"] for url, r in rejects.items()} == {
        PUBLIC_ORIGIN + PATHS[name]: "too-large" for name in too_large
    }
    for reject in rejects.values():
        assert "DOWNLOAD_MAXSIZE" in reject["detail"], reject
    stats = json.loads((tmp_path / "stats.json").read_text())
    # robots.txt too large: Scrapy's RobotsTxtMiddleware crawls as if there were none.
    assert stats["robotstxt/request_count"] == 1
    assert not stats.get("robotstxt/response_count")


def test_a_page_a_script_makes_huge_is_too_large_once_rendered(
    chromium: str, tmp_path: Path
) -> None:
    """``DOWNLOAD_MAXSIZE`` holds for a rendered page too (the browser is no download handler
    Scrapy limits): a small shell whose script writes 8 MB of text is a ``too-large`` reject."""
    shell = (
        b"<html><head><title>Loading</title></head><body><div id='app'></div><script>"
        b"document.getElementById('app').textContent = 'x'.repeat(8 * 1024 * 1024);"
        b"</script></body></html>"
    )
    path = "/20240410/script-built-giant-1117838106.html"
    with HostileServer() as site:
        site.route(path, html_reply(shell))
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", f"seeds={PUBLIC_ORIGIN}{path}"),
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "auto", "RENDER_TIMEOUT_SECS": "1"},
            timeout=120,
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.stats["sputnik/render/requested/shell"] == 1
    rejects = rows(crawl.rejects)
    assert [(r["url"], r["reason"]) for r in rejects] == [(PUBLIC_ORIGIN + path, "too-large")]
    assert "rendered" in rejects[0]["detail"] and "DOWNLOAD_MAXSIZE" in rejects[0]["detail"]
