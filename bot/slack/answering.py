"""Questions, from the listener to the reply: obey what the engine says a message is, answer in the background,
deliver in the thread (or privately), and remember the thread; thread lookups run apart from answers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.answer import Answer, Reading
from bot.engine import QuestionError
from bot.render.slack.answer import answer_blocks, answer_fallback_text
from bot.render.slack.escape import escape, escape_clip, slack_to_plain
from bot.render.slack.ids import encode_value
from bot.render.slack.primitives import APOLOGY
from bot.slack.context import AppContext, responder
from bot.slack.replies import post, post_ephemeral, react
from bot.slack.threads import context_of

log = logging.getLogger("stackpick.slack")

STATUS_WAIT = 5.0  # seconds an answer waits, at most, for its hourglass or pane status to show before it is posted
HINT = "Ask me something like `@stackpick Node or Python for a real-time chat app?`, or try `/stackpick help`."
OFF_IN_CHANNEL = ("An admin has switched me off in this channel. Ask me in a DM, or in another channel with "
                  "`@stackpick`.")

Status = Callable[[str], Any]  # Bolt's set_status for an assistant thread


@dataclass(frozen=True)
class Where:
    """Where a question was asked and how its answer is delivered."""

    channel: str
    ts: str  # the message being answered
    thread_ts: str  # the thread the reply goes in
    user: str | None = None
    private: bool = False  # chat.postEphemeral to `user` (the channel's setting), with a "Share in channel" button
    status: Status | None = None  # the assistant pane: a status line instead of the hourglass
    event_id: str | None = None

    @property
    def in_thread(self) -> bool:
        return self.thread_ts != self.ts


# --------------------------------------------------------------------------------------------------------------
# Obeying the engine


def obey(ctx: AppContext, client: WebClient, where: Where, question: str, earlier: Sequence[str],
         reading: Reading) -> None:
    """Do what the engine says a message in a thread stackpick answered is: answer a question or follow-up,
    post its one line for another technology or topic, and stay quiet on chatter."""
    if reading.answerable:
        start_answer(ctx, client, where, question, earlier)
    elif reading.reply:
        ctx.submit(ctx.signals, "posting a one-line reply", say_line, client=client, where=where, text=reading.reply)
    else:
        log.debug("chatter in an answered thread, left alone (channel=%s, ts=%s)", where.channel, where.ts)


def read(ctx: AppContext, question: str, earlier: Sequence[str]) -> Reading | None:
    """The engine's reading of a message, or None (logged) when it could not be read."""
    try:
        return ctx.advisor.read(question, context=earlier)
    except Exception:
        log.exception("reading a message failed; leaving it unanswered")
        return None


def start_answer(ctx: AppContext, client: WebClient, where: Where, question: str, earlier: Sequence[str]) -> None:
    """Show that the question is being worked on (now, not when a worker is free), then answer in the background."""
    shown = show_working(ctx, client, where, done=False)
    start_job(ctx, client, where, question, earlier, shown)


def show_working(ctx: AppContext, client: WebClient, where: Where, done: bool) -> Future[Any] | None:
    """The hourglass on the question (or the pane's status), set and cleared on the signal pool."""
    if where.status is not None:
        if done:
            return None  # Slack clears the status when the reply is posted
        return ctx.submit(ctx.signals, "setting the assistant status", quietly, call=where.status,
                          text=status_text(len(ctx.advisor.engine.index.articles)))
    return ctx.submit(ctx.signals, "updating the hourglass", react, client=client, channel=where.channel,
                      ts=where.ts, add=not done)


def status_text(articles: int) -> str:
    """The assistant pane's status while an answer is worked out: what stackpick is actually doing."""
    return f"Weighing {articles} {'article' if articles == 1 else 'articles'}…"


def quietly(call: Status, text: str) -> None:
    # Cosmetic: an assistant status that fails (a DM thread outside the pane) is only worth a debug line.
    try:
        call(text)
    except Exception as error:
        log.debug("assistant status/title not set: %s", error)


# --------------------------------------------------------------------------------------------------------------
# Answering and delivering


def answer_job(*, ctx: AppContext, client: WebClient, where: Where, question: str, earlier: list[str],
               shown: Future[Any] | None = None, **_log_context: object) -> None:
    """Answer one question with the thread's earlier questions in mind, and deliver it where it was asked."""
    try:
        answer = ctx.advisor.ask(question, context=earlier)
        if shown is not None:
            # The pane's status is cleared by the reply: one set after the reply would stay on. And an hourglass
            # that lands after the answer (its pool busy, a slow call) comes and goes under a question already
            # answered. So wait (briefly) for it to be shown before posting; it almost always already is.
            with contextlib.suppress(Exception):
                shown.result(timeout=STATUS_WAIT)
        deliver(ctx, client, where, answer, question)
    except QuestionError as error:
        apologize(client, where, text=f"{escape(str(error))}\n{HINT}")
    except Exception:
        log.exception("answering failed (channel=%s, ts=%s, user=%s, event_id=%s, follow_up=%s)", where.channel,
                      where.ts, where.user, where.event_id, bool(earlier))
        apologize(client, where)
    finally:
        show_working(ctx, client, where, done=True)


def deliver(ctx: AppContext, client: WebClient, where: Where, answer: Answer, question: str) -> None:
    """Post the answer in its thread, or privately with a button that shares it; then follow the thread."""
    text = answer_fallback_text(answer)
    if where.private and where.user:
        share = encode_value({"k": ctx.recent.put(answer), "t": where.thread_ts, "q": answer.question})
        post_ephemeral(client, where.channel, where.user, text, answer_blocks(answer, share_value=share),
                       thread_ts=where.thread_ts)
    else:
        post(client, where.channel, text, answer_blocks(answer), thread_ts=where.thread_ts)
    ctx.threads.remember(where.channel, where.thread_ts, question)


def say_line(*, client: WebClient, where: Where, text: str) -> None:
    """One short line in the thread (privately where the channel's answers are private)."""
    if where.private and where.user:
        post_ephemeral(client, where.channel, where.user, escape_clip(text, 500), thread_ts=where.thread_ts)
    else:
        post(client, where.channel, escape_clip(text, 500), thread_ts=where.thread_ts)


def apologize(client: WebClient, where: Where, text: str = APOLOGY) -> None:
    """The user hears something when things go wrong; if even that fails, the log has both errors."""
    try:
        _say_markup(client, where, text)
    except Exception:
        log.exception("could not post the apology either (channel=%s, thread_ts=%s)", where.channel, where.thread_ts)


def _say_markup(client: WebClient, where: Where, text: str) -> None:
    # Our own text with markup (`code`), already escaped where it echoes anything.
    if where.private and where.user:
        post_ephemeral(client, where.channel, where.user, text, thread_ts=where.thread_ts)
    else:
        post(client, where.channel, text, thread_ts=where.thread_ts)


# --------------------------------------------------------------------------------------------------------------
# A mention in a thread stackpick does not know yet: read the thread first, on the lookup pool


def lookup_then_answer(*, ctx: AppContext, client: WebClient, where: Where, question: str, bot_user_id: str | None,
                       bot_id: str | None, **_log_context: object) -> None:
    """Read the thread's history (the one Web API call a question may need before its answer), then answer."""
    try:
        bot_answered, earlier = thread_questions(client, where.channel, where.thread_ts, where.ts, bot_user_id,
                                                 bot_id)
    except Exception:
        log.exception("reading the thread failed (channel=%s, thread_ts=%s)", where.channel, where.thread_ts)
        bot_answered, earlier = False, []
    if not bot_answered:
        start_job(ctx, client, where, question, [])  # a mention in someone else's thread is a new question
        return
    for earlier_question in earlier:
        ctx.threads.remember(where.channel, where.thread_ts, earlier_question)
    reading = read(ctx, question, earlier)
    if reading is not None and not reading.answerable:
        show_working(ctx, client, where, done=True)
        obey(ctx, client, where, question, earlier, reading)
        return
    start_job(ctx, client, where, question, earlier)


def start_job(ctx: AppContext, client: WebClient, where: Where, question: str, earlier: Sequence[str],
              shown: Future[Any] | None = None) -> None:
    """Queue the answer (the hourglass is already on; `shown` is the call that put it there)."""
    ctx.submit(ctx.jobs, "answering a question", answer_job, ctx=ctx, client=client, where=where, question=question,
               earlier=list(earlier), shown=shown, channel=where.channel, ts=where.ts)


def thread_questions(
    client: WebClient, channel: str, thread_ts: str, current_ts: str, bot_user_id: str | None, bot_id: str | None
) -> tuple[bool, list[str]]:
    """Whether the bot has replied in this thread, and the questions asked before `current_ts`, oldest first."""
    response = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
    messages: list[dict[str, Any]] = list(response.get("messages") or [])

    def from_bot(message: dict[str, Any]) -> bool:
        return bool(
            (bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id)
        )

    bot_answered = any(from_bot(m) for m in messages)
    questions: list[str] = []
    for message in messages:
        if from_bot(message) or message.get("bot_id") or _ts(message.get("ts")) >= _ts(current_ts):
            continue
        is_parent = message.get("ts") == thread_ts
        mentions_bot = bool(bot_user_id) and f"<@{bot_user_id}" in (message.get("text") or "")
        # In a channel thread only the first message and messages addressed to us are questions; in a DM every
        # message is (DM channel ids start with D).
        if is_parent or mentions_bot or channel.startswith("D"):
            text = slack_to_plain(message.get("text") or "", drop_user=bot_user_id)
            if text:
                questions.append(text)
    return bot_answered, context_of(questions)


def _ts(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


# --------------------------------------------------------------------------------------------------------------
# "Share in channel" under a private answer


def share_answer(*, ctx: AppContext, client: WebClient, value: dict[str, Any], user: str, response_url: str | None,
                 channel: str) -> None:
    """Post the private answer in its thread for everyone, then remove the private copy (through response_url:
    an ephemeral message has no ts to delete by)."""
    thread_ts = str(value.get("t") or "") or None
    answer = ctx.recent.get(value.get("k"))
    try:
        if answer is None:
            # Shown before a restart: answered again from the question (deterministic for one index version).
            answer = ctx.advisor.ask(str(value.get("q") or ""))
        post(client, channel, answer_fallback_text(answer), answer_blocks(answer, shared_by=user), thread_ts=thread_ts)
        if thread_ts:
            ctx.threads.remember(channel, thread_ts, answer.question)
        if response_url:
            responder(response_url).send(delete_original=True)
    except Exception:
        log.exception("sharing an answer failed (user=%s, channel=%s)", user, channel)
        apologize(client, Where(channel, thread_ts or "", thread_ts or "", user, private=True))
