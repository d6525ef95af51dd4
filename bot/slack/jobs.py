"""The slow half of each listener, run in the background after the ack: answer, assess, share, curate."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answer import Assessment
from bot.engine import ProjectTraits, QuestionError
from bot.render.slack.answer import answer_blocks, answer_fallback_text
from bot.render.slack.assessment import assessment_blocks, assessment_fallback_text
from bot.render.slack.curation import curation_report_text
from bot.render.slack.escape import escape, escape_clip, slack_to_plain
from bot.render.slack.ids import encode_value
from bot.render.slack.primitives import APOLOGY
from bot.slack.context import AppContext, responder
from bot.slack.replies import apologize, post, react, respond
from index.store import IndexUnavailable
from knowledge.ingest import IngestError, check_source

if TYPE_CHECKING:
    from bot.answer import AddReport

log = logging.getLogger("stackpick.slack")

# Enough earlier questions to follow a thread; the first one always stays, the rest are the most recent.
MAX_CONTEXT = 5
HINT = "Ask me something like `@stackpick Node or Python for a real-time chat app?`, or try `/stackpick help`."


# --------------------------------------------------------------------------------------------------------------
# Questions


def answer_question(
    *,
    ctx: AppContext,
    client: WebClient,
    event: dict[str, Any],
    bot_user_id: str | None,
    bot_id: str | None,
    require_bot_thread: bool,
    event_id: str | None = None,
) -> None:
    """Answer one question in its thread, with the thread's earlier questions as context for a follow-up."""
    channel: str = event["channel"]
    ts: str = event["ts"]
    thread_ts: str | None = event.get("thread_ts")
    reply_ts = thread_ts or ts
    if not ctx.questions.first_time(f"{channel}:{ts}"):
        return
    question = slack_to_plain(event.get("text") or "", drop_user=bot_user_id)

    earlier: list[str] = []
    if thread_ts and thread_ts != ts:
        try:
            bot_answered, earlier = thread_questions(client, channel, thread_ts, ts, bot_user_id, bot_id)
        except Exception:
            log.exception("reading the thread failed (channel=%s, thread_ts=%s)", channel, thread_ts)
            bot_answered = False
        if require_bot_thread and not bot_answered:
            return  # people talking in a thread we are not part of
        if not bot_answered:
            earlier = []

    if not question:
        post(client, channel, HINT, thread_ts=reply_ts)
        return
    react(client, channel, ts, add=True)
    try:
        answer = ctx.advisor.ask(question, context=earlier)
        post(client, channel, answer_fallback_text(answer), answer_blocks(answer), thread_ts=reply_ts)
    except QuestionError as error:
        apologize(client, channel, reply_ts, text=f"{escape(str(error))}\n{HINT}")
    except Exception:
        log.exception(
            "answering failed (channel=%s, ts=%s, user=%s, event_id=%s, follow_up=%s)",
            channel,
            ts,
            event.get("user"),
            event_id,
            bool(earlier),
        )
        apologize(client, channel, reply_ts)
    finally:
        react(client, channel, ts, add=False)


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
    if len(questions) > MAX_CONTEXT:
        questions = [questions[0], *questions[-(MAX_CONTEXT - 1) :]]
    return bot_answered, questions


def _ts(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


# --------------------------------------------------------------------------------------------------------------
# Assessments


def assessment_in_thread(*, ctx: AppContext, client: WebClient, question: str, channel: str, thread_ts: str) -> None:
    """The "Full assessment" button: the scorecard for the thread's question, posted in the thread."""
    try:
        assessment = ctx.advisor.assess(question)
        post(client, channel, assessment_fallback_text(assessment), assessment_blocks(assessment, False), thread_ts)
    except Exception:
        log.exception("full assessment failed (channel=%s, thread_ts=%s)", channel, thread_ts)
        apologize(client, channel, thread_ts)


def assessment_to_response_url(*, ctx: AppContext, description: str, response_url: str, user: str) -> None:
    """`/stackpick <description>`: the scorecard, visible only to the caller, with a "Share in channel" button."""
    webhook = responder(response_url)
    try:
        assessment = ctx.advisor.assess(description)
        share = encode_value({"k": ctx.recent.put(assessment), "d": assessment.question}, shrink="d")
        respond(
            webhook,
            response_type="ephemeral",
            text=assessment_fallback_text(assessment),
            blocks=assessment_blocks(assessment, True, share_value=share),
            unfurl_links=False,
        )
    except Exception as error:
        log.exception("assessment via response_url failed (user=%s)", user)
        text = f"{escape(str(error))}" if isinstance(error, QuestionError) else APOLOGY
        try:
            webhook.send(response_type="ephemeral", text=text)
        except Exception:
            log.exception("could not send the apology to response_url either (user=%s)", user)


def assessment_from_traits(
    *, ctx: AppContext, client: WebClient, traits: ProjectTraits, user: str, channel: str
) -> None:
    """The traits form: the scorecard goes to the user's DM with the app, shareable to the channel it came from."""
    try:
        assessment = ctx.advisor.assess_traits(traits)
        share = encode_value(
            {"k": ctx.recent.put(assessment), "c": channel, "t": traits.to_value(), "d": ""}, shrink="d"
        )
        blocks = assessment_blocks(assessment, bool(channel), share_value=share)
        post(client, user, assessment_fallback_text(assessment), blocks)
    except Exception:
        log.exception("assessment from traits failed (user=%s, channel=%s)", user, channel)
        apologize(client, user)


def share_assessment(
    *, ctx: AppContext, client: WebClient, value: dict[str, Any], user: str, response_url: str | None, channel: str
) -> None:
    """ "Share in channel": post the same scorecard for everyone, then remove the private copy when we can."""
    assessment = ctx.recent.get(value.get("k"))
    try:
        if assessment is None:
            # Shown before a restart: the advisor is deterministic for one index version, so recompute it.
            assessment = _recompute(ctx, value)
        blocks = assessment_blocks(assessment, False, shared_by=user)
        text = assessment_fallback_text(assessment)
        target = value.get("c")
        if response_url and not target:
            webhook = responder(response_url)
            respond(webhook, response_type="in_channel", text=text, blocks=blocks, unfurl_links=False)
            webhook.send(delete_original=True)
            return
        try:
            post(client, target or channel, text, blocks)
        except SlackApiError as error:
            if error.response.get("error") in ("not_in_channel", "channel_not_found"):
                post(
                    client, user, f"I can't post in <#{target or channel}>: invite me there with `/invite @stackpick`."
                )
                return
            raise
    except Exception:
        log.exception("sharing an assessment failed (user=%s, channel=%s)", user, channel)
        apologize(client, user)


def _recompute(ctx: AppContext, value: dict[str, Any]) -> Assessment:
    if isinstance(value.get("t"), dict):
        return ctx.advisor.assess_traits(ProjectTraits.read(ctx.advisor.rules, value["t"]))
    return ctx.advisor.assess(str(value.get("d") or ""))


# --------------------------------------------------------------------------------------------------------------
# Curation


# A file path, or a URL of any scheme: each is a source to add (and refused from Slack unless it is http(s)), so
# `/stackpick add file:///etc/passwd` is refused as curation rather than assessed as a project description.
SOURCE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|<[a-z][a-z0-9+.-]*://[^>]+>|/\S+|~/\S+|\.\.?/\S+)$", re.IGNORECASE)


def parse_add(text: str) -> tuple[list[str], bool] | None:
    """`add [--force] <url or path> ...` -> (sources, force); None when the words after "add" are not sources,
    so `/stackpick add a chat feature to our Python app` stays an ordinary description."""
    words = text.split()
    force = "--force" in words
    sources = [w for w in words if w != "--force"]
    if not sources or not all(SOURCE.match(s) for s in sources):
        return None
    # Slack wraps links it recognises as <url> or <url|label>; the URL is what we fetch.
    return [s.strip("<>").split("|", 1)[0] for s in sources], force


def slack_source_refusal(sources: list[str]) -> str | None:
    """Why these sources cannot be added from Slack (a path, `file://` or another scheme), before anything is read;
    None when all are http(s) URLs (whose addresses are checked when they are fetched)."""
    for source in sources:
        try:
            check_source(source, files=False)
        except IngestError as error:
            return str(error)
    return None


def run_curation(
    *,
    ctx: AppContext,
    client: WebClient,
    user: str,
    what: str,
    action: Callable[[], AddReport],
    kind: str = "add",
    subject: str = "",
) -> None:
    """Add, remove, rebuild or roll back in the background, switch the running advisor to the new index, and DM the
    admin a summary (`kind` says which, `subject` names what was removed)."""
    try:
        report = action()
    except (IngestError, IndexUnavailable) as error:
        post(client, user, f"❌ Couldn't {what}: {escape_clip(str(error), 1000)}")
        return
    except Exception:
        log.exception("curation failed (user=%s, what=%s)", user, what)
        apologize(
            client,
            user,
            text=f"❌ Something went wrong during the {what}; the current index is still live. It has been logged.",
        )
        return
    text = curation_report_text(report, kind, subject)
    try:
        ctx.advisor.reload_if_changed()
    except Exception:
        # The new version is published either way; the reload watcher keeps trying, so say so rather than fail.
        log.exception("switching to the new index failed (version=%s)", report.version)
        text += "\n⚠️ This bot has not switched to it yet; it keeps trying, and a restart also picks it up."
    post(client, user, text)
