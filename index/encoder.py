"""The exported text encoder stored with each index version: an ONNX model and its tokenizer, run without torch."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

ENCODER_DIR = "encoder"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
INFO_FILE = "encoder.json"
ONNX_BACKENDS = ("onnx-int8", "onnx")
# Batches are cut from length-sorted texts by size: about 8 passages of ~1,000 characters (8 measured fastest here),
# but many more short claims, whose per-call overhead would otherwise cost more than their compute.
BATCH_CHARS = 8_000
MAX_BATCH = 64


class EncoderInfo(BaseModel):
    """What `encoder.json` records: enough to rebuild the exact vectors sentence-transformers would make."""

    model: str  # the model's name, e.g. all-MiniLM-L6-v2
    backend: str  # onnx-int8 or onnx
    dimension: int
    max_seq_length: int
    normalize: bool = True
    pooling: str = "mean"
    source_fingerprint: str  # identifies the model folder it was exported from
    fingerprint: str  # sha256 of model.onnx: vectors from two encoders match only if this does
    exported_with: str = ""


class EncoderMissing(RuntimeError):
    """No usable encoder folder; the message says what to do."""


def read_encoder_info(folder: Path) -> EncoderInfo:
    path = folder / INFO_FILE
    if not path.is_file() or not (folder / MODEL_FILE).is_file() or not (folder / TOKENIZER_FILE).is_file():
        raise EncoderMissing(f"{folder} holds no exported encoder ({INFO_FILE}, {MODEL_FILE}, {TOKENIZER_FILE})")
    return EncoderInfo.model_validate_json(path.read_text(encoding="utf-8"))


def write_encoder_info(folder: Path, info: EncoderInfo) -> None:
    (folder / INFO_FILE).write_text(json.dumps(info.model_dump(), indent=2) + "\n", encoding="utf-8")


# A question is one short text, embedded on two threads that sleep rather than spin while they wait. Over the
# benchmark's questions on a 2-core machine: one thread 7.3 ms median / 10.5 ms p95; two spinning threads 4.9 / 6.7,
# but 9.7 / 17.4 when another process holds a core (they spin against it); two that sleep 5.3 / 7.2 on a quiet
# machine and 7.3 / 11.2 beside that process, where one thread took 7.9 / 11.5. Vectors are bit-identical.
# STACKPICK_ONNX_THREADS overrides the count.
QUERY_THREADS = 2
SMALL_BATCH = 4  # up to this many texts are tokenized one by one: a question's texts, not a build's batches


def _threads(default: int | None = None) -> int:
    return int(os.environ.get("STACKPICK_ONNX_THREADS", "0")) or default or (os.cpu_count() or 1)


def token_arrays(tokenizer: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, padded to the longest text: what `encode_batch` gives, without its thread
    pool for a handful of texts (waking it cost a question up to 4-12 ms on a busy machine)."""
    if len(texts) > SMALL_BATCH:
        encodings = tokenizer.encode_batch(list(texts))
        return (np.asarray([e.ids for e in encodings], dtype=np.int64),
                np.asarray([e.attention_mask for e in encodings], dtype=np.int64))
    encodings = [tokenizer.encode(text) for text in texts]
    width = max(len(e.ids) for e in encodings)
    pad_id = (tokenizer.padding or {}).get("pad_id", 0)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.attention_mask)] = encoding.attention_mask
    return ids, mask


class OnnxEmbedder:
    """Embeds with the exported model: tokenizers + onnxruntime, mean pooling and L2 normalization.

    Loading takes about 0.1 s (no torch, no transformers), so a CLI question can afford it.
    """

    def __init__(self, folder: Path, batch_chars: int = BATCH_CHARS, workers: int = 1, threads: int | None = None,
                 spin: bool = True) -> None:
        self.folder = folder
        self.workers = workers
        self.threads = threads  # onnxruntime's intra-op threads (None: every core, as a build wants)
        self.spin = spin  # whether idle intra-op threads spin: a build's batches keep them busy, a question does not
        self._pool: Any = None
        self.info = read_encoder_info(folder)
        self.model_id = self.info.model
        self.backend = self.info.backend
        self.dimension = self.info.dimension
        self.fingerprint = self.info.fingerprint
        self.batch_chars = batch_chars
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: list[str] = []
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(self.info.max_seq_length)
                tokenizer.enable_padding()
                options = ort.SessionOptions()
                options.intra_op_num_threads = _threads(self.threads)
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3  # warnings about unused initializers are noise to a user
                if not self.spin:
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = ort.InferenceSession(
                    str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
                )
                self._input_names = [i.name for i in session.get_inputs()]
                self._tokenizer, self._session = tokenizer, session
        return self._session, self._tokenizer

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer = self._load()
        ids, mask = token_arrays(tokenizer, texts)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, {name: feed[name] for name in self._input_names})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.info.normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.clip(norms, 1e-12, None)
        return pooled.astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:
            return self._run(texts)
        # Batch by length so each batch pads to its own longest text, not the longest of all. The batches are the
        # same whether one process or several run them: int8 activations are scaled per batch, so the vectors are
        # too.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches: list[list[int]] = [[]]
        for i in order:
            batch = batches[-1]
            if batch and (len(batch) >= MAX_BATCH or (len(batch) + 1) * len(texts[i]) > self.batch_chars):
                batches.append([i])
            else:
                batch.append(i)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if self.workers > 1 and len(batches) >= 2 * self.workers:
            pool = self._worker_pool()
            results = pool.map(_embed_in_worker, [[texts[i] for i in rows] for rows in batches])
            for rows, vectors in zip(batches, results, strict=True):
                out[rows] = vectors
            return out
        for rows in batches:
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _worker_pool(self) -> Any:
        # Processes, not threads: one single-threaded session per core embedded passages ~1.8x faster here than
        # one session using both cores, whose threads wait on each other at these small matrix sizes.
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(str(self.folder), self.batch_chars),
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker processes, if any were started (a build calls this when it is done)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_worker: OnnxEmbedder | None = None


def _start_worker(folder: str, batch_chars: int) -> None:
    global _worker
    os.environ["STACKPICK_ONNX_THREADS"] = "1"
    _worker = OnnxEmbedder(Path(folder), batch_chars=batch_chars)


def _embed_in_worker(batch: list[str]) -> np.ndarray:
    assert _worker is not None, "worker not initialized"
    return _worker._run(batch)


def build_workers() -> int:
    """How many embedding processes a build uses: one per core, unless STACKPICK_BUILD_WORKERS says otherwise."""
    configured = int(os.environ.get("STACKPICK_BUILD_WORKERS", "0"))
    return configured or (os.cpu_count() or 1)
