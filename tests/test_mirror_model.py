"""The site model: determinism, the seed article, the related graph, variant proportions."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from tests.mirror import model, pages
from tests.mirror import seed as real
from tests.mirror.manifest import record
from tests.mirror.model import Site

N = 3000


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(N)


def test_same_seed_same_bytes(site: Site) -> None:
    again = Site(N)
    paths = [s.path for s in site.stubs[:: N // 40]] + [
        "/",
        "/world/",
        "/export/rss2/archive/index.xml",
        "/sitemap_article_index.xml",
    ]
    for path in paths:
        assert pages.render(site, path).body == pages.render(again, path).body, path
    assert [record(site, i) for i in range(0, N, 97)] == [record(again, i) for i in range(0, N, 97)]


def test_other_seed_other_site(site: Site) -> None:
    other = Site(N, seed=2)
    assert [s.path for s in other.stubs] != [s.path for s in site.stubs]
    assert real.SEED_PATH in other.by_path  # the real articles are there whatever the seed


def test_real_articles_at_real_paths(site: Site) -> None:
    seed = site.stubs[site.seed_index]
    assert seed.path == real.SEED_PATH
    assert seed.published == real.SEED_TIME
    related = [site.stubs[i].path for i in site.related(site.seed_index)]
    assert related == [r[0] for r in real.RELATED]
    for path, article_id, _, published in real.RELATED:
        stub = site.stubs[site.by_path[path]]
        assert (stub.article_id, stub.published, stub.published.date().isoformat()) == (
            article_id,
            published,
            "2024-04-09",
        )


def test_smallest_site_is_the_three_real_articles() -> None:
    tiny = Site(3)
    assert sorted(s.article_id for s in tiny.stubs) == sorted(
        [real.SEED_ID] + [r[1] for r in real.RELATED]
    )
    with pytest.raises(ValueError, match="at least 3"):
        Site(2)


def test_ids_and_paths_unique_and_chronological(site: Site) -> None:
    assert len({s.article_id for s in site.stubs}) == N
    assert len({s.path for s in site.stubs}) == N
    times = [s.published for s in site.stubs]
    assert times == sorted(times)
    assert all(pages.ARTICLE_PATH.match(s.path) for s in site.stubs)


def test_related_graph_shape(site: Site) -> None:
    related = {i: site.related(i) for i in range(N)}
    degrees = Counter(len(r) for r in related.values())
    assert set(degrees) == set(range(7)), degrees  # 0 to 6 related articles
    targets = {t for r in related.values() for t in r}
    orphans = [s.index for s in site.stubs if s.orphan]
    assert orphans and not targets & set(orphans)
    assert all(0 <= t < N and t != i for i, r in related.items() for t in r)
    # cycles: some article is reachable from one of its own related articles
    assert any(i in related[t] for i, r in related.items() for t in r) or _has_cycle(related)
    # long chains: a run of articles each linking only to the one before
    assert _longest_chain(related) >= model.CHAIN_LENGTH - 1


def _has_cycle(graph: dict[int, tuple[int, ...]]) -> bool:
    state: dict[int, int] = {}
    for root in graph:
        stack = [(root, iter(graph[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(graph[child])))
    return False


def _longest_chain(graph: dict[int, tuple[int, ...]]) -> int:
    best = run = 0
    for i in range(1, len(graph)):
        run = run + 1 if graph[i] == (i - 1,) else 0
        best = max(best, run)
    return best


@pytest.mark.parametrize(
    ("dimension", "table"),
    [
        ("structure", model.STRUCTURE),
        ("shape", model.SHAPES),
        ("timestamp", model.TIMESTAMPS),
        ("url", model.URLS),
        ("headline", model.HEADLINES),
        ("kind", model.KINDS),
    ],
)
def test_variant_proportions(site: Site, dimension: str, table: tuple) -> None:
    generated = [s for s in site.stubs if not s.key.startswith("real:")]

    def value(stub: model.Stub) -> object:
        v = stub.variants
        return (v.jsonld, v.microdata) if dimension == "structure" else getattr(v, dimension)

    counts = Counter(value(s) for s in generated)
    n = len(generated)
    for variant, percent in table:
        p = percent / 100
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(counts[variant] - n * p) <= 4 * sigma + 1, (variant, counts[variant], n * p)


def test_slugs_have_double_and_triple_dashes(site: Site) -> None:
    slugs = [s.path.rsplit("-", 1)[0] for s in site.stubs if s.variants.url == "slug"]
    assert any("---" in s for s in slugs)
    assert any("--" in s.replace("---", "") for s in slugs)
    assert any(s.variants.url == "id-only" and s.path.count("/") == 2 for s in site.stubs)
