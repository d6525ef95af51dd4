"""Integration: the bundled model exported to int8 ONNX, stored in the index, agrees with sentence-transformers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Advisor
from index.build import build_index
from index.embedding import BUNDLED_MODEL_ID, build_embedder, load_embedder, query_embedder, token_counter_for
from index.encoder import ENCODER_DIR, MODEL_FILE, OnnxEmbedder, read_encoder_info
from index.export import ExportError, ensure_encoder
from index.loaded import load_index
from index.store import IndexStore, IndexUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def onnx_index(tmp_path_factory: pytest.TempPathFactory, make_environment, rules, encoder_cache: Path):  # type: ignore[no-untyped-def]
    """The seeds built once with the default backend: (paths, embedder, store)."""
    paths, _, _ = make_environment(tmp_path_factory.mktemp("onnx"))
    embedder = build_embedder("bundled", "onnx-int8", encoder_cache)
    store = IndexStore(paths.index_dir)
    build_index(paths.library_dir, store, embedder, token_counter_for(embedder, "bundled"), rules)
    return paths, embedder, store


def test_the_export_agrees_with_sentence_transformers_on_every_seed_passage(onnx_index) -> None:  # type: ignore[no-untyped-def]
    _, embedder, store = onnx_index
    index = load_index(store)
    texts = [p.text for p in index.passages] + ["Node or Python for a chat app?", "pandas"]
    exported = embedder.embed(texts)
    reference = load_embedder("bundled").embed(texts)
    cosine = (exported * reference).sum(axis=1)
    assert exported.shape == reference.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(exported, axis=1), 1.0, atol=1e-4)
    # int8 weights cost a little: about 0.995 on average, never below 0.98 (the dev eval checks the answers).
    assert cosine.mean() > 0.99 and cosine.min() > 0.98, f"mean {cosine.mean():.4f}, lowest {cosine.min():.4f}"


def test_the_index_carries_its_encoder_and_the_manifest_names_it(onnx_index) -> None:  # type: ignore[no-untyped-def]
    _, embedder, store = onnx_index
    manifest = store.read_manifest()
    folder = store.version_dir(manifest.version) / ENCODER_DIR
    info = read_encoder_info(folder)
    assert (manifest.embedding.model, manifest.embedding.backend) == (BUNDLED_MODEL_ID, "onnx-int8")
    assert manifest.embedding.fingerprint == info.fingerprint == embedder.fingerprint
    assert f"{ENCODER_DIR}/{MODEL_FILE}" in manifest.files  # checksummed like every other file
    # int8 weights: about a quarter of the 90 MB fp32 model
    assert (folder / MODEL_FILE).stat().st_size < 30_000_000


def test_exports_are_reused_not_redone(onnx_index, encoder_cache: Path) -> None:  # type: ignore[no-untyped-def]
    _, embedder, _ = onnx_index
    model = Path(embedder.folder) / MODEL_FILE
    before = model.stat().st_mtime_ns
    again = build_embedder("bundled", "onnx-int8", encoder_cache)
    assert isinstance(again, OnnxEmbedder) and again.folder == embedder.folder
    assert model.stat().st_mtime_ns == before


def test_a_runtime_without_the_model_reuses_the_served_encoder(onnx_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, embedder, store = onnx_index
    served = store.version_dir(store.current_version() or "") / ENCODER_DIR
    with pytest.raises(ExportError, match=r"stackpick\[build\]"):
        ensure_encoder(None, BUNDLED_MODEL_ID, "onnx-int8", tmp_path)
    kept = ensure_encoder(None, BUNDLED_MODEL_ID, "onnx-int8", tmp_path, reuse=[served])
    assert kept.parent.parent == tmp_path  # copied out: the version folder disappears when it is pruned
    assert read_encoder_info(kept).fingerprint == embedder.fingerprint
    with pytest.raises(ExportError):
        ensure_encoder(None, BUNDLED_MODEL_ID, "onnx", tmp_path / "other", reuse=[served])  # not the same backend


def test_answers_come_from_the_stored_encoder(onnx_index) -> None:  # type: ignore[no-untyped-def]
    paths, embedder, store = onnx_index
    from knowledge.rules import load_rules

    advisor = Advisor(store, query_embedder("bundled", "onnx-int8"), load_rules(paths.rules_file))
    assert isinstance(advisor.engine.embedder, OnnxEmbedder)
    assert advisor.engine.embedder.fingerprint == embedder.fingerprint
    answer = advisor.ask("Node or Python for a real-time chat app?")
    assert answer.verdict == "node" and answer.citations


def test_questions_embed_on_sleeping_threads_to_the_same_vectors_as_one_thread(onnx_index) -> None:  # type: ignore[no-untyped-def]
    paths, _, store = onnx_index
    from knowledge.rules import load_rules

    served = Advisor(store, query_embedder("bundled", "onnx-int8"), load_rules(paths.rules_file)).engine.embedder
    assert isinstance(served, OnnxEmbedder) and not served.spin
    one = OnnxEmbedder(served.folder, threads=1)
    for question in ("Node or Python?", "Which backend for a team of data scientists who live in pandas and "
                     "need a small API in front of their forecasting models, with a dashboard that updates live?"):
        assert np.array_equal(served.embed([question]), one.embed([question]))


def test_a_torch_query_encoder_is_refused_on_an_onnx_index(onnx_index) -> None:  # type: ignore[no-untyped-def]
    paths, _, store = onnx_index
    from knowledge.rules import load_rules

    with pytest.raises(IndexUnavailable, match=r"onnx-int8.*torch|sentence-transformers.*STACKPICK_EMBEDDING_BACKEND"):
        Advisor(store, query_embedder("bundled", "torch"), load_rules(paths.rules_file))


def test_a_tampered_encoder_is_caught_before_it_is_used(onnx_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    _, _, store = onnx_index
    copy = tmp_path / "index"
    shutil.copytree(store.root, copy)
    other = IndexStore(copy)
    model = other.version_dir(other.current_version() or "") / ENCODER_DIR / MODEL_FILE
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    os.unlink(model)  # a hard link to the cached export: replace the file, don't write through the link
    model.write_bytes(bytes(data))
    with pytest.raises(IndexUnavailable, match=r"corrupt encoder/model.onnx"):
        load_index(other)
