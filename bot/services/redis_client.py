"""Redis for several replicas: a client that fails fast, and where it points without the password."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

# Short, because a Redis that stops answering must not hold up an ack (Slack wants one within 3 s); not shorter,
# because on a busy host a spurious timeout sends an event to the per-process fallback, where a retry delivered
# to another replica would be answered twice.
TIMEOUT_SECONDS = 1.0


def redis_location(url: str) -> str:
    """host:port (or the socket path) of a Redis URL: what logs may say; the URL can carry a password."""
    try:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return parts.path or "a unix socket"
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:  # a malformed port: say nothing rather than echo the URL
        return "(unparsable REDIS_URL)"


def connect(url: str, timeout: float = TIMEOUT_SECONDS) -> redis.Redis:
    """A client that fails fast: one immediate retry on a dropped connection (a pooled one is stale after a Redis
    restart), none after a timeout, so an outage costs at most one timeout and the caller's fallback takes over."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        health_check_interval=30,
    )


