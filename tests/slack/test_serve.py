"""Serving and the local faces: healthz, credential checks, the serve/console/feedback commands, storage helpers."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import httpx
import pytest
import typer
from pydantic import SecretStr
from slack_fakes import DEADLINE, FakeSlack, ServerThread
from typer.testing import CliRunner

from bot.cli import feedback as feedback_commands
from bot.cli import serving
from bot.cli.console import run_console
from bot.engine import Advisor
from bot.services.feedback import FeedbackStore
from bot.settings import Settings
from bot.slack.credentials import check_credentials
from bot.slack.dedup import MemoryDeduplicator
from bot.slack.server import Runtime, create_http_app
from bot.slack.startup import ReloadWatcher, load_into


def test_healthz_is_503_until_the_index_is_loaded_then_200(
    settings: Settings, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime()
    with ServerThread(create_http_app(runtime)) as url:
        assert httpx.get(f"{url}/healthz").status_code == 503
        # Events that arrive before the index is loaded get a 5xx, so Slack delivers them again later.
        assert httpx.post(f"{url}/slack/events", content=b"{}").status_code == 503
        load_into(runtime, settings)  # the serve module's own loader: verify token, load, warm up, build
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert fake_slack.ok_calls("auth.test")


def test_loader_stops_on_a_rejected_token(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.script("auth.test", (200, {}, {"ok": False, "error": "invalid_auth"}))
    runtime = Runtime()
    load_into(runtime, settings)
    assert runtime.fatal is not None and "invalid_auth" in str(runtime.fatal)
    assert not runtime.ready.is_set()


def test_loader_retries_until_an_index_exists(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.slack.startup.RETRY_LOAD_SECONDS", 0.05)
    empty = settings.model_copy(update={"index_dir": tmp_path / "no-index-yet"})
    runtime, stop = Runtime(), threading.Event()
    thread = threading.Thread(target=load_into, args=(runtime, empty, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while runtime.error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert runtime.error and not runtime.ready.is_set()
    stop.set()
    thread.join(5)


def test_reload_watcher_picks_up_a_rebuild_by_another_process(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.library import Librarian

    own = settings.model_copy(update={"index_dir": tmp_path / "index"})
    Librarian(own).rebuild()
    advisor = Advisor.from_settings(own)
    first = advisor.library_summary().version
    watcher = ReloadWatcher(advisor, interval=0.05)
    watcher.start()
    try:
        second = Librarian(own).rebuild().version
        deadline = time.monotonic() + DEADLINE
        while advisor.library_summary().version != second and time.monotonic() < deadline:
            time.sleep(0.02)
        assert advisor.library_summary().version == second != first
    finally:
        watcher.stop()


def settings_with(**secrets: str | None) -> Settings:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    return base.model_copy(update={k: SecretStr(v) if v is not None else None for k, v in secrets.items()})


def test_check_credentials_says_what_is_missing_and_where_to_get_it() -> None:
    problems = check_credentials(settings_with(slack_bot_token=None, slack_signing_secret=None), "http")
    assert len(problems) == 2
    assert problems[0].startswith("SLACK_BOT_TOKEN is missing: OAuth & Permissions → Bot User OAuth Token")
    assert problems[1].startswith("SLACK_SIGNING_SECRET is missing: Basic Information → App Credentials")

    wrong = check_credentials(settings_with(slack_bot_token="xoxp-123", slack_app_token="xoxb-456"), "socket")
    assert wrong[0].startswith("SLACK_BOT_TOKEN should start with xoxb- (this looks like a user token)")
    assert wrong[1].startswith("SLACK_APP_TOKEN should start with xapp- (this looks like a bot token)")
    assert "connections:write" in wrong[1]
    assert not any("123" in p or "456" in p for p in wrong)  # never echo a secret

    quoted = check_credentials(settings_with(slack_bot_token='"xoxb-1"', slack_signing_secret="abc"), "http")
    assert quoted == [
        "SLACK_BOT_TOKEN contains spaces or quotes: copy it again from OAuth & Permissions → "
        "Bot User OAuth Token (starts with xoxb-; install the app to the workspace first)."
    ]
    assert check_credentials(settings_with(slack_bot_token="xoxb-1", slack_app_token="xapp-1"), "socket") == []


def cli() -> typer.Typer:
    app = typer.Typer()
    for command in (serving.serve, serving.console, feedback_commands.feedback):
        app.command()(command)
    return app


def test_serve_without_credentials_exits_2_and_points_to_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli(), ["serve"])
    assert result.exit_code == 2
    assert "No Slack credentials found" in result.output and "stackpick console" in result.output

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    result = CliRunner().invoke(cli(), ["serve", "--http"])
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET is missing" in result.output
    assert "--http" in CliRunner().invoke(cli(), ["serve", "--help"]).output


def test_console_answers_piped_questions_without_a_prompt(shared_advisor: Advisor) -> None:
    stdin = io.StringIO("Node or Python for a real-time chat app?\n\nPython or Node for machine learning?\n")
    stdout = io.StringIO()
    assert run_console(shared_advisor, stdin, stdout) == 0
    out = stdout.getvalue()
    assert "stackpick>" not in out
    assert out.count("[1]") >= 2  # both answers rendered with their citations


def test_console_stops_at_quit_without_answering_it(shared_advisor: Advisor) -> None:
    stdin = io.StringIO("Node or Python for a real-time chat app?\nquit\nPython or Node for machine learning?\n")
    stdout = io.StringIO()
    assert run_console(shared_advisor, stdin, stdout) == 0
    out = stdout.getvalue()
    assert "real-time chat" in out and "[1]" in out  # the first question answered
    assert "Out of scope" not in out and "machine learning" not in out  # "quit" not asked, nothing after it


def test_feedback_store_counts_each_user_once_per_message_and_summarizes(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "deep" / "feedback.sqlite3")
    store.record("q1", "node", "U1", "up", message="C1:1")
    store.record("q1", "node", "U1", "down", message="C1:1")  # changed their mind: replaces the first vote
    second = store.record("q1", "node", "U2", "down", message="C1:1")
    store.record("q2", "python", "U3", "up")
    assert store.counts_for("C1:1") == (0, 2)
    assert store.add_reason(second, "reason 2 was wrong") and not store.add_reason(9999, "x")
    summary = store.summary()
    assert (summary.total, summary.up, summary.down) == (3, 1, 2)
    assert [(v.verdict, v.up, v.down) for v in summary.per_verdict] == [("node", 0, 2), ("python", 1, 0)]
    assert [r.reason for r in summary.latest_reasons] == ["reason 2 was wrong"]
    with pytest.raises(ValueError):
        store.record("q", "node", "U", "sideways")  # type: ignore[arg-type]


def test_feedback_command_prints_a_table(settings: Settings) -> None:
    FeedbackStore(settings.feedback_db).record("Node or Python [bold]?", "node", "U1", "down", "wrong [red]x")
    result = CliRunner().invoke(cli(), ["feedback"])
    assert result.exit_code == 0, result.output
    assert "1 votes" in result.output and "wrong [red]x" in result.output
    as_json = CliRunner().invoke(cli(), ["feedback", "--json"])
    assert '"down": 1' in as_json.output


def test_memory_deduplicator_forgets_after_the_ttl() -> None:
    now = [0.0]
    seen = MemoryDeduplicator(ttl_seconds=10, max_keys=3, clock=lambda: now[0])
    assert seen.first_time("a") and not seen.first_time("a")
    now[0] = 11
    assert seen.first_time("a")
    for key in "bcde":
        seen.first_time(key)
    assert len(seen) <= 3


def test_feedback_is_reported_by_criterion(settings: Settings, tmp_path: Path) -> None:
    store = FeedbackStore(settings.feedback_db)
    store.record("q1", "node", "U1", "up", message="C1:1", criteria=["realtime", "io_apis"])
    down = store.record("q1", "node", "U2", "down", message="C1:1", criteria=["realtime", "io_apis"])
    assert store.add_reason(down, "wrong: I/O-heavy APIs, gateways and microservices", wrong=["io_apis"])
    again = store.record("q1", "node", "U2", "down", message="C1:1", criteria=["realtime", "io_apis"])
    assert again == down  # the same vote, its criteria replaced, not doubled
    store.add_reason(again, "wrong: I/O", wrong=["io_apis"])
    summary = store.summary()
    by = {c.criterion: (c.up, c.down, c.wrong) for c in summary.per_criterion}
    assert by == {"realtime": (1, 1, 0), "io_apis": (1, 1, 1)}
    assert summary.per_criterion[0].criterion == "io_apis"  # the most often wrong first
    assert summary.latest_reasons[0].wrong == ["io_apis"]

    result = CliRunner().invoke(cli(), ["feedback"])
    assert result.exit_code == 0, result.output
    assert "By criterion" in result.output and "I/O-heavy APIs" in result.output  # labels from the rules
    as_json = CliRunner().invoke(cli(), ["feedback", "--json"])
    assert '"per_criterion"' in as_json.output and '"wrong": 1' in as_json.output
