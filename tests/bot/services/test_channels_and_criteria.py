"""Channel settings and feedback by criterion, on SQLite and on a real PostgreSQL; the thread memory, in this
process and shared through a real redis-server."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from services import RedisServer

from bot.services.channels import ChannelSettings
from bot.services.feedback import FeedbackStore
from bot.slack.threads import MAX_CONTEXT, MemoryThreads, RedisThreads, context_of


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "feedback.sqlite3")
    postgres_url = str(request.getfixturevalue("postgres_url"))
    name = f"channels_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def test_channel_settings_are_shared_through_the_database_and_cached(database: str) -> None:
    now = [0.0]
    mine = ChannelSettings(FeedbackStore(database).engine, ttl=30, clock=lambda: now[0])
    theirs = ChannelSettings(FeedbackStore(database).engine, ttl=30, clock=lambda: now[0])
    assert mine.mode("C1") == "thread" and theirs.mode("C1") == "thread"  # the default, without a row
    reads = theirs.reads
    for _ in range(100):
        theirs.mode("C1")
    assert theirs.reads == reads  # a hundred messages, no query

    mine.set("C1", "private", by="UADMIN")
    assert mine.mode("C1") == "private"  # the replica that changed it sees it at once
    assert theirs.mode("C1") == "thread"  # another sees it on the notice (invalidate) or after the TTL
    theirs.invalidate()
    assert theirs.mode("C1") == "private"
    mine.set("C2", "off", by="UADMIN")
    now[0] = 31
    assert theirs.mode("C2") == "off"
    assert {s.channel: (s.mode, s.updated_by) for s in theirs.all().values()} == {
        "C1": ("private", "UADMIN"), "C2": ("off", "UADMIN")}

    mine.set("C1", "thread", by="UADMIN")  # back to the default: the row goes
    theirs.invalidate()
    assert set(theirs.all()) == {"C2"}
    with pytest.raises(ValueError):
        mine.set("C3", "loud", by="UADMIN")  # type: ignore[arg-type]


def test_votes_keep_the_answers_criteria_and_the_ones_marked_wrong(database: str) -> None:
    store = FeedbackStore(database)
    up = store.record("q", "node", "U1", "up", message="C1:1", criteria=["realtime", "io_apis", "realtime"])
    down = store.record("q", "node", "U2", "down", message="C1:1", criteria=["realtime", "io_apis"])
    assert up != down and store.add_reason(down, "wrong: Real-time", wrong=["realtime"])
    store.record("q2", "python", "U3", "down", message="C1:2", criteria=["data_ml"])
    summary = FeedbackStore(database).summary()  # another replica sees the same
    assert [(c.criterion, c.up, c.down, c.wrong) for c in summary.per_criterion] == [
        ("realtime", 1, 1, 1), ("io_apis", 1, 1, 0), ("data_ml", 0, 1, 0)]  # most often wrong, then most 👎
    assert summary.latest_reasons[0].wrong == ["realtime"]
    store.close()


def test_memory_threads_keep_the_first_and_latest_questions_and_forget_after_the_ttl() -> None:
    now = [0.0]
    threads = MemoryThreads(ttl_seconds=60, max_threads=2, clock=lambda: now[0])
    assert threads.questions("C1", "1.0") is None
    for n in range(8):
        threads.remember("C1", "1.0", f"q{n}")
    assert threads.questions("C1", "1.0") == context_of([f"q{n}" for n in range(8)])
    assert context_of([f"q{n}" for n in range(8)]) == ["q0", "q4", "q5", "q6", "q7"]  # first + latest
    assert len(context_of([f"q{n}" for n in range(8)])) == MAX_CONTEXT
    threads.remember("C1", "2.0", "")  # a pane thread, greeted but not asked yet: known, with no questions
    assert threads.questions("C1", "2.0") == []
    threads.remember("C1", "3.0", "x")  # bounded: the least recently answered thread goes
    assert threads.questions("C1", "1.0") is None and len(threads) == 2
    now[0] = 61
    assert threads.questions("C1", "3.0") is None


def test_redis_threads_are_shared_expire_and_survive_an_outage(
    redis_factory: object, caplog: pytest.LogCaptureFixture
) -> None:
    server: RedisServer = redis_factory()  # type: ignore[operator]
    one = RedisThreads.from_url(server.url, ttl_seconds=3600, retry_seconds=0.0)
    two = RedisThreads.from_url(server.url, ttl_seconds=3600, retry_seconds=0.0)
    one.remember("C1", "1.0", "first")
    for n in range(6):
        two.remember("C1", "1.0", f"later {n}")
    assert one.questions("C1", "1.0") == ["first", "later 2", "later 3", "later 4", "later 5"]
    assert two.questions("C9", "9.0") is None
    check = redis.Redis.from_url(server.url)
    assert 0 < check.ttl("stackpick:thread:C1:1.0") <= 3600  # expires; nothing is kept for ever
    assert 0 < check.ttl("stackpick:thread:C1:1.0:recent") <= 3600
    check.close()

    server.kill()
    with caplog.at_level(logging.WARNING):
        one.remember("C2", "2.0", "asked during the outage")
        assert one.questions("C2", "2.0") == ["asked during the outage"]  # this replica still knows it
        assert one.questions("C1", "1.0") == ["first"]  # what it remembered itself
        one.questions("C1", "1.0")
    assert sum("unavailable" in r.getMessage() for r in caplog.records) == 1  # once per outage
    server.start()
    one.remember("C2", "2.0", "after the outage")
    assert two.questions("C2", "2.0") == ["asked during the outage", "after the outage"]  # shared, first intact
