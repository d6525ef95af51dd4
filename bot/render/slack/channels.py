"""Per-channel settings as admins see them: the `/stackpick config` picker, the App Home section and its form."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.answer import CHANNEL_MODES, ChannelMode, ChannelSetting

from .escape import escape_clip
from .ids import ACTION_CHANNEL_MODE, ACTION_OPEN_CHANNEL_SETTINGS, CHANNEL_SETTINGS_MODAL
from .primitives import MAX_SECTION_TEXT, button, context, fit_lines, mrkdwn, option, plain, section

# What each mode is called, and what it does, in every place an admin meets it.
MODE_NAMES: dict[str, str] = {
    "thread": "Answer in thread",
    "private": "Answer privately",
    "mention_only": "Mentions only",
    "off": "Off",
}
MODE_HELP: dict[str, str] = {
    "thread": "answers mentions and follow-ups in the thread, for everyone (the default)",
    "private": "answers only the asker (with a *Share in channel* button), in the thread",
    "mention_only": "answers @mentions in the thread; follow-ups need a mention too",
    "off": "does not answer in this channel (a mention gets a private note saying so)",
}
# What an admin may type after `/stackpick config`.
MODE_WORDS: dict[str, ChannelMode] = {
    "thread": "thread", "public": "thread", "default": "thread", "private": "private", "ephemeral": "private",
    "mention-only": "mention_only", "mention_only": "mention_only", "mentions": "mention_only",
    "mention": "mention_only", "off": "off", "disable": "off", "disabled": "off",
}
BLOCK_CHANNEL_MODE = "channel_mode"  # + ":<channel id>", so the picker says which channel it configures


def channel_ref(channel: str) -> str:
    """`<#C123>`: Slack shows the channel's name; only a channel id from a payload goes in here."""
    return f"<#{channel}>" if channel[:1] in ("C", "G") and channel.isalnum() else escape_clip(channel, 40)


def _mode_options() -> list:
    return [option(mode, MODE_NAMES[mode]) for mode in CHANNEL_MODES]


def channel_config_blocks(channel: str, mode: ChannelMode, changed_by: str | None = None) -> list[Block]:
    """The `/stackpick config` reply: the channel's mode, what it does, and a picker to change it."""
    options = _mode_options()
    current = next(o for o in options if o.value == mode)
    head = f"*How stackpick answers in {channel_ref(channel)}:* {MODE_NAMES[mode]}, it {MODE_HELP[mode]}."
    if changed_by:
        head = f"✅ Set by <@{changed_by}>. " + head
    picker = StaticSelectElement(action_id=ACTION_CHANNEL_MODE, options=options, initial_option=current,
                                 placeholder=plain("Choose a mode", 150))
    return [
        SectionBlock(text=mrkdwn(head[:MAX_SECTION_TEXT]), accessory=picker,
                     block_id=f"{BLOCK_CHANNEL_MODE}:{channel}"[:255]),
        context(["\n".join(f"*{MODE_NAMES[m]}*: {MODE_HELP[m]}" for m in CHANNEL_MODES)]),
    ]


def config_usage() -> str:
    return ("`/stackpick config` shows how I answer in this channel; `/stackpick config thread|private|"
            "mention-only|off` changes it (admins only).")


def mode_changed_text(channel: str, mode: ChannelMode) -> str:
    return f"✅ In {channel_ref(channel)} stackpick now: {MODE_NAMES[mode]} (it {MODE_HELP[mode]})."


def home_channel_section(settings: Sequence[ChannelSetting]) -> list[Block]:
    """App Home, for admins: the channels whose mode is not the default, and a button to change one."""
    configured = [s for s in settings if s.mode != "thread"]
    if configured:
        lines = [f"• {channel_ref(s.channel)}: *{MODE_NAMES[s.mode]}*" for s in sorted(configured,
                                                                                        key=lambda s: s.channel)]
    else:
        lines = ["_Every channel: answer in thread (the default)._"]
    return [
        section(fit_lines(["*Channel settings*", *lines[:60], *(["…"] if len(lines) > 60 else [])]),
                block_id="channel_settings"),
        ActionsBlock(elements=[button("Change a channel's setting", ACTION_OPEN_CHANNEL_SETTINGS, "open")],
                     block_id="channel_settings_actions"),
    ]


def channel_settings_modal() -> View:
    """The App Home form: pick a channel and how stackpick answers there."""
    return View(
        type="modal",
        callback_id=CHANNEL_SETTINGS_MODAL,
        title=plain("Channel settings", 24),
        submit=plain("Save", 24),
        close=plain("Cancel", 24),
        blocks=[
            InputBlock(block_id="channel", label=plain("Channel", 2000),
                       element=ConversationSelectElement(
                           action_id="channel", placeholder=plain("Pick a channel", 150),
                           filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True))),
            InputBlock(block_id="mode", label=plain("How stackpick answers there", 2000),
                       element=RadioButtonsElement(
                           action_id="mode",
                           options=[option(m, MODE_NAMES[m]) for m in CHANNEL_MODES],
                           initial_option=option("thread", MODE_NAMES["thread"]))),
            context(["\n".join(f"*{MODE_NAMES[m]}*: {MODE_HELP[m]}" for m in CHANNEL_MODES)]),
        ],
    )
