"""Stats: one naming scheme, ``sputnik/<component>/<event>[/<reason>]``, every one in the README."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PART = rf"(?:{TOKEN}|<[a-z-]+>)"  # a token, or in the code a placeholder
SCHEME = re.compile(rf"^sputnik/{TOKEN}/{PART}(?:/{PART})?$")
# A stat name as the source writes it: a string literal, in an f-string the {...} parts.
LITERAL = re.compile(r"""f?"(sputnik/[^"\s]*)\"""")


def source_stats() -> set[str]:
    """Every stat name in the crawler's code, ``{...}`` parts written ``<x>``."""
    found = set()
    for path in (REPO / "crawler").rglob("*.py"):
        for name in LITERAL.findall(path.read_text()):
            found.add(re.sub(r"(?:\{[^}]*\})+", "<x>", name))
    return found


def readme_patterns() -> list[re.Pattern[str]]:
    """The README's Stats table, one pattern per name (``<reason>`` matches one token)."""
    section = (REPO / "README.md").read_text().split("\n## Stats\n", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"`(sputnik/[^`]+)`", section)
    assert len(names) > 30
    return [re.compile("^" + re.sub(r"<[a-z-]+>", "[^/]+", re.escape(n).replace(r"\-", "-")) + "$")
            for n in names]  # fmt: skip


def documented(name: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.match(name) for p in patterns)


def test_every_stat_in_the_code_follows_the_scheme_and_is_documented() -> None:
    names = source_stats()
    assert "sputnik/writer/articles-written" in names and "sputnik/rejects/<x>" in names
    patterns = readme_patterns()
    for name in names:
        if name == "sputnik/rejects":  # the total beside sputnik/rejects/<reason>
            continue
        assert SCHEME.match(name.replace("<x>", "<reason>")), name
        assert documented(name.replace("<x>", "any-thing"), patterns), f"{name} not in README"


def assert_stats_documented(stats: dict) -> None:
    """A crawl's ``sputnik/`` stats follow the scheme and are in the README; Scrapy's own
    families (``retry/``...) hold none of the project's counters."""
    patterns = readme_patterns()
    ours = [k for k in stats if k.startswith("sputnik/")]
    assert "sputnik/writer/articles-written" in ours
    for name in ours:
        assert name == "sputnik/rejects" or SCHEME.match(name), name
        assert documented(name, patterns), f"{name} not in README"
    assert not [k for k in stats if k.startswith("retry/") and "retry_after" in k]
