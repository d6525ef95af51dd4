"""Per-channel modes over real HTTP: private answers (chat.postEphemeral) with a share button, mention-only, off;
set by admins only (`/stackpick config`, its picker, the App Home form); shared by replicas, cached per message."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from block_limits import limit_problems, unresolved_citations
from slack_fakes import ADMIN, DEADLINE, USER, FakeSlack, Running, block_text, blocks_of, serve

from bot.engine import Advisor
from bot.render.slack.channels import BLOCK_CHANNEL_MODE
from bot.render.slack.ids import (
    ACTION_CHANNEL_MODE,
    ACTION_FEEDBACK_UP,
    ACTION_OPEN_CHANNEL_SETTINGS,
    ACTION_SHARE_ANSWER,
)
from bot.services.channels import SETTINGS_CHANNEL, ChannelSettings
from bot.services.feedback import FeedbackStore
from bot.settings import Settings
from bot.slack.threads import RedisThreads

QUESTION = "Node or Python for a real-time chat app?"


def button(blocks: list[dict], action_id: str) -> dict:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


def reply(text: str, ts: str, thread_ts: str, channel: str, user: str = USER) -> dict[str, Any]:
    return {"type": "message", "channel": channel, "channel_type": "channel", "user": user, "text": text, "ts": ts,
            "thread_ts": thread_ts}


def pick(bot: Running, channel: str, mode: str, user: str, url: str) -> None:
    """An admin (or not) choosing a mode in the `/stackpick config` picker."""
    bot.slack.interact({
        "type": "block_actions", "user": {"id": user}, "trigger_id": "t-1", "response_url": url,
        "container": {"type": "message", "message_ts": "1.0", "channel_id": channel, "is_ephemeral": True},
        "channel": {"id": channel},
        "actions": [{"type": "static_select", "action_id": ACTION_CHANNEL_MODE,
                     "block_id": f"{BLOCK_CHANNEL_MODE}:{channel}", "selected_option": {"value": mode},
                     "action_ts": "1"}],
    })


def test_a_private_channel_answers_with_post_ephemeral_and_the_share_button_posts_it(bot: Running) -> None:
    body = bot.slack.command("config private", user=ADMIN, channel="C4").json()
    assert body["response_type"] == "ephemeral" and "Answer privately" in body["text"]

    bot.slack.mention(QUESTION, ts="5000.000100", channel="C4")
    [private] = bot.fake.wait_for("chat.postEphemeral")
    assert private.args["channel"] == "C4" and private.args["user"] == USER
    assert private.args["thread_ts"] == "5000.000100"
    blocks = blocks_of(private)
    assert blocks[0]["type"] == "header" and limit_problems(blocks) == [] and unresolved_citations(blocks) == []
    bot.fake.settle()
    assert bot.fake.ok_calls("chat.postMessage") == []  # nothing public

    share = button(blocks, ACTION_SHARE_ANSWER)
    bot.slack.click(ACTION_SHARE_ANSWER, share["value"], channel="C4", ephemeral=True,
                    response_url=bot.fake.response_url("private"))
    [shared] = bot.fake.wait_for("chat.postMessage")
    assert shared.args["channel"] == "C4" and shared.args["thread_ts"] == "5000.000100"
    assert blocks_of(shared)[0] == blocks[0] and f"Shared by <@{USER}>" in block_text(blocks_of(shared))
    assert ACTION_SHARE_ANSWER not in json.dumps(blocks_of(shared))  # shared once is shared
    [deleted] = bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/private"))
    assert deleted.args == {"delete_original": True}

    # A vote on the private copy is acknowledged in place through its response_url (it has no ts to update).
    vote = button(blocks, ACTION_FEEDBACK_UP)
    bot.slack.click(ACTION_FEEDBACK_UP, vote["value"], channel="C4", ephemeral=True,
                    message={"ts": private.args["thread_ts"], "text": private.args["text"], "blocks": blocks},
                    response_url=bot.fake.response_url("vote"))
    [acked] = bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/vote"))
    assert acked.args["replace_original"] is True and "So far: 👍 1" in json.dumps(acked.args, ensure_ascii=False)
    assert bot.fake.ok_calls("chat.update") == []

    # A follow-up in the thread is answered privately too, to whoever asked it.
    bot.slack.event(reply("what if our team only knows Python?", "5000.000300", "5000.000100", "C4", user="U2"))
    [_, second] = bot.fake.wait_for("chat.postEphemeral", count=2)
    assert second.args["user"] == "U2" and second.args["thread_ts"] == "5000.000100"


def test_mention_only_ignores_follow_ups_without_a_mention_and_off_answers_nothing(bot: Running) -> None:
    assert "Mentions only" in bot.slack.command("config mention-only", user=ADMIN, channel="C5").json()["text"]
    bot.slack.mention(QUESTION, ts="5100.000100", channel="C5")
    bot.fake.wait_for("chat.postMessage")
    bot.slack.event(reply("what if our team only knows Python?", "5100.000200", "5100.000100", "C5"))
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1
    bot.slack.mention("what if our team only knows Python?", ts="5100.000300", channel="C5", thread_ts="5100.000100")
    bot.fake.wait_for("chat.postMessage", count=2)

    assert "Off" in bot.slack.command("config off", user=ADMIN, channel="C6").json()["text"]
    bot.slack.mention(QUESTION, ts="5200.000100", channel="C6")
    [note] = bot.fake.wait_for("chat.postEphemeral")
    assert note.args["user"] == USER and "switched me off" in note.args["text"]
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 2 and bot.fake.ok_calls("reactions.add", lambda c: c.args[
        "timestamp"] == "5200.000100") == []


def test_only_admins_change_a_channel_and_the_picker_and_app_home_form_work(bot: Running) -> None:
    refused = bot.slack.command("config off", user=USER, channel="C7").json()
    assert refused["response_type"] == "ephemeral" and "only stackpick's admins" in refused["text"]
    pick(bot, "C7", "off", USER, bot.fake.response_url("forged"))  # a forged picker click
    [said] = bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/forged"))
    assert "only stackpick's admins" in said.args["text"]

    shown = bot.slack.command("config", user=ADMIN, channel="C7").json()
    assert "Answer in thread" in json.dumps(shown["blocks"])  # the default, with a picker to change it
    pick(bot, "C7", "private", ADMIN, bot.fake.response_url("picked"))
    [updated] = bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/picked"))
    assert updated.args["replace_original"] is True and "Answer privately" in updated.args["text"]
    bot.slack.mention(QUESTION, ts="5300.000100", channel="C7")
    bot.fake.wait_for("chat.postEphemeral")

    # App Home: admins see the channels set away from the default, and a form to change one.
    bot.slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D1", "tab": "home"})
    [home] = bot.fake.wait_for("views.publish")
    assert "<#C7>: *Answer privately*" in json.dumps(home.args["view"], ensure_ascii=False)
    bot.slack.click(ACTION_OPEN_CHANNEL_SETTINGS, "open", user=ADMIN)
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "channel_settings_modal"
    values = {"channel": {"channel": {"type": "conversations_select", "selected_conversation": "C7"}},
              "mode": {"mode": {"type": "radio_buttons", "selected_option": {"value": "off"}}}}
    assert bot.slack.submit("channel_settings_modal", values, user=USER).status_code == 200  # forged: refused
    assert bot.slack.submit("channel_settings_modal", values, user=ADMIN).status_code == 200
    [_, republished] = bot.fake.wait_for("views.publish", count=2)
    assert "<#C7>: *Off*" in json.dumps(republished.args["view"], ensure_ascii=False)
    bot.slack.event({"type": "app_home_opened", "user": USER, "channel": "D2", "tab": "home"})
    [*_, everyone] = bot.fake.wait_for("views.publish", count=3)
    assert "Channel settings" not in json.dumps(everyone.args["view"])  # not shown to non-admins


@pytest.fixture
def replicas(env: dict[str, str], shared_advisor: Advisor, fake_slack: FakeSlack, redis_url: str,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Running, Running, ChannelSettings]]:
    """Two replicas on one feedback database and one Redis; the second one's settings are counted."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    settings = Settings()
    counted = ChannelSettings(FeedbackStore.from_settings(settings).engine, ttl=3600)
    with serve(settings, shared_advisor, fake_slack) as first, \
            serve(settings, shared_advisor, fake_slack, channels=counted) as second:
        yield first, second, counted


def wait_for_subscribers(redis_url: str, count: int) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    deadline = time.monotonic() + DEADLINE
    while dict(client.pubsub_numsub(SETTINGS_CHANNEL)).get(SETTINGS_CHANNEL.encode(), 0) < count:
        assert time.monotonic() < deadline, "the replicas did not subscribe to the settings notices"
        time.sleep(0.02)
    client.close()


def test_replicas_share_settings_and_threads_and_a_message_costs_no_query(
    replicas: tuple[Running, Running, ChannelSettings], redis_url: str
) -> None:
    first, second, counted = replicas
    wait_for_subscribers(redis_url, 2)
    time.sleep(0.2)  # each listener drops its cache once right after subscribing; let that pass first
    for n in range(10):  # ten messages on the second replica: one read of the table, then the cache
        second.slack.mention(f"{QUESTION} #{n}", ts=f"5400.{n:06d}", channel="C8")
    second.fake.wait_for("chat.postMessage", count=10)
    assert counted.reads == 1

    # An admin sets the channel on the first replica; the second drops its cache on the Redis notice (its TTL
    # here is an hour, so nothing else would make it read the table again).
    assert "Answer privately" in first.slack.command("config private", user=ADMIN, channel="C8").json()["text"]
    deadline = time.monotonic() + DEADLINE
    while counted.mode("C8") != "private":
        assert time.monotonic() < deadline, "the second replica never saw the change"
        time.sleep(0.02)
    second.slack.mention(QUESTION, ts="5500.000100", channel="C8")
    [private] = second.fake.wait_for("chat.postEphemeral")
    assert private.args["thread_ts"] == "5500.000100"

    # A thread answered by one replica is followed by the other (the thread memory is in Redis too).
    first.slack.mention(QUESTION, ts="5600.000100", channel="C9", event_id="EvFirstC9")
    first.fake.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == "5600.000100")
    # The answering replica remembers the thread just after posting: wait for that, not for the post alone (a
    # fresh-clone run sent the reply in between, and the second replica rightly took it for a stranger's thread).
    memory = redis.Redis.from_url(redis_url, socket_timeout=2)
    deadline = time.monotonic() + DEADLINE
    while not memory.exists(f"{RedisThreads.PREFIX}C9:5600.000100"):
        assert time.monotonic() < deadline, "the first replica never remembered its thread"
        time.sleep(0.02)
    memory.close()
    second.slack.event(reply("what if our team only knows Python?", "5600.000200", "5600.000100", "C9"),
                       event_id="EvSecondC9")
    first.fake.wait_for("chat.postMessage", count=2, where=lambda c: c.args.get("thread_ts") == "5600.000100")
    assert first.fake.all_calls("conversations.replies") == []
