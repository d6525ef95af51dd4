"""Load a published index version into memory, checking the manifest, the checksums and the embedding model."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.claims import Claim
from knowledge.corpus import Article

from .chunking import Passage
from .store import EXAMPLE_VECTORS, FIX, IndexStore, IndexUnavailable, Manifest, read_jsonl
from .vectors import load_bm25, load_faiss


@dataclass
class LoadedIndex:
    """Everything one version holds; the search structures load on first search, since answers need only claims."""

    manifest: Manifest
    folder: Path
    articles: dict[str, Article]
    passages: list[Passage]
    claims: list[Claim]
    claim_vectors: np.ndarray
    example_vectors: np.ndarray | None = None  # the rules' criterion examples, embedded at build time
    _faiss: Any = field(default=None, repr=False)
    _bm25: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def faiss(self) -> Any:
        if self._faiss is None:
            self._load_faiss()
        return self._faiss

    @property
    def bm25(self) -> Any:
        if self._bm25 is None:
            self._load_bm25()
        return self._bm25

    # Deferred: importing faiss and bm25s (scipy) costs a third of a second a CLI question doesn't need, and a
    # rebuild that reuses this version needs the vectors but not the BM25 index.
    def _load_faiss(self) -> None:
        with self._lock:
            if self._faiss is not None:
                return
            try:
                faiss_index = load_faiss(self.folder / "passages.faiss")
            except (OSError, ValueError, RuntimeError) as exc:
                raise IndexUnavailable(f"index version {self.version} cannot be read ({exc}); {FIX}") from exc
            if faiss_index.ntotal != len(self.passages):
                raise IndexUnavailable(f"index version {self.version} is inconsistent; {FIX}")
            self._faiss = faiss_index

    def _load_bm25(self) -> None:
        with self._lock:
            if self._bm25 is not None:
                return
            try:
                self._bm25 = load_bm25(self.folder / "bm25")
            except (OSError, ValueError, RuntimeError) as exc:
                raise IndexUnavailable(f"index version {self.version} cannot be read ({exc}); {FIX}") from exc

    def _load_search(self) -> None:
        self._load_faiss()
        self._load_bm25()


def article_from_row(row: dict[str, Any]) -> Article:
    """An Article from its articles.jsonl row."""
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


def load_index(store: IndexStore, version: str | None = None, verify: bool = True, lazy: bool = False) -> LoadedIndex:
    """Load a version (default: the current one); any problem is an IndexUnavailable naming the fix.

    `lazy` defers the FAISS and BM25 structures to the first search (their checksums are still verified now).
    """
    manifest = store.read_manifest(version)
    folder = store.version_dir(manifest.version)
    if verify:
        store.verify(manifest.version, manifest)
    try:
        articles = {a.id: a for a in (article_from_row(r) for r in read_jsonl(folder / "articles.jsonl"))}
        passages = [Passage(**r) for r in read_jsonl(folder / "passages.jsonl")]
        claims = [Claim.from_dict(r) for r in read_jsonl(folder / "claims.jsonl")]
        claim_vectors = np.load(folder / "claim_vectors.npy")
        examples_file = folder / EXAMPLE_VECTORS
        example_vectors = np.load(examples_file) if examples_file.is_file() else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(f"index version {manifest.version} cannot be read ({exc}); {FIX}") from exc
    if len(claims) != len(claim_vectors) or manifest.counts.get("passages", len(passages)) != len(passages):
        raise IndexUnavailable(f"index version {manifest.version} is inconsistent; {FIX}")
    index = LoadedIndex(manifest, folder, articles, passages, claims, claim_vectors, example_vectors)
    if not lazy:
        index._load_search()
    return index
