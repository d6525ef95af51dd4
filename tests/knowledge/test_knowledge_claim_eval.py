"""Scoring claims against labels: overlap matching, recall, side precision, side-and-criteria precision."""

from __future__ import annotations

from knowledge.claim_eval import ClaimReport, score_article
from knowledge.claims import Claim
from knowledge.corpus import Article
from knowledge.labels import LabeledArticle, LabeledClause

TEXT = "Node.js is great for chat. Python wins at data science. Both run on Linux."


def _label(text: str, side: str, criteria: tuple[str, ...]) -> LabeledClause:
    start = TEXT.index(text)
    return LabeledClause("aa", start, start + len(text), side, criteria)  # type: ignore[arg-type]


def _claim(text: str, favors: str, criteria: tuple[str, ...]) -> Claim:
    start = TEXT.index(text)
    return Claim(f"aa:{start}", "aa", start, start + len(text), start, start + len(text), text, favors,  # type: ignore[arg-type]
                 favors, 1, criteria)  # type: ignore[arg-type]


ARTICLE = LabeledArticle(Article(id="aa", text=TEXT), "test", (
    _label("Node.js is great for chat", "node", ("realtime",)),
    _label("Python wins at data science", "python", ("data_ml",)),
), "own", "held_out")


def test_a_claim_on_the_right_side_and_criteria_counts_for_recall_and_both_precisions() -> None:
    score = score_article(ARTICLE, [_claim("Node.js is great for chat", "node", ("realtime",))])
    assert (score.found, score.labels, score.side_right, score.criteria_right, score.claims) == (1, 2, 1, 1, 1)
    assert score.recall == 0.5 and score.side_precision == 1.0 and score.criteria_precision == 1.0


def test_wrong_side_wrong_criteria_and_unlabeled_claims_are_told_apart() -> None:
    claims = [
        _claim("Node.js is great for chat", "python", ("realtime",)),  # wrong side
        _claim("Python wins at data science", "python", ("data_ml", "hiring")),  # a criterion the label lacks
        _claim("Both run on Linux", "node", ("cross_platform",)),  # no label at all
    ]
    score = score_article(ARTICLE, claims)
    assert score.found == 1  # only the data-science label was found on its side
    assert (score.side_right, score.criteria_right, score.claims) == (1, 0, 3)
    assert [why for *_, why in score.wrong] == ["label favours node", "label criteria data_ml", "no label"]


def test_a_clause_cut_differently_still_matches_by_overlap() -> None:
    score = score_article(ARTICLE, [_claim("great for chat", "node", ("realtime",))])
    assert score.found == 1 and score.side_right == 1


def test_totals_add_up_by_part() -> None:
    report = ClaimReport([score_article(ARTICLE, [_claim("Node.js is great for chat", "node", ("realtime",))])])
    assert report.total("held_out").found == 1 and report.total("tune").labels == 0


def test_each_article_s_side_per_criterion_is_scored_as_answers_use_it() -> None:
    # One right claim on realtime, one wrong-side claim on data_ml: half the labels' stances found, half right.
    claims = [_claim("Node.js is great for chat", "node", ("realtime",)),
              _claim("Python wins at data science", "node", ("data_ml",)),
              _claim("Both run on Linux", "node", ("cross_platform",))]
    score = score_article(ARTICLE, claims)
    assert (score.stances, score.stances_found, score.stances_claimed, score.stances_right) == (2, 1, 3, 1)
    assert score.stance_recall == 0.5 and score.stance_precision == 1 / 3
    # Two claims that cancel out make no stance: the article argues both ways on it.
    even = [_claim("Node.js is great for chat", "node", ("realtime",)),
            _claim("great for chat", "python", ("realtime",))]
    assert score_article(ARTICLE, even).stances_claimed == 0
