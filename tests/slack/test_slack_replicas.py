"""Two replicas of the real app over HTTP: with REDIS_URL an event retried to the other replica is answered once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_fakes import FakeSlack, Running, serve

from bot.engine import Advisor
from bot.settings import Settings

QUESTION = "Node or Python for a real-time chat app?"


def deliver_to_both(one: Running, two: Running, events: int) -> None:
    """Each event reaches both replicas at the same moment: the original to one, Slack's retry to the other."""
    with ThreadPoolExecutor(8) as pool:
        sent = [
            pool.submit(replica.slack.mention, QUESTION, ts=f"{700 + n}.000100", event_id=f"EvTwo{n}",
                        retry=attempt or None)
            for n in range(events)
            for attempt, replica in enumerate((one, two))
        ]
        assert [future.result().status_code for future in sent] == [200] * len(sent)


def test_an_event_retried_to_another_replica_is_answered_once(
    env: dict[str, str], redis_url: str, monkeypatch: pytest.MonkeyPatch, shared_advisor: Advisor,
    fake_slack: FakeSlack,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    settings = Settings()
    with serve(settings, shared_advisor, fake_slack) as one, serve(settings, shared_advisor, fake_slack) as two:
        deliver_to_both(one, two, events=8)
        fake_slack.wait_for("chat.postMessage", 8)
        fake_slack.settle()
    threads = sorted(c.args["thread_ts"] for c in fake_slack.ok_calls("chat.postMessage"))
    assert threads == [f"{700 + n}.000100" for n in range(8)]  # every event answered, none twice


def test_without_redis_each_replica_would_answer(
    env: dict[str, str], shared_advisor: Advisor, fake_slack: FakeSlack
) -> None:
    # The control for the test above: per-process memory cannot see the other replica's events.
    settings = Settings()
    assert settings.redis_url is None
    with serve(settings, shared_advisor, fake_slack) as one, serve(settings, shared_advisor, fake_slack) as two:
        deliver_to_both(one, two, events=1)
        fake_slack.wait_for("chat.postMessage", 2)
