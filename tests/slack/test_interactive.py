"""/stackpick, modals, buttons and feedback, over real HTTP against the fake Slack API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from block_limits import limit_problems, unresolved_citations
from slack_fakes import ADMIN, DEADLINE, USER, Running, block_text, blocks_of, hold
from web_pages import Page, PageServer, html_page

from bot.render.slack.ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_FULL_ASSESSMENT,
    ACTION_FULL_SCORECARD,
    ACTION_SHARE,
    BLOCK_FEEDBACK_ACK,
    decode_value,
)
from bot.services.feedback import FeedbackStore

DESCRIPTION = "a real-time dashboard that streams live metrics to thousands of browsers"


def button(blocks: list[dict], action_id: str) -> dict:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


def test_slash_command_acks_at_once_and_delivers_the_assessment_privately(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessing = hold(monkeypatch, bot.advisor, "assess")
    response = bot.slack.command(DESCRIPTION, response="assess")
    assert response.status_code == 200 and not assessing.finished.is_set()  # acked before the assessment is made
    assessing.release()
    assert response.json()["response_type"] == "ephemeral" and "Assessing" in response.json()["text"]

    [delivered] = bot.fake.wait_for("response_url", where=lambda c: c.path.endswith("/assess"))
    assert delivered.args["response_type"] == "ephemeral"
    blocks = blocks_of(delivered)
    assert blocks[0]["text"]["text"].startswith("Assessment:")
    text = block_text(blocks)
    assert "*Why*" in text and " · weight " not in text  # the card: decisive reasons, no internal weights
    assert limit_problems(blocks) == [] and unresolved_citations(blocks) == []

    # "Full scorecard" opens every criterion of the scoring rules, with its weight and evidence, in a modal.
    scorecard = button(blocks, ACTION_FULL_SCORECARD)
    bot.slack.click(ACTION_FULL_SCORECARD, scorecard["value"], ephemeral=True)
    [opened] = bot.fake.wait_for("views.open")
    modal = opened.args["view"]
    assert modal["type"] == "modal" and modal["title"]["text"] == "Full scorecard"
    modal_text = block_text(modal["blocks"])
    for row in bot.advisor.assess(DESCRIPTION).criteria:
        assert modal_text.count(f"*{row.label.replace('&', '&amp;')}* · ") == 1
    assert " · weight " in modal_text and unresolved_citations(modal["blocks"]) == []

    # "Share in channel" posts the same card for everyone and removes the private copy.
    share = button(blocks, ACTION_SHARE)
    bot.slack.click(ACTION_SHARE, share["value"], response_url=bot.fake.response_url("share"), ephemeral=True)
    shared, deleted = bot.fake.wait_for("response_url", count=2, where=lambda c: c.path.endswith("/share"))
    assert shared.args["response_type"] == "in_channel"
    assert f"Shared by <@{USER}>" in block_text(blocks_of(shared))
    assert blocks_of(shared)[0] == blocks[0]
    assert deleted.args == {"delete_original": True}


def test_help_is_shown_privately(bot: Running) -> None:
    response = bot.slack.command("help")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/stackpick add" in json.dumps(body["blocks"])


def test_traits_form_opens_and_its_submission_is_answered_in_a_dm(bot: Running) -> None:
    response = bot.slack.command("", channel="C5")
    assert response.status_code == 200
    [opened] = bot.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "traits_modal" and opened.args["trigger_id"].startswith("trigger-")

    values = {
        "needs": {"needs": {"type": "checkboxes", "selected_options": [{"value": "realtime"}, {"value": "data_ml"}]}},
        "team_knows": {"team_knows": {"type": "radio_buttons", "selected_option": {"value": "python"}}},
        "team_experience": {"team_experience": {"type": "radio_buttons", "selected_option": {"value": "senior"}}},
        "scale": {"scale": {"type": "static_select", "selected_option": {"value": "large"}}},
        "notes": {"notes": {"type": "plain_text_input", "value": "live charts"}},
    }
    submitted = bot.slack.submit("traits_modal", values, metadata=view["private_metadata"])
    assert submitted.status_code == 200 and submitted.text == ""  # closes the form

    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == USER
    blocks = blocks_of(dm)
    assert blocks[0]["text"]["text"].startswith("Assessment:")
    assert "real-time features" in block_text(blocks)
    share = decode_value(button(blocks, ACTION_SHARE)["value"])
    assert share["c"] == "C5" and share["t"]["team_knows"] == "python"

    # Sharing from the DM posts in the channel the command came from.
    bot.slack.click(ACTION_SHARE, button(blocks, ACTION_SHARE)["value"], channel="D1")
    [_, shared] = bot.fake.wait_for("chat.postMessage", count=2)
    assert shared.args["channel"] == "C5"


def test_feedback_is_stored_and_acknowledged_in_place(bot: Running) -> None:
    bot.slack.mention("Node or Python for a real-time chat app?", ts="10.000100")
    [reply] = bot.fake.wait_for("chat.postMessage")
    message = {"ts": "90001.000100", "thread_ts": "10.000100", "text": reply.args["text"], "blocks": blocks_of(reply)}

    bot.slack.click(ACTION_FEEDBACK_UP, button(message["blocks"], ACTION_FEEDBACK_UP)["value"], message=message)
    [updated] = bot.fake.wait_for("chat.update")
    assert updated.args["ts"] == "90001.000100" and updated.args["channel"] == "C1"
    ack = next(b for b in updated.args["blocks"] if b.get("block_id") == BLOCK_FEEDBACK_ACK)
    assert ack["elements"][0]["text"] == "Thanks for the feedback! So far: 👍 1 · 👎 0"
    assert any(b.get("block_id") == "answer_actions" for b in updated.args["blocks"])  # others can still vote

    # A 👎 from someone else: stored, counted in place, and a form asks (optionally) which reason was wrong.
    down = button(message["blocks"], ACTION_FEEDBACK_DOWN)
    bot.slack.click(
        ACTION_FEEDBACK_DOWN, down["value"], user="U2", message={**message, "blocks": updated.args["blocks"]}
    )
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "feedback_reason_modal"
    [_, second] = bot.fake.wait_for("chat.update", count=2)
    assert "👍 1 · 👎 1" in json.dumps(second.args["blocks"], ensure_ascii=False)
    assert sum(1 for b in second.args["blocks"] if b.get("block_id") == BLOCK_FEEDBACK_ACK) == 1

    options = opened.args["view"]["blocks"][1]["element"]["options"]
    values = {
        "reasons": {"reasons": {"type": "checkboxes", "selected_options": [options[0]]}},
        "comment": {"comment": {"type": "plain_text_input", "value": "the team knows Python"}},
    }
    assert (
        bot.slack.submit(
            "feedback_reason_modal", values, user="U2", metadata=opened.args["view"]["private_metadata"]
        ).status_code
        == 200
    )
    store = FeedbackStore(bot.settings.feedback_db)
    deadline = time.monotonic() + DEADLINE
    while not store.summary().latest_reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    summary = store.summary()
    assert (summary.total, summary.up, summary.down) == (2, 1, 1)
    [reason] = summary.latest_reasons
    first = decode_value(down["value"])["c"][0]
    label = next(c.label for c in bot.advisor.rules.criteria if c.id == first)
    assert options[0]["value"] == first and options[0]["text"]["text"] == label  # the answer's criteria as choices
    assert reason.reason == f"wrong: {label}; the team knows Python" and reason.wrong == [first]
    assert reason.question == "Node or Python for a real-time chat app?"
    # The vote is stored with the answer's criteria, and the one marked wrong is counted against it.
    by_criterion = {c.criterion: c for c in summary.per_criterion}
    assert set(by_criterion) == set(decode_value(down["value"])["c"])
    assert (by_criterion[first].up, by_criterion[first].down, by_criterion[first].wrong) == (1, 1, 1)


def test_full_assessment_button_opens_the_scorecard_privately(bot: Running) -> None:
    bot.slack.mention("Node or Python for a real-time chat app?", ts="20.000100")
    [reply] = bot.fake.wait_for("chat.postMessage")
    message: dict[str, Any] = {"ts": "90001.000100", "thread_ts": "20.000100", "text": "x", "blocks": blocks_of(reply)}
    bot.slack.click(ACTION_FULL_ASSESSMENT, button(message["blocks"], ACTION_FULL_ASSESSMENT)["value"], message=message)
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["trigger_id"].startswith("trigger-")
    view = opened.args["view"]
    assert view["callback_id"] == "scorecard_modal" and "Assessment:" in block_text(view["blocks"])
    assert len(view["blocks"]) <= 100 and unresolved_citations(view["blocks"]) == []
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1  # no second card in the thread


def test_curation_is_refused_to_non_admins(bot: Running) -> None:
    for text in ("add /tmp/article.md", "reindex", "add"):
        body = bot.slack.command(text, user=USER).json()
        assert body["response_type"] == "ephemeral" and "only stackpick's admins" in body["text"]
    bot.fake.settle()
    assert bot.fake.ok_calls("views.open") == [] and bot.fake.ok_calls("chat.postMessage") == []


def test_add_with_words_is_an_assessment_not_curation(bot: Running) -> None:
    body = bot.slack.command("add a chat feature to our Python app", user=USER).json()
    assert "Assessing" in body["text"]


ARTICLE = """---
id: test-realtime-article
title: Why we moved our chat backend to Node.js
publisher: Example Engineering
published: 2024-05-01
url: https://engineering.example.com/chat-node
---
Our chat service holds hundreds of thousands of open WebSocket connections. Node.js handles many concurrent
connections with its event loop, which makes it the better choice for real-time chat. Python remained our choice
for the machine learning pipeline that ranks messages, because its data science libraries are unmatched. The
team already knew JavaScript from the frontend, so sharing one language across the stack cut onboarding time. We
measured latency under load before and after the move: the Node.js gateway kept response times flat while the
number of connected clients tripled, and memory per connection stayed small enough for our existing machines.
"""


def test_admin_adds_a_url_and_the_running_app_switches_index(fetching_bot: Running, pages: PageServer) -> None:
    bot = fetching_bot
    before = bot.advisor.library_summary()
    pages.pages["/chat-node"] = Page(html_page("Why we moved our chat backend to Node.js", ARTICLE.split("---", 2)[2]))

    # Slack sends a typed link as <url>; the bot fetches the URL inside.
    body = bot.slack.command(f"add <{pages.url}/chat-node>", user=ADMIN).json()
    assert "Adding" in body["text"]
    [dm] = bot.fake.wait_for("chat.postMessage", timeout=60)
    assert dm.args["channel"] == ADMIN
    after = bot.advisor.library_summary()
    assert dm.args["text"].startswith("✅ Added 1 article (`why-we-moved-our-chat-backend-to-node-js-")
    assert f"Index version `{after.version}` is live" in dm.args["text"]
    assert after.version != before.version and len(after.articles) == len(before.articles) + 1
    [added] = [a for a in after.articles if a.title == "Why we moved our chat backend to Node.js"]
    assert added.url == f"{pages.url}/chat-node"
    assert pages.paths_seen() == ["/chat-node"]

    # A bad source is reported in one line, and nothing changes.
    bot.slack.command(f"add {pages.url}/missing", user=ADMIN)
    [_, failed] = bot.fake.wait_for("chat.postMessage", count=2, timeout=60)
    assert failed.args["text"].startswith("❌ Couldn't add") and "HTTP 404" in failed.args["text"]
    assert "\n" not in failed.args["text"]
    assert bot.advisor.library_summary().version == after.version


def test_admin_adds_pasted_text_through_the_form_and_reindexes(curation_bot: Running) -> None:
    bot = curation_bot
    bot.slack.command("add", user=ADMIN)
    [opened] = bot.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "add_article_modal"

    text = ARTICLE.split("---", 2)[2].strip()
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Chat at scale"}},
        "url": {"url": {"type": "url_text_input", "value": "https://engineering.example.com/chat"}},
        "date": {"date": {"type": "datepicker", "selected_date": "2024-05-01"}},
        "text_1": {"text": {"type": "plain_text_input", "value": text[:200]}},
        "text_2": {"text": {"type": "plain_text_input", "value": text[200:]}},
        "text_3": {"text": {"type": "plain_text_input", "value": None}},
        "force": {"force": {"type": "checkboxes", "selected_options": []}},
    }
    assert bot.slack.submit("add_article_modal", values, user=ADMIN).status_code == 200
    [dm] = bot.fake.wait_for("chat.postMessage", timeout=60)
    assert dm.args["channel"] == ADMIN and dm.args["text"].startswith("✅ Added 1 article")
    titles = [a.title for a in bot.advisor.library_summary().articles]
    assert "Chat at scale" in titles

    # A form without text is sent back with an error on the field, and nothing is added.
    empty = {**values, "text_1": {"text": {"type": "plain_text_input", "value": ""}}, "text_2": values["text_3"]}
    refused = bot.slack.submit("add_article_modal", empty, user=ADMIN).json()
    assert refused["response_action"] == "errors" and "text_1" in refused["errors"]

    body = bot.slack.command("reindex", user=ADMIN).json()
    assert "Rebuilding" in body["text"]
    [_, rebuilt] = bot.fake.wait_for("chat.postMessage", count=2, timeout=60)
    assert rebuilt.args["text"].startswith("✅ Rebuilt the index")


def test_a_forged_add_form_from_a_non_admin_is_refused(curation_bot: Running) -> None:
    values = {"text_1": {"text": {"type": "plain_text_input", "value": "Node.js is fast."}}}
    before = curation_bot.advisor.library_summary().version
    assert curation_bot.slack.submit("add_article_modal", values, user=USER).status_code == 200
    [dm] = curation_bot.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == USER and "only stackpick's admins" in dm.args["text"]
    assert curation_bot.advisor.library_summary().version == before


def test_a_failed_switch_after_a_rebuild_is_reported_not_hidden(
    curation_bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> bool:
        raise RuntimeError("cannot load")

    monkeypatch.setattr(curation_bot.advisor, "reload_if_changed", broken)
    curation_bot.slack.command("reindex", user=ADMIN)
    [dm] = curation_bot.fake.wait_for("chat.postMessage", timeout=60)
    assert dm.args["text"].startswith("✅ Rebuilt the index") and "⚠️ This bot has not switched" in dm.args["text"]
