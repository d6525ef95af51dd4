"""The labeled data the engine is judged by: it loads, every label is verbatim, and the split holds a third out."""

from __future__ import annotations

import collections

import pytest
import yaml

from knowledge.labels import LABELED_DIR, LabelError, held_out, load_labeled_articles, load_training_clauses, part_of
from knowledge.question_training import load_questions


@pytest.fixture(scope="module")
def labeled(rules):  # type: ignore[no-untyped-def]
    return load_labeled_articles({c.id for c in rules.criteria})


def test_every_label_is_a_verbatim_span_of_its_article(labeled) -> None:  # type: ignore[no-untyped-def]
    assert labeled, "no labeled articles"
    for item in labeled:
        for clause in item.clauses:
            assert 0 <= clause.start < clause.end <= len(item.article.text)
            assert clause.side in ("node", "python") and clause.criteria


def test_the_labeled_set_is_as_large_and_varied_as_the_issue_asks(labeled) -> None:  # type: ignore[no-untyped-def]
    own = [a for a in labeled if a.origin == "own"]
    seeds = [a for a in labeled if a.origin == "seed"]
    assert len(own) >= 15 and len(seeds) == 5
    assert sum(len(a.clauses) for a in labeled) >= 600
    for article in own:
        assert 600 <= len(article.article.text.split()) <= 1600, article.article.id
    assert len({a.style for a in own}) == len(own), "each own article is written in a style of its own"
    held = [a for a in own if a.part == "held_out"]
    assert len(own) / 4 <= len(held) <= len(own) / 2  # about a third, by a hash of the id


def test_seeds_are_always_tuned_on_and_the_split_is_a_stable_hash(labeled) -> None:  # type: ignore[no-untyped-def]
    assert all(a.part == "tune" for a in labeled if a.origin == "seed")
    assert held_out("own-benchmark-table") and not held_out("own-listicle-seven-reasons")
    assert part_of("own-benchmark-table", moved=["own-benchmark-table"]) == "tune"  # looked at, so moved to tune
    shares = collections.Counter(held_out(f"item-{n}") for n in range(3000))
    assert 900 < shares[True] < 1100


def test_the_question_bank_covers_every_kind_and_a_third_is_held_out(rules) -> None:  # type: ignore[no-untyped-def]
    ids = {c.id for c in rules.criteria}
    bank = load_questions([LABELED_DIR / "questions.yaml"], ids)
    assert len(bank) >= 250
    kinds = collections.Counter(q.kind for q in bank)
    assert {"question", "followup", "chatter", "other_tech", "off_topic"} <= set(kinds)
    tune = load_questions([LABELED_DIR / "questions.yaml"], ids, tune_only=True)
    assert len(bank) / 4 <= len(bank) - len(tune) <= len(bank) / 2
    raw = yaml.safe_load((LABELED_DIR / "questions.yaml").read_text())
    assert all(c.get("context") for c in raw if c.get("kind") == "followup")


def test_training_clauses_load_and_name_only_known_criteria(rules) -> None:  # type: ignore[no-untyped-def]
    clauses = load_training_clauses([LABELED_DIR / "clauses.yaml"], {c.id for c in rules.criteria})
    assert len(clauses) >= 1000
    assert {c.side for c in clauses} == {"node", "python", "none"}


def test_a_label_that_is_not_in_its_article_is_a_one_line_error(tmp_path, rules) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "articles").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "articles" / "own-x.md").write_text("---\nid: own-x\n---\nNode.js is fast. Node.js is fast.\n")
    library = tmp_path / "library"
    library.mkdir()
    ids = {c.id for c in rules.criteria}
    labels = tmp_path / "labels" / "own-x.yaml"
    labels.write_text("article: own-x\nclauses:\n  - {text: 'Python is slow', side: node, criteria: [speed]}\n")
    with pytest.raises(LabelError, match="not in the article"):
        load_labeled_articles(ids, tmp_path, library)
    labels.write_text("article: own-x\nclauses:\n  - {text: 'Node.js is fast', side: node, criteria: [speed]}\n")
    with pytest.raises(LabelError, match="more than once"):
        load_labeled_articles(ids, tmp_path, library)
    labels.write_text("article: own-x\nclauses:\n  - {text: 'Node.js is fast', occurrence: 2, side: node, "
                      "criteria: [speed]}\n")
    [item] = load_labeled_articles(ids, tmp_path, library)
    assert item.clauses[0].start == item.article.text.rindex("Node.js is fast")


def test_a_second_annotator_agrees_with_the_labels_closely(labeled, rules) -> None:  # type: ignore[no-untyped-def]
    """The labels are consistent enough to measure against: a second person labeling three articles without seeing
    the first's labels finds nearly the same clauses, on the same sides (the README quotes these figures)."""
    from knowledge.claim_eval import annotator_agreement
    from knowledge.labels import load_second_labels

    pairs = load_second_labels(labeled, {c.id for c in rules.criteria})
    assert len(pairs) >= 3 and all(item.part == "tune" for item, _ in pairs)
    agreement = annotator_agreement(pairs)
    assert agreement.recall >= 0.9 and agreement.side_precision >= 0.9 and agreement.criteria_precision >= 0.85
