"""The Slack manifest asks for exactly the scopes the code uses (each with its reason), subscribes to the events the
listeners handle, and fits Slack's manifest limits, so it installs in one paste."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "slack-manifest.yaml"
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))

# The scopes each Web API method the bot calls needs (docs.slack.dev/reference/methods); None: no scope.
METHOD_SCOPES: dict[str, set[str] | None] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "reactions_add": {"reactions:write"},
    "reactions_remove": {"reactions:write"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},  # public, private, DM threads
    "views_open": None,
    "views_publish": None,
    "auth_test": None,
    "is_connected": None,  # the Socket Mode client's own state (bot/slack/health.py), not a Web API method
}
# Bolt's Assistant utilities, called by name in the listeners.
UTILITY_SCOPES = {"set_suggested_prompts": "assistant:write", "set_status": "assistant:write",
                  "set_title": "assistant:write", "say": "chat:write"}
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "app_home_opened": None,
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def needed_scopes() -> dict[str, str]:
    """Every scope the code needs, with what needs it."""
    needs: dict[str, str] = {}
    called = set(re.findall(r"\bclient\.([a-z]+_[A-Za-z]+)\(", CODE))  # Web API methods: chat_postMessage...
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"Web API methods with no known scope here, add them to METHOD_SCOPES: {unknown}"
    for method in called:
        for scope in METHOD_SCOPES[method] or ():
            needs.setdefault(scope, method)
    for utility, scope in UTILITY_SCOPES.items():
        if re.search(rf"\b{utility}\(|call={utility}\b", CODE):
            needs.setdefault(scope, utility)
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        scope = EVENT_SCOPES[event]
        if scope:
            needs.setdefault(scope, event)
    if "@app.command(" in CODE:
        needs["commands"] = "/stackpick"
    if re.search(r"\bpost\(client, user\b", CODE):  # a DM to a user id opens the conversation with them
        needs["im:write"] = "post(client, user, ...)"
    return needs


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses_each_with_its_reason() -> None:
    asked = manifest()["oauth_config"]["scopes"]["bot"]
    needs = needed_scopes()
    assert sorted(asked) == sorted(needs), {"unused": set(asked) - set(needs), "missing": set(needs) - set(asked)}
    assert "users:read" not in asked and "im:read" not in asked
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    for scope in asked:  # each scope line says why it is there
        [line] = [ln for ln in lines if re.match(rf"\s*- {re.escape(scope)}\s", ln + " ")]
        assert "#" in line and len(line.split("#", 1)[1].strip()) > 10, line


def test_every_subscribed_event_has_a_listener_and_the_assistant_is_declared() -> None:
    data = manifest()
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == set(EVENT_SCOPES)
    for event in ("app_mention", "app_home_opened"):
        assert f'@app.event("{event}")' in CODE
    assert '@app.event("message")' in CODE  # message.im / .channels / .groups
    assert "@assistant.thread_started" in CODE and "@assistant.thread_context_changed" in CODE
    assert "@assistant.user_message" in CODE and "app.use(assistant)" in CODE
    assert data["features"]["assistant_view"]["assistant_description"].strip()
    assert data["settings"]["interactivity"]["is_enabled"] is True


def test_the_manifest_fits_slacks_limits() -> None:
    data = manifest()
    info = data["display_information"]
    assert 1 <= len(info["name"]) <= 35 and 1 <= len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/stackpick" and len(command["description"]) <= 2000
    assert len(command["usage_hint"]) <= 1000
    assert all(len(e) <= 50 for e in data["settings"]["event_subscriptions"]["bot_events"])
    assert len(data["features"]["bot_user"]["display_name"]) <= 80
