"""Text embedders: the bundled sentence-transformers model, any local model folder, or a deterministic hashing fake."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BUNDLED = "bundled"
HASHING = "hash"


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors; `model_id` and `backend` identify the vector space."""

    model_id: str
    backend: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded offline on first use (importing torch takes seconds)."""

    backend = "sentence-transformers"

    def __init__(self, model_dir: Path, model_id: str, batch_size: int = 32) -> None:
        self.model_dir = model_dir
        self.model_id = model_id
        self.batch_size = batch_size
        self._model: Any = None
        self.dimension = self._read_dimension(model_dir)

    @staticmethod
    def _read_dimension(model_dir: Path) -> int:
        import json

        config = json.loads((model_dir / "config.json").read_text())
        return int(config.get("hidden_size") or config.get("dim") or config["d_model"])

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_dir), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """Deterministic bag-of-words-and-trigrams vectors: related wording scores high, no model needed.

    Used by unit tests and as an offline fallback; it counts calls so tests can prove what was re-embedded.
    """

    backend = "hash"

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.model_id = f"hashing-{dimension}"
        self.calls = 0
        self.texts_embedded = 0

    def _features(self, text: str) -> list[str]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        return words + grams

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
        return _normalize(out)


def load_embedder(spec: str) -> Embedder:
    """An embedder from a settings value: 'bundled', 'hash' or 'hash:DIM', or a local model folder."""
    if spec == BUNDLED:
        from .tokens import bundled_model_path

        return SentenceTransformerEmbedder(bundled_model_path(), "all-MiniLM-L6-v2")
    if spec == HASHING or spec.startswith(HASHING + ":"):
        _, _, dim = spec.partition(":")
        return HashingEmbedder(int(dim) if dim else 256)
    folder = Path(spec).expanduser()
    if not (folder / "config.json").is_file():
        raise ValueError(
            f"embedding model {spec!r} is not 'bundled', 'hash' or a local sentence-transformers folder"
        )
    return SentenceTransformerEmbedder(folder, folder.name)


def tokenizer_dir(spec: str) -> str | None:
    """The folder whose tokenizer.json measures passages for this embedder (None: the bundled model's)."""
    if spec == BUNDLED or spec.startswith(HASHING):
        return None
    return str(Path(spec).expanduser())
