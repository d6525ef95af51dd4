"""Train the question reader from labeled questions (scikit-learn, deterministic)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from .cues import SideNames
from .labels import checked_entries, part_of
from .question_cues import QuestionCues
from .question_model import KINDS, N_FEATURES, QuestionModel, question_features
from .question_text import LEXICAL_DIM, cue_valence, lexical_indices
from .rules import Rules, other_technology_pattern

Embed = Callable[[Sequence[str]], np.ndarray]
Clean = Callable[[str], str]
SEED = 0
MessageKind = Literal["question", "followup", "chatter", "other_tech", "off_topic"]


class LabeledQuestion(BaseModel):
    """A message with what it is; criteria and inverse only where the file labels them (None: unknown)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    q: str
    kind: MessageKind = "question"
    criteria: list[str] | None = None
    not_criteria: list[str] = []  # criteria it does not turn on (a 👎 that named them as the wrong reasons)
    inverse: bool | None = None
    both: bool | None = None  # asks about using both sides together ("could we mix the two?")
    id: str | None = None

    @property
    def reading_kind(self) -> str:
        return "answerable" if self.kind in ("question", "followup") else self.kind


def load_questions(paths: Iterable[Path], criteria: set[str], tune_only: bool = False,
                   moved: Iterable[str] = ()) -> list[LabeledQuestion]:
    """Labeled questions from files; with `tune_only`, questions with an id in the held-out part are left out."""
    out: list[LabeledQuestion] = []
    for path in paths:
        for _, entry in checked_entries(path, LabeledQuestion, "a list of questions", criteria):
            if tune_only and entry.id and part_of(entry.id, moved) == "held_out":
                continue
            out.append(entry)
    return out


def _features(rules: Rules, texts: Sequence[str]) -> np.ndarray:
    others = other_technology_pattern(rules.scope)
    valence = cue_valence(rules)
    cues = QuestionCues(rules)
    ids = [c.id for c in rules.criteria]
    rows = []
    for text in texts:
        sides = len(SideNames(rules, text, every_side=True).sides(text))
        named = len({m.group(0) for m in others.finditer(text)}) if others else 0
        rows.append(question_features(text, sides, named, valence, cues.read(text).vector(ids)))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), N_FEATURES + len(ids))


def _lexical(texts: Sequence[str], weight: float) -> Any:
    """The hashed words of each text as a sparse matrix (a question holds a few dozen of LEXICAL_DIM columns)."""
    from scipy.sparse import csr_matrix

    columns = [lexical_indices(text) for text in texts]
    rows = np.repeat(np.arange(len(texts)), [len(c) for c in columns])
    data = np.full(len(rows), weight, dtype=np.float32)
    flat = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    return csr_matrix((data, (rows, flat)), shape=(len(texts), LEXICAL_DIM), dtype=np.float32)


# How much a word present counts beside the embedding, and how much the embedding's (each small) values are
# scaled: 5-fold cross-validation of the criteria on the training questions gave F1 0.63 against 0.54 for the
# embedding alone (and the inverse reader's precision 0.79 against 0.61). The regularization (CRITERIA_C) and the
# word weight were then chosen on whole answers to the tune questions, by a reader trained without them.
LEXICAL_WEIGHT = 0.5
EMBEDDING_SCALE = 3.0
CRITERIA_C = 4.0


def train_question_model(questions: Sequence[LabeledQuestion], rules: Rules, embed: Embed, clean: Clean,
                         meta: dict[str, Any], c: float = CRITERIA_C, kind_c: float = 10.0,
                         lexical_weight: float = LEXICAL_WEIGHT, embedding_scale: float = EMBEDDING_SCALE
                         ) -> QuestionModel:
    """Fit the kind, criteria and inverse readers on the questions given (all of them: pass only tune ones)."""
    from sklearn.linear_model import LogisticRegression

    texts = [clean(q.q) or q.q for q in questions]
    from scipy.sparse import hstack

    dense = np.hstack([embed(texts) * embedding_scale, _features(rules, texts)]).astype(np.float32)
    x = hstack([dense, _lexical(texts, lexical_weight)], format="csr", dtype=np.float32)
    kinds = np.asarray([KINDS.index(q.reading_kind) for q in questions])
    # Kinds are told apart well by the embedding (5-fold CV on the training questions: 94% at C=10, 92% at C=1).
    kind = LogisticRegression(C=kind_c, max_iter=5000, random_state=SEED, class_weight="balanced").fit(x, kinds)
    kind_coef = np.zeros((len(KINDS), x.shape[1]), dtype=np.float32)
    kind_intercept = np.full(len(KINDS), -30.0, dtype=np.float32)
    for k, label in enumerate(kind.classes_):
        kind_coef[int(label)], kind_intercept[int(label)] = kind.coef_[k], kind.intercept_[k]

    ids = [cr.id for cr in rules.criteria]
    labeled = [n for n, q in enumerate(questions) if q.criteria is not None and q.reading_kind == "answerable"]
    criteria_coef = np.zeros((len(ids), x.shape[1]), dtype=np.float32)
    criteria_intercept = np.full(len(ids), -30.0, dtype=np.float32)
    for k, cid in enumerate(ids):
        # A question whose criteria are known teaches every criterion; one that only says which criteria it is not
        # about (an exported 👎) teaches those as negatives.
        rows = labeled + [n for n, q in enumerate(questions) if q.criteria is None and cid in q.not_criteria]
        target = np.asarray([cid in (questions[n].criteria or []) for n in rows])
        if target.sum() < 2 or target.all():
            continue
        model = LogisticRegression(C=c, max_iter=3000, random_state=SEED, class_weight="balanced")
        model.fit(x[rows], target)
        criteria_coef[k], criteria_intercept[k] = model.coef_[0], model.intercept_[0]

    inverse_coef, inverse_intercept = _flag(x, questions, "inverse", c)
    both_coef, both_intercept = _flag(x, questions, "both", c)
    digest = hashlib.sha256("\n".join(f"{q.kind}|{q.criteria}|{q.inverse}|{q.both}|{q.q}" for q in questions
                                      ).encode())
    meta = {**meta, "data": digest.hexdigest(), "questions": len(questions), "c": c, "kind_c": kind_c,
            "lexical_weight": lexical_weight, "embedding_scale": embedding_scale}
    return QuestionModel(kind_coef, kind_intercept, criteria_coef, criteria_intercept, inverse_coef,
                         inverse_intercept, both_coef, both_intercept, ids, meta)


def _flag(x: Any, questions: Sequence[LabeledQuestion], name: str, c: float) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no reading ("asks for the worse side", "asks about using both") learned from the questions that label
    it, and from every question whose criteria are labeled, which is a no unless it says yes."""
    from sklearn.linear_model import LogisticRegression

    known = [n for n, q in enumerate(questions) if getattr(q, name) is not None or q.criteria is not None]
    target = np.asarray([bool(getattr(questions[n], name)) for n in known])
    if not 0 < target.sum() < len(target):
        return np.zeros(x.shape[1], dtype=np.float32), np.asarray([-30.0], dtype=np.float32)
    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED, class_weight="balanced").fit(x[known], target)
    return model.coef_[0].astype(np.float32), model.intercept_.astype(np.float32)
