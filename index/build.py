"""Build a new index version from the library: read, chunk, extract claims, embed (cached), write, publish."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.claims import Claim, extract_claims
from knowledge.corpus import Article, LibraryError, corpus_hash, load_library, parse_article_file
from knowledge.rules import Rules

from .cache import EmbeddingCache, embed_with_cache
from .chunking import MODEL_WINDOW, OVERLAP_SENTENCES, TARGET_TOKENS, Passage, chunk_article
from .embedding import Embedder, embedding_key
from .encoder import ENCODER_DIR
from .loaded import LoadedIndex, load_index
from .loaded import article_from_row as _article_from_row
from .store import (
    BM25_TOKENS,
    EXAMPLE_VECTORS,
    FORMAT_VERSION,
    SOURCES,
    EmbeddingInfo,
    IndexStore,
    IndexUnavailable,
    Manifest,
    new_version_name,
    read_jsonl,
    write_json_atomic,
    write_jsonl,
)
from .tokens import TokenCounter
from .vectors import build_bm25_from_tokens, build_faiss, save_bm25, save_faiss, tokenize

ProgressHook = Callable[[str, int, int], None]  # (stage, done, total)
# How passages are cut; part of what makes an earlier version's passages reusable.
CHUNKER = f"sentences-1/{TARGET_TOKENS}/{MODEL_WINDOW}/{OVERLAP_SENTENCES}"


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


_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


def _passage_row(p: Passage) -> dict[str, object]:
    # Shallow: every field is a str or int, and dataclasses.asdict deep-copies (seconds at 10,000 articles).
    return {name: getattr(p, name) for name in _PASSAGE_FIELDS}


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
    reuse: bool = True,
) -> BuildReport:
    """Build and atomically publish a new version; the served version is untouched until the last step.

    With `reuse`, articles whose files are unchanged since the served version keep its passages, claims and vectors.
    """
    with store.build_lock():
        return _build(library_dir, store, embedder, counter, rules, cache, hnsw_threshold, keep_versions, progress,
                      reuse)


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
    reuse_previous: bool,
) -> BuildReport:
    started = time.perf_counter()
    note = progress or (lambda stage, done, total: None)
    store.clean_stale_staging()  # safe: we hold the build lock, so no other build is writing
    reuse = _Reusable.from_store(store, embedder, rules) if reuse_previous else None
    previous = set(reuse.articles) if reuse else _previous_articles(store)

    files = library_files(library_dir)
    if not library_dir.is_dir():
        load_library(library_dir)  # raises the library's own "folder not found" error
    if not files:
        raise LibraryError(f"{library_dir}: the library has no articles; add one with `stackpick index add`")
    # An article whose file is byte-for-byte what the previous version indexed keeps its passages, claims and
    # vectors: adding one article to 10,000 reads the others' bytes but parses, chunks and embeds only the new one.
    articles: list[Article] = []
    sources: dict[str, dict[str, str]] = {}
    fresh_ids: set[str] = set()
    for n, path in enumerate(files, 1):
        digest = file_digest(path)
        known = reuse.article_for(path.name, digest) if reuse else None
        article = known or parse_article_file(path)
        if known is None:
            fresh_ids.add(article.id)
        articles.append(article)
        sources[path.name] = {"sha256": digest, "article": article.id}
        if n % 500 == 0 or n == len(files):
            note("reading", n, len(files))
    _check_unique_ids(articles, library_dir)
    articles.sort(key=lambda a: a.id)

    passages: list[Passage] = []
    claims: list[Claim] = []
    for n, article in enumerate(articles, 1):
        if article.id in fresh_ids or reuse is None:
            passages.extend(chunk_article(article, counter))
            claims.extend(extract_claims(article, rules))
        else:
            passages.extend(reuse.passages.get(article.id, []))
            claims.extend(reuse.claims.get(article.id, []))
        if n % 500 == 0 or n == len(articles):
            note("chunking", n, len(articles))

    by_id = {a.id: a for a in articles}
    # Only what no earlier version holds goes to the embedder (through the cache); the rest is copied.
    passage_vectors = np.zeros((len(passages), embedder.dimension), dtype=np.float32)
    claim_vectors = np.zeros((len(claims), embedder.dimension), dtype=np.float32)
    todo_passages = [i for i, p in enumerate(passages) if not (reuse and reuse.has_passage(p.id))]
    todo_claims = [i for i, c in enumerate(claims) if not (reuse and reuse.has_claim(c.id))]
    if reuse:
        for i, p in enumerate(passages):
            if reuse.has_passage(p.id):
                passage_vectors[i] = reuse.passage_vector(p.id)
        for i, c in enumerate(claims):
            if reuse.has_claim(c.id):
                claim_vectors[i] = reuse.claim_vector(c.id)
    # The rules' criterion examples too: a question's relevance to each criterion is measured against them, and
    # stored with the index they cost a cold start nothing.
    example_texts = [e for criterion in rules.criteria for e in criterion.examples]
    stored_examples = reuse.example_vectors if reuse else None
    embed_examples = stored_examples is None or len(stored_examples) != len(example_texts)
    texts = (
        [passages[i].text for i in todo_passages]
        + [by_id[claims[i].article_id].text[claims[i].quote_start : claims[i].quote_end] for i in todo_claims]
        + (example_texts if embed_examples else [])
    )
    done = 0

    def embedded(count: int) -> None:
        nonlocal done
        done += count
        note("embedding", done, len(texts))

    note("embedding", 0, len(texts))
    try:
        # Large calls: a parallel embedder shares each call's batches among its processes.
        vectors, fresh = embed_with_cache(texts, embedder.embed, embedding_key(embedder), embedder.dimension, cache,
                                          batch_size=512, on_progress=embedded)
    finally:
        close = getattr(embedder, "close", None)
        if close is not None:
            close()  # worker processes are for this build only; a serving bot should not keep them
    passage_vectors[todo_passages] = vectors[: len(todo_passages)]
    claim_vectors[todo_claims] = vectors[len(todo_passages) : len(todo_passages) + len(todo_claims)]
    example_vectors = vectors[len(todo_passages) + len(todo_claims) :] if embed_examples else stored_examples
    assert example_vectors is not None

    version = new_version_name()
    staging = store.new_staging_dir(version)
    note("writing", 0, 1)
    faiss_kind = save_faiss(build_faiss(passage_vectors, hnsw_threshold), staging / "passages.faiss")
    # Stemming is most of BM25's build time: unchanged passages keep the tokens the previous version stored.
    new_rows = [i for i, p in enumerate(passages) if not (reuse and reuse.tokens_of(p.id) is not None)]
    fresh_tokens = tokenize([passages[i].text for i in new_rows]) if new_rows else []
    tokens = [reuse.tokens_of(p.id) if reuse else None for p in passages]
    for i, row_tokens in zip(new_rows, fresh_tokens, strict=True):
        tokens[i] = row_tokens
    passage_tokens = [t or [] for t in tokens]
    save_bm25(build_bm25_from_tokens(passage_tokens), staging / "bm25")
    write_jsonl(staging / BM25_TOKENS, ({"id": p.id, "tokens": t} for p, t in zip(passages, passage_tokens,
                                                                                   strict=True)))
    np.save(staging / "claim_vectors.npy", claim_vectors)
    np.save(staging / EXAMPLE_VECTORS, example_vectors)
    encoder = getattr(embedder, "folder", None)
    if encoder is not None:
        # The index carries its own query encoder, so questions are embedded by exactly the model that embedded
        # the passages, and serving needs neither torch nor the original model.
        link_tree(Path(encoder), staging / ENCODER_DIR)
    write_jsonl(staging / "articles.jsonl", (_article_row(a) for a in articles))
    write_json_atomic(staging / SOURCES, sources)
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
        chunker=CHUNKER,
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


def library_files(library_dir: Path) -> list[Path]:
    """The library's Markdown files in name order (sorted as strings: Path comparison is slow at 10,000)."""
    if not library_dir.is_dir():
        return []
    return [library_dir / name for name in sorted(n for n in os.listdir(library_dir) if n.endswith(".md"))]


_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, remembered for the process by (path, size, mtime, inode): adding an article checks
    the library for duplicates and then rebuilds, and neither should read 10,000 unchanged files twice."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    found = _DIGESTS.get(key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()
        if len(_DIGESTS) > 200_000:
            _DIGESTS.clear()
        _DIGESTS[key] = found
    return found


def current_articles(library_dir: Path, store: IndexStore) -> list[Article]:
    """The library's articles, taking those whose files the served version indexed unchanged from the index.

    The same articles `load_library` gives, without parsing 10,000 front matters to add one article.
    """
    known: dict[str, Article] = {}
    sources: dict[str, dict[str, str]] = {}
    try:
        version = store.current_version()
        if version:
            folder = store.version_dir(version)
            sources = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
            known = {a.id: a for a in (_article_from_row(r) for r in read_jsonl(folder / "articles.jsonl"))}
    except (OSError, ValueError, TypeError):
        known, sources = {}, {}
    if not library_dir.is_dir():
        return load_library(library_dir)  # its error names the missing folder
    articles = []
    for path in library_files(library_dir):
        source = sources.get(path.name)
        article = None
        if isinstance(source, dict) and source.get("sha256") == file_digest(path):
            article = known.get(str(source.get("article")))
        articles.append(article or parse_article_file(path))
    _check_unique_ids(articles, library_dir)
    return sorted(articles, key=lambda a: a.id)


def _check_unique_ids(articles: list[Article], library_dir: Path) -> None:
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise LibraryError(f"duplicate article id {article.id!r} in the library folder {library_dir}")
        seen.add(article.id)


class _Reusable:
    """What the served version already holds, when it was made the way this build would make it again."""

    def __init__(self, index: LoadedIndex, sources: dict[str, dict[str, str]]) -> None:
        self.index = index
        self.sources = sources
        self.articles = index.articles
        self.passages: dict[str, list[Passage]] = {}
        for p in index.passages:
            self.passages.setdefault(p.article_id, []).append(p)
        self.claims: dict[str, list[Claim]] = {}
        for c in index.claims:
            self.claims.setdefault(c.article_id, []).append(c)
        self._passage_rows = {p.id: n for n, p in enumerate(index.passages)}
        self._claim_rows = {c.id: n for n, c in enumerate(index.claims)}
        self._passage_vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal) if index.passages else None
        self._tokens: dict[str, list[str]] = {}
        tokens_file = index.folder / BM25_TOKENS
        if tokens_file.is_file():
            self._tokens = {str(r["id"]): list(r["tokens"]) for r in read_jsonl(tokens_file)}
        self.example_vectors = index.example_vectors

    @classmethod
    def from_store(cls, store: IndexStore, embedder: Embedder, rules: Rules) -> _Reusable | None:
        try:
            manifest = store.read_manifest()
            built = manifest.embedding
            same = (
                manifest.rules_hash == rules.source_hash
                and manifest.chunker == CHUNKER
                and (built.model, built.backend, built.dimension) == (embedder.model_id, embedder.backend,
                                                                       embedder.dimension)
                and built.fingerprint == getattr(embedder, "fingerprint", "")
            )
            folder = store.version_dir(manifest.version)
            if not same or not (folder / SOURCES).is_file():
                return None
            sources = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
            return cls(load_index(store, manifest.version, lazy=True), sources)
        except (IndexUnavailable, OSError, ValueError):
            return None  # nothing reusable: a full build, as if there were no earlier version

    def article_for(self, file_name: str, digest: str) -> Article | None:
        source = self.sources.get(file_name)
        if not isinstance(source, dict) or source.get("sha256") != digest:
            return None
        return self.articles.get(str(source.get("article")))

    def has_passage(self, passage_id: str) -> bool:
        return passage_id in self._passage_rows

    def passage_vector(self, passage_id: str) -> np.ndarray:
        assert self._passage_vectors is not None
        return self._passage_vectors[self._passage_rows[passage_id]]

    def tokens_of(self, passage_id: str) -> list[str] | None:
        return self._tokens.get(passage_id)

    def has_claim(self, claim_id: str) -> bool:
        return claim_id in self._claim_rows

    def claim_vector(self, claim_id: str) -> np.ndarray:
        return self.index.claim_vectors[self._claim_rows[claim_id]]


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
