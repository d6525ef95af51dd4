"""Integration: the real bundled all-MiniLM-L6-v2 model builds the seed index and finds real-time passages."""

from __future__ import annotations

import numpy as np
import pytest

from index.build import build_index
from index.embedding import SentenceTransformerEmbedder, load_embedder
from index.loaded import check_model, load_index
from index.search import HybridSearcher
from index.store import IndexStore, IndexUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, make_environment, rules, token_counter):  # type: ignore[no-untyped-def]
    """The seeds built once with the bundled model: (embedder, loaded index)."""
    paths, _, _ = make_environment(tmp_path_factory.mktemp("real-model"))
    embedder = load_embedder("bundled")
    store = IndexStore(paths.index_dir)
    build_index(paths.library_dir, store, embedder, token_counter, rules)
    return embedder, load_index(store)


def test_the_bundled_model_gives_normalized_384d_vectors(real) -> None:
    embedder, index = real
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert (index.manifest.embedding.model, index.manifest.embedding.dimension) == ("all-MiniLM-L6-v2", 384)
    assert index.manifest.embedding.backend == "sentence-transformers"
    vectors = embedder.embed(["real-time chat", "data science with pandas"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.embed([]).shape == (0, 384)


def test_real_time_chat_is_found_in_several_articles(real) -> None:
    embedder, index = real
    hits = HybridSearcher(index, embedder).search("real-time chat", k=5)
    assert len({h.article_id for h in hits}) >= 2
    on_topic = [h for h in hits if any(w in h.text.lower() for w in ("real-time", "chat", "streaming"))]
    assert len({h.article_id for h in on_topic}) >= 2, [h.text[:80] for h in hits]
    for hit in hits:
        assert index.articles[hit.article_id].text[hit.start : hit.end] == hit.text


def test_dense_retrieval_understands_meaning_without_shared_words(real) -> None:
    embedder, index = real
    hits = HybridSearcher(index, embedder).search("apps where many users talk to each other live", k=3, mode="dense")
    assert any("real-time" in h.text.lower() or "chat" in h.text.lower() for h in hits)


def test_a_hash_embedder_cannot_search_the_real_index(real) -> None:
    _, index = real
    fake = load_embedder("hash")
    with pytest.raises(IndexUnavailable, match=r"all-MiniLM-L6-v2.*hashing-256.*stackpick index build"):
        check_model(index.manifest, fake.model_id, fake.backend, fake.dimension)
