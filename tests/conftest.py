"""Session fixtures: one mirror server for the whole test run."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest

from tests.mirror.process import Mirror, run_mirror
from tests.redis_server import REDIS_SERVER, RedisServer, run_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

MIRROR_ARTICLES = 300  # small enough to start fast, big enough for every page variant


@pytest.fixture(scope="session")
def mirror() -> Iterator[Mirror]:
    """The mirror at ``mirror.url``, serving ``MIRROR_ARTICLES`` articles without faults."""
    with run_mirror(articles=MIRROR_ARTICLES) as running:
        yield running


CHROMIUM = "/usr/bin/chromium"  # Debian's package, as PLAYWRIGHT_LAUNCH_OPTIONS says


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, for the tests that render pages; they fail without it on CI."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no Chromium at {CHROMIUM}: run scripts/ensure-system-packages (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port, stopped after the test; the tests that
    need it fail without it on CI."""
    if shutil.which(REDIS_SERVER) is None:
        message = "no redis-server: run scripts/ensure-system-packages (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
