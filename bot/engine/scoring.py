"""Weigh claims per criterion (each article counted once) and turn the weighted sum into a verdict."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from knowledge.claims import Claim
from knowledge.rules import Criterion, Rules

from ..answer import VERDICT_WORDS, lower_label

SIGN = {"node": 1.0, "python": -1.0}


@dataclass
class Stances:
    """How the articles addressing one criterion lean; worked out once per loaded index, shared by every question."""

    node: dict[str, list[Claim]] = field(default_factory=dict)
    python: dict[str, list[Claim]] = field(default_factory=dict)
    mixed: dict[str, list[Claim]] = field(default_factory=dict)  # articles arguing both ways equally
    _sides: dict[str, dict[str, list[Claim]]] = field(default_factory=dict, repr=False)
    _co_counts: dict[str, int] | None = field(default=None, repr=False)
    _both_ways: dict[str, int] = field(default_factory=dict, repr=False)
    _taking_sides: frozenset[str] | None = field(default=None, repr=False)
    # `taking_sides` as bits of its ClaimIndex's article numbering (set there): a union of criteria is an OR.
    article_bits: int | None = field(default=None, repr=False)

    def side(self, side: str) -> dict[str, list[Claim]]:
        """Articles and their claims for one side, including articles that argue both ways."""
        if side not in self._sides:
            mine = self.node if side == "node" else self.python
            mixed = {a: [c for c in claims if c.favors == side] for a, claims in self.mixed.items()}
            self._sides[side] = {**mine, **{a: c for a, c in mixed.items() if c}}
        return self._sides[side]

    def both_ways(self, side: str) -> int:
        """How many of the articles backing one side (see `side`) also argue the other way."""
        if side not in self._both_ways:
            self._both_ways[side] = len(self.side(side).keys() & self.mixed.keys())
        return self._both_ways[side]

    def taking_sides(self) -> frozenset[str]:
        """The articles that take a side on this criterion (not those arguing both ways)."""
        if self._taking_sides is None:
            self._taking_sides = frozenset(self.node) | frozenset(self.python)
        return self._taking_sides

    def co_counts(self) -> dict[str, int]:
        """How often this criterion's side-taking claims also credit each other criterion."""
        if self._co_counts is None:
            counts: dict[str, int] = defaultdict(int)
            for claims in (*self.node.values(), *self.python.values()):
                for claim in claims:
                    for other in claim.criteria:
                        counts[other] += 1
            self._co_counts = dict(counts)
        return self._co_counts


# An article whose weaker side weighs at least this share of its stronger side argues both ways: claims carry the
# extractor's confidence as their strength, so two opposite claims rarely weigh exactly the same.
MIXED_SHARE = 0.6


def article_stances(claims: Iterable[Claim]) -> Stances:
    """Each article's net stance on the criterion counts once, however often the article repeats itself."""
    stances = Stances()
    weight: dict[str, dict[str, float]] = defaultdict(lambda: {"node": 0.0, "python": 0.0})
    by_article: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        weight[claim.article_id][claim.favors] += claim.strength
        by_article[claim.article_id].append(claim)
    for article_id, sides in weight.items():
        node, python = sides["node"], sides["python"]
        if min(node, python) >= MIXED_SHARE * max(node, python):
            stances.mixed[article_id] = by_article[article_id]
        elif node > python:
            stances.node[article_id] = [c for c in by_article[article_id] if c.favors == "node"]
        else:
            stances.python[article_id] = [c for c in by_article[article_id] if c.favors == "python"]
    return stances


class ClaimIndex(dict[str, list[Claim]]):
    """Claims by criterion id, with each criterion's stances worked out on first use and kept.

    At 10,000 articles a criterion has thousands of claims; regrouping them for every question (and for every
    what-if of an assessment) would cost more than everything else an answer does.
    """

    def __init__(self, grouped: Mapping[str, list[Claim]] | None = None) -> None:
        super().__init__(grouped or {})
        self._stances: dict[str, Stances] = {}
        self._numbers: dict[str, int] = {}  # article id -> its bit in every Stances.article_bits of this index
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Work out every criterion's stances now: a serving process pays once at start, not on live questions."""
        for criterion_id in list(self):
            self.stances(criterion_id)

    def stances(self, criterion_id: str) -> Stances:
        found = self._stances.get(criterion_id)
        if found is None:
            with self._lock:
                found = self._stances.get(criterion_id)
                if found is None:
                    found = article_stances(self.get(criterion_id, []))
                    # Fill every cache before sharing: at 10,000 articles each costs a live question milliseconds.
                    found.side("node"), found.side("python"), found.co_counts(), found.taking_sides()
                    found.both_ways("node"), found.both_ways("python")
                    found.article_bits = self._bits(found.taking_sides())
                    self._stances[criterion_id] = found
        return found

    def _bits(self, articles: Iterable[str]) -> int:
        positions = [self._numbers.setdefault(article, len(self._numbers)) for article in articles]
        marks = np.zeros(len(self._numbers), dtype=bool)
        marks[positions] = True
        return int.from_bytes(np.packbits(marks, bitorder="little").tobytes(), "little")


def deciding_articles(stances: Iterable[Stances]) -> int:
    """How many distinct articles take a side on any of these criteria.

    At 10,000 articles a union of a few criteria's article sets took milliseconds under load; with bits from one
    ClaimIndex it is an OR of a few kilobyte-long integers.
    """
    group = list(stances)
    bits = [s.article_bits for s in group]
    if all(b is not None for b in bits):
        union = 0
        for b in bits:
            union |= b or 0
        return union.bit_count()
    return len(frozenset().union(*(s.taking_sides() for s in group)))


def stances_for(claims_by_criterion: Mapping[str, list[Claim]], criterion_id: str) -> Stances:
    if isinstance(claims_by_criterion, ClaimIndex):
        return claims_by_criterion.stances(criterion_id)
    return article_stances(claims_by_criterion.get(criterion_id, []))


@dataclass
class CriterionResult:
    """The evidence on one criterion and what it adds to the verdict."""

    criterion: Criterion
    relevance: float
    weight: float
    stances: Stances = field(default_factory=Stances)

    @property
    def node_articles(self) -> dict[str, list[Claim]]:
        return self.stances.node

    @property
    def python_articles(self) -> dict[str, list[Claim]]:
        return self.stances.python

    @property
    def mixed_articles(self) -> dict[str, list[Claim]]:
        """Articles arguing both ways equally."""
        return self.stances.mixed

    @property
    def support(self) -> int:
        """Independent articles taking a side on this criterion."""
        return len(self.node_articles) + len(self.python_articles)

    @property
    def score(self) -> float:
        """+1 when every article favours Node.js, -1 when every one favours Python."""
        if not self.support:
            return 0.0
        return (len(self.node_articles) - len(self.python_articles)) / self.support

    @property
    def evidence(self) -> float:
        """Grows with independent articles: 0.5 for one, 0.75 for two, 0.875 for three...

        A criterion that can only favour one side (what the team knows) is the exception: its direction is not in
        question, so more articles saying it confirm nothing; one article saying it matters is the whole evidence.
        """
        if self.criterion.favors_only and self.support:
            return 1.0
        return 1.0 - 0.5**self.support

    @property
    def contribution(self) -> float:
        return self.relevance * self.weight * self.score * self.evidence

    @property
    def favors(self) -> str | None:
        return "node" if self.score > 0 else "python" if self.score < 0 else None

    @property
    def disputed(self) -> bool:
        return (bool(self.node_articles) and bool(self.python_articles)) or bool(self.mixed_articles)

    def side_claims(self, side: str) -> dict[str, list[Claim]]:
        """Articles and their claims for one side, including articles that argue both ways."""
        return self.stances.side(side)


@dataclass
class Outcome:
    """The verdict and the numbers behind it."""

    verdict: str
    confidence: float
    margin: float
    node_total: float
    python_total: float
    results: list[CriterionResult]  # applicable criteria, strongest contribution first


def group_claims(claims: Iterable[Claim]) -> ClaimIndex:
    """Claims by criterion id."""
    grouped: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        for criterion_id in claim.criteria:
            grouped[criterion_id].append(claim)
    return ClaimIndex(grouped)


def _result(criterion: Criterion, relevance: float, weight: float,
            claims_by_criterion: Mapping[str, list[Claim]]) -> CriterionResult:
    return CriterionResult(criterion, relevance, weight, stances_for(claims_by_criterion, criterion.id))


# A workload that makes a `both` verdict has at least two articles behind its side: one article's word is too thin
# to split a system over.
BOTH_MIN_ARTICLES = 2


def decide(
    rules: Rules,
    relevance: Mapping[str, float],
    claims_by_criterion: Mapping[str, list[Claim]],
    weights: Mapping[str, float] | None = None,
) -> Outcome:
    """Score every applicable criterion and pick node, python, both or depends."""
    t = rules.thresholds
    weights = weights or {}
    results = [
        _result(c, relevance.get(c.id, 0.0), weights.get(c.id, c.weight), claims_by_criterion)
        for c in rules.criteria
        if relevance.get(c.id, 0.0) >= t.min_relevance
    ]
    results = [r for r in results if r.support or r.mixed_articles]
    results.sort(key=lambda r: -abs(r.contribution))
    node_total = sum(r.contribution for r in results if r.contribution > 0)
    python_total = -sum(r.contribution for r in results if r.contribution < 0)
    total = node_total + python_total
    widest = max((r.support for r in results), default=0)
    # Counting distinct articles over every criterion costs milliseconds at 10,000 articles; past 64 the breadth
    # factor below is 1.0 to double precision, so the widest criterion's count is enough there.
    articles = widest if widest >= 64 else len({a for r in results for a in (*r.node_articles, *r.python_articles)})
    if total <= 0 or articles < t.min_articles:
        return Outcome("depends", 0.0, 0.0, node_total, python_total, results)
    margin = (node_total - python_total) / total
    breadth = 1.0 - 0.6**articles
    strong = {
        side: [
            r for r in results
            if r.favors == side and r.criterion.workload and r.relevance >= t.both_min_relevance
            and abs(r.score) >= 0.5 and r.support >= BOTH_MIN_ARTICLES
        ]
        for side in ("node", "python")
    }
    share = min(node_total, python_total) / max(node_total, python_total)
    if strong["node"] and strong["python"] and share >= t.both_min_share:
        verdict, confidence = "both", share * breadth
    elif abs(margin) >= t.decisive_margin:
        verdict, confidence = ("node" if margin > 0 else "python"), abs(margin) * breadth
    else:
        verdict, confidence = "depends", (1.0 - abs(margin)) * 0.5 * breadth
    return Outcome(verdict, round(min(1.0, confidence), 2), round(margin, 3), node_total, python_total, results)


def related_results(
    rules: Rules, outcome: Outcome, claims_by_criterion: Mapping[str, list[Claim]], limit: int = 2
) -> list[CriterionResult]:
    """Criteria that did not apply but that the applicable criteria's evidence also credits, most often first.

    "Node.js is ideal for chat thanks to non-blocking I/O" is evidence on real-time and on I/O: the second is a
    related reason for a chat question. Scored at zero relevance, so they never move the verdict.
    """
    applied = {r.criterion.id for r in outcome.results}
    counts: dict[str, int] = defaultdict(int)
    for result in outcome.results:
        for other, n in result.stances.co_counts().items():
            if other not in applied:
                counts[other] += n
    ranked = sorted(counts, key=lambda cid: (-counts[cid], cid))[:limit]
    return [_result(rules.criterion(cid), 0.0, rules.criterion(cid).weight, claims_by_criterion) for cid in ranked]


@dataclass
class Flip:
    """The smallest change found that changes the verdict."""

    description: str
    verdict: str


def find_flip(
    rules: Rules,
    relevance: Mapping[str, float],
    claims_by_criterion: Mapping[str, list[Claim]],
    current: Outcome,
) -> Flip | None:
    """Try project traits first (most actionable), then ever larger changes to one criterion's weight."""
    min_rel = rules.thresholds.min_relevance
    for criterion in rules.criteria:
        if criterion.trait and relevance.get(criterion.id, 0.0) < min_rel:
            changed = decide(rules, {**relevance, criterion.id: 1.0}, claims_by_criterion)
            if changed.verdict != current.verdict:
                return Flip(f"if {criterion.trait}, the verdict becomes {VERDICT_WORDS[changed.verdict].name}",
                            changed.verdict)
    for factor in (0.75, 1.5, 0.5, 2.0, 0.25, 3.0, 0.0, 5.0):
        for result in current.results:
            weight = result.criterion.weight * factor
            changed = decide(rules, relevance, claims_by_criterion, {result.criterion.id: weight})
            if changed.verdict != current.verdict:
                action = "dropping" if factor == 0 else "raising" if factor > 1 else "lowering"
                detail = "" if factor == 0 else f" from {result.criterion.weight:g} to {weight:g}"
                return Flip(
                    f"{action} the weight of {lower_label(result.criterion.label)}{detail} makes the verdict "
                    f"{VERDICT_WORDS[changed.verdict].name}",
                    changed.verdict,
                )
    return None
