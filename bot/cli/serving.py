"""Running stackpick: `serve` (the Slack bot, HTTP or Socket Mode) and `console` (the same answers, no Slack)."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from bot.settings import Settings

from .app import app

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


@app.command("serve")
def serve(
    http: bool = typer.Option(False, "--http", help="Serve HTTP (POST /slack/events) even if SLACK_APP_TOKEN is set."),
    port: int = typer.Option(3000, "--port", help="Port for HTTP mode."),
    health_port: int | None = typer.Option(
        None, "--health-port", help="Socket Mode: answer GET /healthz on this port (200 while connected to Slack, "
        "503 while starting or disconnected); 0 picks a free port, logged at start."),
    health_host: str = typer.Option("0.0.0.0", "--health-host", help="Socket Mode: the address of the health port."),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP mode.

    HTTP mode serves POST /slack/events and GET /healthz (200 once the index is loaded). In Socket Mode,
    --health-port serves GET /healthz too: 200 while the connection to Slack is up, 503 otherwise.

    Examples:

        SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… stackpick serve --health-port 8081

        SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… stackpick serve --http --port 8080

    Create the Slack app from deploy/slack-manifest.yaml; credentials come from the environment or .env.

    Missing or malformed credentials exit with code 2, saying where to find each one.
    """
    from bot.slack.credentials import CredentialsError, Mode, check_credentials
    from bot.slack.startup import run_http, run_socket_mode

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
            if health_port is not None:
                logging.getLogger("stackpick.serve").warning(
                    "--health-port is for Socket Mode; HTTP mode answers GET /healthz on --port %d", port)
            run_http(settings, port)
        else:
            run_socket_mode(settings, health_port, health_host)
    except CredentialsError as error:
        _fail(["Cannot start the Slack bot:", *(f"  • {p}" for p in error.problems)])
    except KeyboardInterrupt:
        pass


@app.command("console")
def console() -> None:
    """Ask questions in the terminal: the same answers as in Slack, one question per line until quit or end of input.

    Examples:

        stackpick console

        echo "Node or Python for a real-time chat app?" | stackpick console

        stackpick console < questions.txt > answers.txt
    """
    from bot.engine import Advisor  # deferred: `--help` should not wait for the model stack to import

    from .console import run_console

    settings = Settings()
    _setup_logging(settings, quiet=True)
    try:
        advisor = Advisor.from_settings(settings)
    except Exception as error:
        _fail([f"Cannot load the index: {error}", "Build it first with `stackpick index build`."], code=1)
    failures = run_console(advisor, sys.stdin, sys.stdout)
    if failures:
        raise typer.Exit(1)
