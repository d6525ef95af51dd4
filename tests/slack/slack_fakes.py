"""Test doubles for Slack: a fake Web API server, a signing sender, and stackpick served over real HTTP."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from slack_sdk.signature import SignatureVerifier

from bot.engine import Advisor
from bot.services.library import Librarian
from bot.settings import PROJECT_ROOT, Settings
from bot.slack.app import build_app
from bot.slack.server import Runtime, create_http_app

SIGNING_SECRET = "test-signing-secret"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
ADMIN = "UADMIN"
USER = "U1"
# How long a wait for something that should happen may take. Generous on purpose: a wait returns as soon as the
# thing happens, so a slow machine makes a test slower, never red.
DEADLINE = 60.0
CLIENT_TIMEOUT = 60.0  # the signing sender's HTTP timeout: an ack that is merely slow must not fail a request
# Articles "on the intranet": a web server on 127.0.0.2, which STACKPICK_FETCH_ALLOW opens the way a team opens its
# wiki; 127.0.0.1 stays refused as loopback, so a redirect or DNS answer pointing there is a refusal to test.
PAGES_HOST = "127.0.0.2"
FETCH_MAX_BYTES = 1_000_000


# --------------------------------------------------------------------------------------------------------------
# A fake Slack Web API (and response_url endpoints), recording every call


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url" for /response/<id>
    path: str
    status: int
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def dump(self) -> str:
        return json.dumps(self.args, ensure_ascii=False)


Reply = tuple[int, dict[str, str], dict[str, Any]]


class _Server(ThreadingHTTPServer):
    # http.server's default listen backlog is 5: under the load tests' bursts the kernel then resets connections,
    # a failure Slack's own API does not produce that way.
    request_queue_size = 256


class FakeSlack:
    """A threaded http.server speaking enough of the Web API for stackpick; scripted failures per method."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.scripts: dict[str, list[Reply]] = defaultdict(list)
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.held: dict[str, threading.Event] = {}
        self.socket_url: str | None = None  # what apps.connections.open hands out (a local websocket server)
        self.last_call_at = time.monotonic()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                self._answer(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "view"):
                        if isinstance(args.get(key), str):
                            args[key] = json.loads(args[key])
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                self._answer(urlsplit(self.path).path, {**query, **args})

            def _answer(self, path: str, args: dict[str, Any]) -> None:
                method = "response_url" if path.startswith("/response/") else path.rsplit("/", 1)[-1]
                status, headers, body = fake.reply(method, args)
                with fake.lock:
                    fake.calls.append(Call(method, path, status, args))
                    fake.last_call_at = time.monotonic()
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.api_url = self.url + "api/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def response_url(self, name: str) -> str:
        return f"{self.url}response/{name}"

    def script(self, method: str, *replies: Reply) -> None:
        """The next calls to `method` get these replies, in order; later ones get the default."""
        with self.lock:
            self.scripts[method].extend(replies)

    def hold(self, method: str) -> threading.Event:
        """Calls to `method` wait (unanswered) until the returned event is set."""
        with self.lock:
            return self.held.setdefault(method, threading.Event())

    def reply(self, method: str, args: dict[str, Any]) -> Reply:
        with self.lock:
            gate = self.held.get(method)
        if gate is not None:
            gate.wait(DEADLINE)
        with self.lock:
            if self.scripts.get(method):
                return self.scripts[method].pop(0)
        if method == "auth.test":
            body: dict[str, Any] = {"user_id": BOT_USER, "bot_id": BOT_ID, "team_id": "T1", "user": "stackpick"}
        elif method == "chat.postMessage":
            body = {"channel": args.get("channel"), "ts": f"9{next(self._ts):05d}.000100", "message": {}}
        elif method == "apps.connections.open":
            body = {"url": self.socket_url} if self.socket_url else {}
        elif method == "chat.postEphemeral":
            body = {"message_ts": f"8{next(self._ts):05d}.000100"}
        elif method == "conversations.replies":
            body = {"messages": self.threads.get((args.get("channel", ""), args.get("ts", "")), [])}
        else:
            body = {}
        return 200, {}, {"ok": True, **body}

    def ok_calls(self, method: str, where: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.status == 200 and where(c)]

    def all_calls(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self, method: str, count: int = 1, where: Callable[[Call], bool] = lambda c: True, timeout: float = DEADLINE
    ) -> list[Call]:
        """Poll until `count` successful calls to `method` match `where`; fail with what did arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.ok_calls(method, where)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        seen = [(c.method, c.status) for c in self.calls]
        raise AssertionError(f"expected {count} x {method}, got {len(self.ok_calls(method, where))}; calls: {seen}")

    def settle(self, seconds: float = 0.4) -> None:
        """For asserting that something did *not* happen: give stray work a moment to show up."""
        time.sleep(seconds)

    def drain(self, quiet: float = 1.5, timeout: float = 4 * DEADLINE) -> None:
        """Wait until no call has arrived for `quiet` seconds: the work a test started (answers, retries after a
        429, clearing reactions) has finished, and cannot land among the next test's calls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last_call_at
            if idle >= quiet:
                return
            time.sleep(min(0.2, quiet - idle + 0.01))
        raise AssertionError(f"the fake Slack API was still being called after {timeout:.0f} s")

    def reset(self) -> None:
        """Forget every call and scripted reply, once the previous work has drained."""
        self.drain()
        with self.lock:
            self.calls.clear()
            self.scripts.clear()


# --------------------------------------------------------------------------------------------------------------
# stackpick's HTTP server, and a sender that signs like Slack


class ServerThread:
    """uvicorn in a background thread on a free port (port 0: the OS picks, no race)."""

    def __init__(self, asgi_app: Any) -> None:
        config = uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + DEADLINE
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


class SlackSender:
    """Sends what Slack sends: events, slash commands and interactivity payloads, signed with the signing secret."""

    def __init__(self, base_url: str, fake: FakeSlack, secret: str = SIGNING_SECRET,
                 timeout: float = CLIENT_TIMEOUT) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.fake = fake
        self.verifier = SignatureVerifier(secret)
        self._n = itertools.count(1)

    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.verifier.generate_signature(timestamp=ts, body=body) or ""
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        return self.http.post("/slack/events", content=body.encode(), headers=all_headers)

    def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> httpx.Response:
        envelope = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._n):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(json.dumps(envelope), "application/json", headers)

    def mention(
        self, text: str, ts: str, channel: str = "C1", thread_ts: str | None = None, **kw: Any
    ) -> httpx.Response:
        event = {"type": "app_mention", "user": USER, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event({**event, "event_ts": ts}, **kw)

    def command(self, text: str, user: str = USER, channel: str = "C1", response: str = "cmd") -> httpx.Response:
        form = {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": channel,
            "user_id": user,
            "command": "/stackpick",
            "text": text,
            "response_url": self.fake.response_url(response),
            "trigger_id": f"trigger-{next(self._n)}",
            "api_app_id": "A1",
        }
        return self.post(httpx.QueryParams(form).__str__(), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        payload = {"token": "legacy", "api_app_id": "A1", "team": {"id": "T1"}, **payload}
        body = httpx.QueryParams({"payload": json.dumps(payload)}).__str__()
        return self.post(body, "application/x-www-form-urlencoded")

    def click(
        self,
        action_id: str,
        value: str,
        user: str = USER,
        message: dict[str, Any] | None = None,
        channel: str = "C1",
        response_url: str | None = None,
        ephemeral: bool = False,
    ) -> httpx.Response:
        message = message or {}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": f"trigger-{next(self._n)}",
            "container": {
                "type": "message",
                "message_ts": message.get("ts", "1.0"),
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": channel},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1"}],
        }
        if message:
            payload["message"] = message
        if response_url:
            payload["response_url"] = response_url
        return self.interact(payload)

    def submit(self, callback_id: str, values: dict[str, Any], user: str = USER, metadata: str = "") -> httpx.Response:
        view = {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
            "hash": "h",
        }
        return self.interact({"type": "view_submission", "user": {"id": user}, "view": view})


@dataclass
class Held:
    """An advisor method held back until `release()`: `finished` says whether it has returned yet."""

    go: threading.Event
    finished: threading.Event

    def release(self) -> None:
        self.go.set()


def hold(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> Held:
    """Make `target.name` wait for `release()`, so a test can see that a request was acked before the work was
    done: a step order, not a stopwatch, which a slow machine cannot turn red."""
    original = getattr(target, name)
    held = Held(threading.Event(), threading.Event())

    def waiting(*args: Any, **kwargs: Any) -> Any:
        held.go.wait(DEADLINE)
        try:
            return original(*args, **kwargs)
        finally:
            held.finished.set()

    monkeypatch.setattr(target, name, waiting)
    return held


@dataclass
class Running:
    url: str
    slack: SlackSender
    fake: FakeSlack
    settings: Settings
    advisor: Advisor
    app: Any = None  # the Bolt app, for driving its Socket Mode handler with the same bodies


def serve(settings: Settings, advisor: Advisor, fake: FakeSlack, librarian: Librarian | None = None,
          **build: Any) -> Any:
    """Context manager: the real app (build_app + the serve module's ASGI app) on a free port; `build` goes to
    build_app (a test's own channel settings or thread memory)."""
    from contextlib import contextmanager

    @contextmanager
    def running() -> Iterator[Running]:
        app = build_app(settings, advisor, librarian, **build)
        runtime = Runtime()
        runtime.serve(app, advisor)
        with ServerThread(create_http_app(runtime)) as url:
            sender = SlackSender(url, fake)
            try:
                yield Running(url, sender, fake, settings, advisor, app)
            finally:
                sender.http.close()

    return running()


def blocks_of(call: Call) -> list[dict[str, Any]]:
    return list(call.args.get("blocks") or [])


def block_text(blocks: list[dict[str, Any]]) -> str:
    """Every visible text in the blocks, one per line."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                out.append(element["text"])
            elif isinstance(element.get("text"), dict):
                out.append(element["text"]["text"])
    return "\n".join(out)


def build_index(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = root / "library"
    library.mkdir(parents=True)
    for article in (PROJECT_ROOT / "knowledge" / "articles").glob("*.md"):
        shutil.copy(article, library / article.name)
    monkeypatch.setenv("STACKPICK_LIBRARY_DIR", str(library))
    monkeypatch.setenv("STACKPICK_INDEX_DIR", str(root / "index"))
    monkeypatch.setenv("STACKPICK_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("STACKPICK_EMBEDDING_MODEL", "hash")
    Librarian(Settings()).rebuild()


# --------------------------------------------------------------------------------------------------------------
# Socket Mode: the same bodies through Bolt's Socket Mode handler


class SocketModeDriver:
    """Feeds Socket Mode frames (the JSON Slack sends over the WebSocket) to the app's real SocketModeHandler
    and records the acks it sends back; only the WebSocket transport itself is left out (a local websocket
    server test covers that). The client never connects: its message queue is fed directly."""

    def __init__(self, app: Any, fake: FakeSlack) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk import WebClient

        self.handler = SocketModeHandler(app, app_token="xapp-1-A1-test", web_client=WebClient(base_url=fake.api_url),
                                         auto_reconnect_enabled=False)
        self.acks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._n = itertools.count(1)
        self.handler.client.send_socket_mode_response = self._record  # type: ignore[method-assign]

    def _record(self, response: Any) -> None:
        data = response.to_dict() if hasattr(response, "to_dict") else json.loads(str(response))
        with self._lock:
            self.acks[data["envelope_id"]] = data

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """One frame: `kind` is events_api, slash_commands or interactive; returns its envelope id."""
        envelope_id = f"env-{next(self._n)}"
        frame = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                 "accepts_response_payload": kind != "events_api"}
        self.handler.client.enqueue_message(json.dumps(frame))
        return envelope_id

    def event(self, event: dict[str, Any], event_id: str | None = None) -> str:
        envelope = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event, "type": "event_callback",
                    "event_id": event_id or f"EvS{next(self._n):08d}", "event_time": int(time.time()),
                    "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}]}
        return self.send("events_api", envelope)

    def wait_ack(self, envelope_id: str, timeout: float = DEADLINE) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if envelope_id in self.acks:
                    return self.acks[envelope_id]
            time.sleep(0.02)
        raise AssertionError(f"no Socket Mode ack for {envelope_id}")

    def close(self) -> None:
        self.handler.client.close()
