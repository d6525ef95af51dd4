"""Serving the Slack app: HTTP mode (uvicorn + Starlette: /slack/events, /healthz) or Socket Mode, and their checks."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.settings import Settings
from bot.shared import start_index_listener
from bot.slack.context import make_web_client, retry_handlers

if TYPE_CHECKING:
    from bot.advisor import Advisor

log = logging.getLogger("stackpick.serve")

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
RELOAD_SECONDS = 5.0
RETRY_LOAD_SECONDS = 10.0
# Slack's own payloads are a few kilobytes; anything over a megabyte is refused before it is read (or parsed).
MAX_BODY_BYTES = 1024 * 1024


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
    """Answer one question before serving, so the first real one doesn't pay for loading the model."""
    try:
        advisor.ask("Node.js or Python for a web API?")
    except Exception:
        log.warning("warm-up question failed; the first real question may be slow", exc_info=True)


# --------------------------------------------------------------------------------------------------------------
# HTTP mode


@dataclass
class Runtime:
    """What the HTTP server serves; empty until the index is loaded (healthz says 503 until then)."""

    app: App | None = None
    advisor: Advisor | None = None
    error: str | None = None
    fatal: CredentialsError | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def serve(self, app: App, advisor: Advisor) -> None:
        self.app, self.advisor, self.error = app, advisor, None
        self.ready.set()


def create_http_app(runtime: Runtime) -> Starlette:
    """`POST /slack/events` for events, commands and interactivity; `GET /healthz` for load balancers."""

    async def slack_events(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared and not declared.isdigit():
            return _refuse(400, "bad content-length")
        if declared and int(declared) > MAX_BODY_BYTES:
            return _refuse(413, "body too large")  # refused from the headers alone: nothing is read
        app = runtime.app
        if app is None:
            # Slack retries a 5xx, so an event that arrives while the index loads is delivered again later.
            return JSONResponse({"error": "starting"}, status_code=503)
        body = await _read_capped(request)
        if body is None:
            return _refuse(413, "body too large")
        try:
            # Bolt's verifier calls int() on this header and raises on anything else; it is a refusal, not a crash.
            int(request.headers.get("x-slack-request-timestamp", ""))
        except ValueError:
            return _refuse(401, "invalid request")
        try:
            # Bolt parses the body before it checks the signature and raises on bytes that are not UTF-8 or on
            # JSON that is not an object; such a body is no Slack request, so it is refused instead of crashing.
            bolt_request = to_bolt_request(request, body)
            if not _well_formed(bolt_request.body):
                raise ValueError("not a Slack payload")
        except Exception as error:
            log.info("refused a malformed request body (%s)", type(error).__name__)
            return _refuse(400, "malformed body")
        # Bolt's App is synchronous (it waits up to 3 s for ack()), so dispatch in a worker thread and keep the
        # event loop free for concurrent requests.
        response = await run_in_threadpool(app.dispatch, bolt_request)
        return to_starlette_response(response)

    async def healthz(request: Request) -> Response:
        if runtime.ready.is_set():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting", "detail": runtime.error}, status_code=503)

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _refuse(status: int, reason: str) -> Response:
    # Closing the connection after a 413 stops a client from pushing the rest of an oversized body at us.
    headers = {"Connection": "close"} if status == 413 else None
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


def _well_formed(body: object) -> bool:
    # Bolt's middleware reads these as objects and fails with a 500 on anything else (found by the fuzz tests).
    return isinstance(body, dict) and all(isinstance(body[key], dict) for key in ("event", "view") if key in body)


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None once it exceeds MAX_BODY_BYTES: a chunked body without a length is never read past that."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def load_into(runtime: Runtime, settings: Settings, stop: threading.Event | None = None) -> None:
    """Load the index and build the app, retrying while the index is missing (it may be built later)."""
    from bot.advisor import Advisor  # deferred: importing the model stack takes seconds
    from bot.library import Librarian
    from bot.slack.app import build_app

    stop = stop or threading.Event()
    client = make_web_client(settings)
    last_error = ""
    while not stop.is_set():
        try:
            verify_bot_token(client)
            advisor = Advisor.from_settings(settings, fallback=True)  # an unusable newest version: serve the one before
            warm_up(advisor)
            app = build_app(settings, advisor, Librarian(settings), client=client)
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
        start_reload_watcher(advisor)
        start_index_listener(settings, advisor)  # with REDIS_URL: switch as soon as any process publishes
        log.info("ready: serving index version %s", advisor.library_summary().version)
        return


def run_http(settings: Settings, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Serve HTTP mode until interrupted; refuses to start without a signing secret (requests are always verified)."""
    problems = check_credentials(settings, "http")
    if problems:
        raise CredentialsError(problems)
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


def run_socket_mode(settings: Settings) -> None:
    """Connect to Slack over a WebSocket (no public URL needed) until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.advisor import Advisor
    from bot.library import Librarian
    from bot.slack.app import build_app

    problems = check_credentials(settings, "socket")
    if problems:
        raise CredentialsError(problems)
    client = make_web_client(settings)
    verify_bot_token(client)
    advisor = Advisor.from_settings(settings, fallback=True)  # an unusable newest version: serve the one before
    warm_up(advisor)
    app = build_app(settings, advisor, Librarian(settings), client=client)
    start_reload_watcher(advisor)
    start_index_listener(settings, advisor)  # with REDIS_URL: switch as soon as any process publishes
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    connector = WebClient(base_url=client.base_url, retry_handlers=retry_handlers())
    log.info("connecting to Slack in Socket Mode; serving index version %s", advisor.library_summary().version)
    SocketModeHandler(app, app_token, web_client=connector).start()
