"""Load a published index version into memory, checking the manifest, the checksums and the embedding model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.claims import Claim
from knowledge.corpus import Article

from .chunking import Passage
from .store import FIX, IndexStore, IndexUnavailable, Manifest, read_jsonl
from .vectors import load_bm25, load_faiss


@dataclass
class LoadedIndex:
    """Everything one version holds, ready to search."""

    manifest: Manifest
    folder: Path
    articles: dict[str, Article]
    passages: list[Passage]
    claims: list[Claim]
    claim_vectors: np.ndarray
    faiss: Any
    bm25: Any

    @property
    def version(self) -> str:
        return self.manifest.version


def _article(row: dict[str, Any]) -> Article:
    for key in ("published", "updated"):
        if row.get(key):
            row[key] = dt.date.fromisoformat(row[key])
    return Article(**row)


def check_model(manifest: Manifest, model_id: str, backend: str, dimension: int, fingerprint: str = "") -> None:
    """Refuse an index built with another embedding model or backend: its vectors mean nothing to this one."""
    built = manifest.embedding
    same_encoder = not (built.fingerprint and fingerprint) or built.fingerprint == fingerprint
    if (built.model, built.backend, built.dimension) != (model_id, backend, dimension) or not same_encoder:
        raise IndexUnavailable(
            f"index version {manifest.version} was built with {built.model} ({built.backend}, {built.dimension}d) "
            f"but the configured model is {model_id} ({backend}, {dimension}d); {FIX} or set "
            "STACKPICK_EMBEDDING_MODEL and STACKPICK_EMBEDDING_BACKEND to match"
        )


def load_index(store: IndexStore, version: str | None = None, verify: bool = True) -> LoadedIndex:
    """Load a version (default: the current one); any problem is an IndexUnavailable naming the fix."""
    manifest = store.read_manifest(version)
    folder = store.version_dir(manifest.version)
    if verify:
        store.verify(manifest.version, manifest)
    try:
        articles = {a.id: a for a in (_article(r) for r in read_jsonl(folder / "articles.jsonl"))}
        passages = [Passage(**r) for r in read_jsonl(folder / "passages.jsonl")]
        claims = [Claim.from_dict(r) for r in read_jsonl(folder / "claims.jsonl")]
        claim_vectors = np.load(folder / "claim_vectors.npy")
        faiss_index = load_faiss(folder / "passages.faiss")
        bm25 = load_bm25(folder / "bm25")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(f"index version {manifest.version} cannot be read ({exc}); {FIX}") from exc
    if len(passages) != faiss_index.ntotal or len(claims) != len(claim_vectors):
        raise IndexUnavailable(f"index version {manifest.version} is inconsistent; {FIX}")
    return LoadedIndex(manifest, folder, articles, passages, claims, claim_vectors, faiss_index, bm25)
