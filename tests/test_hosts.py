"""Many public hosts behind one ``SITE_ORIGIN``: every request names its public host in ``Host``
and is downloaded in that host's slot; redirects stay within the chosen editions; each host's
``robots.txt`` rules apply to that host only; a slow host never stalls a fast one; the browser's
own requests carry the public host too.

A ``HostileServer`` plays an origin (a reverse proxy, an archive) that serves several editions by
``Host``; the browser test uses the mirror's script-built articles (``--js-shells``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.request import fingerprint
from scrapy.utils.test import get_crawler

from crawler.editions import packaged_table
from crawler.middlewares import (
    ChainRedirectMiddleware,
    HostFingerprinter,
    OffEditionRedirect,
    OffSiteRedirect,
    SiteMetaRefreshMiddleware,
)
from crawler.urls import (
    Fetch,
    browser_may_request,
    browser_url,
    fetch,
    host_resolver_rules,
    public_target,
    requested_public_url,
)
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply, SeenRequest
from tests.mirror.model import PUBLIC_ORIGIN, Site
from tests.mirror.process import Mirror, run_mirror
from tests.test_crawl import rows
from tests.test_offsite import HTML, article
from tests.test_render import ARTICLES, JS_PERCENT, first

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

EN, ES = "sputnikglobe.com", "noticiaslatam.lat"  # editions en and es
ORIGIN = "http://127.0.0.1:8000"
TABLE = packaged_table()


# -- requests for public URLs ------------------------------------------------------------------


def test_through_an_origin_a_request_names_its_public_host() -> None:
    url = f"https://{ES}/20240410/x-1117838001.html?a=1"
    assert fetch(url, ORIGIN) == Fetch(
        ORIGIN + "/20240410/x-1117838001.html?a=1", {"Host": ES}, {"download_slot": ES}
    )
    # the live site: the URL itself, its own host; the slot is the public host all the same
    assert fetch(url, "") == Fetch(url, {}, {"download_slot": ES})
    assert fetch(f"https://WWW.{ES.upper()}/a", ORIGIN).headers == {"Host": f"www.{ES}"}


@pytest.mark.parametrize(
    ("url", "host", "origin", "public"),
    [
        (ORIGIN + "/a?b=1", ES, ORIGIN, f"https://{ES}/a?b=1"),
        (ORIGIN, ES, ORIGIN, f"https://{ES}/"),
        ("http://127.0.0.1:8001/a", ES, ORIGIN, "http://127.0.0.1:8001/a"),  # not the origin
        (f"https://{ES}/a", None, "", f"https://{ES}/a"),  # the live site
        (ORIGIN + "/a", None, ORIGIN, ORIGIN + "/a"),  # no Host: nothing to say
        ("http://archive.test/web/2024/a", EN, "http://archive.test/web/2024", f"https://{EN}/a"),
        (
            "http://archive.test/web/a",
            EN,
            "http://archive.test/web/2024",
            "http://archive.test/web/a",
        ),
    ],
)
def test_the_public_url_of_a_request(url: str, host: str | None, origin: str, public: str) -> None:
    assert requested_public_url(url, host, origin) == public


def test_fingerprints_tell_two_hosts_at_one_path_apart() -> None:
    fingerprinter = HostFingerprinter()
    en = Request(ORIGIN + "/export/rss2/archive/index.xml", headers={"Host": EN})
    es = Request(en.url, headers={"Host": ES})
    live = Request(f"https://{EN}/export/rss2/archive/index.xml")
    assert fingerprinter.fingerprint(en) != fingerprinter.fingerprint(es)
    assert fingerprinter.fingerprint(live) == fingerprint(live)  # Scrapy's own without Host


# -- redirects -----------------------------------------------------------------------------------


def middleware(kind: type, origin: str, *codes: str) -> tuple[object, object]:
    """A redirect middleware of a crawl through ``origin`` that chose editions ``codes``."""
    crawler = get_crawler(settings_dict={"SITE_ORIGIN": origin})
    crawler.spider = SimpleNamespace(editions=tuple(TABLE[c] for c in codes))
    return kind.from_crawler(crawler), crawler


@pytest.mark.parametrize(
    ("location", "url", "host"),
    [
        ("/20240411/y-1117838002.html", ORIGIN + "/20240411/y-1117838002.html", EN),
        (ORIGIN + "/20240411/y-1117838002.html", ORIGIN + "/20240411/y-1117838002.html", EN),
        ("https://sputniknews.com/world/1/", ORIGIN + "/world/1/", "sputniknews.com"),  # former
        (f"http://x@www.{EN}:8443/a", ORIGIN + "/a", f"www.{EN}"),
        (f"https://{ES}/20240411/z-1117838003.html", ORIGIN + "/20240411/z-1117838003.html", ES),
    ],
)
def test_a_redirect_on_a_chosen_edition_is_sent_for_its_public_host(
    location: str, url: str, host: str
) -> None:
    redirects, crawler = middleware(ChainRedirectMiddleware, ORIGIN, "en", "es")
    request = Request(ORIGIN + "/20240410/x-1117838001.html", headers={"Host": EN})
    request.meta["download_slot"] = EN
    response = Response(request.url, status=301, headers={"Location": location})
    redirected = redirects.process_response(request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == url
    assert redirected.headers.getlist("Host") == [host.encode()]
    assert redirected.meta["download_slot"] == host
    assert crawler.stats.get_value("sputnik/redirect/off-edition") is None


@pytest.mark.parametrize("origin", [ORIGIN, ""])
def test_a_redirect_to_an_edition_not_chosen_is_refused(origin: str) -> None:
    redirects, crawler = middleware(ChainRedirectMiddleware, origin, "en")
    public = f"https://{EN}/20240410/x-1117838001.html"
    target = fetch(public, origin)
    request = Request(target.url, headers=target.headers, meta=target.meta)
    for location in (f"https://{ES}/20240411/z-1117838003.html", "http://sputniknews.lat/a"):
        response = Response(request.url, status=302, headers={"Location": location})
        with pytest.raises(OffEditionRedirect, match="edition es"):
            redirects.process_response(request, response)
    assert crawler.stats.get_value("sputnik/redirect/off-edition") == 2
    assert crawler.stats.get_value("sputnik/redirect/off-site") is None
    response = Response(request.url, status=302, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(OffSiteRedirect) as refused:
        redirects.process_response(request, response)
    assert not isinstance(refused.value, OffEditionRedirect)
    assert crawler.stats.get_value("sputnik/redirect/off-site") == 1


def test_a_meta_refresh_stays_on_the_requests_host_and_chosen_editions() -> None:
    refreshes, crawler = middleware(SiteMetaRefreshMiddleware, ORIGIN, "es")
    request = Request(ORIGIN + "/20240410/x-1117838001.html", headers={"Host": ES})
    body = b'<meta http-equiv="refresh" content="0; url=/20240410/y-1117838002.html">'
    followed = refreshes.process_response(request, HtmlResponse(request.url, body=body))
    assert isinstance(followed, Request)
    assert followed.url == ORIGIN + "/20240410/y-1117838002.html"
    assert followed.headers["Host"] == ES.encode() and followed.meta["download_slot"] == ES
    body = f'<meta http-equiv="refresh" content="0; url=https://{EN}/a">'.encode()
    with pytest.raises(OffEditionRedirect):
        refreshes.process_response(request, HtmlResponse(request.url, body=body))
    assert crawler.stats.get_value("sputnik/redirect/off-edition") == 1


# -- the browser's URLs --------------------------------------------------------------------------


def test_the_browser_asks_for_the_public_host_resolved_to_the_origin() -> None:
    public = f"https://{ES}/20240410/x-1117838001.html?a=1"
    assert browser_url(public, ORIGIN) == f"http://{ES}/20240410/x-1117838001.html?a=1"
    assert browser_url(public, "") == public
    rules = host_resolver_rules(ORIGIN, TABLE.hosts)
    assert rules is not None and host_resolver_rules("", TABLE.hosts) is None
    mapped = dict(rule.split(" ")[1:] for rule in rules.split(", "))
    assert mapped == dict.fromkeys(TABLE.hosts, "127.0.0.1:8000")
    # every edition host and the origin, nothing else
    assert browser_may_request(f"http://{ES}/x.js", ORIGIN, TABLE.hosts)
    assert browser_may_request(ORIGIN + "/x.js", ORIGIN, TABLE.hosts)
    assert not browser_may_request("http://noticiaslatam.lat.evil.example/", ORIGIN, TABLE.hosts)
    edited = TABLE.updated({"es": {"host": "noticias.example"}}).hosts
    assert browser_may_request("https://noticias.example/x.js", ORIGIN, edited)
    assert public_target("https://noticias.example/a", ORIGIN, EN) is None  # not in the table


# -- crawls through one origin -------------------------------------------------------------------


def by_host(replies: dict[str, Reply], default: Reply | None = None) -> object:
    """A route answering by the request's ``Host``."""

    def route(seen: SeenRequest) -> Reply:
        return replies.get(seen.host, default or Reply(404, HTML, b"no such host"))

    return route


def test_each_host_obeys_its_own_robots_txt(tmp_path: Path) -> None:
    seeds = {
        (EN, "/20240410/en-disallowed-1117838001.html"): False,
        (EN, "/20240411/en-allowed-1117838002.html"): True,
        (ES, "/20240410/es-allowed-1117838003.html"): True,
        (ES, "/20240411/es-disallowed-1117838004.html"): False,
    }
    with HostileServer() as origin:
        robots = {
            EN: Reply(200, {}, b"User-agent: *\nDisallow: /20240410/\n"),
            ES: Reply(200, {}, b"User-agent: *\nDisallow: /20240411/\n"),
        }
        origin.route("/robots.txt", by_host(robots, Reply(200, {}, b"User-agent: *\nDisallow: /")))
        origin.route("*", lambda seen: Reply(200, HTML, article(f"{seen.host} {seen.path}")))
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", "editions=en,es"),
            *("-a", "seeds=" + ",".join(f"https://{h}{p}" for h, p in seeds)),
            settings={"SITE_ORIGIN": origin.url, "RENDER_JS": "never"},
            timeout=60,
        )
        seen = list(origin.requests)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert Counter(r.host for r in seen if r.path == "/robots.txt") == {EN: 1, ES: 1}
    allowed = {(h, p) for (h, p), ok in seeds.items() if ok}
    assert {(r.host, r.path) for r in seen if r.path != "/robots.txt"} == allowed
    written = {r["url"]: r["headline"] for r in rows(crawl.articles)}
    assert written == {f"https://{h}{p}": f"{h} {p}" for h, p in allowed}
    rejects = {r["url"]: r["reason"] for r in rows(crawl.rejects)}
    denied = {f"https://{h}{p}" for (h, p), ok in seeds.items() if not ok}
    assert rejects == dict.fromkeys(denied, "robots-disallowed")
    assert crawl.stats["robotstxt/forbidden"] == 2


@pytest.fixture
def queue() -> dict[str, str]:
    """Settings for the scheduler's queue: the project's (a test may patch this to see the
    test fail with Scrapy's first-in first-out ``ScrapyPriorityQueue``)."""
    return {}


SLOW_SECS = 1.0  # each page of the slow host
PAGES = 16  # per host
PER_HOST = 2  # CONCURRENT_REQUESTS_PER_DOMAIN


def test_a_slow_host_does_not_stall_a_fast_one(tmp_path: Path, queue: dict[str, str]) -> None:
    def page(seen: SeenRequest) -> Reply:
        if seen.host == EN:
            time.sleep(SLOW_SECS)
        return Reply(200, HTML, article(f"{seen.host} {seen.path}"))

    paths = [f"/20240410/page-{1117838000 + n}.html" for n in range(PAGES)]
    # the slow host's pages first: in a first-in first-out queue they would fill the downloader
    urls = [f"https://{EN}{p}" for p in paths] + [f"https://{ES}{p}" for p in paths]
    with HostileServer() as origin:
        origin.route("/robots.txt", Reply(200, {}, b"User-agent: *\nAllow: /\n"))
        origin.route("*", page)
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", "editions=en,es"),
            *("-a", "seeds=" + ",".join(urls)),
            settings={
                "SITE_ORIGIN": origin.url,
                "RENDER_JS": "never",
                "CONCURRENT_REQUESTS": "8",
                "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_HOST),
                **queue,
            },
            timeout=120,
        )
        answered = [r for r in origin.answered if r.path != "/robots.txt"]
        most = dict(origin.max_in_flight)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert len(rows(crawl.articles)) == 2 * PAGES
    # per public host, never more at once than CONCURRENT_REQUESTS_PER_DOMAIN, also through
    # one origin (the slow host used them all; the fast one answers at once)
    assert most[EN] == PER_HOST and 1 <= most[ES] <= PER_HOST, most
    # when the fast host's last page was answered, the slow one had had few of its pages
    last_fast = max(i for i, r in enumerate(answered) if r.host == ES)
    slow_before = sum(1 for r in answered[:last_fast] if r.host == EN)
    assert slow_before < PAGES // 4, [r.host for r in answered]


@pytest.fixture(scope="module")
def js_mirror(chromium: str) -> Iterator[Mirror]:
    with run_mirror(articles=ARTICLES, js_shells=JS_PERCENT) as running:
        yield running


def test_the_browsers_requests_carry_the_public_host(js_mirror: Mirror, tmp_path: Path) -> None:
    site = Site(ARTICLES)
    index = first(site, "api", linked=False)  # a shell whose script fetch()es its article
    stub = site.stubs[index]
    before = js_mirror.stats()
    crawl = run_crawl(
        js_mirror,
        tmp_path,
        *("-a", f"seeds={PUBLIC_ORIGIN}{stub.path}"),
        settings={"DEPTH_LIMIT": "0", "RENDER_JS": "auto"},
    )
    after = js_mirror.stats()
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.stats["sputnik/render/rendered"] == 1
    (row,) = rows(crawl.articles)
    assert row["url"] == PUBLIC_ORIGIN + stub.path
    paths = Counter(after["paths"]) - Counter(before["paths"])
    assert paths[stub.path] == 2  # without, then with the browser
    assert any(p.startswith("/__api__/article/") for p in paths), paths  # the script's fetch()
    hosts = Counter(after["hosts"]) - Counter(before["hosts"])
    assert hosts == {EN: sum(paths.values())}


def shell(origin: str) -> bytes:
    """An article shell whose scripts load and ``fetch()`` on the page's own host (relative) and
    on the origin's URL (absolute), then write the article."""
    headline = "Built on the public host"
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": "2024-04-10T02:11:00Z",
        "articleBody": "Texto. " * 40,
    }
    return f"""<!DOCTYPE html><html><head><title>x</title>
<script src="/relative.js"></script><script src="{origin}/absolute.js"></script>
</head><body><div id="app"></div><script>
Promise.all([fetch("/relative.json"), fetch("{origin}/absolute.json")]).then(() => {{
  const ld = document.createElement("script");
  ld.type = "application/ld+json";
  ld.textContent = {json.dumps(json.dumps(data))};
  document.head.appendChild(ld);
  document.getElementById("app").innerHTML =
    '<div class="article"><h1 class="article__title">{headline}</h1>'
    + '<div class="article__body"><div class="article__text">Texto.</div></div></div>';
}});
</script></body></html>""".encode()


def test_the_browsers_requests_to_the_origin_itself_carry_the_public_host(
    chromium: str, tmp_path: Path
) -> None:
    path = "/20240410/armado-por-un-script-1117838001.html"
    with HostileServer() as origin:
        origin.route("/robots.txt", Reply(200, {}, b"User-agent: *\nAllow: /\n"))
        origin.route(path, Reply(200, {"Content-Type": "text/html"}, shell(origin.url)))
        for name in ("relative", "absolute"):
            origin.route(f"/{name}.js", Reply(200, {"Content-Type": "text/javascript"}, b"1"))
            # a fetch() from the page's host to the origin's URL is cross-origin: CORS allows it
            json_headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
            origin.route(f"/{name}.json", Reply(200, json_headers, b"{}"))
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", "editions=es"),
            *("-a", f"seeds=https://{ES}{path}"),
            settings={"SITE_ORIGIN": origin.url, "RENDER_JS": "auto"},
            timeout=60,
        )
        seen = list(origin.requests)
    assert crawl.returncode == 0, crawl.log[-3000:]
    (row,) = rows(crawl.articles)
    assert row["url"] == f"https://{ES}{path}" and row["headline"] == "Built on the public host"
    paths = Counter(r.path for r in seen)
    assert paths[path] == 2  # without, then with the browser
    for name in ("relative", "absolute"):
        assert paths[f"/{name}.js"] == paths[f"/{name}.json"] == 1, paths
    assert {r.host for r in seen if r.path != "/favicon.ico"} == {ES}


def test_a_jobdir_crawl_of_two_hosts_stops_and_resumes(tmp_path: Path) -> None:
    """The downloader-aware queue keeps one disk queue per slot (public host) under JOBDIR, with
    the journal's scheduler (``crawler.journal``): a crawl stopped early resumes there."""
    paths = [f"/20240410/page-{1117838000 + n}.html" for n in range(8)]
    urls = [f"https://{host}{p}" for p in paths for host in (EN, ES)]

    def page(seen: SeenRequest) -> Reply:
        time.sleep(0.05)
        return Reply(200, HTML, article(f"{seen.host} {seen.path}"))

    written: list[str] = []
    with HostileServer() as origin:
        origin.route("/robots.txt", Reply(200, {}, b"User-agent: *\nAllow: /\n"))
        origin.route("*", page)
        for run, limit in ((1, "3"), (2, "0")):
            crawl = run_crawl(
                None,
                tmp_path / f"run{run}",
                *("-a", "editions=en,es"),
                *("-a", "seeds=" + ",".join(urls)),
                settings={
                    "SITE_ORIGIN": origin.url,
                    "RENDER_JS": "never",
                    "JOBDIR": str(tmp_path / "job"),
                    "DATASET_URI": str(tmp_path / "articles"),
                    # few in the downloader at once: the rest wait in the disk queues
                    "CONCURRENT_REQUESTS": "2",
                    "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
                    "CLOSESPIDER_ITEMCOUNT": limit,
                    "DATASET_FLUSH_ROWS": "1",
                },
                timeout=60,
            )
            assert crawl.returncode == 0, crawl.log[-3000:]
            if run == 1:
                assert crawl.stats["finish_reason"] == "closespider_itemcount"
                assert crawl.stats["sputnik/writer/articles-written"] < len(urls)
            else:
                assert crawl.stats["sputnik/journal/requeued"] > 0
        written = [r["url"] for r in rows(tmp_path / "articles")]
    assert sorted(written) == sorted(urls)  # every page of both hosts, each once
