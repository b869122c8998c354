"""The sister editions the mirror can serve: one row per edition, as markup.md §5 lists them.

Each edition is a site of its own on the same engine: its current host (and former hosts, which
the server also answers to), the language its pages declare, its local UTC offset (timestamps in
structured data, RSS and sitemaps carry it, article URLs and sitemap days use the local calendar
day), its house name (``og:site_name``, publisher, titles), its article id range, its words
(``tests.mirror.languages``; English is ``tests.mirror.text``) and its URL forms.

``en`` is sputnikglobe.com exactly as the single-site mirror has always served it: a ``Site``
built for ``EN`` is byte for byte the same as before editions existed.

Article ids are unique only within an edition: a few ids (``COLLIDE_EVERY``) are the same
numbers in every edition that has ``collide`` set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from typing import Any

from tests.mirror import languages, text

COLLIDE_BASE = 1_199_000_000  # ids shared by editions (``collide``): COLLIDE_BASE + 280 * ordinal
COLLIDE_EVERY = 40  # every 40th generated article (ordinal 11, 51, ...) takes a shared id
COLLIDE_AT = 11


@dataclass(frozen=True)
class Edition:
    """One edition: see the module docstring.

    ``urls`` weighs the article URL forms (``slug``: ASCII slug then id; ``id-only``:
    ``/YYYYMMDD/<id>.html``; ``native``: a slug in the script itself, percent-encoded).
    ``nfd_percent`` of its articles are served in NFD (decomposed accents), the truth being NFC.
    """

    code: str
    host: str
    former_hosts: tuple[str, ...]
    language: str  # the BCP 47 primary subtag the dataset holds
    language_raw: str  # what the pages write in JSON-LD inLanguage
    html_lang: str  # <html lang>
    og_locale: str
    direction: str  # ltr | rtl
    offset_hours: int
    house: str
    texts: Any  # tests.mirror.text (English) or a tests.mirror.languages.Language
    first_id: int
    first_archive_id: int
    urls: tuple[tuple[str, int], ...]
    nfd_percent: int = 0
    collide: bool = False

    @property
    def origin(self) -> str:
        return f"https://{self.host}"

    @property
    def former_origin(self) -> str:
        """Where its earlier-template pages lived: its first former host, else its own."""
        return f"https://{(self.former_hosts or (self.host,))[0]}"

    @property
    def image_origin(self) -> str:
        return f"https://cdn1.img.{self.host}"

    @property
    def zone(self) -> tzinfo:
        return UTC if not self.offset_hours else timezone(timedelta(hours=self.offset_hours))

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host this edition answers to: current, ``www.`` + current, former."""
        return (self.host, f"www.{self.host}", *self.former_hosts)


EN = Edition(
    code="en",
    host="sputnikglobe.com",
    former_hosts=("sputniknews.com",),
    language="en",
    language_raw="en_EN",
    html_lang="en",
    og_locale="en_US",
    direction="ltr",
    offset_hours=0,
    house="Sputnik International",
    texts=text,
    first_id=1115800000,
    first_archive_id=1073600000,
    urls=(("slug", 95), ("id-only", 5)),
)

EDITIONS: dict[str, Edition] = {
    e.code: e
    for e in (
        EN,
        Edition(
            code="es",
            host="noticiaslatam.lat",
            former_hosts=("mundo.sputniknews.com", "sputniknews.lat"),
            language="es",
            language_raw="es_ES",
            html_lang="es",
            og_locale="es_ES",
            direction="ltr",
            offset_hours=-3,
            house="Sputnik Mundo",
            texts=languages.SPANISH,
            first_id=1150000000,
            first_archive_id=1086000000,
            urls=(("slug", 70), ("native", 25), ("id-only", 5)),
            nfd_percent=15,
            collide=True,
        ),
        Edition(
            code="ar",
            host="sarabic.ae",
            former_hosts=("arabic.sputniknews.com",),
            language="ar",
            language_raw="ar_AR",
            html_lang="ar",
            og_locale="ar_AR",
            direction="rtl",
            offset_hours=3,
            house="Sputnik Arabic",
            texts=languages.ARABIC,
            first_id=1090000000,
            first_archive_id=1040000000,
            urls=(("native", 60), ("id-only", 40)),
            collide=True,
        ),
        Edition(
            code="zh",
            host="sputniknews.cn",
            former_hosts=(),
            language="zh",
            language_raw="cn_CN",
            html_lang="zh-CN",
            og_locale="zh_CN",
            direction="ltr",
            offset_hours=8,
            house="Sputnik China",
            texts=languages.CHINESE,
            first_id=1058000000,
            first_archive_id=1028000000,
            urls=(("id-only", 90), ("native", 10)),
            collide=True,
        ),
        Edition(
            code="ja",
            host="sputniknews.jp",
            former_hosts=("jp.sputniknews.com",),
            language="ja",
            language_raw="ja_JP",
            html_lang="ja",
            og_locale="ja_JP",
            direction="ltr",
            offset_hours=9,
            house="Sputnik Japan",
            texts=languages.JAPANESE,
            first_id=17000000,  # eight digits, as the Japanese edition's ids are
            first_archive_id=9000000,
            urls=(("id-only", 100),),
        ),
        Edition(
            code="tr",
            host="anlatilaninotesi.com.tr",
            former_hosts=("tr.sputniknews.com",),
            language="tr",
            language_raw="tr_TR",
            html_lang="tr",
            og_locale="tr_TR",
            direction="ltr",
            offset_hours=3,
            house="Sputnik Türkiye",
            texts=languages.TURKISH,
            first_id=1082000000,
            first_archive_id=1035000000,
            urls=(("slug", 95), ("id-only", 5)),
            collide=True,
        ),
    )
}


def parse_codes(value: str) -> tuple[str, ...]:
    """``"en,es"`` -> ``("en", "es")``; raises ValueError naming an unknown or repeated code."""
    codes = tuple(c.strip() for c in value.split(",") if c.strip())
    if not codes:
        raise ValueError("no edition given")
    for code in codes:
        if code not in EDITIONS:
            raise ValueError(f"unknown edition {code!r}; known: {', '.join(EDITIONS)}")
    if len(set(codes)) != len(codes):
        raise ValueError(f"an edition is named twice in {value!r}")
    return codes


def by_host(host: str) -> Edition | None:
    """The edition a ``Host`` header names (port stripped, any case), or ``None``."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip().lower().rstrip(".")
    return _BY_HOST.get(name)


_BY_HOST: dict[str, Edition] = {h: e for e in EDITIONS.values() for h in e.hosts}
