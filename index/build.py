"""Build a new index version from the library, stage by stage: read, chunk and extract, embed, write, publish."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.claim_model import ClaimModel
from knowledge.claims import Claim, extract_many
from knowledge.corpus import Article, LibraryError, corpus_hash, load_library, parse_article_file
from knowledge.rules import Rules

from .cache import EmbeddingCache, embed_with_cache
from .chunking import MODEL_WINDOW, OVERLAP_SENTENCES, TARGET_TOKENS, Passage, chunk_article
from .claim_models import fingerprint_of
from .claim_order import grouped_order
from .embedding import Embedder, embedding_key
from .loaded import LoadedIndex, load_index
from .store import FORMAT_VERSION, EmbeddingInfo, IndexStore, IndexUnavailable, Manifest, file_sha256, new_version_name
from .tokens import TokenCounter
from .vectors import build_bm25_from_tokens, build_faiss, tokenize
from .version_files import VersionFiles

ProgressHook = Callable[[str, int, int], None]  # (stage, done, total)
# How passages are cut; part of what makes an earlier version's passages reusable.
# "-headed": each passage is embedded under its title and section heading (Passage.embedding_text); an index cut
# before that is rebuilt, not reused.
CHUNKER = f"sentences-3-headed/{TARGET_TOKENS}/{MODEL_WINDOW}/{OVERLAP_SENTENCES}"
EXTRACT_BATCH = 200  # articles whose candidate clauses are embedded in one call


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


@dataclass
class _Library:
    """Stage 1: the articles, each library file's digest, and which articles are new or changed."""

    articles: list[Article]
    sources: dict[str, dict[str, str]]
    fresh_ids: set[str]


@dataclass
class _Content:
    """Stage 2: every passage and claim, in article order."""

    passages: list[Passage]
    claims: list[Claim]


@dataclass
class _Vectors:
    """Stage 3: a vector for every passage, claim and criterion example."""

    passages: np.ndarray
    claims: np.ndarray
    examples: np.ndarray
    embedded: int


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
    claim_model: ClaimModel | None = None,
) -> BuildReport:
    """Build and atomically publish a new version; the served version is untouched until the last step.

    With `reuse`, articles whose files are unchanged since the served version keep its passages, claims and vectors.
    With a `claim_model`, claims come from it and the rules together (see knowledge.claims); without, the rules alone.
    """
    with store.build_lock():
        started = time.perf_counter()
        note = progress or (lambda stage, done, total: None)
        store.clean_stale_staging()  # safe: we hold the build lock, so no other build is writing
        previous = _Reusable.from_store(store, embedder, rules, claim_model) if reuse else None
        before = set(previous.articles) if previous else _previous_articles(store)

        library = _read_library(library_dir, previous, note)
        content = _chunk_and_extract(library, previous, counter, rules, note, claim_model, embedder, cache)
        vectors = _embed(library, content, rules, previous, embedder, cache, note)
        version = new_version_name()
        staging = store.new_staging_dir(version)
        note("writing", 0, 1)
        faiss_kind = _write_version(VersionFiles(staging), library, content, vectors, previous, embedder,
                                    hnsw_threshold, claim_model)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            version=version,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            embedding=EmbeddingInfo(model=embedder.model_id, backend=embedder.backend, dimension=embedder.dimension,
                                    fingerprint=getattr(embedder, "fingerprint", "")),
            counts={"articles": len(library.articles), "passages": len(content.passages),
                    "claims": len(content.claims), "vectors": int(vectors.passages.shape[0])},
            corpus_hash=corpus_hash(library.articles),
            rules_hash=rules.source_hash,
            chunker=CHUNKER,
            claim_model=fingerprint_of(claim_model),
            faiss_index=faiss_kind,
            files={},
            build_seconds=round(time.perf_counter() - started, 3),
            sequence=store.next_sequence(),
        )
        _publish(store, staging, manifest, keep_versions)
        note("writing", 1, 1)
        current = {a.id for a in library.articles}
        return BuildReport(
            version=version,
            articles=len(library.articles),
            passages=len(content.passages),
            claims=len(content.claims),
            embedded=vectors.embedded,
            seconds=time.perf_counter() - started,
            added_articles=sorted(current - before),
            removed_articles=sorted(before - current),
        )


def _read_library(library_dir: Path, previous: _Reusable | None, note: ProgressHook) -> _Library:
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
        known = previous.article_for(path.name, digest) if previous else None
        article = known or parse_article_file(path)
        if known is None:
            fresh_ids.add(article.id)
        articles.append(article)
        sources[path.name] = {"sha256": digest, "article": article.id}
        if n % 500 == 0 or n == len(files):
            note("reading", n, len(files))
    _check_unique_ids(articles, library_dir)
    articles.sort(key=lambda a: a.id)
    return _Library(articles, sources, fresh_ids)


def _chunk_and_extract(library: _Library, previous: _Reusable | None, counter: TokenCounter, rules: Rules,
                       note: ProgressHook, claim_model: ClaimModel | None = None, embedder: Embedder | None = None,
                       cache: EmbeddingCache | None = None) -> _Content:
    passages: list[Passage] = []
    fresh: list[Article] = []
    for n, article in enumerate(library.articles, 1):
        if article.id in library.fresh_ids or previous is None:
            passages.extend(chunk_article(article, counter))
            fresh.append(article)
        else:
            passages.extend(previous.passages.get(article.id, []))
        if n % 500 == 0 or n == len(library.articles):
            note("chunking", n, len(library.articles))

    def embed(texts: Sequence[str]) -> np.ndarray:
        assert embedder is not None
        return embed_with_cache(list(texts), embedder.embed, embedding_key(embedder), embedder.dimension, cache,
                                batch_size=512)[0]

    found: dict[str, list[Claim]] = {}
    for start in range(0, len(fresh), EXTRACT_BATCH):
        batch = fresh[start : start + EXTRACT_BATCH]
        for claim in extract_many(batch, rules, claim_model, embed if claim_model and embedder else None):
            found.setdefault(claim.article_id, []).append(claim)
        note("extracting", start + len(batch), len(fresh))
    claims: list[Claim] = []
    for article in library.articles:
        if article.id in library.fresh_ids or previous is None:
            claims.extend(found.get(article.id, []))
        else:
            claims.extend(previous.claims.get(article.id, []))
    return _Content(passages, claims)


def _embed(library: _Library, content: _Content, rules: Rules, previous: _Reusable | None, embedder: Embedder,
           cache: EmbeddingCache | None, note: ProgressHook) -> _Vectors:
    passages, claims = content.passages, content.claims
    by_id = {a.id: a for a in library.articles}
    # Only what no earlier version holds goes to the embedder (through the cache); the rest is copied.
    passage_vectors = np.zeros((len(passages), embedder.dimension), dtype=np.float32)
    claim_vectors = np.zeros((len(claims), embedder.dimension), dtype=np.float32)
    todo_passages = [i for i, p in enumerate(passages) if not (previous and previous.has_passage(p.id))]
    todo_claims = [i for i, c in enumerate(claims) if not (previous and previous.has_claim(c.id))]
    if previous:
        # Copied in one numpy step each: a Python loop over 60,000 rows cost a third of a second per added article.
        kept = [i for i, p in enumerate(passages) if previous.has_passage(p.id)]
        if kept:
            passage_vectors[kept] = previous.passage_vectors([passages[i].id for i in kept])
        kept = [i for i, c in enumerate(claims) if previous.has_claim(c.id)]
        if kept:
            claim_vectors[kept] = previous.claim_vectors([claims[i].id for i in kept])
    # The rules' criterion examples too: a question's relevance to each criterion is measured against them, and
    # stored with the index they cost a cold start nothing.
    example_texts = [e for criterion in rules.criteria for e in criterion.examples]
    stored_examples = previous.example_vectors if previous else None
    embed_examples = stored_examples is None or len(stored_examples) != len(example_texts)
    texts = (
        [passages[i].embedding_text for i in todo_passages]
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
    return _Vectors(passage_vectors, claim_vectors, example_vectors, fresh)


def _write_version(files: VersionFiles, library: _Library, content: _Content, vectors: _Vectors,
                   previous: _Reusable | None, embedder: Embedder, hnsw_threshold: int,
                   claim_model: ClaimModel | None = None) -> str:
    """Every file of the version into its staging folder; returns the kind of FAISS index written."""
    passages = content.passages
    faiss_kind = files.write_faiss(build_faiss(vectors.passages, hnsw_threshold))
    # Stemming is most of BM25's build time: unchanged passages keep the tokens the previous version stored.
    new_rows = [i for i, p in enumerate(passages) if not (previous and previous.tokens_of(p.id) is not None)]
    fresh_tokens = tokenize([passages[i].text for i in new_rows]) if new_rows else []
    tokens = [previous.tokens_of(p.id) if previous else None for p in passages]
    for i, row_tokens in zip(new_rows, fresh_tokens, strict=True):
        tokens[i] = row_tokens
    passage_tokens = [t or [] for t in tokens]
    files.write_bm25(build_bm25_from_tokens(passage_tokens))
    files.write_tokens(passages, passage_tokens)
    files.write_claim_vectors(vectors.claims, grouped_order(content.claims))
    files.write_example_vectors(vectors.examples)
    encoder = getattr(embedder, "folder", None)
    if encoder is not None:
        # The index carries its own query encoder, so questions are embedded by exactly the model that embedded
        # the passages, and serving needs neither torch nor the original model.
        files.link_encoder(Path(encoder))
    files.write_articles(library.articles)
    files.write_sources(library.sources)
    files.write_passages(passages)
    files.write_claims(content.claims)
    if claim_model is not None:
        # The version carries the model its claims came from: re-extracting at load (rules changed) uses it too.
        files.write_claim_model(claim_model)
    return faiss_kind


def _publish(store: IndexStore, staging: Path, manifest: Manifest, keep_versions: int) -> None:
    """Checksum and move the staged version into place, point readers at it, and drop the oldest versions."""
    store.finalize(staging, manifest)
    store.set_current(manifest.version)
    store.prune(keep_versions)


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
        found = file_sha256(path)
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
            files = VersionFiles(store.version_dir(version))
            sources = files.read_sources()
            known = files.read_articles()
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
        self._tokens = VersionFiles(index.folder).read_tokens()
        self.example_vectors = index.example_vectors

    @classmethod
    def from_store(cls, store: IndexStore, embedder: Embedder, rules: Rules,
                   claim_model: ClaimModel | None = None) -> _Reusable | None:
        try:
            manifest = store.read_manifest()
            built = manifest.embedding
            same = (
                manifest.rules_hash == rules.source_hash
                and manifest.chunker == CHUNKER
                and manifest.claim_model == fingerprint_of(claim_model)
                and (built.model, built.backend, built.dimension) == (embedder.model_id, embedder.backend,
                                                                       embedder.dimension)
                and built.fingerprint == getattr(embedder, "fingerprint", "")
            )
            files = VersionFiles(store.version_dir(manifest.version))
            if not same or not files.has_sources():
                return None
            return cls(load_index(store, manifest.version, lazy=True), files.read_sources())
        except (IndexUnavailable, OSError, ValueError):
            return None  # nothing reusable: a full build, as if there were no earlier version

    def article_for(self, file_name: str, digest: str) -> Article | None:
        source = self.sources.get(file_name)
        if not isinstance(source, dict) or source.get("sha256") != digest:
            return None
        return self.articles.get(str(source.get("article")))

    def has_passage(self, passage_id: str) -> bool:
        return passage_id in self._passage_rows

    def passage_vectors(self, passage_ids: list[str]) -> np.ndarray:
        assert self._passage_vectors is not None
        return self._passage_vectors[[self._passage_rows[p] for p in passage_ids]]

    def tokens_of(self, passage_id: str) -> list[str] | None:
        return self._tokens.get(passage_id)

    def has_claim(self, claim_id: str) -> bool:
        return claim_id in self._claim_rows

    def claim_vectors(self, claim_ids: list[str]) -> np.ndarray:
        return self.index.claim_vector(np.asarray([self._claim_rows[c] for c in claim_ids], dtype=np.int64))


def _previous_articles(store: IndexStore) -> set[str]:
    version = store.current_version()
    if version is None:
        return set()
    try:
        return VersionFiles(store.version_dir(version)).read_article_ids()
    except (OSError, ValueError, KeyError):
        return set()
