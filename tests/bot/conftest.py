"""Advisors over seed indexes built once per session: hashing fake embedder (unit) or the real model (integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.advisor import Advisor
from index.build import build_index
from index.cache import EmbeddingCache
from index.embedding import HashingEmbedder, load_embedder
from index.store import IndexStore
from index.tokens import counter_for_model
from knowledge.rules import load_rules

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "knowledge" / "articles"
RULES = ROOT / "knowledge" / "rules.yaml"


def _advisor(folder: Path, embedder) -> Advisor:
    store = IndexStore(folder / "index")
    rules = load_rules(RULES)
    cache = EmbeddingCache(folder / "cache.sqlite3")
    build_index(ARTICLES, store, embedder, counter_for_model(), rules, cache)
    return Advisor(store, embedder, rules, cache)


@pytest.fixture(scope="session")
def fake_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """An advisor over the seed library with the deterministic hashing embedder."""
    return _advisor(tmp_path_factory.mktemp("fake-advisor"), HashingEmbedder())


@pytest.fixture(scope="session")
def real_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """An advisor over the seed library with the bundled all-MiniLM-L6-v2 model."""
    return _advisor(tmp_path_factory.mktemp("real-advisor"), load_embedder("bundled"))
