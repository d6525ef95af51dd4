"""Security: request signatures cannot be switched off, curation is for admins only, secrets never reach the logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from reliability import Replica, free_port, replica_env
from services import RedisServer
from slack_fakes import ADMIN, BOT_USER, SIGNING_SECRET, USER, FakeSlack, Running, SlackSender, serve

from bot.engine import Advisor
from bot.render.slack.ids import ACTION_OPEN_ADD_ARTICLE
from bot.settings import Settings
from bot.slack.credentials import CredentialsError
from bot.slack.startup import run_http

QUESTION = "Node or Python for a real-time chat app?"
# What someone might set hoping to skip verification (Bolt's own switch is a constructor argument, not a variable).
SWITCHES = {
    "SLACK_REQUEST_VERIFICATION_ENABLED": "false",
    "REQUEST_VERIFICATION_ENABLED": "false",
    "SLACK_SIGNATURE_VERIFICATION": "off",
    "STACKPICK_VERIFY_SIGNATURES": "false",
    "STACKPICK_SKIP_SIGNATURE_CHECK": "1",
    "STACKPICK_INSECURE": "1",
    "STACKPICK_DEBUG": "1",
}


def mention_body(ts: str) -> str:
    return json.dumps({
        "type": "event_callback", "event_id": f"Ev{uuid.uuid4().hex}", "team_id": "T1", "api_app_id": "A1",
        "event": {"type": "app_mention", "user": USER, "text": f"<@{BOT_USER}> {QUESTION}", "ts": ts, "channel": "C1"},
    })


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def forged_requests(body: str) -> dict[str, dict[str, str]]:
    """Headers of requests that are not what Slack sent, each named by how it is wrong."""
    now = str(int(time.time()))
    good = sign(SIGNING_SECRET, now, body)
    other_body = mention_body("999.000100")
    return {
        "no signature headers": {},
        "timestamp only": {"X-Slack-Request-Timestamp": now},
        "signature only": {"X-Slack-Signature": good},
        "empty signature": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": ""},
        "another secret": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign("guess", now, body)},
        "an empty secret": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign("", now, body)},
        "signature of another body": {"X-Slack-Request-Timestamp": now,
                                      "X-Slack-Signature": sign(SIGNING_SECRET, now, other_body)},
        "signature replayed with a new timestamp": {"X-Slack-Request-Timestamp": str(int(now) + 1),
                                                    "X-Slack-Signature": good},
        "stale (5 min 1 s old)": {"X-Slack-Request-Timestamp": str(int(now) - 301),
                                  "X-Slack-Signature": sign(SIGNING_SECRET, str(int(now) - 301), body)},
        # Well past the 5-minute window: one second past it was accepted whenever the check ran a second late.
        "from the future (6 min ahead)": {"X-Slack-Request-Timestamp": str(int(now) + 360),
                                          "X-Slack-Signature": sign(SIGNING_SECRET, str(int(now) + 360), body)},
        "other version prefix": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v1=" + good[3:]},
        "upper-case digest": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + good[3:].upper()},
        "fractional timestamp": {"X-Slack-Request-Timestamp": now + ".5", "X-Slack-Signature": good},
    }


def assert_all_refused(bot: Running) -> None:
    body = mention_body("40.000100")
    for how, headers in forged_requests(body).items():
        response = bot.slack.http.post("/slack/events", content=body.encode(),
                                       headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 401, how
    # The same goes for a slash command: an unsigned `/stackpick reindex` "from an admin" rebuilds nothing.
    form = httpx.QueryParams({"command": "/stackpick", "text": "reindex", "user_id": ADMIN, "channel_id": "C1",
                              "response_url": bot.fake.response_url("forged"), "trigger_id": "t"})
    assert bot.slack.http.post("/slack/events", content=str(form).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
    bot.fake.settle()
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []  # nothing reached a listener


def test_every_forged_unsigned_or_stale_request_is_401_and_reaches_no_listener(bot: Running) -> None:
    assert_all_refused(bot)
    assert bot.slack.mention(QUESTION, ts="50.000100").status_code == 200  # control: what Slack sends is served
    bot.fake.wait_for("chat.postMessage")


def test_no_setting_or_variable_switches_signature_verification_off(
    settings: Settings, shared_advisor: Advisor, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [*Settings.model_fields, *(str(f.validation_alias) for f in Settings.model_fields.values())]
    assert [n for n in names if re.search(r"verif|skip|insecure|unsafe|signature_check", n, re.IGNORECASE)] == []
    for name, value in SWITCHES.items():
        monkeypatch.setenv(name, value)
    with serve(Settings(), shared_advisor, fake_slack) as bot:
        assert_all_refused(bot)


def test_without_a_signing_secret_no_request_is_accepted(
    settings: Settings, shared_advisor: Advisor, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Socket Mode needs no secret, so the app can be built without one; over HTTP it must then accept nothing,
    # not requests signed with an empty key.
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    no_secret = Settings()
    assert no_secret.slack_signing_secret is None
    with serve(no_secret, shared_advisor, fake_slack) as bot:
        body = mention_body("60.000100")
        for secret in ("", "None", SIGNING_SECRET):
            now = int(time.time())
            response = bot.slack.post(body, "application/json", timestamp=now, signature=sign(secret, str(now), body))
            assert response.status_code == 401, repr(secret)
        fake_slack.settle()
        assert fake_slack.ok_calls("chat.postMessage") == []


@pytest.mark.parametrize("secret", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_http_mode_refuses_to_start_without_a_signing_secret(settings: Settings, secret: str | None) -> None:
    port = free_port()
    without = settings.model_copy(update={"slack_signing_secret": SecretStr(secret) if secret is not None else None})
    with pytest.raises(CredentialsError, match="SLACK_SIGNING_SECRET is missing"):
        run_http(without, port=port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)  # it never listened


def test_the_serve_command_exits_without_a_signing_secret(env: dict[str, str], tmp_path: Path) -> None:
    process_env = replica_env(env, env["SLACK_API_URL"], tmp_path)
    del process_env["SLACK_SIGNING_SECRET"]
    port = free_port()
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)],
                            env=process_env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is missing" in result.stderr + result.stdout


# --------------------------------------------------------------------------------------------------------------
# Admin actions


def test_a_forged_add_article_button_from_a_non_admin_opens_nothing(bot: Running) -> None:
    assert bot.slack.click(ACTION_OPEN_ADD_ARTICLE, "add", user=USER).status_code == 200
    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == USER and "only stackpick's admins" in dm.args["text"]
    bot.fake.settle()
    assert bot.fake.ok_calls("views.open") == []
    bot.slack.click(ACTION_OPEN_ADD_ARTICLE, "add", user=ADMIN)  # control: the admin gets the form
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "add_article_modal"


def test_app_home_offers_curation_to_admins_only(bot: Running) -> None:
    for user in (USER, ADMIN):
        bot.slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    calls = bot.fake.wait_for("views.publish", count=2)
    views = {c.args["user_id"]: json.dumps(c.args["view"]) for c in calls}
    assert ACTION_OPEN_ADD_ARTICLE not in views[USER]
    assert ACTION_OPEN_ADD_ARTICLE in views[ADMIN]


# --------------------------------------------------------------------------------------------------------------
# Secrets in logs


def test_secrets_never_reach_the_logs_of_a_debug_serve_run(
    index_env: dict[str, str], redis_factory: Callable[..., RedisServer], tmp_path: Path
) -> None:
    redis = redis_factory()
    assert redis.password
    fake = FakeSlack()
    fake._thread.start()
    values = {
        "SLACK_BOT_TOKEN": f"xoxb-{secrets.token_hex(8)}-{secrets.token_hex(12)}",
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_APP_TOKEN": f"xapp-1-A1-{secrets.token_hex(16)}",
        "REDIS_URL": redis.url,
    }
    env = replica_env(index_env, fake.api_url, tmp_path / "app", STACKPICK_LOG_LEVEL="DEBUG", **values)
    replica = Replica("app", env, tmp_path / "app").start()
    slack = SlackSender(replica.url, fake, secret=values["SLACK_SIGNING_SECRET"])
    try:
        replica.wait_ready()
        # Every path that logs: answers, assessments, refusals, and Redis failing and coming back.
        assert slack.mention(QUESTION, ts="70.000100", event_id="EvSecret1").status_code == 200
        assert slack.command("a chat app with live updates", response="sec").status_code == 200
        assert slack.post(mention_body("71.000100"), "application/json", signature="v0=" + "0" * 64).status_code == 401
        assert slack.post("{" * 100, "application/json").status_code == 400
        assert slack.post(" " * (2 << 20), "application/json").status_code == 413
        fake.wait_for("chat.postMessage")
        fake.wait_for("response_url")
        redis.kill()
        assert slack.mention(QUESTION, ts="72.000100", event_id="EvSecret2").status_code == 200
        fake.wait_for("chat.postMessage", count=2)
        redis.start()
        time.sleep(2.5)
        assert slack.mention(QUESTION, ts="73.000100", event_id="EvSecret3").status_code == 200
        fake.wait_for("chat.postMessage", count=3)
    finally:
        slack.http.close()
        replica.stop()
        fake.server.shutdown()
        fake.server.server_close()
    log = replica.log_text()
    # The run really logged in detail, including the error paths where a URL or token would most likely leak.
    assert " DEBUG slack_sdk.web.base_client: Sending a request" in log and " DEBUG slack_bolt" in log
    assert f"Redis at 127.0.0.1:{redis.port} unavailable" in log and "is back" in log
    leaks = {name: value for name, value in values.items() if value in log}
    pieces = {
        "bot token without its prefix": values["SLACK_BOT_TOKEN"].removeprefix("xoxb-"),
        "app token without its prefix": values["SLACK_APP_TOKEN"].removeprefix("xapp-1-A1-"),
        "Redis password": redis.password,
    }
    leaks.update({name: value for name, value in pieces.items() if value in log})
    assert leaks == {}, f"leaked into the log: {sorted(leaks)}"
    # Nor did any secret go to Slack in a message (the bot token travels only in the Authorization header).
    sent = "\n".join(c.dump() for c in fake.calls)
    assert not [name for name, value in {**values, **pieces}.items() if value in sent]
