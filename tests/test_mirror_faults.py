"""The mirror's fault injection: spec parsing, and each fault as a client sees it over HTTP.

One mirror runs for the whole module with a combined spec, one rule per article path.
"""

from __future__ import annotations

import gzip
import html
import http.client
import re
import time
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.mirror import faults, pages
from tests.mirror.model import Site
from tests.mirror.process import Mirror, run_mirror

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ARTICLES = 300
SLOW_SECS = 0.5
REDIRECT_HOPS = 3
RETRY_AFTER_SECS = 7
# Rule kind -> its spec text without the glob; each gets its own article path as its glob.
RULES = {
    "404": "status=404",
    "410": "status=410",
    "500": "status=500",
    "503": "status=503",
    "429": f"429={RETRY_AFTER_SECS}",
    "slow": f"slow={SLOW_SECS}",
    "drop": "drop",
    "truncate": "truncate",
    "redirect": f"redirect={REDIRECT_HOPS}",
    "loop": "loop",
    "ctype": "ctype=application/octet-stream",
    "gzip": "gzip",
    "count": "status=503",  # with x1 below
}
CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")


@cache
def site() -> Site:
    return Site(ARTICLES)


@cache
def targets() -> dict[str, str]:
    """Rule name -> the article path it faults; ``clean`` is one left alone."""
    stubs = [s for s in site().stubs if s.variants.headline != "non-latin"]
    chosen = {name: stubs[number].path for number, name in enumerate([*RULES, "clean"])}
    chosen["cp1251"] = next(s.path for s in site().stubs if CYRILLIC_WORD.search(s.headline))
    return chosen


def spec() -> str:
    rules = [f"{rule}@{targets()[name]}" for name, rule in RULES.items()]
    rules[-1] += "x1"
    rules.append(f"cp1251@{targets()['cp1251']}")
    return ";".join(rules)


@pytest.fixture(scope="module")
def access_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mirror") / "access.log"


@pytest.fixture(scope="module")
def faulty(access_log: Path) -> Iterator[Mirror]:
    with run_mirror(articles=ARTICLES, faults=spec(), access_log=access_log) as running:
        yield running


def get(
    mirror: Mirror, target: str, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body of one GET, redirects not followed, no decoding."""
    parts = urlsplit(mirror.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


# -- parsing ------------------------------------------------------------------------------------


def test_parse_full_rule():
    (rule,) = faults.parse("slow=1.5@/2024*/amp/*%25x2")
    assert (rule.kind, rule.value, rule.glob, rule.percent, rule.count) == (
        "slow",
        "1.5",
        "/2024*/amp/*",
        25.0,
        2,
    )


def test_parse_defaults_and_separators():
    rules = faults.parse(" drop ; ;status=404@*.xml;")
    assert [(r.kind, r.value, r.glob, r.percent, r.count) for r in rules] == [
        ("drop", "", "*", 100.0, None),
        ("status", "404", "*.xml", 100.0, None),
    ]


def test_parse_empty_spec():
    assert faults.parse("") == []
    assert not faults.Faults.from_spec(None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode", "unknown kind 'explode'"),
        ("status=200", "status must be a code from 400 to 599"),
        ("status", "status needs a value"),
        ("429=soon", "429 needs whole seconds"),
        ("slow=fast@/x", "slow needs seconds"),
        ("drop=1", "drop takes no value"),
        ("redirect=0", "redirect needs a hop count"),
        ("ctype=html", "ctype needs a media type"),
        ("gzip%150", "percent must be 0-100"),
        ("truncatex0", "count must be at least 1"),
        ("loop@", "empty glob"),
    ],
)
def test_parse_rejects_bad_rules(spec: str, message: str):
    with pytest.raises(ValueError, match="bad fault rule") as info:
        faults.parse(f"drop@/fine;{spec}")
    assert repr(spec) in str(info.value)
    assert message in str(info.value)


def test_first_matching_rule_wins():
    decider = faults.Faults.from_spec("status=410@/a/*;status=500")
    assert decider.decide("/a/1") == faults.Action("status", "410")
    assert decider.decide("/b/1") == faults.Action("status", "500")


def test_percent_picks_a_stable_share():
    paths = [s.path for s in Site(2000).stubs]
    (rule,) = faults.parse("drop%30")
    hit = {p for p in paths if rule.selects(p)}
    assert 0.25 < len(hit) / len(paths) < 0.35
    (again,) = faults.parse("drop%30")
    assert {p for p in paths if again.selects(p)} == hit
    (other,) = faults.parse("truncate%30")
    assert {p for p in paths if other.selects(p)} != hit


def test_percent_falls_through_to_later_rules():
    decider = faults.Faults.from_spec("drop%50;status=404")
    kinds = {decider.decide(f"/{n}").kind for n in range(100)}  # type: ignore[union-attr]
    assert kinds == {"drop", "status"}


def test_count_then_served_normally():
    decider = faults.Faults.from_spec("status=500x2")
    assert [decider.decide("/a") for _ in range(3)] == [faults.Action("status", "500")] * 2 + [None]
    assert decider.decide("/b") is not None  # counted per target


def test_redirect_chain_decisions():
    decider = faults.Faults.from_spec("redirect=3")
    hops = [decider.decide("/p?q=1")]
    while hops[-1] is not None:
        hops.append(decider.decide(hops[-1].location))
    locations = [hop.location for hop in hops[:-1]]
    assert locations == ["/__redirect__/1/p?q=1", "/__redirect__/2/p?q=1", "/p?q=1"]


# -- over HTTP ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_status(faulty: Mirror, status: int):
    got, headers, body = get(faulty, targets()[str(status)])
    assert got == status
    assert headers["Content-Type"].startswith("text/html")
    assert str(status).encode() in body


def test_429_retry_after(faulty: Mirror):
    status, headers, _ = get(faulty, targets()["429"])
    assert status == 429
    assert headers["Retry-After"] == str(RETRY_AFTER_SECS)


def test_clean_path_is_served(faulty: Mirror):
    status, headers, body = get(faulty, targets()["clean"])
    assert status == 200
    assert int(headers["Content-Length"]) == len(body) > 10_000


def test_slow(faulty: Mirror):
    started = time.monotonic()
    status, _, _ = get(faulty, targets()["slow"])
    assert status == 200
    assert time.monotonic() - started >= SLOW_SECS


def test_slow_keeps_pipelined_order(faulty: Mirror):
    host = urlsplit(faulty.url).netloc
    requests = [
        f"GET {targets()['slow']} HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"GET {targets()['404']} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
    ]
    answer = faulty.exchange("".join(requests).encode())
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1 404 ") == 1


def test_drop(faulty: Mirror):
    with pytest.raises(http.client.RemoteDisconnected):
        get(faulty, targets()["drop"])


def test_truncate(faulty: Mirror):
    request = f"GET {targets()['truncate']} HTTP/1.1\r\nHost: x\r\n\r\n"
    received = faulty.exchange(request.encode())  # the server closes after half the body
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields[b"content-length"])
    assert len(body) == length // 2


def test_redirect_chain(faulty: Mirror):
    target = targets()["redirect"]
    locations = []
    status, headers, _ = get(faulty, target)
    while status == 302:
        locations.append(headers["Location"])
        status, headers, _ = get(faulty, locations[-1])
    assert status == 200
    assert locations[-1] == target
    assert len(locations) == REDIRECT_HOPS
    assert all(loc.startswith("/__redirect__/") for loc in locations[:-1])


def test_loop(faulty: Mirror):
    location = targets()["loop"]
    seen = set()
    for _ in range(10):
        status, headers, _ = get(faulty, location)
        assert status == 302
        location = headers["Location"]
        seen.add(location)
    assert len(seen) == 2


def test_wrong_content_type(faulty: Mirror):
    status, headers, body = get(faulty, targets()["ctype"])
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert body == page_body(targets()["ctype"])


def test_gzip(faulty: Mirror):
    status, headers, body = get(faulty, targets()["gzip"])
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == page_body(targets()["gzip"])


def test_cp1251(faulty: Mirror):
    target = targets()["cp1251"]
    status, headers, body = get(faulty, target)
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert b'content="text/html; charset=windows-1251"' in body
    assert b'<meta charset="utf-8">' not in body
    expected = (
        page_body(target)
        .decode()
        .replace(
            '<meta charset="utf-8">',
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
        )
    )
    text = body.decode("cp1251")
    assert html.unescape(text) == html.unescape(expected)
    words = CYRILLIC_WORD.findall(site().stubs[site().by_path[target]].headline)
    assert words
    assert all(word in text for word in words)


def page_body(target: str) -> bytes:
    """The page as the mirror renders it without faults."""
    return pages.render(site(), target).body


def test_count_then_retry_succeeds(faulty: Mirror):
    target = targets()["count"]
    assert get(faulty, target)[0] == 503
    assert get(faulty, target)[0] == 200
    assert get(faulty, target)[0] == 200


def test_stats_count_requests(faulty: Mirror):
    target = targets()["clean"] + "?stats"
    before = faulty.stats()
    get(faulty, target)
    get(faulty, target)
    after = faulty.stats()
    assert after["requests"] == before["requests"] + 2
    assert after["paths"][target] == 2
    assert "/__mirror__/stats" not in after["paths"]
    host = urlsplit(faulty.url).netloc
    assert after["hosts"][host] == before["hosts"].get(host, 0) + 2


def test_access_log(faulty: Mirror, access_log: Path):
    target = targets()["clean"] + "?log"
    _, _, body = get(faulty, target)
    with pytest.raises(http.client.RemoteDisconnected):
        get(faulty, targets()["drop"])
    lines = access_log.read_text().splitlines()
    assert f"GET {target} 200 {len(body)}" in lines
    assert f"GET {targets()['drop']} - 0" in lines
    assert not any("__mirror__" in line for line in lines)


def test_a_host_glob_hits_one_host():
    """``//host/path`` globs pick one edition of a multi-edition mirror (Host: no port, any
    case)."""
    decider = faults.Faults.from_spec("status=503@//sarabic.ae/2024*;redirect=2@//sputniknews.cn/*")
    assert decider.decide("/20240101/a-1.html", "SARABIC.AE:8080") == faults.Action("status", "503")
    assert decider.decide("/20240101/a-1.html", "noticiaslatam.lat") is None
    assert decider.decide("/20240101/a-1.html") is None
    first = decider.decide("/x", "sputniknews.cn")
    assert first is not None and first.kind == "redirect"
    second = decider.decide(first.location, "sputniknews.cn")
    assert second == faults.Action("redirect", location="/x")
    assert decider.decide("/x", "sputniknews.cn") is None  # the chain's end is served
