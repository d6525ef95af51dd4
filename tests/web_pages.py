"""A local web server for fetch tests: scripted pages, redirects and endless bodies, and a record of every request."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    """One scripted answer: status, headers and a body (bytes, or a factory of chunks for a streamed body)."""

    body: bytes | Callable[[], Iterable[bytes]] = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    host: str | None


class PageServer:
    """A threaded http.server on `host` (127.0.0.1, or another loopback address such as 127.0.0.2) and a free port,
    or a given one; `seen` lists every request that reached it, `written` the body bytes sent per path."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pages: dict[str, Page] = {}
        self.seen: list[Seen] = []
        self.written: dict[str, int] = {}
        self.finished: list[str] = []  # paths whose handler has returned (body sent, or the client hung up)
        self.lock = threading.Lock()
        self._changed = threading.Condition(self.lock)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.lock:
                    server.seen.append(Seen(self.path, self.headers.get("Host")))
                page = server.pages.get(self.path)
                if page is None:
                    self.send_error(404)
                    return
                self.send_response(page.status)
                if page.content_type:
                    self.send_header("Content-Type", page.content_type)
                for key, value in page.headers.items():
                    self.send_header(key, value)
                if isinstance(page.body, bytes) and "Content-Length" not in page.headers:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                # HTTP/1.0 without a length: a streamed body ends when the connection closes.
                chunks: Iterable[bytes] = [page.body] if isinstance(page.body, bytes) else page.body()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        with server.lock:
                            server.written[self.path] = server.written.get(self.path, 0) + len(chunk)
                except OSError:
                    pass  # the client hung up: what the size limit is for
                finally:
                    with server._changed:
                        server.finished.append(self.path)
                        server._changed.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = int(self.server.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def wait_finished(self, path: str, timeout: float = 60.0) -> bool:
        """Wait until a request for `path` has been handled to the end, so `written` holds all it sent; a generous
        bound, so a slow machine makes a test slower, never red."""
        with self._changed:
            return self._changed.wait_for(lambda: path in self.finished, timeout)

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths_seen(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]


def html_page(title: str, body: str) -> bytes:
    """A small article page: navigation and footer around the article text (which extraction should keep)."""
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>'
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright 2024 Example Robotics</footer></body></html>"
    ).encode()
