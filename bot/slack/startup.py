"""The one start-up sequence for both modes: check credentials, load the index, build the app, keep it current."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import uvicorn
from slack_bolt import App
from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack.context import make_web_client, retry_handlers
from bot.slack.credentials import CredentialsError, check_credentials, verify_bot_token
from bot.slack.health import SocketHealth, serve_health
from bot.slack.server import Runtime, create_http_app

if TYPE_CHECKING:
    from bot.engine import Advisor

log = logging.getLogger("stackpick.serve")

RELOAD_SECONDS = 5.0
RETRY_LOAD_SECONDS = 10.0


# --------------------------------------------------------------------------------------------------------------
# Keeping the served index current


class ReloadWatcher(threading.Thread):
    """Picks up an index rebuilt by another process (`stackpick index add`) without a restart."""

    def __init__(self, advisor: Advisor, interval: float = RELOAD_SECONDS) -> None:
        super().__init__(name="stackpick-reload", daemon=True)
        self.advisor = advisor
        self.interval = interval
        self.stopped = threading.Event()
        self._last_error = ""

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                if self.advisor.reload_if_changed():
                    log.info("switched to a newly published index version")
                self._last_error = ""
            except Exception as error:
                # Once per distinct error: a broken index folder should not fill the log every five seconds.
                if str(error) != self._last_error:
                    log.exception("checking for a new index version failed; still serving the current one")
                    self._last_error = str(error)

    def stop(self) -> None:
        self.stopped.set()


def start_reload_watcher(advisor: Advisor, interval: float = RELOAD_SECONDS) -> ReloadWatcher:
    watcher = ReloadWatcher(advisor, interval)
    watcher.start()
    return watcher


def warm_up(advisor: Advisor) -> None:
    """Work out every criterion's stances and answer one question before serving, so the first real questions
    pay for neither."""
    try:
        advisor.prepare()
        advisor.ask("Node.js or Python for a web API?")
    except Exception:
        log.warning("warm-up question failed; the first real question may be slow", exc_info=True)


# --------------------------------------------------------------------------------------------------------------
# Starting


def log_fetch_policy(settings: Settings) -> None:
    """Say at start what `/stackpick add` may fetch; a warning when STACKPICK_FETCH_ALLOW opens more than the public
    internet, so whoever reads the log sees that intranet addresses are reachable."""
    policy = settings.fetch_policy()
    (log.warning if policy.opens_anything else log.info)("%s", policy.describe())


def start_app(settings: Settings, client: WebClient) -> tuple[App, Advisor]:
    """Check the bot token, load the advisor (an unusable newest version: serve the one before) and warm it up,
    then build the app; both modes start through here."""
    from bot.engine import Advisor  # deferred: importing the model stack takes seconds
    from bot.services.library import Librarian
    from bot.slack.app import build_app

    verify_bot_token(client)
    advisor = Advisor.from_settings(settings, fallback=True)
    warm_up(advisor)
    return build_app(settings, advisor, Librarian(settings), client=client), advisor


def keep_current(settings: Settings, advisor: Advisor) -> None:
    """Switch to newly published index versions: by polling the folder, and with REDIS_URL as soon as any process
    announces one."""
    from bot.services.notices import start_index_listener

    start_reload_watcher(advisor)
    start_index_listener(settings, advisor)


# --------------------------------------------------------------------------------------------------------------
# HTTP mode


def load_into(runtime: Runtime, settings: Settings, stop: threading.Event | None = None) -> None:
    """Load the index and build the app, retrying while the index is missing (it may be built later)."""
    stop = stop or threading.Event()
    client = make_web_client(settings)
    last_error = ""
    while not stop.is_set():
        try:
            app, advisor = start_app(settings, client)
        except CredentialsError as error:
            runtime.fatal = error
            log.error("%s", error)
            return
        except Exception as error:
            runtime.error = str(error) or type(error).__name__
            if runtime.error != last_error:
                log.error("not ready yet, retrying every %.0f s: %s", RETRY_LOAD_SECONDS, runtime.error)
                last_error = runtime.error
            stop.wait(RETRY_LOAD_SECONDS)
            continue
        runtime.serve(app, advisor)
        keep_current(settings, advisor)
        log.info("ready: serving index version %s", advisor.library_summary().version)
        return


def run_http(settings: Settings, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Serve HTTP mode until interrupted; refuses to start without a signing secret (requests are always verified)."""
    problems = check_credentials(settings, "http")
    if problems:
        raise CredentialsError(problems)
    log_fetch_policy(settings)
    runtime = Runtime()
    server = uvicorn.Server(
        uvicorn.Config(
            create_http_app(runtime), host=host, port=port, log_level=settings.log_level.lower(), access_log=False
        )
    )
    stop = threading.Event()

    def load() -> None:
        load_into(runtime, settings, stop)
        if runtime.fatal is not None:
            server.should_exit = True

    threading.Thread(target=load, name="stackpick-load", daemon=True).start()
    log.info("listening on http://%s:%d (POST /slack/events, GET /healthz)", host, port)
    try:
        server.run()
    finally:
        stop.set()
    if runtime.fatal is not None:
        raise runtime.fatal


# --------------------------------------------------------------------------------------------------------------
# Socket Mode


def run_socket_mode(settings: Settings, health_port: int | None = None, health_host: str = "0.0.0.0") -> None:
    """Connect to Slack over a WebSocket (no public URL needed) until interrupted; with `health_port`, answer
    `GET /healthz` there: 200 while connected, 503 while starting or disconnected."""
    # websocket-client's handler rather than slack_sdk's built-in one: after a dropped connection (no close frame)
    # the built-in client spins on a socket at end of file for 30-60 s, still reporting itself connected, before
    # it reconnects; websocket-client sees the end at once, and Bolt reconnects within a second.
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    problems = check_credentials(settings, "socket")
    if problems:
        raise CredentialsError(problems)
    log_fetch_policy(settings)
    health = SocketHealth()
    if health_port is not None:
        serve_health(health, health_host, health_port)
    client = make_web_client(settings)
    app, advisor = start_app(settings, client)
    keep_current(settings, advisor)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    connector = WebClient(base_url=client.base_url, retry_handlers=retry_handlers())
    handler = SocketModeHandler(app, app_token, web_client=connector)
    health.attach(handler.client, lambda: advisor.library_summary().version)
    log.info("connecting to Slack in Socket Mode; serving index version %s", advisor.library_summary().version)
    handler.start()
