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


def test_markdown_headings_are_one_unit_without_their_marks() -> None:
    text = "# Node.js vs Python\n\n## 3. **It's fast. Like, genuinely fast.**\n\nBody text here."
    sentences = split_sentences(text)
    assert [(s.kind, s.text) for s in sentences] == [
        ("heading", "Node.js vs Python"),
        ("heading", "3. **It's fast. Like, genuinely fast.**"),
        ("sentence", "Body text here."),
    ]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_a_bold_line_is_a_heading_and_bullets_are_marked() -> None:
    text = "**Heavy computation?**\nPython's home turf.\n- Huge package registry\n- Fast startup"
    kinds = [(s.kind, s.text) for s in split_sentences(text)]
    assert kinds == [("heading", "Heavy computation?"), ("sentence", "Python's home turf."),
                     ("bullet", "Huge package registry"), ("bullet", "Fast startup")]


def test_table_cells_know_their_column_and_row() -> None:
    text = "| Metric | Node.js | Python |\n|---|---|---|\n| Cold start | ~150 ms | ~250 ms |\n\nAfter the table."
    sentences = split_sentences(text)
    header = [s.text for s in sentences if s.kind == "header"]
    cells = [(s.text, s.column, s.row) for s in sentences if s.kind == "cell"]
    assert header == ["Metric", "Node.js", "Python"]
    assert cells == [("Cold start", "Metric", "Cold start"), ("~150 ms", "Node.js", "Cold start"),
                     ("~250 ms", "Python", "Cold start")]
    assert sentences[-1].text == "After the table."
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_a_heading_glued_into_running_text_starts_a_new_sentence() -> None:
    # Text pulled from a web page without its line breaks: "Learning curve" is a heading, and the article writes
    # "learning" in lowercase elsewhere, so it is no name.
    text = ("The learning never stops with these tools. Pick Python for data work that needs stability and "
            "consistency Learning curve Node.js is not a challenge to those who know JavaScript.")
    found = texts(text)
    assert "Pick Python for data work that needs stability and consistency" in found
    assert "Learning curve Node.js is not a challenge to those who know JavaScript." in found


def test_a_capitalised_name_mid_sentence_is_not_a_glued_heading() -> None:
    text = "Python runs on the Google Chrome engine? No: Node runs on Google V8 and Django Channels adds sockets."
    assert texts(text) == ["Python runs on the Google Chrome engine?",
                           "No: Node runs on Google V8 and Django Channels adds sockets."]
