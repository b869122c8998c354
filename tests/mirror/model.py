"""The site model: a deterministic set of Sputnik articles, their related-article graph and the
page variants each one is rendered with.

A ``Site`` is built from two numbers, ``articles`` and ``seed``; the same pair always gives the same
articles, graph and bytes. Building one costs a light ``Stub`` per article (id, path, headline,
time, section, tags, variants); the full ``Article`` (text, images, related links) is made on
demand and cached, so 50,000 articles start in about a second.

Articles are numbered in publication order. Generated articles start on ``GENERATED_START``, one
about every ``INTERVAL_MINUTES``; the real seed article of ``seed-article.txt`` and its two related
articles of 2024-04-09 are always present, at their real paths, in their place in time.

The related graph: each article links to 0-6 others (mostly older, some newer, so the graph has
cycles); runs of ``CHAIN_LENGTH`` articles form chains in which each links only to the one before;
about ``ORPHAN_PERCENT`` % of articles are orphans that no related link reaches.

The clock: ``Site(articles, seed, published=K)`` is the same site when only its first ``K``
articles (in publication order) are out. The rest do not exist yet: their pages 404, and no
listing, feed, sitemap or related link names them; ``site.advanced_to(K2)`` is the same site
later. An article's text never depends on ``K`` (related cards are not body text), so a crawler
sees unchanged articles stay unchanged as the clock moves; only forward related links to articles
published meanwhile appear on older pages, as when an editor adds them.

The archive: ``Site(articles, seed, archive=M)`` adds ``M`` articles dated 2019-2020 before the
others (so the clock counts them first). Each has a ``layout``: ``earlier`` (about 70 %, the
earlier template of markup.md §4, ``render_archive.earlier_page``), ``generic`` (about 10 %, an
unknown template, ``render_archive.generic_page``) or ``current`` (the rest, re-rendered in
today's template); each is served at its canonical path and, as a 301 to it, at its former
``/<section>/<YYYYMMDD><id>-<slug>/`` path (``Stub.old_path``). Archive articles link to each
other; the earliest 2024 articles' backward related links reach into the archive; the other
articles, their text and their graph are the same as without the archive (``archive=0``, the
default).

Editions: ``Site(..., edition=EDITIONS["zh"])`` is a sister edition (``tests.mirror.editions``)
built the same way from its own tables: its host, id range, words (``tests.mirror.languages``),
URL forms, local time (the URL's day is the local day) and random streams (keys prefixed by its
code); only ``en``, the default, has the real seed article. ``tests.mirror.sites.Editions``
builds several and links some of their articles across editions (``Site.foreign``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from random import Random
from typing import TypeVar
from urllib.parse import quote

from tests.mirror import seed as real
from tests.mirror import text
from tests.mirror.editions import COLLIDE_AT, COLLIDE_BASE, COLLIDE_EVERY, EN, Edition
from tests.mirror.text import Tag

PUBLIC_ORIGIN = "https://sputnikglobe.com"
FORMER_ORIGIN = "https://sputniknews.com"
IMAGE_ORIGIN = "https://cdn1.img.sputnikglobe.com"
GENERATED_START = datetime(2024, 1, 1, tzinfo=UTC)
INTERVAL_MINUTES = 15
FIRST_GENERATED_ID = 1115800000
ORPHAN_PERCENT = 4
CHAIN_LENGTH = 25
RELATED_COUNT_WEIGHTS = (8, 12, 20, 22, 18, 12, 8)  # chance of 0, 1, ... 6 related articles
# A day whose articles robots.txt withholds from crawlers (see render_feeds.robots_txt).
ROBOTS_DISALLOWED_DAY = "20240102"

# Variant dimensions, each a tuple of (value, percent); the percentages of a dimension add to 100.
# jsonld: "plain" NewsArticle script, "graph" wrapped in @graph beside WebSite and BreadcrumbList,
# "multi" several scripts, "missing", "broken" (invalid JSON). microdata: block present or not.
STRUCTURE = (
    (("plain", True), 45),
    (("graph", True), 15),
    (("multi", True), 8),
    (("plain", False), 7),
    (("missing", True), 8),
    (("broken", True), 7),
    (("missing", False), 5),
    (("broken", False), 5),
)
# shape of JSON-LD values: "canonical" (objects and lists as in the seed), "alt" (other objects and
# lists), "scalar" (plain strings where the vocabulary allows them).
SHAPES = (("canonical", 50), ("alt", 25), ("scalar", 25))
TIMESTAMPS = (
    ("minute", 55),  # 2024-04-10T02:11+0000, as the real site
    ("seconds", 10),  # 2024-04-10T02:11:00+0000
    ("seconds-z", 10),  # 2024-04-10T02:11:00Z
    ("minute-z", 5),  # 2024-04-10T02:11Z
    ("offset", 10),  # 2024-04-10T05:11+0300, Moscow time
    ("colon", 10),  # 2024-04-10T02:11:00+00:00
)
URLS = (("slug", 95), ("id-only", 5))
HEADLINES = (("plain", 70), ("dash", 10), ("colon", 10), ("non-latin", 5), ("quotes", 5))
KINDS = (("article", 94), ("live", 4), ("no-date", 1), ("no-headline", 1))

ARCHIVE_START = datetime(2019, 1, 1, tzinfo=UTC)
ARCHIVE_END = datetime(2021, 1, 1, tzinfo=UTC)
FIRST_ARCHIVE_ID = 1073600000
ARCHIVE_ID_SPAN = 8_000_000  # ids of 2019-2020 run from about 1073600000 to 1081600000
# How an archive article is served: markup.md §4's earlier template, an unknown one, today's.
LAYOUTS = (("earlier", 70), ("generic", 10), ("current", 20))
ARCHIVE_ORPHAN_PERCENT = 4
ARCHIVE_BACK = 80  # archive related links reach this many articles back (forward: half)
ARCHIVE_REACH = 300  # the first 2024 articles that may link back into the archive
ARABIC_PERCENT = 15  # of earlier-template pages: arabic.sputniknews.com's


T = TypeVar("T")


def _pick(rng: Random, choices: tuple[tuple[T, int], ...]) -> T:
    roll = rng.randrange(100)
    for value, percent in choices:
        if roll < percent:
            return value
        roll -= percent
    raise AssertionError("percentages must add to 100")


@dataclass(frozen=True, slots=True)
class Variants:
    """How one article's page is rendered; see the dimension tables above."""

    jsonld: str = "plain"
    microdata: bool = True
    shape: str = "canonical"
    timestamp: str = "minute"
    url: str = "slug"
    headline: str = "plain"
    kind: str = "article"
    entities: bool = False  # curly quotes and apostrophes written as HTML entities
    compact_meta_time: bool = False  # article:published_time as 20240410T0211+0000
    nfd: bool = False  # the page is served in NFD (decomposed accents); the truth is NFC

    @property
    def jsonld_valid(self) -> bool:
        return self.jsonld in ("plain", "graph", "multi")


FULL = Variants()


@dataclass(frozen=True, slots=True)
class Stub:
    """What every article needs at start-up: enough for listings, feeds and the graph."""

    index: int
    key: str  # seeds this article's random streams
    article_id: int
    path: str
    headline: str
    published: datetime
    section: str
    tags: tuple[Tag, ...]
    orphan: bool
    chain: bool
    variants: Variants
    layout: str = "current"  # current | earlier | generic (see LAYOUTS)
    old_path: str = ""  # archive articles: /<section>/<YYYYMMDD><id>-<slug>/, a 301 to path
    language: str = "en"  # "ar": an arabic.sputniknews.com page (earlier template, rtl)
    origin: str = PUBLIC_ORIGIN  # its edition's public origin
    zone: tzinfo = UTC  # its edition's local time: the URL's day is the local calendar day

    @property
    def url(self) -> str:
        return self.origin + self.path

    @property
    def day(self) -> str:
        return self.published.astimezone(self.zone).strftime("%Y%m%d")


@dataclass(frozen=True, slots=True)
class Link:
    """An inline link inside a paragraph (no link, just the text, when ``href`` is empty)."""

    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Image:
    """A photo: its main (``1920x0``) address and its 16:9, 4:3 and 1:1 crops."""

    media_id: int
    main_url: str
    crops: tuple[tuple[str, int, int], ...]  # (url, width, height)
    alt: str
    credit: str


@dataclass(frozen=True, slots=True)
class Block:
    """One ``div.article__block`` (or sub-head) of the body, in page order.

    kind: ``text`` (segments), ``quote`` (text), ``h2``/``h3`` (text), ``related`` (target, form),
    ``foreign`` (a related card to another edition's article: ``other``, written as ``href``),
    ``media`` (image), ``photolenta`` (images), ``banner``, ``tweet`` (text, href), ``live``
    (text = entry title, paragraphs, time).
    """

    kind: str
    text: str = ""
    segments: tuple[str | Link, ...] = ()
    target: int = -1
    form: str = ""
    image: Image | None = None
    images: tuple[Image, ...] = ()
    href: str = ""
    paragraphs: tuple[str, ...] = ()
    time: datetime | None = None
    other: Stub | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """Everything on one article's page, as the model knows it."""

    stub: Stub
    description: str
    blocks: tuple[Block, ...]
    authors: tuple[str, ...]
    genre: str
    keywords: tuple[str, ...]
    keywords_raw: str  # the meta/microdata string, with the site's odd spacing
    created: datetime
    modified: datetime
    image: Image
    related: tuple[int, ...]
    jsonld_related_forms: tuple[str, ...]
    # Related articles of other editions (their stub, the card's href): after ``related``.
    foreign: tuple[tuple[Stub, str], ...] = ()

    @property
    def body_paragraphs(self) -> list[str]:
        """Body text as a perfect reader sees it: text, quotes, sub-heads, live entries."""
        out: list[str] = []
        for block in self.blocks:
            if block.kind == "text":
                out.append("".join(s if isinstance(s, str) else s.text for s in block.segments))
            elif block.kind in ("quote", "h2", "h3"):
                out.append(block.text)
            elif block.kind == "live":
                out.append(block.text)
                out.extend(block.paragraphs)
        return out


def image_url(
    media_id: int,
    day: datetime,
    box: tuple[int, int, int, int],
    size: str,
    origin: str = IMAGE_ORIGIN,
) -> str:
    """A CDN address in the site's form: ``/img/<yyyy>/<mm>/<dd>/<id>_<box>_<WxH>_80_0_0_<md5>``."""
    folder = f"{day.year:04x}/{day.month:02x}/{day.day:02x}"
    digest = hashlib.md5(f"{media_id}:{box}:{size}".encode()).hexdigest()
    coords = ":".join(map(str, box))
    return f"{origin}/img/{folder}/{media_id}_{coords}_{size}_80_0_0_{digest}.jpg"


def make_image(
    media_id: int,
    day: datetime,
    alt: str,
    main_url: str | None = None,
    origin: str = IMAGE_ORIGIN,
) -> Image:
    width, height = 900, 600  # the original photo
    boxes = ((0, 22, 900, 528), (50, 0, 850, 600), (150, 0, 750, 600))
    sizes = ((1920, 1080), (1920, 1440), (1920, 1920))
    crops = tuple(
        (image_url(media_id, day, box, f"{w}x{h}", origin), w, h)
        for box, (w, h) in zip(boxes, sizes, strict=True)
    )
    assert (width, height) == (900, 600)
    main = main_url or image_url(media_id, day, boxes[0], "1920x0", origin)
    return Image(media_id, main, crops, alt, "© Sputnik / Photo bank")


class Site:
    """The whole model. ``stubs`` are in publication order; ``article(i)`` builds page ``i``.

    :param articles: articles in the site once all are published
    :param seed: seeds every random choice
    :param published: how many of them are out (the first ones in publication order, the
        archive first); all by default
    :param archive: articles of 2019-2020 added before the ``articles`` (see the module
        docstring); none by default, so a site without it is the same as before it existed
    :param edition: which edition this site is (``tests.mirror.editions``); sputnikglobe.com by
        default. Only ``en`` has the real seed article and its two related ones.
    """

    def __init__(
        self,
        articles: int,
        seed: int = 1,
        published: int | None = None,
        archive: int = 0,
        edition: Edition = EN,
    ) -> None:
        english = edition is EN
        if articles < (3 if english else 1):
            raise ValueError(
                f"articles must be at least 3 (the seed and its two related), got {articles}"
                if english
                else f"articles must be at least 1, got {articles}"
            )
        if not 0 <= archive <= 100_000:
            raise ValueError(f"archive must be between 0 and 100000, got {archive}")
        self.seed = seed
        self.archive = archive
        self._set_edition(edition)
        stubs: list[Stub] = []
        if english:
            stubs = [self._real_stub(p, i, h, t) for p, i, h, t in real.RELATED]
            stubs.append(
                self._real_stub(real.SEED_PATH, real.SEED_ID, real.SEED_HEADLINE, real.SEED_TIME)
            )
        taken = {s.article_id for s in stubs}
        stubs += [self._generated_stub(n, taken) for n in range(articles - len(stubs))]
        stubs += [self._archive_stub(n, archive, taken) for n in range(archive)]
        stubs.sort(key=lambda s: (s.published, s.article_id))
        self.all_stubs: list[Stub] = [replace(s, index=i) for i, s in enumerate(stubs)]
        self._publish(published)

    def advanced_to(self, published: int) -> Site:
        """The same site once its first ``published`` articles are out (cheap: stubs are shared)."""
        later = object.__new__(Site)
        later.seed, later.all_stubs, later.archive = self.seed, self.all_stubs, self.archive
        later._set_edition(self.edition)
        later.foreign = self.foreign
        later._publish(published)
        return later

    def _set_edition(self, edition: Edition) -> None:
        self.edition = edition
        self.texts = edition.texts  # tests.mirror.text for English, a Language otherwise
        self.origin = edition.origin
        # Related links to other editions' articles, set by ``tests.mirror.sites.Editions``.
        self.foreign: dict[int, tuple[tuple[Stub, str], ...]] = {}

    def _publish(self, published: int | None) -> None:
        total = len(self.all_stubs)
        if published is None:
            published = total
        if not 1 <= published <= total:
            raise ValueError(f"published must be between 1 and articles ({total}), got {published}")
        self.total = total
        self.published = published
        self.stubs: list[Stub] = self.all_stubs[:published]
        self.by_path: dict[str, int] = {s.path: s.index for s in self.stubs}
        self.by_old_path: dict[str, int] = {s.old_path: s.index for s in self.stubs if s.old_path}
        self.by_id: dict[int, int] = {s.article_id: s.index for s in self.stubs}
        # Its place in the full site, even while it is not yet out (-1: not this edition's).
        self.seed_index = next(
            (s.index for s in self.all_stubs if s.key == f"real:{real.SEED_ID}"),
            -1,
        )
        self.article = lru_cache(maxsize=2048)(self._build_article)

    def __len__(self) -> int:
        return len(self.stubs)

    # -- stubs ------------------------------------------------------------------------------

    def _real_stub(self, path: str, article_id: int, headline: str, published: datetime) -> Stub:
        if article_id == real.SEED_ID:
            section = real.SEED_SECTION
            tags = tuple(text.TAG_BY_LOWER[t.lower()] for t in real.SEED_TAGS)
        else:
            rng = Random(f"real:{article_id}")
            section = rng.choice(text.SECTIONS)
            tags = tuple(text.TAG_BY_LOWER[t] for t in ("russia", "china", "brics"))
        return Stub(
            -1,
            f"real:{article_id}",
            article_id,
            path,
            headline,
            published,
            section,
            tags,
            orphan=False,
            chain=False,
            variants=FULL,
        )

    def _key(self, rest: str) -> str:
        """A random stream's key: English keys as they always were, others prefixed by code."""
        code = self.edition.code
        return rest if code == "en" else f"{code}:{rest}"

    def _generated_stub(self, ordinal: int, taken: set[int]) -> Stub:
        edition, texts = self.edition, self.texts
        key = self._key(f"{self.seed}:{ordinal}")
        rng = Random(key)
        (jsonld, microdata) = _pick(rng, STRUCTURE)
        variants = Variants(
            jsonld=jsonld,
            microdata=microdata,
            shape=_pick(rng, SHAPES),
            timestamp=_pick(rng, TIMESTAMPS),
            url=_pick(rng, edition.urls),
            headline=_pick(rng, HEADLINES),
            kind=_pick(rng, KINDS),
            entities=rng.random() < 0.3,
            compact_meta_time=rng.random() < 0.3,
        )
        published = GENERATED_START + timedelta(
            minutes=ordinal * INTERVAL_MINUTES + rng.randrange(INTERVAL_MINUTES)
        )
        article_id = edition.first_id + ordinal * 280 + rng.randrange(250)
        if edition.collide and ordinal % COLLIDE_EVERY == COLLIDE_AT:
            article_id = COLLIDE_BASE + ordinal * 280  # the same id in other editions
        while article_id in taken:
            article_id += 1
        taken.add(article_id)
        headline = texts.headline(rng, variants.headline)
        if variants.kind == "live":
            headline = f"{texts.LIVE_PREFIX}{headline}"
        day = published.astimezone(edition.zone).strftime("%Y%m%d")
        path = _article_path(texts, day, article_id, headline, variants.url)
        most = min(10, len(texts.TAGS))
        tags = tuple(dict.fromkeys(rng.sample(texts.TAGS, rng.randint(2, most))))
        chain = (ordinal // CHAIN_LENGTH) % 15 == 7
        if edition.nfd_percent:  # only editions with NFD pages draw this
            variants = replace(variants, nfd=rng.randrange(100) < edition.nfd_percent)
        return Stub(
            -1,
            key,
            article_id,
            path,
            headline,
            published,
            rng.choice(texts.SECTIONS),
            tags,
            orphan=not chain and rng.randrange(100) < ORPHAN_PERCENT,
            chain=chain,
            variants=variants,
            language=edition.language,
            origin=edition.origin,
            zone=edition.zone,
        )

    def _archive_stub(self, ordinal: int, count: int, taken: set[int]) -> Stub:
        """An article of 2019-2020: evenly spread, with seconds, in one of ``LAYOUTS``."""
        edition, texts = self.edition, self.texts
        key = self._key(f"{self.seed}:archive:{ordinal}")
        rng = Random(key)
        layout = _pick(rng, LAYOUTS)
        span = (ARCHIVE_END - ARCHIVE_START).total_seconds()
        published = ARCHIVE_START + timedelta(
            seconds=int(span * (ordinal + rng.random() * 0.9) / count)
        )
        if layout == "current":  # today's template writes times to the minute
            published = published.replace(second=0)
        step = ARCHIVE_ID_SPAN // count
        article_id = (
            edition.first_archive_id + ordinal * step + rng.randrange(max(1, step - step // 10))
        )
        while article_id in taken:
            article_id += 1
        taken.add(article_id)
        if layout == "current":
            (jsonld, microdata) = _pick(rng, STRUCTURE)
            variants = Variants(
                jsonld=jsonld,
                microdata=microdata,
                shape=_pick(rng, SHAPES),
                timestamp=_pick(rng, TIMESTAMPS),
                entities=rng.random() < 0.3,
            )
        else:
            # No JSON-LD; the earlier template's microdata sits on <html>, dates with seconds.
            variants = Variants(
                jsonld="missing", microdata=layout == "earlier", shape="", timestamp="seconds-z"
            )
        headline = texts.headline(rng, _pick(rng, (("plain", 80), ("dash", 10), ("quotes", 10))))
        # The old form needs a slug: non-Latin editions' old URLs get a Latin stand-in [I], and
        # today's form is then id-only.
        latin = texts.slugify(headline)
        slug = latin or f"news{ordinal}"
        day = published.astimezone(edition.zone).strftime("%Y%m%d")
        section = rng.choice(texts.SECTIONS)
        tags = tuple(dict.fromkeys(rng.sample(texts.TAGS, rng.randint(2, 7))))
        language, path_section = edition.language, texts.section_path(section)
        if edition is EN and layout == "earlier" and rng.randrange(100) < ARABIC_PERCENT:
            # Arabic words, a Latin slug (the URL keeps the English one), an Arabic rubric.
            language, path_section = "ar", text.ARABIC_SECTION_PATH
            headline, section = text.arabic_headline(rng), text.ARABIC_SECTION
            tags = tuple(rng.sample(text.ARABIC_TAGS, rng.randint(1, 3)))
        return Stub(
            -1,
            key,
            article_id,
            f"/{day}/{slug}-{article_id}.html" if latin else f"/{day}/{article_id}.html",
            headline,
            published,
            section,
            tags,
            orphan=rng.randrange(100) < ARCHIVE_ORPHAN_PERCENT,
            chain=False,
            variants=variants,
            layout=layout,
            old_path=f"/{path_section}/{day}{article_id}-{slug}/",
            language=language,
            origin=edition.origin,
            zone=edition.zone,
        )

    # -- graph ------------------------------------------------------------------------------

    def related(self, index: int) -> tuple[int, ...]:
        """The related articles of article ``index`` that are out, in page order."""
        related = self._related_all(index)
        if self.published == self.total:
            return related
        return tuple(t for t in related if t < self.published)

    def _related_all(self, index: int) -> tuple[int, ...]:
        """The related articles once every article is out: the graph does not depend on ``K``."""
        stub = self.all_stubs[index]
        if stub.article_id == real.SEED_ID:
            return tuple(self.by_id[r[1]] for r in real.RELATED)
        if index < self.archive:
            return self._archive_related(stub)
        if stub.chain:
            before = self.all_stubs[index - 1] if index else None
            return (index - 1,) if before is not None and before.chain else ()
        rng = Random(f"{stub.key}:related")
        wanted = _pick(rng, tuple(enumerate(RELATED_COUNT_WEIGHTS)))
        if stub.key.startswith("real:"):
            wanted = 3
        chosen: list[int] = []
        if stub.article_id == real.RELATED[1][1]:
            chosen.append(self.by_id[real.RELATED[0][1]])
        for _ in range(wanted * 4):
            if len(chosen) >= wanted:
                break
            forward = rng.random() < 0.15 and not stub.key.startswith("real:")
            target = index + rng.randint(1, 150) if forward else index - rng.randint(1, 300)
            if not self.archive <= target < self.total or target == index or target in chosen:
                continue
            if self.all_stubs[target].orphan:
                continue
            chosen.append(target)
        if len(chosen) < len(RELATED_COUNT_WEIGHTS) - 1 and not stub.key.startswith("real:"):
            chosen += self._archive_link(stub)
        return tuple(chosen)

    def _archive_link(self, stub: Stub) -> tuple[int, ...]:
        """Half of the first ``ARCHIVE_REACH`` 2024 articles link to one archive article, from
        a random stream of their own: their other links, text and blocks stay the same."""
        if not self.archive or stub.index - self.archive >= ARCHIVE_REACH:
            return ()
        rng = Random(f"{stub.key}:archive")
        if rng.random() >= 0.5:
            return ()
        target = self.archive - 1 - int(rng.random() * min(self.archive, ARCHIVE_BACK))
        return () if self.all_stubs[target].orphan else (target,)

    def _archive_related(self, stub: Stub) -> tuple[int, ...]:
        """Archive articles link to archive articles only; an unknown template's related
        stories are not related links a crawler can tell apart, so they have none."""
        if stub.layout == "generic":
            return ()
        rng = Random(f"{stub.key}:related")
        wanted = _pick(rng, tuple(enumerate(RELATED_COUNT_WEIGHTS)))
        chosen: list[int] = []
        for _ in range(wanted * 4):
            if len(chosen) >= wanted:
                break
            if rng.random() < 0.15:
                target = stub.index + _randint(rng, 1, ARCHIVE_BACK // 2)
            else:
                target = stub.index - _randint(rng, 1, ARCHIVE_BACK)
            if not 0 <= target < self.archive or target == stub.index or target in chosen:
                continue
            if self.all_stubs[target].orphan:
                continue
            chosen.append(target)
        return tuple(chosen)

    # -- full articles -----------------------------------------------------------------------

    def _build_article(self, index: int) -> Article:
        article = self._build_full_article(index)
        if self.published == self.total or all(t < self.published for t in article.related):
            return article
        # Built as when every article is out, then cut: the rest of the page stays the same.
        out = self.published
        pairs = zip(article.related, article.jsonld_related_forms, strict=True)
        kept = [(t, form) for t, form in pairs if t < out]
        return replace(
            article,
            blocks=tuple(b for b in article.blocks if b.kind != "related" or b.target < out),
            related=tuple(t for t, _ in kept),
            jsonld_related_forms=tuple(f for _, f in kept),
        )

    def _build_full_article(self, index: int) -> Article:
        stub = self.stubs[index]
        rng = Random(f"{stub.key}:page")
        related = self._related_all(index)
        if stub.article_id == real.SEED_ID:
            return self._seed_article(stub, related)
        if stub.layout != "current":
            return self._archive_article(stub, rng, related)
        kind = stub.variants.kind
        published = stub.published
        created = (
            published if rng.random() < 0.8 else published - timedelta(minutes=_randint(rng, 1, 90))
        )
        modified = published
        if rng.random() < 0.4:
            modified = published + timedelta(minutes=_randint(rng, 5, 3 * 24 * 60))
        texts = self.texts
        n_authors = _pick(rng, ((0, 40), (1, 50), (2, 10)))
        authors = tuple(dict.fromkeys(rng.sample(texts.AUTHORS, n_authors)))
        keywords = tuple(texts.keyword_phrases(rng, list(stub.tags), _randint(rng, 3, 8)))
        keywords_raw = rng.choice((", ", ",", " , ")).join(keywords) + rng.choice(("", ",", ", "))
        description = texts.paragraph(rng, (1, 2))
        image = make_image(
            stub.article_id + _randint(rng, 50, 400),
            published,
            stub.headline,
            origin=self.edition.image_origin if self.edition is not EN else IMAGE_ORIGIN,
        )
        # Links into the archive come last and draw nothing from this page's stream.
        own = tuple(t for t in related if t >= self.archive)
        back = related[len(own) :]
        blocks = self._body_blocks(rng, stub, own, kind)
        if back and not stub.variants.jsonld_valid:  # cards are then the only related source
            blocks += tuple(Block("related", target=t, form="public") for t in back)
        jsonld_forms = tuple(
            _pick(rng, (("public", 85), ("former", 10), ("query", 5))) for _ in own
        ) + tuple("public" for _ in back)
        genre = rng.choice(texts.GENRES)
        foreign = self.foreign.get(index, ())
        # Cards to other editions come last in page order, as they come last in the JSON-LD.
        blocks += tuple(Block("foreign", other=other, href=href) for other, href in foreign)
        return Article(
            stub,
            description,
            blocks,
            authors,
            genre,
            keywords,
            keywords_raw,
            created,
            modified,
            image,
            related,
            jsonld_forms,
            foreign,
        )

    def _body_blocks(
        self, rng: Random, stub: Stub, related: tuple[int, ...], kind: str
    ) -> tuple[Block, ...]:
        """Text with every block type the site uses, related cards spread between paragraphs."""
        texts = self.texts
        paragraphs = [self._paragraph(rng, stub) for _ in range(_randint(rng, 4, 14))]
        if rng.random() < 0.6:
            dateline = texts.dateline(rng)
            paragraphs[0] = (dateline + _first_text(paragraphs[0]), *paragraphs[0][1:])
        blocks: list[Block] = [Block("text", segments=p) for p in paragraphs]
        extras: list[Block] = []
        if rng.random() < 0.5:
            extras.append(Block("quote", text=texts.sentence(rng)))
        if rng.random() < 0.4:
            extras.append(Block("h2", text=texts.headline(rng, "plain")))
        if rng.random() < 0.15:
            extras.append(Block("h3", text=texts.headline(rng, "plain")))
        if rng.random() < 0.5:
            extras.append(Block("media", image=self._extra_image(rng, stub, 1)))
        if rng.random() < 0.1:
            extras.append(
                Block(
                    "photolenta", images=tuple(self._extra_image(rng, stub, k) for k in range(2, 6))
                )
            )
        if rng.random() < 0.7:
            extras.append(Block("banner"))
        if rng.random() < 0.15:
            handle = rng.choice(("mfa_russia", "KremlinRussia_E", "SputnikInt", "mod_russia"))
            extras.append(
                Block(
                    "tweet",
                    text=texts.sentence(rng),
                    href=f"https://twitter.com.invalid/{handle}/status/{_randrange(rng, 10**18)}",
                )
            )
        # Inline related cards: all of them when the structured data cannot carry the list,
        # otherwise a leading share (possibly none), so both sources matter to a crawler. Cards
        # keep the related list's order, so that page order is one order whatever the source.
        shown = len(related) if not stub.variants.jsonld_valid else _randint(rng, 0, len(related))
        cards = [Block("related", target=t, form=_card_form(rng)) for t in related[:shown]]
        if cards and rng.random() < 0.05:
            cards.append(Block("related", target=related[0], form="query"))
        slots: dict[int, list[Block]] = {}  # blocks to place after paragraph k
        for block in extras:
            slots.setdefault(_randint(rng, 0, len(blocks) - 1), []).append(block)
        for slot, block in zip(
            sorted(_randint(rng, 0, len(blocks) - 1) for _ in cards), cards, strict=True
        ):
            slots.setdefault(slot, []).append(block)
        blocks = [b for k, p in enumerate(blocks) for b in (p, *slots.get(k, ()))]
        if kind == "live":
            entries = [
                Block(
                    "live",
                    text=texts.headline(rng, "plain"),
                    paragraphs=tuple(
                        texts.paragraph(rng, (1, 3)) for _ in range(_randint(rng, 1, 2))
                    ),
                    time=stub.published + timedelta(minutes=10 * (k + 1)),
                )
                for k in range(_randint(rng, 3, 8))
            ]
            blocks[2:2] = reversed(entries)  # newest entry first, as on the site
        return tuple(blocks)

    def _paragraph(self, rng: Random, stub: Stub) -> tuple[str | Link, ...]:
        """A paragraph, sometimes with an inline link (not a related link) inside it."""
        texts = self.texts
        body = texts.paragraph(rng)
        roll = rng.random()
        if roll > 0.25:
            return (body,)
        split = texts.split_for_link(body)
        if split is None:
            return (body,)
        before, after = split
        words = texts.LINK_TEXTS
        if roll < 0.12:
            # A 2024 article: the same words and links whether or not the site has an archive.
            target = self.all_stubs[self.archive + _randrange(rng, self.total - self.archive)]
            if target.orphan:
                return (body,)
            # Not out yet: the same words, without the link.
            link = Link(words["earlier"], target.url if target.index < self.published else "")
        elif roll < 0.18:
            link = Link(words["tag"], self.origin + rng.choice(texts.TAGS).path)
        else:
            link = Link(
                words["statement"],
                f"https://www.agency-{_randrange(rng, 9)}.invalid/news/{_randrange(rng, 10**6)}",
            )
        return (before, link, after)

    def _archive_article(self, stub: Stub, rng: Random, related: tuple[int, ...]) -> Article:
        """An earlier-template or generic article: plain paragraphs; on the earlier template,
        a leading share of the related articles as inject cards between them (the rest are
        "see also" links below the text). Authors: one person or none (agency news); the
        earlier template has meta keywords on some pages, the generic one never."""
        published = stub.published
        modified = published
        if rng.random() < 0.4:
            modified = published + timedelta(seconds=_randint(rng, 300, 3 * 24 * 3600))
        earlier = stub.layout == "earlier"
        weights = ((0, 45), (1, 55), (2, 0)) if earlier else ((0, 30), (1, 55), (2, 15))
        texts = self.texts
        authors = tuple(dict.fromkeys(rng.sample(texts.AUTHORS, _pick(rng, weights))))
        keywords: tuple[str, ...] = ()
        if earlier and rng.random() < 0.3:
            keywords = tuple(texts.keyword_phrases(rng, list(stub.tags), _randint(rng, 3, 6)))
        # sputnikglobe.com's copies of arabic.sputniknews.com pages: agency news, in Arabic
        arabic = stub.language == "ar" and self.edition is EN
        if arabic:
            authors, keywords = (), ()
        paragraph = text.arabic_paragraph if arabic else texts.paragraph
        description = paragraph(rng, (1, 2))
        image = make_image(
            stub.article_id + _randint(rng, 50, 400),
            published,
            stub.headline,
            origin=self.edition.image_origin if self.edition is not EN else IMAGE_ORIGIN,
        )
        paragraphs = [paragraph(rng) for _ in range(_randint(rng, 4, 12))]
        if not arabic and rng.random() < 0.5:
            paragraphs[0] = f"{texts.dateline(rng)}{paragraphs[0]}"
        blocks: list[Block] = []
        for body in paragraphs:
            if (
                not arabic and rng.random() < 0.15
            ):  # an inline link to another agency: text stays the same
                split = texts.split_for_link(body)
                if split:
                    href = (
                        f"https://www.agency-{_randrange(rng, 9)}.invalid/{_randrange(rng, 10**6)}"
                    )
                    link = Link(texts.LINK_TEXTS["statement"], href)
                    blocks.append(Block("text", segments=(split[0], link, split[1])))
                    continue
            blocks.append(Block("text", segments=(body,)))
        if earlier and related:
            shown = _randint(rng, 0, len(related))
            slots = sorted(_randint(rng, 0, len(blocks) - 1) for _ in range(shown))
            form = (("old-relative", 80), ("old-former", 20))
            cards = [Block("related", target=t, form=_pick(rng, form)) for t in related[:shown]]
            for offset, (slot, card) in enumerate(zip(slots, cards, strict=True)):
                blocks.insert(slot + 1 + offset, card)
        return Article(
            stub,
            description,
            tuple(blocks),
            authors,
            "",
            keywords,
            ", ".join(keywords),
            published,
            modified,
            image,
            related,
            tuple("public" for _ in related),
        )

    def _extra_image(self, rng: Random, stub: Stub, n: int) -> Image:
        return make_image(
            stub.article_id + 500 + n * 7 + _randrange(rng, 5),
            stub.published,
            self.texts.sentence(rng),
            origin=self.edition.image_origin if self.edition is not EN else IMAGE_ORIGIN,
        )

    def _seed_article(self, stub: Stub, related: tuple[int, ...]) -> Article:
        blocks: list[Block] = [Block("text", segments=(p,)) for p in real.SEED_PARAGRAPHS]
        blocks.insert(2, Block("related", target=related[0], form="relative"))
        blocks.insert(4, Block("banner"))
        blocks.insert(5, Block("related", target=related[1], form="public"))
        image = make_image(
            real.SEED_IMAGE_MEDIA_ID,
            stub.published,
            "Russian Foreign Minister Sergey Lavrov and Chinese President Xi Jinping",
            main_url=real.SEED_IMAGE_URL,
        )
        return Article(
            stub,
            real.SEED_DESCRIPTION,
            tuple(blocks),
            (real.SEED_AUTHOR,),
            real.SEED_GENRE,
            real.SEED_KEYWORDS,
            ", ".join(real.SEED_KEYWORDS),
            stub.published,
            stub.published,
            image,
            related,
            ("public", "public"),
        )

    # -- listings ----------------------------------------------------------------------------

    def latest(self, count: int, before: int | None = None) -> list[Stub]:
        """The ``count`` newest articles (older than index ``before``), newest first."""
        end = len(self.stubs) if before is None else max(0, before)
        return self.stubs[max(0, end - count) : end][::-1]

    @property
    def tag_index(self) -> dict[str, list[int]]:
        """Tag page path -> article indices, newest first (built once, on first use)."""
        if not hasattr(self, "_tag_index"):
            index: dict[str, list[int]] = {}
            for stub in reversed(self.stubs):
                for tag in stub.tags:
                    index.setdefault(tag.path, []).append(stub.index)
            self._tag_index = index
        return self._tag_index


def _article_path(texts: object, day: str, article_id: int, headline: str, form: str) -> str:
    """``/YYYYMMDD/<slug>-<id>.html`` or ``/YYYYMMDD/<id>.html``; a ``native`` slug (in the
    script itself) is percent-encoded as w3lib's ``canonicalize_url`` writes it (UTF-8,
    upper-case hex), so the path is the truth's canonical form."""
    if form == "native":
        slug = quote(texts.native_slug(headline), safe="-")  # type: ignore[attr-defined]
    elif form == "slug":
        slug = texts.slugify(headline)  # type: ignore[attr-defined]
    else:
        slug = ""
    return f"/{day}/{slug}-{article_id}.html" if slug else f"/{day}/{article_id}.html"


def _randint(rng: Random, low: int, high: int) -> int:
    """``rng.randint`` at a fraction of the cost (pages are built per request)."""
    return low + int(rng.random() * (high - low + 1))


def _randrange(rng: Random, stop: int) -> int:
    return int(rng.random() * stop)


def _first_text(segments: tuple[str | Link, ...]) -> str:
    first = segments[0]
    return first if isinstance(first, str) else first.text


def _card_form(rng: Random) -> str:
    """How an inline related card writes its link, in the real site's proportions (our guess)."""
    return _pick(
        rng,
        (
            ("public", 40),  # https://sputnikglobe.com/...
            ("relative", 25),  # /20240409/...
            ("query", 10),  # ?chat_room_id=...
            ("fragment", 5),  # #comments
            ("amp", 8),  # https://sputnikglobe.com/amp/...
            ("former", 7),  # https://sputniknews.com/...
            ("scheme-relative", 5),  # //sputnikglobe.com/...
        ),
    )
