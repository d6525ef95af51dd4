"""Rank claims by how close their quote is to a question, scoring only the claims an answer can cite."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.claim_order import grouped_order, positions_of
from knowledge.claims import Claim

STRENGTH_BONUS = 0.1  # a firm claim ("is the best option") edges out a hedged one of equal similarity
BULK_FROM = 32  # below this many claims, plain Python is faster than numpy's set-up
# Walking claims best first usually meets the articles it needs within the first few dozen: sort only those (and
# every claim tied with the last of them), and the rest only when they were not enough.
SORT_FIRST = 64
# Rows of the matrix between two claims a mapping needs that are scored anyway rather than split into two numpy
# calls: a call costs about what scoring this many rows does.
SPAN_GAP = 64


def similarities(vectors: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with `vector`, worked out row by row.

    BLAS's matrix-vector product sums a row differently depending on where it falls in the matrix (the last few
    rows, the split between threads), so a row scored on its own could differ in the last bit from the same row
    scored among all of them, and reorder two claims tied to the bit. einsum sums every row the same way: scoring
    any subset of the rows gives exactly the values the full product gives, so the subset can be all we compute.
    """
    return np.einsum("ij,j->i", vectors, vector)


@dataclass(frozen=True)
class _Flat:
    """One per-article mapping flattened: its claims, their rows (claim order) and positions in the matrix, and
    the spans of the matrix that hold them."""

    source: Mapping[str, list[Claim]]
    claims: list[Claim]
    rows: np.ndarray
    positions: np.ndarray
    spans: tuple[tuple[int, int], ...]


class ClaimScorer:
    """The claims of one loaded index and their quote vectors; makes a `QuestionRank` per question.

    The vectors are held grouped by criterion and side (index.claim_order); `position[row]` is where claim `row`
    sits in the matrix.
    """

    def __init__(self, claims: Sequence[Claim], vectors: np.ndarray, order: np.ndarray | None = None) -> None:
        """`vectors` as a version stores them, row k being claim `order[k]`'s; without `order`, in claims order,
        and grouped here (a copy: a version built before claim_order.npy costs the matrix twice while loading)."""
        self.claims = list(claims)
        self.rows = {c.id: n for n, c in enumerate(claims)}
        if order is None:
            order = grouped_order(self.claims)
            vectors = np.asarray(vectors, dtype=np.float32)[order]
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.position = positions_of(order)
        self.bonus = np.asarray([STRENGTH_BONUS * self.claims[row].strength for row in order], dtype=np.float32)
        # Flattened claim lists by the identity of the per-article mapping they came from: those mappings live as
        # long as the loaded index (see scoring.ClaimIndex), so each is flattened once, not once per question.
        self._flat: dict[int, _Flat] = {}
        self._lock = threading.Lock()

    def flat(self, per_article: Mapping[str, list[Claim]]) -> _Flat:
        found = self._flat.get(id(per_article))
        if found is None or found.source is not per_article:
            claims = [c for group in per_article.values() for c in group]
            rows = np.asarray([self.rows.get(c.id, -1) for c in claims], dtype=np.int64).reshape(-1)
            positions = self.position[rows] if len(rows) and (rows >= 0).all() else rows
            found = _Flat(per_article, claims, rows, positions, _spans(positions))
            with self._lock:
                if len(self._flat) > 4096:  # bounded: mappings built per question must not pile up
                    self._flat.clear()
                self._flat[id(per_article)] = found
        return found

    def prepare(self, mappings: Iterable[Mapping[str, list[Claim]]]) -> None:
        """Flatten long-lived mappings now (a few ms each at 10,000 articles) rather than on a live question."""
        for per_article in mappings:
            self.flat(per_article)

    def similarity(self, vector: np.ndarray) -> np.ndarray:
        """Every claim's quote similarity to `vector`, in claim order (for finding the claims nearest a topic)."""
        return similarities(self.vectors, np.asarray(vector, dtype=np.float32))[self.position]

    def for_question(self, vector: np.ndarray) -> QuestionRank:
        return QuestionRank(self, np.asarray(vector, dtype=np.float32))


class QuestionRank:
    """Claim relevance to one question: similarity of the quote's vector plus a small bonus for firm claims.

    Scores are worked out on demand, for the spans of the matrix holding the claims asked about, and kept for the
    question: an answer cites from a few criteria, so it need not score the whole library (tens of ms at 10,000
    articles).
    """

    def __init__(self, scorer: ClaimScorer, vector: np.ndarray) -> None:
        self.scorer = scorer
        self.vector = vector
        self._scores = np.empty(len(scorer.claims), dtype=np.float32)  # by matrix position
        self._scored = np.zeros(len(scorer.claims), dtype=bool)

    def _score_span(self, start: int, stop: int) -> None:
        if not self._scored[start:stop].all():
            scorer = self.scorer
            self._scores[start:stop] = similarities(scorer.vectors[start:stop], self.vector) + scorer.bonus[start:stop]
            self._scored[start:stop] = True

    @property
    def scores(self) -> np.ndarray:
        """Every claim's score, in claim order (the values `best` ranks by)."""
        self._score_span(0, len(self._scores))
        return self._scores[self.scorer.position]

    def __call__(self, claim: Claim) -> float:
        row = self.scorer.rows.get(claim.id)
        if row is None:
            return 0.0
        vector = self.scorer.vectors[self.scorer.position[row]]
        return float(vector @ self.vector) + STRENGTH_BONUS * claim.strength

    def best(self, per_article: Mapping[str, list[Claim]], limit: int) -> list[Claim]:
        """The most relevant claim of each article, best articles first (ties keep the mapping's order)."""
        flat = self.scorer.flat(per_article)
        if len(flat.claims) < BULK_FROM or (flat.rows < 0).any():
            picks = [max(group, key=self) for group in per_article.values() if group]
            return sorted(picks, key=self, reverse=True)[:limit]
        for start, stop in flat.spans:
            self._score_span(start, stop)
        scores = self._scores[flat.positions]
        # Walking claims from the most relevant down, the first claim met of each article is that article's best,
        # and articles are met in the order of their best claims: the same picks as the per-article maximum.
        chosen = _first_articles(flat.claims, _best_first(scores, SORT_FIRST), limit)
        if len(chosen) < limit and len(flat.claims) > SORT_FIRST:
            chosen = _first_articles(flat.claims, np.argsort(-scores, kind="stable"), limit)
        return chosen


def _spans(positions: np.ndarray) -> tuple[tuple[int, int], ...]:
    """The runs of the matrix covering these positions, split where more than SPAN_GAP rows lie between two."""
    if not len(positions) or (positions < 0).any():
        return ()
    ordered = np.sort(positions)
    breaks = np.flatnonzero(np.diff(ordered) > SPAN_GAP + 1)
    starts = np.concatenate([ordered[:1], ordered[breaks + 1]])
    stops = np.concatenate([ordered[breaks], ordered[-1:]]) + 1
    return tuple((int(a), int(b)) for a, b in zip(starts, stops, strict=True))


def _best_first(scores: np.ndarray, count: int) -> np.ndarray:
    """The positions of the `count` highest scores and of every score tied with the lowest of them, in the order a
    stable sort of all of them would give (best first, ties by position): the head of that sort."""
    if len(scores) <= count:
        return np.argsort(-scores, kind="stable")
    floor = np.partition(scores, len(scores) - count)[len(scores) - count]
    head = np.flatnonzero(scores >= floor)  # increasing positions, so the stable sort keeps ties in order
    return head[np.argsort(-scores[head], kind="stable")]


def _first_articles(claims: list[Claim], order: Iterable[int], limit: int) -> list[Claim]:
    chosen: list[Claim] = []
    seen: set[str] = set()
    for position in order:
        claim = claims[int(position)]
        if claim.article_id not in seen:
            seen.add(claim.article_id)
            chosen.append(claim)
            if len(chosen) == limit:
                break
    return chosen
