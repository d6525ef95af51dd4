"""Questions by mention and DM, follow-ups, retries, rate limits, signatures and load, over real HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from block_limits import limit_problems
from slack_fakes import BOT_ID, BOT_USER, USER, Running, block_text, blocks_of, hold

QUESTION = "Node or Python for a real-time chat app?"


def test_mention_is_answered_in_its_thread_with_verdict_and_citations(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    answering = hold(monkeypatch, bot.advisor, "ask")
    response = bot.slack.mention(QUESTION, ts="100.000100")
    assert response.status_code == 200 and not answering.finished.is_set()  # acked before answering
    answering.release()

    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["channel"] == "C1" and reply.args["thread_ts"] == "100.000100"
    blocks = blocks_of(reply)
    assert blocks[0]["type"] == "header" and "Node.js" in blocks[0]["text"]["text"]
    text = block_text(blocks)
    assert "[1]" in text and "> “" in text  # numbered citations with verbatim quotes
    assert re.search(r"\*(?:\[\d+\])*\[1\](?:\[\d+\])*\*", text)  # and the sources line ("*[1][3]* Title")
    assert reply.args["unfurl_links"] is False
    assert limit_problems(blocks) == []

    # The hourglass goes on the question while working and comes off once the answer is posted.
    [added] = bot.fake.wait_for("reactions.add")
    [removed] = bot.fake.wait_for("reactions.remove")
    expected = {"channel": "C1", "timestamp": "100.000100", "name": "hourglass_flowing_sand"}
    assert added.args.items() >= expected.items() and removed.args.items() >= expected.items()
    assert added.at <= reply.at <= removed.at


def test_an_answer_ready_before_its_hourglass_waits_for_it(bot: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    # The hourglass's pool busy (or Slack slow): the answer is worked out meanwhile, but posted only once the
    # hourglass shows, so it never appears under a question already answered.
    from bot.slack import answering as answering_module

    hourglass_may_go = threading.Event()
    react = answering_module.react

    def late_react(**kwargs: object) -> None:
        if kwargs.get("add"):
            hourglass_may_go.wait(30)
        react(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(answering_module, "react", late_react)
    answering = hold(monkeypatch, bot.advisor, "ask")
    bot.slack.mention(QUESTION, ts="100.000200")
    answering.release()
    assert answering.finished.wait(30)
    hourglass_may_go.set()
    [reply] = bot.fake.wait_for("chat.postMessage")
    [added] = bot.fake.wait_for("reactions.add")
    [removed] = bot.fake.wait_for("reactions.remove")
    assert added.at <= reply.at <= removed.at


def test_dm_is_answered_without_a_mention_and_bots_are_ignored(bot: Running) -> None:
    dm = {"type": "message", "channel": "D1", "channel_type": "im", "user": USER}
    bot.slack.event({**dm, "text": "hi from a bot", "ts": "1.1", "bot_id": "BOTHER", "subtype": "bot_message"})
    bot.slack.event({**dm, "text": "my own echo", "ts": "1.2", "user": BOT_USER})
    bot.slack.event({**dm, "subtype": "message_changed", "ts": "1.3", "message": {"text": QUESTION}})
    bot.slack.event({**dm, "text": "Python or Node.js for a machine learning API?", "ts": "1.4"})

    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["channel"] == "D1" and reply.args["thread_ts"] == "1.4"
    assert blocks_of(reply)[0]["type"] == "header"
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1


def test_follow_up_in_the_bots_thread_takes_the_first_question_into_account(bot: Running) -> None:
    bot.fake.threads[("C1", "200.000100")] = [
        {"ts": "200.000100", "user": USER, "text": f"<@{BOT_USER}> {QUESTION}"},
        {"ts": "200.000200", "user": BOT_USER, "bot_id": BOT_ID, "text": "Node.js"},
        {"ts": "200.000300", "user": USER, "text": f"<@{BOT_USER}> what if our team only knows Python?"},
    ]
    bot.slack.mention("what if our team only knows Python?", ts="200.000300", thread_ts="200.000100")

    [reply] = bot.fake.wait_for("chat.postMessage")
    [history] = bot.fake.wait_for("conversations.replies")
    assert history.args["channel"] == "C1" and history.args["ts"] == "200.000100"
    assert reply.args["thread_ts"] == "200.000100"
    summary = next(b for b in blocks_of(reply) if b.get("block_id") == "summary")["text"]["text"]
    # The advisor compares with the thread's first question and says what changed (or that nothing did).
    assert summary.startswith(("Changed from", "Still"))
    alone = bot.advisor.ask("what if our team only knows Python?")
    assert not alone.summary.startswith(("Changed from", "Still"))


def test_plain_message_in_a_thread_the_bot_is_not_in_is_left_alone(bot: Running) -> None:
    bot.fake.threads[("C2", "300.000100")] = [{"ts": "300.000100", "user": USER, "text": "lunch?"}]
    event = {
        "type": "message",
        "channel": "C2",
        "channel_type": "channel",
        "user": USER,
        "text": "pizza",
        "ts": "300.000200",
        "thread_ts": "300.000100",
    }
    assert bot.slack.event(event).status_code == 200
    bot.fake.settle()
    # Not stackpick's thread: nothing posted, and knowing that cost no Web API call (no conversations.replies).
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []


def test_a_retried_event_is_answered_once(bot: Running) -> None:
    first = bot.slack.mention(QUESTION, ts="400.000100", event_id="EvSAME")
    retry = bot.slack.mention(QUESTION, ts="400.000100", event_id="EvSAME", retry=1)
    assert first.status_code == retry.status_code == 200
    bot.fake.wait_for("chat.postMessage")
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "failure",
    [
        (429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}),
        (500, {}, {"ok": False, "error": "internal_error"}),
    ],
    ids=["429-retry-after", "500"],
)
def test_a_transient_failure_is_retried_and_delivered_exactly_once(bot: Running, failure: tuple) -> None:
    bot.fake.script("chat.postMessage", failure)
    bot.slack.mention(QUESTION, ts="500.000100")
    [delivered] = bot.fake.wait_for("chat.postMessage")
    attempts = bot.fake.all_calls("chat.postMessage")
    assert [c.status for c in attempts] == [failure[0], 200]
    if failure[0] == 429:
        assert delivered.at - attempts[0].at >= 1.0  # Retry-After honoured
    assert delivered.args["thread_ts"] == "500.000100"
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1


def test_bad_signature_and_stale_timestamp_are_refused(bot: Running) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvX",
            "event": {"type": "app_mention", "text": "x", "user": USER, "ts": "1.0", "channel": "C1"},
        }
    )
    assert bot.slack.post(body, "application/json", signature="v0=" + "0" * 64).status_code == 401
    stale = int(time.time()) - 600
    assert bot.slack.post(body, "application/json", timestamp=stale).status_code == 401
    assert bot.slack.post(body, "application/json").status_code == 200  # control: correctly signed
    bot.fake.wait_for("chat.postMessage")  # only the correctly signed one is answered
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1


def test_broadcasts_in_a_question_are_not_echoed(bot: Running) -> None:
    # What Slack sends when someone writes "@channel" and literally types "<!here>" (Slack escapes the latter).
    bot.slack.mention(f"<!channel> {QUESTION} &lt;!here&gt; <@U777> <http://evil.example|click>", ts="600.000100")
    [reply] = bot.fake.wait_for("chat.postMessage")
    bot.fake.wait_for("reactions.remove")
    for call in bot.fake.calls:
        for raw in ("<!channel>", "<!here>", "<@U777>", "<http://evil"):
            assert raw not in call.dump()
    assert blocks_of(reply)[0]["type"] == "header"


def test_a_40000_character_question_is_answered_within_slacks_limits(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = (QUESTION + " ") + ("We also stream live scores & <b>stats</b> to many clients. " * 700)
    question = question[:40_000]
    assert len(question) == 40_000
    answering = hold(monkeypatch, bot.advisor, "ask")
    assert bot.slack.mention(question, ts="700.000100").status_code == 200
    assert not answering.finished.is_set()  # a long question is acked first too
    answering.release()
    [reply] = bot.fake.wait_for("chat.postMessage")
    blocks = blocks_of(reply)
    assert limit_problems(blocks) == []
    assert len(reply.args["text"]) <= 3000
    assert len(json.dumps(blocks)) < 40_000


def test_fifty_mentions_ten_at_a_time_are_all_answered_once(bot: Running) -> None:
    stamps = [f"{800 + i}.000100" for i in range(50)]

    def ask(ts: str) -> int:
        return bot.slack.mention(f"{QUESTION} (#{ts})", ts=ts, channel="C9").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(ask, stamps)) == {200}
    replies = bot.fake.wait_for("chat.postMessage", count=50, timeout=30)
    assert sorted(c.args["thread_ts"] for c in replies) == sorted(stamps)
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 50


def test_a_failure_gets_an_apology_in_the_thread(bot: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(question: str, context: object = ()) -> None:
        raise RuntimeError("index exploded")

    monkeypatch.setattr(bot.advisor, "ask", broken)
    bot.slack.mention(QUESTION, ts="900.000100")
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == "900.000100" and reply.args["text"].startswith("Sorry")
    assert "exploded" not in reply.dump()  # details go to the log, not the channel
    bot.fake.wait_for("reactions.remove")


def test_a_bare_mention_gets_a_hint(bot: Running) -> None:
    bot.slack.mention("", ts="950.000100")
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert "/stackpick help" in reply.args["text"]


def test_app_home_shows_the_library(bot: Running) -> None:
    bot.slack.event({"type": "app_home_opened", "user": "UADMIN", "channel": "D1", "tab": "home"})
    [call] = bot.fake.wait_for("views.publish")
    view = call.args["view"]
    assert call.args["user_id"] == "UADMIN" and view["type"] == "home"
    text = json.dumps(view, ensure_ascii=False)
    summary = bot.advisor.library_summary()
    assert f"*{len(summary.articles)}* articles" in text and summary.version in text
    assert "open_add_article" in text  # admins get the "Add article" button


def test_url_verification_challenge_is_answered(bot: Running) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    response = bot.slack.post(body, "application/json")
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}
