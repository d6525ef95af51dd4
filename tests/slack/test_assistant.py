"""The assistant pane (Bolt's Assistant) over real HTTP and through the Socket Mode handler: greeting and suggested
prompts from the rules, a status while answering, the thread's title, and follow-ups like a thread's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from block_limits import limit_problems, unresolved_citations
from slack_fakes import BOT_ID, BOT_USER, USER, Call, Running, SocketModeDriver, blocks_of

from bot.services.prompts import suggested_prompts

PANE = "D0PANE"


def started(thread_ts: str, kind: str = "assistant_thread_started") -> dict[str, Any]:
    return {"type": kind, "event_ts": thread_ts,
            "assistant_thread": {"user_id": USER, "channel_id": PANE, "thread_ts": thread_ts,
                                 "context": {"channel_id": "C1", "team_id": "T1", "enterprise_id": None}}}


def said(text: str, ts: str, thread_ts: str) -> dict[str, Any]:
    return {"type": "message", "user": USER, "text": text, "ts": ts, "thread_ts": thread_ts, "channel": PANE,
            "channel_type": "im", "event_ts": ts}


def in_thread(thread_ts: str) -> Any:
    return lambda c: c.args.get("thread_ts") == thread_ts


def articles(bot: Running) -> int:
    return len(bot.advisor.library_summary().articles)


def check_greeting(bot: Running, thread_ts: str) -> None:
    [greeting] = bot.fake.wait_for("chat.postMessage", where=in_thread(thread_ts))
    assert greeting.args["channel"] == PANE and "Node.js or Python?" in greeting.args["text"]
    [prompts] = bot.fake.wait_for("assistant.threads.setSuggestedPrompts", where=in_thread(thread_ts))
    assert prompts.args["channel_id"] == PANE
    assert prompts.args["prompts"] == suggested_prompts(bot.advisor.rules) and 3 <= len(prompts.args["prompts"]) <= 4
    examples = [e for c in bot.advisor.rules.criteria for e in c.examples]
    for prompt in prompts.args["prompts"]:  # each drawn from one of the rules' criterion examples
        assert any(e in prompt["message"] for e in examples) and prompt["title"]


def check_first_question(bot: Running, thread_ts: str, question: str) -> Call:
    [title] = bot.fake.wait_for("assistant.threads.setTitle", where=in_thread(thread_ts))
    assert title.args["title"] == question and title.args["channel_id"] == PANE
    [status] = bot.fake.wait_for("assistant.threads.setStatus", where=in_thread(thread_ts))
    assert status.args["status"] == f"Weighing {articles(bot)} articles…"
    answers = bot.fake.wait_for("chat.postMessage", count=2, where=in_thread(thread_ts))
    answer = answers[-1]
    blocks = blocks_of(answer)
    assert blocks[0]["type"] == "header" and limit_problems(blocks) == [] and unresolved_citations(blocks) == []
    assert status.at <= answer.at  # the status shows while the answer is worked out
    assert bot.fake.ok_calls("reactions.add") == []  # the pane has its status, not the hourglass
    return answer


def test_the_pane_greets_with_prompts_from_the_rules_shows_a_status_and_follows_up(bot: Running) -> None:
    thread = "3000.000100"
    assert bot.slack.event(started(thread)).status_code == 200  # no more 404 for the assistant's events
    check_greeting(bot, thread)

    question = "Node or Python for a real-time chat app?"
    bot.slack.event(said(question, "3000.000200", thread))
    check_first_question(bot, thread, question)

    # A follow-up in the pane is answered with the first question in mind, like a thread follow-up.
    bot.slack.event(said("what if our team only knows Python?", "3000.000300", thread))
    replies = bot.fake.wait_for("chat.postMessage", count=3, where=in_thread(thread))
    summary = next(b for b in blocks_of(replies[-1]) if b.get("block_id") == "summary")["text"]["text"]
    assert summary.startswith(("Changed from", "Still"))
    assert len(bot.fake.ok_calls("assistant.threads.setTitle")) == 1  # titled once, by the first question

    # Chatter gets nothing, another technology one short line.
    bot.slack.event(said("thanks!", "3000.000400", thread))
    bot.slack.event(said("what about Rust though?", "3000.000500", thread))
    [*_, line] = bot.fake.wait_for("chat.postMessage", count=4, where=in_thread(thread))
    assert "Rust" in line.args["text"] and not line.args.get("blocks")
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage", in_thread(thread))) == 4
    assert len(bot.fake.ok_calls("assistant.threads.setStatus")) == 2  # only the two answered questions
    assert bot.fake.ok_calls("conversations.replies") == []  # the pane's history is remembered, not read


def test_a_context_change_is_acked_without_a_web_api_call(bot: Running) -> None:
    response = bot.slack.event(started("3100.000100", kind="assistant_thread_context_changed"))
    assert response.status_code == 200
    bot.fake.settle()
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []


def test_a_pane_thread_from_before_a_restart_reads_its_history_once(bot: Running) -> None:
    thread = "3200.000100"
    bot.fake.threads[(PANE, thread)] = [
        {"ts": thread, "user": BOT_USER, "bot_id": BOT_ID, "text": "Hi! I answer Node.js or Python?"},
        {"ts": "3200.000200", "user": USER, "text": "Node or Python for a real-time chat app?"},
        {"ts": "3200.000300", "user": BOT_USER, "bot_id": BOT_ID, "text": "Node.js"},
    ]
    bot.slack.event(said("what if our team only knows Python?", "3200.000400", thread))
    [reply] = bot.fake.wait_for("chat.postMessage", where=in_thread(thread))
    summary = next(b for b in blocks_of(reply) if b.get("block_id") == "summary")["text"]["text"]
    assert summary.startswith(("Changed from", "Still"))
    bot.slack.event(said("and for the ML part?", "3200.000500", thread))
    bot.fake.wait_for("chat.postMessage", count=2, where=in_thread(thread))
    assert len(bot.fake.ok_calls("conversations.replies")) == 1  # remembered after the first lookup


@pytest.fixture
def socket(bot: Running) -> Iterator[SocketModeDriver]:
    driver = SocketModeDriver(bot.app, bot.fake)
    yield driver
    driver.close()


def test_the_pane_works_the_same_in_socket_mode(bot: Running, socket: SocketModeDriver) -> None:
    thread = "3300.000100"
    envelope = socket.event(started(thread))
    assert socket.wait_ack(envelope) == {"envelope_id": envelope}  # acked (it was not, before the Assistant)
    check_greeting(bot, thread)

    question = "Should we build our ML-backed recommendation API in Python or Node.js?"
    asked = socket.event(said(question, "3300.000200", thread))
    socket.wait_ack(asked)
    check_first_question(bot, thread, question)

    changed = socket.event(started(thread, kind="assistant_thread_context_changed"))
    socket.wait_ack(changed)
