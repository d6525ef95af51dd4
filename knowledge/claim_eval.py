"""Score extracted claims against labeled clauses: recall, side precision and side-plus-criteria precision."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .claims import Claim
from .corpus import Article
from .labels import LabeledArticle, LabeledClause

# An article whose weaker side weighs at least this share of its stronger side on a criterion argues both ways (the
# engine's scoring uses the same share, so the stance measured here is the one answers are built from).
MIXED_SHARE = 0.6
# A claim and a label are the same statement when their spans overlap by this share of the shorter one: clause
# boundaries differ by a few words between a labeler and the extractor, two neighbouring clauses barely touch.
MIN_OVERLAP = 0.4

Extractor = Callable[[Article], list[Claim]]


def overlap_share(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    shared = min(a_end, b_end) - max(a_start, b_start)
    shortest = min(a_end - a_start, b_end - b_start)
    return shared / shortest if shared > 0 and shortest > 0 else 0.0


def _best_label(claim: Claim, labels: Iterable[LabeledClause]) -> LabeledClause | None:
    best, best_share = None, 0.0
    for label in labels:
        share = overlap_share(claim.start, claim.end, label.start, label.end)
        # Between two overlapping labels, prefer the one on the claim's side: a clause split differently still
        # says what the label on its side says.
        if share >= MIN_OVERLAP and (share, label.side == claim.favors) > (best_share, best is not None and
                                                                            best.side == claim.favors):
            best, best_share = label, share
    return best


def _share(part: int, whole: int) -> float:
    """A ratio whose empty case is perfect: nothing to find, nothing claimed wrongly."""
    return part / whole if whole else 1.0


@dataclass
class ArticleScore:
    """One article's counts."""

    article_id: str
    origin: str
    part: str
    style: str
    labels: int = 0
    found: int = 0  # labels matched by a claim on the right side
    claims: int = 0
    side_right: int = 0  # claims matching a label with the same side
    criteria_right: int = 0  # ...whose criteria are all among the label's
    characters: int = 0
    stances: int = 0  # (criterion) stances the labels give the article: the side its labels on it favour
    stances_found: int = 0  # ...that the claims give it too, on the same side
    stances_claimed: int = 0  # (criterion) stances the claims give the article
    stances_right: int = 0  # ...that the labels give it too, on the same side
    missed: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # (text, side, criteria)
    wrong: list[tuple[str, str, tuple[str, ...], str]] = field(default_factory=list)  # (text, favors, crit, why)

    def add(self, other: ArticleScore) -> None:
        for name in ("labels", "found", "claims", "side_right", "criteria_right", "characters", "stances",
                     "stances_found", "stances_claimed", "stances_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return _share(self.found, self.labels)

    @property
    def side_precision(self) -> float:
        return _share(self.side_right, self.claims)

    @property
    def criteria_precision(self) -> float:
        return _share(self.criteria_right, self.claims)

    @property
    def stance_recall(self) -> float:
        return _share(self.stances_found, self.stances)

    @property
    def stance_precision(self) -> float:
        return _share(self.stances_right, self.stances_claimed)

    @property
    def claims_per_1000(self) -> float:
        return 1000 * self.claims / self.characters if self.characters else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "recall": round(self.recall, 4),
            "side_precision": round(self.side_precision, 4),
            "criteria_precision": round(self.criteria_precision, 4),
            "claims_per_1000_chars": round(self.claims_per_1000, 2),
            "stance_recall": round(self.stance_recall, 4),
            "stance_precision": round(self.stance_precision, 4),
        }


def net_stances(votes: Iterable[tuple[str, tuple[str, ...], float]]) -> dict[str, str]:
    """Each criterion's side in one article from (side, criteria, weight) votes: the side that outweighs the other,
    or "mixed" when the weaker side weighs at least MIXED_SHARE of the stronger."""
    weight: dict[str, dict[str, float]] = {}
    for side, criteria, strength in votes:
        for criterion in criteria:
            weight.setdefault(criterion, {"node": 0.0, "python": 0.0})[side] += strength
    out = {}
    for criterion, sides in weight.items():
        strong, weak = max(sides.values()), min(sides.values())
        out[criterion] = "mixed" if weak >= MIXED_SHARE * strong else max(sides, key=lambda k: sides[k])
    return out


def score_article(labeled: LabeledArticle, claims: list[Claim]) -> ArticleScore:
    """Match one article's claims to its labels."""
    text = labeled.article.text
    score = ArticleScore(labeled.article.id, labeled.origin, labeled.part, labeled.style,
                         labels=len(labeled.clauses), claims=len(claims), characters=len(text))
    for claim in claims:
        label = _best_label(claim, labeled.clauses)
        if label is None:
            score.wrong.append((claim.text, claim.favors, claim.criteria, "no label"))
        elif label.side != claim.favors:
            score.wrong.append((claim.text, claim.favors, claim.criteria, f"label favours {label.side}"))
        else:
            score.side_right += 1
            if set(claim.criteria) <= set(label.criteria):
                score.criteria_right += 1
            else:
                score.wrong.append((claim.text, claim.favors, claim.criteria,
                                    f"label criteria {', '.join(label.criteria)}"))
    for label in labeled.clauses:
        hit = any(
            claim.favors == label.side
            and overlap_share(claim.start, claim.end, label.start, label.end) >= MIN_OVERLAP
            for claim in claims
        )
        if hit:
            score.found += 1
        else:
            score.missed.append((text[label.start : label.end], label.side, label.criteria))
    # What answers are built from: each article's side on each criterion. A label's criteria all count (a claim
    # credits one), so the claims find a stance the labels give when any of their criteria carries it.
    gold = {c: s for c, s in net_stances((lab.side, lab.criteria, 1.0) for lab in labeled.clauses).items()
            if s != "mixed"}
    found = {c: s for c, s in net_stances((c.favors, c.criteria, c.strength) for c in claims).items() if s != "mixed"}
    score.stances, score.stances_claimed = len(gold), len(found)
    score.stances_found = sum(found.get(c) == s for c, s in gold.items())
    score.stances_right = sum(gold.get(c) == s for c, s in found.items())
    return score


@dataclass
class ClaimReport:
    """Per-article scores and totals by part of the split and by origin."""

    articles: list[ArticleScore]

    def total(self, part: str | None = None, origin: str | None = None) -> ArticleScore:
        total = ArticleScore("total", origin or "all", part or "all", "")
        for score in self.articles:
            if (part is None or score.part == part) and (origin is None or score.origin == origin):
                total.add(score)
        return total

    def totals(self) -> dict[str, dict[str, float]]:
        return {
            "tune": self.total("tune").figures(),
            "held_out": self.total("held_out").figures(),
            "seeds": self.total(origin="seed").figures(),
        }


def annotator_agreement(pairs: Iterable[tuple[LabeledArticle, tuple[LabeledClause, ...]]]) -> ArticleScore:
    """A second annotator's labels scored as if they were an extractor's claims (each crediting its main criterion,
    as a claim does): the figures a reader as careful as a person would reach."""
    total = ArticleScore("second annotator", "own", "reference", "")
    for item, second in pairs:
        text = item.article.text
        claims = [Claim(f"{item.article.id}:a{n}", item.article.id, c.start, c.end, c.start, c.end,
                        text[c.start : c.end], c.side, c.side, 1, c.criteria[:1]) for n, c in enumerate(second)]
        total.add(score_article(item, claims))
    return total


def evaluate_claims(labeled: list[LabeledArticle], extract: Extractor) -> ClaimReport:
    """Run the extractor over every labeled article and score it."""
    return ClaimReport([score_article(item, extract(item.article)) for item in labeled])
