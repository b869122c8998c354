"""Load test of the mirror: article pages per second from one server core.

Starts ``python -m tests.mirror serve`` (via ``tests/mirror/process.py``) pinned to one CPU, then
drives it with keep-alive connections from worker processes pinned to the other CPUs, each
connection asking for distinct article paths one after another. Prints throughput, page size,
latency percentiles and the server's CPU time (from ``/proc/<pid>/stat``), so the per-core rate
is clear even when the load generator shares the machine.

Examples:

    python benchmarks/mirror_load.py
    python benchmarks/mirror_load.py --articles 5000 --connections 32 --duration 5
    python benchmarks/mirror_load.py --workers 1 --server-cpu 1 --warmup 0
    python benchmarks/mirror_load.py --archive 5000   # 2019-2020 pages of every layout too
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.mirror.model import Site
from tests.mirror.process import run_mirror

DEFAULT_ARTICLES = 20_000  # enough distinct pages for ~10 s at 1,000+ pages/s
START_DELAY_SECS = 0.5  # lets the workers start and connect before the warm-up clock runs
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """What one worker measured inside the window."""

    requests: int = 0
    bytes: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def add(self, other: Result) -> None:
        self.requests += other.requests
        self.bytes += other.bytes
        self.errors += other.errors
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.latencies += other.latencies


class Client(asyncio.Protocol):
    """One keep-alive connection: a request, its whole response, the next request."""

    def __init__(self, requests: list[bytes], window: tuple[float, float], result: Result) -> None:
        self.requests = requests
        self.next = 0
        self.start, self.end = window
        self.result = result
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.status = 0
        self.length = 0
        self.left = -1  # body bytes still to come; -1 while reading the head
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.result.errors += 1
            self.done.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self.left < 0:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self._read_head(self.head[:end])
            self.left = self.length - (len(self.head) - end - 4)
            self.head = b""
        else:
            self.left -= len(data)
        if self.left <= 0:
            self._finished()

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split(b" ", 2)[1])
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                self.length = int(line[15:])

    def _finished(self) -> None:
        now = time.monotonic()
        if self.sent_at >= self.start and now <= self.end:
            result = self.result
            result.requests += 1
            result.bytes += self.length
            result.statuses[self.status] = result.statuses.get(self.status, 0) + 1
            result.latencies.append(now - self.sent_at)
        self.left = -1
        if now >= self.end:
            assert self.transport is not None
            self.transport.close()
            self.done.set_result(None)
        else:
            self._send()

    def _send(self) -> None:
        assert self.transport is not None
        request = self.requests[self.next % len(self.requests)]
        self.next += 1
        self.sent_at = time.monotonic()
        self.transport.write(request)


def worker(
    url: str,
    paths: list[str],
    connections: int,
    window: tuple[float, float],
    cpus: set[int] | None,
) -> Result:
    """Run ``connections`` clients over ``paths`` until the window closes (in a child process)."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    return asyncio.run(_drive(url, paths, connections, window))


async def _drive(
    url: str, paths: list[str], connections: int, window: tuple[float, float]
) -> Result:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    result = Result()
    clients = []
    for number in range(connections):
        mine = paths[number::connections]
        requests = [f"GET {p} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode() for p in mine]
        _, client = await loop.create_connection(
            lambda r=requests: Client(r, window, result), parts.hostname, parts.port
        )
        clients.append(client)
    await asyncio.gather(*(client.done for client in clients))
    return result


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests, all CPUs together (0 outside a VM)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / CLOCK_TICKS if len(fields) > 8 else 0.0


def split_cpus(server_cpu: int) -> tuple[set[int] | None, set[int] | None]:
    """The server's CPU and the clients' CPUs; ``None`` where pinning is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None, None
    available = os.sched_getaffinity(0)
    if server_cpu not in available:
        raise SystemExit(f"--server-cpu {server_cpu} is not available; have {sorted(available)}")
    others = available - {server_cpu}
    return {server_cpu}, others or None


def run(args: argparse.Namespace) -> Result:
    site = Site(args.articles, args.seed, archive=args.archive)
    paths = [stub.path for stub in site.stubs]
    server_cpus, client_cpus = split_cpus(args.server_cpu)
    print(
        f"mirror: {args.articles} articles + {args.archive} archive, "
        f"server on CPU {sorted(server_cpus or [])}, "
        f"{args.workers} client process(es) x {args.connections // args.workers} connections "
        f"on CPUs {sorted(client_cpus or [])}",
        file=sys.stderr,
    )
    with run_mirror(
        articles=args.articles, seed=args.seed, cpus=server_cpus, archive=args.archive
    ) as mirror:
        start = time.monotonic() + START_DELAY_SECS + args.warmup
        window = (start, start + args.duration)
        context = multiprocessing.get_context("fork")
        with context.Pool(args.workers) as pool:
            jobs = [
                pool.apply_async(
                    worker,
                    (
                        mirror.url,
                        paths[n :: args.workers],
                        args.connections // args.workers,
                        window,
                        client_cpus,
                    ),
                )
                for n in range(args.workers)
            ]
            time.sleep(max(0.0, window[0] - time.monotonic()))
            cpu_before, steal_before = cpu_seconds(mirror.pid), steal_seconds()
            time.sleep(max(0.0, window[1] - time.monotonic()))
            cpu_used = cpu_seconds(mirror.pid) - cpu_before
            stolen = steal_seconds() - steal_before
            total = Result()
            for job in jobs:
                total.add(job.get(timeout=args.duration + 60))
    report(total, args.duration, cpu_used, stolen)
    return total


def report(result: Result, duration: float, cpu_used: float, stolen: float) -> None:
    latencies = sorted(result.latencies) or [0.0]
    rate = result.requests / duration
    mean_kb = result.bytes / max(1, result.requests) / 1024
    print(f"requests/s        {rate:10.1f}")
    print(f"MB/s              {result.bytes / duration / 1e6:10.1f}")
    print(f"mean page KB      {mean_kb:10.1f}")
    print(f"latency p50 ms    {statistics.median(latencies) * 1000:10.2f}")
    print(f"latency p99 ms    {latencies[int(len(latencies) * 0.99)] * 1000:10.2f}")
    print(f"server CPU s      {cpu_used:10.2f}   (of {duration:.1f} s wall)")
    print(f"requests/CPU-s    {result.requests / max(cpu_used, 1e-9):10.1f}")
    # Time the hypervisor ran other guests: large values mean the figures above are noisy.
    print(f"steal CPU s       {stolen:10.2f}   (all CPUs)")
    print(f"statuses          {dict(sorted(result.statuses.items()))}  errors {result.errors}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--archive", type=int, default=0, help="articles of 2019-2020 too")
    parser.add_argument("--connections", "-c", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duration", "-d", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU to pin the server to")
    args = parser.parse_args(argv)
    if args.connections < args.workers:
        parser.error("--connections must be at least --workers")
    result = run(args)
    return 0 if result.requests and not result.errors else 1


if __name__ == "__main__":
    sys.exit(main())
