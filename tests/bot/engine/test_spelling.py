"""Typos put right before a question is read: only slips of the rules' words, only in words nobody knows."""

from __future__ import annotations

from bot.engine.spelling import Speller, rules_words, speller_for


def test_a_dropped_or_swapped_letter_of_a_rules_word_is_put_right(rules) -> None:  # type: ignore[no-untyped-def]
    speller = speller_for(rules, [], None)
    assert speller.correct("nodejs vs pythn performace") == "nodejs vs python performance"
    assert speller.correct("which is eaiser to lern for a noob") == "which is easier to learn for a noob"
    assert speller.correct("PYHTON OR NODE") == "PYTHON OR NODE"
    assert speller.correct("node or pythonn for a chatt app") == "node or python for a chat app"  # a key held


def test_real_words_names_and_other_slips_are_left_alone(rules) -> None:  # type: ignore[no-untyped-def]
    speller = speller_for(rules, ["our library mentions commute and changers"], None)
    # Known words (here from the library), other technologies' names, capitalised names and inflections stay.
    assert speller.correct("commute changers") == "commute changers"
    assert speller.correct("Perl or Esports") == "Perl or Esports"
    assert speller.correct("classifies pipelines") == "classifies pipelines"
    # A letter too many or typed for another is as often a different word: "nuxt" is not "next".
    assert speller.correct("nuxt") == "nuxt"
    # Capitals in a sentence that is not all capitals are an acronym, not a slip: "QUIC" is not "quick".
    assert speller.correct("Which has better support for QUIC?") == "Which has better support for QUIC?"


def test_an_ambiguous_slip_is_left_as_typed() -> None:
    speller = Speller(["carts", "parts"])
    assert speller.correct("arts") == "arts"  # one letter from both: no guess
    assert speller.correct("crts") == "carts"


def test_the_rules_words_include_the_sides_names_and_the_criteria_words(rules) -> None:  # type: ignore[no-untyped-def]
    words = rules_words(rules)
    assert {"python", "nodejs", "learn", "performance", "gateway"} <= words


def test_the_librarys_words_count_as_known_when_given_as_its_bm25_stems(rules) -> None:  # type: ignore[no-untyped-def]
    from index.vectors import tokenize

    article = "Our drivers report braking distances, and the fleet's braking data feeds the model."
    assert speller_for(rules, [], None).correct("braking") != "braking"  # unknown, one slip from a rules word
    # A served index gives the library's words as BM25 stems, not its texts: they are known all the same.
    stems = {token for tokens in tokenize([article]) for token in tokens}
    assert speller_for(rules, [], None, stems).correct("braking") == "braking"
    assert speller_for(rules, [article], None).correct("braking") == "braking"
    assert speller_for(rules, [], None, stems).correct("pythn") == "python"  # typos are still put right
