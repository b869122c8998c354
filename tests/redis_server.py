"""A real ``redis-server`` (Debian's package) for the tests: on a free loopback port, nothing
saved to disk, stopped after."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REDIS_SERVER = "redis-server"
START_TIMEOUT_SECS = 10.0


@dataclass
class RedisServer:
    """A running server: ``url`` is ``redis://127.0.0.1:<port>/0``."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def run_redis(workdir: Path, *options: str) -> Iterator[RedisServer]:
    """Start ``redis-server`` in ``workdir`` for the ``with`` block, waiting for its PING;
    ``options`` are more command-line options (``--maxmemory``, ``100mb``)."""
    binary = shutil.which(REDIS_SERVER)
    if binary is None:
        raise FileNotFoundError("no redis-server: run scripts/ensure-system-packages")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(workdir), "--daemonize", "no", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = RedisServer(port, process)
    try:
        client = server.client()
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"redis-server exited with {process.returncode}: {output}")
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
