"""Rank claims by how close their quote is to a question, in bulk, so answers stay fast on large libraries."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

from knowledge.claims import Claim

STRENGTH_BONUS = 0.1  # a firm claim ("is the best option") edges out a hedged one of equal similarity
BULK_FROM = 32  # below this many claims, plain Python is faster than numpy's set-up


class ClaimScorer:
    """The claims of one loaded index and their quote vectors; makes a `QuestionRank` per question."""

    def __init__(self, claims: Sequence[Claim], vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.claims = list(claims)
        self.rows = {c.id: n for n, c in enumerate(claims)}
        self.bonus = np.asarray([STRENGTH_BONUS * c.strength for c in claims], dtype=np.float32)
        # Flattened claim lists by the identity of the per-article mapping they came from: those mappings live as
        # long as the loaded index (see scoring.ClaimIndex), so each is flattened once, not once per question.
        self._flat: dict[int, tuple[Mapping[str, list[Claim]], list[Claim], np.ndarray]] = {}
        self._lock = threading.Lock()

    def flat(self, per_article: Mapping[str, list[Claim]]) -> tuple[list[Claim], np.ndarray]:
        found = self._flat.get(id(per_article))
        if found is None or found[0] is not per_article:
            claims = [c for group in per_article.values() for c in group]
            rows = np.asarray([self.rows.get(c.id, -1) for c in claims], dtype=np.int64)
            found = (per_article, claims, rows)
            with self._lock:
                if len(self._flat) > 4096:  # bounded: mappings built per question must not pile up
                    self._flat.clear()
                self._flat[id(per_article)] = found
        return found[1], found[2]

    def for_question(self, vector: np.ndarray) -> QuestionRank:
        return QuestionRank(self, np.asarray(vector, dtype=np.float32))


class QuestionRank:
    """Claim relevance to one question: similarity of the quote's vector plus a small bonus for firm claims."""

    def __init__(self, scorer: ClaimScorer, vector: np.ndarray) -> None:
        self.scorer = scorer
        self.vector = vector
        self._scores: np.ndarray | None = None

    @property
    def scores(self) -> np.ndarray:
        if self._scores is None:
            # One matrix-vector product for every claim (a few ms at 40,000 claims) beats a dot product per claim.
            self._scores = self.scorer.vectors @ self.vector + self.scorer.bonus
        return self._scores

    def __call__(self, claim: Claim) -> float:
        row = self.scorer.rows.get(claim.id)
        if row is None:
            return 0.0
        return float(self.scorer.vectors[row] @ self.vector) + STRENGTH_BONUS * claim.strength

    def best(self, per_article: Mapping[str, list[Claim]], limit: int) -> list[Claim]:
        """The most relevant claim of each article, best articles first (ties keep the mapping's order)."""
        claims, rows = self.scorer.flat(per_article)
        if len(claims) < BULK_FROM or (rows < 0).any():
            picks = [max(group, key=self) for group in per_article.values() if group]
            return sorted(picks, key=self, reverse=True)[:limit]
        order = np.argsort(-self.scores[rows], kind="stable")
        chosen: list[Claim] = []
        seen: set[str] = set()
        # Walking claims from the most relevant down, the first claim met of each article is that article's best,
        # and articles are met in the order of their best claims: the same picks as the per-article maximum.
        for position in order:
            claim = claims[int(position)]
            if claim.article_id not in seen:
                seen.add(claim.article_id)
                chosen.append(claim)
                if len(chosen) == limit:
                    break
        return chosen
