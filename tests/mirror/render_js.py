"""Pages that are only complete in a browser, each the script-built twin of a static page.

With ``serve --js-shells PERCENT`` a fixed share of articles is served, at the article's own URL,
in one of three script-built variants; with ``--js-lists`` the section and tag lists load their
next items only by script. Which articles, and which variant, depends on the article id alone, so
the same site always serves the same pages, and the static twin is the page served without the
option. Once a browser has run the scripts, the DOM holds the static twin's markup exactly; the
manifest's truth is therefore the same for both (``manifest.py`` knows nothing of this module).

- ``payload``: an SPA shell (the site's chrome, an empty ``div#app``, a ``<noscript>``) with the
  article as JSON in ``script#__STATE__``; an inline script moves it into the DOM.
- ``api``: a bare front-end shell (no chrome), as anti-bot front ends serve, whose script
  ``fetch()``es the same JSON from ``/__api__/article/<id>.json``.
- ``related``: the static page without its inline related cards, and an empty
  ``div.article__related[data-url]`` that a script fills after load from
  ``/__api__/related/<id>.html`` (the same cards, in order), then drops its ``data-url``.
- Lists (``--js-lists``): the "load more" button has no ``data-url``; a click ``fetch()``es the
  next ``/services/<list>/more.html`` fragment and appends its items (the button goes when the
  list ends).

The shells' JSON is ``{"title", "head", "main", "aside"}``: the static page's title (as text),
its own ``<head>`` tags, its ``main`` content and its sidebar, cut from the static page's bytes
at the shared chrome's boundaries (``boilerplate``), so no markup is built twice.
"""

from __future__ import annotations

import html
import json
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.mirror import boilerplate, render_article, render_lists

if TYPE_CHECKING:
    from tests.mirror.model import Site, Stub

KINDS = ("payload", "api", "related")
API_PREFIX = "/__api__/"
_API_ARTICLE = re.compile(r"^/__api__/article/(\d{6,})\.json$")
_API_RELATED = re.compile(r"^/__api__/related/(\d{6,})\.html$")
# An inline related card as render_article._block writes it: no nested </a>, so non-greedy works.
_CARD = re.compile(
    rb'<div class="article__block" data-type="article"><div class="article__article">'
    rb".*?</a></div></div>",
    re.S,
)
_FOOTER = b'<div class="article__footer">'
_LIST = re.compile(r"^/([a-z0-9_]+)/$")  # as render_lists' list paths
_MORE_BUTTON = re.compile(r'<div class="list__more" data-url="[^"]*">')
NOSCRIPT = (
    '<noscript><div class="noscript">Please enable JavaScript to read Sputnik International.'
    "</div></noscript>"
)

# Builds the page from the shell's JSON: embedded (payload) or fetched (api).
BUILD_SCRIPT = """<script>(function () {
  function build(d) {
    document.title = d.title;
    document.head.insertAdjacentHTML("beforeend", d.head);
    var app = document.getElementById("app");
    app.insertAdjacentHTML("afterend", d.main);
    app.remove();
    var aside = document.querySelector("aside.sidebar");
    if (aside) aside.innerHTML = d.aside;
  }
  var state = document.getElementById("__STATE__");
  if (state) build(JSON.parse(state.textContent));
  else fetch(document.getElementById("app").getAttribute("data-src"))
    .then(function (r) { return r.json(); }).then(build);
})();</script>"""

RELATED_SCRIPT = """<script>(function () {
  document.querySelectorAll("div.article__related[data-url]").forEach(function (el) {
    fetch(el.getAttribute("data-url")).then(function (r) { return r.text(); })
      .then(function (cards) { el.innerHTML = cards; el.removeAttribute("data-url"); });
  });
})();</script>"""

LOAD_MORE_SCRIPT = """<script>(function () {
  var button = document.querySelector("div.list__more"), list = document.querySelector("div.list");
  if (!button || !list) return;
  button.addEventListener("click", function () {
    var items = list.querySelectorAll("div.list__item");
    var last = items[items.length - 1].getAttribute("data-article-id");
    fetch("/services/" + list.getAttribute("data-list") + "/more.html?id=" + last)
      .then(function (r) { return r.text(); }).then(function (fragment) {
        var box = document.createElement("div");
        box.innerHTML = fragment;
        var loaded = box.querySelector("div.list-items-loaded");
        list.insertAdjacentHTML("beforeend", loaded.innerHTML);
        if (!loaded.hasAttribute("data-next-url")) button.remove();
      });
  });
})();</script>"""


@dataclass(frozen=True, slots=True)
class Options:
    """What the mirror serves script-built: ``shells`` percent of articles, and the lists."""

    shells: int = 0
    lists: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.shells <= 100:
            raise ValueError(f"js shells must be a percentage (0-100), got {self.shells}")

    def kind(self, stub: Stub) -> str | None:
        """The script-built variant article ``stub`` is served in, or ``None`` (static)."""
        return kind(stub, self.shells)


def kind(stub: Stub, percent: int) -> str | None:
    """The variant of ``stub`` when ``percent`` % of articles are script-built, or ``None``."""
    if zlib.crc32(f"js:{stub.article_id}".encode()) % 100 >= percent:
        return None
    return KINDS[zlib.crc32(f"js-kind:{stub.article_id}".encode()) % len(KINDS)]


# -- articles ----------------------------------------------------------------------------------


def article_page(site: Site, index: int, variant: str) -> bytes:
    """Article ``index`` served as ``variant`` (one of ``KINDS``)."""
    stub = site.stubs[index]
    if variant == "related":
        return _related_page(site, index)
    if variant == "api":
        return _api_shell(site, stub)
    if variant == "payload":
        state = _json_script(state_json(site, index))
        return boilerplate.document_bytes(
            site.edition.house,
            "",
            _mount(stub, "") + NOSCRIPT + state + BUILD_SCRIPT,
            edition=site.edition,
        )
    raise ValueError(f"unknown js variant {variant!r}")


def state_json(site: Site, index: int) -> str:
    """The shells' JSON: the static page's title, head tags, main content and sidebar."""
    static = render_article.page(site, index)
    title, rest = _between(static, boilerplate.opening_bytes(site.edition), b"</title>\n")
    head, rest = _between(rest, b"", boilerplate._HEAD_CLOSE_B + boilerplate._BODY_OPEN_B)
    main, rest = _between(rest, b"", boilerplate._ASIDE_OPEN_B)
    aside, _ = _between(rest, b"", boilerplate._CLOSE_B)
    state = {
        "title": html.unescape(title.decode()),
        "head": head.decode(),
        "main": main.decode(),
        "aside": aside.decode(),
    }
    return json.dumps(state, ensure_ascii=True)


def _between(data: bytes, start: bytes, end: bytes) -> tuple[bytes, bytes]:
    """The bytes after ``start`` (a prefix of ``data``) up to ``end``, and what follows ``end``."""
    if not data.startswith(start):
        raise ValueError("static page does not have the shared chrome's layout")
    cut = data.index(end, len(start))
    return data[len(start) : cut], data[cut + len(end) :]


def _json_script(data: str) -> str:
    safe = data.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f'<script type="application/json" id="__STATE__">{safe}</script>'


def _mount(stub: Stub, src: str) -> str:
    data_src = f' data-src="{src}"' if src else ""
    return f'<div id="app" data-article-id="{stub.article_id}"{data_src}></div>'


def _api_shell(site: Site, stub: Stub) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="{site.edition.html_lang}"><head><meta charset="utf-8">\n'
        f"<title>{html.escape(site.edition.house)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n</head>\n'
        f'<body class="body">{_mount(stub, f"{API_PREFIX}article/{stub.article_id}.json")}'
        f"{NOSCRIPT}{BUILD_SCRIPT}</body></html>\n"
    ).encode()


def _related_page(site: Site, index: int) -> bytes:
    """The static page, its cards moved into a container a script fills after load."""
    stub = site.stubs[index]
    static = render_article.page(site, index)
    container = (
        f'<div class="article__related" data-url="{API_PREFIX}related/{stub.article_id}.html">'
        f"</div>{RELATED_SCRIPT}"
    ).encode()
    without = _CARD.sub(b"", static)
    cut = without.index(_FOOTER)
    return without[:cut] + container + without[cut:]


def related_cards(site: Site, index: int) -> bytes:
    """The inline related cards of article ``index``, in page order."""
    return b"".join(m[0] for m in _CARD.finditer(render_article.page(site, index)))


# -- lists -------------------------------------------------------------------------------------


def list_page(site: Site, path: str) -> str | None:
    """The section or tag list at ``path`` (``/world/``), its "load more" followed only by a
    script (no ``data-url``); ``None`` when ``path`` is no list."""
    match = _LIST.match(path)
    page = render_lists.list_page(site, match[1]) if match else None
    if page is None:
        return None
    page, found = _MORE_BUTTON.subn('<div class="list__more" role="button">', page, count=1)
    if not found:
        return page
    end = page.index("</main>")
    return page[:end] + LOAD_MORE_SCRIPT + page[end:]


# -- the API -----------------------------------------------------------------------------------


def api(site: Site, path: str) -> tuple[bytes, str] | None:
    """The body and media type of an ``/__api__/`` resource, or ``None`` (a 404)."""
    if match := _API_ARTICLE.match(path):
        index = site.by_id.get(int(match[1]))
        if index is not None:
            return state_json(site, index).encode(), "application/json"
    elif match := _API_RELATED.match(path):
        index = site.by_id.get(int(match[1]))
        if index is not None:
            return related_cards(site, index), "text/html; charset=utf-8"
    return None
