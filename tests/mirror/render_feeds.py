"""robots.txt, the RSS feed and the article sitemaps, as markup.md §3 describes them.

- RSS 2.0 at ``/export/rss2/archive/index.xml``: the 100 latest articles, newest first, each with
  ``title``, ``link``, ``guid``, ``pubDate`` (RFC 822), ``description``, ``category``, ``enclosure``
  [C].
- Sitemaps: the index ``/sitemap_article_index.xml`` names one child per calendar month,
  ``/sitemap_article.xml?date_start=YYYYMMDD&date_end=YYYYMMDD``; a child lists ``loc`` and
  ``lastmod`` in the standard sitemap namespace, and any date range works, down to one day [C].
- robots.txt is unknown on the real site [U]; ours disallows search, the feedback modal and one
  day of articles, so that tests can see a crawler obey it.

Every address is the public one (``https://sputnikglobe.com``, or the edition's), never the
mirror's. Output depends only on the site: "now" is the newest article's time.

Editions (``tests.mirror.editions``): every edition serves all of these on its own host. Times
carry the edition's local offset (``pubDate`` ``Wed, 10 Apr 2024 10:11:00 +0800``, ``lastmod``
``2024-04-10T10:11:00+08:00``), and **sitemap days are the edition's local calendar days**: a
month's child and a ``date_start``/``date_end`` range select the articles whose local publication
day (the day in their URL) falls in the range; for sputnikglobe.com local time is UTC.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY

if TYPE_CHECKING:
    from tests.mirror.model import Site, Stub

RSS_PATH = "/export/rss2/archive/index.xml"
RSS_ITEMS = 100
SITEMAP_INDEX_PATH = "/sitemap_article_index.xml"
SITEMAP_PATH = "/sitemap_article.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
CHANNEL_TITLE = "Sputnik International"
CHANNEL_DESCRIPTION = (
    "Sputnik International: breaking news from around the world, analysis, opinion and interviews."
)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_DAY = re.compile(r"^\d{8}$")


def robots_txt(origin: str = PUBLIC_ORIGIN) -> str:
    """The mirror's robots.txt (``origin``: the edition's); the real site's is unknown [U]."""
    return (
        "User-agent: *\n"
        "Disallow: /search/\n"
        "Disallow: /*?modal=\n"
        "# The mirror withholds one day of articles so that tests can see robots.txt obeyed.\n"
        f"Disallow: /{ROBOTS_DISALLOWED_DAY}/\n"
        "\n"
        f"Sitemap: {origin}{SITEMAP_INDEX_PATH}\n"
    )


# -- RSS ----------------------------------------------------------------------------------------


def rss(site: Site) -> str:
    """The RSS 2.0 archive feed: the latest ``RSS_ITEMS`` articles, newest first."""
    latest = site.latest(RSS_ITEMS)
    items = "".join(_rss_item(site, stub) for stub in latest)
    edition, origin = site.edition, site.origin
    house = escape(edition.house)
    description = CHANNEL_DESCRIPTION.replace(CHANNEL_TITLE, house)
    return (
        XML_DECLARATION
        + '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{house}</title>\n"
        f"<link>{origin}/</link>\n"
        f"<description>{escape(description)}</description>\n"
        f"<language>{edition.html_lang}</language>\n"
        f"<lastBuildDate>{_rfc822(latest[0].published, edition.zone)}</lastBuildDate>\n"
        f'<atom:link href="{origin}{RSS_PATH}" rel="self" type="application/rss+xml"/>\n'
        f"{items}</channel>\n</rss>\n"
    )


def _rss_item(site: Site, stub: Stub) -> str:
    article = site.article(stub.index)
    return (
        "<item>\n"
        f"<title>{escape(stub.headline)}</title>\n"
        f"<link>{escape(stub.url)}</link>\n"
        f'<guid isPermaLink="true">{escape(stub.url)}</guid>\n'
        f"<pubDate>{_rfc822(stub.published, stub.zone)}</pubDate>\n"
        f"<description>{escape(article.description)}</description>\n"
        f"<category>{escape(stub.section)}</category>\n"
        f'<enclosure url={quoteattr(article.image.main_url)} type="image/jpeg" length="0"/>\n'
        "</item>\n"
    )


# -- sitemaps -----------------------------------------------------------------------------------


def _rfc822(moment: datetime, zone: tzinfo) -> str:
    return format_datetime(moment if zone is UTC else moment.astimezone(zone))


def sitemap_index(site: Site) -> str:
    """One child sitemap per (local) calendar month, from the first article's to the last's."""
    zone = site.edition.zone
    first, last = (s.published.astimezone(zone) for s in (site.stubs[0], site.stubs[-1]))
    entries = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start = datetime(year, month, 1, tzinfo=zone)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = datetime(year, month, 1, tzinfo=zone) - timedelta(days=1)
        entries.append(_sitemap_entry(site, start, end))
    return (
        XML_DECLARATION
        + f'<sitemapindex xmlns="{SITEMAP_NS}">\n'
        + "".join(entries)
        + "</sitemapindex>\n"
    )


def _sitemap_entry(site: Site, start: datetime, end: datetime) -> str:
    loc = f"{site.origin}{SITEMAP_PATH}?date_start={start:%Y%m%d}&date_end={end:%Y%m%d}"
    lo, hi = _day_range(site, start, end)
    # The newest article of the month; an empty month was last changed when it began.
    lastmod = site.stubs[hi - 1].published if hi > lo else start
    zone = site.edition.zone
    return f"<sitemap><loc>{escape(loc)}</loc><lastmod>{_w3c(lastmod, zone)}</lastmod></sitemap>\n"


def sitemap(site: Site, date_start: str, date_end: str) -> str | None:
    """Every article published on the days ``date_start`` to ``date_end`` (inclusive), newest first.

    :param date_start: first day, ``YYYYMMDD``
    :param date_end: last day, ``YYYYMMDD``; before ``date_start`` gives an empty list
    :return: the urlset, or ``None`` (a 404) when either date is malformed
    """
    zone = site.edition.zone
    start, end = _parse_day(date_start, zone), _parse_day(date_end, zone)
    if start is None or end is None:
        return None
    lo, hi = _day_range(site, start, end)
    urls = "".join(
        f"<url><loc>{escape(stub.url)}</loc><lastmod>{_w3c(stub.published, zone)}</lastmod></url>\n"
        for stub in reversed(site.stubs[lo:hi])
    )
    return XML_DECLARATION + f'<urlset xmlns="{SITEMAP_NS}">\n{urls}</urlset>\n'


def _day_range(site: Site, first_day: datetime, last_day: datetime) -> tuple[int, int]:
    """Indices ``[lo, hi)`` of the stubs published on the days ``first_day`` to ``last_day``
    (midnights in the edition's local time)."""
    lo = bisect_left(site.stubs, first_day, key=_published)
    hi = bisect_left(site.stubs, last_day + timedelta(days=1), key=_published)
    return lo, max(lo, hi)


def _published(stub: Stub) -> datetime:
    return stub.published


def _parse_day(value: str, zone: tzinfo = UTC) -> datetime | None:
    """Local midnight of a ``YYYYMMDD`` day, or ``None`` when malformed."""
    if not _DAY.match(value):
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").replace(tzinfo=zone)
    except ValueError:
        return None


def _w3c(moment: datetime, zone: tzinfo = UTC) -> str:
    """W3C datetime as sitemaps use it: ``2024-04-10T02:11:00+00:00`` (local offset)."""
    return moment.astimezone(zone).isoformat(timespec="seconds")
