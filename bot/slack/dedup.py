"""Answer each Slack event once: Slack redelivers events (X-Slack-Retry-Num) and may send one event_id twice."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


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
