"""Deterministic news-like text in the sister editions' languages: Spanish, Arabic, Chinese,
Japanese and Turkish, as ``tests.mirror.text`` does for English.

Each language is a :class:`Language` with the same names the model reads from ``text`` (which is
the English one): ``AUTHORS``, ``GENRES``, ``CITIES``, ``SECTIONS``, ``TAGS``, ``TAG_BY_LOWER``,
``headline``, ``sentence``, ``paragraph``, ``keyword_phrases``, ``slugify``, ``dateline``,
``split_for_link``, ``LINK_TEXTS``, ``LIVE_PREFIX``, ``lower``, ``section_path``,
``section_title``. Small word tables are combined at random; every string here is NFC (the
mirror serves some pages in NFD, see ``render_article``).

What each script brings that a crawler must keep intact: Spanish accents, ``ñ``, ``¿¡`` and
``«»``; Arabic right to left with Latin brand names and digits inside; Chinese and Japanese
without spaces, with full-width punctuation (``，。、：“”``); Turkish dotted and dotless
``İ``/``I``, whose lower case is ``i``/``ı`` (``lower``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from tests.mirror.text import Tag


def fold(name: str) -> str:
    """ASCII letters for a path: accents dropped, Turkish ``ı`` as ``i``, others as ``_``."""
    decomposed = unicodedata.normalize("NFD", name.replace("ı", "i").replace("İ", "I"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


@dataclass(frozen=True)
class Language:
    """One edition's words; see the module docstring for the names the model uses."""

    code: str
    subjects: tuple[str, ...]
    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    tails: tuple[str, ...]
    AUTHORS: tuple[str, ...]
    CITIES: tuple[str, ...]
    GENRES: tuple[str, ...]
    sections: tuple[tuple[str, str, str], ...]  # (section value, path token, shown title)
    tag_names: tuple[str, ...]
    LINK_TEXTS: dict[str, str]
    LIVE_PREFIX: str
    # sentence(subject, verb, object, tail) and headline(subject, verb, object)
    make_sentence: Callable[[str, str, str, str], str]
    make_headline: Callable[[str, str, str], str]
    link_frame: tuple[str, str]  # text before and after an inline link
    dateline_format: str  # "{city}" is replaced
    sentence_end: str = ". "  # where a paragraph may be split around an inline link
    joiner: str = " "  # between sentences
    turkish: bool = False
    # Built from the above: the names ``text`` has (hence upper case), and the sentence pool.
    SECTIONS: tuple[str, ...] = field(init=False, repr=False)
    TAGS: tuple[Tag, ...] = field(init=False, repr=False)
    TAG_BY_LOWER: dict[str, Tag] = field(init=False, repr=False)
    pool: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Tag pages of non-Latin names get a numbered path, as ids stand in for them on the site.
        tags = tuple(
            Tag(name, f"/keyword_{fold(name) or f'tag{n}'}/")
            for n, name in enumerate(self.tag_names)
        )
        rng = Random(f"sentences:{self.code}")
        for name, value in (
            ("SECTIONS", tuple(s for s, _, _ in self.sections)),
            ("TAGS", tags),
            ("TAG_BY_LOWER", {self.lower(t.name): t for t in tags}),
            ("pool", tuple(self._make(rng) for _ in range(2048))),
        ):
            object.__setattr__(self, name, value)

    # -- tables the model reads -------------------------------------------------------------

    def lower(self, name: str) -> str:
        """Lower case as the language writes it (Turkish: ``İ`` -> ``i``, ``I`` -> ``ı``)."""
        if self.turkish:
            name = name.replace("İ", "i").replace("I", "ı")
        return name.lower()

    def section_path(self, section: str) -> str:
        return next(p for s, p, _ in self.sections if s == section)

    def section_title(self, section: str) -> str:
        return next(t for s, _, t in self.sections if s == section)

    # -- text ---------------------------------------------------------------------------------

    def _make(self, rng: Random) -> str:
        return self.make_sentence(
            rng.choice(self.subjects),
            rng.choice(self.verbs),
            rng.choice(self.objects),
            rng.choice(self.tails),
        )

    def headline(self, rng: Random, style: str) -> str:
        base = self.make_headline(
            rng.choice(self.subjects), rng.choice(self.verbs), rng.choice(self.objects)
        )
        if style == "colon":
            return f"{rng.choice(self.CITIES).title()}{self._colon()}{base}"
        if style in ("dash", "quotes", "non-latin") and self.joiner:
            return f"{base} — {rng.choice(self.CITIES).title()}"
        return base

    def _colon(self) -> str:
        return "：" if not self.joiner else ": "

    def sentence(self, rng: Random) -> str:
        return self.pool[rng.getrandbits(11)]

    def paragraph(self, rng: Random, sentences: tuple[int, int] = (2, 5)) -> str:
        low, high = sentences
        count = low + int(rng.random() * (high - low + 1))
        return self.joiner.join([self.pool[rng.getrandbits(11)] for _ in range(count)])

    def keyword_phrases(self, rng: Random, tags: list[Tag], count: int) -> list[str]:
        phrases: list[str] = []
        space = self.joiner
        while len(phrases) < count:
            noun = rng.choice(self.objects)
            if tags and rng.random() < 0.5:
                phrase = f"{self.lower(rng.choice(tags).name)}{space}{noun}"
            else:
                phrase = f"{rng.choice(self.tag_names)}{space}{noun}"
            phrase = self.lower(phrase).replace(",", "").replace("，", "")
            if phrase not in phrases:
                phrases.append(phrase)
        return phrases

    def slugify(self, headline: str) -> str:
        """An ASCII slug (accents folded), ``""`` when the script has no Latin letters."""
        text = headline.lower().replace("ı", "i")
        text = "".join(
            c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
        )
        text = re.sub(r"[’‘'\"“”«»]", "", text)
        slug = re.sub(r"-{4,}", "---", re.sub(r"[^a-z0-9]", "-", text)).lstrip("-")
        # A headline ending in ? or ! keeps one dash: its URL reads ``...--<id>.html``.
        return slug.rstrip("-") + ("-" if headline[-1:] in "?!" else "")

    def native_slug(self, headline: str) -> str:
        """A slug in the script itself (a path percent-encodes it): letters kept, others ``-``."""
        words = re.findall(r"\w+", self.lower(headline))
        return "-".join(words)[:60].strip("-")

    def dateline(self, rng: Random) -> str:
        return self.dateline_format.format(city=rng.choice(self.CITIES))

    def split_for_link(self, body: str) -> tuple[str, str] | None:
        """A paragraph's text before and after an inline link, or ``None`` (one sentence)."""
        head, sep, tail = body.partition(self.sentence_end)
        if not tail:
            return None
        before, after = self.link_frame
        return f"{head}{sep.rstrip()}{before}", f"{after}{tail}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


SPANISH = Language(
    code="es",
    subjects=(
        "el canciller ruso, Serguéi Lavrov",
        "el portavoz del Kremlin, Dmitri Peskov",
        "la presidenta de México",
        "la Cancillería de Venezuela",
        "el Gobierno de Brasil",
        "el Ministerio de Defensa ruso",
        "la OTAN",
        "el grupo BRICS",
        "la ONU",
        "el Banco Central de Argentina",
        "la Unión Europea",
        "el Ejército de Perú",
    ),
    verbs=(
        "critica",
        "respalda",
        "rechaza",
        "celebra",
        "advierte sobre",
        "pide",
        "analiza",
        "condena",
        "firma",
        "anuncia",
        "niega",
        "confirma",
    ),
    objects=(
        "las nuevas sanciones",
        "el acuerdo energético",
        "la cumbre regional",
        "el diálogo de paz",
        "la reforma económica",
        "los precios del petróleo",
        "la cooperación técnico-militar",
        "el año de la niñez",
        "la campaña electoral",
        "el comercio bilateral",
        "la deuda externa",
        "el plan de paz",
    ),
    tails=(
        "según fuentes oficiales",
        "tras la reunión en Moscú",
        "en una rueda de prensa",
        "durante la cumbre de Brasilia",
        "a pesar de las presiones de EEUU",
        "en el marco de la cooperación bilateral",
        "según informó Sputnik",
    ),
    AUTHORS=(
        "María Fernanda Núñez",
        "José Antonio Peña",
        "Andrés Gómez",
        "Lucía Ibáñez",
        "Tomás Ordóñez",
        "Sofía Ramírez",
    ),
    CITIES=("MOSCÚ", "CARACAS", "LA HABANA", "MÉXICO", "BUENOS AIRES", "BOGOTÁ", "LIMA"),
    GENRES=("Noticias", "Noticias", "Noticias", "Análisis", "Opinión", "Entrevista"),
    sections=(
        ("mundo", "mundo", "Mundo"),
        ("américa latina", "america_latina", "América Latina"),
        ("rusia", "rusia", "Rusia"),
        ("economía", "economia", "Economía"),
        ("defensa", "defensa", "Defensa"),
        ("opinión", "opinion", "Opinión"),
    ),
    tag_names=(
        "Rusia",
        "México",
        "Venezuela",
        "Argentina",
        "Brasil",
        "EEUU",
        "OTAN",
        "BRICS",
        "Economía",
        "Petróleo",
        "Energía",
        "América Latina",
        "Perú",
        "Colombia",
        "Canadá",
        "Año Nuevo",
    ),
    LINK_TEXTS={"earlier": "informó antes", "tag": "la etiqueta", "statement": "un comunicado"},
    LIVE_PREFIX="EN VIVO: ",
    make_sentence=lambda s, v, o, t: (
        f"¿{_cap(s)} {v} {o}? Sí, {t}."
        if (len(s) + len(o) + len(t)) % 7 == 0
        else f"¡{_cap(s)} {v} «{o}»!"
        if (len(s) + len(o) + len(t)) % 7 == 1
        else f"{_cap(s)} {v} {o}, {t}."
    ),
    make_headline=lambda s, v, o: (
        f"¿Por qué {s} {v} {o}?" if len(s) % 5 == 0 else _cap(f"{s} {v} {o}")
    ),
    link_frame=(" Como ", " recordó: "),
    dateline_format="{city} (Sputnik) — ",
)

ARABIC = Language(
    code="ar",
    subjects=(
        "وزير الخارجية الروسي سيرغي لافروف",
        "الرئيس الروسي فلاديمير بوتين",
        "الجامعة العربية",
        "الحكومة السورية",
        "وزارة الدفاع الروسية",
        "الأمم المتحدة",
        "المملكة العربية السعودية",
        "البرلمان العراقي",
        "منظمة أوبك+",
        "مجموعة BRICS",
    ),
    verbs=("أعلن", "أكد", "بحث", "رفض", "دعا إلى", "رحب بـ", "ناقش", "حذر من"),
    objects=(
        "اتفاق وقف إطلاق النار",
        "التعاون الاقتصادي",
        "الأزمة في المنطقة",
        "المفاوضات الجديدة",
        "العقوبات الغربية",
        "إمدادات الحبوب",
        "أسعار النفط",
        "الوضع الإنساني",
    ),
    tails=(
        "يوم الأحد",
        "خلال اجتماع في موسكو",
        "في بيان رسمي",
        "وفقا لمصادر مطلعة",
        "في تصريح لوكالة Sputnik",
        "على هامش القمة",
        "في عام 2024",
        "بنسبة ٪١٥",
    ),
    AUTHORS=("أحمد عبد الله", "مريم حسن", "خالد الشامي", "ليلى منصور"),
    CITIES=("موسكو", "دمشق", "القاهرة", "بغداد", "الرياض", "بيروت"),
    GENRES=("أخبار", "أخبار", "أخبار", "تحليل", "مقابلة"),
    sections=(
        ("العالم العربي", "arab_world", "العالم العربي"),
        ("روسيا", "russia", "روسيا"),
        ("اقتصاد", "economy", "اقتصاد"),
        ("العالم", "world", "العالم"),
    ),
    tag_names=("روسيا", "سوريا", "مصر", "السعودية", "النفط", "الأمم المتحدة", "العراق", "لبنان"),
    LINK_TEXTS={"earlier": "ذكرت سابقا", "tag": "الوسم", "statement": "بيان"},
    LIVE_PREFIX="مباشر: ",
    make_sentence=lambda s, v, o, t: f"{s} {v} {o} {t}.",
    make_headline=lambda s, v, o: f"{s} {v} {o}",
    link_frame=(" وكما ", " فإن "),
    dateline_format="{city} - سبوتنيك. ",
)


def _zh_sentence(s: str, v: str, o: str, t: str) -> str:
    return f"{s}{t}{v}，{o}。" if len(o) % 3 else f"{s}{v}：“{o}、合作与发展”。"


CHINESE = Language(
    code="zh",
    subjects=(
        "俄罗斯外长拉夫罗夫",
        "中国外交部发言人",
        "俄罗斯总统普京",
        "上海合作组织",
        "金砖国家",
        "联合国安理会",
        "欧盟委员会",
        "美国国务院",
        "俄罗斯卫星通讯社记者",
    ),
    verbs=("表示", "批评", "呼吁", "宣布", "支持", "拒绝", "讨论", "强调"),
    objects=(
        "加强双边合作",
        "新一轮制裁",
        "能源供应问题",
        "和平谈判进程",
        "粮食安全",
        "本币结算",
        "地区安全局势",
        "经贸合作",
    ),
    tails=("据俄罗斯卫星通讯社报道", "在莫斯科举行的会议上", "在新闻发布会上", "周三", "当天"),
    AUTHORS=("王小明", "李娜", "张伟", "刘洋"),
    CITIES=("莫斯科", "北京", "上海", "圣彼得堡"),
    GENRES=("新闻", "新闻", "新闻", "分析", "采访"),
    sections=(
        ("国际", "world", "国际"),
        ("中国", "china", "中国"),
        ("俄罗斯", "russia", "俄罗斯"),
        ("经济", "economics", "经济"),
        ("军事", "military", "军事"),
    ),
    tag_names=("中国", "俄罗斯", "美国", "金砖国家", "上合组织", "经济", "乌克兰危机", "能源"),
    LINK_TEXTS={"earlier": "此前报道", "tag": "标签", "statement": "声明"},
    LIVE_PREFIX="直播：",
    make_sentence=_zh_sentence,
    make_headline=lambda s, v, o: f"{s}{v}{o}",
    link_frame=("正如", "所说，"),
    dateline_format="俄罗斯卫星通讯社{city}电 ",
    sentence_end="。",
    joiner="",
)


def _ja_sentence(s: str, v: str, o: str, t: str) -> str:
    return f"{s}は{t}、{o}{v}。"


JAPANESE = Language(
    code="ja",
    subjects=(
        "ラブロフ外相",
        "プーチン大統領",
        "日本政府",
        "ロシア外務省",
        "中国外務省の報道官",
        "国連安全保障理事会",
        "北大西洋条約機構（NATO）",
        "ロスアトム",
    ),
    verbs=(
        "を批判した",
        "を支持すると表明した",
        "について協議した",
        "を発表した",
        "を拒否した",
        "に懸念を示した",
    ),
    objects=(
        "新たな制裁措置",
        "エネルギー協力",
        "平和条約交渉",
        "経済協力の拡大",
        "サハリン２の液化天然ガス供給",
        "漁業協定",
    ),
    tails=("モスクワでの記者会見で", "１０日", "声明で", "スプートニクの取材に対し"),
    AUTHORS=("佐藤 花子", "鈴木 一郎", "田中 美咲"),
    CITIES=("モスクワ", "東京", "ウラジオストク"),
    GENRES=("ニュース", "ニュース", "ニュース", "分析", "インタビュー"),
    sections=(
        ("国際", "world", "国際"),
        ("ロシア", "russia", "ロシア"),
        ("日本", "japan", "日本"),
        ("経済", "economy", "経済"),
    ),
    tag_names=("ロシア", "日本", "中国", "ウクライナ", "エネルギー", "制裁", "北方領土"),
    LINK_TEXTS={"earlier": "既報", "tag": "タグ", "statement": "声明"},
    LIVE_PREFIX="ライブ：",
    make_sentence=_ja_sentence,
    make_headline=lambda s, v, o: f"{s}、{o}{v}",
    link_frame=("", "によると、"),
    dateline_format="{city}発 ",
    sentence_end="。",
    joiner="",
)

TURKISH = Language(
    code="tr",
    subjects=(
        "Rusya Dışişleri Bakanı Sergey Lavrov",
        "Cumhurbaşkanı Erdoğan",
        "Kremlin Sözcüsü Dmitriy Peskov",
        "İran Dışişleri Bakanlığı",
        "NATO",
        "Avrupa Birliği",
        "Irak hükümeti",
        "İstanbul Valiliği",
    ),
    verbs=("eleştirdi", "destekledi", "reddetti", "memnuniyetle karşıladı", "uyardı", "açıkladı"),
    objects=(
        "yeni yaptırımları",
        "enerji anlaşmasını",
        "barış görüşmelerini",
        "tahıl koridorunu",
        "ekonomik işbirliğini",
        "IŞİD'e karşı operasyonu",
    ),
    tails=(
        "Moskova'daki basın toplantısında",
        "yazılı açıklamasında",
        "Sputnik'e yaptığı açıklamada",
    ),
    AUTHORS=("Ayşe Yılmaz", "İbrahim Öztürk", "Işıl Çelik", "Mehmet Şahin"),
    CITIES=("MOSKOVA", "ANKARA", "İSTANBUL", "IĞDIR"),
    GENRES=("Haber", "Haber", "Haber", "Analiz", "Röportaj"),
    sections=(
        ("dünya", "dunya", "Dünya"),
        ("türkiye", "turkiye", "Türkiye"),
        ("ekonomi", "ekonomi", "Ekonomi"),
        ("savunma", "savunma", "Savunma"),
    ),
    tag_names=("İstanbul", "IŞİD", "Irak", "Rusya", "Türkiye", "İran", "NATO", "Ekonomi", "Enerji"),
    LINK_TEXTS={"earlier": "daha önce bildirildiği", "tag": "etiket", "statement": "açıklama"},
    LIVE_PREFIX="CANLI: ",
    make_sentence=lambda s, v, o, t: f"{s}, {t} {o} {v}.",
    make_headline=lambda s, v, o: f"{s} {o} {v}",
    link_frame=(" Nitekim ", " üzere, "),
    dateline_format="{city} (Sputnik) - ",
    turkish=True,
)

LANGUAGES: dict[str, Language] = {
    lang.code: lang for lang in (SPANISH, ARABIC, CHINESE, JAPANESE, TURKISH)
}
