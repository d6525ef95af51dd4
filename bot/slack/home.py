"""App Home for one user: the library for everyone; the channel settings and curation buttons for admins."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.render.slack.home import home_view
from bot.slack.context import AppContext


def home_for(ctx: AppContext, user: str) -> View:
    admin = ctx.settings.is_admin(user)
    channels = list(ctx.channels.all().values()) if admin else None
    return home_view(ctx.advisor.library_summary(), is_admin=admin, channel_settings=channels)
