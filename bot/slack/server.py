"""HTTP mode's ASGI app (Starlette): POST /slack/events with its request checks, and GET /healthz."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.credentials import CredentialsError

if TYPE_CHECKING:
    from bot.engine import Advisor

log = logging.getLogger("stackpick.serve")

# Slack's own payloads are a few kilobytes; anything over a megabyte is refused before it is read (or parsed).
MAX_BODY_BYTES = 1024 * 1024


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
