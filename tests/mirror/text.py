"""Deterministic news-like text: headlines, sentences, names, tags and keyword phrases.

Everything takes a ``random.Random`` so that the same seed gives the same words. The text mixes in
what real Sputnik copy holds and a crawler must survive: curly quotes, apostrophes, ampersands,
angle brackets, non-Latin names and em dashes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random

PLACES = (
    "Russia",
    "China",
    "Ukraine",
    "the US",
    "India",
    "Brazil",
    "South Africa",
    "Iran",
    "Turkey",
    "Germany",
    "France",
    "the UK",
    "Poland",
    "Hungary",
    "Serbia",
    "Syria",
    "Israel",
    "Egypt",
    "Saudi Arabia",
    "Venezuela",
    "Cuba",
    "Mexico",
    "Japan",
    "North Korea",
    "Kazakhstan",
    "Belarus",
    "Moldova",
    "Georgia",
    "Armenia",
    "Niger",
    "Mali",
    "Ethiopia",
    "Indonesia",
)
PEOPLE = (
    "Sergey Lavrov",
    "Dmitry Peskov",
    "Maria Zakharova",
    "Wang Yi",
    "Olaf Scholz",
    "Emmanuel Macron",
    "Antony Blinken",
    "Jens Stoltenberg",
    "Viktor Orban",
    "Narendra Modi",
    "Recep Tayyip Erdogan",
    "Luiz Inacio Lula da Silva",
    "Cyril Ramaphosa",
    "Ursula von der Leyen",
    "Josep Borrell",
    "Janet Yellen",
    "Xi Jinping",
    "Vladimir Putin",
    "Alexander Lukashenko",
)
ORGS = (
    "NATO",
    "the EU",
    "BRICS",
    "the UN Security Council",
    "the IMF",
    "the Pentagon",
    "the Kremlin",
    "OPEC+",
    "the SCO",
    "the World Bank",
    "the State Department",
    "Gazprom",
    "Rosatom",
    "AT&T",
)
NOUNS = (
    "sanctions",
    "talks",
    "summit",
    "grain deal",
    "pipeline",
    "election",
    "drone strike",
    "arms supplies",
    "oil prices",
    "trade turnover",
    "peace plan",
    "military aid",
    "gas exports",
    "currency swap",
    "security guarantees",
    "border crossing",
    "nuclear plant",
    "air defense",
    "space program",
    "debt ceiling",
    "inflation",
    "budget deficit",
    "refugee flows",
    "ceasefire",
)
VERBS = (
    "slams",
    "backs",
    "rejects",
    "welcomes",
    "warns of",
    "calls for",
    "discusses",
    "condemns",
    "signs",
    "plans",
    "expects",
    "denies",
    "confirms",
    "mulls",
    "announces",
    "questions",
)
ADJECTIVES = (
    "new",
    "fresh",
    "major",
    "strategic",
    "bilateral",
    "long-term",
    "unprecedented",
    "western",
    "regional",
    "global",
    "economic",
    "diplomatic",
    "military",
    "historic",
    "controversial",
)
FILLER = (
    "according to",
    "amid",
    "despite",
    "following",
    "ahead of",
    "in the wake of",
    "as part of",
    "in response to",
    "on the sidelines of",
    "after",
    "before",
    "during",
)
CITIES = (
    "MOSCOW",
    "BEIJING",
    "WASHINGTON",
    "NEW DELHI",
    "BRASILIA",
    "PRETORIA",
    "TEHRAN",
    "ANKARA",
    "BERLIN",
    "PARIS",
    "LONDON",
    "KIEV",
    "MINSK",
    "CAIRO",
    "RIYADH",
    "TOKYO",
    "UNITED NATIONS",
)
# Non-Latin names as they appear quoted in Sputnik copy.
NON_LATIN = (
    "«Россия сегодня»",
    "Сергей Лавров",
    "中国外交部",
    "Владимир Путин",
    "البريكس",
    "Κυβέρνηση",
)
AUTHORS = (
    "Ian DeMartino",
    "Ekaterina Orlova",
    "Mark Henderson",
    "Svetlana Ivanova",
    "Wyatt Brooks",
    "Tim Korso",
    "Daria Bedenko",
    "Oleg Burunov",
    "Rhod Mackenzie",
    "Lucas Leiroz",
    "Ilya Tsukanov",
    "Kit Klarenberg",
    "Amelia Brant",
    "Nikolai Sorokin",
    "Yulia Petrova",
    "Fyodor Zakharov",
    "Naomi Osei",
    "Pedro Alvarez",
)
SECTIONS = (
    "world",
    "russia",
    "us",
    "africa",
    "asia",
    "military",
    "economy",
    "science",
    "analysis",
    "viral",
)
GENRES = (
    "News",
    "News",
    "News",
    "News",
    "News",
    "News",
    "News",
    "Analysis",
    "Opinion",
    "Interview",
)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag: its name as the footer shows it, and its page's path."""

    name: str
    path: str

    @property
    def lower(self) -> str:
        return self.name.lower()


def _tag_path(kind: str, name: str) -> str:
    return f"/{kind}_{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}/"


def _build_tags() -> tuple[Tag, ...]:
    tags: list[Tag] = []
    for place in PLACES:
        name = place.removeprefix("the ")
        tags.append(Tag(name, _tag_path("location", name)))
    for person in PEOPLE:
        tags.append(Tag(person, _tag_path("keyword", person)))
    for org in ("NATO", "EU", "BRICS", "UN", "IMF", "Pentagon", "Kremlin", "OPEC+", "SCO"):
        tags.append(Tag(org, _tag_path("keyword", org)))
    for topic in (
        "Ukrainian Crisis",
        "US Hegemony",
        "The Critical Hour",
        "Sanctions",
        "Energy",
        "Elections",
        "Multipolar World",
        "Global South",
        "Arms Race",
        "Space",
        "Migration",
        "Trade War",
        "Middle East",
        "Arctic",
        "Cybersecurity",
        "Climate",
        "Oil",
        "Gas",
        "Grain Deal",
        "Special Military Operation",
        "Dedollarization",
        "Africa Summit",
    ):
        tags.append(Tag(topic, _tag_path("category", topic)))
    return tuple(tags)


TAGS: tuple[Tag, ...] = _build_tags()
TAG_BY_LOWER: dict[str, Tag] = {t.lower: t for t in TAGS}


def slugify(headline: str) -> str:
    """Sputnik-style slug: quotes dropped, every other non-alphanumeric becomes ``-``.

    ``"This Year - Russian"`` gives ``this-year---russian`` and ``"June: Lavrov"`` gives
    ``june--lavrov``, the ``--``/``---`` forms seen on the real site.
    """
    text = re.sub(r"[’‘'\"“”«»]", "", headline.lower())
    text = re.sub(r"[^a-z0-9]", "-", text)
    return re.sub(r"-{4,}", "---", text).strip("-")


def _subject(rng: Random) -> str:
    pick = rng.random()
    if pick < 0.45:
        return rng.choice(PEOPLE)
    if pick < 0.75:
        return rng.choice(PLACES)
    return rng.choice(ORGS)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title(text: str) -> str:
    small = {"of", "to", "in", "on", "for", "and", "the", "a", "as", "at", "by", "with", "amid"}
    words = text.split(" ")
    return " ".join(
        w if (i and w in small) or not w[:1].islower() else _cap(w) for i, w in enumerate(words)
    )


def headline(rng: Random, style: str) -> str:
    """One headline; ``style`` adds the punctuation that yields ``--``/``---`` slugs and more."""
    base = (
        f"{_subject(rng)} {rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        f" {rng.choice(FILLER)} {rng.choice(NOUNS)}"
    )
    base = _title(base.replace("the US", "US").replace("the UK", "UK"))
    if style == "dash":
        return f"{base} - {rng.choice(PEOPLE).split()[-1]}"
    if style == "colon":
        return f"{rng.choice(PEOPLE).split()[-1]}: {base}"
    if style == "non-latin":
        return f"{base} as {rng.choice(NON_LATIN)} Weighs In"
    if style == "quotes":
        return f"{rng.choice(PEOPLE).split()[-1]} Says ‘{rng.choice(NOUNS).title()}’ Won’t Work"
    return base


def _make_sentence(rng: Random) -> str:
    """One sentence of news copy, sometimes with a quote, an ampersand or a non-Latin name."""
    words = [
        _cap(_subject(rng)),
        rng.choice(VERBS),
        "the",
        rng.choice(ADJECTIVES),
        rng.choice(NOUNS),
        rng.choice(FILLER),
        "the",
        rng.choice(NOUNS),
    ]
    extra = rng.random()
    if extra < 0.12:
        words += ["with", rng.choice(ORGS)]
    elif extra < 0.2:
        words += ["in", rng.choice(PLACES), "—", "and", "beyond"]
    elif extra < 0.25:
        words += ["as", rng.choice(NON_LATIN), "noted"]
    elif extra < 0.3:
        words += ["when", "turnover", "fell", "to", "<", "5%", "&", "prices", "rose"]
    text = " ".join(words) + "."
    if rng.random() < 0.2:
        said = rng.choice(("said", "told Sputnik", "noted", "stressed"))
        return f"“{_cap(text[:-1])}, and that’s not all,” {rng.choice(PEOPLE)} {said}."
    return text


# Pages draw from a fixed pool of sentences: one random draw per sentence keeps rendering fast.
_POOL_RNG = Random("sentences")
SENTENCES: tuple[str, ...] = tuple(_make_sentence(_POOL_RNG) for _ in range(8192))


def sentence(rng: Random) -> str:
    return SENTENCES[rng.getrandbits(13)]


def paragraph(rng: Random, sentences: tuple[int, int] = (2, 5)) -> str:
    low, high = sentences
    count = low + int(rng.random() * (high - low + 1))
    return " ".join([SENTENCES[rng.getrandbits(13)] for _ in range(count)])


def keyword_phrases(rng: Random, tags: list[Tag], count: int) -> list[str]:
    """SEO keyword phrases: lower-case, built from the tags and nouns, no duplicates."""
    phrases: list[str] = []
    while len(phrases) < count:
        if tags and rng.random() < 0.5:
            phrase = f"{rng.choice(tags).lower} {rng.choice(NOUNS)}"
        else:
            phrase = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


# -- Arabic (arabic.sputniknews.com, 2019-2020) ------------------------------------------------

ARABIC_SECTION = "العالم العربي"  # the rubric's text; its path is /arab_world/
ARABIC_SECTION_PATH = "arab_world"
_AR_SUBJECTS = (
    "وزير الخارجية الروسي سيرغي لافروف",
    "الرئيس الروسي فلاديمير بوتين",
    "الجامعة العربية",
    "الحكومة السورية",
    "وزارة الدفاع الروسية",
    "الأمم المتحدة",
    "المملكة العربية السعودية",
    "الرئيس المصري",
    "البرلمان العراقي",
    "منظمة أوبك",
)
_AR_VERBS = ("أعلن", "أكد", "بحث", "رفض", "دعا إلى", "رحب بـ", "ناقش", "حذر من")
_AR_OBJECTS = (
    "اتفاق وقف إطلاق النار",
    "التعاون الاقتصادي",
    "الأزمة في المنطقة",
    "المفاوضات الجديدة",
    "العقوبات الغربية",
    "إمدادات الحبوب",
    "أسعار النفط",
    "الوضع الإنساني",
)
_AR_TAILS = (
    "يوم الأحد",
    "خلال اجتماع في موسكو",
    "في بيان رسمي",
    "وفقا لمصادر مطلعة",
    "في مؤتمر صحفي",
    "على هامش القمة",
)
ARABIC_TAGS: tuple[Tag, ...] = tuple(
    Tag(name, f"/keyword_ar_{path}/")
    for name, path in (
        ("روسيا", "russia"),
        ("سوريا", "syria"),
        ("مصر", "egypt"),
        ("السعودية", "saudi_arabia"),
        ("النفط", "oil"),
        ("الأمم المتحدة", "un"),
    )
)


def arabic_headline(rng: Random) -> str:
    return f"{rng.choice(_AR_SUBJECTS)} {rng.choice(_AR_VERBS)} {rng.choice(_AR_OBJECTS)}"


def arabic_paragraph(rng: Random, sentences: tuple[int, int] = (2, 4)) -> str:
    count = sentences[0] + int(rng.random() * (sentences[1] - sentences[0] + 1))
    return " ".join(f"{arabic_headline(rng)} {rng.choice(_AR_TAILS)}." for _ in range(count))


# -- what every edition's language provides (``tests.mirror.languages``), in English -------------

LIVE_PREFIX = "LIVE UPDATES: "
LINK_TEXTS = {"earlier": "earlier reported", "tag": "the tag", "statement": "a statement"}


def lower(name: str) -> str:
    return name.lower()


def section_path(section: str) -> str:
    """The list path token of a section (``/world/``); English sections are their own token."""
    return section


def section_title(section: str) -> str:
    return section.title()


def dateline(rng: Random) -> str:
    return f"{rng.choice(CITIES)} (Sputnik) - "


def split_for_link(body: str) -> tuple[str, str] | None:
    """A paragraph's text before and after an inline link, or ``None`` (one sentence)."""
    head, _, tail = body.partition(". ")
    if not tail:
        return None
    return f"{head}. As ", f" said, {tail}"
