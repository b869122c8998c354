"""Article URLs: recognise them, make them canonical, and say why a link is not followed.

Canonical form (markup.md §1): ``https://sputnikglobe.com/YYYYMMDD/<slug>-<id>.html`` with no query
or fragment; ``/amp/`` copies and the former domain ``sputniknews.com`` map onto it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

PUBLIC_ORIGIN = "https://sputnikglobe.com"
PUBLIC_HOST = "sputnikglobe.com"
# Hosts whose article paths are sputnikglobe.com articles.
SITE_HOSTS = frozenset(
    {"sputnikglobe.com", "www.sputnikglobe.com", "sputniknews.com", "www.sputniknews.com"}
)
ARTICLE_PATH = re.compile(r"^/\d{8}/(?:[^/?#]*-)?(\d{6,})\.html$")


def article_id(url: str) -> int | None:
    """The number at the end of an article URL, or ``None``."""
    match = ARTICLE_PATH.match(urlsplit(url).path)
    return int(match.group(1)) if match else None


def canonicalize(href: str, base: str = PUBLIC_ORIGIN + "/") -> tuple[str | None, str | None]:
    """``(canonical article URL, None)``, or ``(None, reason)`` for a link not to follow.

    Reasons, as counted in ``sputnik/links_dropped/<reason>``: ``bad-scheme`` (``javascript:``,
    ``mailto:``...), ``off-site`` (any other host), ``not-article`` (a site page that is not an
    article: tags, sections, ``/docs/``, ``/services/``...).

    :param href: the link as written on the page
    :param base: the public URL of the page it is on, to resolve relative links
    """
    url = urljoin(base, href.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None, "bad-scheme"
    if (parts.hostname or "") not in SITE_HOSTS:
        return None, "off-site"
    path = parts.path
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    if not ARTICLE_PATH.match(path):
        return None, "not-article"
    return PUBLIC_ORIGIN + path, None
