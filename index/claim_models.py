"""Which claim model a build uses: the configured one, a team's retrained one, or the one shipped with stackpick."""

from __future__ import annotations

import logging
from pathlib import Path

from knowledge.claim_model import SHIPPED_MODEL, ClaimModel, ModelError
from knowledge.rules import Rules

from .embedding import Embedder

log = logging.getLogger(__name__)
RULES_ONLY = "rules"  # what the manifest records when claims came from the rules alone


def claim_model_path(configured: Path | None, models_dir: Path) -> Path | None:
    """The model file to use: the configured path, else a team's retrained model, else the shipped one."""
    if configured is not None:
        return configured
    for candidate in (models_dir / "claims.npz", SHIPPED_MODEL):
        if candidate.exists():
            return candidate
    return None


def claim_model_for(embedder: Embedder, rules: Rules, path: Path | None, required: bool = False) -> ClaimModel | None:
    """The claim model to extract with, or None (the rules alone) when none fits this embedder and these rules.

    A model reads vectors of the model it was trained with: vectors of another one (the tests' hashing fake, a
    different sentence encoder) would be read as noise, so the build falls back to the rules alone and says so.
    A `required` model (one a setting names) that cannot be read or does not fit these rules is an error instead.
    """
    if path is None:
        return None
    try:
        model = ClaimModel.load(path)
        model.check(rules)
    except ModelError as error:
        if required:
            raise
        log.warning("claims from the rules alone: %s", error)
        return None
    trained = model.meta.get("embedding_model")
    if trained != embedder.model_id or int(model.meta.get("dimension", 0)) != embedder.dimension:
        log.info("claims from the rules alone: the claim model reads %s vectors, this build embeds with %s",
                 trained, embedder.model_id)
        return None
    return model


def fingerprint_of(model: ClaimModel | None) -> str:
    return model.fingerprint if model is not None else RULES_ONLY
