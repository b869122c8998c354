"""Field normalizers: raw values as the extractors found them in, dataset values out.

One small function per rule, named ``<field>_processor`` after zyte-common-items' processors; each
docstring lists the inputs it accepts. A processor returns ``None`` (lists: ``[]``) for an empty
value and raises ``ValueError`` naming the value for one it cannot read; ``normalize_fields``
catches that, so a page with an unparseable value gets ``None`` there plus a reason, never an
exception. ``crawler.pipelines.normalize`` applies them to every ``RawArticle``.

Some rules depend on the page's edition (``crawler.editions``: the one whose host the canonical
URL is on, in the crawl's table): a processor that needs it takes it as keyword arguments
(``CONTEXT``: the article's ``language``, the edition's time ``zone``, the table's ``house``
names, the page's URL as ``base`` and the table as ``editions``). Every text is Unicode NFC
before any other rule, so a text written decomposed (``e`` + U+0301) is the same text as one
written composed, in the dataset, in ``content_hash`` and when tags are deduplicated.
Right-to-left text is kept as written: only whitespace (``str.isspace``) is collapsed, never
the direction marks U+200E, U+200F, U+061C, nor the Arabic presentation forms (NFC, not NFKC).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.editions import packaged_table
from crawler.house import House
from crawler.house import house as house_rules
from crawler.items import NormalizedArticle, RawArticle
from crawler.urls import PUBLIC_ORIGIN, article_id, bounded_id, canonicalize, edition_of

if TYPE_CHECKING:
    from crawler.editions import EditionTable

# "02:11 GMT 10.04.2024", as the article header shows times; "GMT+3" would give the offset.
VISIBLE_TIME = re.compile(
    r"(\d{1,2}):(\d{2})\s*GMT\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?\s*)?(\d{1,2})\.(\d{1,2})\.(\d{4})"
)
UNIX_TIME = re.compile(r"[+-]?\d{9,13}(?:\.\d+)?")
LANGUAGE = re.compile(r"[a-z]{2,3}")
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
PIXELS = re.compile(r"(\d+)(?:\.0*)?\s*(?:px)?")
# A link already in the canonical form of a host (most are): nothing for canonicalize to change
# once the host is known to be an edition's current one. Other slugs (non-Latin, percent-encoded
# in any case) go through canonicalize.
CANONICAL_LINK = re.compile(r"^(?:https://([a-z0-9.-]+))?(/\d{8}/(?:[a-z0-9-]*-)?(\d{6,})\.html)$")
# Separators of a list written as one string: the comma, and the Arabic (U+060C) and full-width
# (U+FF0C) ones that Arabic and Chinese editors type. Not the ideographic enumeration comma
# (U+3001): it also joins words inside one Chinese or Japanese phrase.
LIST_SEPARATOR = re.compile("[,\u060c\uff0c]")
# Languages whose dotted and dotless i are two letters: I -> ı, İ -> i (Turkish, Azerbaijani).
DOTLESS_I_LANGUAGES = frozenset({"tr", "az"})
# Language tags the site writes that are no ISO 639 code: sputniknews.cn's pages say cn_CN.
LANGUAGE_ALIASES = {"cn": "zh"}
# word_count: characters that are one word each (Han ideographs, hiragana, katakana), and the
# pattern of one counted word: such a character, or a maximal run of other non-space characters
# with a letter or digit in it ([^\W_] is str.isalnum(); the lookbehind tries a run at its start
# only, so the lookahead costs the run's length once: linear in the text).
CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
    "\u3041-\u309f"  # hiragana
    "\u30a1-\u30fa\u30fc-\u30ff\uff66-\uff9f"  # katakana (not the middle dot U+30FB)
)
WORD = re.compile(rf"[{CJK}]|(?<![^\s{CJK}])(?=[^\s{CJK}]*?[^\W_{CJK}])[^\s{CJK}]+")
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
    """The text in Unicode NFC, whitespace runs (any Unicode space, newlines) made one space,
    ends trimmed. Direction marks (U+200E, U+200F, U+061C) are no whitespace: they stay."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def lower(text: str, language: str | None = None) -> str:
    """``text`` lower-cased where its script has case, for ``language``, in NFC.

    ``str.lower()`` leaves caseless scripts (Arabic, Chinese...) alone, but lowers ``İ`` to
    ``i`` + U+0307: in Turkish and Azerbaijani (``tr``, ``az``) ``İ`` is ``i`` and ``I`` is
    ``ı``; in every other language ``İ`` is ``i`` (no stray dot) and the rest is ``str.lower()``.
    """
    if text.isascii() and language not in DOTLESS_I_LANGUAGES:
        return text.lower()
    if language in DOTLESS_I_LANGUAGES:
        text = text.replace("I", "\u0131")
    return unicodedata.normalize("NFC", text.replace("\u0130", "i").lower())


def _one(value: Any) -> Any:
    """A list's first non-blank item; other values unchanged."""
    if isinstance(value, list | tuple):
        return next((v for v in value if not _blank(v)), None)
    return value


def _blank(value: Any) -> bool:
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def text_processor(value: Any) -> str | None:
    """Text, NFC, whitespace collapsed (``description``, ``genre``, a publisher's names).

    Accepts a string, a number, or a list of them (the first non-empty one); empty gives ``None``.
    """
    value = _one(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {value!r}")
    return collapse(str(value)) or None


def headline_processor(value: Any, house: House | None = None) -> str | None:
    """The title, as ``text_processor`` gives it, without an edition's name after it
    (``Titular - Sputnik Mundo`` -> ``Titular``, ``crawler.house``).

    :param house: the house names of the crawl's editions table (the packaged one's if not
        given)
    """
    text = text_processor(value)
    return (house or house_rules()).strip_title(text) if text else None


def body_processor(value: Any) -> str | None:
    """Body paragraphs joined by a blank line, each NFC and whitespace collapsed, empty ones
    dropped.

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


def section_processor(value: Any, language: str | None = None) -> str | None:
    """Lower-case section name from a string or a list (its first): ``Analysis`` -> ``analysis``.

    :param language: the article's language, for its case rules (``lower``)
    """
    text = text_processor(value)
    return lower(text, language) if text else None


def _split_list(value: Any, split_commas: bool) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected a string or a list of strings, got {value!r:.80}")
        out.extend(LIST_SEPARATOR.split(item) if split_commas else [item])
    return [c for c in map(collapse, out) if c]


def tags_processor(value: Any, language: str | None = None) -> list[str]:
    """Tag names, NFC, lower-case where the script has case (``lower``: Turkish ``IŞİD`` ->
    ``ışid``), in page order, without duplicates or empties.

    Accepts a list of names or one comma-separated string (``"russia, china"``; also the
    Arabic ``،`` and full-width ``，`` commas).

    :param language: the article's language, for its case rules
    """
    tags = _split_list(value, split_commas=True)
    return list(dict.fromkeys(lower(t, language) for t in tags))


def keywords_processor(value: Any) -> list[str]:
    """SEO keyword phrases: split on commas, trimmed, NFC, empties and duplicates dropped, case
    kept.

    Accepts one comma-separated string (``"a, b ,c,"``; also the Arabic ``،`` and full-width
    ``，`` commas) or a list of such strings.
    """
    return list(dict.fromkeys(_split_list(value, split_commas=True)))


def authors_processor(value: Any, house: House | None = None) -> list[str]:
    """Author names, NFC, whitespace collapsed, in order, without duplicates, whatever the
    source: the house suffix is stripped (``Wilmer Leon. Sputnik International`` -> ``Wilmer
    Leon``, markup.md §4; ``Ana Pérez - Sputnik Mundo``) and the house's own names
    (``Sputnik``, ``Sputnik Mundo``, ``RIA Novosti``...) are no authors.

    Accepts a name or a list of names (the extractors have dropped organisations already).

    :param house: the house names of the crawl's editions table (``crawler.house``; the
        packaged one's if not given)
    """
    rules = house or house_rules()
    names = (rules.suffix.sub("", name) for name in _split_list(value, split_commas=False))
    return list(dict.fromkeys(n for n in names if n and not rules.name.match(n)))


def language_processor(value: Any) -> str | None:
    """The BCP 47 primary language subtag, lower-case: ``en_EN``, ``en-US``, ``EN`` -> ``en``.

    Only the primary subtag is kept: the site writes made-up regions (``en_EN``), and one edition
    has one language. ``cn`` (sputniknews.cn's pages say ``cn_CN``; no ISO 639 code) is ``zh``
    (``LANGUAGE_ALIASES``). Accepts a string or a list (its first); anything that does not start
    with a 2-3 letter code is invalid. A page that gives none has its edition's language
    (``normalize_fields``).
    """
    text = text_processor(value)
    if text is None:
        return None
    primary = re.split(r"[-_\s]", text, maxsplit=1)[0].lower()
    if not LANGUAGE.fullmatch(primary):
        raise ValueError(f"not a language tag: {value!r}")
    return LANGUAGE_ALIASES.get(primary, primary)


# -- time ----------------------------------------------------------------------------------------


def timestamp_processor(value: Any, zone: tzinfo = UTC) -> datetime | None:
    """An aware UTC ``datetime`` (microsecond precision) from any form the site writes.

    Accepts ISO 8601 with or without seconds, fractions and a ``Z`` or an offset (``+0000``,
    ``+0300``, ``-0300``, ``+08:00``, ``+08``: ``2024-04-10T02:11+0000``), the compact
    ``20260729T1319+0800``, unix seconds (int, float or digit string; 12-13 digits are
    milliseconds), the header's visible ``02:11 GMT 10.04.2024``, and ``datetime`` objects. A
    time without an offset (a date alone too: its midnight) is read in ``zone``.

    :param zone: the edition's time zone (``Edition.zone``: ``Asia/Shanghai`` for ``zh``)

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
        moment = moment.replace(tzinfo=zone)
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


def related_urls_processor(
    value: Any, base: str | None = None, editions: EditionTable | None = None
) -> list[str]:
    """Canonical article URLs in order, duplicates and non-article links dropped; a link to
    another edition is kept, on that edition's current host.

    Accepts a list of URLs (absolute, or relative to ``base``).

    :param base: the article's canonical URL (its edition's root if not given: sputnikglobe.com)
    :param editions: the crawl's editions table (the packaged one if not given)
    """
    table = editions or packaged_table()
    resolve = base or PUBLIC_ORIGIN + "/"
    urls = (related_url(u, resolve, table)[0] for u in _split_list(value, split_commas=False))
    return list(dict.fromkeys(str(u) for u in urls if u))  # str: no ArticleURL in the data


def related_url(
    href: str, base: str, editions: EditionTable | None = None
) -> tuple[str | None, str | None]:
    """``crawler.urls.canonicalize``, without its work for a link already in the canonical form
    of an edition's current host, or written from the root of one in that form (most are): that
    form is its own canonical URL (on the base's edition for a root-relative link).

    :param href: the link as written
    :param base: the public URL of the page it is on (its edition resolves ``/YYYYMMDD/...``)
    :param editions: the crawl's editions table (the packaged one if not given)
    """
    table = editions or packaged_table()
    match = CANONICAL_LINK.match(href)
    if match and bounded_id(match[3]) is not None:
        host = match[1] or _hostname(base)
        edition = table.by_host(host)
        if edition is not None and edition.host == host:
            return edition.origin + match[2], None
    return canonicalize(href, base, table)


@lru_cache(maxsize=256)
def _hostname(url: str) -> str | None:
    """``urlsplit(url).hostname``, kept for the page whose links are being read."""
    return urlsplit(url).hostname


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
    """The URL's host, lower-case: ``https://sputnikglobe.com/...`` -> ``sputnikglobe.com``
    (a canonical URL's is its edition's current host)."""
    return urlsplit(url).hostname or None


def word_count(body: str | None) -> int | None:
    """Words of the normalized body; ``None`` without a body.

    Each Han ideograph (U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+20000-3134F), hiragana
    (U+3041-309F) or katakana (U+30A1-30FA, U+30FC-30FF, U+FF66-FF9F) character is one word;
    every other maximal run of characters that are neither whitespace nor such characters is one
    word when it has a letter or a digit in it (``str.isalnum()``). English gives its
    whitespace-separated words less the punctuation-only ones (``—``); Chinese about one word a
    character, as a reader counts 字.
    """
    return None if body is None else len(WORD.findall(body))


def content_hash(headline: str | None, body: str | None) -> str:
    """SHA-256 hex of ``f"{headline}\\n{body}"`` (missing parts empty), as the manifest's."""
    return hashlib.sha256(f"{headline or ''}\n{body or ''}".encode()).hexdigest()


# -- all fields ------------------------------------------------------------------------------------

# In this order: ``language`` first, the case rules of ``section`` and ``tags`` depend on it.
PROCESSORS: dict[str, Callable[..., Any]] = {
    "language": language_processor,
    "headline": headline_processor,
    "description": text_processor,
    "body": body_processor,
    "section": section_processor,
    "tags": tags_processor,
    "keywords": keywords_processor,
    "authors": authors_processor,
    "genre": text_processor,
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
# Per field, what of the page's context its processor takes (keyword arguments): the article's
# ``language``, the edition's time ``zone``, the table's ``house`` names, the article's URL as
# ``base`` and the table as ``editions``.
CONTEXT: dict[str, tuple[str, ...]] = {
    "headline": ("house",),
    "section": ("language",),
    "tags": ("language",),
    "authors": ("house",),
    "published_at": ("zone",),
    "created_at": ("zone",),
    "modified_at": ("zone",),
    "related_urls": ("base", "editions"),
}


def normalize_fields(
    url: str,
    raw: dict[str, Any],
    fallbacks: dict[str, list[Any]] | None = None,
    editions: EditionTable | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every ``ArticleItem`` content field from raw fields, and the reasons of invalid ones.

    Fields the page lacks are ``None`` (lists ``[]``); an unreadable one is too, and its reason
    (the ``ValueError`` message) is in the second dict, keyed by field name. The edition is the
    one whose host the canonical URL is on: ``edition`` is its code, ``site`` its current host,
    and ``language`` its language when the page gives none (or none readable).

    :param url: the canonical article URL (gives ``url``, ``article_id``, ``site``, ``edition``)
    :param raw: raw values by field name, as ``crawler.extract.extract_article`` returns them
    :param fallbacks: per field, lower-precedence values tried in order when the raw one gives
        nothing readable (field by field fallback: JSON-LD, then microdata, then HTML)
    :param editions: the crawl's editions table (``Config.editions``); the packaged one if not
        given
    """
    values, errors = _normalized(url, raw, fallbacks, editions)
    return values, {field: str(exc) for field, exc in errors.items()}


def _normalized(
    url: str,
    raw: dict[str, Any],
    fallbacks: dict[str, list[Any]] | None,
    editions: EditionTable | None = None,
) -> tuple[dict[str, Any], dict[str, ValueError]]:
    """``normalize_fields``, with each invalid field's exception (the first source's)."""
    table = editions or packaged_table()
    canonical = str(canonicalize(url, editions=table)[0] or url)
    edition = edition_of(canonical, table)
    values: dict[str, Any] = {}
    errors: dict[str, ValueError] = {}
    context: dict[str, Any] = {
        "house": house_rules(table),
        "zone": edition.zone if edition else UTC,
        "base": canonical,
        "editions": table,
    }
    for field, processor in PROCESSORS.items():
        values[field] = [] if field in LIST_FIELDS else None
        kwargs = {name: context[name] for name in CONTEXT.get(field, ())}
        for candidate in (raw.get(field), *(fallbacks or {}).get(field, ())):
            try:
                value = processor(candidate, **kwargs)
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
        if field == "language":
            if values["language"] is None and edition is not None:
                values["language"] = edition.language  # the page says none: its edition's
            context["language"] = values["language"]
    values["url"] = canonical
    values["article_id"] = article_id_processor(canonical)
    values["site"] = site_processor(canonical)
    values["edition"] = edition.code if edition else None
    values["word_count"] = word_count(values["body"])
    values["content_hash"] = content_hash(values["headline"], values["body"])
    return values, errors


def to_article(
    raw: RawArticle, editions: EditionTable | None = None
) -> tuple[NormalizedArticle, dict[str, str]]:
    """The ``ArticleItem`` of a ``RawArticle``, and the reasons of its unreadable fields.

    Content fields go through ``normalize_fields``; ``layout``, ``fetched_at``, ``depth``,
    ``referer`` and ``job_id`` are copied as the spider set them. The item is a
    ``NormalizedArticle``: it also carries the page's HTTP status and the invalid fields'
    exceptions, for validation.

    :param editions: the crawl's editions table (``Config.editions``); the packaged one if not
        given
    """
    values, errors = _normalized(raw.url, raw.fields, raw.fallbacks, editions)
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
