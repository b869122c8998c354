"""The parts every page shares: ``<head>`` styles and scripts, the header menus, the footer.

Real Sputnik pages weigh 100-250 KB, most of it this chrome; the mirror carries as much so that a
crawler's parsing cost on it is realistic. The chrome is built once, at import, from a fixed seed.
Its links are the kinds a crawler meets and must not follow as articles: sections, tag pages,
``/docs/``, ``/services/``, off-site hosts under ``.invalid``, ``javascript:`` and ``mailto:``.
Every edition shares this (English) chrome; only ``<html lang dir>`` is the edition's.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from tests.mirror.text import SECTIONS, TAGS

if TYPE_CHECKING:
    from tests.mirror.editions import Edition

_rng = Random("chrome")
_CLASSES = (
    "header",
    "nav",
    "nav__item",
    "nav__link",
    "cell",
    "cell-list",
    "cell-list__item",
    "cell-main-photo",
    "article",
    "article__title",
    "article__text",
    "article__quote",
    "article__block",
    "article__footer",
    "tags",
    "tag",
    "tag__text",
    "footer",
    "footer__menu",
    "lenta",
    "lenta__item",
    "list",
    "list__item",
    "list__title",
    "media",
    "media__size",
    "banner",
    "share",
    "share__item",
    "modal",
    "popup",
    "button",
    "icon",
    "search",
    "social",
    "online",
    "online__item",
    "photoview",
    "photolenta",
    "layout",
    "sidebar",
    "m-active",
    "m-hidden",
)


def _css() -> str:
    rules = []
    for n in range(430):
        cls = _rng.choice(_CLASSES)
        mod = f"{cls}-{n}" if n % 3 else f"{cls}__el-{n}"
        rules.append(
            f".{mod}{{display:{_rng.choice(('block', 'flex', 'none', 'inline-block'))};"
            f"margin:{_rng.randrange(40)}px {_rng.randrange(40)}px;"
            f"color:#{_rng.randrange(16**6):06x};"
            f"font:{_rng.randrange(10, 40)}px/1.{_rng.randrange(9)} "
            f"'Roboto',Arial,sans-serif;transition:opacity .{_rng.randrange(9)}s}}"
        )
    return "\n".join(rules)


def _js() -> str:
    lines = [
        "window.dataLayer=window.dataLayer||[];",
        "var SITE={host:'sputnikglobe.com',lang:'en',cdn:'https://cdn1.img.sputnikglobe.com'};",
    ]
    for n in range(190):
        lines.append(
            f"function f{n}(a,b){{var c=a&&a.querySelector('.{_rng.choice(_CLASSES)}');"
            f"if(!c)return {n};c.setAttribute('data-k','{_rng.randrange(10**9):x}');"
            f"return b?f{max(0, n - 1)}(c,!b):c.children.length+{_rng.randrange(999)};}}"
        )
    lines.append("document.addEventListener('DOMContentLoaded',function(){f0(document,1)});")
    return "\n".join(lines)


STYLE = f"<style>{_css()}</style>"
SCRIPTS = (
    f"<script>{_js()}</script>\n"
    '<script src="https://cdn1.img.sputnikglobe.com/min/js/libs/jquery.min.js" defer></script>\n'
    '<script src="https://cdn1.img.sputnikglobe.com/min/js/common.min.js" defer></script>'
)


def _menu() -> str:
    items = [
        f'<li class="nav__item"><a class="nav__link" href="/{s}/">{s.title()}</a></li>'
        for s in SECTIONS
    ]
    tag_links = [
        f'<li class="nav__item m-sub"><a class="nav__link" href="{t.path}">{t.name}</a></li>'
        for t in TAGS
    ]
    return (
        '<header class="header"><div class="header__logo"><a href="/">'
        '<img src="https://cdn1.img.sputnikglobe.com/i/logo/logo.svg" alt="Sputnik International">'
        '</a></div><nav class="nav"><ul class="nav__list">'
        + "".join(items)
        + '<li class="nav__item"><a class="nav__link" href="/services/widget/lenta/">'
        + "News feed</a></li>"
        + '<li class="nav__item"><a class="nav__link" href="/search/?query=">Search</a></li>'
        + '<li class="nav__item"><a class="nav__link" href="?modal=feedback">Feedback</a></li>'
        + '<li class="nav__item"><a class="nav__link" href="javascript:void(0)">Menu</a></li>'
        + '</ul><ul class="nav__list m-hidden">'
        + "".join(tag_links)
        + "</ul></nav>"
        '<div class="social">'
        '<a class="social__item" href="https://t.me.invalid/s/SputnikInt">Telegram</a>'
        '<a class="social__item" href="https://x.com.invalid/SputnikInt">X</a>'
        '<a class="social__item" href="https://vk.com.invalid/sputnikint">VK</a>'
        '<a class="social__item" href="https://rumble.com.invalid/c/SputnikInt">Rumble</a>'
        "</div></header>"
    )


def _footer() -> str:
    docs = ("about_us", "terms_of_use", "privacy_policy", "cookie_policy", "editorial_policy")
    links = "".join(
        f'<li><a href="/docs/{d}.html">{d.replace("_", " ").title()}</a></li>' for d in docs
    )
    filler = "".join(
        f'<div class="footer__menu-{n}"><a href="/{_rng.choice(SECTIONS)}/">'
        f"{_rng.choice(SECTIONS).title()}</a></div>"
        for n in range(80)
    )
    return (
        '<footer class="footer"><ul class="footer__menu">'
        + links
        + '<li><a href="mailto:feedback@sputniknews.com">Contact us</a></li>'
        + '<li><a href="/services/subscribe/">Newsletter</a></li>'
        + '<li><a href="javascript:window.print()">Print</a></li>'
        + "</ul>"
        + filler
        + '<div class="footer__copyright">© 2026 Sputnik. All rights reserved. 18+</div>'
        + '<div class="footer__legal">Registration certificate ЭЛ № ФС 77 - 63615 issued by the'
        + " Federal Service for Supervision in the Sphere of Telecom, Information Technologies"
        + " and Mass Communications (Roskomnadzor).</div></footer>"
    )


HEADER = _menu()
FOOTER = _footer()


_OPEN = (
    '<!DOCTYPE html>\n<html lang="en" prefix="og: http://ogp.me/ns# article: http://ogp.me/ns/article#">'
    '<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>'
)
_HEAD_CLOSE = f"\n{STYLE}\n{SCRIPTS}\n</head>\n"
_BODY_OPEN = f'<body class="body">{HEADER}<div class="layout"><main class="layout__main">'
_ASIDE_OPEN = '</main><aside class="layout__aside sidebar">'
_CLOSE = f"</aside></div>{FOOTER}</body></html>\n"
# The same chrome, encoded once: most of a page's bytes never need encoding per request.
_OPEN_B, _HEAD_CLOSE_B, _BODY_OPEN_B, _ASIDE_OPEN_B, _CLOSE_B = (
    part.encode() for part in (_OPEN, _HEAD_CLOSE, _BODY_OPEN, _ASIDE_OPEN, _CLOSE)
)


def opening(edition: Edition | None = None) -> str:
    """The page's first bytes up to ``<title>``: ``<html lang>`` (and ``dir``) per edition."""
    if edition is None or edition.code == "en":
        return _OPEN
    attrs = f'lang="{edition.html_lang}"' + (' dir="rtl"' if edition.direction == "rtl" else "")
    return _OPEN.replace('lang="en"', attrs, 1)


def opening_bytes(edition: Edition | None = None) -> bytes:
    if edition is None or edition.code == "en":
        return _OPEN_B
    found = _OPENINGS.get(edition.code)
    if found is None:
        found = _OPENINGS[edition.code] = opening(edition).encode()
    return found


_OPENINGS: dict[str, bytes] = {}


def document(
    title: str, head_extra: str, main: str, aside: str = "", edition: Edition | None = None
) -> str:
    """A whole HTML page: shared chrome around one page's own ``<head>`` tags and content."""
    return (
        f"{opening(edition)}{title}</title>\n{head_extra}{_HEAD_CLOSE}{_BODY_OPEN}{main}"
        f"{_ASIDE_OPEN}{aside}{_CLOSE}"
    )


def document_bytes(
    title: str,
    head_extra: str,
    main: str,
    aside: str = "",
    tail: bytes = b"",
    edition: Edition | None = None,
) -> bytes:
    """``document`` as UTF-8 bytes, joining the pre-encoded chrome (the fast path); ``tail``
    is already-encoded content appended to ``main``."""
    return b"".join(
        (
            opening_bytes(edition),
            f"{title}</title>\n{head_extra}".encode(),
            _HEAD_CLOSE_B,
            _BODY_OPEN_B,
            main.encode(),
            tail,
            _ASIDE_OPEN_B,
            aside.encode(),
            _CLOSE_B,
        )
    )
