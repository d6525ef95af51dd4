"""Quiet threads over real HTTP: in a thread stackpick answered only in-scope follow-ups get an answer, chatter gets
nothing and another technology one line; knowing a thread costs no Web API call; lookups never hold up answers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_fakes import USER, Running, blocks_of, hold

QUESTION = "Node or Python for a real-time chat app?"


def reply(text: str, ts: str, thread_ts: str, channel: str = "C1") -> dict[str, Any]:
    return {"type": "message", "channel": channel, "channel_type": "channel", "user": USER, "text": text, "ts": ts,
            "thread_ts": thread_ts}


def in_thread(thread_ts: str) -> Any:
    return lambda c: c.args.get("thread_ts") == thread_ts


def answered_thread(bot: Running, ts: str, channel: str = "C1") -> None:
    bot.slack.mention(QUESTION, ts=ts, channel=channel)
    bot.fake.wait_for("chat.postMessage", where=in_thread(ts))
    bot.fake.wait_for("reactions.remove", where=lambda c: c.args.get("timestamp") == ts)


def test_chatter_gets_nothing_another_technology_one_line_and_a_follow_up_an_answer(bot: Running) -> None:
    thread = "4000.000100"
    answered_thread(bot, thread)

    for n, chatter in enumerate(("thanks!", "lol", "ok 👍"), start=2):
        assert bot.slack.event(reply(chatter, f"4000.00{n:03d}", thread)).status_code == 200
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage", in_thread(thread))) == 1  # chatter posted nothing
    assert len(bot.fake.ok_calls("reactions.add")) == 1  # and got no hourglass either

    bot.slack.event(reply("what about Rust though?", "4000.000900", thread))
    [_, line] = bot.fake.wait_for("chat.postMessage", count=2, where=in_thread(thread))
    expected = bot.advisor.read("what about Rust though?", [QUESTION]).reply
    assert line.args["text"] == expected and not line.args.get("blocks")  # one short line, no card

    bot.slack.event(reply("what if our team only knows Python?", "4000.001000", thread))
    [*_, follow_up] = bot.fake.wait_for("chat.postMessage", count=3, where=in_thread(thread))
    blocks = blocks_of(follow_up)
    assert blocks[0]["type"] == "header"
    summary = next(b for b in blocks if b.get("block_id") == "summary")["text"]["text"]
    assert summary.startswith(("Changed from", "Still"))  # answered with the thread's first question in mind

    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 3
    assert bot.fake.all_calls("conversations.replies") == []  # the thread was known without asking Slack


def test_a_thread_stackpick_did_not_answer_costs_no_call_however_busy(bot: Running) -> None:
    for n in range(30):
        bot.slack.event(reply(f"lunch plans {n}? Node or Python for the ordering app?", f"4100.{n:06d}", "4100.9"))
    bot.fake.settle()
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []


def test_the_quiet_check_takes_no_answer_worker_and_the_hourglass_none_either(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = "4200.000100"
    answered_thread(bot, thread)
    answering = hold(monkeypatch, bot.advisor, "ask")
    # Nine questions: eight hold every answer worker, the ninth waits in the queue.
    stamps = [f"42{n:02d}.000500" for n in range(1, 10)]
    for ts in stamps:
        bot.slack.mention(f"{QUESTION} #{ts}", ts=ts, channel="C2")
    # Each gets its hourglass at once, the queued one too: no worker was free to put it there.
    bot.fake.wait_for("reactions.add", count=10, where=lambda c: c.args.get("timestamp") in (thread, *stamps))
    assert not answering.finished.is_set()
    # And the thread check, the engine's reading and the one-line reply need no answer worker.
    bot.slack.event(reply("what about Rust though?", "4200.000900", thread))
    [_, line] = bot.fake.wait_for("chat.postMessage", count=2, where=in_thread(thread))
    assert "Rust" in line.args["text"] and not answering.finished.is_set()
    answering.release()
    bot.fake.wait_for("chat.postMessage", count=len(stamps), where=lambda c: c.args.get("thread_ts") in stamps)


def test_a_mention_is_answered_at_once_while_eight_thread_lookups_wait_on_429s(bot: Running) -> None:
    limited = (429, {"Retry-After": "10"}, {"ok": False, "error": "ratelimited"})
    bot.fake.script("conversations.replies", *[limited] * 8)
    threads = [f"43{n:02d}.000100" for n in range(8)]
    for n, thread_ts in enumerate(threads):
        # Mentions in threads stackpick has not answered (or from before a restart): their history must be read.
        bot.slack.mention(f"{QUESTION} (in thread {n})", ts=f"43{n:02d}.000200", channel="C3", thread_ts=thread_ts)
    bot.fake.wait_for("reactions.add", count=8)  # each shows its hourglass while its lookup waits
    deadline = time.monotonic() + 60
    while len(bot.fake.all_calls("conversations.replies")) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [c.status for c in bot.fake.all_calls("conversations.replies")] == [429] * 8  # all eight waiting

    sent = time.monotonic()
    bot.slack.mention(QUESTION, ts="4399.000100", channel="C3")
    [answer] = bot.fake.wait_for("chat.postMessage", where=in_thread("4399.000100"))
    latency = answer.at - sent
    # Answered while every lookup still waits out its Retry-After: none has been retried yet.
    assert bot.fake.ok_calls("conversations.replies") == [], "the answer waited for a thread lookup"
    assert latency < 5.0, f"a mention took {latency:.2f} s while eight lookups waited"  # 0.1-0.3 s here

    # Then the lookups finish too: each retried once after its 429, each question answered.
    bot.fake.wait_for("conversations.replies", count=8)
    bot.fake.wait_for("chat.postMessage", count=9)
    retried = [c.at for c in bot.fake.ok_calls("conversations.replies")]
    assert min(retried) > answer.at  # every lookup finished after the mention's answer
