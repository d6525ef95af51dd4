"""Hybrid search with the hashing embedder: fused results, exact offsets, per-article caps, and RRF by hand."""

from __future__ import annotations

from collections import Counter

import pytest

from index.embedding import HashingEmbedder
from index.loaded import LoadedIndex, load_index
from index.search import HybridSearcher, rrf
from index.store import IndexStore
from knowledge.corpus import load_library


@pytest.fixture
def index(built_index, store: IndexStore) -> LoadedIndex:
    return load_index(store)


@pytest.fixture
def searcher(index: LoadedIndex) -> HybridSearcher:
    return HybridSearcher(index, HashingEmbedder())


def test_rrf_fuses_rankings_by_reciprocal_rank() -> None:
    fused = rrf([[10, 20, 30], [30, 10]], k=1)
    assert fused == pytest.approx({10: 1 / 2 + 1 / 3, 20: 1 / 3, 30: 1 / 4 + 1 / 2})
    assert sorted(fused, key=lambda item: -fused[item]) == [10, 30, 20]


def test_rrf_rewards_agreement_over_a_single_top_rank() -> None:
    # 7 is first in one list only; 8 is second in both: with k=60 agreement wins
    fused = rrf([[7, 8], [9, 8]], k=60)
    assert fused[8] == pytest.approx(2 / 62)
    assert fused[8] > fused[7] == pytest.approx(1 / 61) == fused[9]
    assert rrf([]) == {} and rrf([[], []]) == {}


def test_real_time_chat_finds_passages_from_several_articles(searcher: HybridSearcher, index: LoadedIndex) -> None:
    hits = searcher.search("real-time chat", k=5)
    assert len(hits) == 5
    assert len({h.article_id for h in hits}) >= 2
    assert any("real-time" in h.text.lower() for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert hit.dense_rank is not None or hit.bm25_rank is not None


def test_every_hit_is_the_article_text_at_its_offsets(searcher: HybridSearcher, library_dir) -> None:
    articles = {a.id: a for a in load_library(library_dir)}
    for query in ("real-time chat", "memory-intensive tasks", "machine learning libraries", "learning curve"):
        for hit in searcher.search(query, k=8):
            article = articles[hit.article_id]
            assert article.text[hit.start : hit.end] == hit.text
            assert hit.title == article.display_title
            assert hit.date == (article.date.isoformat() if article.date else None)
            assert hit.url == article.url


def test_article_metadata_travels_with_the_hit(searcher: HybridSearcher) -> None:
    hits = searcher.search("NodeJS vs Python choose the best backend language Vinay", k=20)
    dated = [h for h in hits if h.article_id == "003-ae1fe6b9f58f1b66"]
    assert dated and all(h.date == "2024-04-14" for h in dated)
    assert dated[0].title == "NodeJS vs Python: Choose the Best Backend Language"


@pytest.mark.parametrize("cap", [1, 2])
def test_per_article_caps_hits_from_one_article(searcher: HybridSearcher, cap: int) -> None:
    hits = searcher.search("Node.js Python backend performance", k=10, per_article=cap)
    counts = Counter(h.article_id for h in hits)
    assert max(counts.values()) <= cap
    assert len(hits) == min(10, 5 * cap)


def test_without_a_cap_one_article_can_fill_the_results(searcher: HybridSearcher) -> None:
    hits = searcher.search("Node.js Python backend performance", k=10)
    assert len(hits) == 10
    assert max(Counter(h.article_id for h in hits).values()) >= 3


def test_dense_and_bm25_modes_rank_with_one_retriever_each(searcher: HybridSearcher) -> None:
    dense = searcher.search("real-time chat", k=5, mode="dense")
    keyword = searcher.search("real-time chat", k=5, mode="bm25")
    assert dense and keyword
    assert all(h.dense_rank is not None and h.bm25_rank is None for h in dense)
    assert [h.dense_rank for h in dense] == [1, 2, 3, 4, 5]
    assert all(h.bm25_rank is not None for h in keyword)
    assert [h.bm25_rank for h in keyword] == sorted(h.bm25_rank for h in keyword)  # type: ignore[type-var]


def test_hybrid_ranks_a_passage_both_retrievers_like_first(searcher: HybridSearcher) -> None:
    hybrid = searcher.search("memory-intensive tasks", k=3)
    top = hybrid[0]
    assert top.dense_rank is not None and top.bm25_rank is not None
    assert "memory-intensive" in top.text


def test_k_limits_the_number_of_hits(searcher: HybridSearcher, index: LoadedIndex) -> None:
    assert len(searcher.search("Python", k=1)) == 1
    everything = searcher.search("Python Node.js", k=1000)
    assert len(everything) <= len(index.passages)
    assert len({h.passage_id for h in everything}) == len(everything)


def test_words_the_library_never_uses_find_nothing_by_keyword(searcher: HybridSearcher) -> None:
    assert searcher.keyword("zyxwvut qqqqq", 5) == []
    assert searcher.keyword("the and of", 5) == []  # stop words only
    assert searcher.search("zyxwvut qqqqq", k=5, mode="bm25") == []
