"""The learned claim model: stance and criteria of a candidate clause from its embedding and the rules' reading.

Trained by `knowledge.training` (scikit-learn, at build time) and stored as plain arrays in one `.npz` file, so
reading it needs only numpy: answering and adding an article work without torch or scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .clauses import SOURCES, Candidate
from .corpus import Article
from .cues import OTHER, sentiment
from .rules import Rules, SideId

if TYPE_CHECKING:
    from .claims import Claim

FORMAT = 1
KINDS = ("sentence", "heading", "bullet", "cell", "lead_in")
NONE, FOR_X, FOR_Y = 0, 1, 2
SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "claims.npz"
# The criteria model's probability at which a table cell the rules read a direction in ("Yes", "No") but no evidence
# phrase is credited to the criterion its row means. On the tune articles 0.7 added claims at the precision the
# rest have; reading bullets and sentences the same way cost two points of side precision for half a point of recall.
MEANING_FLOOR = 0.7
RULE_STRENGTH = 0.8  # a claim only the rules found weighs a little less than one the model is sure of
# A clause with this many commas and evidence of two criteria or more lists uses ("X serves web apps, automation,
# data analysis and more"); each listed use the criteria model finds at least ENUMERATION_FLOOR likely counts. On the
# tune articles: per-criterion stance recall 52.3% -> 55.1% at the same precision, claim criteria precision 75.1% ->
# 73.1%, and five more right verdicts on the tune questions. Two commas bought recall with precision, four the
# reverse; no floor was a little worse on both.
ENUMERATION_COMMAS = 3
ENUMERATION_FLOOR = 0.2
# How predictions become claims, beside the model's arrays: part of the fingerprint, so that an index whose claims
# were read another way is re-extracted rather than reused.
READING = "uses-listed-1"


class ModelError(ValueError):
    """A claim model file that cannot be used with these rules or this embedder."""


def _one_hot(value: object, choices: Sequence[object]) -> list[float]:
    return [1.0 if value == choice else 0.0 for choice in choices]


def clause_features(candidate: Candidate) -> list[float]:
    """What the rules and a general sentiment lexicon (VADER) read in a clause, as numbers."""
    feeling = sentiment(candidate.masked)
    words = len(candidate.text.split())
    return [
        *_one_hot(candidate.rule_polarity, (-1, 0, 1)),
        float(candidate.rule_direction != 0),
        *_one_hot(candidate.context_polarity, (-1, 1)),
        feeling["compound"],
        feeling["pos"],
        feeling["neg"],
        *_one_hot(candidate.kind, KINDS),
        *_one_hot(candidate.source, SOURCES),
        float(candidate.other_named),
        float(candidate.text.rstrip().endswith("?")),
        float(candidate.hedged),
        float(candidate.single_clause),
        float(np.log1p(words) / 4.0),
    ]


N_CLAUSE_FEATURES = 3 + 1 + 2 + 3 + len(KINDS) + len(SOURCES) + 5


def embedding_inputs(found: Sequence[Candidate]) -> tuple[list[str], list[str]]:
    """The texts a model reads: each candidate's masked clause, and its masked context (heading or table row)."""
    return [c.masked for c in found], [c.context or "" for c in found]


@dataclass(frozen=True)
class Prediction:
    """The model's reading of one candidate."""

    favors: SideId | None
    confidence: float  # probability of the side favoured
    criteria: tuple[str, ...]
    against: SideId | None = None  # the side the model leans to when below its threshold
    # The criterion the clause's meaning is closest to for each side, with its probability: what a clause the rules
    # read a direction in ("Yes" in a table row) is about when no evidence phrase says.
    meaning: dict[SideId, tuple[str, float]] = field(default_factory=dict)


def stance_matrix(found: Sequence[Candidate], clause_vectors: np.ndarray, context_vectors: np.ndarray) -> np.ndarray:
    # The heading adds nothing to stance that its Pros/Cons cue doesn't (cross-validated): clause and cues only.
    extra = np.asarray([clause_features(c) for c in found], dtype=np.float32).reshape(len(found), N_CLAUSE_FEATURES)
    return np.hstack([clause_vectors, extra]).astype(np.float32)


def criteria_matrix(found: Sequence[Candidate], clause_vectors: np.ndarray, context_vectors: np.ndarray,
                    criterion_ids: Sequence[str]) -> np.ndarray:
    hits = np.asarray([[1.0 if cid in c.rule_criteria else 0.0 for cid in criterion_ids] for c in found],
                      dtype=np.float32).reshape(len(found), len(criterion_ids))
    return np.hstack([clause_vectors, context_vectors, hits]).astype(np.float32)


def enumerates(candidate: Candidate) -> bool:
    """A clause listing several uses, at least two of them evidence of a criterion."""
    return candidate.text.count(",") >= ENUMERATION_COMMAS and len(candidate.rule_criteria) >= 2


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _ranked(scores: np.ndarray, criterion_ids: Sequence[str], only: Sequence[SideId | None],
            side: SideId) -> list[tuple[float, str]]:
    """One clause's criteria that can favour `side`, as (probability, id), most probable first."""
    fitting = ((float(scores[k]), cid) for k, cid in enumerate(criterion_ids) if only[k] is None or only[k] == side)
    return sorted(fitting, reverse=True)


@dataclass
class ClaimModel:
    """Multinomial stance (none / for X / for Y) and one-vs-rest criteria, both logistic regressions."""

    stance_coef: np.ndarray  # (3, features)
    stance_intercept: np.ndarray  # (3,)
    criteria_coef: np.ndarray  # (criteria, features)
    criteria_intercept: np.ndarray  # (criteria,)
    criterion_ids: list[str]
    meta: dict[str, Any]  # thresholds, embedding model, training data digest, format

    @property
    def threshold(self) -> float:
        return float(self.meta.get("threshold", 0.5))

    @property
    def second_threshold(self) -> float:
        return float(self.meta.get("second_threshold", 0.6))

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for array in (self.stance_coef, self.stance_intercept, self.criteria_coef, self.criteria_intercept):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        digest.update(json.dumps({"ids": self.criterion_ids, "meta": self.meta, "reading": READING},
                                 sort_keys=True).encode())
        return digest.hexdigest()

    def check(self, rules: Rules) -> None:
        """Refuse a model trained for other criteria than these rules have, or for other features than these."""
        dimension = int(self.meta.get("dimension", self.stance_coef.shape[1] - N_CLAUSE_FEATURES))
        if (self.stance_coef.shape[1] != dimension + N_CLAUSE_FEATURES
                or self.criteria_coef.shape[1] != 2 * dimension + len(self.criterion_ids)):
            raise ModelError("the claim model was trained on other features than this version of stackpick reads; "
                             "retrain it with `stackpick train`")
        ids = {r.id for r in rules.criteria}
        unknown = [c for c in self.criterion_ids if c not in ids] + [c for c in ids if c not in self.criterion_ids]
        if unknown:
            raise ModelError(f"the claim model and the rules differ on criteria {', '.join(sorted(unknown))}; "
                             "retrain it with `stackpick train`")

    def stance(self, x: np.ndarray) -> np.ndarray:
        return _softmax(x @ self.stance_coef.T + self.stance_intercept)

    def criteria_scores(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(x @ self.criteria_coef.T + self.criteria_intercept)

    def predict(self, found: Sequence[Candidate], clause_vectors: np.ndarray, context_vectors: np.ndarray,
                rules: Rules) -> list[Prediction]:
        if not found:
            return []
        stance = self.stance(stance_matrix(found, clause_vectors, context_vectors))
        scores = self.criteria_scores(criteria_matrix(found, clause_vectors, context_vectors, self.criterion_ids))
        only = [rules.criterion(c).favors_only if c in {r.id for r in rules.criteria} else None
                for c in self.criterion_ids]
        out = []
        for n, candidate in enumerate(found):
            side_of = {FOR_X: candidate.subject, FOR_Y: OTHER[candidate.subject]}
            best = FOR_X if stance[n, FOR_X] >= stance[n, FOR_Y] else FOR_Y
            confidence = float(stance[n, best])
            # Only a table cell's reading falls back on its meaning (see claims_from_vectors): only a cell pays.
            meaning = {side: (row[0][1], row[0][0]) for side in side_of.values()
                       if candidate.kind == "cell" and (row := _ranked(scores[n], self.criterion_ids, only, side))}
            if confidence < self.threshold:
                out.append(Prediction(None, confidence, (), side_of[best] if confidence > stance[n, NONE] else None,
                                      meaning))
                continue
            favors = side_of[best]
            row = _ranked(scores[n], self.criterion_ids, only, favors)
            chosen = [row[0][1]] if row else []
            if len(row) > 1 and row[1][0] >= self.second_threshold:
                chosen.append(row[1][1])
            if enumerates(candidate):
                # A list of uses ("X serves web apps, automation, data analysis and more") speaks for the side on
                # each listed use the rules find evidence of, not only the one the model finds likeliest.
                allowed = {cid for p, cid in row if p >= ENUMERATION_FLOOR}
                chosen += [cid for cid in candidate.rule_criteria if cid in allowed and cid not in chosen]
            out.append(Prediction(favors, confidence, tuple(chosen), meaning=meaning))
        return out

    def claims_from_vectors(self, article: Article, found: list[Candidate], rules: Rules,
                            clause_vectors: np.ndarray, context_vectors: np.ndarray) -> list[Claim]:
        """The article's claims as this model reads its candidate clauses, with the rules' claims it missed.

        The rules are precise where their cues fire: a claim they find is kept unless the model reads the same
        clause for the other side.
        """
        from .claims import HEDGED_STRENGTH, is_question, make_claim, rule_reading, rule_side

        predictions = self.predict(found, clause_vectors, context_vectors, rules)
        out = []
        for candidate, prediction in zip(found, predictions, strict=True):
            if is_question(candidate):
                continue
            hedge = HEDGED_STRENGTH if candidate.hedged else 1.0
            if prediction.favors is not None and prediction.criteria:
                out.append(make_claim(article, candidate, prediction.favors, prediction.criteria,
                                      round(hedge * prediction.confidence, 3)))
                continue
            reading = rule_reading(candidate, rules)
            side = rule_side(candidate) if reading is None else None
            if side is not None and side in prediction.meaning and prediction.meaning[side][1] >= MEANING_FLOOR:
                # The rules read a direction but no evidence phrase ("Yes" in a table row): the clause's meaning,
                # with its context, says what it is about.
                reading = (side, (prediction.meaning[side][0],))
            if reading and prediction.against in (None, reading[0]):
                out.append(make_claim(article, candidate, reading[0], reading[1], hedge * RULE_STRENGTH))
        return out

    # -- files ---------------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format": FORMAT, "criterion_ids": self.criterion_ids}
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                stance_coef=self.stance_coef.astype(np.float32),
                stance_intercept=self.stance_intercept.astype(np.float32),
                criteria_coef=self.criteria_coef.astype(np.float32),
                criteria_intercept=self.criteria_intercept.astype(np.float32),
                meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8),
            )

    @classmethod
    def load(cls, path: Path) -> ClaimModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                arrays = {k: np.asarray(data[k], dtype=np.float32) for k in
                          ("stance_coef", "stance_intercept", "criteria_coef", "criteria_intercept")}
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: not a usable claim model ({exc}); retrain it with `stackpick train`") from exc
        if meta.pop("format", None) != FORMAT:
            raise ModelError(f"{path}: a claim model of another format; retrain it with `stackpick train`")
        ids = list(meta.pop("criterion_ids"))
        return cls(criterion_ids=ids, meta=meta, **arrays)
