"""Channel settings, admins only: `/stackpick config [mode]`, its picker, and the App Home form."""

from __future__ import annotations

import logging
from typing import Any, cast

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answer import CHANNEL_MODES, ChannelMode
from bot.render.slack.channels import (
    BLOCK_CHANNEL_MODE,
    MODE_WORDS,
    channel_config_blocks,
    channel_settings_modal,
    config_usage,
    mode_changed_text,
)
from bot.render.slack.ids import ACTION_CHANNEL_MODE, ACTION_OPEN_CHANNEL_SETTINGS, CHANNEL_SETTINGS_MODAL
from bot.slack.context import AppContext, responder
from bot.slack.home import home_for
from bot.slack.replies import post

log = logging.getLogger("stackpick.slack")

REFUSAL = "Sorry, only stackpick's admins can change how it answers in a channel."
NOT_A_CHANNEL = "Run `/stackpick config` in the channel you want to set up (DMs always get answers)."


def _is_channel(channel: str) -> bool:
    return channel[:1] in ("C", "G")


def config_command(ack: Ack, ctx: AppContext, command: dict[str, Any], rest: str) -> None:
    """`/stackpick config` shows the channel's mode with a picker; `/stackpick config <mode>` sets it."""
    user, channel = command.get("user_id", ""), command.get("channel_id", "")
    if not ctx.settings.is_admin(user):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    if not _is_channel(channel):
        ack(response_type="ephemeral", text=NOT_A_CHANNEL)
        return
    word = rest.strip().lower()
    if not word:
        mode = ctx.channels.mode(channel)
        ack(response_type="ephemeral", text=f"How stackpick answers here: {mode}",
            blocks=channel_config_blocks(channel, mode))
        return
    chosen = MODE_WORDS.get(word)
    if chosen is None:
        ack(response_type="ephemeral", text=f"I don't know that mode. {config_usage()}")
        return
    try:
        ctx.channels.set(channel, chosen, by=user)
    except Exception:
        log.exception("saving the channel setting failed (channel=%s, user=%s)", channel, user)
        ack(response_type="ephemeral", text="Sorry, I couldn't save that; the setting is unchanged. Please try again.")
        return
    log.info("channel %s set to %s by %s", channel, chosen, user)
    ack(response_type="ephemeral", text=mode_changed_text(channel, chosen))


def register(app: App, ctx: AppContext) -> None:
    @app.action(ACTION_CHANNEL_MODE)
    def on_mode_picked(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        action = (body.get("actions") or [{}])[0]
        block = str(action.get("block_id") or "")
        channel = block.split(":", 1)[1] if block.startswith(BLOCK_CHANNEL_MODE + ":") else ""
        mode = str((action.get("selected_option") or {}).get("value") or "")
        url = body.get("response_url")
        # Checked again here: the picker is only shown to admins, but a forged click must not change anything.
        if not ctx.settings.is_admin(user) or not _is_channel(channel) or mode not in CHANNEL_MODES:
            if url:
                responder(url).send(response_type="ephemeral", replace_original=False, text=REFUSAL)
            return
        chosen = cast(ChannelMode, mode)
        try:
            ctx.channels.set(channel, chosen, by=user)
        except Exception:
            log.exception("saving the channel setting failed (channel=%s, user=%s)", channel, user)
            return
        if url:
            responder(url).send(replace_original=True, text=mode_changed_text(channel, chosen),
                                blocks=channel_config_blocks(channel, chosen, changed_by=user))

    @app.action(ACTION_OPEN_CHANNEL_SETTINGS)
    def on_open_settings(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        if not ctx.settings.is_admin(user):
            post(client, user, REFUSAL)
            return
        try:
            client.views_open(trigger_id=body.get("trigger_id", ""), view=channel_settings_modal())
        except Exception:
            log.exception("opening the channel settings form failed (user=%s)", user)

    @app.view(CHANNEL_SETTINGS_MODAL)
    def on_settings_saved(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = (body.get("user") or {}).get("id", "")
        values = (view.get("state") or {}).get("values") or {}
        channel = str((values.get("channel", {}).get("channel") or {}).get("selected_conversation") or "")
        mode = str(((values.get("mode", {}).get("mode") or {}).get("selected_option") or {}).get("value") or "")
        if not ctx.settings.is_admin(user):
            ack()
            post(client, user, REFUSAL)
            return
        if not _is_channel(channel):
            ack(response_action="errors", errors={"channel": "Pick a public or private channel."})
            return
        if mode not in CHANNEL_MODES:
            ack(response_action="errors", errors={"mode": "Pick one of the modes."})
            return
        ack()
        try:
            ctx.channels.set(channel, cast(ChannelMode, mode), by=user)
        except Exception:
            log.exception("saving the channel setting failed (channel=%s, user=%s)", channel, user)
            post(client, user, "Sorry, I couldn't save that channel setting; it is unchanged. Please try again.")
            return
        try:
            client.views_publish(user_id=user, view=home_for(ctx, user))
        except Exception:
            log.exception("refreshing App Home failed (user=%s)", user)
