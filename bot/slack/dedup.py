"""Answer each Slack event once: Slack redelivers events (X-Slack-Retry-Num) and may send one event_id twice."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import redis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("stackpick.slack")


class Deduplicator(Protocol):
    """Remembers keys for a while; a shared store (Redis SET NX EX) can implement this for several replicas."""

    def first_time(self, key: str) -> bool:
        """True the first time `key` is seen within the retention window, False for every repeat."""
        ...


class MemoryDeduplicator:
    """An in-process TTL set: enough for one replica; Slack's retries arrive within minutes (1 min, then 5)."""

    def __init__(
        self, ttl_seconds: float = 3600.0, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            # Keys are kept in arrival order, so the expired ones are always at the front.
            while self._seen and (next(iter(self._seen.values())) <= now or len(self._seen) >= self.max_keys):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now + self.ttl
            return True

    def __len__(self) -> int:
        return len(self._seen)


class RedisDeduplicator:
    """Shared across replicas: `SET stackpick:event:<key> 1 NX EX ttl` succeeds for exactly one of them.

    Redis down or failing: this process's own memory decides instead (the app keeps answering; an event retried to
    another replica during the outage may then be answered twice), a warning is logged once per outage, Redis is
    tried again at most every `retry_seconds` (so an outage does not cost a timeout per event), and the keys seen
    meanwhile are written to Redis when it is back, so the other replicas skip their retries too.
    """

    PREFIX = "stackpick:event:"

    def __init__(
        self,
        client: redis.Redis,
        ttl_seconds: int = 3600,
        *,
        location: str = "Redis",
        retry_seconds: float = 2.0,
        max_pending: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.location = location
        self.retry_seconds = retry_seconds
        self.max_pending = max_pending
        self._clock = clock
        # Every key is also remembered here: it answers during an outage, and it catches a retry of an event this
        # replica saw before the outage.
        self.memory = MemoryDeduplicator(ttl_seconds=ttl_seconds, clock=clock)
        self._pending: list[str] = []  # keys seen during the outage, to write to Redis once it is back
        self._down_until: float | None = None  # None while Redis works; else when to try it again
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int = 3600, **kwargs: Any) -> RedisDeduplicator:
        from bot.services.redis_client import connect, redis_location

        return cls(connect(url), ttl_seconds, location=f"Redis at {redis_location(url)}", **kwargs)

    @property
    def shared(self) -> bool:
        """False while de-duplication has fallen back to this process."""
        return self._down_until is None

    def first_time(self, key: str) -> bool:
        with self._lock:
            down_until = self._down_until
        if down_until is not None and self._clock() < down_until:
            return self._locally(key)
        try:
            if down_until is not None:
                self._recover()
            new = bool(self.client.set(self.PREFIX + key, 1, nx=True, ex=self.ttl))
        except RedisError as error:
            self._went_down(error)
            return self._locally(key)
        if not new:
            # Not recorded in memory: a concurrent delivery that won the SET may not have checked memory yet, and
            # would then take the key as seen too, and nobody would answer the event.
            return False
        # Redis says new; memory still catches a retry this process saw before Redis lost its keys (a restart).
        return self.memory.first_time(key)

    def _locally(self, key: str) -> bool:
        new = self.memory.first_time(key)
        if new:
            with self._lock:
                if len(self._pending) < self.max_pending:
                    self._pending.append(key)
        return new

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._clock() + self.retry_seconds
        if first:  # once per outage; the retries that fail while it stays down are silent
            log.warning("%s unavailable (%s): de-duplicating Slack events in this process until it is back",
                        self.location, type(error).__name__)

    def _recover(self) -> None:
        # Raises RedisError while Redis is still down; then nothing changes but the next retry time.
        with self._lock:  # taken, not copied: two threads recovering at once must not share a key twice or lose one
            pending, self._pending = self._pending, []
        try:
            if pending:
                pipe = self.client.pipeline(transaction=False)
                for key in pending:
                    pipe.set(self.PREFIX + key, 1, nx=True, ex=self.ttl)
                pipe.execute()
            else:
                self.client.ping()
        except RedisError:
            with self._lock:
                self._pending[:0] = pending
            raise
        with self._lock:
            self._down_until = None
        log.warning("%s is back: de-duplicating Slack events across replicas again (%d key(s) from the outage "
                    "shared)", self.location, len(pending))


def make_deduplicator(settings: Settings) -> Deduplicator:
    """Redis when REDIS_URL is set (several replicas), otherwise this process's memory."""
    if settings.redis_url is None:
        return MemoryDeduplicator()
    dedup = RedisDeduplicator.from_url(settings.redis_url.get_secret_value())
    log.info("de-duplicating Slack events through %s", dedup.location)
    return dedup
