"""Crawl health: Spidermon monitors run when the crawl ends and every ``MONITOR_PERIOD_SECS``.

A crawl of an unreachable site, of a site that blocks the crawler or changed its markup, would
otherwise end with "finished" and exit 0. Four monitors read the crawl's stats:

- **Nothing written**: no article written or already stored (``site unreachable``, ``blocked
  (403/429)``, or pages fetched that held no article), or a listing seed listed no article
  (``seed listed nothing``: a captcha or maintenance page served with 200).
- **Markup drift**: a field's coverage over the article pages seen (rows and ``missing-*``
  rejects: ``sputnik/coverage/<field>`` over ``sputnik/coverage/pages``) under its
  ``MONITOR_COVERAGE_MIN``, or more than ``MONITOR_OTHER_LAYOUTS_MAX`` of the articles read from a
  layout not in ``MONITOR_LAYOUTS``.
- **Rejects**: a reason's share of the pages over its ``MONITOR_REJECTS_MAX``.
- **Errors**: ERROR log lines, rows lost or dropped, write or state errors, a finish reason
  other than ``finished``.

Shares are checked from ``MONITOR_MIN_PAGES`` pages on; ``MONITOR_<NAME>_ENABLED`` turns one
off. ``HealthMonitors`` (Spidermon's extension, logging through ``logging``, failures as
WARNING) keeps the final verdict on the crawler (``crawler.sputnik_health``) for
``scrapy crawl``'s exit code 3 and the closing summary, writes it to ``HEALTH_FILE`` and records
it beside the dataset, ``<DATASET_URI>/_health/<job_id>.json``, for every crawl.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner

from crawler.config import get_config
from crawler.dataset import resolve_uri
from crawler.notify import FAILED_ACTIONS
from crawler.pipelines.validate import coverage_stat

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.config import MonitorConfig

logger = logging.getLogger(__name__)

SUITE = "crawler.monitors.HealthMonitorSuite"
HEALTH_FOLDER = "_health"
BLOCKED_STATUSES = (403, 429)
WRITER_ERRORS = (
    "sputnik/writer/rows-lost",
    "sputnik/writer/rows-dropped",
    "sputnik/writer/write-errors",
    "sputnik/writer/state-errors",
)


def share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def by_prefix(stats: Any, family: str) -> dict[str, int]:
    """The counters of a family, ``sputnik/rejects/<reason>``, by their last token."""
    prefix = family.split("<", 1)[0]
    return {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}


class HealthMonitor(Monitor):
    """A monitor of the project: reads the config; skipped when turned off."""

    key = ""  # as in MONITOR_<KEY>_ENABLED, hyphenated

    @property
    def config(self) -> MonitorConfig:
        return get_config(self.data.crawler).monitors

    @property
    def stats(self) -> Any:
        return self.data.stats

    @property
    def final(self) -> bool:
        """The crawl has ended (else this is a periodic run)."""
        return not self.data.get("periodic", False)

    def setUp(self) -> None:
        if not self.config.enabled[self.key]:
            setting = f"MONITOR_{self.key.upper().replace('-', '_')}_ENABLED"
            self.skipTest(f"off ({setting})")

    def pages(self) -> int:
        """Pages with an outcome: responses, and requests that got none."""
        return self.stats.get("response_received_count", 0) + self.stats.get(
            "sputnik/rejects/download-error", 0
        )


@monitors.name("Nothing written")
class NothingWrittenMonitor(HealthMonitor):
    key = "nothing-written"

    @monitors.name("articles written")
    def test_articles_written(self) -> None:
        """Some article written or found already stored; every listing seed listed some."""
        stats = self.stats
        empty = by_prefix(stats, "sputnik/seeds/listed-nothing/<kind>")
        if empty:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(empty.items()))
            self.fail(f"seed listed nothing: {kinds} seed(s) listed no article")
        # Mid-crawl, rows wait in the writer's buffer: count the articles validated instead.
        done = (
            stats.get("sputnik/writer/articles-written", 0)
            + stats.get("sputnik/writer/skipped-unchanged", 0)
            + stats.get("sputnik/state/skipped-stored", 0)
            + (0 if self.final else stats.get("sputnik/coverage/pages", 0))
        )
        if done:
            return
        rejects = by_prefix(stats, "sputnik/rejects/<reason>")
        listed = ", ".join(f"{reason} {n}" for reason, n in sorted(rejects.items())) or "none"
        blocked = sum(rejects.get(f"http-{code}", 0) for code in BLOCKED_STATUSES)
        ok = sum(n for s, n in by_prefix(stats, "downloader/response_status_count/<status>").items()
                 if s.startswith("2"))  # fmt: skip
        if blocked:
            self.fail(f"blocked (403/429): no article written; rejects: {listed}")
        if not ok:
            self.fail(f"site unreachable: no page fetched; rejects: {listed}")
        if self.final:
            self.fail(f"no article written from {self.pages()} pages fetched; rejects: {listed}")


@monitors.name("Markup drift")
class MarkupDriftMonitor(HealthMonitor):
    key = "markup-drift"

    @monitors.name("field coverage")
    def test_field_coverage(self) -> None:
        """Each field is on at least its MONITOR_COVERAGE_MIN share of the article pages."""
        pages = self.stats.get("sputnik/coverage/pages", 0)
        if pages < self.config.min_pages:
            self.skipTest(f"{pages} article pages, fewer than MONITOR_MIN_PAGES")
        low = [
            f"{name} {share(have, pages)} (min {least:.0%})"
            for name, least in self.config.coverage_min.items()
            if (have := self.stats.get(coverage_stat(name), 0)) < least * pages
        ]
        if low:
            self.fail(f"fields missing from pages: {', '.join(low)} of {pages} article pages")

    @monitors.name("layouts")
    def test_layouts(self) -> None:
        """At most MONITOR_OTHER_LAYOUTS_MAX of the articles read from another layout."""
        layouts = by_prefix(self.stats, "sputnik/extract/layout/<layout>")
        total = sum(layouts.values())
        if total < self.config.min_pages:
            self.skipTest(f"{total} articles read, fewer than MONITOR_MIN_PAGES")
        other = {k: n for k, n in layouts.items() if k not in self.config.layouts}
        if sum(other.values()) > self.config.other_layouts_max * total:
            listed = ", ".join(f"{k} {n}" for k, n in sorted(other.items()))
            self.fail(
                f"unexpected layouts: {share(sum(other.values()), total)} of {total} articles"
                f" ({listed}) not read as {' or '.join(self.config.layouts)}"
                f" (max {self.config.other_layouts_max:.0%})"
            )


def reject_class(reason: str) -> str:
    """``http-404`` -> ``http-4xx``; other reasons are their own class."""
    match = re.fullmatch(r"http-([45])\d\d", reason)
    return f"http-{match[1]}xx" if match else reason


@monitors.name("Rejects")
class RejectsMonitor(HealthMonitor):
    key = "rejects"

    @monitors.name("reject shares")
    def test_reject_shares(self) -> None:
        """No reject reason (or class, ``http-4xx``) over its MONITOR_REJECTS_MAX share."""
        pages = self.pages()
        if pages < self.config.min_pages:
            self.skipTest(f"{pages} pages, fewer than MONITOR_MIN_PAGES")
        counts: dict[str, int] = {}
        for reason, n in by_prefix(self.stats, "sputnik/rejects/<reason>").items():
            counts[reason] = counts.get(reason, 0) + n
            if (group := reject_class(reason)) != reason:
                counts[group] = counts.get(group, 0) + n
        high = [
            f"{reason} {share(counts[reason], pages)} (max {most:.0%})"
            for reason, most in self.config.rejects_max.items()
            if counts.get(reason, 0) > most * pages
        ]
        if high:
            self.fail(f"too many rejects: {', '.join(high)} of {pages} pages")


@monitors.name("Errors")
class ErrorsMonitor(HealthMonitor):
    key = "errors"

    @monitors.name("errors")
    def test_errors(self) -> None:
        """No ERROR lines beyond MONITOR_ERRORS_MAX, no rows lost, no write or state error,
        and the crawl finished by itself."""
        stats = self.stats
        problems = []
        errors = stats.get("log_count/ERROR", 0)
        if errors > self.config.errors_max:
            problems.append(f"{errors} ERROR log lines")
        for stat in WRITER_ERRORS:
            if n := stats.get(stat, 0):
                problems.append(f"{n} {stat.rsplit('/', 1)[1].replace('-', ' ')}")
        reason = stats.get("finish_reason")
        if self.final and reason != "finished":
            problems.append(f"the crawl stopped early ({reason})")
        if problems:
            self.fail(", ".join(problems))


class HealthMonitorSuite(MonitorSuite):
    """The crawl's health checks (``crawler.monitors``)."""

    monitors = [NothingWrittenMonitor, MarkupDriftMonitor, RejectsMonitor, ErrorsMonitor]  # noqa: RUF012
    # Webhook and e-mail, each skipped unless configured (crawler.notify).
    monitors_failed_actions = FAILED_ACTIONS


@dataclass
class Health:
    """A verdict: the failed monitors with their reasons in plain words."""

    failures: list[dict[str, str]] = field(default_factory=list)
    monitors: list[dict[str, str]] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.failures

    @classmethod
    def of(cls, result: SpiderMonitorResult) -> Health:
        health = cls()
        for item in result.monitor_results:
            name = item.item.monitor_name
            status = str(item.status)
            reason = getattr(item, "reason", None) or ""
            if status == "ERROR":  # the monitor itself broke: a failure too
                reason = f"monitor error: {str(item.error).strip().splitlines()[-1]}"
            entry = {
                "monitor": name,
                "check": item.item.method_name,
                "status": status.lower(),
                "reason": reason,
            }
            health.monitors.append(entry)
            if status in ("FAIL", "ERROR"):
                health.add_failure(name, reason)
        return health

    def add_failure(self, monitor: str, reason: str) -> None:
        """One entry per monitor: the reasons of its failed checks joined."""
        for failure in self.failures:
            if failure["monitor"] == monitor:
                failure["reason"] += "; " + reason
                return
        self.failures.append({"monitor": monitor, "reason": reason})

    def describe(self) -> str:
        """One line: OK, or each failed monitor with why."""
        if self.healthy:
            return f"OK ({len(self.monitors)} checks)"
        return "FAILED: " + " | ".join(f"{f['monitor']}: {f['reason']}" for f in self.failures)


class _Result(SpiderMonitorResult):
    """Spidermon's log, through ``logging`` (not the deprecated ``Spider.log``), failures as
    WARNING with their reason only (no traceback): a failed check is no error of the crawler."""

    def write_errors(self) -> None:
        for status in self.step.error_statuses:
            for item in self.step.items_for_status(status):
                reason = getattr(item, "reason", None) or str(item.error)
                level = logging.ERROR if str(item.status) == "ERROR" else logging.WARNING
                self.log(f"{item.status}: {item.item.name}: {reason}", level=level)

    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        logger.log(level, "[Spidermon] %s", msg, extra={"spider": self.spider})


class _Runner(SpiderMonitorRunner):
    def create_result(self) -> SpiderMonitorResult:
        return _Result(self.spider)


class HealthMonitors(Spidermon):
    """Spidermon's extension, running ``HealthMonitorSuite`` at the end of the crawl (and
    every ``MONITOR_PERIOD_SECS``), keeping and recording its verdict."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = get_config(crawler)
        extension = super().from_crawler(crawler)
        if config.monitors.period_secs:
            extension.periodic_suites.setdefault(SUITE, config.monitors.period_secs)
        return extension

    def _run_periodic_suites(self, spider: Spider, suites: list[str]) -> None:
        self._run_suites(spider, [self.load_suite(s) for s in suites], periodic=True)

    def _run_suites(self, spider: Spider, suites: list[Any], *, periodic: bool = False) -> None:
        data = self._generate_data_for_spider(spider)
        data["periodic"] = periodic
        health = Health()
        for suite in suites:
            result = _Runner(spider=spider).run(suite, **data)
            found = Health.of(result)
            for failure in found.failures:
                health.add_failure(failure["monitor"], failure["reason"])
            health.monitors += found.monitors
        if periodic:
            if not health.healthy:
                logger.warning("Health check during the crawl: %s", health.describe())
            return
        if suites is self.spider_closed_suites:
            self.close(spider, health)

    def close(self, spider: Spider, health: Health) -> None:
        """Keep the verdict for ``scrapy crawl`` and the summary; write it down."""
        self.crawler.sputnik_health = health  # type: ignore[attr-defined]
        stats = self.crawler.stats
        stats.set_value("sputnik/monitors/failed", len(health.failures))
        record = health_record(stats.get_stats(), spider, health)
        config = get_config(self.crawler)
        if config.monitors.health_file:
            data = {**record, "monitors": health.monitors}
            try:
                Path(config.monitors.health_file).write_text(json.dumps(data, indent=1) + "\n")
            except OSError:
                logger.error("Cannot write HEALTH_FILE", exc_info=True, extra={"spider": spider})
        try:
            path = write_health_record(config.dataset_uri, record)
        except OSError:
            logger.error(
                "Cannot record the crawl's health beside the dataset",
                exc_info=True,
                extra={"spider": spider},
            )
        else:
            logger.info("Health %s recorded in %s", health.describe(), path)


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return None if value is None else str(value)


def health_record(stats: dict[str, Any], spider: Spider, health: Health) -> dict[str, Any]:
    """A job's health record (the format ``crawler report`` reads)."""
    job_id = re.sub(r"[^A-Za-z0-9._-]", "-", str(getattr(spider, "job_id", "") or "unknown"))
    return {
        "job_id": job_id,
        "spider": spider.name,
        "started_at": _iso(stats.get("start_time")),
        "finished_at": _iso(stats.get("finish_time") or datetime.now(UTC)),
        "finish_reason": stats.get("finish_reason", ""),
        "healthy": health.healthy,
        "failures": health.failures,
        "stats": {
            "pages": stats.get("response_received_count", 0),
            "articles_written": stats.get("sputnik/writer/articles-written", 0),
            "rejects": stats.get("sputnik/rejects", 0),
        },
    }


def write_health_record(dataset_uri: str, record: dict[str, Any]) -> str:
    """Write ``record`` to ``<dataset_uri>/_health/<job_id>.json`` atomically (a hidden temp
    name, then a rename), on the dataset's filesystem; the path written."""
    filesystem, root = resolve_uri(dataset_uri)
    folder = f"{root.rstrip('/')}/{HEALTH_FOLDER}"
    filesystem.create_dir(folder, recursive=True)
    final = f"{folder}/{record['job_id']}.json"
    temp = f"{folder}/_{record['job_id']}.json.tmp"
    with filesystem.open_output_stream(temp) as out:
        out.write(json.dumps(record, indent=1).encode() + b"\n")
    filesystem.move(temp, final)
    return final
