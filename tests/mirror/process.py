"""Start the mirror as a subprocess, for the test fixture and the benchmarks.

The child listens on port 0 and prints its base URL as its first stdout line; we read that line
(no fixed port, no polling) and kill and reap the child on exit.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.mirror.sites import Editions

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECS = 60
STOP_TIMEOUT_SECS = 10


@dataclass(frozen=True)
class Mirror:
    """A running mirror: its base URL (no trailing slash), what it serves, its process.

    ``articles`` is the number of articles from 2024 on and ``archive`` of those of 2019-2020
    before them; ``clock()`` says how many of all of them are out.
    """

    url: str
    articles: int
    seed: int
    process: subprocess.Popen[bytes]
    archive: int = 0
    editions: tuple[str, ...] = ("en",)

    @property
    def pid(self) -> int:
        return self.process.pid

    def exchange(self, data: bytes) -> bytes:
        """Send raw bytes; everything the server sends back until it closes the connection."""
        parts = urlsplit(self.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(data)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        return received

    def model(self) -> Editions:
        """The editions this mirror serves, as the model builds them (for the truth)."""
        return Editions(self.editions, self.articles, self.seed, None, self.archive)

    def get(self, target: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body of ``GET target``, sent with ``Host:
        host`` when given (redirects are not followed)."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            headers = {"Host": host} if host else {}
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            fields = {k.lower(): v for k, v in response.getheaders()}
            return response.status, fields, response.read()
        finally:
            connection.close()

    def stats(self) -> dict[str, Any]:
        """The server's request counters (``/__mirror__/stats``)."""
        with urllib.request.urlopen(self.url + "/__mirror__/stats", timeout=10) as response:
            return json.load(response)

    def clock(self) -> int:
        """How many articles are out (``/__mirror__/clock``)."""
        with urllib.request.urlopen(self.url + "/__mirror__/clock", timeout=10) as response:
            return json.load(response)["published"]

    def publish(self, count: int) -> None:
        """Move the clock: from now on the first ``count`` articles are out."""
        target = f"{self.url}/__mirror__/clock?published={count}"
        with urllib.request.urlopen(target, timeout=30) as response:
            assert json.load(response)["published"] == count


@contextmanager
def run_mirror(
    articles: int = 300,
    seed: int = 1,
    faults: str | None = None,
    published: int | None = None,
    access_log: str | os.PathLike[str] | None = None,
    cpus: set[int] | None = None,
    js_shells: int = 0,
    js_lists: bool = False,
    archive: int = 0,
    editions: Sequence[str] = ("en",),
) -> Iterator[Mirror]:
    """Run ``python -m tests.mirror serve`` for the ``with`` block.

    :param articles: articles in the site
    :param seed: site seed
    :param faults: fault spec (see ``tests/mirror/faults.py``)
    :param published: serve only the first ``published`` articles (see ``Mirror.publish``)
    :param access_log: file the server appends one line per request to
    :param cpus: CPUs to pin the server to (Linux), e.g. ``{0}`` for a one-core benchmark
    :param js_shells: percent of articles served script-built (``tests/mirror/render_js.py``)
    :param js_lists: lists load more items only by script
    :param archive: articles of 2019-2020 served before the others (``tests.mirror.model``)
    :param editions: edition codes to serve, the first for hosts of no edition
        (``tests.mirror.editions``; ``Mirror.model()`` builds the same for the truth)
    """
    command = [sys.executable, "-u", "-m", "tests.mirror", "serve", "--port", "0"]
    command += ["--articles", str(articles), "--seed", str(seed)]
    if faults:
        command += ["--faults", faults]
    if published is not None:
        command += ["--published", str(published)]
    if access_log is not None:
        command += ["--access-log", os.fspath(access_log)]
    if js_shells:
        command += ["--js-shells", str(js_shells)]
    if js_lists:
        command.append("--js-lists")
    if archive:
        command += ["--archive", str(archive)]
    codes = tuple(editions)
    if codes != ("en",):
        command += ["--editions", ",".join(codes)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, preexec_fn=_pin(cpus)
    )
    try:
        url = _first_line(process)
        yield Mirror(url, articles, seed, process, archive, codes)
    finally:
        _stop(process)


def _pin(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def _first_line(process: subprocess.Popen[bytes]) -> str:
    """The URL the child prints once it listens; its stderr is ours, so errors show above."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_SECS
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([process.stdout], [], [], left)[0]:
            raise RuntimeError(f"mirror printed no URL within {START_TIMEOUT_SECS}s")
        chunk = os.read(process.stdout.fileno(), 1024)
        if not chunk:
            code = process.wait()
            raise RuntimeError(f"mirror exited with {code} before printing its URL (see stderr)")
        line += chunk
    return line.decode().strip()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
