"""Slack's assistant pane through Bolt's `Assistant`: a greeting with suggested prompts, a status while answering,
the thread titled by its question, and follow-ups answered like thread follow-ups (DM threads come here too)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Assistant, BoltContext, Say, SetStatus, SetSuggestedPrompts, SetTitle
from slack_sdk import WebClient

from bot.render.slack.escape import clip, slack_to_plain
from bot.services.prompts import suggested_prompts
from bot.slack.answering import Where, lookup_then_answer, obey, quietly, read, show_working, start_answer
from bot.slack.context import AppContext

log = logging.getLogger("stackpick.slack")

GREETING = (
    "Hi! I answer *Node.js or Python?* for a project: a verdict, the reasons that decide it, and a quote from a "
    "named article behind each. Tell me what you're building, or pick a prompt below."
)
PROMPTS_TITLE = "Try one of these"
TITLE_CHARS = 80

_QUESTION_SUBTYPES = {None, "thread_broadcast", "file_share"}


def register(app: App, ctx: AppContext) -> None:
    assistant = Assistant()

    @assistant.thread_started
    def on_thread_started(payload: dict[str, Any], say: Say, set_suggested_prompts: SetSuggestedPrompts) -> None:
        thread = payload.get("assistant_thread") or {}
        channel, thread_ts = str(thread.get("channel_id") or ""), str(thread.get("thread_ts") or "")
        try:
            say(GREETING)
            # From the rules (their criteria's examples), so a team's own rules bring their own prompts.
            set_suggested_prompts(prompts=suggested_prompts(ctx.advisor.rules), title=PROMPTS_TITLE)
        except Exception:
            log.exception("greeting an assistant thread failed (channel=%s, thread_ts=%s)", channel, thread_ts)
        # Known from now on: the first message here is the thread's question, not a stranger's thread.
        ctx.threads.remember(channel, thread_ts, "")

    @assistant.thread_context_changed
    def on_context_changed(payload: dict[str, Any]) -> None:
        # Answers do not depend on the channel the user is looking at; acking is all (Bolt's default would store
        # the context with a Web API call per change).
        log.debug("assistant thread context changed (%s)", (payload.get("assistant_thread") or {}).get("context"))

    @assistant.user_message
    def on_user_message(payload: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient,
                        set_status: SetStatus, set_title: SetTitle) -> None:
        event = payload
        if event.get("subtype") not in _QUESTION_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        thread_ts = str(event.get("thread_ts") or ts)
        if not ctx.questions.first_time(f"{channel}:{ts}"):
            return
        question = slack_to_plain(event.get("text") or "", drop_user=context.bot_user_id)
        if not question:
            return
        where = Where(channel, ts, thread_ts, event.get("user"), status=set_status, event_id=body.get("event_id"))
        earlier = ctx.threads.questions(channel, thread_ts)
        if earlier is None:
            # A DM thread from before a restart (or the Messages tab): read its questions on the lookup pool.
            show_working(ctx, client, where, done=False)
            ctx.submit(ctx.lookups, "reading a DM thread", lookup_then_answer, ctx=ctx, client=client, where=where,
                       question=question, bot_user_id=context.bot_user_id, bot_id=context.bot_id, channel=channel,
                       thread_ts=thread_ts)
            return
        if not earlier:
            # The pane's first question names the thread in the user's history.
            ctx.submit(ctx.signals, "titling the assistant thread", quietly, call=set_title,
                       text=clip(question, TITLE_CHARS))
            start_answer(ctx, client, where, question, [])
            return
        reading = read(ctx, question, earlier)
        if reading is None:
            start_answer(ctx, client, where, question, earlier)
        else:
            obey(ctx, client, where, question, earlier, reading)

    app.use(assistant)
