"""Field normalizers: raw values as the extractors found them in, dataset values out.

One small function per rule, named ``<field>_processor`` after zyte-common-items' processors; each
docstring lists the inputs it accepts. A processor returns ``None`` (lists: ``[]``) for an empty
value and raises ``ValueError`` naming the value for one it cannot read; ``normalize_fields``
catches that, so a page with an unparseable value gets ``None`` there plus a reason, never an
exception. ``crawler.pipelines.normalize`` applies them to every ``RawArticle``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from crawler.house import HOUSE_NAME, HOUSE_SUFFIX
from crawler.items import NormalizedArticle, RawArticle
from crawler.urls import ARTICLE_PATH, PUBLIC_ORIGIN, article_id, canonicalize

# "02:11 GMT 10.04.2024", as the article header shows times; "GMT+3" would give the offset.
VISIBLE_TIME = re.compile(
    r"(\d{1,2}):(\d{2})\s*GMT\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?\s*)?(\d{1,2})\.(\d{1,2})\.(\d{4})"
)
UNIX_TIME = re.compile(r"[+-]?\d{9,13}(?:\.\d+)?")
LANGUAGE = re.compile(r"[a-z]{2,3}")
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
PIXELS = re.compile(r"(\d+)(?:\.0*)?\s*(?:px)?")
CANONICAL = re.compile(re.escape(PUBLIC_ORIGIN) + ARTICLE_PATH.pattern.removeprefix("^"))
# Sane timestamps (published_at, created_at, modified_at): from 1990 (before the site and any
# archive it imported) to two days after now (clock skew, a wrong offset); others are invalid.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)
MILLIS_ABOVE = 10**11  # unix times above this are milliseconds (seconds reach it in year 5138)
PUBLISHER_KEYS = (
    "name",
    "email",
    "telephone",
    "legal_name",
    "logo_url",
    "logo_width",
    "logo_height",
)


class OutOfRange(ValueError):
    """A value that reads but cannot be right: a timestamp outside ``EARLIEST`` .. now +
    ``FUTURE_SLACK`` (``9999-12-31T23:59:59-23:59``, ``0001-01-01``). For a required field
    the reject's reason is ``reason``."""

    reason = "date-out-of-range"


# -- text ----------------------------------------------------------------------------------------


def collapse(text: str) -> str:
    """Whitespace runs (any Unicode space, newlines) made one space, ends trimmed."""
    return " ".join(text.split())


def _one(value: Any) -> Any:
    """A list's first non-blank item; other values unchanged."""
    if isinstance(value, list | tuple):
        return next((v for v in value if not _blank(v)), None)
    return value


def _blank(value: Any) -> bool:
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def text_processor(value: Any) -> str | None:
    """Text, whitespace collapsed (``headline``, ``description``, ``genre``).

    Accepts a string, a number, or a list of them (the first non-empty one); empty gives ``None``.
    """
    value = _one(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {value!r}")
    return collapse(str(value)) or None


def body_processor(value: Any) -> str | None:
    """Body paragraphs joined by a blank line, each whitespace collapsed, empty ones dropped.

    Accepts a list of paragraph strings (the HTML blocks), or one string (JSON-LD
    ``articleBody``) whose line breaks separate paragraphs.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = re.split(r"\s*\n\s*", value)
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise ValueError(f"expected paragraphs, got {value!r:.80}")
    return "\n\n".join(p for p in map(collapse, value) if p) or None


def section_processor(value: Any) -> str | None:
    """Lower-case section name from a string or a list (its first): ``Analysis`` -> ``analysis``."""
    text = text_processor(value)
    return text.lower() if text else None


def _split_list(value: Any, split_commas: bool) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected a string or a list of strings, got {value!r:.80}")
        out.extend(item.split(",") if split_commas else [item])
    return [c for c in map(collapse, out) if c]


def tags_processor(value: Any) -> list[str]:
    """Tag names, lower-case, in page order, without duplicates or empties.

    Accepts a list of names or one comma-separated string (``"russia, china"``).
    """
    return list(dict.fromkeys(t.lower() for t in _split_list(value, split_commas=True)))


def keywords_processor(value: Any) -> list[str]:
    """SEO keyword phrases: split on commas, trimmed, empties and duplicates dropped, case kept.

    Accepts one comma-separated string (``"a, b ,c,"``) or a list of such strings.
    """
    return list(dict.fromkeys(_split_list(value, split_commas=True)))


def authors_processor(value: Any) -> list[str]:
    """Author names, whitespace collapsed, in order, without duplicates, whatever the source:
    the house suffix is stripped (``Wilmer Leon. Sputnik International`` -> ``Wilmer Leon``,
    markup.md §4) and the house's own names (``Sputnik``, ``RIA Novosti``...) are no authors.

    Accepts a name or a list of names (the extractors have dropped organisations already).
    """
    names = (HOUSE_SUFFIX.sub("", name) for name in _split_list(value, split_commas=False))
    return list(dict.fromkeys(n for n in names if n and not HOUSE_NAME.match(n)))


def language_processor(value: Any) -> str | None:
    """The BCP 47 primary language subtag, lower-case: ``en_EN``, ``en-US``, ``EN`` -> ``en``.

    Only the primary subtag is kept: the site writes made-up regions (``en_EN``), and one edition
    has one language. Accepts a string or a list (its first); anything that does not start with a
    2-3 letter code is invalid.
    """
    text = text_processor(value)
    if text is None:
        return None
    primary = re.split(r"[-_\s]", text, maxsplit=1)[0].lower()
    if not LANGUAGE.fullmatch(primary):
        raise ValueError(f"not a language tag: {value!r}")
    return primary


# -- time ----------------------------------------------------------------------------------------


def timestamp_processor(value: Any) -> datetime | None:
    """An aware UTC ``datetime`` (microsecond precision) from any form the site writes.

    Accepts ISO 8601 with or without seconds, fractions and a ``Z``, ``+0000``, ``+00:00`` or
    ``+0300`` offset (``2024-04-10T02:11+0000``), the compact ``20240410T0211+0000``, unix
    seconds (int, float or digit string; 12-13 digits are milliseconds), the header's visible
    ``02:11 GMT 10.04.2024``, and ``datetime`` objects. A time without an offset is taken as UTC.

    :raises OutOfRange: for a time before ``EARLIEST`` (1990) or more than ``FUTURE_SLACK``
        (2 days) after now, or none in UTC (``9999-12-31T23:59:59-23:59``)
    """
    given = value
    value = _one(value)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_unix(float(value))
    elif isinstance(value, str):
        moment = _parse_time(value.strip())
    else:
        raise ValueError(f"expected a timestamp, got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # before year 1 or after 9999 once in UTC
        moment = None
    if moment is None or not EARLIEST <= moment <= datetime.now(UTC) + FUTURE_SLACK:
        raise OutOfRange(
            f"{given!r} is outside {EARLIEST:%Y-%m-%d} .. now + {FUTURE_SLACK.days} days"
        )
    return moment


def _from_unix(seconds: float) -> datetime:
    if abs(seconds) >= MILLIS_ABOVE:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"unix time out of range: {seconds!r}") from None


def _parse_time(text: str) -> datetime:
    if UNIX_TIME.fullmatch(text):
        return _from_unix(float(text))
    if match := VISIBLE_TIME.fullmatch(text):
        hour, minute, sign, off_h, off_m, day, month, year = match.groups()
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                tzinfo=timezone(-offset if sign == "-" else offset),
            )
        except ValueError:
            raise ValueError(f"not a valid time: {text!r}") from None
    try:
        # Python 3.11 reads "Z", "+0000" and the compact 20240410T0211 form itself.
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unparseable timestamp: {text!r}") from None


# -- links and images ----------------------------------------------------------------------------


def url_processor(value: Any) -> str | None:
    """An absolute http(s) address (``image_url``); ``//host/x`` becomes ``https://host/x``.

    Accepts a string or a list (its first).
    """
    text = text_processor(value)
    if text is None:
        return None
    if text.startswith("//"):
        text = "https:" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    return text


def related_urls_processor(value: Any) -> list[str]:
    """Canonical article URLs in order, duplicates and non-article links dropped.

    Accepts a list of URLs (absolute, or relative to the site's root).
    """
    urls = (
        u if CANONICAL.match(u) else canonicalize(u)[0]  # the extractor's are canonical already
        for u in _split_list(value, split_commas=False)
    )
    return list(dict.fromkeys(str(u) for u in urls if u))  # str: no ArticleURL in the data


def pixels(value: Any) -> int | None:
    """A positive pixel size from ``1920``, ``1920.0``, ``"1920"``, ``"1920px"``; else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 and value == int(value) else None
    if isinstance(value, str) and (match := PIXELS.fullmatch(value.strip())):
        return int(match.group(1)) or None
    return None


def images_processor(value: Any) -> list[dict[str, Any]]:
    """Images as ``{url, width, height}`` (sizes ``int`` or ``None``), in order, no duplicates.

    Accepts a URL string, a dict (``url`` or ``contentUrl``, ``width``, ``height``), or a list of
    either. Items without a usable URL are dropped; unreadable sizes become ``None``.
    """
    if value is None:
        return []
    out: list[dict[str, Any]] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        sized = isinstance(item, dict)
        url = (item.get("url") or item.get("contentUrl")) if sized else item
        width, height = (item.get("width"), item.get("height")) if sized else (None, None)
        try:
            url = url_processor(url)
        except ValueError:
            continue
        image = {"url": url, "width": pixels(width), "height": pixels(height)}
        if url and image not in out:
            out.append(image)
    if not out and value not in ([], ()):
        raise ValueError(f"no image URL in {value!r:.80}")
    return out


# -- structured data ---------------------------------------------------------------------------


def publisher_processor(value: Any) -> dict[str, Any] | None:
    """The publisher struct: ``name``, ``email``, ``telephone``, ``legal_name``, ``logo_url``,
    ``logo_width``, ``logo_height`` (sizes ``int``), missing keys ``None``.

    Accepts a name string, or a dict with those keys (also ``legalName`` and a ``logo`` that is
    a URL or a ``{url, width, height}`` dict).
    """
    value = _one(value)
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise ValueError(f"expected a publisher object, got {value!r:.80}")
    value = dict(value)
    logo = value.pop("logo", None)
    if isinstance(logo, dict):
        value.setdefault("logo_url", logo.get("url"))
        value.setdefault("logo_width", logo.get("width"))
        value.setdefault("logo_height", logo.get("height"))
    elif isinstance(logo, str):
        value.setdefault("logo_url", logo)
    value.setdefault("legal_name", value.get("legalName"))
    out: dict[str, Any] = {}
    for key in PUBLISHER_KEYS:
        if key in ("logo_width", "logo_height"):
            out[key] = pixels(value.get(key))
        elif key == "logo_url":
            try:
                out[key] = url_processor(value.get(key))
            except ValueError:
                out[key] = None
        else:
            raw = value.get(key)
            out[key] = text_processor(raw) if isinstance(raw, str | int) else None
    return out if any(v is not None for v in out.values()) else None


def copyright_year_processor(value: Any) -> int | None:
    """A four-digit year: ``2024``, ``"2024"``, ``"© 2024 Sputnik"``; a list gives its first."""
    value = _one(value)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return value
    if isinstance(value, float) and value.is_integer() and 1000 <= value <= 9999:
        return int(value)
    if isinstance(value, str) and (match := YEAR.search(value)):
        return int(match.group(1))
    raise ValueError(f"not a year: {value!r}")


# -- derived ---------------------------------------------------------------------------------------


def article_id_processor(url: str) -> int | None:
    """The number at the end of an article URL (``...-1117838001.html`` -> ``1117838001``)."""
    return article_id(url)


def site_processor(url: str) -> str | None:
    """The URL's host, lower-case: ``https://sputnikglobe.com/...`` -> ``sputnikglobe.com``."""
    return urlsplit(url).hostname or None


def word_count(body: str | None) -> int | None:
    """Whitespace-separated words of the normalized body; ``None`` without a body."""
    return None if body is None else len(body.split())


def content_hash(headline: str | None, body: str | None) -> str:
    """SHA-256 hex of ``f"{headline}\\n{body}"`` (missing parts empty), as the manifest's."""
    return hashlib.sha256(f"{headline or ''}\n{body or ''}".encode()).hexdigest()


# -- all fields ------------------------------------------------------------------------------------

PROCESSORS: dict[str, Callable[[Any], Any]] = {
    "headline": text_processor,
    "description": text_processor,
    "body": body_processor,
    "section": section_processor,
    "tags": tags_processor,
    "keywords": keywords_processor,
    "authors": authors_processor,
    "genre": text_processor,
    "language": language_processor,
    "published_at": timestamp_processor,
    "created_at": timestamp_processor,
    "modified_at": timestamp_processor,
    "image_url": url_processor,
    "images": images_processor,
    "related_urls": related_urls_processor,
    "publisher": publisher_processor,
    "copyright_year": copyright_year_processor,
}
LIST_FIELDS = frozenset({"tags", "keywords", "authors", "images", "related_urls"})


def normalize_fields(
    url: str, raw: dict[str, Any], fallbacks: dict[str, list[Any]] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every ``ArticleItem`` content field from raw fields, and the reasons of invalid ones.

    Fields the page lacks are ``None`` (lists ``[]``); an unreadable one is too, and its reason
    (the ``ValueError`` message) is in the second dict, keyed by field name.

    :param url: the canonical article URL (gives ``url``, ``article_id`` and ``site``)
    :param raw: raw values by field name, as ``crawler.extract.extract_article`` returns them
    :param fallbacks: per field, lower-precedence values tried in order when the raw one gives
        nothing readable (field by field fallback: JSON-LD, then microdata, then HTML)
    """
    values, errors = _normalized(url, raw, fallbacks)
    return values, {field: str(exc) for field, exc in errors.items()}


def _normalized(
    url: str, raw: dict[str, Any], fallbacks: dict[str, list[Any]] | None
) -> tuple[dict[str, Any], dict[str, ValueError]]:
    """``normalize_fields``, with each invalid field's exception (the first source's)."""
    values: dict[str, Any] = {}
    errors: dict[str, ValueError] = {}
    for field, processor in PROCESSORS.items():
        values[field] = [] if field in LIST_FIELDS else None
        for candidate in (raw.get(field), *(fallbacks or {}).get(field, ())):
            try:
                value = processor(candidate)
            except ValueError as exc:
                errors.setdefault(field, exc)
                continue
            except TypeError as exc:
                errors.setdefault(field, ValueError(str(exc)))
                continue
            if value not in (None, []):
                values[field] = value
                errors.pop(field, None)  # a lower source had it readable
                break
    canonical = str(canonicalize(url)[0] or url)
    values["url"] = canonical
    values["article_id"] = article_id_processor(canonical)
    values["site"] = site_processor(canonical)
    values["word_count"] = word_count(values["body"])
    values["content_hash"] = content_hash(values["headline"], values["body"])
    return values, errors


def to_article(raw: RawArticle) -> tuple[NormalizedArticle, dict[str, str]]:
    """The ``ArticleItem`` of a ``RawArticle``, and the reasons of its unreadable fields.

    Content fields go through ``normalize_fields``; ``layout``, ``fetched_at``, ``depth``,
    ``referer`` and ``job_id`` are copied as the spider set them. The item is a
    ``NormalizedArticle``: it also carries the page's HTTP status and the invalid fields'
    exceptions, for validation.
    """
    values, errors = _normalized(raw.url, raw.fields, raw.fallbacks)
    item = NormalizedArticle(
        **values,
        layout=raw.layout,
        fetched_at=raw.fetched_at,
        depth=raw.depth,
        referer=raw.referer,
        job_id=raw.job_id,
        status=raw.status,
        errors=errors,
    )
    return item, {field: str(exc) for field, exc in errors.items()}
