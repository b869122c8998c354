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
# Article ids are int64 (the article_id column, the state's SQLite integers): a bigger number
# at the end of a path is no article of the site.
INT64_MAX = 2**63 - 1


def article_id(url: str) -> int | None:
    """The number at the end of an article URL, or ``None`` (also when beyond int64)."""
    match = ARTICLE_PATH.match(urlsplit(url).path)
    return bounded_id(match.group(1)) if match else None


def bounded_id(digits: str) -> int | None:
    """The int64 number ``digits`` write, or ``None`` when it is bigger (``int()`` is not even
    tried on thousands of digits: it refuses over 4,300)."""
    significant = digits.lstrip("0")
    if len(significant) > len(str(INT64_MAX)):
        return None
    number = int(significant or "0")
    return number if number <= INT64_MAX else None


def canonicalize(href: str, base: str = PUBLIC_ORIGIN + "/") -> tuple[str | None, str | None]:
    """``(canonical article URL, None)``, or ``(None, reason)`` for a link not to follow.

    Reasons, as counted in ``sputnik/links_dropped/<reason>``: ``bad-scheme`` (``javascript:``,
    ``mailto:``...), ``off-site`` (any other host), ``not-article`` (a site page that is not an
    article: tags, sections, ``/docs/``, ``/services/``...), ``id-too-large`` (an article path
    whose id is beyond int64).

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
    match = ARTICLE_PATH.match(path)
    if not match:
        return None, "not-article"
    if bounded_id(match.group(1)) is None:
        return None, "id-too-large"
    return PUBLIC_ORIGIN + path, None
