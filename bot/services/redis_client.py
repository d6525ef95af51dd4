"""Redis for several replicas: a client that fails fast and says why, and where it points without the password."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger("stackpick.shared")

T = TypeVar("T")

# Short, because a Redis that stops answering must not hold up an ack (Slack wants one within 3 s); not shorter,
# because on a busy host a spurious timeout sends an event to the per-process fallback, where a retry delivered
# to another replica would be answered twice.
TIMEOUT_SECONDS = 1.0
# Redis's own refusals can be long (protected mode's DENIED lists four ways out): enough to act on, not a page.
MAX_REASON_CHARS = 400


def redis_location(url: str) -> str:
    """host:port (or the socket path) of a Redis URL: what logs may say; the URL can carry a password."""
    try:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return parts.path or "a unix socket"
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:  # a malformed port: say nothing rather than echo the URL
        return "(unparsable REDIS_URL)"


def _secrets_of(url: str) -> list[str]:
    """What must never be logged: the URL itself and its password, as written and percent-decoded."""
    found = [url]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found += [password, unquote(password)]
    # Longest first, so a password inside the URL does not leave the rest of the URL behind.
    return sorted({s for s in found if s}, key=len, reverse=True)


def failure_reason(error: BaseException, url: str) -> str:
    """Why a Redis call failed, fit for a log: the error's type and the server's or the socket's own words
    (protected mode's DENIED, WRONGPASS, connection refused), whitespace folded, never the URL or its password."""
    return _describe(error, _secrets_of(url))


def _describe(error: BaseException, secrets: list[str]) -> str:
    text = " ".join(str(error).split())
    for secret in secrets:
        text = text.replace(secret, "***")
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _Reasons:
    """The reason last logged per Redis location: each outage's reason is logged once, and again only when it
    changes or after a call there succeeded (a new outage)."""

    def __init__(self) -> None:
        self._logged: dict[str, str] = {}
        self._lock = threading.Lock()

    def failed(self, location: str, reason: str) -> None:
        with self._lock:
            if self._logged.get(location) == reason:
                return
            self._logged[location] = reason
        log.warning("Redis at %s failed: %s", location, reason)

    def succeeded(self, location: str) -> None:
        if location in self._logged:  # a dict lookup on every call; the lock only once after an outage
            with self._lock:
                self._logged.pop(location, None)


_reasons = _Reasons()
_nesting = threading.local()


class ExplainingRetry(Retry):
    """The fail-fast policy (one immediate retry on a dropped connection, none after a timeout) that also logs why
    a call finally failed. redis-py runs every command, pub/sub read and connection attempt through its client's
    retry policy, so every caller's failures are explained here, while the callers' own warnings say what they
    fall back to. A connection attempt runs inside a command's call: only the outermost call logs or clears."""

    def __init__(self, url: str) -> None:
        super().__init__(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        self.location = redis_location(url)
        self._secrets = _secrets_of(url)

    def call_with_retry(self, do: Callable[[], T], fail: Callable[..., Any], *args: Any, **kwargs: Any) -> T:
        depth = getattr(_nesting, "depth", 0)
        _nesting.depth = depth + 1
        try:
            result = super().call_with_retry(do, fail, *args, **kwargs)
        except RedisError as error:
            if depth == 0:
                _reasons.failed(self.location, _describe(error, self._secrets))
            raise
        finally:
            _nesting.depth = depth
        if depth == 0:
            _reasons.succeeded(self.location)
        return result


def connect(url: str, timeout: float = TIMEOUT_SECONDS) -> redis.Redis:
    """A client that fails fast: one immediate retry on a dropped connection (a pooled one is stale after a Redis
    restart), none after a timeout, so an outage costs at most one timeout and the caller's fallback takes over.
    When a call fails, the reason (what Redis or the socket said) is logged once per outage, without the password."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=ExplainingRetry(url),
        health_check_interval=30,
    )
