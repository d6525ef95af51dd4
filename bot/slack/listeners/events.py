"""Events: questions by @mention and DM (answered in the thread, follow-ups with context) and the App Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.render.slack.home import home_view
from bot.slack.context import AppContext
from bot.slack.jobs import answer_question

log = logging.getLogger("stackpick.slack")

# Message subtypes that are still a person writing to us; edits, joins, bot posts and the rest are not questions.
_QUESTION_SUBTYPES = {None, "thread_broadcast", "file_share"}


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Events are acked by Bolt before this runs; the answer itself goes to the background pool.
        if event.get("bot_id") or event.get("subtype") not in _QUESTION_SUBTYPES:
            return
        ctx.submit(
            ctx.jobs,
            "answering a mention",
            answer_question,
            ctx=ctx,
            client=client,
            event=event,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            require_bot_thread=False,
            event_id=body.get("event_id"),
        )

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("subtype") not in _QUESTION_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        if event.get("user") == context.bot_user_id:
            return
        if event.get("channel_type") == "im":
            require_bot_thread = False
        else:
            # Outside DMs a plain message is only ours as a follow-up in a thread we answered; a message that
            # mentions us arrives as app_mention too and is answered there.
            thread_ts = event.get("thread_ts")
            if not thread_ts or thread_ts == event.get("ts"):
                return
            if context.bot_user_id and f"<@{context.bot_user_id}" in (event.get("text") or ""):
                return
            require_bot_thread = True
        ctx.submit(
            ctx.jobs,
            "answering a message",
            answer_question,
            ctx=ctx,
            client=client,
            event=event,
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            require_bot_thread=require_bot_thread,
            event_id=body.get("event_id"),
        )

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event.get("user", "")
        try:
            view = home_view(ctx.advisor.library_summary(), is_admin=ctx.settings.is_admin(user))
            client.views_publish(user_id=user, view=view)
        except Exception:
            log.exception("publishing App Home failed (user=%s)", user)
