"""robots.txt holds for every request that waited for it, not only the first (``crawler.robots``):
a crawl whose first requests all go out at once, as from many seeds or a frontier worker that
joins a crawl with a full queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow.dataset as ds

from tests.crawl import run_crawl
from tests.mirror.model import ROBOTS_DISALLOWED_DAY, Site

if TYPE_CHECKING:
    from pathlib import Path

    from tests.mirror.process import Mirror

from tests.conftest import MIRROR_ARTICLES


def test_every_waiting_request_obeys_robots_txt(mirror: Mirror, tmp_path: Path) -> None:
    site = Site(MIRROR_ARTICLES)
    withheld = [s.url for s in site.stubs if s.day == ROBOTS_DISALLOWED_DAY][:10]
    allowed = [s.url for s in site.stubs if s.day != ROBOTS_DISALLOWED_DAY][:10]
    assert len(withheld) == 10
    seeds = ",".join(u for pair in zip(allowed, withheld, strict=True) for u in pair)
    crawl = run_crawl(mirror, tmp_path, "-a", f"seeds={seeds}", settings={"DEPTH_LIMIT": "1"})
    assert crawl.returncode == 0, crawl.log[-2000:]
    table = ds.dataset(crawl.articles, format="parquet", partitioning="hive").to_table()
    assert not set(table.column("url").to_pylist()) & set(withheld)
    rejects = ds.dataset(crawl.rejects, format="parquet", partitioning="hive").to_table()
    reasons = dict(
        zip(rejects.column("url").to_pylist(), rejects.column("reason").to_pylist(), strict=True)
    )
    assert {u: reasons.get(u) for u in withheld} == dict.fromkeys(withheld, "robots-disallowed")
    assert crawl.stats["robotstxt/forbidden"] >= 10  # and linked ones
