"""Canonical article URLs (``crawler.urls.canonicalize``): two spellings, one URL."""

from __future__ import annotations

import pytest

from crawler.urls import canonicalize

SITE = "https://sputnikglobe.com"
ARTICLE = SITE + "/20240410/slug-1117838015.html"
BASE = SITE + "/20240410/other-1117838001.html"


@pytest.mark.parametrize(
    "href",
    [
        ARTICLE,
        "slug-1117838015.html",  # relative to BASE
        "/20240411/../20240410/slug-1117838015.html",
        "/20240410/./x/../slug-1117838015.html",
        "/20240410/x/%2E%2E/slug-1117838015.html",
        "/20240410/x/%2e%2e%2Fslug-1117838015.html",
        "/20240410/x/..%5cslug-1117838015.html",
        "/20240410/x/..\\slug-1117838015.html",
        "\\20240410\\slug-1117838015.html",
        "/amp/../20240410/slug-1117838015.html",
        "/amp/20240410/slug-1117838015.html",
        "/20240410/%73%6C%75%67-1117838015.html",  # unreserved characters encoded
        "http://www.sputniknews.com/20240410/slug-1117838015.html?utm=x#top",
    ],
)
def test_spellings_of_one_article_give_one_url(href: str) -> None:
    assert canonicalize(href, BASE) == (ARTICLE, None)


def test_percent_encoding_is_normalized() -> None:
    raw = SITE + "/20240410/café-1117838015.html"
    encoded = SITE + "/20240410/caf%c3%a9-1117838015.html"
    want = SITE + "/20240410/caf%C3%A9-1117838015.html"
    assert canonicalize(raw) == canonicalize(encoded) == (want, None)


@pytest.mark.parametrize(
    "href",
    [
        # dot-segments that leave the day folder: not an article path any more
        "/20240410/..\\..\\x-1117838015.html",
        "/20240410/%2E%2E/x-1117838015.html",
        "/20240410/..%2F..%2Fx-1117838015.html",
    ],
)
def test_dot_segments_are_resolved_before_recognition(href: str) -> None:
    assert canonicalize(href, BASE) == (None, "not-article")


def test_canonical_urls_are_fixed_points() -> None:
    url, _ = canonicalize("/20240410/x/..%5Cslug-1117838015.html", BASE)
    assert url is not None and canonicalize(url) == (url, None)


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("javascript:alert(1)", "bad-scheme"),
        ("http://evil.example/20240410/slug-1117838015.html", "off-site"),
        ("https:\\\\evil.example\\20240410\\slug-1117838015.html", "off-site"),
        ("/world/", "not-article"),
    ],
)
def test_links_not_followed(href: str, reason: str) -> None:
    assert canonicalize(href, BASE) == (None, reason)
