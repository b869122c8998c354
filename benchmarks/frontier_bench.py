"""Frontier benchmark: one mirror crawl shared by 1, 2 and 4 workers on one ``redis-server``.

Each run starts a fresh mirror (unslowed, pinned to CPU 1 like the other benchmarks) and N ``scrapy
crawl sputnik -a source=sitemap`` workers (``DEPTH_LIMIT=1``, ``crawl_bench``'s 8 requests in
parallel, no AutoThrottle) with ``FRONTIER_URL`` on one ``redis-server`` started here, a fresh crawl
id (``-a crawl=``), all writing one dataset (its "already stored" state on the same Redis, as on
many machines); each worker's rows are told apart by their ``job_id``. It prints per run: wall time
(first worker started to last one exited), pages/s overall, requests per worker, the duplicates
(paths the mirror served more than once, robots.txt aside, and articles written more than once: both
must be 0) and the articles missing against the manifest, Redis commands and network bytes per page
(``INFO commandstats`` / ``INFO stats`` deltas), and CPU ms per page of the workers (their
``os.wait4`` rusage) and of ``redis-server`` (``/proc/<pid>/stat``).

Then two workers again, one of them killed with SIGKILL once it has written rows
(``DATASET_FLUSH_SECS=2``): what the crawl lost against the manifest (nothing: the requests it
held leases on, those in flight and those whose rows it had not written, go back to the queue
once its heartbeat expires), the requests the survivor queued again
(``sputnik/frontier/requeued``), and what was fetched or written twice.

Examples:

    python benchmarks/frontier_bench.py                  # 3,000 articles
    python benchmarks/frontier_bench.py --articles 1000  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crawl_bench import SETTINGS
from crawler.dataset import open_dataset
from crawler.items import ArticleItem
from tests.mirror.manifest import reachable, record
from tests.mirror.model import Site
from tests.mirror.process import REPO_ROOT, run_mirror
from tests.redis_server import run_redis

if TYPE_CHECKING:
    import redis

    from tests.mirror.process import Mirror
    from tests.redis_server import RedisServer

ARTICLES = 3_000
WORKERS = (1, 2, 4)
HEARTBEAT_SECS = "1"
POLL_SECS = 0.1
TICKS = os.sysconf("SC_CLK_TCK")
KILL_AFTER_ROWS = 1  # kill the victim once it has written at least one file of rows
KILL_TIMEOUT_SECS = 300.0


@dataclass
class Worker:
    """One ``scrapy crawl`` process and, once reaped, its exit status, CPU time and stats."""

    out: Path
    job: str  # its ``-a _job=``: the job_id of its rows and part of its file names
    dataset: Path  # the articles dataset every worker of the run writes
    process: subprocess.Popen[bytes]
    returncode: int | None = None
    cpu_secs: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    def reap(self, *, block: bool = False) -> bool:
        """``wait4`` the process (its rusage is lost to a plain ``wait``); True once it exited."""
        if self.returncode is not None:
            return True
        pid, status, usage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.returncode = os.waitstatus_to_exitcode(status)
        self.process.returncode = self.returncode  # so Popen does not wait for it again
        self.cpu_secs = usage.ru_utime + usage.ru_stime
        stats_file = self.out / "stats.json"
        self.stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        return True

    def rows(self) -> list[str]:
        """URLs of the articles this worker wrote (flushed files only)."""
        if not any(self.dataset.rglob(f"part-{self.job}-*.parquet")):
            return []
        # pyarrow skips hidden names: a file being written (``.tmp``) is not read
        table = open_dataset(self.dataset, ArticleItem).to_table(columns=["url", "job_id"])
        return [r["url"] for r in table.to_pylist() if r["job_id"] == self.job]


def start_worker(
    mirror: Mirror, redis_url: str, crawl: str, out: Path, dataset: Path, **extra: str
) -> Worker:
    out.mkdir(parents=True)
    job = f"{crawl}-{out.name}"
    settings = {
        **SETTINGS,
        "SITE_ORIGIN": mirror.url,
        "FRONTIER_URL": redis_url,
        "FRONTIER_HEARTBEAT_SECS": HEARTBEAT_SECS,
        "STATS_FILE": str(out / "stats.json"),
        "DATASET_URI": str(dataset / "articles"),
        "REJECTS_URI": str(dataset / "rejects"),
        **extra,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "sputnik", "-a", "source=sitemap"]
    command += ["-a", f"crawl={crawl}", "-a", f"_job={job}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    log = (out / "log.txt").open("wb")
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Worker(out, job, dataset / "articles", process)


def redis_counters(client: redis.Redis) -> dict[str, int]:
    """Commands processed (per command) and network bytes in + out, so far."""
    counters = {
        name.removeprefix("cmdstat_"): int(value["calls"])
        for name, value in client.info("commandstats").items()
    }
    stats = client.info("stats")
    counters["net_bytes"] = stats["total_net_input_bytes"] + stats["total_net_output_bytes"]
    return counters


def cpu_secs(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def expected_articles(site: Site) -> dict[str, str]:
    """Articles a sitemap crawl at DEPTH_LIMIT=1 writes (every listed article and its related
    ones): URL -> the mirror's path."""
    found = reachable(site, range(len(site)), int(SETTINGS["DEPTH_LIMIT"]))
    truths = {i: record(site, i) for i in found}
    return {t["url"]: site.stubs[i].path for i, t in truths.items() if t["status"] == "article"}


def served_twice(before: dict[str, Any], after: dict[str, Any]) -> int:
    """Paths the mirror served more than once in between (robots.txt aside: once per worker)."""
    paths = Counter(after["paths"]) - Counter(before["paths"])
    paths.pop("/robots.txt", None)
    return sum(n - 1 for n in paths.values() if n > 1)


def run(
    server: RedisServer, workers: int, articles: int, expected: dict[str, str]
) -> dict[str, Any]:
    """One crawl of the mirror by ``workers`` processes sharing a fresh crawl id."""
    client = server.client()
    crawl = f"bench-{workers}-{uuid.uuid4().hex[:8]}"
    with run_mirror(articles=articles, cpus={1}) as mirror, tempfile.TemporaryDirectory() as tmp:
        served = mirror.stats()
        counters = redis_counters(client)
        redis_cpu = cpu_secs(server.process.pid)
        mirror_cpu = cpu_secs(mirror.pid)
        started = time.monotonic()
        crew = [
            start_worker(mirror, server.url, crawl, Path(tmp) / f"w{n}", Path(tmp) / "dataset")
            for n in range(workers)
        ]
        while not all(w.reap() for w in crew):
            time.sleep(POLL_SECS)
        wall = time.monotonic() - started
        redis_cpu = cpu_secs(server.process.pid) - redis_cpu
        mirror_cpu = cpu_secs(mirror.pid) - mirror_cpu
        after = redis_counters(client)
        served_after = mirror.stats()
        for n, worker in enumerate(crew):
            if worker.returncode:
                log = (worker.out / "log.txt").read_text(errors="replace")[-3000:]
                raise SystemExit(f"worker {n} of {workers} failed ({worker.returncode}):\n{log}")
        written = Counter(url for w in crew for url in w.rows())
    dupefilter = f"sputnik:{crawl}:dupefilter"
    fingerprints = client.scard(dupefilter)
    dupefilter_bytes = client.memory_usage(dupefilter, samples=0) or 0
    pages = sum(w.stats.get("response_received_count", 0) for w in crew)
    commands = {k: after[k] - counters.get(k, 0) for k in after if k != "net_bytes"}
    commands = {k: v for k, v in commands.items() if v and k != "info"}  # ours, not the crawl's
    return {
        "workers": workers,
        "wall": wall,
        "pages": pages,
        "pps": pages / wall,
        "requests": [w.stats.get("downloader/request_count", 0) for w in crew],
        "fetched_twice": served_twice(served, served_after),
        "written_twice": sum(n - 1 for n in written.values() if n > 1),
        "missing": len(expected.keys() - written.keys()),
        "unexpected": len(written.keys() - expected.keys()),
        "ops_per_page": sum(commands.values()) / pages,
        "bytes_per_page": (after["net_bytes"] - counters["net_bytes"]) / pages,
        "top_commands": Counter(commands).most_common(5),
        "worker_cpu_ms": sum(w.cpu_secs for w in crew) / pages * 1000,
        "redis_cpu_ms": redis_cpu / pages * 1000,
        "mirror_cpu_ms": mirror_cpu / pages * 1000,
        "fingerprints": fingerprints,
        "dupefilter_bytes": dupefilter_bytes,
    }


def heartbeats(client: redis.Redis, crawl: str) -> dict[str, int]:
    """Requests in flight per live worker, as their heartbeat keys say."""
    found = {}
    for key in client.scan_iter(match=f"sputnik:{crawl}:worker:*"):
        value = client.get(key)
        if value is not None:
            found[key.decode().rsplit(":", 1)[1]] = int(value)
    return found


def kill_run(
    server: RedisServer, articles: int, expected: dict[str, str], delay: float = 0.0
) -> dict[str, Any]:
    """Two workers, the second one SIGKILLed ``delay`` s after it has flushed rows; what the
    crawl lost."""
    client = server.client()
    crawl = f"bench-kill-{uuid.uuid4().hex[:8]}"
    # A victim killed in its flush holds the dataset's lock until its lease expires: 10 s here
    # (60 s by default), as the heartbeat is 1 s here (5 s by default).
    flush = {"DATASET_FLUSH_SECS": "2", "DATASET_LOCK_LEASE_SECS": "10"}
    with run_mirror(articles=articles, cpus={1}) as mirror, tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "dataset"
        keeper = start_worker(mirror, server.url, crawl, Path(tmp) / "keeper", dataset, **flush)
        victim = start_worker(mirror, server.url, crawl, Path(tmp) / "victim", dataset, **flush)
        deadline = time.monotonic() + KILL_TIMEOUT_SECS
        while len(victim.rows()) < KILL_AFTER_ROWS:
            if victim.reap() or time.monotonic() > deadline:
                raise SystemExit("the victim finished (or stalled) before writing any row")
            time.sleep(POLL_SECS)
        time.sleep(delay)
        before_kill = heartbeats(client, crawl)
        os.kill(victim.process.pid, signal.SIGKILL)
        victim.reap(block=True)
        flushed = len(victim.rows())
        started = time.monotonic()
        keeper.reap(block=True)
        drained = time.monotonic() - started
        if keeper.returncode:
            raise SystemExit(f"the surviving worker failed ({keeper.returncode})")
        written = Counter(url for w in (keeper, victim) for url in w.rows())
        served = Counter(mirror.stats()["paths"])
    served.pop("/robots.txt", None)  # once per worker
    missing = expected.keys() - written.keys()
    return {
        "victim_rows": flushed,
        "keeper_rows": written.total() - flushed,
        "heartbeats": before_kill,
        "written_twice": sum(n - 1 for n in written.values() if n > 1),
        "fetched_twice": sum(n - 1 for n in served.values() if n > 1),
        "missing": len(missing),
        # lost in flight: never fetched (dequeued by the victim, or found only on a page it
        # fetched); fetched once but its row never flushed
        "never_fetched": sum(1 for url in missing if not served[expected[url]]),
        "fetched_not_written": sum(1 for url in missing if served[expected[url]]),
        "expected": len(expected),
        "keeper_exit_after_kill": drained,
        "keeper_pages": keeper.stats.get("response_received_count", 0),
        "requeued": keeper.stats.get("sputnik/frontier/requeued", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKERS))
    parser.add_argument("--no-kill", action="store_true", help="skip the kill -9 run")
    parser.add_argument(
        "--kill-delay",
        type=float,
        default=0.0,
        help="seconds between the victim's first file and the kill (0: at once, possibly"
        " before the leases of the rows just written are released: those are fetched again)",
    )
    args = parser.parse_args()
    expected = expected_articles(Site(args.articles))
    with tempfile.TemporaryDirectory() as tmp, run_redis(Path(tmp)) as server:
        rows = [run(server, n, args.articles, expected) for n in args.workers]
        killed = (
            None if args.no_kill else kill_run(server, args.articles, expected, args.kill_delay)
        )
    print(f"{args.articles} articles, {len(expected)} articles expected, {os.cpu_count()} CPUs")
    print(
        "workers  wall s  pages  pages/s  requests per worker   fetched twice  written twice"
        "  missing  Redis ops/page  Redis B/page  worker CPU ms/page  redis CPU ms/page"
    )
    for r in rows:
        requests = "/".join(str(n) for n in r["requests"])
        print(
            f"{r['workers']:>7}  {r['wall']:>6.1f}  {r['pages']:>5}  {r['pps']:>7.1f}"
            f"  {requests:<19}  {r['fetched_twice']:>13}  {r['written_twice']:>13}"
            f"  {r['missing']:>7}  {r['ops_per_page']:>14.1f}  {r['bytes_per_page']:>12.0f}"
            f"  {r['worker_cpu_ms']:>18.2f}  {r['redis_cpu_ms']:>17.3f}"
        )
    for r in rows:
        top = ", ".join(f"{name} {calls / r['pages']:.2f}" for name, calls in r["top_commands"])
        print(
            f"{r['workers']} workers, Redis commands per page: {top};"
            f" duplicate filter: {r['fingerprints']} fingerprints,"
            f" {r['dupefilter_bytes'] / r['fingerprints']:.0f} B each;"
            f" mirror CPU {r['mirror_cpu_ms']:.2f} ms/page"
        )
    if killed:
        print(
            f"kill -9 of 1 of 2 workers after it wrote {killed['victim_rows']} rows"
            f" (in flight by heartbeat before the kill: {killed['heartbeats']}):"
            f" {killed['missing']} of {killed['expected']} expected articles missing"
            f" ({killed['never_fetched']} never fetched, {killed['fetched_not_written']}"
            " fetched but not written),"
            f" {killed['written_twice']} written twice, {killed['fetched_twice']} fetched twice;"
            f" the survivor queued {killed['requeued']} requests again, wrote"
            f" {killed['keeper_rows']} rows and exited {killed['keeper_exit_after_kill']:.1f} s"
            " after the kill"
        )
    for r in rows:
        if r["unexpected"]:
            print(f"{r['workers']} workers: {r['unexpected']} articles written not in the manifest")


if __name__ == "__main__":
    main()
