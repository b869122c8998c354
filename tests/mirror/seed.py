"""The real article of ``seed-article.txt`` and the two related articles it links to.

Every value here is copied from ``tests/mirror/data/seed-article.txt`` (the structured data of
one real page, as the project's user handed it over). The few values that file does not show (the
two related articles' headlines and times, the image crops' coordinates) are marked as ours.
"""

from __future__ import annotations

from datetime import UTC, datetime

SEED_PATH = (
    "/20240410/china-sending-message-that-it-has-russias-back-if-west-escalates-1117838001.html"
)
SEED_ID = 1117838001
SEED_HEADLINE = "China Sending Message That ‘It Has Russia’s Back’ If West Escalates"
SEED_DESCRIPTION = (
    "Russian Foreign Minister Sergey Lavrov met with Chinese President Xi Jinping, sending a strong"
    " message to the West that the two countries will continue their strategic relationship."
)
SEED_TIME = datetime(2024, 4, 10, 2, 11, tzinfo=UTC)
SEED_SECTION = "analysis"
# Display names as the tag footer shows them; the structured data has them lower-cased.
SEED_TAGS = (
    "Russia",
    "China",
    "Ukraine",
    "US",
    "Emmanuel Macron",
    "NATO",
    "US Hegemony",
    "Ukrainian Crisis",
    "The Critical Hour",
)
SEED_IMAGE_MEDIA_ID = 1117838181
SEED_IMAGE_URL = (
    "https://cdn1.img.sputnikglobe.com/img/07e8/04/0a/"
    "1117838181_0:22:900:528_1920x0_80_0_0_cfb7b5222352416a1865cdb3e8a23958.jpg"
)
# The page's paragraphs; the structured data's articleBody runs them together with no separator.
SEED_PARAGRAPHS = (
    "The meeting between Lavrov and Xi, particularly right after Yellen’s visit, is a “message” to"
    " the West that China “will have the back of Russia” if the conflict in Ukraine is escalated by"
    " the West, lawyer and journalist Dimitri Lascarus told Sputnik’s The Critical Hour on"
    " Wednesday.",
    "“Of course, we have this ongoing drama with little Napoleon in France [French President]"
    " Emmanuel Macron, talking about sending a few thousand French troops to their deaths in"
    " Odessa,” Lascarus recalled. “I wouldn't be surprised at all if it has been interpreted by"
    " both the Russian and Chinese governments as an attempt to provoke Russia into a direct attack"
    " on a NATO country.”",
    "“I think [China is] sending a message that China will have the back of Russia if this"
    " escalates. And, no one should have any illusions about that,” Lascarus explained.",
    "While neither government has any “reservations about the necessity” of their alliance,"
    " Lascarus argued that the West is forcing them to strengthen their relationship because of its"
    " aggressive actions. “Every day, Western governments are acting in a way which makes this"
    " partnership even more compelling to the Russian and Chinese governments.”",
    "With public sentiment turning against the “Ukrainian disaster” in both Europe and the US,"
    " Lascarus noted that polls show that the vast majority of French citizens think the country is"
    " heading in the wrong direction. “[France] has been one of the primary architects of this"
    " disastrous neocon policy in Ukraine,” he explained. “So we’re seeing already, that the"
    " political days of these characters are all numbered.”",
)
SEED_AUTHOR = "Ian DeMartino"
SEED_GENRE = "News"
SEED_KEYWORDS = (
    "russian foreign minister sergey lavrov",
    "lavrov chinese visit",
    "russian foreign minister visited china",
    "russia china relations",
    "china west relations",
    "global south",
    "new alliances",
    "world politics",
)

# The two related articles of 2024-04-09: real paths and ids; headlines and times are ours.
RELATED = (
    (
        "/20240409/chinese-foreign-minister-confirms-participation-in-brics-meeting-in-russia-in"
        "-june--lavrov-1117821017.html",
        1117821017,
        "Chinese Foreign Minister Confirms Participation in BRICS Meeting in Russia in June:"
        " Lavrov",
        datetime(2024, 4, 9, 12, 47, tzinfo=UTC),
    ),
    (
        "/20240409/president-putin-expected-to-visit-china-this-year---russian-foreign-ministry"
        "-1117824035.html",
        1117824035,
        "President Putin Expected to Visit China This Year - Russian Foreign Ministry",
        datetime(2024, 4, 9, 15, 2, tzinfo=UTC),
    ),
)

PUBLISHER = {
    "name": "Sputnik International",
    "email": "feedback@sputniknews.com",
    "telephone": "+74956456601",
    "legal_name": "MIA „Rosiya Segodnya“",
    # The logo's address is not in the seed; its size is (252x60).
    "logo_url": "https://cdn1.img.sputnikglobe.com/i/logo/logo-social.png",
    "logo_width": 252,
    "logo_height": 60,
}
LANGUAGE_RAW = "en_EN"
