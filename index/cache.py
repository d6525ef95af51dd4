"""Embedding cache keyed by model and text hash, so a rebuild embeds only new or changed passages."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    """The cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors in one SQLite file; safe to interrupt at any moment (each batch is one transaction).

    One connection shared by the serving threads (reloads happen off the request thread), guarded by a lock.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))"
        )

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            batch = list(keys[i : i + 500])
            marks = ",".join("?" * len(batch))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})", [model, *batch]
                ).fetchall()
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()],
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def embed_with_cache(
    texts: Sequence[str],
    embed: Callable[[Sequence[str]], np.ndarray],
    model: str,
    dimension: int,
    cache: EmbeddingCache | None,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for all texts, embedding only those missing from the cache; returns (vectors, newly embedded)."""
    keys = [text_key(t) for t in texts]
    known = cache.get_many(model, list(dict.fromkeys(keys))) if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in known]
    if on_progress:
        on_progress(len(texts) - len(missing))
    # Embed longest first in batches: similar lengths pad less.
    missing.sort(key=lambda i: len(texts[i]), reverse=True)
    unique: dict[str, int] = {}
    for i in missing:
        unique.setdefault(keys[i], i)
    order = list(unique.values())
    for b in range(0, len(order), batch_size):
        batch = order[b : b + batch_size]
        vectors = embed([texts[i] for i in batch])
        fresh = {keys[i]: vectors[n] for n, i in enumerate(batch)}
        known.update(fresh)
        if cache:
            cache.put_many(model, fresh)
        if on_progress:
            on_progress(sum(1 for i in missing if keys[i] in fresh))
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = known[key]
    return out, len(order)
