"""``python -m crawler.demo``: show the crawler against the bundled offline mirror.

For now it only starts the mirror (``python -m tests.mirror``), prints where it serves and stops
it; the crawl itself arrives with the spider issue.
"""

from __future__ import annotations

import selectors
import subprocess
import sys
from pathlib import Path

ARTICLES = 2000  # articles the mirror generates
STARTUP_TIMEOUT_SECS = 60.0
SHUTDOWN_TIMEOUT_SECS = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent


class MirrorError(RuntimeError):
    """The mirror did not start or did not report its URL."""


def start_mirror(articles: int) -> subprocess.Popen[str]:
    """Start the mirror on a free loopback port; its stderr goes to ours."""
    command = [
        sys.executable,
        "-u",
        "-m",
        "tests.mirror",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--articles",
        str(articles),
    ]
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def read_base_url(mirror: subprocess.Popen[str], timeout_secs: float) -> str:
    """Return the base URL the mirror prints as its first stdout line."""
    assert mirror.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(mirror.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_secs):
            raise MirrorError(f"the mirror printed no URL within {timeout_secs:g} s")
    line = mirror.stdout.readline().strip()
    if not line:
        raise MirrorError(f"the mirror exited (code {mirror.wait()}) before printing its URL")
    return line


def stop_mirror(mirror: subprocess.Popen[str]) -> None:
    """Terminate the mirror and reap it, killing it if it does not exit in time."""
    if mirror.poll() is None:
        mirror.terminate()
        try:
            mirror.wait(SHUTDOWN_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            mirror.kill()
            mirror.wait()
    if mirror.stdout is not None:
        mirror.stdout.close()


def main() -> int:
    """Run the demo; return the process exit code."""
    mirror = start_mirror(ARTICLES)
    try:
        base_url = read_base_url(mirror, STARTUP_TIMEOUT_SECS)
        print(
            f"Mirror of sputnikglobe.com serving at {base_url} ({ARTICLES} articles). "
            "The crawl itself arrives with the spider issue; nothing was written to data/."
        )
    except MirrorError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop_mirror(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
