"""``DATASET_FLUSH_SECS``: a killed crawl loses at most that much work, even a quiet one."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

from crawler.items import ArticleItem
from crawler.pipelines.write import Receipt, _Dataset
from tests.crawl import run_crawl
from tests.mirror.model import ROBOTS_DISALLOWED_DAY, Site
from tests.mirror.process import run_mirror
from tests.test_journal import interrupted, rows

if TYPE_CHECKING:
    from pathlib import Path

    from tests.mirror.process import Mirror

ARTICLES = 300


def test_a_killed_quiet_crawl_keeps_rows_older_than_flush_secs(tmp_path: Path) -> None:
    """Five articles (and their related ones) come at once, then one page takes a minute: no
    item comes to trigger a flush, far fewer rows than DATASET_FLUSH_ROWS are buffered, and the
    crawl is killed. Only the timer can have written them."""
    site = Site(ARTICLES)
    fast = [s for s in site.stubs if s.day != ROBOTS_DISALLOWED_DAY][-40:-35]
    stuck = site.stubs[-1]
    with run_mirror(articles=ARTICLES, faults=f"slow=60@{stuck.path}") as mirror:
        seeds = ",".join(s.url for s in [*fast, stuck])
        settings = {
            "DEPTH_LIMIT": "1",
            "DATASET_FLUSH_ROWS": "100000",
            "DATASET_FLUSH_SECS": "1",
        }
        log = tmp_path / "run.log"
        code = interrupted(
            mirror, tmp_path, log, 4.0, signal.SIGKILL, "-a", f"seeds={seeds}", settings=settings
        )
    assert code == -signal.SIGKILL, log.read_text()[-3000:]
    written = rows(tmp_path / "articles") + rows(tmp_path / "rejects")
    assert len(written) >= len(fast), log.read_text()[-3000:]
    assert stuck.url not in {r["url"] for r in written}


def test_flush_secs_must_be_seconds(mirror: Mirror, tmp_path: Path) -> None:
    crawl = run_crawl(mirror, tmp_path, settings={"DATASET_FLUSH_SECS": "soon"})
    assert crawl.returncode == 1
    assert "DATASET_FLUSH_SECS" in crawl.log


def test_a_buffer_is_due_when_full_or_old() -> None:
    dataset = _Dataset("DATASET_URI", "x", ArticleItem, "published_at", "s", flush_at=3)
    assert not dataset.due(0.05)
    dataset.add("2024-04-10", [{}])
    assert not dataset.due(0.05) and not dataset.due(0)
    time.sleep(0.06)
    assert dataset.due(0.05) and not dataset.due(0)  # 0: no time bound
    dataset.take()
    dataset.add("2024-04-10", [{}, {}, {}])
    assert dataset.due(0) and dataset.due(60)


def test_a_receipt_settles_once_whoever_waits_first() -> None:
    seen: list[str] = []
    receipt = Receipt()
    receipt.when_settled(lambda: seen.append("before"))
    receipt.settle()
    receipt.settle()
    receipt.when_settled(lambda: seen.append("after"))
    assert seen == ["before", "after"]
