"""The versioned index folder: manifest, publish, rollback, prune, and clear errors for broken versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from index.embedding import HashingEmbedder, load_embedder
from index.loaded import check_model, load_index
from index.store import FORMAT_VERSION, MANIFEST, POINTER, IndexStore, IndexUnavailable, new_version_name
from knowledge.corpus import corpus_hash, load_library

FIX = "stackpick index build"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_publishes_a_version_with_a_complete_manifest(build, store: IndexStore, library_dir: Path,
                                                              rules) -> None:
    report = build()
    assert store.current_version() == report.version
    assert (store.root / POINTER).read_text().strip() == report.version
    folder = store.version_dir(report.version)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["version"] == report.version == folder.name
    assert manifest["embedding"] == {"model": "hashing-256", "backend": "hash", "dimension": 256, "fingerprint": ""}
    articles = load_library(library_dir)
    passages = (folder / "passages.jsonl").read_text().splitlines()
    claims = (folder / "claims.jsonl").read_text().splitlines()
    assert manifest["counts"] == {"articles": 5, "passages": len(passages), "claims": len(claims),
                                  "vectors": len(passages)}
    assert (report.articles, report.passages, report.claims) == (5, len(passages), len(claims))
    assert manifest["corpus_hash"] == corpus_hash(articles)
    assert manifest["rules_hash"] == rules.source_hash
    assert manifest["faiss_index"] == "flat"
    built_at = dt.datetime.fromisoformat(manifest["built_at"])
    assert built_at.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - built_at) < dt.timedelta(minutes=5)
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert set(manifest["files"]) == on_disk
    assert {"passages.faiss", "passages.jsonl", "claims.jsonl", "articles.jsonl", "claim_vectors.npy"} <= on_disk
    assert any(name.startswith("bm25/") for name in on_disk)
    for name, digest in manifest["files"].items():
        assert sha256(folder / name) == digest, name
    assert np.load(folder / "claim_vectors.npy").shape == (len(claims), 256)
    assert not [p for p in store.versions_dir.iterdir() if p.name.startswith(".")]


def test_version_names_sort_by_time() -> None:
    early = new_version_name(dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=dt.UTC))
    later = new_version_name(dt.datetime(2026, 1, 1, 9, 0, 1, tzinfo=dt.UTC))
    assert re.fullmatch(r"20260101T090000-[0-9a-f]{6}", early)
    assert early < later


def test_the_loaded_index_matches_the_library(built_index, store: IndexStore, library_dir: Path) -> None:
    index = load_index(store)
    assert index.version == built_index.version
    articles = {a.id: a for a in load_library(library_dir)}
    assert index.articles == articles
    assert index.faiss.ntotal == len(index.passages) == index.manifest.counts["passages"]
    assert len(index.claims) == len(index.claim_vectors) == index.manifest.counts["claims"]
    for passage in index.passages:
        assert articles[passage.article_id].text[passage.start : passage.end] == passage.text
    for claim in index.claims:
        assert articles[claim.article_id].text[claim.start : claim.end] == claim.text


def test_a_second_build_is_a_new_version_and_rollback_serves_the_old_one(build, store: IndexStore) -> None:
    first = build().version
    second = build().version
    assert first != second
    assert store.versions() == [first, second]
    assert store.current_version() == second
    assert (store.version_dir(first) / MANIFEST).is_file(), "the old version was not kept"
    assert store.rollback() == first
    assert store.current_version() == first
    assert load_index(store).version == first
    assert store.rollback(to=second) == second
    assert load_index(store).version == second


def test_rollback_after_two_builds_in_the_same_second_serves_the_older_one(build, store: IndexStore,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Two builds within one second get the same timestamp and random suffixes; these two names are what
    # new_version_name can return then. The second build is newer, whatever its suffix.
    names = iter(["20260101T000000-f00000", "20260101T000000-0a0000"])
    monkeypatch.setattr("index.build.new_version_name", lambda now=None: next(names))
    first = build().version
    second = build().version
    assert store.current_version() == second
    assert store.versions()[-1] == second, f"versions() is not oldest first: {store.versions()}"
    assert store.rollback() == first


def test_rollback_errors_are_clear(build, store: IndexStore) -> None:
    with pytest.raises(IndexUnavailable, match="no earlier index version"):
        store.rollback()
    build()
    with pytest.raises(IndexUnavailable, match="no earlier index version"):
        store.rollback()
    with pytest.raises(IndexUnavailable, match=FIX):
        store.rollback(to="20990101T000000-abcdef")


def test_prune_keeps_the_newest_and_never_the_served_one(build, store: IndexStore) -> None:
    versions = [build(keep_versions=10).version for _ in range(3)]
    assert store.versions() == versions
    store.set_current(versions[0])
    deleted = store.prune(keep=1)
    assert deleted == [versions[1]]
    assert store.versions() == [versions[0], versions[2]]
    assert load_index(store).version == versions[0]
    assert store.prune(keep=5) == []


def test_a_build_prunes_to_keep_versions(build, store: IndexStore) -> None:
    versions = [build(keep_versions=2).version for _ in range(3)]
    assert store.versions() == versions[-2:]
    assert store.current_version() == versions[-1]


def test_a_build_removes_stale_staging_folders(build, store: IndexStore) -> None:
    stale = store.new_staging_dir("20200101T000000-dead00")
    (stale / "passages.faiss").write_bytes(b"half a file")
    assert store.versions() == []
    report = build()
    assert not stale.exists()
    assert store.versions() == [report.version]


def test_no_index_yet_names_the_fix(store: IndexStore) -> None:
    with pytest.raises(IndexUnavailable, match="no index has been built yet") as caught:
        load_index(store)
    assert FIX in str(caught.value)


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe garbage \x80\x81", b'{"format_version": 1, "version": ', b"[]", b"", b'{"format_version": 1}'],
    ids=["binary", "truncated", "wrong-shape", "empty", "missing-fields"],
)
def test_a_corrupt_manifest_names_the_fix(built_index, store: IndexStore, garbage: bytes) -> None:
    (store.version_dir(built_index.version) / MANIFEST).write_bytes(garbage)
    with pytest.raises(IndexUnavailable) as caught:
        load_index(store)
    message = str(caught.value)
    assert "corrupt manifest.json" in message and FIX in message
    assert built_index.version in message


def test_a_missing_manifest_or_version_names_the_fix(built_index, store: IndexStore) -> None:
    (store.version_dir(built_index.version) / MANIFEST).unlink()
    with pytest.raises(IndexUnavailable, match=f"no manifest.json.*{FIX}"):
        load_index(store)
    (store.root / POINTER).write_text("20990101T000000-abcdef\n")
    with pytest.raises(IndexUnavailable, match=f"no manifest.json.*{FIX}"):
        load_index(store)


def test_an_unknown_format_version_names_the_fix(built_index, store: IndexStore) -> None:
    path = store.version_dir(built_index.version) / MANIFEST
    data = json.loads(path.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(IndexUnavailable, match=f"uses format {FORMAT_VERSION + 1}.*{FIX}"):
        load_index(store)


@pytest.mark.parametrize("name", ["passages.faiss", "claim_vectors.npy", "passages.jsonl", "articles.jsonl"])
def test_a_tampered_file_fails_its_checksum(built_index, store: IndexStore, name: str) -> None:
    path = store.version_dir(built_index.version) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    path.write_bytes(bytes(data))
    with pytest.raises(IndexUnavailable) as caught:
        load_index(store)
    assert f"corrupt {name}" in str(caught.value) and FIX in str(caught.value)


def test_rollback_refuses_a_corrupt_older_version_and_keeps_serving(build, store: IndexStore) -> None:
    first = build().version
    second = build().version
    (store.version_dir(first) / MANIFEST).write_bytes(b"\x00garbage")
    assert store.versions() == [first, second]
    with pytest.raises(IndexUnavailable, match=f"corrupt manifest.json.*{FIX}"):
        store.rollback()
    assert store.current_version() == second
    assert load_index(store).version == second


def test_a_deleted_file_is_reported(built_index, store: IndexStore) -> None:
    (store.version_dir(built_index.version) / "claims.jsonl").unlink()
    with pytest.raises(IndexUnavailable, match=f"missing claims.jsonl.*{FIX}"):
        load_index(store)


def test_a_model_mismatch_names_both_models_and_the_fix(build, store: IndexStore) -> None:
    build(embedder=HashingEmbedder(256))
    manifest = load_index(store).manifest
    check_model(manifest, "hashing-256", "hash", 256)  # the same model: fine
    other = load_embedder("hash:128")
    with pytest.raises(IndexUnavailable) as caught:
        check_model(manifest, other.model_id, other.backend, other.dimension)
    message = str(caught.value)
    assert "hashing-256" in message and "256d" in message
    assert "hashing-128" in message and "128d" in message
    assert FIX in message and "STACKPICK_EMBEDDING_MODEL" in message


def test_an_hnsw_index_is_used_above_the_threshold(build, store: IndexStore) -> None:
    build(hnsw_threshold=10)
    index = load_index(store)
    assert index.manifest.faiss_index == "hnsw"
    assert index.faiss.ntotal == len(index.passages)


def test_size_on_disk_counts_the_version_files(built_index, store: IndexStore) -> None:
    folder = store.version_dir(built_index.version)
    assert store.size_on_disk(built_index.version) == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert store.size_on_disk(built_index.version) > 10_000
