"""Claim vectors are stored grouped by criterion and side, with the order that maps them back to the claims."""

from __future__ import annotations

import numpy as np

from index.claim_order import grouped_order
from index.embedding import HashingEmbedder
from index.loaded import load_index
from index.store import IndexStore
from index.version_files import CLAIM_ORDER, VersionFiles


def test_a_version_stores_its_claim_vectors_grouped_with_their_order(built_index, store: IndexStore) -> None:
    index = load_index(store)
    assert index.claims and index.claim_order is not None
    assert np.array_equal(index.claim_order, grouped_order(index.claims))
    # Row k of the stored matrix is the embedding of claim order[k]'s quote, and claim_vector(row) finds it.
    quotes = [index.articles[c.article_id].text[c.quote_start : c.quote_end] for c in index.claims]
    expected = HashingEmbedder().embed(quotes)
    assert np.array_equal(index.claim_vectors, expected[index.claim_order])
    for row in range(len(index.claims)):
        assert np.array_equal(index.claim_vector(row), expected[row])


def test_a_version_from_before_the_order_was_stored_still_loads(built_index, store: IndexStore) -> None:
    index = load_index(store)
    files = VersionFiles(index.folder)
    in_claims_order = np.stack([index.claim_vector(row) for row in range(len(index.claims))])
    np.save(files.path("claim_vectors.npy"), in_claims_order)  # as older versions wrote it
    files.path(CLAIM_ORDER).unlink()
    legacy = load_index(store, verify=False)
    assert legacy.claim_order is None
    assert np.array_equal(legacy.claim_vector(3), in_claims_order[3])
