"""Run a command and write its peak RSS (bytes) to a file: ``python -m tests.peak_rss FILE CMD...``.

Linux counts, in a process's ``ru_maxrss``, the memory of whatever it was forked from: a crawl
started straight from a big pytest process would report pytest's size. This small process forks
the command from itself (a fresh accounting, and a copy of a small process), waits for it, and
records the command's own peak; its exit code is the command's.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w") as file:
        file.write(f"{usage.ru_maxrss * 1024}\n")  # Linux gives KiB
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
