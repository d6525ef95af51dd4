"""Fixtures for the index tests: the tmp index store and a direct build_index helper."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.build import BuildReport, build_index
from index.cache import EmbeddingCache
from index.embedding import Embedder, HashingEmbedder
from index.store import IndexStore

Build = Callable[..., BuildReport]


@pytest.fixture
def store(index_dir: Path) -> IndexStore:
    return IndexStore(index_dir)


@pytest.fixture
def build(library_dir: Path, store: IndexStore, rules, token_counter) -> Build:  # type: ignore[no-untyped-def]
    """build_index over the tmp library and index; pass embedder=, cache=, keep_versions= to vary it."""

    def run(embedder: Embedder | None = None, cache: EmbeddingCache | None = None, keep_versions: int = 5,
            hnsw_threshold: int = 50_000) -> BuildReport:
        return build_index(library_dir, store, embedder or HashingEmbedder(), token_counter, rules, cache,
                           hnsw_threshold=hnsw_threshold, keep_versions=keep_versions)

    return run
