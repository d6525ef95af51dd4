"""Listeners by Slack surface; each module has `register(app, ctx)` and stays thin (ack, delegate, log)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.context import AppContext
from bot.slack.listeners import actions, assistant, channel_config, commands, events, views


def register_all(app: App, ctx: AppContext) -> None:
    # The assistant first: its middleware takes the pane's (and DM threads') events before the message listener.
    for module in (assistant, events, commands, actions, views, channel_config):
        module.register(app, ctx)
