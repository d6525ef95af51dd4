"""Articles to claims: which side a clause favours, for which criteria, with its exact span.

The rules read what their cues reach; a learned model (`claim_model.ClaimModel`), when given, reads every
candidate clause and decides with the rules' reading as one of its inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from .clauses import Candidate, candidates
from .corpus import Article
from .cues import OTHER, side_mentions
from .rules import Rules, SideId

if TYPE_CHECKING:
    from .claim_model import ClaimModel

HEDGED_STRENGTH = 0.7
Embed = Callable[[Sequence[str]], np.ndarray]

__all__ = ["Claim", "Embed", "extract_claims", "extract_many", "rule_claims", "side_mentions"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A clause of an article that favours one side for one or more criteria."""

    id: str
    article_id: str
    start: int  # the clause: article.text[start:end]
    end: int
    quote_start: int  # the passage quoted to users: the whole sentence, or the clause when the sentence is long
    quote_end: int
    text: str
    favors: SideId
    subject: SideId
    polarity: int  # +1: the statement speaks for its subject, -1: against it
    criteria: tuple[str, ...]
    strength: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies every field, which costs seconds per 40,000 claims.
        data = {name: getattr(self, name) for name in _CLAIM_FIELDS}
        data["criteria"] = list(self.criteria)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        return cls(**{**data, "criteria": tuple(data["criteria"])})


_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))
# Subjects the rules trust on their own: named, compared or referred to. A side known only from a heading or a
# lead-in is trusted for fragments (bullets, table cells) that have no subject of their own.
_RULE_SOURCES = {"named", "compared", "inherited", "pronoun"}
_FRAGMENT_SOURCES = {"column", "lead_in", "heading", "previous", "title"}


def _claim_id(article_id: str, start: int, end: int, text: str) -> str:
    digest = hashlib.sha1(f"{start}:{end}:{text}".encode()).hexdigest()[:10]
    return f"{article_id}:c{digest}"


def make_claim(article: Article, candidate: Candidate, favors: SideId, criteria: tuple[str, ...],
               strength: float) -> Claim:
    return Claim(
        id=_claim_id(article.id, candidate.start, candidate.end, candidate.text),
        article_id=article.id,
        start=candidate.start,
        end=candidate.end,
        quote_start=candidate.quote_start,
        quote_end=candidate.quote_end,
        text=candidate.text,
        favors=favors,
        subject=candidate.subject,
        polarity=1 if favors == candidate.subject else -1,
        criteria=criteria,
        strength=strength,
    )


def is_question(candidate: Candidate) -> bool:
    """A clause that asks ("Is Python faster than Node.js?", an FAQ's heading) states nothing a reason could cite."""
    return candidate.text.rstrip(" \t*_\"'”)").endswith("?")


def rule_side(candidate: Candidate) -> SideId | None:
    """The side the rules read a candidate as favouring (a cue, a Pros/Cons heading), whatever it is about."""
    if is_question(candidate):
        return None
    trusted = candidate.source in _RULE_SOURCES or (
        candidate.source in _FRAGMENT_SOURCES and candidate.kind in ("bullet", "cell")
    )
    polarity = candidate.rule_polarity or candidate.context_polarity
    if not trusted or polarity == 0:
        return None
    return candidate.subject if polarity > 0 else OTHER[candidate.subject]


def rule_reading(candidate: Candidate, rules: Rules) -> tuple[SideId, tuple[str, ...]] | None:
    """What the rules alone make of a candidate: (side favoured, criteria), or None when they see no claim."""
    favors = rule_side(candidate)
    if favors is None:
        return None
    criteria = tuple(
        c for c in candidate.rule_criteria
        if not rules.criterion(c).favors_only or rules.criterion(c).favors_only == favors
    )
    return (favors, criteria) if criteria else None


def rule_claims(article: Article, rules: Rules, found: list[Candidate] | None = None) -> list[Claim]:
    """Claims the rules find on their own: a cue (or a Pros/Cons heading) and an evidence phrase."""
    out = []
    for candidate in found if found is not None else candidates(article, rules):
        reading = rule_reading(candidate, rules)
        if reading:
            strength = HEDGED_STRENGTH if candidate.hedged else 1.0
            out.append(make_claim(article, candidate, reading[0], reading[1], strength))
    return out


def extract_claims(article: Article, rules: Rules, model: ClaimModel | None = None,
                   embed: Embed | None = None) -> list[Claim]:
    """Every clause of the article that favours one side for at least one criterion.

    Without a model (or without an embedder to feed it) only the rules decide; with both, the model reads every
    candidate clause, the rules' reading among its inputs.
    """
    return extract_many([article], rules, model, embed)


def extract_many(articles: Sequence[Article], rules: Rules, model: ClaimModel | None = None,
                 embed: Embed | None = None) -> list[Claim]:
    """The claims of many articles, in order; with a model, every candidate clause is embedded in one call."""
    found = [(article, candidates(article, rules)) for article in articles]
    if model is None or embed is None:
        return [claim for article, cands in found for claim in rule_claims(article, rules, cands)]
    from .claim_model import embedding_inputs

    texts = sorted({t for _, cands in found for part in embedding_inputs(cands) for t in part})
    vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    row = {text: n for n, text in enumerate(texts)}
    out: list[Claim] = []
    for article, cands in found:
        clauses, contexts = embedding_inputs(cands)
        out += model.claims_from_vectors(article, cands, rules, vectors[[row[t] for t in clauses]],
                                         vectors[[row[t] for t in contexts]])
    return out
