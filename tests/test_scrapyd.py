"""Scheduled crawls on a real scrapyd: deploy, schedule, recur, crawl incrementally, compact.

A scrapyd from the project's environment runs on loopback in a temporary folder, requiring a
username and password; the project (a copy of its deployable files) is deployed with
``scrapyd-deploy env``, which reads the URL and credentials from the environment as
``scrapy.cfg`` says. Jobs crawl the mirror from its RSS feed; the mirror's clock
(``--published``) decides which articles are out. Each test starts from a copy of the first
run's dataset, with a mirror of its own, so the tests do not depend on one another's order.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler import dataset
from crawler.editions import packaged_table
from tests.crawl import FAST
from tests.mirror.manifest import reachable, record
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, Mirror, run_mirror

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.redis_server import RedisServer

ARTICLES = 400  # the whole site; the RSS feed lists the 100 latest of those out
FIRST = 300  # out at the first run
DEPTH = 1
PROJECT = "crawler"
USERNAME, PASSWORD = "scheduler", "s3cret-for-tests"
BIN = Path(sys.executable).parent
DEPLOYED_FILES = ("crawler", "scrapy.cfg", "setup.py", "pyproject.toml", "README.md")
START_TIMEOUT_SECS = 30
JOB_TIMEOUT_SECS = 180

pytestmark = pytest.mark.timeout(600)


@dataclass
class Scrapyd:
    """A running scrapyd: its URL, folder (logs, eggs) and process."""

    url: str
    home: Path
    process: subprocess.Popen[bytes]

    def call(self, endpoint: str, data: dict[str, Any] | None = None, auth: bool = True) -> Any:
        """A JSON endpoint; ``data`` (values may be lists) is POSTed."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(f"{self.url}/{endpoint}", data=body)
        if auth:
            token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert answer["status"] == "ok", answer
        return answer

    def schedule(self, *, args: dict[str, str], settings: dict[str, str]) -> str:
        data: dict[str, Any] = {"project": PROJECT, "spider": "sputnik", **args}
        data["setting"] = [f"{name}={value}" for name, value in settings.items()]
        return self.call("schedule.json", data)["jobid"]

    def wait(self, *jobs: str) -> None:
        """Until every job is finished (whatever its exit status: read its log)."""
        deadline = time.monotonic() + JOB_TIMEOUT_SECS
        while time.monotonic() < deadline:
            finished = {j["id"] for j in self.call(f"listjobs.json?project={PROJECT}")["finished"]}
            if set(jobs) <= finished:
                return
            time.sleep(0.2)
        pytest.fail(f"jobs {jobs} did not finish within {JOB_TIMEOUT_SECS} s")

    def log(self, job: str) -> str:
        return (self.home / "logs" / PROJECT / "sputnik" / f"{job}.log").read_text()

    def env(self) -> dict[str, str]:
        """The environment scrapyd-deploy and schedule-crawl read the target from."""
        return {
            **os.environ,
            "SCRAPYD_URL": self.url,
            "SCRAPYD_USERNAME": USERNAME,
            "SCRAPYD_PASSWORD": PASSWORD,
        }


@dataclass
class Run:
    """A finished job: its id, final stats and log."""

    job: str
    stats: dict[str, Any]
    log: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def start_scrapyd(home: Path) -> Iterator[Scrapyd]:
    """A scrapyd in ``home`` on a free loopback port, as the README's scrapyd.conf plus fast
    polling and folders of its own; stopped after the block."""
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"username = {USERNAME}\n"
        f"password = {PASSWORD}\n"
        "items_dir =\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "jobs_to_keep = 50\n"
        "max_proc = 4\n"
        "poll_interval = 0.1\n"
    )
    with open(home / "scrapyd.out", "wb") as output:
        process = subprocess.Popen(
            [str(BIN / "scrapyd")], cwd=home, stdout=output, stderr=subprocess.STDOUT
        )
    running = Scrapyd(f"http://127.0.0.1:{port}", home, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while True:
            try:
                running.call("daemonstatus.json")
                break
            except (OSError, AssertionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    out = (home / "scrapyd.out").read_text()
                    pytest.fail(f"scrapyd did not start:\n{out[-3000:]}")
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deploy(scrapyd: Scrapyd, project: Path) -> Path:
    """Deploy a copy of the project's deployable files, as a user would from a checkout."""
    for name in DEPLOYED_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    done = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "env", "--version", "r1"],
        cwd=project,
        env=scrapyd.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    answer = json.loads(done.stdout)
    assert answer["status"] == "ok" and answer["spiders"] == 1, answer
    (egg,) = (scrapyd.home / "eggs" / PROJECT).glob("*.egg")
    return egg


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    with start_scrapyd(tmp_path_factory.mktemp("scrapyd")) as running:
        yield running


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deploy(scrapyd, tmp_path_factory.mktemp("project"))


def crawl_settings(mirror: Mirror, out: Path, **extra: str) -> dict[str, str]:
    return {
        **FAST,
        "SITE_ORIGIN": mirror.url,
        "DATASET_URI": str(out / "articles"),
        "REJECTS_URI": str(out / "rejects"),
        "DEPTH_LIMIT": str(DEPTH),
        **extra,
    }


def run(
    scrapyd: Scrapyd,
    mirror: Mirror,
    out: Path,
    *,
    jobs: int = 1,
    settings: dict[str, str] | None = None,
    **args: str,
) -> list[Run]:
    """Schedule ``jobs`` crawls of the RSS feed at once and wait for them; each must end well."""
    scheduled = []
    for n in range(jobs):
        stats_file = out / f"stats-{time.monotonic_ns()}-{n}.json"
        extra = {"STATS_FILE": str(stats_file), **(settings or {})}
        job = scrapyd.schedule(
            args={"source": "rss", **args}, settings=crawl_settings(mirror, out, **extra)
        )
        scheduled.append((job, stats_file))
    scrapyd.wait(*(job for job, _ in scheduled))
    runs = []
    for job, stats_file in scheduled:
        log = scrapyd.log(job)
        assert stats_file.exists(), log[-3000:]
        stats = json.loads(stats_file.read_text())
        assert stats["finish_reason"] == "finished", log[-3000:]
        assert "Traceback" not in log and " ERROR: " not in log and " CRITICAL: " not in log, log
        runs.append(Run(job, stats, log))
    return runs


def articles_written(site: Site, start: list[int], stored: set[int] = frozenset()) -> set[str]:
    """URLs a crawl from ``start`` writes when the ``stored`` articles are not fetched again."""
    reached = reachable(site, start, DEPTH, stored=stored)
    return {site.stubs[i].url for i in reached if record(site, i)["status"] == "article"}


def feed(site: Site) -> list[int]:
    return [stub.index for stub in site.latest(100)]


def rows(out: Path) -> list[dict[str, Any]]:
    return dataset.read_articles(out / "articles").to_pylist()


def indices(site: Site, urls: set[str]) -> set[int]:
    return {site.by_path[u.removeprefix("https://sputnikglobe.com")] for u in urls}


@pytest.fixture(scope="module")
def first_run(
    scrapyd: Scrapyd, deployed: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Run]:
    out = tmp_path_factory.mktemp("first-run")
    uri = (out / "articles").as_uri()  # a file:// URI works as well as an absolute path
    with run_mirror(articles=ARTICLES, published=FIRST) as mirror:
        (done,) = run(scrapyd, mirror, out, settings={"DATASET_URI": uri})
    return out, done


def copy_of(first_run: tuple[Path, Run], tmp_path: Path) -> Path:
    shutil.copytree(first_run[0] / "articles", tmp_path / "articles")
    return tmp_path


# -- deploy and schedule ------------------------------------------------------------------------


def test_egg_carries_what_the_crawler_reads_at_run_time(deployed: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(deployed) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert {
        "crawler/state.sql",
        "crawler/editions.json",
        "crawler/spiders/sputnik.py",
        "crawler/settings.py",
    } <= names
    assert "settings = crawler.settings" in entry_points
    assert not [n for n in names if n.startswith("tests/")]
    # As scrapyd's runner does: the code and its data come from the egg, not the checkout
    # (which this environment also has installed, in editable mode).
    probe = (
        "import pkgutil, sys; from scrapyd.runner import activate_egg;"
        " activate_egg(sys.argv[1]); import crawler.state, crawler.editions;"
        " print(crawler.state.__file__, len(pkgutil.get_data('crawler', 'state.sql')),"
        " len(crawler.editions.packaged_table()))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe, str(deployed)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    module, size, editions = done.stdout.split()
    assert module == f"{deployed}/crawler/state.py" and int(size) > 0
    assert int(editions) == len(packaged_table())


def test_scrapyd_wants_credentials(scrapyd: Scrapyd) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrapyd.call("listprojects.json", auth=False)
    assert refused.value.code == 401
    assert PROJECT in scrapyd.call("listprojects.json")["projects"]


def test_scheduled_crawl_writes_the_feed_articles(
    scrapyd: Scrapyd, first_run: tuple[Path, Run]
) -> None:
    out, done = first_run
    site = Site(ARTICLES, published=FIRST)
    written = rows(out)
    assert {r["url"] for r in written} == articles_written(site, feed(site))
    assert len(written) == len({r["article_id"] for r in written})
    assert {r["job_id"] for r in written} == {done.job}
    files = dataset.dataset_files(*dataset.resolve_uri(out / "articles"))
    assert files and all(f.split("/")[-1].startswith(f"part-{done.job}-") for f in files)
    assert done.stats["sputnik/writer/articles-written"] == len(written)
    # Jobs run in scrapyd's folder: with absolute paths, nothing is written there.
    assert sorted(p.name for p in scrapyd.home.iterdir()) == [
        "dbs", "eggs", "logs", "scrapyd.conf", "scrapyd.out", "twistd.pid"
    ]  # fmt: skip


def test_next_run_writes_only_new_articles(
    scrapyd: Scrapyd, first_run: tuple[Path, Run], tmp_path: Path
) -> None:
    out = copy_of(first_run, tmp_path)
    stored_urls = {r["url"] for r in rows(out)}
    later = Site(ARTICLES, published=FIRST + 40)
    with run_mirror(articles=ARTICLES, published=FIRST) as mirror:
        mirror.publish(FIRST + 40)  # the clock moves while the mirror runs
        before = mirror.stats()
        (done,) = run(scrapyd, mirror, out)
        requested = Counter(mirror.stats()["paths"]) - Counter(before["paths"])
    stored = indices(later, stored_urls)
    expected = articles_written(later, feed(later), stored)
    assert {s.url for s in later.stubs[FIRST:]} & expected, "newly published articles among them"
    new = [r for r in rows(out) if r["job_id"] == done.job]
    assert {r["url"] for r in new} == expected
    assert not {r["url"] for r in new} & stored_urls
    assert len(rows(out)) == len(stored_urls) + len(expected)
    # Stored articles were not even requested.
    assert not {later.stubs[i].path for i in stored} & set(requested)
    assert done.stats["sputnik/state/skipped-stored"] > 0


def test_two_jobs_at_once_write_each_article_once(
    scrapyd: Scrapyd, first_run: tuple[Path, Run], tmp_path: Path
) -> None:
    out = copy_of(first_run, tmp_path)
    stored_urls = {r["url"] for r in rows(out)}
    later = Site(ARTICLES, published=FIRST + 80)
    with run_mirror(articles=ARTICLES, published=FIRST + 80) as mirror:
        runs = run(scrapyd, mirror, out, jobs=2)
    expected = articles_written(later, feed(later), indices(later, stored_urls))
    new = [r for r in rows(out) if r["job_id"] in {r.job for r in runs}]
    assert Counter(r["article_id"] for r in new).most_common(1)[0][1] == 1
    assert {r["url"] for r in new} == expected
    written = sum(r.stats.get("sputnik/writer/articles-written", 0) for r in runs)
    assert written == len(expected)
    files = dataset.dataset_files(*dataset.resolve_uri(out / "articles"))
    assert len(files) == len(set(files))
    overlap = sum(r.stats.get("sputnik/writer/skipped-unchanged", 0) for r in runs)
    print(f"two jobs: {written} written, {overlap} fetched by both and written once")


def test_two_scrapyd_nodes_share_one_frontier(
    scrapyd: Scrapyd,
    deployed: Path,
    redis_server: RedisServer,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two scrapyd nodes (each its own daemon, folder and egg), one job each, the same crawl id
    on one Redis: the README's "Running on many machines", on one machine."""
    site = Site(ARTICLES)
    crawl = "two-nodes"
    # Slow articles, so the crawl outlasts both jobs' starts and each node takes a share.
    with (
        start_scrapyd(tmp_path_factory.mktemp("node-b")) as node_b,
        run_mirror(articles=ARTICLES, faults="slow=0.3@/2024*") as mirror,
    ):
        deploy(node_b, tmp_path_factory.mktemp("project-b"))
        before = mirror.stats()
        settings = {"FRONTIER_URL": redis_server.url, "FRONTIER_HEARTBEAT_SECS": "1"}
        jobs = []
        for node in (scrapyd, node_b):
            stats_file = tmp_path / f"stats-{node.url.rsplit(':', 1)[1]}.json"
            extra = {**settings, "STATS_FILE": str(stats_file)}
            job = node.schedule(
                args={"source": "rss", "crawl": crawl},
                settings=crawl_settings(mirror, tmp_path, **extra),
            )
            jobs.append((node, job, stats_file))
        for node, job, _ in jobs:
            node.wait(job)
        after = mirror.stats()
    stats = []
    for node, job, stats_file in jobs:
        log = node.log(job)
        assert f"Frontier: crawl {crawl} on redis://" in log, log[-3000:]
        assert stats_file.exists(), log[-3000:]
        stats.append(json.loads(stats_file.read_text()))
        assert stats[-1]["finish_reason"] == "finished", log[-3000:]
    # The seeds pushed once, the requests split between the nodes.
    assert sorted(s.get("sputnik/frontier/seeded", 0) for s in stats) == [0, 1]
    dequeued = [s.get("scheduler/dequeued/redis", 0) for s in stats]
    assert all(n > 0.1 * sum(dequeued) for n in dequeued), dequeued
    # Every article of the crawl written once, every page fetched once.
    expected = articles_written(site, feed(site))
    written = Counter(r["url"] for r in rows(tmp_path))
    assert set(written) == expected
    assert set(written.values()) == {1}
    paths = Counter(after["paths"]) - Counter(before["paths"])
    paths.pop("/robots.txt")
    assert set(paths.values()) == {1}, [p for p, n in paths.items() if n > 1]


def test_refresh_writes_only_changed_articles(
    scrapyd: Scrapyd, first_run: tuple[Path, Run], tmp_path: Path
) -> None:
    out = copy_of(first_run, tmp_path)
    before = rows(out)
    with run_mirror(articles=ARTICLES, published=FIRST) as mirror:
        (done,) = run(scrapyd, mirror, out, refresh="1")
    assert rows(out) == before  # the mirror's articles did not change: nothing new
    assert done.stats["sputnik/writer/skipped-unchanged"] == len(before)
    assert "sputnik/state/skipped-stored" not in done.stats


def test_compaction_between_scheduled_runs(
    scrapyd: Scrapyd, first_run: tuple[Path, Run], tmp_path: Path
) -> None:
    out = copy_of(first_run, tmp_path)
    with run_mirror(articles=ARTICLES, published=FIRST) as mirror:
        for published in (FIRST + 20, FIRST + 40):
            mirror.publish(published)
            run(scrapyd, mirror, out)
        root = out / "articles"
        files_before = dataset.dataset_files(*dataset.resolve_uri(root))
        before = sorted((r["article_id"], r["content_hash"]) for r in rows(out))
        handles = [open(root / f, "rb") for f in files_before]  # noqa: SIM115 (an old reader)
        done = subprocess.run(
            [sys.executable, "-m", "crawler", "compact", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        files_after = dataset.dataset_files(*dataset.resolve_uri(root))
        assert sorted((r["article_id"], r["content_hash"]) for r in rows(out)) == before
        assert len(files_after) < len(files_before)
        old = pa.concat_tables([pq.read_table(pa.PythonFile(h)) for h in handles])
        pairs = zip(old["article_id"].to_pylist(), old["content_hash"].to_pylist(), strict=True)
        assert sorted(pairs) == before
        for handle in handles:
            handle.close()
        # The state followed: the next run skips what is stored and writes nothing twice.
        (after,) = run(scrapyd, mirror, out)
    assert after.stats.get("sputnik/writer/articles-written", 0) == 0
    assert after.stats["sputnik/state/skipped-stored"] > 0


# -- recurring crawls ---------------------------------------------------------------------------


def test_schedule_script_waits_for_the_previous_run(
    scrapyd: Scrapyd, first_run: tuple[Path, Run], tmp_path: Path
) -> None:
    out = copy_of(first_run, tmp_path)
    script = [sys.executable, str(REPO_ROOT / "scripts" / "schedule-crawl")]
    with run_mirror(articles=ARTICLES, published=FIRST + 20) as mirror:
        command = [*script, "-a", "source=rss", "--lock", str(tmp_path / "lock")]
        for name, value in crawl_settings(mirror, out).items():
            command += ["-s", f"{name}={value}"]

        def schedule() -> str:
            done = subprocess.run(
                command, env=scrapyd.env(), capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        first = schedule()
        assert first.startswith("scheduled ")
        job = first.split()[1]
        refused = schedule()  # at once: the first job is still pending or running
        assert refused.startswith(f"skipped: job {job} of sputnik is still ")
        scrapyd.wait(job)
        assert " ERROR: " not in scrapyd.log(job)
        again = schedule()
        assert again.startswith("scheduled ") and again != first
        scrapyd.wait(again.split()[1])
    new = [r for r in rows(out) if r["job_id"] == job]
    assert new and not [r for r in rows(out) if r["job_id"] == again.split()[1]]


def test_schedule_script_reports_scrapyd_errors(scrapyd: Scrapyd, tmp_path: Path) -> None:
    script = [sys.executable, str(REPO_ROOT / "scripts" / "schedule-crawl")]
    env = {**scrapyd.env(), "SCRAPYD_PASSWORD": "wrong"}
    done = subprocess.run(
        [*script, "--lock", str(tmp_path / "lock")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "HTTP 401" in done.stderr
