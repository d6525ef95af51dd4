"""Listeners by Slack surface; each module has `register(app, ctx)` and stays thin (ack, delegate, log)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.context import AppContext
from bot.slack.listeners import actions, commands, events, views


def register_all(app: App, ctx: AppContext) -> None:
    for module in (events, commands, actions, views):
        module.register(app, ctx)
