"""Block Kit builders, checked on their to_dict() output: content, escaping, and Slack's limits."""

from __future__ import annotations

import json
import re

from block_limits import limit_problems, unresolved_citations
from render_samples import EVIL, citation

from bot.answer import AddReport, Answer, ArticleInfo, Assessment, CriterionScore, LibrarySummary
from bot.engine.traits import form_questions
from bot.render.slack.answer import answer_blocks, answer_fallback_text, feedback_ack_block
from bot.render.slack.assessment import assessment_blocks, assessment_fallback_text, scorecard_modal
from bot.render.slack.curation import curation_report_text
from bot.render.slack.home import help_blocks, home_view
from bot.render.slack.ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_FULL_ASSESSMENT,
    ACTION_FULL_SCORECARD,
    ACTION_SHARE,
    decode_value,
    encode_value,
)
from bot.render.slack.modals import add_article_modal, feedback_reason_modal, traits_modal
from bot.render.slack.primitives import MAX_MESSAGE_TEXT, MAX_VIEW_BLOCKS, block_text_length


def dicts(blocks: list) -> list[dict]:
    return [b.to_dict() for b in blocks]  # to_dict() runs slack_sdk's own validators too


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def no_live_markup(payload: object) -> None:
    text = json.dumps(payload)
    for raw in ("<!channel>", "<!here>", "<@U999>", "<http://evil"):
        assert raw not in text


def test_answer_has_verdict_reasons_disagreement_sources_and_buttons(answer: Answer) -> None:
    blocks = dicts(answer_blocks(answer))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "🟩 Node.js", "emoji": True}}
    assert "Confidence: *high* (0.82)" in blocks[1]["elements"][0]["text"]
    reason = next(b for b in blocks if b.get("block_id") == "reason_1")["text"]
    assert reason["type"] == "mrkdwn" and reason["verbatim"] is True
    assert reason["text"].startswith("🟩 *1. Real-time: 3 of 3 articles favour Node.js.* [1][2]")
    assert "> “Node.js is the best option for chatting or streaming platforms.” [1]" in reason["text"]
    disagreement = next(b for b in blocks if b.get("block_id") == "disagreements")["text"]["text"]
    assert disagreement.startswith("*Sources disagree*\n• Articles split on scale. [3][4]")
    after_divider = blocks[[b["type"] for b in blocks].index("divider") :]
    sources = [e["text"] for b in after_divider if b["type"] == "context" for e in b["elements"]]
    assert sources == [
        "*[1]* Article 1 · 2024-04-14 · <https://example.com/1|link>",
        "*[2]* Article 2 · 2024-04-14",
        "*[3]* Article 3 · <https://example.com/3|link>",
        "*[4]* Article 4 · 2024-04-14 · <https://example.com/4|link>",
    ]
    actions = buttons(blocks)
    assert decode_value(actions[ACTION_FULL_ASSESSMENT]["value"]) == {"q": answer.question}
    expected = {"v": "node", "c": ["realtime", "team_python"], "q": answer.question}
    assert decode_value(actions[ACTION_FEEDBACK_UP]["value"]) == expected
    assert decode_value(actions[ACTION_FEEDBACK_DOWN]["value"])["c"] == ["realtime", "team_python"]
    assert limit_problems(blocks) == []
    # The push text names the verdict once (the summary starts with it already).
    assert answer_fallback_text(answer) == "🟩 Node.js: the articles favour it on real-time."


def test_echoed_text_is_escaped(answer: Answer) -> None:
    evil = answer.model_copy(
        update={
            "question": EVIL,
            "summary": EVIL,
            "citations": [citation(n, quote=EVIL, title=EVIL, url="https://x.example/?a=<b>|c") for n in (1, 2, 3, 4)],
        }
    )
    blocks = dicts(answer_blocks(evil))
    no_live_markup(blocks)
    no_live_markup(answer_fallback_text(evil))
    assert "&lt;!channel&gt;" in json.dumps(blocks)
    assert "<https://x.example/?a=&lt;b&gt;%7Cc|link>" in json.dumps(blocks, ensure_ascii=False)
    # Button values are never rendered: they keep the question exactly, for the assessment it triggers.
    assert decode_value(buttons(blocks)[ACTION_FULL_ASSESSMENT]["value"])["q"] == EVIL


def test_longest_answer_stays_within_limits(longest: Assessment) -> None:
    plain = Answer(**longest.model_dump(exclude={"criteria", "flip"}))
    blocks = dicts(answer_blocks(plain))
    assert limit_problems(blocks) == []
    no_live_markup(blocks)
    assert sum(1 for b in blocks if (b.get("block_id") or "").startswith("reason_")) == 4  # weakest ones dropped
    assert any("…" in (b.get("text") or {}).get("text", "") for b in blocks)  # long quotes are shortened
    assert len(encode_value({"q": plain.question})) <= 2000


def test_longest_assessment_stays_within_limits(longest: Assessment) -> None:
    for shareable in (True, False):
        blocks = dicts(assessment_blocks(longest, shareable, shared_by="U1"))
        assert limit_problems(blocks) == []
        assert block_text_length(blocks) + len(assessment_fallback_text(longest)) < MAX_MESSAGE_TEXT
        no_live_markup([b for b in blocks if "Shared by" not in json.dumps(b)])
        assert_every_number_resolves(blocks)
        assert (ACTION_SHARE in buttons(blocks)) is shareable and ACTION_FULL_SCORECARD in buttons(blocks)
    modal = scorecard_modal(longest).to_dict()
    assert limit_problems(modal["blocks"], max_blocks=MAX_VIEW_BLOCKS) == []
    assert_every_number_resolves(modal["blocks"])
    text = json.dumps(modal, ensure_ascii=False)
    shown = text.count("*Criterion ")
    hidden = int(re.search(r"…and (\d+) more criteria", text).group(1))  # type: ignore[union-attr]
    assert shown + hidden == 300 and shown > 10


def test_the_card_shows_what_applies_once_and_the_modal_every_criterion_with_its_weight(answer: Answer) -> None:
    rows = [
        CriterionScore(
            id="realtime", label="Real-time", weight=3, relevance=0.9, favors="node", score=2.1, citations=[1]
        ),
        CriterionScore(id="latency", label="Latency", weight=1.2, relevance=0.5, favors="node", score=1, citations=[2]),
        CriterionScore(id="data_ml", label="Data & ML", weight=2, relevance=0.0, favors=None, score=0.0, citations=[]),
    ]
    assessment = Assessment(**answer.model_dump(), criteria=rows, flip="If the team only knew Python.")
    card = dicts(assessment_blocks(assessment, True, min_relevance=0.35))
    text = block_text_of(card)
    assert "*What would change the verdict:* If the team only knew Python." in text
    assert text.count("Real-time") == 1  # a reason, so not repeated among the criteria that apply
    assert "*Also applies*\n*Latency* · 🟩 favours *Node.js* [2]" in text
    assert "Data &amp; ML" not in text and "weight" not in text  # neither idle criteria nor internal weights
    assert "1 more criteria of the scoring rules" in json.dumps(card, ensure_ascii=False)
    share = buttons(card)[ACTION_SHARE]
    assert share["style"] == "primary" and decode_value(share["value"]) == {"d": answer.question}
    assert decode_value(buttons(card)[ACTION_FULL_SCORECARD]["value"]) == {"d": answer.question}
    assert card[0]["text"]["text"] == "Assessment: 🟩 Node.js"
    assert_every_number_resolves(card)

    modal = scorecard_modal(assessment).to_dict()
    assert modal["type"] == "modal" and modal["title"]["text"] == "Full scorecard"
    shown = block_text_of(modal["blocks"])
    assert "*Real-time* · 🟩 favours *Node.js* · weight 3 · relevance 0.90 · strength 2.10 · ⭐ decisive [1]" in shown
    assert "*Data &amp; ML* · no clear side · weight 2 · relevance 0.00" in shown
    assert "_no evidence in the library_" in shown
    assert_every_number_resolves(modal["blocks"])


def test_out_of_scope_offers_help_and_feedback_but_no_assessment() -> None:
    answer = Answer(question="capital of France?", verdict="out_of_scope", confidence=0, summary="Not my area.")
    blocks = dicts(answer_blocks(answer))
    assert blocks[0]["text"]["text"].startswith("🤷")
    assert set(buttons(blocks)) == {ACTION_FEEDBACK_UP, ACTION_FEEDBACK_DOWN}
    assert limit_problems(blocks) == []


def test_help_and_feedback_ack() -> None:
    blocks = dicts(help_blocks())
    text = json.dumps(blocks)
    assert "/stackpick add" in text and "/stackpick reindex" in text and "@stackpick" in text
    assert limit_problems(blocks) == []
    assert feedback_ack_block(2, 1).to_dict()["elements"][0]["text"] == "Thanks for the feedback! So far: 👍 2 · 👎 1"


def library(n: int) -> LibrarySummary:
    articles = [
        ArticleInfo(id=f"a{i}", title=f"{EVIL} {i}" * 5, date="2024-01-02", url=f"https://e.example/{i}", passages=7)
        for i in range(n)
    ]
    return LibrarySummary(
        articles=articles, passages=7 * n, claims=3, version="v42", built_at="2025-01-01T00:00Z", model="hash"
    )


def test_home_view_shows_library_and_fits() -> None:
    view = home_view(library(3), is_admin=True).to_dict()
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    assert "*3* articles · *21* passages" in text and "`v42`" in text and "2025-01-01T00:00Z" in text
    assert "open_add_article" in text
    no_live_markup(view)
    big = home_view(library(2000)).to_dict()
    assert len(big["blocks"]) <= MAX_VIEW_BLOCKS
    assert limit_problems(big["blocks"], max_blocks=MAX_VIEW_BLOCKS) == []
    assert "…and more articles" in json.dumps(big, ensure_ascii=False)
    assert "open_add_article" not in json.dumps(big)


def test_modals_are_valid_views(rules) -> None:  # type: ignore[no-untyped-def]
    traits = traits_modal(form_questions(rules), '{"c":"C1"}').to_dict()
    assert traits["callback_id"] == "traits_modal" and traits["private_metadata"] == '{"c":"C1"}'
    assert [b["block_id"] for b in traits["blocks"]] == ["needs", "team_knows", "team_experience", "scale", "notes"]
    add = add_article_modal().to_dict()
    assert [b["block_id"] for b in add["blocks"]] == ["title", "url", "date", "text_1", "text_2", "text_3", "force"]
    reasons = feedback_reason_modal([("realtime", "x" * 200), ("team_python", "Team skills in Python")], "{}").to_dict()
    options = reasons["blocks"][1]["element"]["options"]
    assert len(options) == 2 and all(len(o["text"]["text"]) <= 75 for o in options)
    assert [o["value"] for o in options] == ["realtime", "team_python"]  # the criterion is what gets stored


def test_encode_value_shrinks_the_named_field() -> None:
    value = encode_value({"v": "node", "q": '"\\' * 5000})
    assert len(value) <= 2000 and decode_value(value)["v"] == "node"
    assert decode_value("not json") == {} and decode_value(None) == {}


def test_curation_report() -> None:
    report = AddReport(added=["a1"], passages_added=12, version="v2", seconds=3.21, warnings=["<!here> dup"])
    text = curation_report_text(report, "add")
    assert text.startswith("✅ Added 1 article (`a1`): 12 passages added. Index version `v2` is live (took 3.2 s).")
    assert "&lt;!here&gt; dup" in text
    assert curation_report_text(report, "rebuild").startswith("✅ Rebuilt the index: 12 passages")


def test_sources_are_grouped_by_article_with_byline_and_the_modal_keeps_the_engines_order(answer: Answer) -> None:
    same = [citation(n, article="one", title="The One Article", author="Ada", publisher="Acme") for n in (1, 2)]
    same += [citation(3, publisher="Example Press"), citation(4)]
    rows = [
        CriterionScore(id="a", label="Triggered", weight=1, relevance=0.8, favors="node", score=1, citations=[1]),
        CriterionScore(id="b", label="Idle", weight=1, relevance=0.0, favors="python", score=-1, citations=[3]),
    ]
    assessment = Assessment(**answer.model_dump(exclude={"citations"}), citations=same, criteria=rows)
    blocks = dicts(assessment_blocks(assessment, False))
    sources = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"] if e["text"].startswith("*[")]
    assert sources[0] == "*[1][2]* The One Article · Ada, Acme · 2024-04-14 · <https://example.com/1|link>"
    assert "*[3]* Article 3 · Example Press · 2024-04-14 · <https://example.com/3|link>" in sources
    text = block_text_of(scorecard_modal(assessment).to_dict()["blocks"])
    assert text.index("*Triggered*") < text.index("*Idle*")


def block_text_of(blocks: list[dict]) -> str:
    return "\n".join((b.get("text") or {}).get("text", "") for b in blocks)


def assert_every_number_resolves(blocks: list[dict]) -> None:
    problems = unresolved_citations(blocks)
    assert problems == [], problems
