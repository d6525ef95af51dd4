"""Posting back to Slack: thread replies, DMs, apologies and the "working on it" reaction, each failure logged."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient

from bot.render.slack.primitives import APOLOGY

log = logging.getLogger("stackpick.slack")

WORKING_REACTION = "hourglass_flowing_sand"


def post(
    client: WebClient,
    channel: str,
    text: str,
    blocks: Sequence[Block] | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """chat.postMessage without link unfurls: cited articles are linked in the sources line already."""
    response = client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=text,
        blocks=list(blocks) if blocks else None,
        unfurl_links=False,
        unfurl_media=False,
    )
    return dict(response.data) if isinstance(response.data, dict) else {}


def post_ephemeral(
    client: WebClient,
    channel: str,
    user: str,
    text: str,
    blocks: Sequence[Block] | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """chat.postEphemeral: only `user` sees it (a channel whose answers are private)."""
    response = client.chat_postEphemeral(
        channel=channel, user=user, text=text, blocks=list(blocks) if blocks else None, thread_ts=thread_ts
    )
    return dict(response.data) if isinstance(response.data, dict) else {}


def respond(webhook: WebhookClient, **message: Any) -> None:
    """Send to a `response_url`; anything but a 200 raises, so the caller's apology path runs."""
    response = webhook.send(**message)
    if response.status_code != 200:
        raise RuntimeError(f"response_url answered {response.status_code}: {response.body[:200]}")


def apologize(client: WebClient, channel: str, thread_ts: str | None = None, text: str = APOLOGY) -> None:
    """The user hears something when things go wrong; if even that fails, the log has both errors."""
    try:
        post(client, channel, text, thread_ts=thread_ts)
    except Exception:
        log.exception("could not post the apology either (channel=%s, thread_ts=%s)", channel, thread_ts)


def react(client: WebClient, channel: str, ts: str, add: bool) -> None:
    """Show (or clear) the hourglass on the question; cosmetic, so a failure is only a warning."""
    try:
        if add:
            client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
        else:
            client.reactions_remove(channel=channel, timestamp=ts, name=WORKING_REACTION)
    except SlackApiError as error:
        if error.response.get("error") not in ("already_reacted", "no_reaction"):
            log.warning("reactions.%s failed (channel=%s, ts=%s): %s", "add" if add else "remove", channel, ts, error)
    except Exception as error:
        log.warning("reaction update failed (channel=%s, ts=%s): %s", channel, ts, error)
