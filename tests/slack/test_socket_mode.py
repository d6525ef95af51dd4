"""Socket Mode end to end: a real `stackpick serve` process (SLACK_APP_TOKEN set) connects to a local websocket
server the fake Web API hands out; envelopes in, acks and Web API calls out; reconnects; the health port."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_fakes import BOT_USER, DEADLINE, FakeSlack, block_text, blocks_of
from socket_fakes import FakeSocketMode

from bot.render.slack.ids import ACTION_FULL_ASSESSMENT, encode_value

BOT_TOKEN = "xoxb-socket-test-token"
APP_TOKEN = "xapp-1-A1-socket-test-token"
USER = "USOCK"
HEALTH = re.compile(r"Socket Mode health check on (http://127\.0\.0\.1:\d+/healthz)")


@dataclass
class SocketBot:
    fake: FakeSlack
    ws: FakeSocketMode
    process: subprocess.Popen[bytes]
    log: Path
    health_url: str
    before_connecting: tuple[int, dict[str, Any]]

    def health(self) -> tuple[int, dict[str, Any]]:
        response = httpx.get(self.health_url, timeout=DEADLINE)
        return response.status_code, response.json()

    def wait_for_health(self, status: str) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        seen: tuple[int, dict[str, Any]] = (0, {})
        while time.monotonic() < deadline:
            seen = self.health()
            if seen[1].get("status") == status:
                return seen[1] | {"code": seen[0]}
            time.sleep(0.05)
        raise AssertionError(f"health never said {status!r}; last: {seen}")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for_line(bot_log: Path, pattern: re.Pattern[str], process: subprocess.Popen[bytes]) -> re.Match[str]:
    deadline = time.monotonic() + 2 * DEADLINE
    while time.monotonic() < deadline:
        match = pattern.search(bot_log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match
        if process.poll() is not None:
            raise AssertionError(f"stackpick serve exited ({process.returncode}):\n{bot_log.read_text()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern.pattern!r} in the log:\n{bot_log.read_text()[-3000:]}")


def stackpick_command() -> list[str]:
    script = Path(sys.executable).with_name("stackpick")  # the console script `pip install` made
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@pytest.fixture(scope="module")
def socket_bot(index_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketBot]:
    """`stackpick serve --health-port 0` in Socket Mode against the fake Web API and a local websocket server.

    The first apps.connections.open is held until the health port has been seen saying "disconnected", so that
    state is observed for certain; then the bot connects and the tests send their envelopes.
    """
    root = tmp_path_factory.mktemp("socket-mode")
    fake = FakeSlack()
    fake._thread.start()
    with FakeSocketMode() as ws:
        fake.socket_url = ws.url
        gate = fake.hold("apps.connections.open")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STACKPICK_", "REDIS_URL"))}
        env.update(index_env)
        env.update({
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": fake.api_url,
            "STACKPICK_ADMINS": "UADMIN",
            "STACKPICK_FEEDBACK_DB": str(root / "feedback.sqlite3"),
            "STACKPICK_FETCH_ALLOW": "127.0.0.2/32",
            "NO_PROXY": "127.0.0.1,localhost",
        })
        log = root / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen([*stackpick_command(), "serve", "--health-port", "0", "--health-host",
                                        "127.0.0.1"], env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        try:
            health_url = wait_for_line(log, HEALTH, process).group(1)
            bot = SocketBot(fake, ws, process, log, health_url, (0, {}))
            bot.before_connecting = (503, bot.wait_for_health("disconnected"))
            gate.set()
            ws.wait_for_connection(1)
            bot.wait_for_health("ok")
            yield bot
        finally:
            gate.set()
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
            fake.server.shutdown()
            fake.server.server_close()


def event_payload(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event, "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}]}


def mention(bot: SocketBot, text: str, channel: str, ts: str) -> str:
    event = {"type": "app_mention", "user": USER, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
             "event_ts": ts}
    return bot.ws.send("events_api", event_payload(event, f"Ev{channel}{ts.replace('.', '')}"))


def command(bot: SocketBot, text: str, channel: str, response: str, trigger: str = "trigger") -> str:
    payload = {"token": "legacy", "team_id": "T1", "channel_id": channel, "user_id": USER, "command": "/stackpick",
               "text": text, "api_app_id": "A1", "response_url": bot.fake.response_url(response),
               "trigger_id": trigger}
    return bot.ws.send("slash_commands", payload, accepts_response_payload=True)


def interact(bot: SocketBot, payload: dict[str, Any]) -> str:
    full = {"token": "legacy", "api_app_id": "A1", "team": {"id": "T1"}, "user": {"id": USER}, **payload}
    return bot.ws.send("interactive", full, accepts_response_payload=True)


def answer_in(bot: SocketBot, channel: str, thread_ts: str) -> dict[str, Any]:
    [reply] = bot.fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == channel
                                and c.args.get("thread_ts") == thread_ts)
    return reply.args


def test_health_reports_the_connection(socket_bot: SocketBot) -> None:
    code, body = socket_bot.before_connecting
    assert (code, body["status"]) == (503, "disconnected")  # index loaded, connection not yet made
    status, now = socket_bot.health()
    assert status == 200 and now["socket_mode"] == "connected" and now["index_version"]
    assert httpx.get(socket_bot.health_url.replace("/healthz", "/other"), timeout=DEADLINE).status_code == 404


def test_a_mention_is_acked_and_answered_in_its_thread(socket_bot: SocketBot) -> None:
    envelope = mention(socket_bot, "Node or Python for a real-time chat app?", "CSOCK1", "501.000100")
    assert socket_bot.ws.ack(envelope) == {"envelope_id": envelope}
    reply = answer_in(socket_bot, "CSOCK1", "501.000100")
    assert blocks_of_args(reply)[0]["type"] == "header" and "[1]" in block_text(blocks_of_args(reply))
    assert socket_bot.fake.ok_calls("reactions.add", where=lambda c: c.args.get("timestamp") == "501.000100")


def blocks_of_args(args: dict[str, Any]) -> list[dict[str, Any]]:
    return list(args.get("blocks") or [])


def test_slash_commands_are_acked_with_their_reply(socket_bot: SocketBot) -> None:
    helped = socket_bot.ws.ack(command(socket_bot, "help", "CSOCK2", "sock-help"))
    assert helped["payload"]["response_type"] == "ephemeral"
    assert "/stackpick add" in json.dumps(helped["payload"]["blocks"])

    assessing = socket_bot.ws.ack(command(socket_bot, "a real-time dashboard with live charts", "CSOCK2",
                                          "sock-assess"))
    assert assessing["payload"] == {"response_type": "ephemeral", "text": "⏳ Assessing your project…"}
    [card] = socket_bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/sock-assess"))
    assert blocks_of(card)[0]["text"]["text"].startswith("Assessment:")


def test_the_form_opens_and_its_submission_is_answered(socket_bot: SocketBot) -> None:
    opened_ack = socket_bot.ws.ack(command(socket_bot, "", "CSOCK3", "sock-form", trigger="sock-trigger-1"))
    assert opened_ack.get("payload") in (None, {}, "")
    [opened] = socket_bot.fake.wait_for("views.open", where=lambda c: c.args.get("trigger_id") == "sock-trigger-1")
    view = opened.args["view"]
    assert view["callback_id"] == "traits_modal"

    values = {
        "needs": {"needs": {"type": "checkboxes", "selected_options": [{"value": "realtime"}]}},
        "team_knows": {"team_knows": {"type": "radio_buttons", "selected_option": {"value": "cobol"}}},
        "team_experience": {"team_experience": {"type": "radio_buttons", "selected_option": {"value": "senior"}}},
        "scale": {"scale": {"type": "static_select", "selected_option": {"value": "large"}}},
    }
    submission = {"type": "view_submission", "view": {"id": "VSOCK", "type": "modal", "callback_id": "traits_modal",
                                                      "private_metadata": view["private_metadata"], "hash": "h",
                                                      "state": {"values": values}}}
    # An answer the form does not offer: the ack carries the error back onto the form's field.
    refused = socket_bot.ws.ack(interact(socket_bot, submission))
    assert refused["payload"]["response_action"] == "errors" and "team_knows" in refused["payload"]["errors"]

    values["team_knows"]["team_knows"]["selected_option"] = {"value": "python"}
    accepted = socket_bot.ws.ack(interact(socket_bot, submission))
    assert accepted.get("payload") in (None, {}, "")  # an empty ack closes the form
    [dm] = socket_bot.fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == USER)
    assert blocks_of(dm)[0]["text"]["text"].startswith("Assessment:")


def test_a_button_click_is_acked_and_handled(socket_bot: SocketBot) -> None:
    question = "Node or Python for a CPU-heavy image processing service?"
    click = {
        "type": "block_actions",
        "trigger_id": "sock-trigger-2",
        "container": {"type": "message", "message_ts": "90100.000100", "channel_id": "CSOCK4"},
        "channel": {"id": "CSOCK4"},
        "message": {"ts": "90100.000100", "thread_ts": "601.000100", "text": "x", "blocks": []},
        "actions": [{"type": "button", "action_id": ACTION_FULL_ASSESSMENT, "block_id": "b", "action_ts": "1",
                     "value": encode_value({"q": question})}],
    }
    envelope = interact(socket_bot, click)
    assert socket_bot.ws.ack(envelope)["envelope_id"] == envelope
    # "Full assessment" opens the whole scorecard privately, in a modal, rather than a second card in the thread.
    [opened] = socket_bot.fake.wait_for("views.open", where=lambda c: c.args.get("trigger_id") == "sock-trigger-2")
    view = json.loads(opened.args["view"]) if isinstance(opened.args["view"], str) else opened.args["view"]
    assert view["callback_id"] == "scorecard_modal"
    assert "Assessment:" in json.dumps(view["blocks"], ensure_ascii=False)


def test_a_refresh_notice_makes_the_bot_reconnect(socket_bot: SocketBot) -> None:
    connections = len(socket_bot.ws.connections)
    opened = len(socket_bot.fake.ok_calls("apps.connections.open"))
    socket_bot.ws.refresh()
    socket_bot.ws.wait_for_connection(connections + 1)
    assert len(socket_bot.fake.ok_calls("apps.connections.open")) > opened  # a fresh URL for the new connection
    socket_bot.ws.ack(mention(socket_bot, "Python or Node for machine learning?", "CSOCK5", "701.000100"))
    answer_in(socket_bot, "CSOCK5", "701.000100")  # answered over the new connection


def test_a_dropped_connection_is_reopened_and_health_follows(socket_bot: SocketBot) -> None:
    connections = len(socket_bot.ws.connections)
    gate = socket_bot.fake.hold("apps.connections.open")
    gate.clear()
    try:
        socket_bot.ws.drop()
        down = socket_bot.wait_for_health("disconnected")
        assert down["code"] == 503
    finally:
        gate.set()
    socket_bot.ws.wait_for_connection(connections + 1)
    assert socket_bot.wait_for_health("ok")["code"] == 200
    socket_bot.ws.ack(mention(socket_bot, "Node or Python for a real-time chat app?", "CSOCK6", "801.000100"))
    answer_in(socket_bot, "CSOCK6", "801.000100")


def test_the_log_says_what_fetching_may_reach_and_never_shows_a_token(socket_bot: SocketBot) -> None:
    log = socket_bot.log_text()
    assert "fetching articles from public addresses and the allowed 127.0.0.2/32" in log
    assert BOT_TOKEN not in log and APP_TOKEN not in log and "socket-test-token" not in log
