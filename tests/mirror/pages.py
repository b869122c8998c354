"""Routing: which page a request target names, rendered from the model.

``render(site, target)`` is the only thing the HTTP server calls; it never touches the network and
is deterministic, so tests can also call it directly.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from tests.mirror import render_archive, render_article, render_feeds, render_js, render_lists
from tests.mirror.model import Site

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

ARTICLE_PATH = re.compile(r"^(?:/amp)?/\d{8}/(?:[^/?#]*-)?\d{6,}\.html$")
# The former form of archive articles, /<section>/<YYYYMMDD><id>-<slug>/ (markup.md §1, §4).
OLD_ARTICLE_PATH = re.compile(r"^/[a-z0-9_]+/\d{8}\d{6,}(?:-[^/]*)?/$")


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered response: status, body and its media type."""

    status: int
    body: bytes
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()


def render(site: Site, target: str, js: render_js.Options | None = None) -> Page:
    """The page for a request target such as ``/20240410/slug-1117838001.html?x=1``; with
    ``js``, some pages are served script-built (``render_js``)."""
    parts = urlsplit(target)
    path, query = parts.path, parse_qs(parts.query)
    if "%" in path or not path.isascii():
        path = canonical_path(path)
    if ARTICLE_PATH.match(path):
        amp = path.startswith("/amp/")
        index = site.by_path.get(path.removeprefix("/amp") if amp else path)
        if index is None:
            return not_found(site)
        layout = site.stubs[index].layout
        if layout == "earlier":
            return (
                Page(200, render_archive.earlier_page(site, index)) if not amp else not_found(site)
            )
        if layout == "generic":
            return (
                Page(200, render_archive.generic_page(site, index)) if not amp else not_found(site)
            )
        if amp:
            return Page(200, render_article.amp_page(site, index).encode())
        if js is not None and (variant := js.kind(site.stubs[index])):
            return Page(200, render_js.article_page(site, index, variant))
        return Page(200, render_article.page(site, index))
    if OLD_ARTICLE_PATH.match(path):
        # The live site redirects the former form to today's [I]; the old form is never a page.
        index = site.by_old_path.get(path)
        if index is None:
            return not_found(site)
        return Page(301, b"", headers=(("Location", site.stubs[index].path),))
    if path.startswith(render_js.API_PREFIX):
        found = render_js.api(site, path)
        return Page(200, *found) if found is not None else not_found(site)
    if path == "/robots.txt":
        return Page(200, render_feeds.robots_txt(site.origin).encode(), "text/plain; charset=utf-8")
    if path == "/export/rss2/archive/index.xml":
        return Page(200, render_feeds.rss(site).encode(), "application/rss+xml; charset=utf-8")
    if path == "/sitemap_article_index.xml":
        return Page(200, render_feeds.sitemap_index(site).encode(), XML)
    if path == "/sitemap_article.xml":
        xml = render_feeds.sitemap(site, _one(query, "date_start"), _one(query, "date_end"))
        return Page(200, xml.encode(), XML) if xml is not None else not_found(site)
    if js is not None and js.lists and (listed := render_js.list_page(site, path)):
        return Page(200, listed.encode())
    html = render_lists.page(site, path, query)
    return Page(200, html.encode()) if html is not None else not_found(site)


_HEX = re.compile(r"%[0-9a-fA-F]{2}")


def canonical_path(path: str) -> str:
    """A request path as the model stores it: non-ASCII (raw UTF-8 bytes, which the server
    reads as Latin-1) percent-encoded, and every escape in upper-case hex (``%d8`` -> ``%D8``)."""
    if not path.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            path = path.encode("latin-1").decode("utf-8")
        path = quote(path, safe="/%-._~!$&'()*+,;=:@")
    return _HEX.sub(lambda m: m[0].upper(), path)


def not_found(site: Site) -> Page:
    return Page(404, render_lists.not_found_page(site).encode())


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""
