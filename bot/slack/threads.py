"""The threads stackpick answered and the questions asked in them: known without a Web API call per message."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import redis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("stackpick.slack")

# Enough earlier questions to follow a thread; the first one always stays, the rest are the most recent.
MAX_CONTEXT = 5
# A thread is followed for a week after its last answer; a follow-up after that needs a mention again.
THREAD_TTL_SECONDS = 7 * 24 * 3600
# This process keeps at most this many questions of one thread (the first always stays).
MAX_STORED = 50


def context_of(questions: list[str]) -> list[str]:
    """The first question and the most recent ones: what a follow-up is answered with in mind."""
    if len(questions) > MAX_CONTEXT:
        return [questions[0], *questions[-(MAX_CONTEXT - 1) :]]
    return list(questions)


class ThreadMemory(Protocol):
    """Which threads stackpick answered, with the questions it answered there, oldest first."""

    def questions(self, channel: str, thread_ts: str) -> list[str] | None:
        """The thread's questions (first and most recent), or None for a thread stackpick has not answered."""
        ...

    def remember(self, channel: str, thread_ts: str, question: str) -> None:
        """Record that stackpick answered `question` in this thread."""
        ...


class MemoryThreads:
    """In this process: enough for one replica; bounded, and a thread is forgotten `ttl` after its last answer."""

    def __init__(self, ttl_seconds: float = THREAD_TTL_SECONDS, max_threads: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.max_threads = max_threads
        self._clock = clock
        self._threads: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def questions(self, channel: str, thread_ts: str) -> list[str] | None:
        key = f"{channel}:{thread_ts}"
        with self._lock:
            item = self._threads.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._threads[key]
                return None
            return context_of(item[1])

    def remember(self, channel: str, thread_ts: str, question: str) -> None:
        key = f"{channel}:{thread_ts}"
        now = self._clock()
        with self._lock:
            _, questions = self._threads.pop(key, (0.0, []))
            if question and (not questions or questions[-1] != question):
                questions = [*questions, question]
                if len(questions) > MAX_STORED:
                    questions = [questions[0], *questions[-(MAX_STORED - 1) :]]
            self._threads[key] = (now + self.ttl, questions)  # most recently answered last
            while len(self._threads) > self.max_threads or (
                    self._threads and next(iter(self._threads.values()))[0] <= now):
                self._threads.popitem(last=False)

    def __len__(self) -> int:
        return len(self._threads)


class RedisThreads:
    """Shared by every replica: `stackpick:thread:<channel>:<ts>` holds the first question, `…:recent` the
    latest ones; both expire a week after the last answer.

    Redis down: this process's memory answers (it holds every thread this replica answered), a warning is logged
    once per outage, and Redis is tried again at most every `retry_seconds`, so an outage costs no timeout per
    message.
    """

    PREFIX = "stackpick:thread:"

    def __init__(self, client: redis.Redis, ttl_seconds: int = THREAD_TTL_SECONDS, *, location: str = "Redis",
                 retry_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.location = location
        self.retry_seconds = retry_seconds
        self._clock = clock
        self.memory = MemoryThreads(ttl_seconds=ttl_seconds, clock=clock)
        self._down_until: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RedisThreads:
        from bot.services.redis_client import connect, redis_location

        return cls(connect(url), location=f"Redis at {redis_location(url)}", **kwargs)  # type: ignore[arg-type]

    def _usable(self) -> bool:
        with self._lock:
            return self._down_until is None or self._clock() >= self._down_until

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._clock() + self.retry_seconds
        if first:
            log.warning("%s unavailable (%s): following only the threads this replica answered until it is back",
                        self.location, type(error).__name__)

    def _came_back(self) -> None:
        with self._lock:
            was_down, self._down_until = self._down_until is not None, None
        if was_down:
            log.warning("%s is back: following the threads every replica answered again", self.location)

    def questions(self, channel: str, thread_ts: str) -> list[str] | None:
        if self._usable():
            key = f"{self.PREFIX}{channel}:{thread_ts}"
            try:
                pipe = self.client.pipeline(transaction=False)
                pipe.get(key)
                pipe.lrange(key + ":recent", 0, -1)
                first, recent = pipe.execute()
            except RedisError as error:
                self._went_down(error)
            else:
                self._came_back()
                if first is None:
                    return self.memory.questions(channel, thread_ts)  # answered here while Redis was down
                texts = [first.decode("utf-8", "replace"), *(r.decode("utf-8", "replace") for r in recent)]
                return context_of([t for t in texts if t])
        return self.memory.questions(channel, thread_ts)

    def remember(self, channel: str, thread_ts: str, question: str) -> None:
        self.memory.remember(channel, thread_ts, question)
        if not self._usable():
            return
        key = f"{self.PREFIX}{channel}:{thread_ts}"
        try:
            # The first question is set once (NX); later ones go to a capped list. One round trip.
            pipe = self.client.pipeline(transaction=True)
            pipe.set(key, question, nx=True, ex=self.ttl)
            pipe.expire(key, self.ttl)
            first_set, _ = pipe.execute()
            known = self.memory.questions(channel, thread_ts) or [question]
            if first_set and len(known) > 1:
                # The thread began here while Redis was down: share all of it, not this question as its first.
                pipe = self.client.pipeline(transaction=True)
                pipe.set(key, known[0], ex=self.ttl)
                pipe.delete(key + ":recent")
                pipe.rpush(key + ":recent", *known[1:])
                pipe.expire(key + ":recent", self.ttl)
                pipe.execute()
            elif not first_set:
                pipe = self.client.pipeline(transaction=True)
                pipe.rpush(key + ":recent", question)
                pipe.ltrim(key + ":recent", -(MAX_CONTEXT - 1), -1)
                pipe.expire(key + ":recent", self.ttl)
                pipe.execute()
        except RedisError as error:
            self._went_down(error)
        else:
            self._came_back()


def make_thread_memory(settings: Settings) -> ThreadMemory:
    """Redis when REDIS_URL is set (a follow-up may reach any replica), otherwise this process's memory."""
    if settings.redis_url is None:
        return MemoryThreads()
    threads = RedisThreads.from_url(settings.redis_url.get_secret_value())
    log.info("remembering answered threads through %s", threads.location)
    return threads
