"""Real redis-server and PostgreSQL for tests, each started on a free port in a tmp folder and stopped afterwards.

API (fixtures are imported into tests/conftest.py, so every test can ask for them):

- `redis_server` (session): a running `RedisServer` with a password; `.url` is `redis://:<password>@127.0.0.1:<port>/0`.
  Tests sharing it should use their own key prefixes (the `redis_url` fixture flushes it first instead).
- `redis_url` (function): the session server's URL, restarted if a test stopped it, with every key deleted.
- `redis_factory` (function): `redis_factory()` starts a dedicated `RedisServer` for a test that takes Redis down;
  all of them are killed at the end of the test. `.stop()` shuts down cleanly, `.kill()` is SIGKILL, `.start()`
  brings it back on the same port (so clients configured with `.url` reconnect), `.running` says which.
- `postgres_url` (session): `postgresql+psycopg://...` of a running PostgreSQL (database `postgres`, trust auth).

A missing binary skips the test with how to install it (`make services`); under CI=true it fails instead, because
CI must prove these tests ran.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

START_TIMEOUT = 20.0
INSTALL_HINT = "run `make services` (as root it runs apt-get install redis-server postgresql)"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; a tiny race is acceptable for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable(what: str) -> NoReturn:
    """Skip, or under CI fail: a CI run that silently skipped the service tests would prove nothing."""
    message = f"{what}: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f} s")


# --------------------------------------------------------------------------------------------------------------
# Redis


def redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.access(p, os.X_OK)), None
    )


class RedisServer:
    """One redis-server process: no persistence, bound to 127.0.0.1, password-protected unless password=None."""

    def __init__(self, workdir: Path, port: int | None = None, password: str | None = "") -> None:
        binary = redis_binary()
        if binary is None:
            raise FileNotFoundError("redis-server")
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        # "" means a random one: a password in every URL is what production looks like, and lets tests check that
        # it never reaches the logs.
        self.password = secrets.token_hex(12) if password == "" else password
        self.log = self.workdir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> RedisServer:
        """Start (or restart, on the same port) and wait until it accepts connections."""
        if self.running:
            return self
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir), "--logfile", str(self.log)]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        try:
            _wait_for_port(self.port, self.process, self.log)
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """A clean shutdown (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """A crash (SIGKILL): connections drop without goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self) -> object:
        """A redis-py client for checks in tests."""
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for the whole session (started on first use)."""
    if redis_binary() is None:
        unavailable("redis-server not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, running and empty."""
    import redis

    redis_server.start()
    with redis.Redis.from_url(redis_server.url, socket_timeout=2) as client:
        client.flushall()
    return redis_server.url


@pytest.fixture
def redis_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start dedicated servers (for tests that stop or kill Redis); every one is killed after the test."""
    if redis_binary() is None:
        unavailable("redis-server not installed")
    started: list[RedisServer] = []

    def make(password: str | None = "") -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(started)}", password=password)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.kill()


# --------------------------------------------------------------------------------------------------------------
# PostgreSQL


def postgres_bindir() -> Path | None:
    """Where initdb and postgres live: on PATH, or Debian's /usr/lib/postgresql/<major>/bin (newest first)."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _as_service_user() -> list[str]:
    # PostgreSQL refuses to run as root: run it as the `postgres` user the Debian package creates.
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root needs runuser to start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--"]


class PostgresServer:
    """initdb into a fresh folder and run `postgres` on a free port with trust auth, fsync off (test data only)."""

    def __init__(self, bindir: Path, user: str = "stackpick") -> None:
        self.bindir = bindir
        self.user = user
        # Not pytest's tmp folder: that is private to root, and the server may run as the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="stackpick-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        prefix = _as_service_user()
        if prefix:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run([*prefix, str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                        "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*prefix, str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            _wait_for_port(self.port, self.process, self.log)
            self._wait_for_queries()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_queries(self) -> None:
        # The port opens before recovery finishes; only a query proves the server is ready.
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                                     connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT to the postmaster itself is PostgreSQL's "fast" shutdown (open sessions are closed). Not to
            # runuser: it would pass on SIGTERM, the "smart" shutdown that waits for every client to leave.
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("PostgreSQL (initdb) not installed")
    server = PostgresServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A SQLAlchemy URL (psycopg 3 driver) of a running, session-wide PostgreSQL."""
    return postgres_server.url
