"""Integration: `stackpick train` on the repository's labeled data is reproducible, and the shipped models are
the ones that data trains (a change to the labeled data without retraining fails here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.training import train_models
from bot.settings import Settings
from knowledge.claim_model import SHIPPED_MODEL as SHIPPED_CLAIMS
from knowledge.claim_model import ClaimModel
from knowledge.question_model import SHIPPED_MODEL as SHIPPED_QUESTIONS
from knowledge.question_model import QuestionModel

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def trained_twice(tmp_path_factory: pytest.TempPathFactory, encoder_cache: Path):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("training")
    settings = Settings(STACKPICK_CACHE_DIR=encoder_cache, STACKPICK_EMBEDDING_MODEL="bundled")
    first = train_models(settings, root / "first")
    second = train_models(settings, root / "second")  # the embedding cache is warm: this run is only the fitting
    return first, second


def test_training_twice_gives_the_same_models(trained_twice) -> None:  # type: ignore[no-untyped-def]
    first, second = trained_twice
    assert ClaimModel.load(first.claims_path).fingerprint == ClaimModel.load(second.claims_path).fingerprint
    assert QuestionModel.load(first.questions_path).fingerprint == QuestionModel.load(second.questions_path).fingerprint


def test_the_shipped_models_were_trained_on_the_data_in_the_repository(trained_twice) -> None:  # type: ignore[no-untyped-def]
    first, _ = trained_twice
    assert ClaimModel.load(SHIPPED_CLAIMS).meta["data"] == ClaimModel.load(first.claims_path).meta["data"], (
        "knowledge/labeled changed since knowledge/models/claims.npz was trained: run "
        "`stackpick train --out knowledge/models`")
    assert QuestionModel.load(SHIPPED_QUESTIONS).meta["data"] == QuestionModel.load(first.questions_path).meta["data"]


def test_held_out_data_is_never_trained_on(trained_twice) -> None:  # type: ignore[no-untyped-def]
    first, _ = trained_twice
    from knowledge.labels import LABELED_DIR, load_labeled_articles
    from knowledge.rules import load_rules

    rules = load_rules(Path(__file__).resolve().parents[3] / "knowledge" / "rules.yaml")
    labeled = load_labeled_articles({c.id for c in rules.criteria}, LABELED_DIR)
    assert first.labeled_articles == len(labeled)
    model = ClaimModel.load(first.claims_path)
    from knowledge.claim_training import data_digest
    from knowledge.labels import load_training_clauses

    clauses = load_training_clauses([LABELED_DIR / "clauses.yaml"], {c.id for c in rules.criteria})
    assert model.meta["data"] == data_digest([a for a in labeled if a.part == "tune"], clauses)
    assert model.meta["data"] != data_digest(labeled, clauses)
