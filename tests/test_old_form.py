"""Old-form URLs (markup.md §4): ``/<section>/<YYYYMMDD><id>-<slug>/`` canonicalizes to
``/<YYYYMMDD>/<slug>-<id>.html``; the crawl requests the canonical URL and, when that is a 404,
the old form once, keeping the canonical public URL for the row."""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import OldFormMiddleware
from crawler.urls import PUBLIC_ORIGIN, canonicalize, old_form
from tests.crawl import run_crawl
from tests.earlier_pages import AGENCY, EN, earlier_page
from tests.hostile import HostileServer, Reply
from tests.test_crawl import rows

if TYPE_CHECKING:
    from pathlib import Path

HTML = {"Content-Type": "text/html; charset=utf-8"}
SITE = PUBLIC_ORIGIN
NEW = SITE + "/20191118/royal-self-indicting-arrogance-1077343476.html"
OLD = "https://sputniknews.com/columnists/201911181077343476-royal-self-indicting-arrogance/"
BASE = SITE + "/20240410/other-1117838001.html"


@pytest.mark.parametrize(
    "href",
    [
        OLD,
        "/columnists/201911181077343476-royal-self-indicting-arrogance/",  # relative, as cards
        "/columnists/201911181077343476-royal-self-indicting-arrogance",  # no trailing slash
        "http://www.sputniknews.com/columnists/201911181077343476-royal-self-indicting-arrogance/",
        "https://sputnikglobe.com/columnists/201911181077343476-royal-self-indicting-arrogance/",
        OLD + "?utm_source=x#comments",
        "/world/../columnists/201911181077343476-royal-self-indicting-arrogance/",
        "/columnists/x/..%2F201911181077343476-royal-self-indicting-arrogance/",
        "\\columnists\\201911181077343476-royal-self-indicting-arrogance\\",
        "/columnists/201911181077343476-%72oyal-self-indicting-arrogance/",  # unreserved encoded
        "/amp/columnists/201911181077343476-royal-self-indicting-arrogance/",
    ],
)
def test_old_forms_of_one_article_give_its_canonical_url(href: str) -> None:
    url, reason = canonicalize(href, BASE)
    assert (url, reason) == (NEW, None)
    assert old_form(url) == OLD  # the old form, normalized, on the former domain
    assert canonicalize(url) == (NEW, None) and old_form(canonicalize(url)[0]) is None


def test_old_form_without_slug_and_with_dashes() -> None:
    assert canonicalize("/world/201911181077343476/") == (SITE + "/20191118/1077343476.html", None)
    url, _ = canonicalize("/radio/202001101077980000-the-critical-hour---jan-10/")
    assert url == SITE + "/20200110/the-critical-hour---jan-10-1077980000.html"
    assert (
        old_form(url)
        == "https://sputniknews.com/radio/202001101077980000-the-critical-hour---jan-10/"
    )


def test_old_form_percent_encoding_normalized() -> None:
    raw, _ = canonicalize("/arab_world/202004271045160000-بيان/")
    encoded, _ = canonicalize("/arab_world/202004271045160000-%d8%a8%d9%8a%d8%a7%d9%86/")
    assert raw == encoded == SITE + "/20200427/%D8%A8%D9%8A%D8%A7%D9%86-1045160000.html"
    assert old_form(raw) == old_form(encoded)


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("/columnists/2019111810773434769223372036854775808-x/", "id-too-large"),
        ("/columnists/" + "2019111" + "9" * 5000 + "-x/", "id-too-large"),
        ("/columnists/", "not-article"),
        ("/tags/keyword_uk/", "not-article"),
        ("/trend/impeachment/", "not-article"),
        ("/authors/wilmer_leon/", "not-article"),
        ("/columnists/20191118107-x/", "not-article"),  # an id of 3 digits
        ("/a/b/201911181077343476-x/", "not-article"),  # two folders before it
        ("https://example.com/columnists/201911181077343476-x/", "off-site"),
    ],
)
def test_old_form_links_not_followed(href: str, reason: str) -> None:
    assert canonicalize(href, BASE) == (None, reason)


def test_old_form_on_another_editions_former_host() -> None:
    """Another edition's former host: its article on that edition's current host."""
    url, reason = canonicalize(
        "https://arabic.sputniknews.com/arab_world/202004281045171234-x/", BASE
    )
    assert (url, reason) == ("https://sarabic.ae/20200428/x-1045171234.html", None)
    assert old_form(url) == "https://arabic.sputniknews.com/arab_world/202004281045171234-x/"


def test_canonical_url_is_a_plain_str_where_stored() -> None:
    url, _ = canonicalize(OLD)
    assert isinstance(url, str) and url == NEW and hash(url) == hash(NEW)
    assert type(str(url)) is str
    again = pickle.loads(pickle.dumps(url))
    assert again == NEW and old_form(again) == OLD


def test_middleware_tries_the_old_form_once() -> None:
    crawler = get_crawler(settings_dict={"SITE_ORIGIN": "http://127.0.0.1:8000"})
    middleware = OldFormMiddleware.from_crawler(crawler)
    old = "https://sputniknews.com/columnists/201911181077343476-x/"  # the public old form
    request = Request(
        "http://127.0.0.1:8000/20191118/x-1077343476.html",
        headers={"Host": "sputnikglobe.com"},
        meta={"old_form": old, "download_slot": "sputnikglobe.com"},
    )
    retried = middleware.process_response(request, Response(request.url, status=404))
    # requested through the origin, for its own (former) host
    assert isinstance(retried, Request)
    assert retried.url == "http://127.0.0.1:8000/columnists/201911181077343476-x/"
    assert retried.headers.getlist("Host") == [b"sputniknews.com"]
    assert retried.meta["download_slot"] == "sputniknews.com"
    assert retried.meta["old_form_tried"] and retried.dont_filter
    again = Response(retried.url, status=404)
    assert middleware.process_response(retried, again) is again
    ok = Response(request.url, status=200)
    assert middleware.process_response(request, ok) is ok
    plain = Request(request.url)
    missing = Response(request.url, status=404)
    assert middleware.process_response(plain, missing) is missing
    assert crawler.stats.get_value("sputnik/urls/old-form-retried") == 1


def test_crawl_tries_the_old_form_after_a_404(tmp_path: Path) -> None:
    """The seed (given in the old form) answers at its canonical URL; of its linked articles,
    one answers only at its old form, one at its canonical URL, one nowhere."""
    only_old, canonical_ok = EN.cards
    nowhere, _ = EN.see_also
    pages = {
        href: replace(AGENCY, path=href, headline=title, cards=[], see_also=[])
        for href, title in (only_old, canonical_ok)
    }
    with HostileServer() as site:
        site.route(NEW[len(SITE) :], Reply(200, HTML, earlier_page(EN).encode()))
        site.route(only_old[0], Reply(200, HTML, earlier_page(pages[only_old[0]]).encode()))
        path = str(canonicalize(canonical_ok[0])[0])[len(SITE) :]
        site.route(path, Reply(200, HTML, earlier_page(pages[canonical_ok[0]]).encode()))
        crawl = run_crawl(
            None,
            tmp_path,
            "-a",
            f"seeds={OLD}",
            "-a",
            "source=urls",
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "never", "DEPTH_LIMIT": "1"},
            timeout=60,
        )
        requested = [p for p in site.paths() if p != "/robots.txt"]
        hosts = {r.path: r.host for r in site.requests}
    assert crawl.returncode == 0, crawl.log[-3000:]
    url = {href: str(canonicalize(href)[0]) for href in (only_old[0], canonical_ok[0], nowhere[0])}
    written = {r["url"]: r for r in rows(crawl.articles)}
    assert set(written) == {NEW, url[only_old[0]], url[canonical_ok[0]]}
    # the row of the page read at its old form has its canonical URL, depth and referer
    got = written[url[only_old[0]]]
    assert got["headline"] == only_old[1] and got["depth"] == 1 and got["referer"] == NEW
    assert got["article_id"] == 1077333333
    rejects = [(r["url"], r["reason"], r["depth"]) for r in rows(crawl.rejects)]
    assert rejects == [(url[nowhere[0]], "http-404", 1)]
    assert crawl.stats["sputnik/urls/old-form-retried"] == 2  # only_old and nowhere
    # the seed: its canonical URL only; the others: canonical URL first, then the old form
    assert requested.count(NEW[len(SITE) :]) == 1 and OLD not in requested
    for href in (only_old[0], nowhere[0]):
        new = url[href][len(SITE) :]
        assert requested.index(new) < requested.index(href)
        assert requested.count(new) == requested.count(href) == 1
        # each for its public host: the old form's is the former one
        assert (hosts[new], hosts[href]) == ("sputnikglobe.com", "sputniknews.com")
    assert canonical_ok[0] not in requested
