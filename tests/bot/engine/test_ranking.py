"""Claim ranking scores only the rows it needs: every pick must be exactly what scoring every claim would give."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine.ranking import SORT_FIRST, STRENGTH_BONUS, ClaimScorer, similarities
from bot.engine.scoring import article_stances
from index.claim_order import grouped_order, positions_of
from knowledge.claims import Claim

CRITERIA = ("realtime", "data_ml", "learning", "speed")


def make_claims(seed: int, articles: int = 120, dimension: int = 48) -> tuple[list[Claim], np.ndarray]:
    """Claims over a few criteria and both sides, with exact duplicates of some vectors (the same quote in several
    articles, as in the synthetic benchmark library) so that ties decide picks, and some with two criteria."""
    rng = np.random.default_rng(seed)
    pool = rng.standard_normal((40, dimension)).astype(np.float32)
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    claims: list[Claim] = []
    vectors: list[np.ndarray] = []
    for a in range(articles):
        for n in range(int(rng.integers(1, 7))):
            criteria = tuple(rng.choice(CRITERIA, size=int(rng.integers(1, 3)), replace=False).tolist())
            favors = "node" if rng.random() < 0.6 else "python"
            claims.append(Claim(id=f"a{a:03d}:c{n}", article_id=f"a{a:03d}", start=n, end=n + 1, quote_start=n,
                                quote_end=n + 1, text="x", favors=favors, subject=favors,  # type: ignore[arg-type]
                                polarity=1, criteria=criteria, strength=float(rng.choice([0.7, 1.0]))))
            if rng.random() < 0.5:
                vectors.append(pool[int(rng.integers(len(pool)))])  # a repeated quote: exact ties
            else:
                vector = rng.standard_normal(dimension).astype(np.float32)
                vectors.append(vector / np.linalg.norm(vector))
    return claims, np.stack(vectors)


def full_scores(claims: list[Claim], vectors: np.ndarray, question: np.ndarray) -> dict[str, float]:
    """The full computation: every claim scored at once."""
    scores = similarities(vectors, question) + np.asarray([STRENGTH_BONUS * c.strength for c in claims],
                                                          dtype=np.float32)
    return {c.id: float(s) for c, s in zip(claims, scores, strict=True)}


def reference_best(per_article: dict[str, list[Claim]], scores: dict[str, float], limit: int) -> list[Claim]:
    """Each article's best claim (the first of equals), best articles first, ties in the mapping's order."""
    picks = [max(group, key=lambda c: scores[c.id]) for group in per_article.values() if group]
    return sorted(picks, key=lambda c: scores[c.id], reverse=True)[:limit]


def mappings(claims: list[Claim]) -> list[dict[str, list[Claim]]]:
    """The per-article mappings answers rank: each criterion's stances and sides, as scoring builds them."""
    found = []
    for criterion in CRITERIA:
        stances = article_stances([c for c in claims if criterion in c.criteria])
        found += [stances.node, stances.python, stances.side("node"), stances.side("python")]
    return [m for m in found if m]


@pytest.mark.parametrize("seed", range(6))
def test_best_picks_exactly_what_scoring_every_claim_picks(seed: int) -> None:
    claims, vectors = make_claims(seed)
    scorer = ClaimScorer(claims, vectors)
    rng = np.random.default_rng(100 + seed)
    for _ in range(4):
        question = vectors[int(rng.integers(len(vectors)))].copy()  # a quote's own vector: many exact ties on top
        if rng.random() < 0.5:
            question = rng.standard_normal(vectors.shape[1]).astype(np.float32)
        scores = full_scores(claims, vectors, question)
        rank = scorer.for_question(question)
        for per_article in mappings(claims):
            for limit in (1, 2, 3, len(per_article)):
                assert rank.best(per_article, limit) == reference_best(per_article, scores, limit)


def test_ties_beyond_the_sorted_head_still_pick_by_mapping_order() -> None:
    # More tied claims in one article than the head holds: the second article is found only past the head.
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    claims = [Claim(id=f"a:{n}", article_id="a", start=n, end=n + 1, quote_start=n, quote_end=n + 1, text="x",
                    favors="node", subject="node", polarity=1, criteria=("realtime",)) for n in range(SORT_FIRST + 10)]
    claims += [Claim(id=f"b:{n}", article_id="b", start=n, end=n + 1, quote_start=n, quote_end=n + 1, text="x",
                     favors="node", subject="node", polarity=1, criteria=("realtime",)) for n in range(3)]
    vectors = np.stack([vector] * (SORT_FIRST + 10) + [vector * 0.5] * 3)
    per_article = {"a": claims[: SORT_FIRST + 10], "b": claims[SORT_FIRST + 10 :]}
    picks = ClaimScorer(claims, vectors).for_question(vector).best(per_article, 2)
    assert picks == [claims[0], claims[SORT_FIRST + 10]]


def test_scores_of_a_subset_are_bit_for_bit_those_of_every_claim() -> None:
    claims, vectors = make_claims(7)
    question = np.random.default_rng(7).standard_normal(vectors.shape[1]).astype(np.float32)
    expected = np.asarray(list(full_scores(claims, vectors, question).values()), dtype=np.float32)
    rank = ClaimScorer(claims, vectors).for_question(question)
    for per_article in mappings(claims)[:3]:  # some spans first, then everything
        rank.best(per_article, 2)
    assert np.array_equal(rank.scores, expected)
    assert np.array_equal(ClaimScorer(claims, vectors).for_question(question).scores, expected)


def test_similarity_is_every_claims_in_claims_order_and_agrees_with_blas() -> None:
    claims, vectors = make_claims(8)
    question = vectors[3]
    similarity = ClaimScorer(claims, vectors).similarity(question)
    assert np.array_equal(similarity, similarities(vectors, question))
    assert np.allclose(similarity, vectors @ question, atol=1e-6)


def test_rows_are_summed_the_same_wherever_they_sit() -> None:
    rng = np.random.default_rng(9)
    matrix = rng.standard_normal((1000, 384)).astype(np.float32)
    vector = rng.standard_normal(384).astype(np.float32)
    full = similarities(matrix, vector)
    for rows in (np.arange(1), np.arange(3, 10), np.sort(rng.choice(1000, 333, replace=False))):
        assert np.array_equal(similarities(matrix[rows], vector), full[rows])
        assert np.array_equal(similarities(matrix[rows[0] : rows[-1] + 1], vector), full[rows[0] : rows[-1] + 1])


def test_a_stored_order_gives_the_same_ranking_as_grouping_in_memory() -> None:
    claims, vectors = make_claims(10)
    order = grouped_order(claims)
    stored = ClaimScorer(claims, vectors[order], order)
    grouped_here = ClaimScorer(claims, vectors)
    assert np.array_equal(stored.vectors, grouped_here.vectors)
    question = vectors[5]
    for per_article in mappings(claims):
        assert stored.for_question(question).best(per_article, 2) == grouped_here.for_question(question).best(
            per_article, 2)
    assert np.array_equal(stored.similarity(question), grouped_here.similarity(question))


def test_grouped_order_puts_each_criterion_and_side_together() -> None:
    claims, _ = make_claims(11)
    order = grouped_order(claims)
    assert sorted(order.tolist()) == list(range(len(claims)))
    keys = [(claims[row].criteria[0], claims[row].favors) for row in order]
    assert keys == sorted(keys)  # one run per key
    for key in set(keys):  # claims order within each group
        rows = [row for row in order if (claims[row].criteria[0], claims[row].favors) == key]
        assert rows == sorted(rows)
    assert np.array_equal(positions_of(order)[order], np.arange(len(order)))
