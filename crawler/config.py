"""Every setting the crawler reads or relies on, checked once, before any request.

``Config.from_settings`` reads the project's own settings into one typed, frozen object (as
scrapy-playwright's ``Config`` does) and checks the Scrapy settings the crawl relies on, so a bad
value stops the crawl at start with a ``ConfigError`` naming the setting: ``DEPTH_LIMIT=abc``,
``CONCURRENT_REQUESTS_PER_DOMAIN=0`` (which would hang), ``RETRY_TIMES=-5``,
``DATASET_URI=nosuch://x``. Components get it with :func:`get_config`, built once per crawler.

Defaults live only in ``crawler/settings.py``: a project setting missing from the settings given
(a bare ``get_crawler()`` in a unit test, a script with its own settings) is taken from there.

Exit codes of ``scrapy crawl sputnik`` (``crawler/commands/crawl.py``): 0 the crawl ran, 1 a bad
argument or setting (nothing was fetched), 3 a health check failed (``crawler.monitors``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from crawler import settings as project_settings
from crawler.dataset import resolve_uri
from crawler.editions import EditionsError, EditionTable, load_table, packaged_table

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

RENDER_MODES = ("auto", "always", "never")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# Scrapy settings the crawl relies on: (name, smallest allowed value). Whole numbers first.
DOWNLOADER_AWARE_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
SCRAPY_COUNTS = (
    ("CONCURRENT_ITEMS", 1),
    ("CONCURRENT_REQUESTS", 1),
    ("CONCURRENT_REQUESTS_PER_DOMAIN", 1),  # 0 would never send a request: a silent hang
    ("DEPTH_LIMIT", 0),
    ("DOWNLOAD_MAXSIZE", 0),
    ("DOWNLOAD_WARNSIZE", 0),
    ("PLAYWRIGHT_MAX_CONTEXTS", 1),
    ("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 1),
    ("REDIRECT_MAX_TIMES", 0),
    ("RETRY_TIMES", 0),
)
SCRAPY_SECONDS = (
    ("AUTOTHROTTLE_MAX_DELAY", 0.0),
    ("AUTOTHROTTLE_START_DELAY", 0.0),
    ("DOWNLOAD_DELAY", 0.0),
    ("LOGSTATS_INTERVAL", 0.0),
)
SCRAPY_POSITIVE = (
    ("AUTOTHROTTLE_TARGET_CONCURRENCY", 0.0),
    ("DOWNLOAD_TIMEOUT", 0.0),
)
SCRAPY_FLAGS = (
    "AUTOTHROTTLE_ENABLED",
    "COOKIES_ENABLED",
    "REDIRECT_ENABLED",
    "REMOTE_CONTROL_ENABLED",
    "RETRY_ENABLED",
    "ROBOTSTXT_OBEY",
    "TELNETCONSOLE_ENABLED",
)


class ConfigError(ValueError):
    """A setting or spider argument that cannot be used; the message names it."""


@dataclass(frozen=True, kw_only=True)
class NotifyConfig:
    """Where failed health checks are reported (``HEALTH_WEBHOOK_*``, ``HEALTH_SMTP_*``...)."""

    webhook_url: str = field(repr=False)
    """``HEALTH_WEBHOOK_URL``, else the ``SPUTNIK_HEALTH_WEBHOOK_URL`` environment variable;
    empty: no webhook."""
    webhook_timeout_secs: float
    email_from: str
    email_to: tuple[str, ...]
    """``HEALTH_EMAIL_TO``; empty: no e-mail."""
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_timeout_secs: float
    smtp_user: str
    smtp_password: str = field(repr=False)
    """From the ``SPUTNIK_SMTP_PASSWORD`` environment variable only, never a setting."""

    @classmethod
    def read(cls, read: _Reader) -> NotifyConfig:
        webhook_url = read.text("HEALTH_WEBHOOK_URL")
        name = "HEALTH_WEBHOOK_URL"
        if not webhook_url and os.environ.get("SPUTNIK_HEALTH_WEBHOOK_URL"):
            webhook_url, name = (
                os.environ["SPUTNIK_HEALTH_WEBHOOK_URL"].strip(),
                "SPUTNIK_HEALTH_WEBHOOK_URL",
            )
        parts = urlsplit(webhook_url)
        if webhook_url and (parts.scheme not in ("http", "https") or not parts.hostname):
            # The value itself may hold a token: the message does not repeat it.
            raise ConfigError(f"{name} must be an http(s) URL")
        port = read.count("HEALTH_SMTP_PORT", 1)
        if port > 65535:
            raise read.fail("HEALTH_SMTP_PORT", "a port number (1-65535)", port)
        email_to = read.addresses("HEALTH_EMAIL_TO")
        email_from = read.text("HEALTH_EMAIL_FROM")
        smtp_host = read.text("HEALTH_SMTP_HOST")
        if email_to and not (email_from and smtp_host):
            raise ConfigError("HEALTH_EMAIL_TO needs HEALTH_EMAIL_FROM and HEALTH_SMTP_HOST")
        return cls(
            webhook_url=webhook_url,
            webhook_timeout_secs=read.seconds("HEALTH_WEBHOOK_TIMEOUT_SECS", above=True),
            email_from=email_from,
            email_to=email_to,
            smtp_host=smtp_host,
            smtp_port=port,
            smtp_starttls=read.flag("HEALTH_SMTP_STARTTLS"),
            smtp_timeout_secs=read.seconds("HEALTH_SMTP_TIMEOUT_SECS", above=True),
            smtp_user=read.text("HEALTH_SMTP_USER"),
            smtp_password=os.environ.get("SPUTNIK_SMTP_PASSWORD", ""),
        )


@dataclass(frozen=True, kw_only=True)
class FrontierConfig:
    """The crawl frontier shared on Redis (``FRONTIER_*``, ``crawler.frontier``)."""

    url: str
    """``FRONTIER_URL``, ``redis://host:port/db`` (or ``rediss://``); empty: the frontier is
    this process's own (``crawler.journal``)."""
    password: str = field(repr=False)
    """From the ``SPUTNIK_REDIS_PASSWORD`` environment variable only, never a setting."""
    heartbeat_secs: float
    """``FRONTIER_HEARTBEAT_SECS``: how often a worker reports its requests in flight; the
    report expires after three periods (a dead worker's share of the crawl is then over)."""

    @classmethod
    def read(cls, read: _Reader) -> FrontierConfig:
        url = read.text("FRONTIER_URL")
        heartbeat = read.seconds("FRONTIER_HEARTBEAT_SECS", above=True)
        if url:
            parts = urlsplit(url)
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
                db = parts.path.strip("/")
                usable = parts.scheme in ("redis", "rediss") and parts.hostname
                usable = usable and (not db or db.isdigit()) and not parts.fragment
            except ValueError:
                usable = False
            if parts.password is not None or parts.username:
                # The value itself holds the secret: the message does not repeat it.
                raise ConfigError(
                    "FRONTIER_URL must not hold a password (Scrapy logs settings): set the"
                    " SPUTNIK_REDIS_PASSWORD environment variable instead"
                )
            if not usable:
                raise read.fail("FRONTIER_URL", "a URL such as redis://127.0.0.1:6379/0", url)
            if read.text("JOBDIR"):
                # JOBDIR's journal keeps one process's queue on disk; the shared queue is Redis.
                raise ConfigError("FRONTIER_URL and JOBDIR cannot be used together")
        return cls(
            url=url,
            password=os.environ.get("SPUTNIK_REDIS_PASSWORD", ""),
            heartbeat_secs=heartbeat,
        )

    @classmethod
    def of_url(cls, url: str) -> FrontierConfig:
        """A ``FRONTIER_URL`` given alone (the ``frontier-clean`` and ``compact --frontier``
        command lines), checked as the setting is, the rest from the project's defaults."""
        from scrapy.settings import BaseSettings

        return cls.read(_Reader(BaseSettings({"FRONTIER_URL": url})))


@dataclass(frozen=True, kw_only=True)
class Config:
    """The project's settings, read and checked (see ``crawler/settings.py`` for each)."""

    site_origin: str
    """``SITE_ORIGIN`` without a trailing slash; empty when every edition is fetched from its
    own public host (also when ``SITE_ORIGIN`` is one of those: the live site)."""
    editions: EditionTable
    """The editions table: ``EDITIONS_FILE`` (else the packaged one) with ``EDITIONS`` applied."""
    dataset_uri: str
    rejects_uri: str
    s3_endpoint_url: str
    """``S3_ENDPOINT_URL``; empty: ``AWS_ENDPOINT_URL(_S3)`` from the environment, else AWS."""
    s3_region: str
    """``S3_REGION``; empty: ``AWS_REGION`` from the environment, else the AWS SDK's default."""
    download_maxsize: int
    """Scrapy's ``DOWNLOAD_MAXSIZE`` (bytes, 0: none): also bounds unzipped sitemaps and
    rendered pages."""
    download_warnsize: int
    dataset_flush_rows: int
    dataset_flush_secs: float
    """``DATASET_FLUSH_SECS``; 0: no time bound."""
    dataset_state_enabled: bool
    dataset_state_path: str
    """``DATASET_STATE_PATH``; empty: ``_state/articles.sqlite`` under a local dataset root."""
    dataset_state_timeout_secs: float
    dataset_lock_lease_secs: float
    """``DATASET_LOCK_LEASE_SECS``: the lease of the dataset's write lock on Redis (with
    ``FRONTIER_URL``, ``crawler.shared_state``), renewed between partitions."""
    listing_more_pages: int
    render_js: str
    render_timeout_secs: float
    retry_after_max_secs: float
    retry_backoff_base_secs: float
    retry_backoff_max_secs: float
    stats_file: str | None
    notify: NotifyConfig
    monitors: MonitorConfig
    """The health checks' settings (``MONITOR_*``, ``HEALTH_FILE``: ``crawler.monitors``)."""
    frontier: FrontierConfig

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Config:
        """Read and check every setting; :raises ConfigError: naming the first bad one."""
        read = _Reader(settings)
        counts = {name: read.count(name, minimum) for name, minimum in SCRAPY_COUNTS}
        for name, minimum in SCRAPY_SECONDS:
            read.seconds(name, minimum)
        for name, minimum in SCRAPY_POSITIVE:
            read.seconds(name, minimum, above=True)
        for name in SCRAPY_FLAGS:
            read.flag(name)
        per_ip = read.count("CONCURRENT_REQUESTS_PER_IP", 0)
        if per_ip and settings.get("SCHEDULER_PRIORITY_QUEUE") == DOWNLOADER_AWARE_QUEUE:
            # Scrapy's downloader-aware queue refuses it (with a traceback): say it in one line.
            raise read.fail(
                "CONCURRENT_REQUESTS_PER_IP",
                "0 with SCHEDULER_PRIORITY_QUEUE's downloader-aware queue (concurrency is per"
                " public host: CONCURRENT_REQUESTS_PER_DOMAIN)",
                per_ip,
            )
        read.codes("RETRY_HTTP_CODES")
        read.mapping("PLAYWRIGHT_LAUNCH_OPTIONS")
        editions = read.editions("EDITIONS_FILE", "EDITIONS")
        origin = read.origin("SITE_ORIGIN")
        if editions.by_host(urlsplit(origin).hostname):
            origin = ""  # the live site: each edition from its own host
        s3 = {"endpoint_url": read.s3_endpoint("S3_ENDPOINT_URL"), "region": read.text("S3_REGION")}
        config = cls(
            site_origin=origin,
            editions=editions,
            dataset_uri=read.uri("DATASET_URI", **s3),
            rejects_uri=read.uri("REJECTS_URI", **s3),
            s3_endpoint_url=s3["endpoint_url"],
            s3_region=s3["region"],
            download_maxsize=counts["DOWNLOAD_MAXSIZE"],
            download_warnsize=counts["DOWNLOAD_WARNSIZE"],
            dataset_flush_rows=read.count("DATASET_FLUSH_ROWS", 1),
            dataset_flush_secs=read.seconds("DATASET_FLUSH_SECS"),
            dataset_state_enabled=read.flag("DATASET_STATE_ENABLED"),
            dataset_state_path=read.text("DATASET_STATE_PATH"),
            dataset_state_timeout_secs=read.seconds("DATASET_STATE_TIMEOUT_SECS"),
            dataset_lock_lease_secs=read.seconds("DATASET_LOCK_LEASE_SECS", above=True),
            listing_more_pages=read.count("LISTING_MORE_PAGES", 0),
            render_js=read.choice("RENDER_JS", RENDER_MODES),
            render_timeout_secs=read.seconds("RENDER_TIMEOUT_SECS", above=True),
            retry_after_max_secs=read.seconds("RETRY_AFTER_MAX_SECS"),
            retry_backoff_base_secs=read.seconds("RETRY_BACKOFF_BASE_SECS"),
            retry_backoff_max_secs=read.seconds("RETRY_BACKOFF_MAX_SECS"),
            stats_file=read.text("STATS_FILE") or None,
            notify=NotifyConfig.read(read),
            monitors=MonitorConfig.from_reader(read),
            frontier=FrontierConfig.read(read),
        )
        config._check_datasets()
        return config

    def resolve(self, uri: str) -> tuple[pafs.FileSystem, str]:
        """``crawler.dataset.resolve_uri`` with the crawl's S3 settings."""
        return resolve_uri(uri, endpoint_url=self.s3_endpoint_url, region=self.s3_region)

    def _check_datasets(self) -> None:
        articles, rejects = self.resolve(self.dataset_uri), self.resolve(self.rejects_uri)
        same_kind = type(articles[0]) is type(rejects[0])
        a, r = articles[1].rstrip("/"), rejects[1].rstrip("/")
        if same_kind and (a == r or a.startswith(r + "/") or r.startswith(a + "/")):
            # Nested roots would make readers of one dataset pick up the other's files.
            raise ConfigError(
                f"DATASET_URI ({self.dataset_uri!r}) and REJECTS_URI ({self.rejects_uri!r})"
                " must be separate folders"
            )
        local = isinstance(articles[0], pafs.LocalFileSystem)
        on_redis = bool(self.frontier.url)  # the state is then on Redis (crawler.shared_state)
        if self.dataset_state_enabled and not self.dataset_state_path and not (local or on_redis):
            raise ConfigError(
                f"DATASET_URI ({self.dataset_uri!r}) is not on the local filesystem: set"
                " DATASET_STATE_PATH to a local file for the state of incremental crawls"
                " (FRONTIER_URL keeps it on Redis), or DATASET_STATE_ENABLED to False"
            )


@dataclass(frozen=True, kw_only=True)
class MonitorConfig:
    """The health checks' thresholds (``crawler.monitors``); shares are fractions 0..1."""

    enabled: dict[str, bool]
    """Per monitor (``nothing-written``, ``markup-drift``, ``rejects``, ``errors``): whether it
    runs (``MONITOR_<NAME>_ENABLED``)."""
    period_secs: float
    """``MONITOR_PERIOD_SECS``: how often they also run during a crawl; 0: only at the end."""
    min_pages: int
    """``MONITOR_MIN_PAGES``: share thresholds apply from this many pages on."""
    coverage_min: dict[str, float]
    """``MONITOR_COVERAGE_MIN``: per article field, the least share of article pages having it."""
    layouts: tuple[str, ...]
    """``MONITOR_LAYOUTS``: the layouts a crawl expects its articles in."""
    other_layouts_max: float
    """``MONITOR_OTHER_LAYOUTS_MAX``: the largest share of articles read from another layout."""
    rejects_max: dict[str, float]
    """``MONITOR_REJECTS_MAX``: per reject reason (``http-4xx``/``http-5xx`` for a class of
    statuses), the largest share of pages."""
    errors_max: int
    """``MONITOR_ERRORS_MAX``: ERROR log lines a crawl may have."""
    health_file: str | None
    """``HEALTH_FILE``: a path the verdict is written to as JSON."""

    @classmethod
    def from_reader(cls, read: _Reader) -> MonitorConfig:
        names = ("nothing-written", "markup-drift", "rejects", "errors")
        enabled = {
            name: read.flag(f"MONITOR_{name.upper().replace('-', '_')}_ENABLED") for name in names
        }
        return cls(
            enabled=enabled,
            period_secs=read.seconds("MONITOR_PERIOD_SECS"),
            min_pages=read.count("MONITOR_MIN_PAGES", 1),
            coverage_min=read.shares("MONITOR_COVERAGE_MIN"),
            layouts=read.names("MONITOR_LAYOUTS"),
            other_layouts_max=read.share("MONITOR_OTHER_LAYOUTS_MAX"),
            rejects_max=read.shares("MONITOR_REJECTS_MAX"),
            errors_max=read.count("MONITOR_ERRORS_MAX", 0),
            health_file=read.text("HEALTH_FILE") or None,
        )


def get_config(crawler: Crawler) -> Config:
    """The crawler's ``Config``, read from its settings the first time it is asked for."""
    config = getattr(crawler, "sputnik_config", None)
    if config is None:
        config = Config.from_settings(crawler.settings)
        crawler.sputnik_config = config  # type: ignore[attr-defined]
    return config


class _Reader:
    """Reads one setting at a time as a type, raising ``ConfigError`` naming it."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    def raw(self, name: str) -> Any:
        value = self.settings.get(name)
        if value is None:  # not a Scrapy setting, and not given: the project's default
            value = getattr(project_settings, name, None)
        return value

    def fail(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{name} must be {expected}, got {value!r}")

    def count(self, name: str, minimum: int) -> int:
        value = self.raw(name)
        # bool is an int, and int() would truncate 1.5 or read "1e3": digits only.
        text = "" if isinstance(value, bool | float) else str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) < minimum:
            raise self.fail(name, f"a whole number >= {minimum}", value)
        return int(text)

    def seconds(self, name: str, minimum: float = 0.0, *, above: bool = False) -> float:
        value = self.raw(name)
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < minimum or (above and number <= minimum):
            bound = f"{'>' if above else '>='} {minimum:g}"
            raise self.fail(name, f"a number of seconds {bound}", value)
        return number

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if value is not None else ""
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise self.fail(name, "True or False (1/0)", value)

    def text(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.fail(name, "a string", value)
        return value.strip()

    def addresses(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if isinstance(value, str):  # -s NAME=a@x,b@y
            value = value.split(",")
        if not isinstance(value, list | tuple) or not all(isinstance(a, str) for a in value):
            raise self.fail(name, "a list of e-mail addresses", value)
        found = tuple(a.strip() for a in value if a.strip())
        if not all("@" in a for a in found):
            raise self.fail(name, "a list of e-mail addresses", value)
        return found

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name).lower()
        if value not in choices:
            raise self.fail(name, f"one of {', '.join(choices)}", self.raw(name))
        return value

    def origin(self, name: str) -> str:
        """An http(s) origin (a path prefix allowed), without its trailing slash; empty if
        not given."""
        value = self.raw(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        parts = urlsplit(value if isinstance(value, str) else "")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts = urlsplit("")
        usable = parts.scheme in ("http", "https") and parts.hostname
        if not usable or parts.query or parts.fragment:
            raise self.fail(name, "an http(s) URL such as https://sputnikglobe.com", value)
        return value.strip().rstrip("/")

    def editions(self, file_name: str, changes_name: str) -> EditionTable:
        """The packaged table, or the one in the file ``file_name`` names, with the changes
        ``changes_name`` holds (a JSON object of code to fields)."""
        path = self.text(file_name)
        try:
            if path:
                try:
                    with open(path, "rb") as file:
                        table = load_table(file.read(), f"{file_name} ({path})")
                except OSError as exc:
                    raise EditionsError(f"{file_name}: cannot read {path!r}: {exc}") from None
            else:
                table = packaged_table()
            changes = self.mapping(changes_name)
            return table.updated(changes, changes_name) if changes else table
        except EditionsError as exc:
            raise ConfigError(str(exc)) from None

    def s3_endpoint(self, name: str) -> str:
        value = self.text(name).rstrip("/")
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
            raise self.fail(name, "an http(s)://host[:port] URL", value)
        return value

    def uri(self, name: str, *, endpoint_url: str = "", region: str = "") -> str:
        value = self.text(name)
        if not value:
            raise self.fail(name, "a dataset path or URI", self.raw(name))
        try:
            resolve_uri(value, endpoint_url=endpoint_url, region=region)
        except Exception as exc:  # pyarrow's messages name no setting
            raise ConfigError(f"{name} = {value!r} is not a usable path or URI: {exc}") from exc
        return value

    def codes(self, name: str) -> list[int]:
        value = self.raw(name)
        try:
            codes = [int(code) for code in self.settings.getlist(name)]
        except (TypeError, ValueError):
            codes = [0]
        if not all(100 <= code <= 599 for code in codes):
            raise self.fail(name, "a list of HTTP status codes", value)
        return codes

    def share(self, name: str, value: Any = None) -> float:
        value = self.raw(name) if value is None else value
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not 0.0 <= number <= 1.0:  # NaN fails too
            raise self.fail(name, "a share between 0 and 1", value)
        return number

    def shares(self, name: str) -> dict[str, float]:
        """A JSON object of names to shares (0..1)."""
        value = self.raw(name)
        shares = value if isinstance(value, dict) else self.mapping(name)
        return {key: self.share(f"{name}[{key}]", v) for key, v in shares.items()}

    def names(self, name: str) -> tuple[str, ...]:
        """A list of names (a comma-separated string from the command line)."""
        value = self.raw(name)
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise self.fail(name, "a list of names", value)
        return tuple(i.strip() for i in items if i.strip())

    def mapping(self, name: str) -> dict[str, Any]:
        try:
            return self.settings.getdict(name) if self.raw(name) is not None else {}
        except (TypeError, ValueError) as exc:
            raise self.fail(name, "a JSON object", self.raw(name)) from exc
