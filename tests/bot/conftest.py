"""Advisors over seed indexes built once per session: hashing fake embedder (unit) or the real model (integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Advisor
from index.build import build_index
from index.cache import EmbeddingCache
from index.claim_models import claim_model_for, claim_model_path
from index.embedding import Embedder, HashingEmbedder, build_embedder, query_embedder, token_counter_for
from index.store import IndexStore
from knowledge.question_model import load_question_model
from knowledge.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "knowledge" / "articles"
RULES = ROOT / "knowledge" / "rules.yaml"


def _advisor(folder: Path, embedder: Embedder, asker: Embedder | None = None) -> Advisor:
    """Built and asked as the product does: with the shipped claim model and question reader where they fit the
    embedder (the real model), the rules alone where they don't (the hashing fake)."""
    store = IndexStore(folder / "index")
    rules = load_rules(RULES)
    cache = EmbeddingCache(folder / "cache.sqlite3")
    no_team_models = folder / "no-team-models"
    claim_model = claim_model_for(embedder, rules, claim_model_path(None, no_team_models))
    build_index(ARTICLES, store, embedder, token_counter_for(embedder, "bundled"), rules, cache,
                claim_model=claim_model)
    return Advisor(store, asker or embedder, rules, cache, question_model=load_question_model(None, no_team_models))


@pytest.fixture(scope="session")
def fake_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """An advisor over the seed library with the deterministic hashing embedder."""
    return _advisor(tmp_path_factory.mktemp("fake-advisor"), HashingEmbedder())


@pytest.fixture(scope="session", params=["onnx-int8", "torch"])
def real_advisor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 encoder_cache: Path) -> Advisor:
    """An advisor over the seed library with the bundled all-MiniLM-L6-v2 model, on each backend: the default
    int8 ONNX export stored in the index, and sentence-transformers on torch; quality must hold on both."""
    backend = request.param
    folder = tmp_path_factory.mktemp(f"real-advisor-{backend}")
    return _advisor(folder, build_embedder("bundled", backend, encoder_cache), query_embedder("bundled", backend))
