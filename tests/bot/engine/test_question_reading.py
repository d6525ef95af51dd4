"""Reading a question: its topic, keywords where the longer one wins, long messages, 'which is worse', honesty."""

from __future__ import annotations

from bot.answer import Answer
from bot.engine import Advisor
from bot.engine.compose import inverted
from bot.engine.question import StemmedPhrases, asks_for_worse, focus_of, keyword_hits, stem_words, topic_of
from knowledge.cues import SideNames


def test_the_topic_is_what_is_left_without_the_sides_and_the_choice_words(rules) -> None:  # type: ignore[no-untyped-def]
    def topic(text: str) -> str:
        return topic_of(text, SideNames(rules, text, every_side=True))

    assert topic("Should we use Python or Node to build a web scraper?") == "web scraper"
    assert topic("node or python?") == ""
    assert topic("Which one is better for our team?") == ""
    assert topic("Node or Python for WebAssembly plugins?") == "WebAssembly plugins"


def test_a_longer_keyword_wins_over_one_inside_it() -> None:
    keywords = {"data_ml": StemmedPhrases(["machine learning"]), "learning": StemmedPhrases(["learning", "learn"])}
    assert keyword_hits(keywords, stem_words("Which is better for machine learning?")) == {"data_ml"}
    assert keyword_hits(keywords, stem_words("Which is easier to learn?")) == {"learning"}


def test_a_long_message_is_read_by_its_question_sentences() -> None:
    message = ("We are a small agency and have been going back and forth for a week. " * 4
               + "Should the booking backend be Node or Python? Thanks for any help.")
    assert focus_of(message) == "Should the booking backend be Node or Python?"
    assert focus_of("Node or Python for chat?") == ""


def test_which_is_worse_is_told_by_the_wording_not_just_the_shape(rules) -> None:  # type: ignore[no-untyped-def]
    assert asks_for_worse("Which is harder to learn?", rules)
    assert asks_for_worse("Which one is worse for CPU-heavy work?", rules)
    assert not asks_for_worse("Which one is easier to learn?", rules)
    assert not asks_for_worse("Which is faster for chat servers?", rules)


def test_the_worse_side_is_the_other_one_with_the_same_sources() -> None:
    answer = Answer(question="q", verdict="python", confidence=0.8, summary="Python: easier to learn.")
    flipped = inverted(answer)
    assert flipped.verdict == "node" and flipped.summary.startswith("Node.js is the one that fares worse")
    assert inverted(answer.model_copy(update={"verdict": "depends"})).verdict == "depends"


def test_a_criterion_the_library_says_nothing_about_is_said_so_with_no_citations(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("Node or Python for serverless functions on AWS Lambda?")
    assert answer.verdict == "depends" and not answer.citations
    assert "has nothing on serverless" in answer.summary.lower()


def test_no_use_case_named_gets_the_overview_and_only_then(fake_advisor: Advisor) -> None:
    assert "no use case named" in fake_advisor.ask("Node or Python?").summary
    assert "no use case named" not in fake_advisor.ask("Node or Python for a real-time chat app?").summary


def test_chatter_in_a_thread_is_read_as_chatter_and_not_answered(fake_advisor: Advisor) -> None:
    thread = ["Node or Python for a real-time chat app?"]
    assert fake_advisor.read("thanks!", thread).kind == "chatter"
    assert fake_advisor.ask("thanks!", thread).verdict == "out_of_scope"
    assert fake_advisor.read("what if the team only knows Python?", thread).kind == "followup"
    other = fake_advisor.read("what about Rust though?", thread)
    assert other.kind == "other_tech" and other.reply and "Rust" in other.reply
