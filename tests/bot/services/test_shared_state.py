"""Several replicas against a real redis-server and PostgreSQL: shared de-duplication, index notices, feedback."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import redis
from services import RedisServer, unavailable

from bot.engine import Advisor
from bot.services.feedback import FeedbackStore
from bot.services.library import Librarian
from bot.services.notices import INDEX_CHANNEL, IndexNoticeListener, publish_index_version, start_index_listener
from bot.settings import Settings
from bot.slack.dedup import MemoryDeduplicator, RedisDeduplicator, make_deduplicator


def wait_until(condition: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def warnings_in(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def with_redis(monkeypatch: pytest.MonkeyPatch, url: str) -> Settings:
    monkeypatch.setenv("REDIS_URL", url)
    return Settings(_env_file=None)  # type: ignore[call-arg]


# --------------------------------------------------------------------------------------------------------------
# Settings


def test_settings_read_the_shared_urls_as_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@cache:6380/1")
    monkeypatch.setenv("STACKPICK_DATABASE_URL", "postgresql+psycopg://bot:hunter3@db/stackpick")
    config = Settings(_env_file=None)  # type: ignore[call-arg]
    assert config.redis_url is not None and config.redis_url.get_secret_value() == "redis://:hunter2@cache:6380/1"
    assert config.database_url is not None and "hunter3" in config.database_url.get_secret_value()
    assert "hunter2" not in repr(config) and "hunter3" not in repr(config)

    monkeypatch.setenv("REDIS_URL", " ")  # what an empty compose/Helm value gives
    monkeypatch.delenv("STACKPICK_DATABASE_URL")
    config = Settings(_env_file=None)  # type: ignore[call-arg]
    assert config.redis_url is None and config.database_url is None


# --------------------------------------------------------------------------------------------------------------
# Event de-duplication shared through Redis


def test_two_replicas_answer_each_event_exactly_once(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    replicas = [RedisDeduplicator.from_url(redis_url), RedisDeduplicator.from_url(redis_url)]
    keys = [f"Ev{n:04d}" for n in range(100)]
    # Every event delivered four times (Slack's retries), spread over both replicas, all at once.
    deliveries = [(replicas[(n + attempt) % 2], key) for attempt in range(4) for n, key in enumerate(keys)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda d: (d[1], d[0].first_time(d[1])), deliveries))
    answered = [key for key, first in results if first]
    assert all(r.shared for r in replicas), warnings_in(caplog, "unavailable")  # no fallback to memory happened
    assert sorted(answered) == keys  # each key answered exactly once
    client = redis.Redis.from_url(redis_url)
    assert client.exists(RedisDeduplicator.PREFIX + "Ev0000") and client.ttl(RedisDeduplicator.PREFIX + "Ev0000") > 0


def test_a_key_is_new_again_once_its_ttl_expires(redis_url: str) -> None:
    first, second = (RedisDeduplicator.from_url(redis_url, ttl_seconds=1) for _ in range(2))
    assert first.first_time("Ev1") and not second.first_time("Ev1")
    assert redis.Redis.from_url(redis_url).ttl(RedisDeduplicator.PREFIX + "Ev1") == 1
    time.sleep(1.1)
    assert second.first_time("Ev1") and not first.first_time("Ev1")  # forgotten by Redis and by both memories


def test_redis_outage_falls_back_to_memory_warns_once_and_recovers(
    redis_factory: Callable[..., RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    replica = RedisDeduplicator.from_url(server.url, retry_seconds=0.2)
    assert replica.first_time("before")
    caplog.set_level(logging.INFO)

    server.kill()
    started = time.monotonic()
    assert replica.first_time("during")  # still answering
    assert not replica.first_time("during") and not replica.first_time("before")  # and still de-duplicating
    for n in range(200):
        assert replica.first_time(f"burst{n}")
    assert time.monotonic() - started < 2.0  # an outage costs no timeout per event
    assert not replica.shared
    time.sleep(0.25)
    assert replica.first_time("still-down")  # a retry of Redis that fails again: no second warning
    outage = warnings_in(caplog, "unavailable")
    assert len(outage) == 1 and f"127.0.0.1:{server.port}" in outage[0]

    server.start()
    time.sleep(0.25)
    assert replica.first_time("after")
    assert replica.shared and len(warnings_in(caplog, "is back:")) == 1
    # Keys seen during the outage were written to Redis: another replica skips their retries too.
    other = RedisDeduplicator.from_url(server.url)
    assert not other.first_time("during") and not other.first_time("burst7") and other.first_time("never-seen")


def test_make_deduplicator_uses_redis_only_when_configured(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(make_deduplicator(settings), MemoryDeduplicator)
    shared = make_deduplicator(with_redis(monkeypatch, redis_url))
    assert isinstance(shared, RedisDeduplicator)
    assert shared.first_time("Ev9") and not RedisDeduplicator.from_url(redis_url).first_time("Ev9")


# --------------------------------------------------------------------------------------------------------------
# The index-published notice


@pytest.fixture
def listeners() -> Iterator[list[IndexNoticeListener]]:
    started: list[IndexNoticeListener] = []
    yield started
    for listener in started:
        listener.stop()
    for listener in started:
        listener.join(5)


def test_a_published_index_switches_another_replica_at_once(
    settings: Settings, built_index: object, redis_url: str, monkeypatch: pytest.MonkeyPatch,
    listeners: list[IndexNoticeListener],
) -> None:
    config = with_redis(monkeypatch, redis_url)
    replica = Advisor.from_settings(config)  # a second serving process; no ReloadWatcher polls here
    listener = start_index_listener(config, replica)
    assert listener is not None
    listeners.append(listener)
    assert listener.subscribed.wait(5)
    before = replica.library_summary()
    watcher = redis.Redis.from_url(redis_url).pubsub()
    watcher.subscribe(INDEX_CHANNEL)
    assert watcher.get_message(timeout=2)["type"] == "subscribe"  # type: ignore[index]

    report = Librarian(config).remove(before.articles[0].id)  # a curator elsewhere (CLI or Slack) rebuilds

    assert report.version != before.version
    wait_until(lambda: replica.library_summary().version == report.version, what="the replica to switch")
    assert len(replica.library_summary().articles) == len(before.articles) - 1
    message = watcher.get_message(timeout=2)
    assert message is not None and message["data"] == report.version.encode()
    watcher.close()


def test_cli_rollback_announces_the_version_it_serves(
    settings: Settings, built_index: object, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    config = with_redis(monkeypatch, redis_url)
    first = Advisor.from_settings(config).library_summary()
    Librarian(config).remove(first.articles[0].id)
    watcher = redis.Redis.from_url(redis_url).pubsub()
    watcher.subscribe(INDEX_CHANNEL)
    assert watcher.get_message(timeout=2)["type"] == "subscribe"  # type: ignore[index]
    result = CliRunner().invoke(app, ["index", "rollback"])
    assert result.exit_code == 0, result.output
    message = watcher.get_message(timeout=2)
    assert message is not None and message["data"] == first.version.encode()
    watcher.close()


def test_the_listener_catches_up_and_survives_a_redis_restart(
    redis_factory: Callable[..., RedisServer], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    listeners: list[IndexNoticeListener],
) -> None:
    server = redis_factory()
    config = with_redis(monkeypatch, server.url)
    notices: list[str | None] = []
    listener = IndexNoticeListener(server.url, notices.append, min_backoff=0.05, max_backoff=0.2)
    listeners.append(listener)
    listener.start()
    assert listener.subscribed.wait(5)
    assert notices == [None]  # caught up once on subscribing: notices sent before then are lost by pub/sub
    assert publish_index_version(config, "v1")
    wait_until(lambda: notices == [None, "v1"], what="the notice")

    caplog.set_level(logging.INFO)
    server.kill()
    wait_until(lambda: not listener.subscribed.is_set(), what="the listener to notice the outage")
    assert not publish_index_version(config, "lost")  # best effort: the version is found by polling instead
    time.sleep(0.5)  # several reconnect attempts fail meanwhile
    assert len(warnings_in(caplog, "index notices from Redis")) == 1

    server.start()
    assert listener.subscribed.wait(5)
    assert publish_index_version(config, "v2")
    wait_until(lambda: notices[-1] == "v2", what="the notice after the restart")
    assert notices == [None, "v1", None, "v2"]  # a catch-up after reconnecting covers what was missed
    assert len(warnings_in(caplog, "listening for index notices again")) == 1


def test_without_redis_nothing_is_published_or_listened_to(settings: Settings, fake_advisor: Advisor) -> None:
    assert settings.redis_url is None
    assert not publish_index_version(settings, "v1")
    assert start_index_listener(settings, fake_advisor) is None


# --------------------------------------------------------------------------------------------------------------
# Feedback in SQLite or a shared PostgreSQL


@pytest.fixture
def fresh_postgres(postgres_url: str) -> str:
    """A new, empty database on the session's PostgreSQL, so tests do not see each other's rows."""
    name = f"feedback_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "deep" / "feedback.sqlite3")
    return str(request.getfixturevalue("fresh_postgres"))


def test_feedback_round_trip(store_target: str) -> None:
    store = FeedbackStore(store_target)
    store.record("q1", "node", "U1", "up", message="C1:1")
    store.record("q1", "node", "U1", "down", message="C1:1")  # changed their mind: replaces the first vote
    second = store.record("q1", "node", "U2", "down", message="C1:1")
    store.record("q2", "python", "U3", "up")
    store.record("q2", "python", "U3", "up")  # without a message, every vote counts
    assert store.counts_for("C1:1") == (0, 2) and store.counts_for("C9:9") == (0, 0)
    assert store.add_reason(second, "reason 2 was wrong") and not store.add_reason(9999, "x")
    summary = FeedbackStore(store_target).summary()  # another replica sees the same votes
    assert (summary.total, summary.up, summary.down) == (4, 2, 2)
    assert [(v.verdict, v.up, v.down) for v in summary.per_verdict] == [("node", 0, 2), ("python", 2, 0)]
    assert [(r.question, r.reason) for r in summary.latest_reasons] == [("q1", "reason 2 was wrong")]
    with pytest.raises(ValueError):
        store.record("q", "node", "U", "sideways")  # type: ignore[arg-type]
    store.close()


def test_concurrent_clicks_on_two_replicas_count_once(store_target: str) -> None:
    replicas = [FeedbackStore(store_target), FeedbackStore(store_target)]
    clicks = [(replicas[n % 2], f"U{n % 5}", "up" if n % 3 else "down") for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        ids = list(pool.map(lambda c: c[0].record("q", "node", c[1], c[2], message="C1:42"), clicks))  # type: ignore[arg-type]
    up, down = replicas[0].counts_for("C1:42")
    assert up + down == 5  # one vote per user, however the clicks interleaved
    assert len(set(ids)) == 5  # a changed vote keeps its row, so a late reason finds it
    for store in replicas:
        store.close()


def test_feedback_store_from_settings(settings: Settings, fresh_postgres: str, monkeypatch: pytest.MonkeyPatch) -> None:
    local = FeedbackStore.from_settings(settings)
    assert local.path == settings.feedback_db and local.path.exists()
    monkeypatch.setenv("STACKPICK_DATABASE_URL", fresh_postgres.replace("postgresql+psycopg://", "postgres://"))
    shared = FeedbackStore.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert shared.path is None and shared.engine.dialect.name == "postgresql"
    shared.record("q", "node", "U1", "up")
    assert FeedbackStore(fresh_postgres).summary().up == 1 and local.summary().total == 0


def test_an_existing_sqlite_feedback_file_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as db:  # the schema the SQLite-only store created
        db.executescript(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL, verdict TEXT NOT "
            "NULL, user TEXT NOT NULL, value TEXT NOT NULL CHECK (value IN ('up', 'down')), reason TEXT, message TEXT,"
            " created_at TEXT NOT NULL); CREATE INDEX feedback_message ON feedback (message);"
            "INSERT INTO feedback (question, verdict, user, value, reason, message, created_at) VALUES "
            "('old', 'python', 'U1', 'down', 'too old', 'C1:1', '2024-01-01T00:00:00+00:00');"
        )
    db.close()
    store = FeedbackStore(path)
    store.record("old", "python", "U1", "up", message="C1:1")  # replaces the old vote
    assert store.counts_for("C1:1") == (1, 0) and store.summary().total == 1


# --------------------------------------------------------------------------------------------------------------
# Secrets and missing services


def test_passwords_never_reach_the_logs(
    redis_factory: Callable[..., RedisServer], fresh_postgres: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, listeners: list[IndexNoticeListener], fake_advisor: Advisor,
) -> None:
    caplog.set_level(logging.DEBUG)  # libraries' debug logs included
    server = redis_factory()
    assert server.password and server.password in server.url
    db_password = "pg-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("STACKPICK_DATABASE_URL", fresh_postgres.replace("stackpick@", f"stackpick:{db_password}@"))
    config = with_redis(monkeypatch, server.url)

    dedup = make_deduplicator(config)
    listener = start_index_listener(config, fake_advisor)
    assert listener is not None
    listeners.append(listener)
    assert listener.subscribed.wait(5)
    store = FeedbackStore.from_settings(config)
    store.record("q", "node", "U1", "up")
    assert publish_index_version(config, "v1")
    server.kill()  # every warning path: dedup fallback, failed publish, lost subscription
    assert dedup.first_time("Ev1")
    assert not publish_index_version(config, "v2")
    wait_until(lambda: warnings_in(caplog, "index notices from Redis"), what="the listener's warning")

    logged = caplog.text + repr(config) + store.location
    assert f"127.0.0.1:{server.port}" in caplog.text  # the logs do say where Redis is
    assert server.password not in logged and db_password not in logged
    store.close()


def test_a_missing_service_skips_with_a_hint_but_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make services"):
        unavailable("redis-server not installed")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        unavailable("redis-server not installed")

