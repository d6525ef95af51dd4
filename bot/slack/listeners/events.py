"""Events: questions by @mention and DM, quiet follow-ups in the threads stackpick answered, and App Home.

A listener decides nothing about a message's meaning: the engine reads it (`Advisor.read`) and the listener obeys.
Whether a thread is stackpick's comes from the thread memory, never from a Web API call, and no listener waits on
one: answers, thread lookups and reactions each run on their own pool.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.render.slack.escape import slack_to_plain
from bot.slack.answering import (
    HINT,
    OFF_IN_CHANNEL,
    Where,
    lookup_then_answer,
    obey,
    read,
    say_line,
    show_working,
    start_answer,
)
from bot.slack.context import AppContext
from bot.slack.home import home_for

log = logging.getLogger("stackpick.slack")

# Message subtypes that are still a person writing to us; edits, joins, bot posts and the rest are not questions.
_QUESTION_SUBTYPES = {None, "thread_broadcast", "file_share"}


def _where(event: dict[str, Any], body: dict[str, Any], private: bool = False) -> Where:
    ts = str(event.get("ts") or "")
    return Where(channel=str(event.get("channel") or ""), ts=ts, thread_ts=str(event.get("thread_ts") or ts),
                 user=event.get("user"), private=private, event_id=body.get("event_id"))


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Events are acked by Bolt before this runs; everything slow goes to a background pool.
        if event.get("bot_id") or event.get("subtype") not in _QUESTION_SUBTYPES:
            return
        mode = ctx.channels.mode(str(event.get("channel") or ""))
        where = _where(event, body, private=mode == "private")
        # The same question can also arrive as a message event: keyed by channel and ts, it is answered once.
        if not ctx.questions.first_time(f"{where.channel}:{where.ts}"):
            return
        if mode == "off":
            ctx.submit(ctx.signals, "saying stackpick is off here", say_line, client=client,
                       where=Where(where.channel, where.ts, where.thread_ts, where.user, private=True),
                       text=OFF_IN_CHANNEL)
            return
        question = slack_to_plain(event.get("text") or "", drop_user=context.bot_user_id)
        if not question:
            ctx.submit(ctx.signals, "posting the hint", say_line, client=client, where=where, text=HINT)
            return
        if where.in_thread:
            earlier = ctx.threads.questions(where.channel, where.thread_ts)
            if earlier is None:
                # A thread stackpick has not answered (or from before a restart): its history is read on the
                # lookup pool, so a lookup waiting on a 429 holds no answer worker. The hourglass shows now.
                show_working(ctx, client, where, done=False)
                ctx.submit(ctx.lookups, "reading a thread", lookup_then_answer, ctx=ctx, client=client, where=where,
                           question=question, bot_user_id=context.bot_user_id, bot_id=context.bot_id,
                           channel=where.channel, thread_ts=where.thread_ts)
                return
            reading = read(ctx, question, earlier)
            if reading is not None:
                obey(ctx, client, where, question, earlier, reading)
                return
            start_answer(ctx, client, where, question, earlier)
            return
        start_answer(ctx, client, where, question, [])

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("subtype") not in _QUESTION_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        if event.get("user") == context.bot_user_id:
            return
        if event.get("channel_type") == "im":
            _direct_message(ctx, client, event, body, context)
            return
        # Outside DMs a plain message is only ours as a follow-up in a thread we answered; a message that
        # mentions us arrives as app_mention too and is answered there.
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if not thread_ts or thread_ts == ts:
            return
        if context.bot_user_id and f"<@{context.bot_user_id}" in (event.get("text") or ""):
            return
        channel = str(event.get("channel") or "")
        mode = ctx.channels.mode(channel)
        if mode in ("off", "mention_only"):
            return
        earlier = ctx.threads.questions(channel, str(thread_ts))
        if earlier is None:
            return  # people talking in a thread we are not part of: nothing read, nothing called
        where = _where(event, body, private=mode == "private")
        if not ctx.questions.first_time(f"{where.channel}:{where.ts}"):
            return
        question = slack_to_plain(event.get("text") or "", drop_user=context.bot_user_id)
        reading = read(ctx, question, earlier)
        if reading is not None:
            obey(ctx, client, where, question, earlier, reading)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event.get("user", "")
        try:
            client.views_publish(user_id=user, view=home_for(ctx, user))
        except Exception:
            log.exception("publishing App Home failed (user=%s)", user)


def _direct_message(ctx: AppContext, client: WebClient, event: dict[str, Any], body: dict[str, Any],
                    context: BoltContext) -> None:
    """A top-level DM is a question; it is answered in a thread under it (follow-ups there reach the assistant
    listener, which answers them the same way)."""
    where = _where(event, body)
    if not ctx.questions.first_time(f"{where.channel}:{where.ts}"):
        return
    question = slack_to_plain(event.get("text") or "", drop_user=context.bot_user_id)
    if not question:
        ctx.submit(ctx.signals, "posting the hint", say_line, client=client, where=where, text=HINT)
        return
    earlier = ctx.threads.questions(where.channel, where.thread_ts) if where.in_thread else None
    start_answer(ctx, client, where, question, earlier or [])
