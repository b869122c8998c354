"""Bodies for ``tests.hostile`` routes: small valid articles, sitemaps, and cheap bombs.

A bomb costs the server almost nothing: gzip members concatenate (RFC 1952 §2.2), so one member
compressed once and sent N times is a valid gzip stream of N times its content, and a big plain
body is the same chunk yielded again and again (``Reply`` sends an iterable body chunk by chunk).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from functools import cache
from html import escape

from tests.hostile import Reply

MIB = 1024 * 1024
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def article_page(headline: str, published: str = "2024-04-10T10:00:00+00:00") -> bytes:
    """The smallest page the spider keeps as an article: a JSON-LD ``NewsArticle`` with a
    headline and a date, and the same headline as the page's ``h1``."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": published,
        "articleBody": f"{headline}. A short body.",
    }
    return (
        (
            "<!doctype html><html><head><meta charset='utf-8'><title>{t}</title>"
            '<script type="application/ld+json">{j}</script></head>'
            "<body><h1>{t}</h1><p>{t}. A short body.</p></body></html>"
        )
        .format(t=escape(headline), j=json.dumps(data))
        .encode()
    )


def html_reply(body: bytes) -> Reply:
    return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)


def urlset(locs: list[str], *, namespace: bool = True) -> bytes:
    """A sitemap listing ``locs``; without the sitemaps.org namespace if ``namespace`` is off."""
    xmlns = f' xmlns="{SITEMAP_NS}"' if namespace else ""
    entries = "".join(f"<url><loc>{escape(loc)}</loc></url>\n" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset{xmlns}>\n{entries}</urlset>\n'.encode()


def sitemap_index(locs: list[str], *, namespace: bool = True) -> bytes:
    """A sitemap index naming the child sitemaps ``locs``."""
    xmlns = f' xmlns="{SITEMAP_NS}"' if namespace else ""
    entries = "".join(f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex{xmlns}>\n{entries}</sitemapindex>\n'
    ).encode()


def gzip_file_reply(body: bytes | Iterator[bytes]) -> Reply:
    """A ``.gz`` file as servers send one: gzip bytes, no ``Content-Encoding``."""
    return Reply(200, {"Content-Type": "application/x-gzip"}, body)


@cache
def _member(size: int, fill: bytes) -> bytes:
    return gzip.compress(fill * size, compresslevel=9, mtime=0)


def gzip_bomb(total: int, head: bytes = b"", fill: bytes = b" ") -> Iterator[bytes]:
    """A gzip stream of ``head`` then ``total`` bytes of ``fill``, in 1 MiB members: 2 GiB of
    spaces is about 2 MB on the wire."""
    if head:
        yield gzip.compress(head, mtime=0)
    member = _member(MIB, fill)
    for _ in range(total // MIB):
        yield member


def big_body(
    total: int, head: bytes = b"", tail: bytes = b"", fill: bytes = b"a"
) -> Iterator[bytes]:
    """``head``, ``total`` bytes of ``fill`` in 1 MiB chunks, ``tail``: a huge page, streamed."""
    yield head
    chunk = fill * MIB
    for _ in range(total // MIB):
        yield chunk
    yield tail
