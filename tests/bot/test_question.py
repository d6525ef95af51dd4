"""Question reading: Slack markup stripped or decoded, scope decided from the rules."""

from __future__ import annotations

import time

import pytest

from bot.advisor import Advisor
from bot.question import QuestionError, clean_question


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> Node or Python?", "Node or Python?"),
        ("<!channel> which backend &amp; why", "which backend & why"),
        ("<!here|here> is Node &lt;fast&gt;?", "is Node <fast>?"),
        ("see <https://example.com/a|this post> please", "see this post please"),
        ("bare <https://example.com/x>", "bare https://example.com/x"),
        ("in <#C0123|general> chat", "in #general chat"),
        ("<!subteam^S123|@backend> Django\u0000 or\u200b Express", "Django or Express"),
    ],
)
def test_clean_question_strips_and_decodes_slack_markup(raw: str, expected: str) -> None:
    assert clean_question(raw) == expected


def test_empty_question_is_a_usage_error(fake_advisor: Advisor) -> None:
    with pytest.raises(QuestionError):
        fake_advisor.ask("   <@U123>  ")


@pytest.mark.parametrize(
    "question",
    ["Rust or Go for a CLI tool?", "Java or C# for a desktop app?", "hello there", "asdfgh qwerty zxcv",
     "What is the capital of France?", "!!!???", "🙂🙂🙂"],
)
def test_out_of_scope_questions_are_refused_without_citations(fake_advisor: Advisor, question: str) -> None:
    answer = fake_advisor.ask(question)
    assert answer.verdict == "out_of_scope"
    assert answer.citations == [] and answer.reasons == []
    assert "Node.js" in answer.summary and "Python" in answer.summary  # says what stackpick covers


@pytest.mark.parametrize(
    "question",
    ["Is Node good for ML?", "Which is easier to learn?", "Rust or Node for a chat server?",
     "Django or Express for a CMS?", "which backend for machine learning APIs"],
)
def test_questions_about_the_two_sides_are_answered(fake_advisor: Advisor, question: str) -> None:
    assert fake_advisor.ask(question).verdict != "out_of_scope"


def test_markup_never_reaches_the_answer(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("<!channel> <@U999> Node or Python for a real-time chat app?")
    assert "<!channel>" not in answer.question and "<@U999>" not in answer.question
    assert answer.verdict == "node"


def test_a_40000_character_question_is_answered_quickly_from_a_bounded_prefix(fake_advisor: Advisor) -> None:
    question = "Node or Python for a real-time chat app? " + "lorem ipsum dolor " * 2300
    assert len(question) > 40_000
    started = time.perf_counter()
    answer = fake_advisor.ask(question)
    elapsed = time.perf_counter() - started
    assert answer.verdict == "node"
    assert len(answer.question) <= fake_advisor.rules.thresholds.analysis_chars + 1
    assert elapsed < 1.0
