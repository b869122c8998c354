"""Small readers the structured-data sources share (``jsonld``, ``microdata``, ``evidence``).

Schema.org types are compared by their bare names, so ``NewsArticle``,
``https://schema.org/NewsArticle`` and ``schema:NewsArticle`` are one type; authors are persons,
and an organisation, or a plain name that is the house's own, is not one.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.house import HOUSE_NAME

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "LiveBlogPosting",
        "BlogPosting",
        "Report",
    }
)
PERSON_TYPES = frozenset({"Person"})
_IRI_SEPARATORS = re.compile(r"[/:#]")


def type_names(value: Any) -> set[str]:
    """Bare type names of a ``@type``/``itemtype`` value: a string (space-separated IRIs, as
    microdata allows) or a list of strings; anything else gives none."""
    items = value if isinstance(value, list) else [value]
    names = set()
    for item in items:
        if isinstance(item, str):
            names.update(_IRI_SEPARATORS.split(n)[-1] for n in item.split())
    return names


def is_article_type(value: Any) -> bool:
    """Whether a ``@type``/``itemtype`` value names one of ``ARTICLE_TYPES``."""
    return not ARTICLE_TYPES.isdisjoint(type_names(value))


def first_text(values: Any) -> str | None:
    """The first non-blank string of a list (or the value itself), stripped."""
    for value in values if isinstance(values, list | tuple) else (values,):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def person(name: str | None, types: set[str] | None) -> str | None:
    """An author's name, whitespace collapsed, or ``None`` when it is no person's.

    :param name: the name as the page gives it
    :param types: the bare types of the object carrying it (``None`` for a plain name): a typed
        object that is not a ``Person`` is an organisation; a plain name that is the house's
        ("Sputnik International") is not an author either
    """
    if not name or not name.strip():
        return None
    if types is None:
        if HOUSE_NAME.match(name):
            return None
    elif types and types.isdisjoint(PERSON_TYPES):
        return None
    return " ".join(name.split())
