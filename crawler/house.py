"""The site's own names, which are never authors: the house, and its signature after a name.

The names come from the editions table (``crawler.editions``: each edition's ``name``, "Sputnik
International", "Sputnik Mundo", "Sputnik China"...), plus the agency's own ("Sputnik", "RIA
Novosti", "Rossiya Segodnya"): an edition added to the table, or renamed in it, is covered
without touching this module. ``house(editions)`` gives the rules of a table (the crawl's,
``Config.editions``); ``HOUSE_NAME`` and ``HOUSE_SUFFIX`` are the packaged table's, for the
extractors, and the normalizer applies the crawl's table again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from crawler.editions import EditionTable, packaged_table

# Names the agency signs with in every edition, besides the editions' own.
AGENCY_NAMES = ("Sputnik", "RIA Novosti", "Rossiya Segodnya")


@dataclass(frozen=True)
class House:
    """The house's names as regular expressions, for one editions table."""

    name: re.Pattern[str]
    """Matches (at the start) a name that is the house's, not a person's: "Sputnik", "Sputnik
    Mundo", "RIA Novosti"... (organisation authors are not authors)."""
    suffix: re.Pattern[str]
    """The house's signature after a person's name (markup.md §4: "Wilmer Leon. Sputnik
    International", "Ana Pérez - Sputnik Mundo", "Ann Lee, Sputnik"); replace it by ``""``."""
    title_suffix: re.Pattern[str]
    """An edition's name after a title ("Titular - Sputnik Mundo", "标题 | Sputnik China");
    replace it by ``""``."""

    def strip_title(self, title: str) -> str:
        """``title`` without the edition's name after it; unchanged when nothing else is left
        (a page whose only title is the site's name)."""
        stripped = self.title_suffix.sub("", title)
        return stripped or title


@lru_cache(maxsize=8)
def house(editions: EditionTable | None = None) -> House:
    """The house rules of a table of editions (the packaged one if not given); built once per
    table."""
    table = editions or packaged_table()
    names = dict.fromkeys(e.name for e in table)  # in table order, each once ("Sputnik Belarus")
    editions_alt = _alternation(names)
    every_alt = _alternation({**dict.fromkeys(AGENCY_NAMES), **names})
    return House(
        # (?!\w), not \b: a name from the table may end in a character that is no word's.
        name=re.compile(rf"^\s*(?:{every_alt})(?!\w)", re.I),
        # After a separator, any house name (the bare "Sputnik" too); after a space alone, only
        # an edition's full name ("Wilmer Leon Sputnik International").
        suffix=re.compile(
            rf"\s*(?:[.,;|\-\u2013\u2014]\s*(?:{every_alt})|\s+(?:{editions_alt}))\s*$", re.I
        ),
        # Titles: only an edition's full name, after a dash, a bar or a middle dot ("Sputnik V"
        # after a dash is a vaccine's name in a headline).
        title_suffix=re.compile(rf"\s*[|\-\u2013\u2014\u00b7]\s*(?:{editions_alt})\s*$", re.I),
    )


def _alternation(names: dict[str, None]) -> str:
    """A regex alternation of names, longest first, any whitespace between their words."""
    ordered = sorted(names, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, name.split())) for name in ordered)


# The packaged table's rules, for the extractors (which read no crawl settings).
HOUSE_NAME = house().name
HOUSE_SUFFIX = house().suffix
