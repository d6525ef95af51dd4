"""Train the claim model from labeled articles and training clauses (scikit-learn, deterministic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .claim_eval import MIN_OVERLAP, overlap_share
from .claim_model import (
    FOR_X,
    FOR_Y,
    NONE,
    ClaimModel,
    criteria_matrix,
    embedding_inputs,
    stance_matrix,
)
from .clauses import Candidate, candidates
from .corpus import Article
from .labels import LabeledArticle, TrainingClause
from .rules import Rules

Embed = Callable[[Sequence[str]], np.ndarray]
SEED = 0
THRESHOLD = 0.65


@dataclass
class Example:
    """One candidate clause with what the labels say about it."""

    candidate: Candidate
    stance: int  # NONE, FOR_X, FOR_Y
    criteria: tuple[str, ...]
    group: str  # the article it came from (cross-validation keeps a group together)


@dataclass
class Dataset:
    examples: list[Example] = field(default_factory=list)
    clause_vectors: np.ndarray | None = None
    context_vectors: np.ndarray | None = None

    def groups(self) -> list[str]:
        return [e.group for e in self.examples]


def article_examples(item: LabeledArticle, rules: Rules) -> list[Example]:
    """Every candidate of a labeled article, labeled by the label its span overlaps most (or none)."""
    out = []
    for candidate in candidates(item.article, rules):
        best, share = None, 0.0
        for label in item.clauses:
            s = overlap_share(candidate.start, candidate.end, label.start, label.end)
            if s > share:
                best, share = label, s
        if best is None or share < MIN_OVERLAP:
            out.append(Example(candidate, NONE, (), item.article.id))
        else:
            stance = FOR_X if best.side == candidate.subject else FOR_Y
            out.append(Example(candidate, stance, best.criteria, item.article.id))
    return out


def _hint_heading(entry: TrainingClause, rules: Rules) -> str:
    side = entry.subject_hint or ("node" if int(hashlib.sha256(entry.text.encode()).hexdigest(), 16) % 2 else "python")
    return rules.sides[side].label


def clause_examples(entries: Sequence[TrainingClause], rules: Rules, group_count: int = 10) -> list[Example]:
    """Training clauses as candidates. A clause that names no side is read under a heading naming its hint (or,
    for a neutral one, a side picked by its hash), as it would be met in an article."""
    out = []
    for n, entry in enumerate(entries):
        found = candidates(Article(id="training", text=entry.text), rules)
        if not found:
            heading = _hint_heading(entry, rules)
            text = f"{heading}\n\n{entry.text}"
            found = [c for c in candidates(Article(id="training", text=text), rules) if c.start > len(heading)]
        if not found or len({c.subject for c in found}) > 1:
            continue  # a clause about both sides in turn: its one label cannot say which part argues what
        group = f"clauses-{n % group_count}"
        for candidate in found:
            if entry.side == "none":
                out.append(Example(candidate, NONE, (), group))
            else:
                stance = FOR_X if entry.side == candidate.subject else FOR_Y
                out.append(Example(candidate, stance, tuple(entry.criteria), group))
    return out


def embed_dataset(examples: list[Example], embed: Embed) -> Dataset:
    clauses, contexts = embedding_inputs([e.candidate for e in examples])
    unique = sorted(set(clauses) | set(contexts))
    vectors = embed(unique) if unique else np.zeros((0, 384), dtype=np.float32)
    row = {text: n for n, text in enumerate(unique)}
    return Dataset(examples, vectors[[row[t] for t in clauses]], vectors[[row[t] for t in contexts]])


def _subset(data: Dataset, rows: np.ndarray) -> Dataset:
    assert data.clause_vectors is not None and data.context_vectors is not None
    return Dataset([data.examples[i] for i in rows], data.clause_vectors[rows], data.context_vectors[rows])


@dataclass
class TrainingSettings:
    """How the claim model is fitted and read; chosen by grouped cross-validation on the tune part only.

    On the tune articles (leave one article out): threshold 0.5 gave recall 0.61 and side precision 0.63, 0.6 gave
    0.53 and 0.68, 0.65 gave 0.49 and 0.71 (the best F0.5, and the best verdicts on the tune questions). A second
    criterion per claim never paid: at 0.6 it cost 13 points of side-and-criteria precision, so a claim credits one.
    """

    stance_c: float = 1.0
    criteria_c: float = 1.0
    threshold: float = THRESHOLD
    second_threshold: float = 1.01  # above any probability: one criterion per claim
    none_weight: float = 1.0


def fit(data: Dataset, criterion_ids: list[str], settings: TrainingSettings, meta: dict[str, Any]) -> ClaimModel:
    """Fit both logistic regressions on a dataset (deterministic: lbfgs, fixed seed)."""
    from sklearn.linear_model import LogisticRegression

    assert data.clause_vectors is not None and data.context_vectors is not None
    found = [e.candidate for e in data.examples]
    x = stance_matrix(found, data.clause_vectors, data.context_vectors)
    y = np.asarray([e.stance for e in data.examples])
    weights = np.where(y == NONE, settings.none_weight, 1.0)
    stance = LogisticRegression(C=settings.stance_c, max_iter=3000, random_state=SEED)
    stance.fit(x, y, sample_weight=weights)
    coef = np.zeros((3, x.shape[1]), dtype=np.float32)
    intercept = np.full(3, -30.0, dtype=np.float32)  # a class never seen in training is never predicted
    for k, label in enumerate(stance.classes_):
        coef[int(label)] = stance.coef_[k] if len(stance.classes_) > 2 else (stance.coef_[0] * (1 if k else -1))
        intercept[int(label)] = stance.intercept_[k] if len(stance.classes_) > 2 else (
            stance.intercept_[0] * (1 if k else -1))

    positive = [n for n, e in enumerate(data.examples) if e.stance != NONE]
    xc = criteria_matrix([found[n] for n in positive], data.clause_vectors[positive],
                         data.context_vectors[positive], criterion_ids)
    ccoef = np.zeros((len(criterion_ids), xc.shape[1]), dtype=np.float32)
    cint = np.full(len(criterion_ids), -30.0, dtype=np.float32)
    for k, cid in enumerate(criterion_ids):
        target = np.asarray([cid in data.examples[n].criteria for n in positive])
        if target.sum() == 0 or target.all():
            continue
        model = LogisticRegression(C=settings.criteria_c, max_iter=3000, random_state=SEED, class_weight="balanced")
        model.fit(xc, target)
        ccoef[k], cint[k] = model.coef_[0], model.intercept_[0]
    meta = {**meta, "threshold": settings.threshold, "second_threshold": settings.second_threshold,
            "stance_c": settings.stance_c, "criteria_c": settings.criteria_c, "none_weight": settings.none_weight}
    return ClaimModel(coef, intercept, ccoef, cint, list(criterion_ids), meta)


def data_digest(labeled: Sequence[LabeledArticle], entries: Sequence[TrainingClause]) -> str:
    """A digest of everything the model is trained on: retraining on the same data gives the same digest."""
    digest = hashlib.sha256()
    for item in sorted(labeled, key=lambda a: a.article.id):
        digest.update(item.article.text.encode())
        digest.update(json.dumps([(c.start, c.end, c.side, c.criteria) for c in item.clauses]).encode())
    for entry in entries:
        digest.update(entry.model_dump_json().encode())
    return digest.hexdigest()


def training_examples(labeled: Sequence[LabeledArticle], entries: Sequence[TrainingClause],
                      rules: Rules) -> list[Example]:
    """Examples from the tune part of the labeled articles and from every training clause (never held-out ones)."""
    out = [e for item in labeled if item.part == "tune" for e in article_examples(item, rules)]
    return out + clause_examples(entries, rules)


def train_claim_model(labeled: Sequence[LabeledArticle], entries: Sequence[TrainingClause], rules: Rules,
                      embed: Embed, settings: TrainingSettings, meta: dict[str, Any]) -> ClaimModel:
    """The claim model for these rules, trained on the tune part of `labeled` and on `entries`."""
    data = embed_dataset(training_examples(labeled, entries, rules), embed)
    criterion_ids = [c.id for c in rules.criteria]
    meta = {**meta, "data": data_digest([a for a in labeled if a.part == "tune"], entries),
            "examples": len(data.examples)}
    return fit(data, criterion_ids, settings, meta)
