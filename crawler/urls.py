"""Article URLs: recognise them, make them canonical, and say why a link is not followed.

Canonical form (markup.md §1): ``https://<host>/YYYYMMDD/<slug>-<id>.html`` on the current host of
the article's edition (``crawler.editions``: ``sputnikglobe.com`` for ``en``), with no query or
fragment; ``/amp/`` copies, ``www.`` and the edition's former hosts (``sputniknews.com``) map onto
it, and so do the old-form paths of the earlier template (markup.md §4),
``/<section>/<YYYYMMDD><id>-<slug>/``, whose canonical URL remembers the old form
(``ArticleURL.old_form``): the site redirects old forms to the new ones [I], and when the new one
is missing the spider tries the old form once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from crawler.editions import EditionTable, packaged_table

if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Self

    from crawler.editions import Edition

PUBLIC_ORIGIN = "https://sputnikglobe.com"  # the default edition's (en)
PUBLIC_HOST = "sputnikglobe.com"
# Every host of every edition in the packaged table.
SITE_HOSTS = packaged_table().hosts
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Separators written percent-encoded (%2F, %5C): a path segment for the site as for browsers.
ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c)", re.IGNORECASE)
ARTICLE_PATH = re.compile(r"^/\d{8}/(?:[^/?#]*-)?(\d{6,})\.html$")
# The earlier template's form (until about 2021): /columnists/201911181077343476-royal-self-.../
# is article 1077343476 of 2019-11-18 [C]; the date is 8 digits, the id the digits after it.
OLD_ARTICLE_PATH = re.compile(r"^/[^/]+/(\d{8})(\d{6,})(?:-([^/]+))?/?$")
# Article ids are int64 (the article_id column, the state's SQLite integers): a bigger number
# at the end of a path is no article of the site.
INT64_MAX = 2**63 - 1


class ArticleURL(str):
    """A canonical article URL (a plain ``str`` everywhere) that was written in the old form:
    ``old_form`` is that public URL (``https://sputniknews.com/<section>/<YYYYMMDD><id>-<slug>/``),
    normalized as the canonical one is."""

    __slots__ = ("old_form",)

    def __new__(cls, url: str, old_form: str) -> Self:
        made = super().__new__(cls, url)
        made.old_form = old_form
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return ArticleURL, (str(self), self.old_form)


def old_form(url: str) -> str | None:
    """The old-form public URL an article link was written in (``ArticleURL.old_form``), or
    ``None`` for a URL in today's form or a plain string."""
    return getattr(url, "old_form", None)


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


def edition_of(url: str, editions: EditionTable | None = None) -> Edition | None:
    """The edition whose host ``url`` is on (current, former, ``www.``), or ``None``.

    :param editions: the table (``Config.editions``); the packaged one if not given
    """
    return (editions or packaged_table()).by_host(urlsplit(url).hostname)


def canonicalize(
    href: str, base: str = PUBLIC_ORIGIN + "/", editions: EditionTable | None = None
) -> tuple[str | None, str | None]:
    """``(canonical article URL, None)``, or ``(None, reason)`` for a link not to follow.

    An old-form path (markup.md §4) ``/<section>/<YYYYMMDD><id>-<slug>/`` gives
    ``/<YYYYMMDD>/<slug>-<id>.html`` (``/<YYYYMMDD>/<id>.html`` without a slug), returned as an
    ``ArticleURL`` whose ``old_form`` is the normalized old form on the edition's first former
    host (its current host when it had none).

    Reasons, as counted in ``sputnik/links/dropped/<reason>``: ``bad-scheme`` (``javascript:``,
    ``mailto:``...), ``off-site`` (a host of no edition), ``not-article`` (a site page that is
    not an article: tags, sections, ``/docs/``, ``/services/``...), ``id-too-large`` (an article
    path whose id is beyond int64). Whether the edition is one the crawl chose is the spider's
    question (``off-edition``).

    Two spellings of one article give one URL: backslashes read as slashes (as browsers do),
    ``%2F``/``%5C`` as separators, dot-segments resolved (also ``%2E%2E``), percent-encoding
    normalized (``w3lib.url.canonicalize_url``: unreserved characters decoded, others upper-case).

    :param href: the link as written on the page
    :param base: the public URL of the page it is on, to resolve relative links
    :param editions: the table (``Config.editions``); the packaged one if not given
    """
    url = urljoin(base, href.strip().replace("\\", "/"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None, "bad-scheme"
    edition = (editions or packaged_table()).by_host(parts.hostname)
    if edition is None:
        return None, "off-site"
    origin = edition.origin
    path = ENCODED_SEPARATOR.sub("/", parts.path)
    path = urlsplit(canonicalize_url(origin + path)).path
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    match = ARTICLE_PATH.match(path)
    if match:
        if bounded_id(match.group(1)) is None:
            return None, "id-too-large"
        return origin + path, None
    old = OLD_ARTICLE_PATH.match(path)
    if not old:
        return None, "not-article"
    day, digits, slug = old.groups()
    if bounded_id(digits) is None:
        return None, "id-too-large"
    new = f"/{day}/{slug}-{digits}.html" if slug else f"/{day}/{digits}.html"
    if not ARTICLE_PATH.match(new):  # a slug that today's form cannot carry
        return None, "not-article"
    old_path = path if path.endswith("/") else path + "/"
    old_host = (*edition.former_hosts, edition.host)[0]
    return ArticleURL(origin + new, f"https://{old_host}{old_path}"), None


class Fetch(NamedTuple):
    """How a public URL is requested (``fetch``): where, with which extra headers and meta."""

    url: str
    headers: dict[str, str]
    """``{"Host": <public host>}`` through an origin; empty on the live site."""
    meta: dict[str, str]
    """``download_slot``: the public host, so that concurrency, delays and the scheduler's
    per-slot queues apply per public host, not per origin."""


def fetch_target(public_url: str, origin: str) -> tuple[str, str | None]:
    """Where a public URL is requested, and the ``Host`` header to send: the URL itself
    (``None``: the URL's own host) when ``origin`` is empty (the live site), else the same
    path and query on ``origin`` with the public host in ``Host`` (as a reverse proxy or an
    archive server expects; without a port: public hosts are on their scheme's default).

    :param public_url: an absolute public URL on an edition's host
    :param origin: ``Config.site_origin``
    """
    if not origin:
        return public_url, None
    parts = urlsplit(public_url)
    rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return origin + rest, (parts.hostname or "").lower()


def fetch(public_url: str, origin: str) -> Fetch:
    """The URL, headers and meta of a request for ``public_url``: every request the crawl makes
    for a page of the site (the spider's, a redirect's, an old form's, a ``robots.txt``) is
    built from this.

    :param public_url: an absolute URL on an edition's host
    :param origin: ``Config.site_origin``
    """
    url, host = fetch_target(public_url, origin)
    slot = (urlsplit(public_url).hostname or "").lower()
    return Fetch(url, {"Host": host} if host else {}, {"download_slot": slot})


def requested_public_url(url: str, host: str | None, origin: str) -> str:
    """The public URL a request stands for: through ``origin``, ``https://<Host header>``
    with the request's path and query; else the request's URL itself.

    :param url: the URL requested
    :param host: its ``Host`` header, if it has one
    :param origin: ``Config.site_origin``
    """
    rest = _rest_on_origin(url, origin) if host else None
    if rest is None:
        return url
    return f"https://{host.lower()}{rest}"  # type: ignore[union-attr]


def _rest_on_origin(url: str, origin: str) -> str | None:
    """The path and query of ``url`` below ``origin`` (same scheme, host, port and path
    prefix; user-info dropped), or ``None`` when it is not on it."""
    if not origin:
        return None
    parts = urlsplit(url)
    own = urlsplit(origin)
    if parts.scheme not in ("http", "https"):
        return None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:  # a port out of range or not a number
        return None
    if (parts.scheme, parts.hostname, port) != (
        own.scheme,
        own.hostname,
        own.port or DEFAULT_PORTS[own.scheme],
    ):
        return None
    path = parts.path or "/"
    prefix = own.path.rstrip("/")
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        return None
    rest = path[len(prefix) :] or "/"
    return urlunsplit(("", "", rest, parts.query, ""))


def public_target(
    target: str, origin: str, host: str, hosts: Collection[str] = SITE_HOSTS
) -> str | None:
    """The public URL a redirect's ``target`` stands for, or ``None`` when it is off the site.

    On one of ``hosts`` (an edition's, http or https, any port): the target itself, user-info
    dropped. On ``origin``'s exact scheme, host, port (and path prefix): the same path and query
    on ``host``, the public host of the request redirected (a relative ``Location`` is resolved
    on the origin). Anything else is off the site: another host (``169.254.169.254`` too),
    another port, another scheme.

    :param target: an absolute URL, e.g. a redirect's target
    :param origin: ``Config.site_origin`` (empty: the live site)
    :param host: the public host of the request that was redirected
    :param hosts: every edition host (``Config.editions.hosts``)
    """
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return None
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if (parts.hostname or "") in hosts:
        explicit = f":{parts.port}" if parts.port else ""
        rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return f"{parts.scheme}://{parts.hostname}{explicit}{rest}"
    rest = _rest_on_origin(target, origin)
    return None if rest is None else f"https://{host}{rest}"


def browser_url(public_url: str, origin: str) -> str:
    """Where the browser navigates for ``public_url``: the URL itself on the live site; through
    ``origin``, the public host with the origin's scheme (``http://sputnikglobe.com/...``), which
    Chromium resolves to the origin (``host_resolver_rules``): the page, and every request it
    makes on the site, then carry the public host in ``Host``, where Chromium refuses to let a
    route change that header.

    :param public_url: an absolute URL on an edition's host
    :param origin: ``Config.site_origin``
    """
    if not origin:
        return public_url
    parts = urlsplit(public_url)
    rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return f"{urlsplit(origin).scheme}://{(parts.hostname or '').lower()}{rest}"


def host_resolver_rules(origin: str, hosts: Collection[str] = SITE_HOSTS) -> str | None:
    """Chromium's ``--host-resolver-rules`` sending every one of ``hosts`` to ``origin``'s host
    and port (``None`` on the live site), so that ``browser_url`` reaches the origin."""
    if not origin:
        return None
    own = urlsplit(origin)
    port = own.port or DEFAULT_PORTS[own.scheme]
    target = f"[{own.hostname}]" if ":" in (own.hostname or "") else own.hostname
    return ", ".join(f"MAP {host} {target}:{port}" for host in sorted(hosts))


def browser_may_request(url: str, origin: str, hosts: Collection[str] = SITE_HOSTS) -> bool:
    """Whether the browser may request ``url``: on an edition's host or ``origin``
    (``public_target``; ``ws``/``wss`` as ``http``/``https``), or a URL that reaches no network
    (``data:``, ``blob:``, ``about:``).

    :param url: what a page asks for: a subresource, a navigation, a WebSocket...
    :param origin: ``SITE_ORIGIN`` without its trailing slash
    :param hosts: every edition host (``Config.editions.hosts``)
    """
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme in ("data", "blob", "about"):
        return True
    web = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return public_target(f"{web}:{rest}", origin, PUBLIC_HOST, hosts) is not None


def proxy_bypass(origin: str, hosts: Collection[str] = SITE_HOSTS) -> str:
    """Chromium's proxy bypass rules for the edition hosts and ``origin`` (exact host and
    port), after ``<-loopback>`` so that other loopback ports are not bypassed either."""
    if not origin:
        return ",".join(["<-loopback>", *sorted(hosts)])
    own = urlsplit(origin)
    port = own.port or DEFAULT_PORTS[own.scheme]
    host = f"[{own.hostname}]" if ":" in (own.hostname or "") else own.hostname
    return ",".join(["<-loopback>", *sorted(hosts), f"{host}:{port}"])
