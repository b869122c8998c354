"""Settings are read and checked once (``crawler.config``); a bad one stops the crawl at start."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler import settings as project_settings
from crawler.config import Config, ConfigError
from tests.crawl import config_of, run_crawl
from tests.hostile import HostileServer

BAD_SETTINGS = [
    ("CONCURRENT_REQUESTS_PER_DOMAIN", "0"),  # would hang: no request is ever sent
    ("CONCURRENT_REQUESTS", "0"),
    ("CONCURRENT_REQUESTS_PER_IP", "2"),  # the downloader-aware queue refuses it
    ("CONCURRENT_REQUESTS_PER_IP", "-1"),
    ("DEPTH_LIMIT", "-1"),
    ("DEPTH_LIMIT", "abc"),
    ("DEPTH_LIMIT", "1.5"),
    ("RETRY_TIMES", "-5"),
    ("DOWNLOAD_TIMEOUT", "0"),
    ("DOWNLOAD_MAXSIZE", "big"),
    ("AUTOTHROTTLE_TARGET_CONCURRENCY", "0"),
    ("LOGSTATS_INTERVAL", "nan"),
    ("ROBOTSTXT_OBEY", "maybe"),
    ("RETRY_HTTP_CODES", "500,abc"),
    ("RETRY_HTTP_CODES", "42"),
    ("PLAYWRIGHT_LAUNCH_OPTIONS", "{not json"),
    ("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", "0"),
    ("SITE_ORIGIN", "ftp://127.0.0.1"),
    ("SITE_ORIGIN", "http://127.0.0.1:99999"),
    ("DATASET_URI", "nosuch://x"),
    ("DATASET_URI", " "),
    ("REJECTS_URI", "data/articles/rejects"),  # inside the articles dataset
    ("DATASET_FLUSH_ROWS", "0"),
    ("DATASET_STATE_ENABLED", "perhaps"),
    ("DATASET_STATE_TIMEOUT_SECS", "-1"),
    ("LISTING_MORE_PAGES", "-2"),
    ("RENDER_JS", "sometimes"),
    ("RENDER_TIMEOUT_SECS", "0"),
    ("RETRY_BACKOFF_BASE_SECS", "soon"),
    ("RETRY_AFTER_MAX_SECS", "inf"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        config_of({name: value})


def test_defaults_come_from_the_project_settings_only() -> None:
    bare = Config.from_settings(Settings())  # none of the project's settings given
    project = Config.from_settings(get_project_settings())
    # Scrapy's own settings keep Scrapy's defaults when the project's are not given.
    scrapy_owned = {"download_maxsize": bare.download_maxsize, "download_warnsize": 32 << 20}
    assert bare == replace(project, **scrapy_owned)
    assert project.download_maxsize == project_settings.DOWNLOAD_MAXSIZE
    assert bare.dataset_flush_rows == project_settings.DATASET_FLUSH_ROWS
    assert bare.site_origin == project_settings.SITE_ORIGIN
    assert bare.render_js == project_settings.RENDER_JS


def test_settings_are_read_as_scrapyd_passes_them() -> None:
    config = config_of(
        {
            "DATASET_FLUSH_ROWS": " 20 ",
            "DATASET_STATE_ENABLED": "false",
            "RENDER_JS": " Never ",
            "SITE_ORIGIN": "http://127.0.0.1:8000/",
            "RETRY_BACKOFF_BASE_SECS": "0.5",
        }
    )
    assert config.dataset_flush_rows == 20
    assert config.dataset_state_enabled is False
    assert config.render_js == "never"
    assert config.site_origin == "http://127.0.0.1:8000"
    assert config.retry_backoff_base_secs == 0.5


def test_a_remote_dataset_needs_a_local_state_path() -> None:
    with pytest.raises(ConfigError, match="DATASET_STATE_PATH"):
        config_of({"DATASET_URI": "mock:///bucket/articles"})
    assert config_of({"DATASET_URI": "mock:///bucket/a", "DATASET_STATE_ENABLED": "0"})


@pytest.mark.parametrize(
    ("settings", "args", "named"),
    [
        ({"CONCURRENT_REQUESTS_PER_DOMAIN": "0"}, [], "CONCURRENT_REQUESTS_PER_DOMAIN"),
        ({"DEPTH_LIMIT": "-1"}, [], "DEPTH_LIMIT"),
        ({"DEPTH_LIMIT": "abc"}, [], "DEPTH_LIMIT"),
        ({"RETRY_TIMES": "-5"}, [], "RETRY_TIMES"),
        ({"DATASET_URI": "nosuch://x"}, [], "DATASET_URI"),
        ({}, ["-a", "source=atom"], "spider argument source"),
    ],
)
def test_the_crawl_stops_before_any_request_with_exit_code_1(
    tmp_path: Path, settings: dict[str, str], args: list[str], named: str
) -> None:
    with HostileServer() as site:
        crawl = run_crawl(None, tmp_path, *args, settings={"SITE_ORIGIN": site.url, **settings})
        assert site.requests == []  # not even robots.txt
    assert crawl.returncode == 1
    assert f"ERROR: Not started: {named}" in crawl.log
    assert "Traceback" not in crawl.log  # one line, not a stack
    assert not (tmp_path / "articles").exists()
