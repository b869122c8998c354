"""Crawl health: each monitor fails a bad crawl (exit code 3, named in the summary, the
``HEALTH_FILE`` and the job's record under ``_health/``) and passes a healthy one."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest

from crawler.config import ConfigError
from tests.crawl import MONITORED, Crawl, config_of, run_crawl
from tests.hostile import HostileServer, Reply, SeenRequest
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror

HTML = {"Content-Type": "text/html; charset=utf-8"}
MAINTENANCE = (
    b"<!doctype html><html><head><title>Down for maintenance</title></head>"
    b"<body><p>We will be back soon.</p></body></html>"
)
RECORD_KEYS = {
    "job_id",
    "spider",
    "started_at",
    "finished_at",
    "finish_reason",
    "healthy",
    "failures",
    "stats",
}


def monitored(out: Path, **settings: str) -> dict[str, str]:
    return {**MONITORED, "HEALTH_FILE": str(out / "health.json"), **settings}


def health(crawl: Crawl) -> dict[str, Any]:
    return json.loads((crawl.articles.parent / "health.json").read_text())


def failed(crawl: Crawl) -> dict[str, str]:
    """Failed monitor -> its reason, from the HEALTH_FILE."""
    return {f["monitor"]: f["reason"] for f in health(crawl)["failures"]}


def job_record(crawl: Crawl) -> dict[str, Any]:
    (path,) = (crawl.articles / "_health").glob("*.json")
    record = json.loads(path.read_text())
    assert set(record) == RECORD_KEYS and path.stem == record["job_id"]
    return record


def assert_unhealthy(crawl: Crawl, *monitors: str) -> dict[str, str]:
    """Exit 3, the monitors named in the summary, the HEALTH_FILE and the job record."""
    assert crawl.returncode == 3, crawl.log[-3000:]
    reasons = failed(crawl)
    assert set(monitors) <= set(reasons), reasons
    summary = crawl.log.split("Crawl finished", 1)[1]
    health_line = next(line for line in summary.splitlines() if "health:" in line)
    assert "FAILED" in health_line and all(m in health_line for m in monitors), health_line
    record = job_record(crawl)
    assert record["healthy"] is False and record["failures"] == health(crawl)["failures"]
    assert crawl.stats["sputnik/monitors/failed"] == len(reasons)
    return reasons


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_origin_fails_nothing_written_and_errors(tmp_path: Path) -> None:
    with HostileServer() as hook:  # the health webhook (crawler.notify): told of the failure
        hook.route("/hook", Reply(200, {}, b"ok"))
        crawl = run_crawl(
            None,
            tmp_path,
            settings=monitored(
                tmp_path,
                SITE_ORIGIN=f"http://127.0.0.1:{closed_port()}",
                RETRY_TIMES="1",
                HEALTH_WEBHOOK_URL=hook.url + "/hook",
            ),
        )
    reasons = assert_unhealthy(crawl, "Nothing written", "Errors")
    assert reasons["Nothing written"].startswith("site unreachable")
    assert "ERROR log lines" in reasons["Errors"]
    [posted] = [r for r in hook.requests if r.method == "POST"]  # once: at the end, not periodic
    text = json.loads(posted.body)["text"]
    assert "site unreachable" in text and crawl.stats["sputnik/notify/sent/webhook"] == 1


def test_mirror_answering_403_is_blocked(tmp_path: Path) -> None:
    with run_mirror(articles=20, faults="status=403") as forbidding:
        crawl = run_crawl(forbidding, tmp_path, settings=monitored(tmp_path))
    reasons = assert_unhealthy(crawl, "Nothing written")
    assert reasons["Nothing written"].startswith("blocked (403/429)")


def test_pages_without_article_markup_fail_nothing_written_and_rejects(tmp_path: Path) -> None:
    with HostileServer() as site:
        links = "".join(
            f'<a href="/20240410/story-11178380{n}.html">story {n}</a>' for n in range(10, 30)
        )
        site.route("/world/", Reply(200, HTML, f"<html><body>{links}</body></html>".encode()))
        for n in range(10, 30):
            site.route(f"/20240410/story-11178380{n}.html", Reply(200, HTML, MAINTENANCE))
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "seeds=https://sputnikglobe.com/world/",
            settings=monitored(tmp_path, SITE_ORIGIN=site.url, MONITOR_MIN_PAGES="10"),
        )
    reasons = assert_unhealthy(crawl, "Nothing written", "Rejects")
    assert reasons["Nothing written"].startswith("no article written from")
    assert "not-article" in reasons["Rejects"]
    assert crawl.stats["sputnik/rejects/not-article"] == 20


def test_listing_seed_that_lists_nothing(tmp_path: Path) -> None:
    """A captcha page served with 200 instead of the RSS feed."""
    with HostileServer() as site:
        site.route("/export/rss2/archive/index.xml", Reply(200, HTML, MAINTENANCE))
        crawl = run_crawl(
            None, tmp_path, "-a", "source=rss", settings=monitored(tmp_path, SITE_ORIGIN=site.url)
        )
    reasons = assert_unhealthy(crawl, "Nothing written")
    assert reasons["Nothing written"].startswith("seed listed nothing")
    assert crawl.stats["sputnik/seeds/listed-nothing/html"] == 1


@pytest.fixture(scope="module")
def healthy(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    out = tmp_path_factory.mktemp("healthy")
    # The monitors also run every half second while it crawls (about 3 s).
    settings = monitored(out, DEPTH_LIMIT="0", MONITOR_PERIOD_SECS="0.5")
    return run_crawl(mirror, out, "-a", "source=sitemap", settings=settings)


def test_healthy_crawl_passes_every_monitor(healthy: Crawl) -> None:
    assert healthy.returncode == 0, healthy.log[-3000:]
    verdict = health(healthy)
    assert verdict["healthy"] is True and verdict["failures"] == []
    # Every check ran (enough pages for the shares) and passed.
    assert {m["status"] for m in verdict["monitors"]} == {"ok"}, verdict["monitors"]
    assert {m["monitor"] for m in verdict["monitors"]} == {
        "Nothing written",
        "Markup drift",
        "Rejects",
        "Errors",
    }
    record = job_record(healthy)
    assert record["healthy"] is True and record["finish_reason"] == "finished"
    assert record["stats"]["articles_written"] == healthy.stats["sputnik/writer/articles-written"]
    assert healthy.stats["sputnik/monitors/failed"] == 0
    # The mirror's 1 % without headline and 1 % without date count as article pages seen.
    pages = healthy.stats["sputnik/coverage/pages"]
    assert pages > 150
    assert healthy.stats["sputnik/coverage/headline"] < pages
    assert healthy.stats["sputnik/coverage/published-at"] < pages
    # Spidermon's own lines are no ERROR (nor deprecation warnings).
    assert "log_count/ERROR" not in healthy.stats
    assert "Deprecat" not in healthy.log
    assert "health:            OK" in healthy.log
    # Periodic runs: rows still buffered mid-crawl are no "nothing written".
    # 8 separator lines per run: more than one run
    assert healthy.log.count("[Spidermon] ---") > 8
    assert "Health check during the crawl" not in healthy.log


def test_incremental_run_of_stored_articles_is_healthy(
    mirror: Mirror, healthy: Crawl, tmp_path: Path
) -> None:
    out = healthy.articles.parent
    crawl = run_crawl(mirror, out, "-a", "source=rss", settings=monitored(tmp_path))
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.stats["sputnik/state/skipped-stored"] > 0
    assert crawl.stats.get("sputnik/writer/articles-written", 0) == 0
    assert health(crawl)["healthy"] is True
    assert len(list((out / "articles" / "_health").glob("*.json"))) == 2


def test_drift_and_reject_thresholds_fail_naming_fields_layouts_reasons(
    mirror: Mirror, tmp_path: Path
) -> None:
    """The mirror's authors (on 60 % of its articles), its layout and its robots-withheld
    articles, judged by stricter settings than the defaults."""
    crawl = run_crawl(
        mirror,
        tmp_path,
        "-a",
        "source=sitemap",
        settings=monitored(
            tmp_path,
            DEPTH_LIMIT="0",
            MONITOR_COVERAGE_MIN='{"authors": 0.7, "headline": 0.95}',
            MONITOR_LAYOUTS="earlier",
            MONITOR_REJECTS_MAX='{"robots-disallowed": 0.05}',
            MONITOR_ERRORS_ENABLED="False",
        ),
    )
    reasons = assert_unhealthy(crawl, "Markup drift", "Rejects")
    drift = reasons["Markup drift"]
    assert "authors" in drift and "headline" not in drift and "current" in drift
    assert "robots-disallowed" in reasons["Rejects"]
    checks = {(m["monitor"], m["check"]): m for m in health(crawl)["monitors"]}
    assert "current" in checks["Markup drift", "layouts"]["reason"]
    assert checks["Errors", "errors"]["status"] == "skipped"
    assert "Nothing written" not in reasons


ARTICLE_PATH = re.compile(r"^/\d{8}/[^/]+-\d+\.html$")
SECTION_MARKUP = (
    (re.compile(rb'"articleSection":\s*(\[[^\]]*\]|"[^"]*")'), b'"articleSection": null'),
    (re.compile(rb'<meta property="article:section"[^>]*>'), b""),
    (re.compile(rb'class="uptitle"'), b'class="supertag"'),
)


def section_dropped_from(mirror: Mirror, percent: int) -> Any:
    """A proxy to the mirror whose article pages lose every mark of their section, on a fixed
    ``percent`` of them: a markup change on part of the site."""

    def proxy(seen: SeenRequest) -> Reply:
        try:
            with urllib.request.urlopen(mirror.url + seen.target, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        if ARTICLE_PATH.match(seen.path) and zlib.crc32(seen.path.encode()) % 100 < percent:
            for pattern, replacement in SECTION_MARKUP:
                body = pattern.sub(replacement, body)
        return Reply(status, {"Content-Type": headers.get("Content-Type", "text/html")}, body)

    return proxy


def test_a_field_gone_from_some_pages_is_markup_drift(mirror: Mirror, tmp_path: Path) -> None:
    """The section gone from 15 % of the articles: under its 92 % coverage, named."""
    with HostileServer() as site:
        site.route("*", section_dropped_from(mirror, 15))
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            "source=sitemap",
            settings=monitored(tmp_path, SITE_ORIGIN=site.url, DEPTH_LIMIT="0"),
        )
    reasons = assert_unhealthy(crawl, "Markup drift")
    assert set(reasons) == {"Markup drift"}
    assert "section" in reasons["Markup drift"]
    for field in ("headline", "body", "tags", "authors"):
        assert field not in reasons["Markup drift"]
    pages = crawl.stats["sputnik/coverage/pages"]
    assert 0.7 * pages < crawl.stats["sputnik/coverage/section"] < 0.92 * pages


def test_archive_layouts_fail_unless_expected(tmp_path: Path) -> None:
    """An archive crawl reads most pages in the earlier template (and some by the generic
    fallback, as a changed site would be read): drift with the default ``MONITOR_LAYOUTS``,
    healthy when the crawl says it expects them."""
    archive = ("-a", "source=sitemap", "-a", "since=2019-01-01", "-a", "until=2020-12-31")
    with run_mirror(articles=50, archive=200) as mirror:
        default = run_crawl(
            mirror, tmp_path / "a", *archive, settings=monitored(tmp_path / "a", DEPTH_LIMIT="0")
        )
        expected = run_crawl(
            mirror,
            tmp_path / "b",
            *archive,
            settings=monitored(
                tmp_path / "b", DEPTH_LIMIT="0", MONITOR_LAYOUTS="current,earlier,generic"
            ),
        )
    reasons = assert_unhealthy(default, "Markup drift")
    assert "earlier" in reasons["Markup drift"] and "generic" in reasons["Markup drift"]
    assert set(reasons) == {"Markup drift"}
    assert expected.returncode == 0, expected.log[-3000:]
    assert {m["status"] for m in health(expected)["monitors"]} == {"ok"}


def test_a_crawl_stopped_early_fails_errors(mirror: Mirror, tmp_path: Path) -> None:
    crawl = run_crawl(
        mirror,
        tmp_path,
        "-a",
        "source=sitemap",
        settings=monitored(tmp_path, DEPTH_LIMIT="0", CLOSESPIDER_PAGECOUNT="30"),
    )
    reasons = assert_unhealthy(crawl, "Errors")
    assert reasons == {"Errors": "the crawl stopped early (closespider_pagecount)"}
    assert job_record(crawl)["finish_reason"] == "closespider_pagecount"


def test_bad_thresholds_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"MONITOR_REJECTS_MAX\[not-article\]"):
        config_of({"MONITOR_REJECTS_MAX": {"not-article": 2}})
    with pytest.raises(ConfigError, match="MONITOR_MIN_PAGES"):
        config_of({"MONITOR_MIN_PAGES": "many"})
    with pytest.raises(ConfigError, match="MONITOR_OTHER_LAYOUTS_MAX"):
        config_of({"MONITOR_OTHER_LAYOUTS_MAX": "-0.1"})


def test_default_log_level_is_info() -> None:
    """At DEBUG every scraped item is printed whole."""
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "settings", "--get", "LOG_LEVEL"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "INFO"
