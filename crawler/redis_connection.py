"""The one Redis client of ``FRONTIER_URL``: the shared frontier (``crawler.frontier``) and the
dataset state on Redis (``crawler.shared_state``) connect through :func:`connect`.

A module of its own so that the writer and the state can reach Redis without importing the
frontier (which imports the writer's receipts through ``crawler.outcomes``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import redis

from crawler.config import ConfigError

if TYPE_CHECKING:
    from crawler.config import FrontierConfig

logger = logging.getLogger(__name__)

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
    check_no_eviction(client, config.url)
    return client


def check_no_eviction(client: redis.Redis, url: str) -> None:
    """Refuse a Redis that may evict any key when full (``maxmemory`` set, an ``allkeys-*``
    ``maxmemory-policy``): it would drop queued requests, seen fingerprints or stored articles
    without a word. ``volatile-*`` policies evict only keys with an expiry (heartbeats, the
    dataset lock), which the frontier and the lock's fencing survive. A server that does not
    let us read its configuration (a managed Redis) is used as it is, with a warning.
    """
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
        limit = int(client.config_get("maxmemory").get("maxmemory", 0) or 0)
    except redis.RedisError as exc:
        logger.warning(
            "FRONTIER_URL (%s): cannot read maxmemory-policy (%s); make sure it is noeviction",
            url,
            exc,
        )
        return
    if limit and str(policy).startswith("allkeys-"):
        raise ConfigError(
            f"FRONTIER_URL ({url}): Redis evicts any key when full (maxmemory {limit},"
            f" maxmemory-policy {policy}), which would lose queued requests and stored"
            " articles: set maxmemory-policy noeviction (or volatile-lru), or no maxmemory"
        )
