"""Candidate clauses: the side each is about, from its words, a heading, a lead-in, a table column or the title."""

from __future__ import annotations

from knowledge.clauses import candidates, mask
from knowledge.corpus import Article
from knowledge.cues import SideNames, side_mentions


def about(text: str, rules, title: str | None = None) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    article = Article(id="t1", title=title, text=text)
    found = candidates(article, rules)
    for c in found:
        assert text[c.start : c.end] == c.text
    return [(c.text, c.subject, c.source) for c in found]


def test_bullets_under_a_side_heading_are_about_that_side(rules) -> None:
    text = "## Node.js\n\n### Strengths\n- Huge package registry\n\n## Python\n\n### Strengths\n- Reads like English"
    found = about(text, rules)
    assert ("Huge package registry", "node", "heading") in found
    assert ("Reads like English", "python", "heading") in found


def test_a_lead_in_names_what_the_bullets_below_it_are_about(rules) -> None:
    text = "Team B, on Node.js:\n- one language everywhere\n- faster sockets\n\nSomething else entirely happened."
    found = about(text, rules)
    assert ("one language everywhere", "node", "lead_in") in found and ("faster sockets", "node", "lead_in") in found
    assert all(text_ != "Something else entirely happened" for text_, *_ in found)


def test_table_cells_are_about_their_column(rules) -> None:
    text = "| Topic | Node.js | Python |\n|---|---|---|\n| CPU work | Weak: blocks the loop | Strong: NumPy |"
    found = about(text, rules)
    assert ("Weak: blocks the loop", "node", "column") in found
    assert ("Strong: NumPy", "python", "named") in found  # NumPy names Python's side itself


def test_a_one_sided_title_is_the_last_resort(rules) -> None:
    found = about("Tiny bundles, quick cold starts.", rules, title="Why we pick Node.js")
    assert found == [("Tiny bundles, quick cold starts", "node", "title")]


def test_short_lowercase_names_count_only_where_the_article_names_the_side(rules) -> None:
    assert side_mentions(rules, "a node in the graph") == []
    names = SideNames(rules, "Node.js is our runtime; in node you await everything.")
    assert [side for _, side in names.mentions("in node you await everything")] == ["node"]
    question = SideNames(rules, "node or python for a chat app?", every_side=True)
    assert question.sides("node or python for a chat app?") == {"node", "python"}


def test_a_name_followed_by_dot_js_and_names_in_urls_are_not_sides(rules) -> None:
    assert side_mentions(rules, "TensorFlow.js runs in the browser") == []
    assert side_mentions(rules, "see https://example.org/python-is-fast") == []


def test_masking_puts_x_for_the_subject_and_y_for_the_other(rules) -> None:
    names = SideNames(rules)
    assert mask(names, "Node.js handled twice the requests of Python", "node") == "X handled twice the requests of Y"
    assert mask(names, "Node.js handled twice the requests of Python", "python") == "Y handled twice the requests of X"
    [candidate] = candidates(Article(id="t1", text="## Python\n\nReads like English."), rules)[1:]
    assert candidate.masked == "X: Reads like English"


def test_a_clause_about_both_sides_is_no_candidate(rules) -> None:
    assert about("Both runtimes have large communities.", rules) == []
