"""The manifest: ground truth consistent with the model, the seed's real values, reachability."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.mirror import manifest
from tests.mirror import seed as real
from tests.mirror.manifest import COLUMNS, reachable, record
from tests.mirror.model import PUBLIC_ORIGIN, ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.process import REPO_ROOT, Mirror

N = 800
SEED_TXT = Path(__file__).parent / "mirror" / "data" / "seed-article.txt"


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(N)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("manifest") / "manifest.jsonl"
    command = [sys.executable, "-m", "tests.mirror", "manifest", "--articles", str(N)]
    subprocess.run([*command, "--out", str(out)], cwd=REPO_ROOT, check=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_cli_writes_one_record_per_article(site: Site, written: list[dict]) -> None:
    assert len(written) == N
    assert [r["url"] for r in written] == [s.url for s in site.stubs]
    assert written[::50] == [json.loads(json.dumps(record(site, i))) for i in range(0, N, 50)]
    assert all(set(r) >= set(COLUMNS) for r in written)


def test_records_follow_the_model(site: Site, written: list[dict]) -> None:
    urls = {r["url"] for r in written}
    for rec, stub in zip(written, site.stubs, strict=True):
        assert rec["url"] == PUBLIC_ORIGIN + stub.path and rec["url"].endswith(".html")
        assert rec["article_id"] == stub.article_id == int(rec["url"][-15:-5].rsplit("-")[-1])
        assert set(rec["related_urls"]) <= urls
        assert len(set(rec["related_urls"])) == len(rec["related_urls"]) <= 6
        assert rec["related_urls"] == [site.stubs[t].url for t in site.related(stub.index)]
        # punctuation-only tokens (an em dash, "&", "<") are no words; 中国外交部 is five
        tokens = rec["body"].split()
        assert rec["word_count"] == manifest.word_count(rec["body"])
        if "中国外交部" not in rec["body"]:
            assert rec["word_count"] == sum(any(c.isalnum() for c in t) for t in tokens)
        assert rec["tags"] == [t.lower() for t in rec["tags"]]
        assert rec["language"] == "en" and rec["site"] == "sputnikglobe.com"
        assert rec["robots_allowed"] == (stub.day != ROBOTS_DISALLOWED_DAY)
        assert (rec["status"] == "rejected") == (rec["reject_reason"] is not None)
        if rec["published_at"]:
            assert rec["published_at"][:10].replace("-", "") == stub.day
        assert "\n\n\n" not in rec["body"] and rec["body"] == rec["body"].strip()
    reasons = Counter(r["reject_reason"] for r in written if r["reject_reason"])
    assert set(reasons) == {"missing-headline", "missing-published-at"}
    assert not any(r["url"].startswith("http://127.") for r in written)


def test_what_a_variant_hides_is_empty(written: list[dict]) -> None:
    for rec in written:
        v = rec["variants"]
        jsonld = v["jsonld"] in ("plain", "graph", "multi")
        assert (rec["publisher"] is None) == (not jsonld)
        assert (rec["copyright_year"] is None) == (not jsonld)
        if not jsonld:
            assert rec["images"] == []
        if not jsonld and not v["microdata"]:
            assert rec["genre"] is None and rec["created_at"] is None
    html_only = [r for r in written if r["genre"] is None]
    assert html_only, "some pages carry neither JSON-LD nor microdata"


def test_seed_record_holds_every_seed_value(site: Site) -> None:
    rec = record(site, site.seed_index)
    lines = [line for line in SEED_TXT.read_text().splitlines() if line.strip()]
    assert lines[0].split()[2] == rec["url"]
    assert rec["headline"] == lines[1] == lines[2]
    assert rec["description"] == lines[4]
    assert rec["published_at"] == rec["created_at"] == rec["modified_at"] == "2024-04-10T02:11:00Z"
    assert rec["section"] == lines[8] == "analysis"
    assert rec["tags"] == lines[9:18]
    assert rec["image_url"] == lines[18]
    assert rec["body"].replace("\n\n", "") == lines[19]
    assert rec["related_urls"] == lines[20:22]
    assert rec["tags"][:3] == lines[22:25]
    publisher = rec["publisher"]
    assert lines[25] == " ".join(
        str(publisher[k])
        for k in ("name", "email", "telephone", "legal_name", "logo_width", "logo_height")
    )
    assert rec["copyright_year"] == int(lines[26]) == 2024
    assert rec["authors"] == [lines[27]] == [real.SEED_AUTHOR]
    assert rec["genre"] == lines[29] and lines[30] == "en_EN" and rec["language"] == "en"
    assert [f"{i['width']} {i['height']} true" for i in rec["images"]] == lines[32:35]
    assert rec["keywords"] == [k.strip() for k in lines[-1].split(",")]


def test_reachable_counts_depth_like_scrapy(site: Site) -> None:
    seed = site.seed_index
    related = site.related(seed)
    assert reachable(site, [seed], 1) == {seed: 0, **{r: 1 for r in related}}
    everything = reachable(site, [seed], 0)
    assert len(everything) > len(reachable(site, [seed], 3)) > len(related) + 1
    for index, depth in everything.items():
        assert site.stubs[index].day != ROBOTS_DISALLOWED_DAY
        if depth:
            parents = [p for p, d in everything.items() if d == depth - 1]
            assert any(index in site.related(p) for p in parents), index
    orphans = {s.index for s in site.stubs if s.orphan}
    assert not orphans & set(everything)


def test_served_seed_page_matches_manifest(mirror: Mirror) -> None:
    """Over real HTTP: the seed page's values are the manifest's."""
    served = Site(mirror.articles, mirror.seed)
    rec = record(served, served.seed_index)
    with urllib.request.urlopen(mirror.url + real.SEED_PATH, timeout=10) as response:
        page = response.read().decode()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    for value in (rec["description"], rec["image_url"], *rec["related_urls"], "Ian DeMartino"):
        assert value in page
    assert manifest.content_hash(rec["headline"], rec["body"]) == rec["content_hash"]
