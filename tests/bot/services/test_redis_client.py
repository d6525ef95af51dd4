"""The Redis client says why Redis failed (the server's own words), once per outage, and never the password."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from services import RedisServer

from bot.services.redis_client import MAX_REASON_CHARS, connect, failure_reason

# What redis-server sends a client that is not on loopback when it has no password (protected mode), then it
# closes the connection.
DENIED = ("DENIED Redis is running in protected mode because protected mode is enabled and no password is set for "
          "the default user. In this mode connections are only accepted from the loopback interface.")


class FakeRedis:
    """A TCP server speaking just enough RESP: '+OK' to every command, or an error line and a closed connection
    (what protected mode does), switchable while clients stay connected."""

    def __init__(self) -> None:
        self.refusal: str | None = None  # None: answer +OK
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, password: str | None = None) -> str:
        return f"redis://{f':{password}@' if password else ''}127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            while self.refusal is None:
                header = stream.readline()  # *<n> arguments, each as $<len> and its bytes
                if not header.startswith(b"*"):
                    return
                for _ in range(int(header[1:])):
                    stream.read(int(stream.readline()[1:]) + 2)
                if self.refusal is None:
                    conn.sendall(b"+OK\r\n")
            conn.sendall(f"-{self.refusal}\r\n".encode())

    def close(self) -> None:
        self.stopped.set()
        self.server.close()


@pytest.fixture
def fake_redis() -> Iterator[FakeRedis]:
    server = FakeRedis()
    yield server
    server.close()


@pytest.fixture
def failures(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.DEBUG)  # libraries' debug logs included: none may carry the password either
    return lambda: [r.getMessage() for r in caplog.records
                    if r.name == "stackpick.shared" and r.levelno == logging.WARNING and " failed: " in r.getMessage()]


def failing(call: Callable[[], object], error: type[RedisError] = RedisError) -> None:
    with pytest.raises(error):
        call()


def test_a_refusal_is_logged_with_the_servers_reason_once_per_outage(
    fake_redis: FakeRedis, failures: Callable[[], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    password = "s3cret-hunter2"
    client = connect(fake_redis.url(password))
    fake_redis.refusal = DENIED
    for _ in range(3):  # a replica retrying through one outage
        failing(lambda: client.set("stackpick:event:Ev1", 1, nx=True, ex=60), ResponseError)
    [first] = failures()
    assert f"Redis at 127.0.0.1:{fake_redis.port} failed: ResponseError: DENIED Redis is running in protected mode" \
        in first
    assert "loopback interface" in first  # the server's advice, not only its first words

    fake_redis.refusal = None
    assert client.set("stackpick:event:Ev2", 1, nx=True, ex=60)  # Redis is back: the outage is over
    assert len(failures()) == 1
    fake_redis.refusal = "ERR max number of clients reached"
    failing(lambda: client.ping())  # a new outage, with its own reason, on the pooled connection
    # redis-py takes this refusal for a connection error: the reason still gives Redis's words.
    assert len(failures()) == 2 and failures()[1].endswith("ConnectionError: max number of clients reached")
    assert password not in caplog.text


@pytest.mark.parametrize("password", ["plain-hunter2", "p%40ss%3Aword"], ids=["plain", "percent-encoded"])
def test_a_reason_that_echoes_the_password_or_the_url_is_masked(
    fake_redis: FakeRedis, failures: Callable[[], list[str]], caplog: pytest.LogCaptureFixture, password: str
) -> None:
    url = fake_redis.url(password)
    decoded = password.replace("%40", "@").replace("%3A", ":")
    fake_redis.refusal = f"ERR rejected {decoded} (raw {password}) from {url}"
    failing(lambda: connect(url).ping())
    [reason] = failures()
    assert reason.endswith("ResponseError: rejected *** (raw ***) from ***")  # redis-py drops "ERR "
    assert password not in caplog.text and decoded not in caplog.text


def test_a_wrong_password_is_explained_by_the_real_server(
    redis_factory: Callable[..., RedisServer], failures: Callable[[], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    assert server.password
    wrong = server.url.replace(server.password, "not-the-" + server.password)
    failing(lambda: connect(wrong).set("k", 1), AuthenticationError)
    [reason] = failures()
    assert f"Redis at 127.0.0.1:{server.port} failed: AuthenticationError:" in reason
    assert "invalid username-password pair" in reason  # redis-server's WRONGPASS text
    assert server.password not in caplog.text
    assert connect(server.url).set("k", 1)  # the right password works: nothing else is wrong


def test_a_server_that_is_down_is_explained_by_the_socket_error(failures: Callable[[], list[str]]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    failing(lambda: connect(f"redis://:pw-hunter2@127.0.0.1:{port}/0").ping())
    [reason] = failures()
    assert reason.startswith(f"Redis at 127.0.0.1:{port} failed: ConnectionError: ")
    assert "refused" in reason.lower() and "pw-hunter2" not in reason


def test_failure_reason_folds_whitespace_and_caps_a_long_message() -> None:
    url = "redis://:hunter2@cache:6379/0"
    assert failure_reason(ResponseError("DENIED  one\n  two\tthree hunter2"), url) == \
        "ResponseError: DENIED one two three ***"
    long = failure_reason(ResponseError("x" * 5000), url)
    assert long.startswith("ResponseError: x") and len(long) == len("ResponseError: ") + MAX_REASON_CHARS
    assert long.endswith("…")
    assert failure_reason(ResponseError(), url) == "ResponseError"
