"""Training the learned models (`stackpick train`): the claim model and the question reader, from labeled data."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.cache import EmbeddingCache, embed_with_cache
from index.embedding import HASHING, Embedder, build_embedder, embedding_key
from knowledge.claim_training import TrainingSettings, train_claim_model
from knowledge.labels import LABELED_DIR, load_labeled_articles, load_training_clauses, moved_ids
from knowledge.question_training import load_questions, train_question_model
from knowledge.rules import load_rules

from ..engine.question import clean_question
from ..settings import Settings

Progress = Callable[[str], None]


class TrainingError(ValueError):
    """Training cannot run as configured; the message says what to change."""


@dataclass
class TrainingReport:
    claims_path: Path
    questions_path: Path
    claim_examples: int
    questions: int
    labeled_articles: int
    seconds: float


def default_output(settings: Settings) -> Path:
    """Where `stackpick train` writes: the team's models folder, which builds then prefer to the shipped models."""
    return settings.models_dir


def _embedder(settings: Settings) -> Embedder:
    if settings.embedding_model.startswith(HASHING):
        raise TrainingError("the models read the bundled sentence encoder's vectors: unset STACKPICK_EMBEDDING_MODEL")
    return build_embedder(settings.embedding_model, settings.embedding_backend, settings.cache_dir)


def train_models(settings: Settings, out_dir: Path, labeled_dir: Path = LABELED_DIR,
                 progress: Progress | None = None) -> TrainingReport:
    """Train both models on the tune part of the labeled data (plus the team's own files) and save them."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    rules = load_rules(settings.rules_file)
    ids = {c.id for c in rules.criteria}
    embedder = _embedder(settings)
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embed_with_cache(list(texts), embedder.embed, embedding_key(embedder), embedder.dimension, cache,
                                batch_size=512)[0]

    meta = {"embedding_model": embedder.model_id, "dimension": embedder.dimension, "backend": embedder.backend}
    try:
        say("reading the labeled articles and training clauses")
        labeled = load_labeled_articles(ids, labeled_dir)
        entries = load_training_clauses([labeled_dir / "clauses.yaml", *settings.training_clauses], ids)
        say(f"training the claim model on {sum(a.part == 'tune' for a in labeled)} tune articles "
            f"and {len(entries)} clauses")
        claims = train_claim_model(labeled, entries, rules, embed, TrainingSettings(), meta)
        questions = load_questions([labeled_dir / "train_questions.yaml", *settings.training_questions], ids)
        questions += load_questions([labeled_dir / "questions.yaml"], ids, tune_only=True, moved=moved_ids(labeled_dir))
        say(f"training the question reader on {len(questions)} questions")
        reader = train_question_model(questions, rules, embed, clean_question, meta)
    finally:
        cache.close()
        close = getattr(embedder, "close", None)
        if close is not None:
            close()
    claims_path, questions_path = out_dir / "claims.npz", out_dir / "questions.npz"
    claims.save(claims_path)
    reader.save(questions_path)
    return TrainingReport(claims_path, questions_path, int(claims.meta["examples"]), len(questions),
                          len(labeled), time.perf_counter() - started)
