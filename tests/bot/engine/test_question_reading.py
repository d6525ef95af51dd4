"""Reading a question: its topic, keywords where the longer one wins, long messages, 'which is worse', honesty."""

from __future__ import annotations

from bot.answer import Answer
from bot.engine import Advisor
from bot.engine.compose import inverted
from bot.engine.question import asks_for_worse, focus_of, topic_of
from knowledge.cues import SideNames
from knowledge.question_cues import StemmedPhrases, keyword_hits
from knowledge.question_text import cue_valence, direction, stem_words


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
    valence = cue_valence(rules)
    sure, unsure = 0.9, 0.6  # the learned reader's probability that the question is a comparison of that shape
    assert asks_for_worse("Which is harder to learn?", valence, unsure)
    assert asks_for_worse("Which one is worse for CPU-heavy work?", valence, unsure)
    assert asks_for_worse("Which is less mature, Node or Python?", valence, unsure)  # "less" turns "mature" around
    assert asks_for_worse("Which of the two is more of a pain to debug?", valence, unsure)
    assert asks_for_worse("Which one has more breaking changes?", valence, sure)  # no word says which way: the reader
    assert not asks_for_worse("Which one has more breaking changes?", valence, unsure)
    assert asks_for_worse("Which one eats more memory?", valence, unsure)  # more of what it consumes: worse
    assert not asks_for_worse("Which one is easier to learn?", valence, sure)
    assert not asks_for_worse("Which is faster for chat servers?", valence, sure)
    assert not asks_for_worse("Which of the two uses less memory?", valence, sure)  # less of a quantity is good
    assert not asks_for_worse("Which is less painful to debug?", valence, sure)
    # Only a question that asks for a side can: the answer to "is Python a bad idea for chat?" is the better side.
    assert not asks_for_worse("Is Python a bad idea for a websocket chat backend?", valence, sure)


def test_the_way_a_comparison_points_comes_from_a_general_lexicon_and_the_cue_words(rules) -> None:  # type: ignore[no-untyped-def]
    valence = cue_valence(rules)
    assert direction("Which has the slower runtime?", valence) == -1  # "slower" is a cue word, not in the lexicon
    assert direction("Which is less secure out of the box?", valence) == -1
    assert direction("Which has fewer breaking changes?", valence) == 1
    assert direction("Which one is not as good for chat?", valence) == -1
    assert direction("Backend for a photo app", valence) == 0
    # The grade is the word before "to"; the task after it grades nothing: "stable" does not make it a good side.
    assert direction("Which is harder to keep stable over the years?", valence) == -1
    assert direction("Which is easier to keep secure?", valence) == 1


def test_a_keyword_after_a_negation_is_ruled_out_not_named() -> None:
    keywords = {"realtime": StemmedPhrases(["real-time", "chat"]), "data_ml": StemmedPhrases(["ml"])}
    assert keyword_hits(keywords, stem_words("Forms and reports. No real-time stuff, no ML.")) == set()
    assert keyword_hits(keywords, stem_words("We don't need chat, but real-time dashboards")) == {"realtime"}
    assert keyword_hits(keywords, stem_words("real-time chat and some ML"), min_words=2) == {"realtime"}


def test_a_team_named_by_its_frameworks_knows_their_side(fake_advisor: Advisor) -> None:
    analyzer = fake_advisor.engine.analyzer
    read = analyzer.analyse("Our team knows Express and Fastify inside out. Which for a new CRUD app?", None)
    assert read.relevance["team_js"] == 1.0 and read.relevance["team_python"] == 0.0
    read = analyzer.analyse("The developers are all experienced with Django; new admin tool?", None)
    assert read.relevance["team_python"] == 1.0


def test_an_other_technology_that_is_an_ordinary_word_counts_only_as_written(fake_advisor: Advisor) -> None:
    analyzer = fake_advisor.engine.analyzer
    assert analyzer.analyse("Forms and reports for property managers. Which would you go with?", None).kind != (
        "other_tech")
    assert analyzer.analyse("Go or Rust for a command-line tool?", None).kind == "other_tech"
    assert analyzer.analyse("GO OR RUST FOR A CLI", None).kind == "other_tech"


def test_a_bare_question_in_a_thread_is_a_follow_up_not_chatter(fake_advisor: Advisor) -> None:
    thread = ["Node or Python for a desktop app?"]
    assert fake_advisor.read("why?", thread).kind == "followup"
    assert fake_advisor.ask("why?", thread).verdict != "out_of_scope"
    assert fake_advisor.read("ok cool", thread).kind == "chatter"


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


def test_a_remark_about_the_project_in_a_thread_is_a_follow_up(fake_advisor: Advisor) -> None:
    thread = ["Best backend for an internal admin dashboard?"]
    assert fake_advisor.read("fwiw our whole team is React people", thread).kind == "followup"


def test_a_choice_between_two_named_things_neither_ours_is_another_technology() -> None:
    from bot.engine.question import _alternatives

    assert _alternatives("Postgres or MongoDB for storing user profiles?") == [("Postgres", "MongoDB")]
    assert _alternatives("Which is better, or is it a wash?") == []
    assert _alternatives("POSTGRES OR MONGO") == []  # capitals everywhere say nothing about names


def test_when_nothing_else_applies_the_readers_likeliest_workload_counts(fake_advisor: Advisor) -> None:
    from knowledge.question_model import QuestionReading

    analyzer = fake_advisor.engine.analyzer
    relevance = {c.id: 0.0 for c in analyzer.rules.criteria}
    leaning = QuestionReading(kinds={}, criteria={"scientific": 0.66, "stability": 0.9}, inverse=0.0)
    analyzer._best_guess(relevance, leaning)
    # The workload counts just enough to apply; a quality (stability) is never guessed.
    assert relevance["scientific"] == analyzer.rules.thresholds.min_relevance and relevance["stability"] == 0.0
    # A low reading still counts when it is the best there is and above the floor (0.3 for "a plagiarism checker").
    relevance = {c.id: 0.0 for c in analyzer.rules.criteria}
    analyzer._best_guess(relevance, QuestionReading(kinds={}, criteria={"scientific": 0.3}, inverse=0.0))
    assert relevance["scientific"] == analyzer.rules.thresholds.min_relevance
    unsure = QuestionReading(kinds={}, criteria={"scientific": 0.2}, inverse=0.0)
    relevance = {c.id: 0.0 for c in analyzer.rules.criteria}
    analyzer._best_guess(relevance, unsure)
    assert max(relevance.values()) == 0.0


def test_a_sides_library_that_the_rules_list_as_evidence_names_its_work(fake_advisor: Advisor) -> None:
    read = fake_advisor.engine.analyzer.analyse("numpy heavy stuff... node or python", None)
    assert read.lexical["scientific"] > 0 and read.lexical["data_ml"] > 0


def test_what_follows_a_form_word_is_the_subject(fake_advisor: Advisor) -> None:
    analyzer = fake_advisor.engine.analyzer
    assert analyzer.subject_of("Which has better libraries for generating QR codes?") == "generating QR codes"
    assert analyzer.subject_of("Node or Python: better support for QUIC, or not?") == "QUIC"
    assert analyzer.subject_of("Which has better libraries?") == ""  # libraries in general: the criterion answers
    assert analyzer.subject_of("Which has the bigger ecosystem of libraries?") == ""


def test_libraries_for_something_no_criterion_covers_is_said_so(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("Which has better libraries for printing shipping labels?")
    assert answer.verdict == "depends" and "has nothing on printing shipping labels" in answer.summary
    assert not answer.citations
    # A subject the rules' own phrases know ("image processing" is evidence of data and ML work) is answered.
    assert "has nothing on" not in fake_advisor.ask("Which has better libraries for image processing?").summary


def test_another_technology_named_as_what_is_replaced_keeps_a_sure_question_in_scope(fake_advisor: Advisor) -> None:
    from knowledge.question_model import QuestionReading

    analyzer = fake_advisor.engine.analyzer
    sure = QuestionReading(kinds={"answerable": 0.95, "chatter": 0.0, "other_tech": 0.05, "off_topic": 0.0},
                           criteria={}, inverse=0.0)
    unsure = QuestionReading(kinds={"answerable": 0.4, "chatter": 0.0, "other_tech": 0.6, "off_topic": 0.0},
                             criteria={}, inverse=0.0)
    text = "Core ledger replacing a COBOL system, must run for decades"
    assert analyzer._kind(text, set(), ["COBOL"], {}, {}, sure, "")[0] == "answerable"
    assert analyzer._kind(text, set(), ["COBOL"], {}, {}, unsure, "")[0] == "other_tech"


def test_a_plan_seen_only_through_one_word_keywords_is_refused_when_the_reader_leans_elsewhere(
        fake_advisor: Advisor) -> None:
    from knowledge.question_model import QuestionReading

    analyzer = fake_advisor.engine.analyzer
    leaning = QuestionReading(kinds={"answerable": 0.36, "chatter": 0.0, "other_tech": 0.01, "off_topic": 0.63},
                              criteria={}, inverse=0.0)
    text = "For the team offsite, hiking trip or escape room? It has to scale to 40 people and be quick to plan."
    keywords = {"large_systems": 0.58, "dev_speed": 0.56}  # "scale", "quick": one-word keywords, heard weakly
    assert analyzer._kind(text, set(), [], dict(keywords), keywords, leaning, "offsite hiking")[0] == "off_topic"
    # The same reader does not overrule a criterion read beyond its keywords, nor a backend asked for.
    read_more = {**keywords, "large_systems": 0.8}
    assert analyzer._kind(text, set(), [], read_more, keywords, leaning, "offsite hiking")[0] == "answerable"
    backend = "Which backend for the offsite sign-up page? It has to scale to 40 people and be quick to build."
    assert analyzer._kind(backend, set(), [], dict(keywords), keywords, leaning, "offsite sign-up")[0] == "answerable"


def test_more_of_what_something_consumes_is_asked_for_as_the_worse_side(rules) -> None:  # type: ignore[no-untyped-def]
    valence = cue_valence(rules)
    assert direction("Which one uses more RAM for the same service?", valence) == -1
    assert direction("Which takes more time to learn?", valence) == -1
    assert direction("Which one uses less memory?", valence) == 1
    assert direction("Which has more developers?", valence) == 0  # "has more": the words do not say


def test_a_comparative_the_lexicon_lacks_takes_its_plain_forms_valence(rules) -> None:  # type: ignore[no-untyped-def]
    valence = cue_valence(rules)
    assert direction("Which one is messier to deploy?", valence) == -1  # no "messier" in the lexicon; "messy" is
    assert direction("Which one has the healthier community?", valence) == 1
    # Nouns in -er are not comparatives: a broker is not "broke", a player not "play".
    assert direction("Which one for a message broker?", valence) == 0
    assert direction("Which one for a video player?", valence) == 0
