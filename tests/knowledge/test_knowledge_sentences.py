"""Sentence splitting: exact offsets into the article, abbreviations, bullets, headings, closing quotes."""

from __future__ import annotations

import pytest

from knowledge.corpus import load_library
from knowledge.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_every_seed_sentence_maps_back_to_its_article(library_dir) -> None:
    articles = load_library(library_dir)
    assert len(articles) == 5
    for article in articles:
        sentences = split_sentences(article.text)
        assert len(sentences) > 10, article.id
        previous_end = 0
        for sentence in sentences:
            assert article.text[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip() and sentence.text
            assert sentence.start >= previous_end, "sentences overlap or are out of order"
            previous_end = sentence.end


def test_sentence_ends_split_but_abbreviations_do_not() -> None:
    text = "Frameworks e.g. Django are popular. Python vs. Node is a classic debate! Is it? Yes."
    assert texts(text) == [
        "Frameworks e.g. Django are popular.",
        "Python vs. Node is a classic debate!",
        "Is it?",
        "Yes.",
    ]


def test_lowercase_after_a_period_does_not_start_a_sentence() -> None:
    text = "Version 3.11 is fast. node.js is lowercase here."
    assert texts(text) == [text]


def test_bullets_lines_and_mid_line_bullets_are_separate_sentences() -> None:
    text = (
        "Pros of Node.js\n  • Fast I/O for chat apps\n  • One language everywhere\n"
        "Benefits • Async • Huge npm registry"
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Pros of Node.js",
        "Fast I/O for chat apps",
        "One language everywhere",
        "Benefits",
        "Async",
        "Huge npm registry",
    ]
    assert [s.line for s in sentences] == [0, 1, 2, 3, 3, 3]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_headings_are_short_unpunctuated_lines() -> None:
    text = "Cons of Python\nPython is slower than Node.js.\n• Not a heading bullet\nlowercase line"
    flags = {s.text: s.is_heading for s in split_sentences(text)}
    assert flags == {
        "Cons of Python": True,
        "Python is slower than Node.js.": False,
        "Not a heading bullet": False,
        "lowercase line": False,
    }


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("She said “Node is fast.” Python is not.", "She said “Node is fast.”"),
        ('He wrote "Python wins." Then he left.', 'He wrote "Python wins."'),
        ("It is single-threaded (mostly.) But it scales.", "It is single-threaded (mostly.)"),
    ],
)
def test_a_closing_quote_or_bracket_stays_with_its_sentence(text: str, first: str) -> None:
    # The boundary regex documents "optionally followed by a closing quote or bracket"; the quote belongs to the
    # sentence it closes, otherwise quotes shown to users are unbalanced and the character is in no sentence.
    sentences = split_sentences(text)
    assert sentences[0].text == first
    assert text[sentences[0].start : sentences[0].end] == first


def test_empty_and_blank_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t\n  ") == []
