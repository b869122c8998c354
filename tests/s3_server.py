"""A real S3 API server for the tests: moto's server mode (``ThreadedMotoServer``) in this
process on a free loopback port, one bucket, stopped after.

While it runs, the standard ``AWS_*`` variables point at it, so a crawl started in a subprocess
finds the server and its keys as a deployment would (``crawler.dataset.s3_filesystem``).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyarrow.fs as pafs
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

KEYS = {"AWS_ACCESS_KEY_ID": "moto-test-key", "AWS_SECRET_ACCESS_KEY": "moto-test-secret"}
REGION = "us-east-1"
# Variables that would send the crawl elsewhere, or sign with other keys.
CLEARED = ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN")


@contextmanager
def run_s3(bucket: str) -> Iterator[str]:
    """Start the server with ``bucket`` for the ``with`` block; yields ``http://127.0.0.1:<port>``.

    :param bucket: created empty (3 characters or more)
    """
    from moto.server import ThreadedMotoServer  # slow to import: only when a test starts one

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with pytest.MonkeyPatch.context() as env:
            for name in CLEARED:
                env.delenv(name, raising=False)
            for name, value in {**KEYS, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint}.items():
                env.setenv(name, value)
            pafs.S3FileSystem(
                endpoint_override=f"{host}:{port}",
                scheme="http",
                region=REGION,
                allow_bucket_creation=True,
            ).create_dir(bucket)
            yield endpoint
    finally:
        server.stop()
