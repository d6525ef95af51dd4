"""A local Socket Mode server (websockets): what Slack's end of the websocket does, for a real `stackpick serve`."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from typing import Any

from slack_fakes import DEADLINE
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    """Accepts the bot's websocket connections, says hello, sends envelopes and collects the acks that come back.

    `url` is what the fake Web API's apps.connections.open hands out; `connections` lists every connection made
    (a reconnect adds one); `acks` maps envelope ids to the ack the bot sent for it.
    """

    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.closed: set[int] = set()  # indexes into `connections`
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, tuple[int, str]] = {}  # envelope id -> (connection index, the envelope as sent)
        self.changed = threading.Condition()
        self._ids = itertools.count(1)
        self.server = serve(self._handle, "127.0.0.1", 0)
        port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/?ticket=test-ticket&app_id=A1"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-socket-mode", daemon=True)

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()

    def _handle(self, connection: ServerConnection) -> None:
        with self.changed:
            self.connections.append(connection)
            self.changed.notify_all()
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"},
                                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600}}))
        try:
            for raw in connection:
                message = json.loads(raw)
                with self.changed:
                    if message.get("envelope_id"):
                        self.acks[message["envelope_id"]] = message
                    self.changed.notify_all()
        except ConnectionClosed:
            pass
        with self.changed:
            self.closed.add(self.connections.index(connection))
            self.changed.notify_all()

    def wait(self, predicate: Any, what: str, timeout: float = DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.changed.wait(min(left, 0.2))

    def wait_for_connection(self, count: int) -> ServerConnection:
        """The `count`-th connection (1-based), once the bot has made it."""
        self.wait(lambda: len(self.connections) >= count, f"websocket connection #{count}")
        return self.connections[count - 1]

    def send(self, kind: str, payload: dict[str, Any], accepts_response_payload: bool = False) -> str:
        """An envelope on the newest connection, as Slack sends one; returns its envelope id."""
        envelope_id = f"env-{next(self._ids):04d}"
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        self._deliver(envelope_id, json.dumps(envelope))
        return envelope_id

    def _deliver(self, envelope_id: str, raw: str) -> None:
        with self.changed:
            index = len(self.connections) - 1
            self.sent[envelope_id] = (index, raw)
        # A closed connection: ack() sends it again on the next one, as Slack redelivers an envelope nobody acked.
        with contextlib.suppress(ConnectionClosed):
            self.connections[index].send(raw)

    def ack(self, envelope_id: str) -> dict[str, Any]:
        """The bot's ack for an envelope: {"envelope_id": ...} plus the response `payload` where there is one.

        An envelope whose connection closed before it was acked (the client was replacing it) is sent again on the
        newest connection, as Slack does."""
        deadline = time.monotonic() + DEADLINE
        while True:
            with self.changed:
                if envelope_id in self.acks:
                    return self.acks[envelope_id]
                index, raw = self.sent[envelope_id]
                lost = index in self.closed and len(self.connections) - 1 > index
                if not lost:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise AssertionError(f"timed out waiting for the ack of {envelope_id}")
                    self.changed.wait(min(left, 0.2))
                    continue
            self._deliver(envelope_id, raw)

    def refresh(self) -> None:
        """Slack's notice that this connection will close soon: the client should open a new one."""
        self.connections[-1].send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                              "debug_info": {"host": "fake-socket-mode"}}))

    def drop(self) -> None:
        """The network drops the newest connection: no close frame, the TCP connection just ends."""
        sock = self.connections[-1].socket
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
