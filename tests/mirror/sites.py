"""Several editions at once: one ``Site`` per edition, the related links between them, and the
truth of a crawl of some of them.

``Editions(("en", "es", "ar", "zh", "ja"), articles=300)`` builds each edition as its own
``Site`` (``articles``, ``seed``, ``archive``, ``published`` apply to each); an ``Editions`` of
``("en",)`` is exactly the single-site mirror. With two editions or more, about
``FOREIGN_PERCENT`` % of each edition's articles (today's template, never the real seed
article) get one related card to an article of another *served* edition, after their own
related links and in their JSON-LD list: preferably the pairs of ``PREFERRED`` (es->en, es->ja,
ar->en, en->es, zh->ja, ...), written on the other edition's current host or, for about a third,
on its former host (the truth is on the current host).

A crawl chooses some editions; it starts from each one's seeds (``seeds``: its RSS feed, for
``en`` also the seed article) and follows related links only within the chosen editions, so
``reachable`` follows a cross-edition link only when its target's edition is chosen.
"""

from __future__ import annotations

from collections import deque
from random import Random
from typing import TYPE_CHECKING, Any

from tests.mirror import manifest
from tests.mirror.editions import EDITIONS
from tests.mirror.model import ROBOTS_DISALLOWED_DAY, Site

if TYPE_CHECKING:
    from collections.abc import Iterable

FOREIGN_PERCENT = 5
FORMER_HOST_PERCENT = 30
PREFERRED: dict[str, tuple[str, ...]] = {
    "en": ("es",),
    "es": ("en", "ja"),
    "ar": ("en",),
    "zh": ("ja",),
    "ja": ("zh", "en"),
    "tr": ("en",),
}
RSS_ITEMS = 100  # as render_feeds.RSS_ITEMS

Node = tuple[str, int]  # (edition code, article index in that edition's site)


class Editions:
    """The served editions, in order (the first answers requests for unknown hosts).

    :param codes: edition codes (``tests.mirror.editions.EDITIONS``)
    :param articles: articles per edition
    :param seed: seeds every random choice
    :param published: serve only each edition's first ``published`` articles
    :param archive: archive articles (2019-2020) per edition
    """

    def __init__(
        self,
        codes: Iterable[str] = ("en",),
        articles: int = 300,
        seed: int = 1,
        published: int | None = None,
        archive: int = 0,
    ) -> None:
        self.codes = tuple(codes)
        unknown = [c for c in self.codes if c not in EDITIONS]
        if unknown or not self.codes or len(set(self.codes)) != len(self.codes):
            raise ValueError(f"bad editions {self.codes!r}; known: {', '.join(EDITIONS)}")
        self.sites: dict[str, Site] = {
            code: Site(articles, seed, published, archive, EDITIONS[code]) for code in self.codes
        }
        if len(self.codes) > 1:
            for code in self.codes:
                self._link(code)

    @property
    def first(self) -> Site:
        return self.sites[self.codes[0]]

    def __getitem__(self, code: str) -> Site:
        return self.sites[code]

    def _link(self, code: str) -> None:
        """Give some of ``code``'s articles a related card to another served edition."""
        site = self.sites[code]
        others = [c for c in self.codes if c != code]
        preferred = [c for c in PREFERRED.get(code, ()) if c in others] or others
        for stub in site.stubs:
            if stub.layout != "current" or stub.key.startswith("real:"):
                continue
            rng = Random(f"{stub.key}:foreign")
            if rng.random() * 100 >= FOREIGN_PERCENT:
                continue
            other = self.sites[rng.choice(preferred)]
            start = int(rng.random() * len(other.stubs))
            target = None
            for k in range(len(other.stubs)):
                candidate = other.stubs[(start + k) % len(other.stubs)]
                if candidate.layout == "current" and not candidate.orphan:
                    target = candidate
                    break
            if target is None:
                continue
            href = target.url
            if other.edition.former_hosts and rng.random() * 100 < FORMER_HOST_PERCENT:
                href = other.edition.former_origin + target.path
            site.foreign[stub.index] = ((target, href),)

    # -- the truth of a crawl ------------------------------------------------------------------

    def seeds(self, code: str) -> list[int]:
        """What a crawl of edition ``code`` starts from: its RSS feed's articles, newest first,
        and for ``en`` also the seed article (``tests/mirror/data/seed-article.txt``)."""
        site = self.sites[code]
        found = [s.index for s in site.latest(RSS_ITEMS)]
        if site.seed_index >= 0 and site.seed_index < len(site) and site.seed_index not in found:
            found.append(site.seed_index)
        return found

    def links(self, node: Node, chosen: Iterable[str]) -> list[Node]:
        """The related links of article ``node`` a crawl of ``chosen`` editions follows."""
        code, index = node
        site = self.sites[code]
        out: list[Node] = [(code, t) for t in site.related(index)]
        allowed = set(chosen)
        for other, _ in site.article(index).foreign:
            other_code = _code_of(other.origin)
            if other_code in allowed:
                out.append((other_code, other.index))
        return out

    def reachable(
        self,
        chosen: Iterable[str] | None = None,
        depth: int = 0,
        start: Iterable[Node] | None = None,
    ) -> dict[Node, int]:
        """Articles a crawl of the ``chosen`` editions (all served ones by default) reaches from
        ``start`` (their ``seeds`` by default): ``(code, index)`` -> depth.

        Depth counts as Scrapy's ``DEPTH_LIMIT`` does (start pages 0; ``0`` means no limit).
        Pages robots.txt disallows are never fetched, so their links are not followed.
        """
        codes = tuple(chosen) if chosen is not None else self.codes
        if start is None:
            start = [(c, i) for c in codes for i in self.seeds(c)]
        found: dict[Node, int] = {}
        queue: deque[Node] = deque()
        for node in start:
            if node not in found and self._allowed(node):
                found[node] = 0
                queue.append(node)
        while queue:
            node = queue.popleft()
            if depth and found[node] >= depth:
                continue
            for target in self.links(node, codes):
                if target not in found and self._allowed(target):
                    found[target] = found[node] + 1
                    queue.append(target)
        return found

    def withheld(self, reached: dict[Node, int], depth: int, chosen: Iterable[str]) -> list[Node]:
        """Articles linked from ``reached`` pages that robots.txt withholds (a crawl keeps them
        as ``robots-disallowed`` rejects)."""
        codes = tuple(chosen)
        out: dict[Node, None] = {}
        for node, d in reached.items():
            if depth and d >= depth:
                continue
            for target in self.links(node, codes):
                if not self._allowed(target):
                    out[target] = None
        return list(out)

    def _allowed(self, node: Node) -> bool:
        return self.sites[node[0]].stubs[node[1]].day != ROBOTS_DISALLOWED_DAY

    def record(self, node: Node) -> dict[str, Any]:
        """The manifest record of one article."""
        return manifest.record(self.sites[node[0]], node[1])

    def records(
        self, chosen: Iterable[str] | None = None, depth: int = 0
    ) -> dict[str, dict[str, Any]]:
        """URL -> manifest record of every article a crawl of ``chosen`` reaches at ``depth``
        from the default seeds (``status`` says whether it is an article or a reject)."""
        reached = self.reachable(chosen, depth)
        return {rec["url"]: rec for rec in map(self.record, reached)}


def _code_of(origin: str) -> str:
    host = origin.removeprefix("https://")
    return next(e.code for e in EDITIONS.values() if e.host == host)
