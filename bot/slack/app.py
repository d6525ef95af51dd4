"""Build the Bolt app: Web API client with retries, request verification, event de-duplication, listeners."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.services.channels import SETTINGS_CHANNEL, ChannelSettings
from bot.services.feedback import FeedbackStore
from bot.services.notices import publish_notice, start_notice_listener
from bot.settings import Settings
from bot.slack.context import AppContext, make_web_client
from bot.slack.dedup import Deduplicator, make_deduplicator
from bot.slack.listeners import register_all
from bot.slack.threads import ThreadMemory, make_thread_memory

if TYPE_CHECKING:
    from bot.engine import Advisor
    from bot.services.library import Librarian

log = logging.getLogger("stackpick.slack")


class _TokenFromClientIsUsed(logging.Filter):
    # Bolt also reads SLACK_BOT_TOKEN from the environment and then warns that it "will be unused" because we pass
    # a client; that client carries the same token, so the warning would only mislead whoever reads the log.
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.App").addFilter(_TokenFromClientIsUsed())


def build_app(
    settings: Settings,
    advisor: Advisor,
    librarian: Librarian | None = None,
    *,
    client: WebClient | None = None,
    feedback: FeedbackStore | None = None,
    events_seen: Deduplicator | None = None,
    channels: ChannelSettings | None = None,
    threads: ThreadMemory | None = None,
) -> App:
    """The Slack app around `advisor`; `librarian` enables curation; `client` replaces the default Web API client."""
    if client is None:
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set: see `stackpick serve --help`")
        client = make_web_client(settings)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=client,
        # Request verification is always on: Bolt rejects unsigned, mis-signed and >5-minute-old requests with 401.
        # Socket Mode needs no secret (Bolt skips the check there); without one, a random secret makes every HTTP
        # request fail verification instead of accepting requests signed with an empty key.
        signing_secret=signing_secret or secrets.token_hex(32),
        # Ack first, work after: Slack wants an answer within 3 s, an answer takes longer.
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="stackpick-listener"),
        name="stackpick",
    )
    store = feedback or FeedbackStore.from_settings(settings)
    ctx = AppContext(
        settings=settings,
        advisor=advisor,
        librarian=librarian,
        feedback=store,
        # In the feedback database, so every replica reads the same settings; a change is announced through Redis
        # (when configured) so the others drop their cache at once, not only after its 30 s.
        channels=channels or ChannelSettings(store.engine, on_change=lambda c: publish_notice(settings,
                                                                                               SETTINGS_CHANNEL, c)),
        # Shared through Redis when REDIS_URL is set: a follow-up may reach any replica.
        threads=threads or make_thread_memory(settings),
    )
    ctx.notices = start_notice_listener(settings, SETTINGS_CHANNEL, ctx.channels.invalidate)
    # Shared through Redis when REDIS_URL is set, so a retry delivered to another replica is still answered once.
    seen = events_seen or make_deduplicator(settings)

    @app.middleware
    def answer_each_event_once(body: dict[str, Any], next: Any) -> BoltResponse | None:
        # Runs after signature verification, so a forged request cannot mark a real event as seen.
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not seen.first_time(str(event_id)):
            log.info("skipping a redelivered event (event_id=%s)", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("type") if isinstance(body, dict) else None
        log.error("unhandled error in a listener (request type=%s): %r", kind, error, exc_info=error)

    register_all(app, ctx)
    return app
