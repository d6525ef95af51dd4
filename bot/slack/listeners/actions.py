"""Buttons: "Full assessment" and "Full scorecard" (a modal), 👍/👎 (stored with the answer's criteria, acknowledged
in place), "Share in channel" (an assessment, or a private answer), and "Add article"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answer import Assessment
from bot.render.slack.answer import criterion_choices, feedback_ack_block
from bot.render.slack.assessment import scorecard_modal
from bot.render.slack.ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_FULL_ASSESSMENT,
    ACTION_FULL_SCORECARD,
    ACTION_OPEN_ADD_ARTICLE,
    ACTION_SHARE,
    ACTION_SHARE_ANSWER,
    BLOCK_ANSWER_ACTIONS,
    BLOCK_FEEDBACK_ACK,
    decode_value,
    encode_value,
)
from bot.render.slack.modals import add_article_modal, feedback_reason_modal
from bot.render.slack.primitives import MAX_MESSAGE_BLOCKS
from bot.slack.answering import share_answer
from bot.slack.context import AppContext, responder
from bot.slack.jobs import find_assessment, share_assessment
from bot.slack.replies import post

log = logging.getLogger("stackpick.slack")


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


def _where(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """(channel, message ts, thread ts) of the message the button sits on."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or message.get("ts", "")
    return channel, ts, message.get("thread_ts")


def register(app: App, ctx: AppContext) -> None:
    @app.action(ACTION_FULL_ASSESSMENT)
    def on_full_assessment(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        # The answer's scorecard opens privately in a modal instead of another card in the thread. Made here,
        # not on the answer pool: the trigger expires three seconds after the click, and an assessment takes
        # milliseconds.
        ack()
        question = str(decode_value(_action(body).get("value")).get("q") or "")
        _open_scorecard(client, body, lambda: ctx.advisor.assess(question))

    @app.action(ACTION_FULL_SCORECARD)
    def on_full_scorecard(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = decode_value(_action(body).get("value"))
        _open_scorecard(client, body, lambda: find_assessment(ctx, value))

    @app.action(ACTION_SHARE_ANSWER)
    def on_share_answer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel, _, _ = _where(body)
        ctx.submit(
            ctx.jobs,
            "sharing an answer",
            share_answer,
            ctx=ctx,
            client=client,
            value=decode_value(_action(body).get("value")),
            user=body.get("user", {}).get("id", ""),
            response_url=body.get("response_url"),
            channel=channel,
        )

    @app.action(ACTION_FEEDBACK_UP)
    def on_feedback_up(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _feedback(ctx, body, client, "up")

    @app.action(ACTION_FEEDBACK_DOWN)
    def on_feedback_down(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _feedback(ctx, body, client, "down")

    @app.action(ACTION_SHARE)
    def on_share(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel, _, _ = _where(body)
        ctx.submit(
            ctx.jobs,
            "sharing an assessment",
            share_assessment,
            ctx=ctx,
            client=client,
            value=decode_value(_action(body).get("value")),
            user=body.get("user", {}).get("id", ""),
            response_url=body.get("response_url"),
            channel=channel,
        )

    @app.action(ACTION_OPEN_ADD_ARTICLE)
    def on_open_add_article(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        refusal = ctx.curation_refusal(user)
        if refusal:
            post(client, user, refusal)
            return
        try:
            client.views_open(trigger_id=body.get("trigger_id", ""), view=add_article_modal())
        except Exception:
            log.exception("opening the add-article form failed (user=%s)", user)


def _open_scorecard(client: WebClient, body: dict[str, Any], make: Callable[[], Assessment]) -> None:
    user = body.get("user", {}).get("id", "")
    try:
        client.views_open(trigger_id=body.get("trigger_id", ""), view=scorecard_modal(make()))
    except Exception:
        log.exception("opening the full scorecard failed (user=%s)", user)


def _feedback(ctx: AppContext, body: dict[str, Any], client: WebClient, vote: str) -> None:
    """Store the click with the answer's criteria, ask a 👎 which of them was wrong, and show the tally."""
    user = body.get("user", {}).get("id", "")
    channel, ts, _ = _where(body)
    value = decode_value(_action(body).get("value"))
    message_key = f"{channel}:{ts}"
    criteria = [str(c) for c in value.get("c") or [] if isinstance(c, str)]
    try:
        feedback_id = ctx.feedback.record(
            str(value.get("q") or ""),
            str(value.get("v") or "unknown"),
            user,
            "up" if vote == "up" else "down",
            message=message_key,
            criteria=criteria,
        )
    except Exception:
        log.exception("storing feedback failed (user=%s, message=%s)", user, message_key)
        return
    if vote == "down" and body.get("trigger_id"):
        # The trigger expires three seconds after the click, so the form opens before anything slower.
        labels = {c.id: c.label for c in ctx.advisor.rules.criteria}
        metadata = encode_value({"f": feedback_id, "m": message_key}, shrink="m", limit=3000)
        try:
            client.views_open(trigger_id=body["trigger_id"],
                              view=feedback_reason_modal(criterion_choices(criteria, labels), metadata))
        except Exception:
            log.exception("opening the feedback form failed (user=%s)", user)
    _acknowledge_in_place(ctx, body, client, channel, ts, message_key)


def _acknowledge_in_place(
    ctx: AppContext, body: dict[str, Any], client: WebClient, channel: str, ts: str, message_key: str
) -> None:
    message = body.get("message") or {}
    blocks = [b for b in message.get("blocks") or [] if b.get("block_id") != BLOCK_FEEDBACK_ACK]
    if not blocks or not channel or not ts:
        return
    up, down = ctx.feedback.counts_for(message_key)
    ack_block = feedback_ack_block(up, down).to_dict()
    # The buttons stay (others in the channel may vote too); the thanks and tally go right under them.
    at = next((i + 1 for i, b in enumerate(blocks) if b.get("block_id") == BLOCK_ANSWER_ACTIONS), len(blocks))
    blocks.insert(at, ack_block)
    try:
        if (body.get("container") or {}).get("is_ephemeral") and body.get("response_url"):
            # A private answer has no message to chat.update: its response_url replaces it in place.
            responder(body["response_url"]).send(replace_original=True, blocks=blocks[:MAX_MESSAGE_BLOCKS],
                                                 text=message.get("text") or "")
        else:
            client.chat_update(channel=channel, ts=ts, blocks=blocks[:MAX_MESSAGE_BLOCKS],
                               text=message.get("text") or "")
    except Exception:
        log.exception("acknowledging feedback in place failed (channel=%s, ts=%s)", channel, ts)
