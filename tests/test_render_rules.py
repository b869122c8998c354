"""``crawler.render`` and ``crawler.browser`` without a browser: which pages need one, and what
the middleware does with them (the real Chromium is in ``test_render.py``)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.browser import BrowserUnavailable, abort_request, missing_executable
from crawler.render import RenderMiddleware, needs_browser, needs_js_detail
from tests.mirror import pages, render_js
from tests.mirror.model import Site

ORIGIN = "http://mirror.test"
ALL_BUILT = render_js.Options(100, lists=True)


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(300)


def first(site: Site, variant: str | None) -> int:
    """The first article served as ``variant`` when all are script-built (``None``: any)."""
    return next(s.index for s in site.stubs if variant in (None, render_js.kind(s, 100)))


def article_meta(site: Site, index: int) -> dict[str, Any]:
    return {"public_url": site.stubs[index].url, "depth": 2}


def served(site: Site, path: str, js: render_js.Options | None = None, status: int = 200) -> Any:
    page = pages.render(site, path, js)
    return HtmlResponse(ORIGIN + path, status=status, body=page.body, encoding="utf-8")


@pytest.mark.parametrize(
    ("variant", "reason"),
    [(None, None), ("payload", "shell"), ("api", "shell"), ("related", "related")],
)
def test_article_pages(site: Site, variant: str | None, reason: str | None) -> None:
    index = first(site, variant)
    response = served(site, site.stubs[index].path, ALL_BUILT if variant else None)
    assert needs_browser(response, article_meta(site, index)) == reason


def test_a_related_block_once_filled_is_complete(site: Site) -> None:
    index = first(site, "related")
    page = served(site, site.stubs[index].path, ALL_BUILT)
    filled = page.replace(body=page.body.replace(b' data-url="/__api__/related/', b' data-x="'))
    assert needs_browser(filled, article_meta(site, index)) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # an anti-bot interstitial: a script and next to no text
        (
            b"<html><body><script>document.cookie='x=1';location.reload()</script></body></html>",
            "shell",
        ),
        (
            b'<html><body><div id="root"></div><script src="/app.js"></script></body></html>',
            "shell",
        ),
        (b"<html><body><noscript>Enable JavaScript</noscript></body></html>", "shell"),
        (b"<html><body><p>Moved. Nothing to see.</p></body></html>", None),  # no script
        (b"", None),
    ],
)
def test_shell_markers(body: bytes, reason: str | None) -> None:
    response = HtmlResponse(ORIGIN + "/20240101/x-1115800000.html", body=body, encoding="utf-8")
    assert needs_browser(response, {"public_url": "https://sputnikglobe.com/x"}) == reason


def test_pages_that_are_not_shells(site: Site) -> None:
    meta = {"public_url": site.stubs[0].url}
    # the site's chrome around no article (a 200 "not found", a docs page): scripts, lots of text
    assert needs_browser(served(site, "/docs/about_us.html"), meta) is None
    index = first(site, "payload")
    shell = served(site, site.stubs[index].path, ALL_BUILT, status=404)
    assert needs_browser(shell, article_meta(site, index)) is None  # errors are not rendered
    binary = Response(ORIGIN + "/x", body=b"\x00\x01")
    assert needs_browser(binary, meta) is None
    assert needs_browser(served(site, "/robots.txt"), {}) is None  # not a page the spider reads


def test_lists_need_a_browser_only_for_more_pages(site: Site) -> None:
    built, static = served(site, "/world/", ALL_BUILT), served(site, "/world/")
    assert needs_browser(built, {"listing": True, "listing_more": 2}) == "load-more"
    assert needs_browser(built, {"listing": True, "listing_more": 0}) is None
    assert needs_browser(built, {"listing": True}) is None
    assert needs_browser(static, {"listing": True, "listing_more": 2}) is None
    rss = pages.render(site, "/export/rss2/archive/index.xml")
    feed = XmlResponse(ORIGIN + "/export/rss2/archive/index.xml", body=rss.body)
    assert needs_browser(feed, {"listing": True, "listing_more": 2}) is None


# -- the middleware -----------------------------------------------------------------------------


def middleware(**settings: Any) -> RenderMiddleware:
    return RenderMiddleware.from_crawler(get_crawler(settings_dict=settings))


def test_a_page_that_needs_a_browser_goes_once_more_through_it(site: Site) -> None:
    mw = middleware()
    index = first(site, "api")
    request = Request(ORIGIN + site.stubs[index].path, meta=article_meta(site, index))
    again = mw.process_response(request, served(site, site.stubs[index].path, ALL_BUILT))
    assert isinstance(again, Request)
    assert again.url == request.url and again.dont_filter
    assert again.meta["playwright"] and again.meta["render"] == "shell"
    assert again.meta["depth"] == 2 and again.meta["public_url"] == site.stubs[index].url
    assert [m.method.__name__ for m in again.meta["playwright_page_methods"]] == ["settle"]
    stats = mw.stats.get_stats()
    assert stats["sputnik/render/requested"] == 1
    assert stats["sputnik/render/requested/shell"] == 1
    # the browser's answer, even if still a shell, is never sent again
    still = served(site, site.stubs[index].path, ALL_BUILT)
    assert mw.process_response(again, still) is still
    assert mw.stats.get_value("sputnik/render/rendered") == 1
    assert mw.stats.get_value("sputnik/render/incomplete/shell") == 1


def test_static_pages_pass(site: Site) -> None:
    mw = middleware()
    index = first(site, None)
    request = Request(ORIGIN + site.stubs[index].path, meta=article_meta(site, index))
    response = served(site, site.stubs[index].path)
    assert mw.process_response(request, response) is response
    assert "needs_js" not in request.meta
    assert not any(k.startswith("sputnik/render") for k in mw.stats.get_stats())


def test_load_more_clicks_as_many_times_as_pages_wanted(site: Site) -> None:
    request = Request(ORIGIN + "/world/", meta={"listing": True, "listing_more": 3})
    again = middleware().process_response(request, served(site, "/world/", ALL_BUILT))
    assert isinstance(again, Request)
    (method,) = again.meta["playwright_page_methods"]
    assert method.method.__name__ == "load_more" and method.args[0] == 3


def test_never_marks_pages_for_needs_js_and_says_so_once(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    mw = middleware(RENDER_JS="never")
    for variant in ("payload", "related"):
        index = first(site, variant)
        request = Request(ORIGIN + site.stubs[index].path, meta=article_meta(site, index))
        response = served(site, site.stubs[index].path, ALL_BUILT)
        with caplog.at_level(logging.WARNING):
            assert mw.process_response(request, response) is response
        assert request.meta["needs_js"] == ("shell" if variant == "payload" else "related")
    assert mw.stats.get_value("sputnik/render/needs-js") == 2
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "RENDER_JS=never" in caplog.text
    assert "RENDER_JS=auto" in needs_js_detail("shell")


def test_always_renders_articles_from_the_first_request(site: Site) -> None:
    mw = middleware(RENDER_JS="always")
    article = Request(ORIGIN + site.stubs[0].path, meta=article_meta(site, 0))
    listing = Request(ORIGIN + "/world/", meta={"public_url": "x", "listing": True})
    mw.process_request(article)
    mw.process_request(listing)
    assert article.meta["playwright"] and article.meta["render"] == "always"
    assert "playwright" not in listing.meta


def test_no_browser_fetches_again_without_one(site: Site) -> None:
    mw = middleware(RENDER_JS="always")
    index = first(site, "payload")
    request = Request(ORIGIN + site.stubs[index].path, meta=article_meta(site, index))
    mw.process_request(request)
    plain = mw.process_exception(request, BrowserUnavailable("no browser at /x"))
    assert isinstance(plain, Request) and plain.dont_filter
    assert not any(k.startswith("playwright") for k in plain.meta) and "render" not in plain.meta
    assert mw.unavailable == "no browser at /x"
    mw.process_request(plain)
    assert "playwright" not in plain.meta  # known now: no more attempts
    response = served(site, site.stubs[index].path, ALL_BUILT)
    assert mw.process_response(plain, response) is response
    assert plain.meta["needs_js"] == "shell"
    # other failures are not the middleware's
    assert mw.process_exception(request, TimeoutError()) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("RENDER_JS", "sometimes"), ("RENDER_TIMEOUT_SECS", "0"), ("RENDER_TIMEOUT_SECS", "soon")],
)
def test_bad_settings_name_themselves(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        middleware(**{name: value})


def test_settings_are_read_as_scrapyd_passes_them() -> None:
    assert middleware(RENDER_JS=" Never ").mode == "never"
    assert middleware(RENDER_TIMEOUT_SECS="2.5").timeout_ms == 2500


# -- crawler.browser ----------------------------------------------------------------------------


def test_images_fonts_and_media_are_not_downloaded() -> None:
    for kind, aborted in (("image", True), ("font", True), ("media", True), ("script", False)):
        assert abort_request(SimpleNamespace(resource_type=kind)) is aborted  # type: ignore[arg-type]
    assert abort_request(SimpleNamespace(resource_type="document")) is False  # type: ignore[arg-type]


def test_a_missing_executable_is_named(tmp_path: Any) -> None:
    def config(**options: Any) -> Any:
        return SimpleNamespace(cdp_url=None, connect_url=None, launch_options=options)

    problem = missing_executable(config(executable_path=str(tmp_path / "chromium")))
    assert problem and "chromium" in problem and "PLAYWRIGHT_LAUNCH_OPTIONS" in problem
    not_executable = tmp_path / "text"
    not_executable.write_text("")
    assert missing_executable(config(executable_path=str(not_executable)))
    assert missing_executable(config()) is None  # Playwright's own browser: its launch says
    assert missing_executable(config(executable_path="/bin/sh")) is None
