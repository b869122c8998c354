"""Script-built pages (``--js-shells``, ``--js-lists``): deterministic, and holding exactly their
static twin's markup for a script to put in place (the browser side is in ``test_render.py``)."""

from __future__ import annotations

import html
import json
from collections import Counter

import pytest
from parsel import Selector

from tests.mirror import boilerplate, pages, render_article, render_js
from tests.mirror.model import Site

N = 600


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(N)


def first(site: Site, variant: str, percent: int = 100) -> int:
    return next(s.index for s in site.stubs if render_js.kind(s, percent) == variant)


def test_share_and_variants_are_fixed_by_the_article(site: Site) -> None:
    assert all(render_js.kind(s, 0) is None for s in site.stubs)
    kinds = Counter(render_js.kind(s, 30) for s in site.stubs)
    assert 0.25 * N < N - kinds[None] < 0.35 * N
    assert set(kinds) == {None, *render_js.KINDS}
    # A larger share keeps every script-built page of a smaller one, in the same variant.
    for stub in site.stubs:
        if (variant := render_js.kind(stub, 30)) is not None:
            assert render_js.kind(stub, 60) == variant
    again = Site(N)
    assert [render_js.kind(s, 30) for s in again.stubs] == [
        render_js.kind(s, 30) for s in site.stubs
    ]


def test_without_the_option_nothing_changes(site: Site) -> None:
    options = render_js.Options()
    for stub in site.stubs[:50]:
        assert pages.render(site, stub.path, options) == pages.render(site, stub.path)
    assert pages.render(site, "/world/", options) == pages.render(site, "/world/")


@pytest.mark.parametrize("variant", ["payload", "api"])
def test_shells_carry_no_article_markup(site: Site, variant: str) -> None:
    index = first(site, variant)
    page = pages.render(site, site.stubs[index].path, render_js.Options(100))
    assert page.status == 200
    doc = Selector(text=page.body.decode())
    assert not doc.css("div.article, h1.article__title")
    assert not doc.css('script[type="application/ld+json"]')
    assert doc.css("noscript") and doc.css("div#app")
    if variant == "api":
        assert doc.css("div#app::attr(data-src)").get() == (
            f"/__api__/article/{site.stubs[index].article_id}.json"
        )


def test_the_state_is_the_static_page_cut_at_the_chrome(site: Site) -> None:
    index = first(site, "payload")
    state = json.loads(render_js.state_json(site, index))
    rebuilt = boilerplate.document_bytes(
        html.escape(state["title"]), state["head"], state["main"], state["aside"]
    )
    assert rebuilt == render_article.page(site, index)
    shell = pages.render(site, site.stubs[index].path, render_js.Options(100)).body.decode()
    embedded = Selector(text=shell).css("script#__STATE__::text").get()
    assert json.loads(embedded) == state
    api = pages.render(site, f"/__api__/article/{site.stubs[index].article_id}.json")
    assert api.content_type == "application/json" and json.loads(api.body) == state


def test_related_cards_move_to_a_block_filled_after_load(site: Site) -> None:
    with_cards = [
        s.index
        for s in site.stubs
        if render_js.kind(s, 100) == "related" and render_js.related_cards(site, s.index)
    ]
    assert with_cards
    index = with_cards[0]
    stub = site.stubs[index]
    static = render_article.page(site, index)
    page = pages.render(site, stub.path, render_js.Options(100)).body
    doc = Selector(text=page.decode())
    assert not doc.css("div.article__block[data-type=article]")
    url = f"/__api__/related/{stub.article_id}.html"
    assert doc.css("div.article__related::attr(data-url)").getall() == [url]
    cards = pages.render(site, url)
    assert cards.body == render_js.related_cards(site, index)
    static_hrefs = Selector(text=static.decode()).css("div.article__article a::attr(href)")
    assert Selector(text=cards.body.decode()).css("a::attr(href)").getall() == (
        static_hrefs.getall()
    )


def test_lists_load_more_only_by_script(site: Site) -> None:
    js = pages.render(site, "/world/", render_js.Options(lists=True)).body.decode()
    static = pages.render(site, "/world/").body.decode()
    assert Selector(text=static).css("div.list__more::attr(data-url)").get()
    doc = Selector(text=js)
    assert doc.css("div.list__more") and not doc.css("div.list__more::attr(data-url)")
    assert doc.css("div.list__item a.list__title::attr(href)").getall() == (
        Selector(text=static).css("div.list__item a.list__title::attr(href)").getall()
    )
    assert pages.render(site, "/world", render_js.Options(lists=True)).status == 404


def test_unknown_api_paths_are_404(site: Site) -> None:
    for path in ("/__api__/article/1.json", "/__api__/related/9999999999.html", "/__api__/x"):
        assert pages.render(site, path).status == 404


def test_bad_share_is_refused() -> None:
    with pytest.raises(ValueError, match="percentage"):
        render_js.Options(101)
