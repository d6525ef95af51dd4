"""Question reading: Slack markup stripped or decoded, scope decided from the rules."""

from __future__ import annotations

import time

import pytest

from bot.engine import Advisor
from bot.engine.question import QuestionError, clean_question


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


def test_keywords_match_inflected_words(fake_advisor: Advisor) -> None:
    analyzer = fake_advisor.engine.analyzer
    analysis = analyzer.analyse("Which one scales better under heavy traffic?", None)
    assert analysis.in_scope
    assert analysis.relevance["large_systems"] >= fake_advisor.rules.thresholds.min_relevance


@pytest.mark.parametrize(
    ("question", "traits"),
    [
        ("Should we use Node or Python for a game server?", set()),
        ("Our developers only know JavaScript", {"team_js"}),
        ("the team is fluent in Python and Django", {"team_python"}),
        ("a full-stack JS shop building an API", {"team_js"}),
    ],
)
def test_team_traits_need_words_of_knowing(fake_advisor: Advisor, question: str, traits: set[str]) -> None:
    relevance = fake_advisor.engine.analyzer.analyse(question, None).relevance
    assert {c for c in ("team_js", "team_python") if relevance[c] >= 0.35} == traits


def test_a_choice_question_without_a_use_case_gets_an_overview(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("Which backend should we choose?")
    assert answer.verdict == "depends"
    assert {r.favors for r in answer.reasons} == {"node", "python"}
    assert all(r.citations for r in answer.reasons)
    assert "what you are building" in answer.summary


def test_stemmed_phrases_find_every_occurrence_of_every_phrase_including_overlapping_ones() -> None:
    from knowledge.question_cues import StemmedPhrases, keyword_hits
    from knowledge.question_text import stem_words

    phrases = StemmedPhrases(["machine learning", "learning", "learning curve", "real-time"])
    stems = stem_words("machine learning has a learning curve, and real time learning")
    spans = sorted(phrases.spans(stems))
    words = [stems[s:e] for s, e in spans]
    assert len(spans) == 6 and words.count(stem_words("learning")) == 3
    assert stem_words("machine learning") in words and stem_words("real time") in words
    assert not phrases.search(stem_words("a curve of machines"))
    # The longer keyword wins over one inside it, wherever the two are found.
    hits = keyword_hits({"data_ml": StemmedPhrases(["machine learning"]), "learning": StemmedPhrases(["learning"])},
                        stem_words("is machine learning easier in python"))
    assert hits == {"data_ml"}
