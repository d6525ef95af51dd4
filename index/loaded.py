"""Load a published index version into memory, checking the manifest, the checksums and the embedding model."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.claims import Claim
from knowledge.corpus import Article

from .chunking import Passage
from .claim_order import is_permutation, positions_of
from .embedding import Embedder, bind_embedder
from .encoder import EncoderMissing
from .store import FIX, IndexStore, IndexUnavailable, Manifest
from .version_files import VersionFiles


@dataclass
class LoadedIndex:
    """Everything one version holds; the search structures load on first search, since answers need only claims."""

    manifest: Manifest
    folder: Path
    articles: dict[str, Article]
    passages: list[Passage]
    claims: list[Claim]
    claim_vectors: np.ndarray  # as stored: row k is the vector of claim row claim_order[k]
    example_vectors: np.ndarray | None = None  # the rules' criterion examples, embedded at build time
    claim_order: np.ndarray | None = None  # None: claim_vectors are in claims order (versions before claim_order.npy)
    _faiss: Any = field(default=None, repr=False)
    _bm25: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _claim_positions: np.ndarray | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        return self.manifest.version

    def claim_vector(self, rows: int | np.ndarray) -> np.ndarray:
        """The quote vector of claim `rows` (its index in `claims`), or the vectors of an array of such rows."""
        if self.claim_order is None:
            return self.claim_vectors[rows]
        if self._claim_positions is None:
            self._claim_positions = positions_of(self.claim_order)
        return self.claim_vectors[self._claim_positions[rows]]

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
                faiss_index = VersionFiles(self.folder).read_faiss()
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
                self._bm25 = VersionFiles(self.folder).read_bm25()
            except (OSError, ValueError, RuntimeError) as exc:
                raise IndexUnavailable(f"index version {self.version} cannot be read ({exc}); {FIX}") from exc

    def _load_search(self) -> None:
        self._load_faiss()
        self._load_bm25()

    def library_stems(self) -> list[str] | None:
        """The library's words, stemmed, as its BM25 index knows them: read from that index's vocabulary alone,
        without loading the index or re-reading every article (None when the version has no such file)."""
        try:
            return VersionFiles(self.folder).read_bm25_vocabulary()
        except (OSError, ValueError):
            return None

    def passages_per_article(self) -> dict[str, int]:
        """How many passages each article was cut into."""
        counts: dict[str, int] = {}
        for passage in self.passages:
            counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
        return counts


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
        files = VersionFiles(folder)
        articles = files.read_articles()
        passages = files.read_passages()
        claims = files.read_claims()
        claim_vectors = files.read_claim_vectors()
        claim_order = files.read_claim_order()
        example_vectors = files.read_example_vectors()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(f"index version {manifest.version} cannot be read ({exc}); {FIX}") from exc
    if (len(claims) != len(claim_vectors) or manifest.counts.get("passages", len(passages)) != len(passages)
            or (claim_order is not None and not is_permutation(claim_order, len(claims)))):
        raise IndexUnavailable(f"index version {manifest.version} is inconsistent; {FIX}")
    index = LoadedIndex(manifest, folder, articles, passages, claims, claim_vectors, example_vectors, claim_order)
    if not lazy:
        index._load_search()
    return index


def bind_query_encoder(embedder: Embedder, index: LoadedIndex, current: Embedder | None = None) -> Embedder:
    """The embedder that queries this version: its own stored encoder (or `embedder` itself), checked against the
    manifest; anything unusable is an IndexUnavailable naming the fix. `current` is kept when it is the same model."""
    try:
        bound = bind_embedder(embedder, index.folder, current)
    except (EncoderMissing, ValueError, OSError) as error:
        raise IndexUnavailable(f"index version {index.version} has no usable encoder ({error}); {FIX}") from error
    check_model(index.manifest, bound.model_id, bound.backend, bound.dimension, getattr(bound, "fingerprint", ""))
    return bound
