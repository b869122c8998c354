"""The lock files agree: ``requirements-spark.lock`` (``make test-spark``) is installed over a
venv built from ``requirements.lock``, so it must pin every package of that lock to the same
version and hashes and add only Spark's own packages."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPARK_ONLY = {"pyspark", "py4j"}  # the spark extra and its one dependency
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """Package name (normalized) -> (version, hashes) of a uv ``--generate-hashes`` lock."""
    found: dict[str, tuple[str, set[str]]] = {}
    current: set[str] = set()
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            current = set()
            name = re.sub(r"[-_.]+", "-", match[1]).lower()
            found[name] = (match[2], current)
        current.update(HASH.findall(line))
    return {name: (version, frozenset(hashes)) for name, (version, hashes) in found.items()}


def test_the_spark_lock_is_the_main_lock_plus_spark() -> None:
    main = pins(REPO / "requirements.lock")
    spark = pins(REPO / "requirements-spark.lock")
    assert len(main) > 50 and all(hashes for _, hashes in main.values())
    assert set(spark) - set(main) == SPARK_ONLY
    assert {name: spark[name] for name in main} == main
    assert all(spark[name][1] for name in SPARK_ONLY)
