"""Scorecards you can trust, over real HTTP: for every dev-set question, every message stackpick sends (answer,
assessment card, full scorecard modal, shared copy) lists a source for each citation number it shows, names a
criterion once, keeps weights in the modal only, and stays under 12,000 characters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from block_limits import limit_problems, unresolved_citations
from slack_fakes import Call, Running, blocks_of

from bot.render.slack.ids import ACTION_FULL_ASSESSMENT, ACTION_FULL_SCORECARD, ACTION_SHARE
from bot.render.slack.primitives import MAX_MESSAGE_TEXT, MAX_VIEW_BLOCKS, block_text_length

QUESTIONS = [case["q"] for case in yaml.safe_load((Path(__file__).parents[1] / "data" / "dev-questions.yaml")
                                                  .read_text(encoding="utf-8"))]


def button(blocks: list[dict], action_id: str) -> dict[str, Any] | None:
    return next((e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id),
                None)


def check_message(call: Call) -> None:
    blocks = blocks_of(call)
    assert limit_problems(blocks) == []
    assert unresolved_citations(blocks) == [], (call.method, unresolved_citations(blocks))
    text = block_text_length(blocks) + len(call.args.get("text") or "")
    assert text < MAX_MESSAGE_TEXT, f"{call.method}: {text} characters"


def criterion_mentions(blocks: list[dict], labels: list[str]) -> dict[str, int]:
    """How often each criterion's label starts a reason, a row or a disagreement in a message."""
    text = "\n".join((b.get("text") or {}).get("text", "") for b in blocks)
    return {label: len(re.findall(re.escape(label.replace("&", "&amp;")) + r"(?:\*|:)", text)) for label in labels}


def test_every_citation_number_of_every_message_resolves(bot: Running) -> None:
    labels = [c.label for c in bot.advisor.rules.criteria]
    for n, question in enumerate(QUESTIONS):
        bot.slack.mention(question, ts=f"{6000 + n}.000100", channel="C1")
        bot.slack.command(question, response=f"assess-{n}")
    answers = bot.fake.wait_for("chat.postMessage", count=len(QUESTIONS))
    cards = bot.fake.wait_for("response_url", count=len(QUESTIONS))

    for call in [*answers, *cards]:
        check_message(call)
        blocks = blocks_of(call)
        assert " · weight " not in "\n".join((b.get("text") or {}).get("text", "") for b in blocks)
        assert all(count <= 1 for count in criterion_mentions(blocks, labels).values()), criterion_mentions(
            blocks, labels)

    # The full scorecard of each, from the answer's button and from the card's: every criterion once, weights
    # shown, every number resolved.
    opened = 0
    for call in [*answers, *cards]:
        blocks = blocks_of(call)
        for action in (ACTION_FULL_ASSESSMENT, ACTION_FULL_SCORECARD):
            found = button(blocks, action)
            if found is not None:
                bot.slack.click(action, found["value"], message={"ts": "1.0", "blocks": blocks})
                opened += 1
    modals = bot.fake.wait_for("views.open", count=opened)
    assert opened >= len(QUESTIONS)  # out-of-scope answers have no scorecard; everything else has one
    for modal in modals:
        view = modal.args["view"]
        assert len(view["blocks"]) <= MAX_VIEW_BLOCKS and unresolved_citations(view["blocks"]) == []
        counts = criterion_mentions(view["blocks"], labels)
        assert set(counts.values()) == {1}, counts  # every criterion of the rules, once
        assert " · weight " in "\n".join((b.get("text") or {}).get("text", "") for b in view["blocks"])

    # A shared card resolves the same way.
    share = button(blocks_of(cards[0]), ACTION_SHARE)
    assert share is not None
    bot.slack.click(ACTION_SHARE, share["value"], response_url=bot.fake.response_url("shared"), ephemeral=True)
    [shared, _] = bot.fake.wait_for("response_url", count=2, where=lambda c: c.path.endswith("/shared"))
    check_message(shared)


def test_sources_name_the_author_or_publisher_and_link_where_the_article_states_them(bot: Running) -> None:
    bot.slack.mention("Node or Python for a real-time chat app?", ts="6100.000100")
    [answer] = bot.fake.wait_for("chat.postMessage")
    sources = [e["text"] for b in blocks_of(answer) if b["type"] == "context" for e in b["elements"]
               if e["text"].startswith("*[")]
    library = {a.id: a for a in bot.advisor.engine.index.articles.values()}
    cited = bot.advisor.ask("Node or Python for a real-time chat app?").citations
    for citation in cited:
        article = library[citation.article]
        line = next(s for s in sources if f"[{citation.id}]" in s.split("*")[1])
        for known in (article.author, article.publisher, article.date.isoformat() if article.date else None):
            if known:
                assert known.replace("&", "&amp;") in line
        if article.url:
            assert f"<{article.url}|link>" in line
    assert any(" · " in s for s in sources)
