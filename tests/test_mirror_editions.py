"""The mirror's sister editions: Host routing, each edition's feeds, sitemaps and robots.txt, text
in its own script, local offsets, NFD pages, percent-encoded slugs, colliding ids, cross-edition
links, and manifest truth that the served HTML carries."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from parsel import Selector
from w3lib.url import canonicalize_url

from tests.mirror import manifest, pages, render_js
from tests.mirror.editions import EDITIONS, by_host, parse_codes
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror
from tests.mirror.render_article import lower_hex
from tests.mirror.sites import Editions

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.mirror.model import Stub

SERVED = ("en", "es", "ar", "zh", "ja")
ARTICLES = 300
ARCHIVE = 40
LANGUAGE_LABELS = {"en": "en_EN", "es": "es_ES", "ar": "ar_AR", "zh": "cn_CN", "ja": "ja_JP"}


@pytest.fixture(scope="module")
def served() -> Iterator[Mirror]:
    with run_mirror(articles=ARTICLES, archive=ARCHIVE, editions=SERVED) as running:
        yield running


@pytest.fixture(scope="module")
def model(served: Mirror) -> Editions:
    return served.model()


def current(site: Site) -> list[Stub]:
    return [s for s in site.stubs if s.layout == "current"]


def ld(html: str) -> dict[str, Any]:
    """The page's NewsArticle, from a plain JSON-LD script."""
    for text in Selector(text=html).css('script[type="application/ld+json"]::text').getall():
        data = json.loads(text)
        if data.get("@type") in ("NewsArticle", "LiveBlogPosting"):
            return data
    raise AssertionError("no NewsArticle")


def text_of(html: str) -> str:
    return " ".join(Selector(text=html).css("div.article__text ::text").getall())


# -- the table ---------------------------------------------------------------------------------


def test_edition_table_and_hosts() -> None:
    assert [EDITIONS[c].house for c in ("en", "es", "ar", "zh", "ja", "tr")] == [
        "Sputnik International",
        "Sputnik Mundo",
        "Sputnik Arabic",
        "Sputnik China",
        "Sputnik Japan",
        "Sputnik Türkiye",
    ]
    assert by_host("SputnikGlobe.com:8080").code == "en"
    assert by_host("www.noticiaslatam.lat").code == "es"
    assert by_host("mundo.sputniknews.com").code == "es"
    assert by_host("arabic.sputniknews.com.").code == "ar"
    assert by_host("127.0.0.1:5000") is None
    assert parse_codes(" en, zh ") == ("en", "zh")
    for bad in ("en,xx", "en,en", ""):
        with pytest.raises(ValueError):
            parse_codes(bad)


def test_en_alone_is_the_single_site() -> None:
    """``Editions(("en",))`` is ``Site``: same stubs, same bytes, no cross links."""
    one = Editions(("en",), 120, archive=10)
    site = Site(120, archive=10)
    assert [s.url for s in one.first.stubs] == [s.url for s in site.stubs]
    assert not one.first.foreign
    for stub in site.stubs[::7]:
        assert pages.render(one.first, stub.path).body == pages.render(site, stub.path).body


# -- serving --------------------------------------------------------------------------------------


def test_host_chooses_the_edition(served: Mirror, model: Editions) -> None:
    before = served.stats()["hosts"]
    port = urlsplit(served.url).port
    for code in SERVED:
        edition = EDITIONS[code]
        for host in (edition.host, f"WWW.{edition.host.upper()}:{port}", *edition.former_hosts):
            status, _, body = served.get("/robots.txt", host)
            assert status == 200, host
            assert f"Sitemap: https://{edition.host}/sitemap_article_index.xml" in body.decode()
    # a host of no edition (what a crawler sends to a bare origin): the first edition
    status, _, body = served.get("/robots.txt", f"127.0.0.1:{port}")
    assert status == 200 and b"https://sputnikglobe.com/" in body
    # an edition that exists but is not served: nothing
    for host in ("anlatilaninotesi.com.tr", "tr.sputniknews.com"):
        assert served.get("/robots.txt", host)[0] == 404
    assert served.get(model["zh"].stubs[5].path, "anlatilaninotesi.com.tr")[0] == 404
    hosts = served.stats()["hosts"]
    assert hosts["sputniknews.cn"] == before.get("sputniknews.cn", 0) + 1
    assert hosts["anlatilaninotesi.com.tr"] == before.get("anlatilaninotesi.com.tr", 0) + 2


def test_faults_can_hit_one_edition() -> None:
    spec = "status=503@//sputniknews.cn/robots.txt"
    with run_mirror(articles=20, editions=("en", "zh"), faults=spec) as running:
        assert running.get("/robots.txt", "sputniknews.cn")[0] == 503
        assert running.get("/robots.txt", "www.sputniknews.cn")[0] == 200
        assert running.get("/robots.txt", "sputnikglobe.com")[0] == 200
        assert running.get("/robots.txt")[0] == 200


def test_each_edition_serves_its_own_articles(served: Mirror, model: Editions) -> None:
    for code in SERVED:
        site = model[code]
        stub = current(site)[ARTICLES // 2]
        status, headers, body = served.get(stub.path, EDITIONS[code].host)
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
        assert body == pages.render(site, stub.path).body
        html = unicodedata.normalize("NFC", body.decode())
        assert stub.headline in html
        assert f'content="{EDITIONS[code].house}"' in html  # og:site_name
        others = [c for c in SERVED if c != code and stub.path not in model[c].by_path]
        assert served.get(stub.path, EDITIONS[others[0]].host)[0] == 404


def test_en_pages_do_not_change_with_other_editions(served: Mirror, mirror: Mirror) -> None:
    """sputnikglobe.com's pages are the single-site mirror's, but for cross-edition cards."""
    alone = Site(ARTICLES, archive=ARCHIVE)
    together = served.model()["en"]
    port = urlsplit(served.url).port
    checked = 0
    for stub in alone.stubs[::9]:
        if stub.index in together.foreign:
            continue
        host = f"127.0.0.1:{port}" if checked % 2 else "sputnikglobe.com"
        assert served.get(stub.path, host)[2] == pages.render(alone, stub.path).body
        checked += 1
    assert checked > 20
    # the session's single-edition mirror, over HTTP, is the model rendered as always
    plain = Site(mirror.articles, mirror.seed)
    for stub in plain.stubs[::37]:
        assert mirror.get(stub.path)[2] == pages.render(plain, stub.path).body


def test_feeds_carry_local_offsets(served: Mirror, model: Editions) -> None:
    offsets = {"en": "+0000", "es": "-0300", "ar": "+0300", "zh": "+0800", "ja": "+0900"}
    for code in SERVED:
        site, edition = model[code], EDITIONS[code]
        body = served.get("/export/rss2/archive/index.xml", edition.host)[2].decode()
        feed = Selector(text=body, type="xml")
        links = feed.xpath("//item/link/text()").getall()
        assert links == [s.url for s in site.latest(100)]
        assert all(urlsplit(u).hostname == edition.host for u in links)
        dates = feed.xpath("//item/pubDate/text()").getall()
        assert all(d.endswith(offsets[code]) for d in dates), dates[:2]
        assert [parsedate_to_datetime(d) for d in dates] == [s.published for s in site.latest(100)]
        assert feed.xpath("//channel/title/text()").get() == edition.house


def test_sitemap_days_are_local_days(served: Mirror, model: Editions) -> None:
    for code in ("zh", "es", "en"):
        site, edition = model[code], EDITIONS[code]
        # a local day whose first articles are of the previous UTC day (or the next, for es)
        day = (
            next(s.day for s in current(site)[50:] if s.day != s.published.strftime("%Y%m%d"))
            if code != "en"
            else current(site)[50].day
        )
        target = f"/sitemap_article.xml?date_start={day}&date_end={day}"
        body = served.get(target, edition.host)[2].decode()
        locs = Selector(text=body, type="xml").xpath("//*[local-name()='loc']/text()").getall()
        assert set(locs) == {s.url for s in site.stubs if s.day == day}, code
        assert all(f"/{day}/" in loc for loc in locs)
        index = served.get("/sitemap_article_index.xml", edition.host)[2].decode()
        children = Selector(text=index, type="xml").xpath("//*[local-name()='loc']/text()")
        assert all(
            c.startswith(f"https://{edition.host}/sitemap_article.xml?") for c in children.getall()
        )


def test_archive_per_edition(served: Mirror, model: Editions) -> None:
    for code in ("es", "ar", "ja"):
        site, edition = model[code], EDITIONS[code]
        stub = next(s for s in site.stubs if s.layout == "earlier")
        status, headers, _ = served.get(stub.old_path, edition.former_hosts[0])
        assert status == 301 and headers["location"] == stub.path
        html = served.get(stub.path, edition.host)[2].decode()
        canonical = Selector(text=html).css('link[rel="canonical"]::attr(href)').get()
        assert canonical == edition.former_origin + stub.old_path
        assert f'lang="{edition.html_lang}"' in html
        assert manifest.record(site, stub.index)["language"] == edition.language


# -- text -------------------------------------------------------------------------------------


def test_texts_in_their_scripts(model: Editions) -> None:
    bodies = {
        code: "\n\n".join(
            manifest.record(model[code], s.index)["body"] for s in current(model[code])[:40]
        )
        for code in SERVED
    }
    assert re.search(r"[áéíóúñ]", bodies["es"]) and "¿" in bodies["es"] and "¡" in bodies["es"]
    arabic = [c for c in bodies["ar"] if c.isalpha()]
    assert sum(unicodedata.bidirectional(c) == "AL" for c in arabic) > 0.9 * len(arabic)
    assert "Sputnik" in bodies["ar"]  # a Latin brand name inside right-to-left text
    assert "，" in bodies["zh"] and "。" in bodies["zh"]
    unspaced = bodies["zh"].replace("\n\n", "").replace("电 ", "电")  # a dateline's space
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", unspaced)
    for low, high in (("\u3041", "\u309f"), ("\u30a1", "\u30ff"), ("\u4e00", "\u9fff")):
        assert any(low <= c <= high for c in bodies["ja"]), (low, high)
    for code, body in bodies.items():
        assert unicodedata.is_normalized("NFC", body), code


def test_word_count_rule() -> None:
    assert manifest.word_count("Hello — world & < 5% ok") == 4
    assert manifest.word_count("中国外交部，表示。") == 7
    assert manifest.word_count("日本政府は、エネルギー協力 NATO ２０２４") == 14
    assert manifest.word_count("ｶﾀｶﾅ 𠀀 !!") == 5
    assert manifest.word_count("") == 0


def test_cjk_word_count_is_in_proportion(model: Editions) -> None:
    for code in ("zh", "ja"):
        for stub in current(model[code])[:30]:
            rec = manifest.record(model[code], stub.index)
            letters = sum(not c.isspace() for c in rec["body"])
            assert 0.7 * letters < rec["word_count"] <= letters, (code, rec["url"])
    en = manifest.record(model["en"], current(model["en"])[5].index)
    assert en["word_count"] < len(en["body"]) / 4


def test_turkish_tags_lower_case_the_turkish_way() -> None:
    site = Site(200, edition=EDITIONS["tr"])
    tags = {t for s in site.stubs for t in manifest.record(site, s.index)["tags"]}
    assert {"istanbul", "ışid", "ırak"} <= tags
    assert not any("i̇" in t or "I" in t for t in tags)


def test_some_pages_are_served_in_nfd(served: Mirror, model: Editions) -> None:
    site = model["es"]
    nfd = [s for s in current(site) if s.variants.nfd and s.variants.kind == "article"]
    assert len(nfd) > 10
    decomposed = 0
    for stub in nfd[:10]:
        html = served.get(stub.path, "noticiaslatam.lat")[2].decode()
        assert unicodedata.is_normalized("NFD", html)
        decomposed += "\u0301" in html
        rec = manifest.record(site, stub.index)
        assert rec["headline"] in unicodedata.normalize("NFC", html)
    assert decomposed >= 8


def test_percent_encoded_slugs(served: Mirror, model: Editions) -> None:
    for code, host in (("es", "noticiaslatam.lat"), ("ar", "sarabic.ae")):
        site = model[code]
        native = [s for s in current(site) if s.variants.url == "native"]
        assert len(native) > 20
        for stub in native[:5]:
            assert canonicalize_url(stub.url) == stub.url
            assert canonicalize_url(stub.origin + lower_hex(stub.path)) == stub.url
            raw = unicodedata.normalize("NFC", urlsplit(stub.url).path)
            for form in (stub.path, lower_hex(stub.path)):
                assert served.get(form, host)[0] == 200
            assert served.exchange(
                f"GET {raw} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            ).startswith(b"HTTP/1.1 200")
    # links to them are written in both cases of hex, in different places
    site = model["ar"]
    pages_html = "".join(pages.render(site, s.path).body.decode() for s in current(site)[100:160])
    assert re.search(r'href="/\d{8}/%[0-9a-f]{2}', pages_html)
    assert re.search(r'"https://sarabic\.ae/\d{8}/%[0-9A-F]{2}', pages_html)


def test_zh_is_id_only_and_says_cn_cn(served: Mirror, model: Editions) -> None:
    site = model["zh"]
    id_only = [s for s in site.stubs if re.fullmatch(r"/\d{8}/\d+\.html", s.path)]
    assert len(id_only) > 0.8 * len(site.stubs)
    assert all(s in id_only for s in site.stubs[: site.archive])  # archive: Latin-free slugs
    stub = next(s for s in current(site) if s.variants.jsonld == "plain")
    html = served.get(stub.path, "sputniknews.cn")[2].decode()
    data = ld(html)
    assert data["inLanguage"] == "cn_CN"
    assert manifest.record(site, stub.index)["language"] == "zh"
    compact = next(s for s in current(site) if s.variants.compact_meta_time)
    html = served.get(compact.path, "sputniknews.cn")[2].decode()
    meta = Selector(text=html).css('meta[property="article:published_time"]::attr(content)').get()
    assert re.fullmatch(r"\d{8}T\d{4}\+0800", meta)
    moment = datetime.strptime(meta, "%Y%m%dT%H%M%z").astimezone(UTC)
    assert (
        moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        == manifest.record(site, compact.index)["published_at"]
    )


# -- ids and links ------------------------------------------------------------------------------


def test_ids_collide_across_editions(served: Mirror, model: Editions) -> None:
    ids = {code: {s.article_id: s for s in model[code].stubs} for code in ("es", "ar", "zh")}
    shared = set(ids["es"]) & set(ids["ar"]) & set(ids["zh"])
    assert len(shared) >= 5
    article_id = sorted(shared)[2]
    heads = set()
    for code in ("es", "ar", "zh"):
        stub = ids[code][article_id]
        body = served.get(stub.path, EDITIONS[code].host)[2].decode()
        assert f'data-article-id="{article_id}"' in body
        rec = manifest.record(model[code], stub.index)
        heads.add((rec["edition"], rec["article_id"], rec["headline"]))
    assert len(heads) == 3


def test_cross_edition_links(served: Mirror, model: Editions) -> None:
    pairs: set[tuple[str, str]] = set()
    former = 0
    for code in SERVED:
        site = model[code]
        for index, links in site.foreign.items():
            for other, href in links:
                other_code = by_host(urlsplit(other.url).hostname or "").code
                pairs.add((code, other_code))
                former += urlsplit(href).hostname in EDITIONS[other_code].former_hosts
                rec = manifest.record(site, index)
                assert other.url in rec["related_urls"]
    assert {("es", "en"), ("ar", "en"), ("en", "es"), ("zh", "ja"), ("es", "ja")} <= pairs
    assert former > 5
    # on the page: a card to the other host, and the JSON-LD list
    site = model["es"]
    index, ((other, href),) = next(
        (i, f) for i, f in site.foreign.items() if site.stubs[i].variants.jsonld == "plain"
    )
    html = served.get(site.stubs[index].path, "noticiaslatam.lat")[2].decode()
    cards = Selector(text=html).css("div.article__article a::attr(href)").getall()
    assert cards[-1] == href
    assert json.dumps(other.url) in json.dumps(ld(html))


def test_reachable_stays_within_chosen_editions(model: Editions) -> None:
    chosen = ("en", "es", "ar", "zh")
    reached = model.reachable(chosen, depth=3)
    assert {code for code, _ in reached} == set(chosen)
    assert any(
        code != "en" and other.origin == "https://sputnikglobe.com"
        for code, index in reached
        for other, _ in model[code].foreign.get(index, ())
    )
    everything = model.reachable(SERVED, depth=3)
    assert any(code == "ja" for code, _ in everything)
    assert set(reached) <= set(everything)
    for (code, index), depth in reached.items():
        if depth == 0:
            assert index in model.seeds(code)
    records = model.records(chosen, depth=3)
    assert len(records) == len(reached)
    assert {r["site"] for r in records.values()} == {EDITIONS[c].host for c in chosen}


# -- the truth is in the HTML ----------------------------------------------------------------------


def test_manifest_truth_recoverable_from_html(served: Mirror, model: Editions) -> None:
    """What a perfect crawler reads from a page with full structured data is the record."""
    for code in ("es", "ar", "zh", "ja"):
        site, edition = model[code], EDITIONS[code]
        sample = [
            s
            for s in current(site)
            if s.variants.jsonld == "plain"
            and s.variants.kind == "article"
            and s.variants.timestamp in ("minute", "offset", "seconds")
        ][:6]
        assert sample
        for stub in sample:
            rec = manifest.record(site, stub.index)
            html = unicodedata.normalize("NFC", served.get(stub.path, edition.host)[2].decode())
            data = ld(html)
            page = Selector(text=html)
            assert rec["url"] == data["url"] and rec["site"] == edition.host
            assert rec["headline"] == data["headline"]
            assert rec["description"] == manifest.collapse(data["description"])
            assert data["inLanguage"] == LANGUAGE_LABELS[code]
            assert rec["language"] == data["inLanguage"][:2].replace("cn", "zh")
            assert parse_time(data["datePublished"]) == rec["published_at"]
            paragraphs = [
                manifest.collapse("".join(p.css("::text").getall()))
                for p in page.css(
                    "div.article__body > div.article__block[data-type=text] > div.article__text,"
                    " div.article__body > div.article__block[data-type=quote]"
                    " div.article__quote-text, div.article__body > h2, div.article__body > h3"
                )
            ]
            assert "\n\n".join(p for p in paragraphs if p) == rec["body"]
            tags = [t.strip() for t in page.css("li.tag span.tag__text::text").getall()]
            lower = site.texts.lower
            assert list(dict.fromkeys(lower(t) for t in tags)) == rec["tags"]
            assert data["publisher"]["name"] == rec["publisher"]["name"] == edition.house
            section = page.css('meta[property="article:section"]::attr(content)').get()
            assert lower(section) == rec["section"]
            links = data.get("citation") or data.get("relatedLink") or []
            urls = [x["url"] if isinstance(x, dict) else x for x in _listed(links)]
            own = [u.split("?")[0].replace(edition.former_origin, edition.origin) for u in urls]
            assert own == rec["related_urls"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def parse_time(value: str) -> str:
    """A JSON-LD time with an offset, as the manifest's UTC string."""
    for form in ("%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            moment = datetime.strptime(value, form)
        except ValueError:
            continue
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise AssertionError(f"unreadable time {value!r}")


def test_manifest_cli_writes_every_edition(tmp_path: Any) -> None:
    out = tmp_path / "manifest.jsonl"
    command = [sys.executable, "-m", "tests.mirror", "manifest", "--articles", "40"]
    command += ["--editions", "es,zh", "--out", str(out)]
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["edition"] for r in records] == ["es"] * 40 + ["zh"] * 40
    assert {r["site"] for r in records} == {"noticiaslatam.lat", "sputniknews.cn"}
    assert {r["language"] for r in records} == {"es", "zh"}
    assert all(r["published_at"].endswith("Z") for r in records if r["published_at"])


def test_script_built_pages_per_edition(model: Editions) -> None:
    """``--js-shells``: each edition's shells carry its page (its lang, its house) for a browser."""
    for code in ("ar", "zh", "es"):
        site, edition = model[code], EDITIONS[code]
        stub = current(site)[7]
        state = json.loads(render_js.state_json(site, stub.index))
        static = pages.render(site, stub.path).body.decode()
        assert state["main"] in static and state["head"] in static
        for variant in render_js.KINDS:
            shell = render_js.article_page(site, stub.index, variant).decode()
            assert f'lang="{edition.html_lang}"' in shell, (code, variant)
        api = render_js.api(site, f"/__api__/article/{stub.article_id}.json")
        assert api is not None and json.loads(api[0]) == state
