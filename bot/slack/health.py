"""Socket Mode's health signal: a tiny HTTP port (`serve --health-port`) saying whether Slack's websocket is up."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("stackpick.serve")


class SocketHealth:
    """What `GET /healthz` answers in Socket Mode: 200 while the websocket to Slack is connected; 503 while the index
    loads ("starting") and whenever the connection is down ("disconnected", until the client has reconnected)."""

    def __init__(self) -> None:
        self._client: Any = None  # slack_sdk's BaseSocketModeClient, once the app is built
        self._version: Callable[[], str] = lambda: ""
        self._lock = threading.Lock()

    def attach(self, client: Any, version: Callable[[], str]) -> None:
        with self._lock:
            self._client, self._version = client, version

    def report(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            client, version = self._client, self._version
        if client is None:
            return 503, {"status": "starting"}
        if client.is_connected():
            return 200, {"status": "ok", "socket_mode": "connected", "index_version": version()}
        return 503, {"status": "disconnected", "socket_mode": "disconnected"}


def serve_health(health: SocketHealth, host: str, port: int) -> ThreadingHTTPServer:
    """Answer `GET /healthz` from `health` on host:port in a background thread (port 0: the OS picks one)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/healthz":
                self._send(404, {"error": "not found"})
                return
            self._send(*health.report())

        def _send(self, status: int, body: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # probes every few seconds would flood the log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="stackpick-health", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    log.info("Socket Mode health check on http://%s:%d/healthz", bound_host, bound_port)
    return server
