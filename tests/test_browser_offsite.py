"""The browser stays on the site: a script-built article that asks Chromium for everything on
another host (styles, scripts, images, an iframe, ``fetch()``, a beacon, a prefetch, a WebSocket,
a worker's fetch, a redirect's hop, a popup, a navigation) is rendered and written; a page whose
server redirects only the browser off the site is a ``redirect-off-site`` reject; and the other
host gets no request at all. Real Chromium; two pages, one browser start.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from crawler.urls import PUBLIC_ORIGIN, browser_may_request, proxy_bypass
from tests.crawl import run_crawl
from tests.hostile import HostileServer, Reply
from tests.test_crawl import rows

if TYPE_CHECKING:
    from pathlib import Path

ARTICLE = "/20240410/script-built-1117838001.html"
LEAVES = "/20240410/leaves-in-the-browser-1117838002.html"  # redirects only the browser
HEADLINE = "Built by a script"
JS = {"Content-Type": "text/javascript"}


def shell(other: str) -> bytes:
    """An article shell (``crawler.render.needs_browser`` says ``shell``: an empty ``#app``)
    whose script writes the article, and which reaches for ``other`` in every way it can."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "datePublished": "2024-04-10T02:11:00Z",
        "articleBody": "Text. " * 40,
    }
    ws = other.replace("http://", "ws://")
    return f"""<!DOCTYPE html><html><head><title>x</title>
<link rel="stylesheet" href="{other}/style.css">
<link rel="stylesheet" href="/moved.css">
<link rel="prefetch" href="{other}/prefetch.html">
<link rel="preconnect" href="{other}">
<script src="{other}/script.js"></script>
</head><body><div id="app"></div>
<img src="{other}/image.png">
<iframe src="{other}/frame.html"></iframe>
<script>
fetch("{other}/fetch").catch(() => 0);
navigator.sendBeacon("{other}/beacon", "x");
try {{ new WebSocket("{ws}/socket"); }} catch (e) {{}}
new Worker("/worker.js");
window.open("{other}/popup.html");
const ld = document.createElement("script");
ld.type = "application/ld+json";
ld.textContent = {json.dumps(json.dumps(data))};
document.head.appendChild(ld);
document.getElementById("app").innerHTML =
  '<div class="article"><h1 class="article__title">{HEADLINE}</h1>'
  + '<div class="article__body"><div class="article__text">Text.</div></div></div>';
history.pushState({{}}, "", "/20240410/another-article-1117838099.html");  // not its URL
// after load: a navigation while the page loads stops its loading (crawler/browser.py)
addEventListener("load", () => {{ location.href = "{other}/elsewhere.html"; }});
</script></body></html>""".encode()


def test_the_browser_requests_nothing_off_the_site(chromium: str, tmp_path: Path) -> None:
    with HostileServer() as site, HostileServer() as other:
        site.route("/robots.txt", Reply(200, {}, b"User-agent: *\nAllow: /\n"))
        site.route(ARTICLE, Reply(200, {"Content-Type": "text/html"}, shell(other.url)))
        site.route("/moved.css", Reply(302, {"Location": other.url + "/moved.css"}))
        site.route("/worker.js", Reply(200, JS, f'fetch("{other.url}/worker")'.encode()))
        leaving = [
            Reply(200, {"Content-Type": "text/html"}, b'<div id="app"></div><script></script>'),
            Reply(302, {"Location": other.url + "/left.html"}),
        ]
        site.route(LEAVES, lambda _: leaving.pop(0))
        crawl = run_crawl(
            None,
            tmp_path,
            *("-a", f"seeds={PUBLIC_ORIGIN}{ARTICLE},{PUBLIC_ORIGIN}{LEAVES}"),
            settings={"SITE_ORIGIN": site.url, "RENDER_JS": "auto"},
            timeout=60,
        )
        assert crawl.returncode == 0, crawl.log[-3000:]
        assert other.requests == []
        assert site.paths().count(ARTICLE) == 2  # without, then with the browser
    (row,) = rows(crawl.articles)
    assert row["url"] == PUBLIC_ORIGIN + ARTICLE and row["headline"] == HEADLINE
    stats = crawl.stats
    assert stats["sputnik/render/rendered"] == 1
    (reject,) = rows(crawl.rejects)
    assert (reject["url"], reject["reason"]) == (PUBLIC_ORIGIN + LEAVES, "redirect-off-site")
    assert other.url + "/left.html" in reject["detail"]
    assert stats["sputnik/redirect/off-site"] == 1
    kinds = ("stylesheet", "script", "image", "fetch", "ping", "document", "websocket", "other")
    blocked = {k: stats.get(f"sputnik/browser/blocked/{k}", 0) for k in kinds}
    assert all(blocked.values()), blocked
    assert blocked["stylesheet"] >= 2  # one of them a redirect's hop, stopped at the proxy
    assert blocked["document"] >= 2  # the iframe, the navigation (and the popup)
    total = sum(v for k, v in stats.items() if k.startswith("sputnik/browser/blocked/"))
    assert stats["sputnik/browser/blocked"] == total


ORIGIN = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        (ORIGIN + "/a.css", True),
        ("ws://127.0.0.1:8000/live", True),
        ("https://sputnikglobe.com/a.js", True),
        ("data:image/png;base64,AAAA", True),
        ("about:blank", True),
        ("http://127.0.0.1:8001/a.css", False),
        ("wss://127.0.0.1:8000/live", False),  # another scheme: another port
        ("ws://127.0.0.2:8000/live", False),
        ("https://cdn.example/a.js", False),
        ("file:///etc/passwd", False),
        ("chrome://settings", False),
    ],
)
def test_what_the_browser_may_request(url: str, allowed: bool) -> None:
    assert browser_may_request(url, ORIGIN) is allowed


def test_proxy_bypass_names_the_origin_port_after_loopback() -> None:
    rules = proxy_bypass(ORIGIN).split(",")
    assert rules[0] == "<-loopback>" and rules[-1] == "127.0.0.1:8000"
    assert "sputnikglobe.com" in rules
    assert proxy_bypass("https://sputnikglobe.com").endswith(",sputnikglobe.com:443")
