"""The Slack-side CLI commands (`serve`, `console`, `feedback`), registered on the main app in bot/cli.py."""

from __future__ import annotations

import json
import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.settings import Settings

EXIT_CREDENTIALS = 2
CONSOLE_HINT = "To try stackpick without Slack, run `stackpick console` (or `make run`, which falls back to it)."


def _setup_logging(settings: Settings, quiet: bool = False) -> None:
    level = settings.log_level.upper()
    if quiet and level != "DEBUG":
        # In the console, library chatter (model and faiss loading) would interleave with the answers.
        level = "WARNING"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _fail(lines: list[str], code: int = EXIT_CREDENTIALS) -> None:
    err = Console(stderr=True, highlight=False)
    for line in lines:
        err.print(line, markup=False)
    raise typer.Exit(code)


def serve(
    http: bool = typer.Option(False, "--http", help="Serve HTTP (POST /slack/events) even if SLACK_APP_TOKEN is set."),
    port: int = typer.Option(3000, "--port", help="Port for HTTP mode."),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode.

    HTTP mode serves POST /slack/events and GET /healthz (200 once the index is loaded).

    Examples:

        SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… stackpick serve

        SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… stackpick serve --http --port 8080

    Create the Slack app from deploy/slack-manifest.yaml; credentials come from the environment or .env.

    Missing or malformed credentials exit with code 2, saying where to find each one.
    """
    from bot.serve import CredentialsError, Mode, check_credentials, run_http, run_socket_mode

    settings = Settings()
    _setup_logging(settings)
    if not any((settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token)):
        _fail(["No Slack credentials found (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN).", CONSOLE_HINT])
    mode: Mode = "http" if http or settings.slack_app_token is None else "socket"
    problems = check_credentials(settings, mode)
    if problems:
        _fail([f"Cannot start the Slack bot ({mode} mode):", *(f"  • {p}" for p in problems), CONSOLE_HINT])
    try:
        if mode == "http":
            run_http(settings, port)
        else:
            run_socket_mode(settings)
    except CredentialsError as error:
        _fail(["Cannot start the Slack bot:", *(f"  • {p}" for p in error.problems)])
    except KeyboardInterrupt:
        pass


def console() -> None:
    """Ask questions in the terminal: the same answers as in Slack, one question per line until end of input.

    Examples:

        stackpick console

        echo "Node or Python for a real-time chat app?" | stackpick console

        stackpick console < questions.txt > answers.txt
    """
    from bot.advisor import Advisor  # deferred: `--help` should not wait for the model stack to import
    from bot.console import run_console

    settings = Settings()
    _setup_logging(settings, quiet=True)
    try:
        advisor = Advisor.from_settings(settings)
    except Exception as error:
        _fail([f"Cannot load the index: {error}", "Build it first with `stackpick index build`."], code=1)
    failures = run_console(advisor, sys.stdin, sys.stdout)
    if failures:
        raise typer.Exit(1)


def feedback(
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    latest: int = typer.Option(10, "--latest", help="How many recent 👎 explanations to show."),
) -> None:
    """Summarize the 👍/👎 feedback given in Slack: totals, per verdict, and the latest explained 👎.

    Reads STACKPICK_DATABASE_URL when set, otherwise the SQLite file at STACKPICK_FEEDBACK_DB.

    Examples:

        stackpick feedback

        stackpick feedback --latest 25

        stackpick feedback --json | jq .per_verdict
    """
    from bot.feedback import FeedbackStore

    settings = Settings()
    store = FeedbackStore.from_settings(settings)
    summary = store.summary(latest=latest)
    if json_output:
        typer.echo(json.dumps(summary.model_dump(), ensure_ascii=False))
        return
    out = Console(highlight=False)
    if not summary.total:
        out.print(f"No feedback yet ({store.location}).", markup=False)
        return
    share = 100 * summary.up / summary.total
    out.print(f"{summary.total} votes: 👍 {summary.up} · 👎 {summary.down} ({share:.0f}% positive)", markup=False)
    table = Table("verdict", "👍", "👎", title="By verdict")
    for row in summary.per_verdict:
        table.add_row(escape(row.verdict), str(row.up), str(row.down))
    out.print(table)
    if summary.latest_reasons:
        reasons = Table("when", "verdict", "question", "what was wrong", title="Latest 👎 explanations")
        for item in summary.latest_reasons:
            reasons.add_row(item.created_at, escape(item.verdict), escape(item.question[:80]), escape(item.reason))
        out.print(reasons)
