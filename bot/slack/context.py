"""What every listener shares: advisor, librarian, settings, feedback store, workers and Web API clients."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.answer import Answer, Assessment
from bot.services.channels import ChannelSettings
from bot.services.feedback import FeedbackStore
from bot.services.notices import IndexNoticeListener
from bot.settings import Settings
from bot.slack.dedup import Deduplicator, MemoryDeduplicator
from bot.slack.threads import MemoryThreads, ThreadMemory

if TYPE_CHECKING:
    from bot.engine import Advisor
    from bot.services.library import Librarian

log = logging.getLogger("stackpick.slack")

REFUSAL = (
    "Sorry, only stackpick's admins can change the library. Ask one of them, or suggest the article in a message "
    "to them. Everyone can ask questions: `/stackpick help`."
)
NO_LIBRARIAN = "Curation isn't enabled on this deployment: ask the maintainers to run `stackpick index add` instead."


def retry_handlers() -> list[RetryHandler]:
    """Retries for every Web API and response_url call: a 429 waits for Retry-After, 5xx and dropped connections
    are retried with backoff, so a message is not lost to a transient error.

    slack_sdk counts attempts across all handlers together (a handler retries while the total is below its own
    maximum), so the maxima leave room for a mix: a dropped connection and a 429 must not use up the 5xx retries.
    """
    return [
        ConnectionErrorRetryHandler(max_retry_count=4),
        RateLimitErrorRetryHandler(max_retry_count=6),
        ServerErrorRetryHandler(max_retry_count=4),
    ]


def make_web_client(settings: Settings) -> WebClient:
    """The bot's Web API client, pointed at `SLACK_API_URL` (Slack's, or a local fake in tests)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(token=token, base_url=base_url, timeout=30, retry_handlers=retry_handlers())


def responder(response_url: str) -> WebhookClient:
    """A client for one `response_url`, with the same retries as the Web API client."""
    return WebhookClient(response_url, timeout=30, retry_handlers=retry_handlers())


class RecentResults:
    """The last few answers and assessments shown privately (or as a card), so "Share in channel" and "Full
    scorecard" show exactly what the user saw."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, result: Answer) -> str:
        key = uuid.uuid4().hex[:16]
        with self._lock:
            self._items[key] = result
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return key

    def get(self, key: str | None) -> Answer | None:
        with self._lock:
            return self._items.get(key or "")

    def assessment(self, key: str | None) -> Assessment | None:
        found = self.get(key)
        return found if isinstance(found, Assessment) else None


@dataclass
class AppContext:
    """Handed to every listener module's `register(app, ctx)`."""

    settings: Settings
    advisor: Advisor
    librarian: Librarian | None
    feedback: FeedbackStore
    channels: ChannelSettings
    # Answers and assessments run here, not in Bolt's listener pool, so a burst of slow questions never delays
    # the 3-second ack of a slash command or a button click.
    jobs: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="stackpick-answer")
    )
    # Reading a thread's history (conversations.replies) runs apart: a lookup waiting on a 429 never holds a
    # worker an answer needs (a mention in a thread stackpick does not know yet).
    lookups: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="stackpick-lookup")
    )
    # The hourglass and the assistant pane's status: shown at once, whoever is busy, and never in Bolt's listener
    # pool, whose threads also send the acks.
    signals: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="stackpick-signal")
    )
    # The threads stackpick answered, so a message in any other thread costs nothing (no Web API call).
    threads: ThreadMemory = field(default_factory=MemoryThreads)
    # One curation at a time: two rebuilds racing would waste minutes and publish in an arbitrary order.
    curation: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="stackpick-curate")
    )
    # The same question can reach us as an app_mention and as a message event (if message.channels is subscribed):
    # keyed by channel and message ts, this answers it once.
    questions: Deduplicator = field(default_factory=MemoryDeduplicator)
    recent: RecentResults = field(default_factory=RecentResults)
    notices: IndexNoticeListener | None = None  # the Redis listener that drops the channel-settings cache

    def curation_refusal(self, user: str | None) -> str | None:
        """Why `user` may not change the library here (not an admin, or curation is off); None when they may.

        Every curation entry point asks this, so a forged form or button gets the same answer as the command.
        """
        if not self.settings.is_admin(user):
            return REFUSAL
        if self.librarian is None:
            return NO_LIBRARIAN
        return None

    def submit(self, pool: ThreadPoolExecutor, what: str, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        """Run `fn(**kwargs)` in the background, logging (with context, never tokens) anything it raises."""

        def run() -> Any:
            try:
                return fn(**kwargs)
            except Exception:
                details = {k: v for k, v in kwargs.items() if k in ("channel", "ts", "thread_ts", "user")}
                log.exception("%s failed %s", what, details)
                raise

        return pool.submit(run)

    def shutdown(self) -> None:
        for pool in (self.jobs, self.lookups, self.signals, self.curation):
            pool.shutdown(wait=False, cancel_futures=True)
        if self.notices is not None:
            self.notices.stop()
