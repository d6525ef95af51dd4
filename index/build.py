"""Build a new index version from the library: read, chunk, extract claims, embed (cached), write, publish."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.claims import Claim, extract_claims
from knowledge.corpus import Article, LibraryError, corpus_hash, load_library
from knowledge.rules import Rules

from .cache import EmbeddingCache, embed_with_cache
from .chunking import Passage, chunk_article
from .embedding import Embedder, embedding_key
from .encoder import ENCODER_DIR
from .store import (
    EXAMPLE_VECTORS,
    FORMAT_VERSION,
    EmbeddingInfo,
    IndexStore,
    Manifest,
    new_version_name,
    read_jsonl,
    write_jsonl,
)
from .tokens import TokenCounter
from .vectors import build_bm25, build_faiss, save_bm25, save_faiss

ProgressHook = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildReport:
    """What a build did."""

    version: str
    articles: int
    passages: int
    claims: int
    embedded: int  # passages and claims embedded now (the rest came from the cache)
    seconds: float
    added_articles: list[str]
    removed_articles: list[str]


def _article_row(article: Article) -> dict[str, object]:
    return {**article.front_matter(), "text": article.text}


def _passage_row(p: Passage) -> dict[str, object]:
    return asdict(p)


def build_index(
    library_dir: Path,
    store: IndexStore,
    embedder: Embedder,
    counter: TokenCounter,
    rules: Rules,
    cache: EmbeddingCache | None = None,
    hnsw_threshold: int = 50_000,
    keep_versions: int = 5,
    progress: ProgressHook | None = None,
) -> BuildReport:
    """Build and atomically publish a new version; the served version is untouched until the last step."""
    with store.build_lock():
        return _build(library_dir, store, embedder, counter, rules, cache, hnsw_threshold, keep_versions, progress)


def _build(
    library_dir: Path,
    store: IndexStore,
    embedder: Embedder,
    counter: TokenCounter,
    rules: Rules,
    cache: EmbeddingCache | None,
    hnsw_threshold: int,
    keep_versions: int,
    progress: ProgressHook | None,
) -> BuildReport:
    started = time.perf_counter()
    note = progress or (lambda stage, done, total: None)
    store.clean_stale_staging()  # safe: we hold the build lock, so no other build is writing
    previous = _previous_articles(store)

    articles = load_library(library_dir)
    if not articles:
        raise LibraryError(f"{library_dir}: the library has no articles; add one with `stackpick index add`")
    note("reading", len(articles), len(articles))
    passages: list[Passage] = []
    claims: list[Claim] = []
    for n, article in enumerate(articles, 1):
        passages.extend(chunk_article(article, counter))
        claims.extend(extract_claims(article, rules))
        note("chunking", n, len(articles))

    by_id = {a.id: a for a in articles}
    claim_texts = [by_id[c.article_id].text[c.quote_start : c.quote_end] for c in claims]
    # The rules' criterion examples too: a question's relevance to each criterion is measured against them, and
    # stored with the index they cost a cold start nothing.
    example_texts = [e for criterion in rules.criteria for e in criterion.examples]
    texts = [p.text for p in passages] + claim_texts + example_texts
    done = 0

    def embedded(count: int) -> None:
        nonlocal done
        done += count
        note("embedding", done, len(texts))

    vectors, fresh = embed_with_cache(texts, embedder.embed, embedding_key(embedder), embedder.dimension, cache,
                                      on_progress=embedded)
    passage_vectors = vectors[: len(passages)]
    claim_vectors = vectors[len(passages) : len(passages) + len(claims)]
    example_vectors = vectors[len(passages) + len(claims) :]

    version = new_version_name()
    staging = store.new_staging_dir(version)
    note("writing", 0, 1)
    faiss_kind = save_faiss(build_faiss(passage_vectors, hnsw_threshold), staging / "passages.faiss")
    save_bm25(build_bm25([p.text for p in passages]), staging / "bm25")
    np.save(staging / "claim_vectors.npy", claim_vectors)
    np.save(staging / EXAMPLE_VECTORS, example_vectors)
    encoder = getattr(embedder, "folder", None)
    if encoder is not None:
        # The index carries its own query encoder, so questions are embedded by exactly the model that embedded
        # the passages, and serving needs neither torch nor the original model.
        link_tree(Path(encoder), staging / ENCODER_DIR)
    write_jsonl(staging / "articles.jsonl", (_article_row(a) for a in articles))
    write_jsonl(staging / "passages.jsonl", (_passage_row(p) for p in passages))
    write_jsonl(staging / "claims.jsonl", (c.to_dict() for c in claims))
    seconds = time.perf_counter() - started
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        version=version,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        embedding=EmbeddingInfo(model=embedder.model_id, backend=embedder.backend, dimension=embedder.dimension,
                                fingerprint=getattr(embedder, "fingerprint", "")),
        counts={"articles": len(articles), "passages": len(passages), "claims": len(claims),
                "vectors": int(passage_vectors.shape[0])},
        corpus_hash=corpus_hash(articles),
        rules_hash=rules.source_hash,
        faiss_index=faiss_kind,
        files={},
        build_seconds=round(seconds, 3),
        sequence=store.next_sequence(),
    )
    store.finalize(staging, manifest)
    store.set_current(version)
    store.prune(keep_versions)
    note("writing", 1, 1)
    current = {a.id for a in articles}
    return BuildReport(
        version=version,
        articles=len(articles),
        passages=len(passages),
        claims=len(claims),
        embedded=fresh,
        seconds=time.perf_counter() - started,
        added_articles=sorted(current - previous),
        removed_articles=sorted(previous - current),
    )


def link_tree(source: Path, target: Path) -> None:
    """Hard-link a folder's files into `target` (copy across file systems): versions share one model file."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file():
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copy2(path, target / path.name)


def _previous_articles(store: IndexStore) -> set[str]:
    version = store.current_version()
    if version is None:
        return set()
    path = store.version_dir(version) / "articles.jsonl"
    try:
        return {str(row["id"]) for row in read_jsonl(path)}
    except (OSError, ValueError, KeyError):
        return set()
