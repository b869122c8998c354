"""The one Redis client of ``FRONTIER_URL``: the shared frontier (``crawler.frontier``) and the
dataset state on Redis (``crawler.shared_state``) connect through :func:`connect`.

A module of its own so that the writer and the state can reach Redis without importing the
frontier (which imports the writer's receipts through ``crawler.outcomes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis

from crawler.config import ConfigError

if TYPE_CHECKING:
    from crawler.config import FrontierConfig

CONNECT_TIMEOUT_SECS = 5.0
SOCKET_TIMEOUT_SECS = 30.0


def connect(config: FrontierConfig) -> redis.Redis:
    """A client for ``FRONTIER_URL``, checked with a PING; :raises ConfigError: unreachable."""
    client = redis.Redis.from_url(
        config.url,
        password=config.password or None,
        socket_connect_timeout=CONNECT_TIMEOUT_SECS,
        socket_timeout=SOCKET_TIMEOUT_SECS,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"FRONTIER_URL ({config.url}) is unreachable: {exc}") from None
    return client
