"""The index-published notice: announced through Redis by whoever publishes, heard by every serving replica."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .redis_client import TIMEOUT_SECONDS, connect, redis_location

if TYPE_CHECKING:
    from bot.engine import Advisor
    from bot.settings import Settings

log = logging.getLogger("stackpick.shared")

INDEX_CHANNEL = "stackpick:index"


def publish_index_version(settings: Settings, version: str) -> bool:
    """Tell every replica that `version` is published, so they switch now instead of at their next poll.

    Best effort: without REDIS_URL or with Redis down it returns False, and replicas still find the version by
    polling the index folder (bot.slack.startup.ReloadWatcher).
    """
    if settings.redis_url is None or not version:
        return False
    url = settings.redis_url.get_secret_value()
    client = connect(url)
    try:
        receivers = client.publish(INDEX_CHANNEL, version)
    except RedisError as error:
        log.warning("could not announce index version %s through Redis at %s (%s); replicas will find it by "
                    "polling", version, redis_location(url), type(error).__name__)
        return False
    finally:
        client.close()
    log.info("announced index version %s to %d subscriber(s)", version, receivers)
    return True


class IndexNoticeListener(threading.Thread):
    """Subscribes to the index channel and calls `on_notice(version)` for each notice; reconnects with backoff.

    After every (re)subscription `on_notice(None)` is called once: notices sent while this process was not
    listening are lost (pub/sub keeps nothing), so it catches up by checking the index folder.
    """

    def __init__(
        self,
        url: str,
        on_notice: Callable[[str | None], object],
        channel: str = INDEX_CHANNEL,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        super().__init__(name="stackpick-index-notices", daemon=True)
        self.url = url
        self.on_notice = on_notice
        self.channel = channel
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stopped = threading.Event()
        self.subscribed = threading.Event()  # set while subscribed and caught up: callers can wait for it
        # What the log calls these notices, and what covers for them during an outage.
        self.what = "index notices"
        self.meanwhile = "polling the index folder"

    def run(self) -> None:
        backoff = self.min_backoff
        outage = False
        while not self.stopped.is_set():
            client = connect(self.url)
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._confirmed(pubsub)
                if outage:
                    log.warning("Redis at %s is back: listening for %s again", redis_location(self.url), self.what)
                outage, backoff = False, self.min_backoff
                self._deliver(None)  # notices published meanwhile wait in the subscription: none is lost
                self.subscribed.set()
                while not self.stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        data = message["data"]
                        self._deliver(data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data))
            except (RedisError, OSError) as error:
                self.subscribed.clear()
                if not outage:  # once per outage, not once per reconnect attempt
                    log.warning("%s from Redis at %s unavailable (%s); retrying with backoff, and %s meanwhile",
                                self.what, redis_location(self.url), type(error).__name__, self.meanwhile)
                    outage = True
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            finally:
                self.subscribed.clear()
                pubsub.close()
                client.close()

    def _confirmed(self, pubsub: redis.client.PubSub) -> None:
        # Only once Redis confirms the subscription is every later notice sure to arrive.
        deadline = time.monotonic() + 5 * TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=TIMEOUT_SECONDS)
            if message and message.get("type") == "subscribe":
                return
        raise RedisTimeoutError(f"no confirmation of the subscription to {self.channel}")

    def _deliver(self, version: str | None) -> None:
        try:
            self.on_notice(version)
        except Exception:  # a failed reload must not end the subscription; the next notice or poll tries again
            log.exception("handling the index notice (version %s) failed", version)

    def stop(self) -> None:
        self.stopped.set()


def start_index_listener(settings: Settings, advisor: Advisor) -> IndexNoticeListener | None:
    """With REDIS_URL set, reload `advisor` as soon as any process announces a new index version."""
    if settings.redis_url is None:
        return None

    def on_notice(version: str | None) -> None:
        if advisor.reload_if_changed():
            log.info("switched to index version %s on a notice", version or "(caught up after subscribing)")

    listener = IndexNoticeListener(settings.redis_url.get_secret_value(), on_notice)
    listener.start()
    log.info("listening for index notices on Redis at %s", redis_location(listener.url))
    return listener


def publish_notice(settings: Settings, channel: str, message: str) -> bool:
    """Announce `message` on a Redis channel (best effort, like the index notice); False without Redis or when it
    cannot be reached."""
    if settings.redis_url is None:
        return False
    url = settings.redis_url.get_secret_value()
    client = connect(url)
    try:
        client.publish(channel, message)
    except RedisError as error:
        log.warning("could not announce on %s through Redis at %s (%s)", channel, redis_location(url),
                    type(error).__name__)
        return False
    finally:
        client.close()
    return True


def start_notice_listener(settings: Settings, channel: str, on_notice: Callable[[str | None], object]
                          ) -> IndexNoticeListener | None:
    """With REDIS_URL set, call `on_notice` for every message on `channel` (and once after each subscription)."""
    if settings.redis_url is None:
        return None
    listener = IndexNoticeListener(settings.redis_url.get_secret_value(), on_notice, channel=channel)
    listener.name = f"stackpick-notices-{channel.rsplit(':', 1)[-1]}"
    listener.what = f"notices on {channel}"
    listener.meanwhile = "re-reading after the cache's time-out"
    listener.start()
    return listener
