"""The two searchable structures of a version: a FAISS vector index and a bm25s keyword index."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

# bm25s tokenizes with this pattern; the query is tokenized the same way so both sides agree.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def build_faiss(vectors: np.ndarray, hnsw_threshold: int) -> Any:
    """Exact inner product (cosine on normalized vectors) below the threshold, HNSW above it."""
    import faiss

    dimension = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
    index: Any
    if len(vectors) >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_faiss(index, path: Path) -> str:
    import faiss

    faiss.write_index(index, str(path))
    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"


def load_faiss(path: Path):
    import faiss

    return faiss.read_index(str(path))


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lowercase word tokens, English stop words removed, stemmed: what BM25 indexes and queries."""
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in tokens]


def build_bm25_from_tokens(tokens: list[list[str]]):
    """A BM25 index over already tokenized passages (a rebuild reuses the tokens of unchanged ones)."""
    import bm25s

    retriever = bm25s.BM25()
    if tokens:
        retriever.index(tokens, show_progress=False)
    return retriever


def save_bm25(retriever, folder: Path) -> None:
    retriever.save(str(folder), show_progress=False)


def load_bm25(folder: Path):
    import bm25s

    return bm25s.BM25.load(str(folder), show_progress=False)


BM25_VOCABULARY = "vocab.index.json"  # bm25s's saved token -> column map


def load_bm25_vocabulary(folder: Path) -> list[str] | None:
    """The stemmed words a saved BM25 index knows, read without loading its matrices (None if it has none)."""
    path = folder / BM25_VOCABULARY
    if not path.is_file():
        return None
    vocabulary = json.loads(path.read_text(encoding="utf-8"))
    return [token for token in vocabulary if token] if isinstance(vocabulary, dict) else None


def bm25_search(retriever, query: str, k: int) -> list[tuple[int, float]]:
    """(passage row, score) pairs, best first; words the library never uses are ignored."""
    vocab = getattr(retriever, "vocab_dict", None) or {}
    tokens = [t for t in tokenize([query])[0] if t in vocab]
    if not tokens or not vocab:
        return []
    k = min(k, int(retriever.scores["num_docs"]))
    docs, scores = retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1)
    return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
