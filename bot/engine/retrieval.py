"""Which criteria a question turns on, from the library's claims nearest to it (for topics no keyword names)."""

from __future__ import annotations

import numpy as np

from knowledge.rules import Rules

from .ranking import ClaimScorer

# A claim this close to the question speaks to its topic (cosine of MiniLM vectors; chosen on the tune part of the
# question bank): "web scraper" lands near what the articles say about scripting and libraries.
RETRIEVAL_FLOOR = 0.5
RETRIEVAL_FULL = 0.75  # similarity that counts as full relevance
RETRIEVAL_CEILING = 0.55  # retrieved evidence never counts as much as a criterion the question names
RETRIEVAL_TOP = 8


def retrieved_relevance(scorer: ClaimScorer, vector: np.ndarray, rules: Rules) -> dict[str, float]:
    """Relevance of each criterion credited by the claims nearest the question (traits are never guessed)."""
    if not len(scorer.vectors):
        return {}
    similarity = scorer.similarity(vector)
    top = np.argpartition(-similarity, min(RETRIEVAL_TOP, len(similarity) - 1))[:RETRIEVAL_TOP]
    traits = {c.id for c in rules.criteria if c.trait}
    found: dict[str, float] = {}
    for row in top:
        sim = float(similarity[row])
        if sim < RETRIEVAL_FLOOR:
            continue
        share = min(1.0, (sim - RETRIEVAL_FLOOR) / (RETRIEVAL_FULL - RETRIEVAL_FLOOR))
        relevance = round(RETRIEVAL_CEILING * (0.5 + 0.5 * share), 3)
        for criterion_id in scorer.claims[int(row)].criteria:
            if criterion_id not in traits:
                found[criterion_id] = max(found.get(criterion_id, 0.0), relevance)
    return found
