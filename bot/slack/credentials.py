"""The Slack credentials each mode needs: what is missing or malformed, and where in Slack's app settings to find it."""

from __future__ import annotations

from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings

Mode = Literal["http", "socket"]

# Where each credential lives in the app's settings at https://api.slack.com/apps (pick the app).
WHERE = {
    "SLACK_BOT_TOKEN": "OAuth & Permissions → Bot User OAuth Token (starts with xoxb-; install the app to the "
    "workspace first)",
    "SLACK_SIGNING_SECRET": "Basic Information → App Credentials → Signing Secret",
    "SLACK_APP_TOKEN": "Basic Information → App-Level Tokens → Generate Token and Scopes, with the "
    "connections:write scope (starts with xapp-)",
}
_KINDS = {"xoxb-": "a bot token", "xoxp-": "a user token", "xapp-": "an app-level token", "xoxe": "a refresh token"}
# Slack's answers to auth.test that no retry will fix.
_FATAL_AUTH = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed"}


class CredentialsError(RuntimeError):
    """Slack credentials are missing, malformed or rejected; `problems` says which and where to get them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _kind(value: str) -> str:
    # Names the kind of token that was given (never the token itself) so the fix is obvious.
    for prefix, kind in _KINDS.items():
        if value.startswith(prefix):
            return f" (this looks like {kind})"
    return ""


def check_credentials(settings: Settings, mode: Mode) -> list[str]:
    """Human-readable problems with the Slack credentials `mode` needs; an empty list means ready to start."""
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_APP_TOKEN": settings.slack_app_token,
    }
    needed = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if mode == "http" else "SLACK_APP_TOKEN"]
    prefixes = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
    problems = []
    for name in needed:
        secret = values[name]
        value = secret.get_secret_value() if secret is not None else ""
        if not value.strip():
            why = " HTTP mode verifies every request with it and will not start without it." if "SIGN" in name else ""
            problems.append(f"{name} is missing: {WHERE[name]}.{why}")
        elif value != value.strip() or any(c in value for c in "'\" "):
            problems.append(f"{name} contains spaces or quotes: copy it again from {WHERE[name]}.")
        elif name in prefixes and not value.startswith(prefixes[name]):
            problems.append(f"{name} should start with {prefixes[name]}{_kind(value)}: {WHERE[name]}.")
    return problems


def verify_bot_token(client: WebClient) -> None:
    """Fail fast on a token Slack rejects; a network problem is left for the retries to sort out."""
    try:
        client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        if code in _FATAL_AUTH:
            raise CredentialsError([f"Slack rejected SLACK_BOT_TOKEN ({code}): {WHERE['SLACK_BOT_TOKEN']}."]) from None
        raise
