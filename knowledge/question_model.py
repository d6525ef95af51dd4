"""The learned question reader: what kind of message it is, which criteria it turns on, whether it asks for the
worse side ("which is harder to learn?") or about using both, from the question's embedding and its words. numpy
only at run time."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .question_text import LEXICAL_DIM, direction, lexical_indices

FORMAT = 3
KINDS = ("answerable", "chatter", "other_tech", "off_topic")
SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "questions.npz"
_WORDS = re.compile(r"\w+")


class QuestionModelError(ValueError):
    """A question model file that cannot be used."""


def question_features(text: str, sides_named: int, others_named: int,
                      valence: dict[str, float] | None = None, cues: list[float] | None = None) -> list[float]:
    """A few facts about the message beside its embedding: sides and other technologies named, length, a '?',
    which way a comparison in it points (the embedding reads "easier" and "harder" alike), and then, one per
    criterion of the model, what the rules' words name (`question_cues.WordCues.vector`): so the reader learns how
    far each criterion's keywords can be trusted, and in which company ("small" in "a small warehouse robot")."""
    words = len(_WORDS.findall(text))
    way = direction(text, valence)
    return [
        float(sides_named >= 1),
        float(sides_named >= 2),
        float(others_named >= 1),
        float("?" in text),
        float(np.log1p(words) / 4.0),
        float(words <= 3),
        float(way < 0),
        float(way > 0),
        *(cues or []),
    ]


N_FEATURES = 8  # before the criteria's word cues


@dataclass(frozen=True)
class QuestionReading:
    """The model's reading of one message."""

    kinds: dict[str, float]  # probability of each kind
    criteria: dict[str, float]  # probability that the message turns on each criterion
    inverse: float  # probability that it asks which side is worse
    both: float = 0.0  # probability that it asks about using both sides together ("can we just use both?")

    @property
    def kind(self) -> str:
        return max(self.kinds, key=lambda k: self.kinds[k])


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class QuestionModel:
    """Logistic regressions (kind, criteria, inverse, both) over [question embedding, question_features, hashed
    words].

    The hashed words (stems and stem pairs, `question_text.lexical_indices`) are the last LEXICAL_DIM columns; a
    word present counts `meta["lexical_weight"]`, and the embedding is scaled by `meta["embedding_scale"]`. The
    words let the reader learn what an embedding blurs: a framework's name, "trained on", "cron", "less" or "more".
    """

    kind_coef: np.ndarray  # (len(KINDS), features)
    kind_intercept: np.ndarray
    criteria_coef: np.ndarray  # (criteria, features)
    criteria_intercept: np.ndarray
    inverse_coef: np.ndarray  # (features,)
    inverse_intercept: np.ndarray  # (1,)
    both_coef: np.ndarray  # (features,)
    both_intercept: np.ndarray  # (1,)
    criterion_ids: list[str]
    meta: dict[str, Any]

    def _scores(self, coef: np.ndarray, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        width = len(dense)
        words = coef[..., width + lexical].sum(axis=-1) if len(lexical) else 0.0
        return coef[..., :width] @ dense + self.lexical_weight * words

    @property
    def lexical_weight(self) -> float:
        return float(self.meta.get("lexical_weight", 0.0))

    @property
    def embedding_scale(self) -> float:
        return float(self.meta.get("embedding_scale", 1.0))

    def read(self, vector: np.ndarray, features: list[float], text: str = "") -> QuestionReading:
        vector = np.asarray(vector, dtype=np.float32) * self.embedding_scale
        dense = np.concatenate([vector, np.asarray(features, dtype=np.float32)])
        lexical = lexical_indices(text) if text else np.zeros(0, dtype=np.int64)
        kinds = _softmax(self._scores(self.kind_coef, dense, lexical) + self.kind_intercept)
        criteria = _sigmoid(self._scores(self.criteria_coef, dense, lexical) + self.criteria_intercept)
        inverse = float(_sigmoid(self._scores(self.inverse_coef, dense, lexical) + self.inverse_intercept)[0])
        both = float(_sigmoid(self._scores(self.both_coef, dense, lexical) + self.both_intercept)[0])
        return QuestionReading(
            kinds={k: float(p) for k, p in zip(KINDS, kinds, strict=True)},
            criteria={c: float(p) for c, p in zip(self.criterion_ids, criteria, strict=True)},
            inverse=inverse,
            both=both,
        )

    def fits(self, model_id: str, dimension: int) -> bool:
        """Whether this model reads vectors of that embedding model."""
        return (self.meta.get("embedding_model") == model_id and int(self.meta.get("dimension", 0)) == dimension
                and self.kind_coef.shape[-1] == dimension + N_FEATURES + len(self.criterion_ids) + LEXICAL_DIM)

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for array in (self.kind_coef, self.kind_intercept, self.criteria_coef, self.criteria_intercept,
                      self.inverse_coef, self.inverse_intercept, self.both_coef, self.both_intercept):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        digest.update(json.dumps({"ids": self.criterion_ids, "meta": self.meta}, sort_keys=True).encode())
        return digest.hexdigest()

    _ARRAYS = ("kind_coef", "kind_intercept", "criteria_coef", "criteria_intercept", "inverse_coef",
               "inverse_intercept", "both_coef", "both_intercept")

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format": FORMAT, "criterion_ids": self.criterion_ids, "kinds": list(KINDS)}
        arrays: dict[str, Any] = {name: np.asarray(getattr(self, name), dtype=np.float32) for name in self._ARRAYS}
        arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path: Path) -> QuestionModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                arrays = {name: np.asarray(data[name], dtype=np.float32) for name in cls._ARRAYS}
        except (OSError, KeyError, ValueError) as exc:
            raise QuestionModelError(f"{path}: not a usable question model ({exc}); retrain with `stackpick train`"
                                     ) from exc
        if meta.pop("format", None) != FORMAT or meta.pop("kinds", None) != list(KINDS):
            raise QuestionModelError(f"{path}: question model of another format; retrain with `stackpick train`")
        ids = list(meta.pop("criterion_ids"))
        return cls(criterion_ids=ids, meta=meta, **arrays)


def load_question_model(configured: Path | None, models_dir: Path) -> QuestionModel | None:
    """The configured question reader, else a team's retrained one, else the shipped one (None if none exists)."""
    if configured is not None:
        return QuestionModel.load(configured)
    for candidate in (models_dir / "questions.npz", SHIPPED_MODEL):
        if candidate.exists():
            return QuestionModel.load(candidate)
    return None
