"""Claim extraction on real seed sentences: sides, criteria, negations, comparisons, two-sided sentences, spans."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.claims import Claim, extract_claims, side_mentions
from knowledge.corpus import Article, load_library
from knowledge.rules import parse_rules

MEMORY = "Python is not suitable for memory-intensive tasks, as it consumes a lot of memory."
BEST_OPTION = (
    "When we talk about real-time and web-based projects that are data-intensive like chatting or streaming "
    "platforms, Node.js is the best option."
)
TWO_SIDED = (
    "Both are strong, but Python leads in AI and data science, while Node.js leads in web and real-time development."
)
CONCESSION = (
    "Though Node.js offers the benefits of being event-driven and single-threaded, it cannot run heavy CPU-based "
    "computing."
)
SLOWER = "Python is slower than Node.js."
DEBUGGING = "Also, debugging is easier than Node.js."
GO_TO = "Python is the go-to choice for data-intensive applications, machine learning, and scientific computing."


def claims_of(text: str, rules) -> list[Claim]:  # type: ignore[no-untyped-def]
    article = Article(id="t1", text=text)
    claims = extract_claims(article, rules)
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text
    return claims


def test_negative_statement_about_python_favours_node_for_memory(rules) -> None:
    [claim] = claims_of(MEMORY, rules)
    assert claim.favors == "node"
    assert claim.subject == "python" and claim.polarity == -1
    assert "memory" in claim.criteria
    assert (claim.quote_start, claim.quote_end) == (0, len(MEMORY))


def test_best_option_for_chatting_or_streaming_favours_node_for_realtime(rules) -> None:
    [claim] = claims_of(BEST_OPTION, rules)
    assert claim.favors == "node" and claim.polarity == 1
    assert "realtime" in claim.criteria


def test_two_sided_sentence_gives_two_claims_with_exact_clause_spans(rules) -> None:
    claims = claims_of(TWO_SIDED, rules)
    assert [(c.favors, c.text) for c in claims] == [
        ("python", "Python leads in AI and data science"),
        ("node", "Node.js leads in web and real-time development"),
    ]
    python, node = claims
    assert "data_ml" in python.criteria and "realtime" not in python.criteria
    assert "realtime" in node.criteria and "data_ml" not in node.criteria
    assert (python.start, python.end) == (TWO_SIDED.index("Python leads"), TWO_SIDED.index(", while"))
    assert (node.start, node.end) == (TWO_SIDED.index("Node.js leads"), len(TWO_SIDED) - 1)
    # both clauses quote the whole sentence, which is short enough to show
    assert {(c.quote_start, c.quote_end) for c in claims} == {(0, len(TWO_SIDED))}


def test_concession_names_the_subject_and_the_main_clause_carries_the_claim(rules) -> None:
    [claim] = claims_of(CONCESSION, rules)
    assert claim.favors == "python"
    assert claim.subject == "node" and claim.polarity == -1
    assert claim.criteria == ("cpu_heavy",)
    assert claim.text == "it cannot run heavy CPU-based computing"


def test_slower_than_favours_the_other_side_for_speed(rules) -> None:
    [claim] = claims_of(SLOWER, rules)
    assert claim.favors == "node" and claim.subject == "python"
    assert "speed" in claim.criteria


def test_unnamed_subject_of_a_comparison_is_the_other_side(rules) -> None:
    [claim] = claims_of(DEBUGGING, rules)
    assert claim.favors == "python"
    assert "debugging" in claim.criteria


def test_direct_positive_statement_favours_its_subject(rules) -> None:
    [claim] = claims_of(GO_TO, rules)
    assert claim.favors == "python" and claim.polarity == 1
    assert {"data_ml", "scientific"} <= set(claim.criteria)


@pytest.mark.parametrize(
    "text",
    [
        "Both frameworks boast a rich ecosystem and libraries.",  # about both sides
        "The weather in Lisbon is lovely in spring.",  # about neither
        "Node.js is a JavaScript runtime.",  # a side, but no stance cue
        "",
    ],
)
def test_statements_without_a_side_and_a_stance_make_no_claim(text: str, rules) -> None:
    assert claims_of(text, rules) == []


def test_a_pronoun_refers_to_the_side_named_just_before(rules) -> None:
    text = "Node.js is event-driven. It is the best option for chat applications."
    claims = claims_of(text, rules)
    assert [(c.favors, c.text) for c in claims] == [("node", "It is the best option for chat applications")]


def test_the_seed_sentences_give_the_same_claims_inside_their_articles(library_dir, rules) -> None:
    found = {
        (c.text, c.favors, criterion)
        for article in load_library(library_dir)
        for c in extract_claims(article, rules)
        for criterion in c.criteria
    }
    expected = {
        (MEMORY.rstrip("."), "node", "memory"),
        (BEST_OPTION.rstrip("."), "node", "realtime"),
        ("Python leads in AI and data science", "python", "data_ml"),
        ("Node.js leads in web and real-time development", "node", "realtime"),
        ("it cannot run heavy CPU-based computing", "python", "cpu_heavy"),
        (SLOWER.rstrip("."), "node", "speed"),
        (DEBUGGING.rstrip("."), "python", "debugging"),
    }
    assert expected <= found, expected - found


def test_every_seed_claim_is_an_exact_span_with_valid_fields(library_dir, rules) -> None:
    criterion_ids = {c.id for c in rules.criteria}
    total = 0
    sides_seen = set()
    for article in load_library(library_dir):
        claims = extract_claims(article, rules)
        assert claims, f"no claims in {article.id}"
        assert len({c.id for c in claims}) == len(claims), "claim ids collide"
        for claim in claims:
            total += 1
            sides_seen.add(claim.favors)
            assert claim.article_id == article.id
            assert article.text[claim.start : claim.end] == claim.text
            assert claim.quote_start <= claim.start < claim.end <= claim.quote_end <= len(article.text)
            assert claim.criteria and set(claim.criteria) <= criterion_ids
            assert claim.favors in ("node", "python") and claim.polarity in (1, -1)
            assert 0 < claim.strength <= 1
            assert Claim.from_dict(claim.to_dict()) == claim
    assert total >= 50
    assert sides_seen == {"node", "python"}


def test_claims_are_driven_by_the_rules_file(isolated_paths) -> None:
    data = yaml.safe_load(isolated_paths.rules_file.read_text(encoding="utf-8"))
    baseline = parse_rules(yaml.safe_dump(data))
    assert claims_of(MEMORY, baseline)[0].criteria == ("memory",)
    memory = next(c for c in data["criteria"] if c["id"] == "memory")
    memory["evidence"] = ["gigabytes of swap"]
    memory.pop("evidence_patterns", None)
    changed = parse_rules(yaml.safe_dump(data))
    assert all("memory" not in c.criteria for c in claims_of(MEMORY, changed))


def test_side_names_respect_case_sensitive_short_names(rules) -> None:
    assert [side for _, side in side_mentions(rules, "Django and Express beat node modules")] == ["python", "node"]
    assert side_mentions(rules, "every node in the express lane") == []


def test_a_name_the_article_defines_as_a_side_s_counts_as_that_side(rules) -> None:
    from knowledge.cues import SideNames, document_aliases

    text = ("We audited `claims-api` (NestJS) and Herald (Python).\n\n"
            "## F-03 claims-api: prototype pollution\n\nHerald ignored the same payload.")
    assert document_aliases(rules, text) == {"claims-api": "node", "Herald": "python"}
    names = SideNames(rules, text)
    assert names.sides("F-03 claims-api: prototype pollution") == {"node"}
    assert names.sides("Herald ignored the same payload.") == {"python"}
    # Ordinary words define nothing: "the backend (Python)", or a table cell "Good (Django)" in a text that also
    # says "good"; nor does a parenthesis naming both sides.
    assert document_aliases(rules, "The backend (Python) is good. Good (Django). Both (Node.js, Python).") == {}


STATEMENT_PARTS = st.sampled_from(
    ["Node.js", "Python", "Django", "Express", "It", "it", "They", "is", "not", "the best option", "slower than",
     "faster than", "for", "real-time", "chat", "data science", "memory-intensive", "CPU-heavy", "while", "but",
     "Though", ",", ";", "Unlike", "Both", "cannot", "easier than", "debugging", "Pros of Node.js\n",
     "Cons of Python\n", "\n", "• ", ".", "!", "Also,", "However,", "“", "”", "(", ")", ":"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.one_of(STATEMENT_PARTS, st.text(max_size=5)), max_size=60).map(" ".join))
def test_claims_of_any_text_are_exact_trimmed_spans(text: str, rules) -> None:
    claims = extract_claims(Article(id="t1", text=text), rules)
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text
        assert claim.text and claim.text == claim.text.strip()
        assert claim.quote_start <= claim.start < claim.end <= claim.quote_end <= len(text)
        assert claim.favors in ("node", "python") and claim.criteria
    assert len({c.id for c in claims}) == len(claims)


def test_check_marks_in_a_table_favour_their_column_for_what_the_row_names(rules) -> None:
    text = ("| Feature | Node.js | Python |\n|---|---|---|\n"
            "| Scientific libraries | ✗ | ✓ |\n| Release year | 2009 | 1991 |")
    claims = claims_of(text, rules)
    assert sorted((c.favors, c.subject, c.text) for c in claims) == [("python", "node", "✗"), ("python", "python", "✓")]
    assert all("scientific" in c.criteria for c in claims)
    # A mark alone tells a reader nothing: the whole row is quoted, verbatim.
    assert {text[c.quote_start : c.quote_end] for c in claims} == {"Scientific libraries | ✗ | ✓"}


def test_yes_and_no_cells_speak_for_and_against_their_column(rules) -> None:
    text = "| | Node.js | Python |\n|---|---|---|\n| Machine learning libraries | No | Yes, plenty |"
    claims = claims_of(text, rules)
    assert sorted((c.favors, c.subject) for c in claims) == [("python", "node"), ("python", "python")]
    assert all("data_ml" in c.criteria for c in claims)


def test_every_check_and_cross_variant_counts_and_a_graded_row_is_no_yes_or_no(rules) -> None:
    text = ("| | Node.js | Python |\n|---|---|---|\n| Scientific libraries | ☒ | ☑ |\n"
            "| Machine learning libraries | Good | Excellent |")
    claims = claims_of(text, rules)
    # Marks are told by their Unicode names; "Good" beside "Excellent" is no yes or no: not a point either way.
    assert {("python", "☑"), ("python", "☒")} <= {(c.favors, c.text) for c in claims}
    assert "Good" not in {c.text for c in claims}
