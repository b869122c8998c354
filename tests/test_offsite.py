"""The crawl stays on the site: redirects (HTTP and meta refresh) are followed only to the site's
hosts and ``SITE_ORIGIN``; the row of a redirected article carries the URL it landed on; the
remote-control server is off unless asked for.

A ``HostileServer`` plays the site (it is ``SITE_ORIGIN``); others on another loopback port and
on 127.0.0.2 play foreign hosts, which must get no request at all.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import ChainRedirectMiddleware, OffSiteRedirect, SiteMetaRefreshMiddleware
from crawler.urls import PUBLIC_HOST, PUBLIC_ORIGIN, SITE_HOSTS, fetch_target, public_target
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply
from tests.test_crawl import rows

if TYPE_CHECKING:
    from pathlib import Path

ORIGIN = "http://127.0.0.1:8000"


def site_fetch_url(url: str, origin: str) -> str | None:
    """Where the redirect middlewares fetch a redirect of a sputnikglobe.com request to ``url``
    from (``public_target``, then ``fetch_target``, as ``crawler.middlewares.retarget`` does);
    ``None`` when it is off the site. An origin on a site host is the live site."""
    if (urlsplit(origin).hostname or "") in SITE_HOSTS:
        origin = ""
    public = public_target(url, origin, PUBLIC_HOST)
    return None if public is None else fetch_target(public, origin)[0]


HTML = {"Content-Type": "text/html; charset=utf-8"}
TO_PORT = "/20240410/to-another-port-1117838001.html"
TO_HOST = "/20240410/to-another-host-1117838002.html"
REFRESH = "/20240410/meta-refresh-1117838003.html"
TO_PUBLIC = "/20240410/to-the-public-host-1117838004.html"
MOVED = "/20240411/moved-here-1117838005.html"
DOTTED = "/20240410/dotted-1117838006.html"
TO_SECTION = "/20240410/to-a-section-1117838007.html"
MOVED_TOO = "/20240411/moved-too-1117838008.html"


def article(headline: str) -> bytes:
    """A page the extractor reads as an article."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": "2024-04-10T02:11:00Z",
        "articleBody": f"{headline}. " * 20,
    }
    return (
        "<!DOCTYPE html><html><head><title>x</title>"
        f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
        f'<body><div class="article"><h1 class="article__title">{headline}</h1>'
        f'<div class="article__body"><div class="article__text">{headline}.</div></div>'
        "</div></body></html>"
    ).encode()


@pytest.fixture
def hosts() -> tuple[HostileServer, HostileServer, HostileServer]:
    with (
        HostileServer() as site,
        HostileServer() as port,
        HostileServer("127.0.0.2") as host,
    ):
        for foreign in (port, host):
            foreign.route("/stolen.html", Reply(200, HTML, article("Foreign content")))
            foreign.route("/robots.txt", Reply(200, {}, b"User-agent: *\nAllow: /\n"))
        site.route("/robots.txt", Reply(302, {"Location": port.url + "/robots.txt"}))
        site.route(TO_PORT, Reply(301, {"Location": port.url + "/stolen.html"}))
        site.route(TO_HOST, Reply(302, {"Location": host.url + "/stolen.html"}))
        refresh = f'<html><head><meta http-equiv="refresh" content="0; url={port.url}/stolen.html">'
        site.route(REFRESH, Reply(200, HTML, refresh.encode()))
        site.route(TO_PUBLIC, Reply(302, {"Location": PUBLIC_ORIGIN + MOVED}))
        site.route(MOVED, Reply(200, HTML, article("Moved here")))
        # a spelling with a dot-segment and a backslash, as a hostile or sloppy site writes it;
        # Scrapy requests it as written, the backslash percent-encoded
        site.route(DOTTED, Reply(301, {"Location": "/20240411/x/..\\moved-too-1117838008.html"}))
        site.route("/20240411/x/..%5Cmoved-too-1117838008.html", Reply(200, HTML, article("Too")))
        site.route(TO_SECTION, Reply(302, {"Location": "/world/"}))
        site.route("/world/", Reply(200, HTML, b"<html><body><a href='/'>World</a></body></html>"))
        yield site, port, host


def test_redirects_off_the_site_are_refused(
    hosts: tuple[HostileServer, ...], tmp_path: Path
) -> None:
    site, port, host = hosts
    seeds = [TO_PORT, TO_HOST, REFRESH, TO_PUBLIC, DOTTED, TO_SECTION]
    crawl = run_crawl(
        None,
        tmp_path,
        "-a",
        "seeds=" + ",".join(PUBLIC_ORIGIN + s for s in seeds),
        settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never"},
        timeout=60,
    )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert port.requests == [] and host.requests == []  # not even robots.txt
    written = rows(crawl.articles)
    # rows carry the canonical URL of the page the redirects within the site ended on
    assert sorted(r["url"] for r in written) == [PUBLIC_ORIGIN + MOVED, PUBLIC_ORIGIN + MOVED_TOO]
    assert all("Foreign" not in r["headline"] for r in written)
    rejects = {r["url"]: (r["reason"], r["detail"]) for r in rows(crawl.rejects)}
    for path, target in ((TO_PORT, port.url), (TO_HOST, host.url), (REFRESH, port.url)):
        reason, detail = rejects[PUBLIC_ORIGIN + path]
        assert reason == "redirect-off-site"
        assert target + "/stolen.html" in detail
    reason, detail = rejects[PUBLIC_ORIGIN + TO_SECTION]
    assert reason == "redirect-not-article" and site.url + "/world/" in detail
    assert len(rejects) == 4
    assert crawl.stats["sputnik/redirect/off-site"] == 4  # robots.txt too: then none is read
    # the public host's URL was fetched from SITE_ORIGIN: the site server saw the moved page
    assert site.paths().count(MOVED) >= 1


@pytest.mark.parametrize(
    ("target", "fetched"),
    [
        ("http://169.254.169.254/latest/meta-data/", None),
        ("http://127.0.0.1:8001/a.html", None),  # another port
        ("http://127.0.0.2:8000/a.html", None),  # another host
        ("https://127.0.0.1:8000/a.html", None),  # another scheme
        ("ftp://127.0.0.1:8000/a.html", None),
        ("http://127.0.0.1:99999/a.html", None),  # no such port
        ("http://sputnikglobe.com@169.254.169.254/", None),  # user-info
        ("http://sputnikglobe.com.evil.example/a.html", None),
        ("http://127.0.0.1:8000/a.html?x=1", ORIGIN + "/a.html?x=1"),
        ("http://127.0.0.1:80@127.0.0.1:8000/a.html", ORIGIN + "/a.html"),
        ("https://sputnikglobe.com/20240410/x-1.html", ORIGIN + "/20240410/x-1.html"),
        ("http://www.sputniknews.com:8443/x", ORIGIN + "/x"),
    ],
)
def test_where_a_redirect_may_go(target: str, fetched: str | None) -> None:
    assert site_fetch_url(target, ORIGIN) == fetched


def test_on_the_live_site_its_hosts_are_kept() -> None:
    live = PUBLIC_ORIGIN
    assert site_fetch_url("https://www.sputnikglobe.com/a?b=1", live) == (
        "https://www.sputnikglobe.com/a?b=1"
    )
    assert (
        site_fetch_url("http://x@sputniknews.com:8080/a", live) == "http://sputniknews.com:8080/a"
    )
    assert site_fetch_url("https://sputnikglobe.com.evil.example/a", live) is None


def test_default_ports_count_as_the_origin() -> None:
    assert site_fetch_url("https://mirror.test:443/a", "https://mirror.test") == (
        "https://mirror.test/a"
    )
    assert site_fetch_url("http://mirror.test/a", "https://mirror.test") is None


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_metadata_address_is_never_requested(status: int) -> None:
    crawler = get_crawler(settings_dict={"SITE_ORIGIN": ORIGIN})
    middleware = ChainRedirectMiddleware.from_crawler(crawler)
    request = Request(ORIGIN + "/20240410/x-1117838001.html")
    target = "http://169.254.169.254/latest/meta-data/"
    response = Response(request.url, status=status, headers={"Location": target})
    with pytest.raises(OffSiteRedirect, match=re.escape(target)):
        middleware.process_response(request, response)
    assert crawler.stats.get_value("sputnik/redirect/off-site") == 1


def test_meta_refresh_off_the_site_is_refused() -> None:
    crawler = get_crawler(settings_dict={"SITE_ORIGIN": ORIGIN})
    middleware = SiteMetaRefreshMiddleware.from_crawler(crawler)
    request = Request(ORIGIN + "/20240410/x-1117838001.html")
    body = b'<meta http-equiv="refresh" content="0; url=http://169.254.169.254/">'
    with pytest.raises(OffSiteRedirect):
        middleware.process_response(request, HtmlResponse(request.url, body=body))
    body = b'<meta http-equiv="refresh" content="0; url=/20240410/y-1117838002.html">'
    followed = middleware.process_response(request, HtmlResponse(request.url, body=body))
    assert isinstance(followed, Request) and followed.url == ORIGIN + "/20240410/y-1117838002.html"


# -- the remote-control server (Scrapy 2.19) --------------------------------------------------

REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


def enabled_extensions(log: str) -> str:
    match = re.search(r"Enabled extensions:\n(\[.*?\])", log, re.DOTALL)
    assert match, log[-2000:]
    return match.group(1)


@pytest.mark.parametrize("enabled", [False, True])
def test_remote_control_is_off_unless_asked(enabled: bool, tmp_path: Path) -> None:
    with HostileServer() as site:
        settings = {"SITE_ORIGIN": site.url, "REMOTE_CONTROL_JOBS_DIR": str(tmp_path / "jobs")}
        if enabled:
            settings["REMOTE_CONTROL_ENABLED"] = "True"
        crawl = run_crawl(None, tmp_path, settings=settings, timeout=60)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert (REMOTE_CONTROL in enabled_extensions(crawl.log)) is enabled
    assert ("Remote control HTTP server listening" in crawl.log) is enabled
