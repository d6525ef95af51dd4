"""Incremental builds: the embedding cache means a rebuild embeds only new or changed passages and claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.library import Librarian
from index.build import build_index
from index.cache import EmbeddingCache, embed_with_cache
from index.chunking import chunk_article
from index.embedding import HashingEmbedder
from index.loaded import load_index
from index.search import HybridSearcher
from index.store import IndexStore
from knowledge.claims import extract_claims
from knowledge.corpus import Article, article_path, load_library, parse_article_file, write_article

NEW_ARTICLE = Article(
    id="zz-lighthouse-telemetry",
    title="Lighthouse telemetry: Node.js or Python?",
    text="\n\n".join(
        [
            "Our lighthouse telemetry project streams lamp and foghorn readings from two hundred coastal stations.",
            "Node.js is the best option for the live harbour dashboard, because it keeps thousands of concurrent "
            "websocket connections open with very little memory per keeper.",
            "Python is the go-to choice for the tide forecasting models, since the oceanographers already use NumPy "
            "and pandas for their data analysis.",
            "Python is slower than Node.js when relaying the raw readings, so the relay stays in JavaScript.",
            "The keepers review the forecasts every morning and adjust the foghorn schedule before the ferries leave.",
        ]
    ),
)


def texts_to_embed(article: Article, rules, counter) -> set[str]:  # type: ignore[no-untyped-def]
    """What a build embeds for one article: its passages (under their headers) and the quotes of its claims."""
    passages = {p.embedding_text for p in chunk_article(article, counter)}
    quotes = {article.text[c.quote_start : c.quote_end] for c in extract_claims(article, rules)}
    return passages | quotes


@pytest.fixture
def cache(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite3")
    yield opened
    opened.close()


def test_adding_an_article_embeds_only_its_passages_and_claims(build, cache, library_dir: Path, store: IndexStore,
                                                               rules, token_counter) -> None:
    first = HashingEmbedder()
    report = build(embedder=first, cache=cache)
    seeds = load_library(library_dir)
    everything = set().union(*(texts_to_embed(a, rules, token_counter) for a in seeds))
    examples = {e for criterion in rules.criteria for e in criterion.examples}  # embedded once, stored with the index
    assert first.texts_embedded == report.embedded == len(everything | examples)

    write_article(library_dir, NEW_ARTICLE)
    second = HashingEmbedder()
    report = build(embedder=second, cache=cache)
    new_texts = texts_to_embed(NEW_ARTICLE, rules, token_counter)
    new_passages = chunk_article(NEW_ARTICLE, token_counter)
    new_claims = extract_claims(NEW_ARTICLE, rules)
    assert len(new_passages) >= 1 and len(new_claims) >= 3
    assert second.texts_embedded == report.embedded == len(new_texts)
    assert second.texts_embedded <= len(new_passages) + len(new_claims)
    assert report.added_articles == [NEW_ARTICLE.id] and report.removed_articles == []

    hits = HybridSearcher(load_index(store), HashingEmbedder()).search("lighthouse foghorn telemetry", k=3)
    assert hits[0].article_id == NEW_ARTICLE.id


def test_an_unchanged_rebuild_embeds_nothing(build, cache) -> None:
    build(cache=cache)
    again = HashingEmbedder()
    report = build(embedder=again, cache=cache)
    assert again.calls == 0 and report.embedded == 0


def test_editing_one_article_re_embeds_only_what_changed(build, cache, library_dir: Path, rules,
                                                         token_counter) -> None:
    build(cache=cache)
    seed = load_library(library_dir)[4]
    edited = seed.model_copy(update={"text": seed.text.replace("Making the Decision", "Making the Call")})
    assert edited.text != seed.text
    write_article(library_dir, edited)
    embedder = HashingEmbedder()
    build(embedder=embedder, cache=cache)
    changed = texts_to_embed(edited, rules, token_counter) - texts_to_embed(seed, rules, token_counter)
    assert 1 <= embedder.texts_embedded == len(changed) < len(chunk_article(seed, token_counter)) + 5


def test_removing_an_article_embeds_nothing(build, cache, library_dir: Path) -> None:
    build(cache=cache)
    article_path(library_dir, "004-cd1a73b994173223").unlink()
    embedder = HashingEmbedder()
    report = build(embedder=embedder, cache=cache)
    assert embedder.texts_embedded == 0
    assert report.removed_articles == ["004-cd1a73b994173223"] and report.articles == 4


def test_the_cache_is_keyed_by_model(build, cache, library_dir: Path, rules, token_counter) -> None:
    build(embedder=HashingEmbedder(256), cache=cache)
    other = HashingEmbedder(128)
    build(embedder=other, cache=cache)
    everything = set().union(*(texts_to_embed(a, rules, token_counter) for a in load_library(library_dir)))
    examples = {e for criterion in rules.criteria for e in criterion.examples}
    assert other.texts_embedded == len(everything | examples)


def test_embed_with_cache_embeds_each_distinct_text_once(cache) -> None:
    embedder = HashingEmbedder(32)
    texts = ["alpha beta", "gamma", "alpha beta", "delta epsilon zeta"]
    vectors, fresh = embed_with_cache(texts, embedder.embed, embedder.model_id, 32, cache, batch_size=2)
    assert fresh == 3 and embedder.texts_embedded == 3
    assert vectors.shape == (4, 32)
    assert (vectors[0] == vectors[2]).all()
    direct = HashingEmbedder(32).embed(texts)
    assert abs(vectors - direct).max() < 1e-6
    again, fresh = embed_with_cache(texts, embedder.embed, embedder.model_id, 32, cache)
    assert fresh == 0 and embedder.texts_embedded == 3
    assert (again == vectors).all()


def test_librarian_add_embeds_only_the_new_article(settings, built_index, tmp_path: Path, rules, token_counter,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    counting = HashingEmbedder()
    monkeypatch.setattr("bot.services.library.build_embedder", lambda *args, **kwargs: counting)
    source = tmp_path / "lighthouse.md"
    source.write_text(NEW_ARTICLE.to_markdown(), encoding="utf-8")
    report = Librarian(settings).add([str(source)])
    assert report.added == [NEW_ARTICLE.id]
    stored = parse_article_file(article_path(settings.library_dir, NEW_ARTICLE.id))
    assert stored.text == NEW_ARTICLE.text
    assert counting.texts_embedded == len(texts_to_embed(stored, rules, token_counter))
    assert report.build is not None and report.build.embedded == counting.texts_embedded
    assert report.passages_added == len(chunk_article(stored, token_counter))
    index = load_index(IndexStore(settings.index_dir))
    assert index.version == report.version
    hits = HybridSearcher(index, HashingEmbedder()).search("lighthouse foghorn telemetry", k=3)
    assert hits[0].article_id == NEW_ARTICLE.id


def _contents(store: IndexStore) -> tuple[list[object], list[object], object, object, object]:
    index = load_index(store)
    vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal)
    keywords = HybridSearcher(index, HashingEmbedder()).search("lighthouse event loop pandas", k=8, mode="bm25")
    return index.passages, index.claims, vectors, index.claim_vectors, [(h.passage_id, h.score) for h in keywords]


def test_a_rebuild_reuses_unchanged_articles_without_parsing_them(build, library_dir: Path, store: IndexStore,
                                                                   rules, token_counter,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = Article(id="zz-quiet", title="Field notes",
                    text="The harbour wall was repainted in spring and the gulls moved to the north pier. " * 12)
    write_article(library_dir, quiet)  # an article that takes no side: no claims to carry over
    build()
    write_article(library_dir, NEW_ARTICLE)
    parsed: list[str] = []
    real_parse = parse_article_file

    def counting_parse(path: Path) -> Article:
        parsed.append(path.name)
        return real_parse(path)

    monkeypatch.setattr("index.build.parse_article_file", counting_parse)
    embedder = HashingEmbedder()
    report = build(embedder=embedder)
    assert parsed == [article_path(library_dir, NEW_ARTICLE.id).name]  # the five seeds came from the index
    assert embedder.texts_embedded == len(texts_to_embed(NEW_ARTICLE, rules, token_counter))  # no cache at all
    assert report.added_articles == [NEW_ARTICLE.id]
    reused = _contents(store)

    # The same library built from scratch gives the same version contents, row for row.
    build_index(library_dir, store, HashingEmbedder(), token_counter, rules, reuse=False)
    passages, claims, vectors, claim_vectors, keywords = _contents(store)
    assert reused[0] == passages and reused[1] == claims
    assert (reused[2] == vectors).all() and (reused[3] == claim_vectors).all()
    assert reused[4] == keywords and keywords  # BM25 from reused tokens ranks exactly as from fresh ones
    assert not [c for c in claims if c.article_id == quiet.id]


def test_an_edited_file_is_read_again_and_other_rules_mean_a_full_build(build, library_dir: Path, store: IndexStore,
                                                                        rules, token_counter,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    build()
    seed = load_library(library_dir)[2]
    write_article(library_dir, seed.model_copy(update={"text": seed.text + "\n\nNode.js is the best option."}))
    parsed: list[str] = []
    real_parse = parse_article_file
    monkeypatch.setattr("index.build.parse_article_file", lambda path: parsed.append(path.name) or real_parse(path))
    build()
    assert parsed == [article_path(library_dir, seed.id).name]
    assert "Node.js is the best option." in load_index(store).articles[seed.id].text

    parsed.clear()
    other_rules = rules.model_copy(update={"source_hash": "edited rules"})
    build_index(library_dir, store, HashingEmbedder(), token_counter, other_rules)
    assert len(parsed) == len(load_library(library_dir))  # claims depend on the rules: nothing is reused


def test_a_version_gives_its_librarys_stemmed_words_without_loading_bm25(build, store: IndexStore,
                                                                          library_dir: Path) -> None:
    from index.vectors import tokenize

    write_article(library_dir, NEW_ARTICLE)
    build()
    loaded = load_index(store, lazy=True)
    stems = loaded.library_stems()
    assert stems is not None and loaded._bm25 is None  # read from the vocabulary file alone
    words = {token for tokens in tokenize([a.text for a in load_library(library_dir)]) for token in tokens}
    assert set(stems) == words and {"lighthous", "foghorn"} <= set(stems)
