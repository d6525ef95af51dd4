"""What one index version folder holds: every file's name, and the one save/load pair for each (as bm25s does)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.claim_model import ClaimModel
from knowledge.claims import Claim
from knowledge.corpus import Article

from .chunking import Passage
from .encoder import ENCODER_DIR
from .store import read_jsonl, write_json_atomic, write_jsonl
from .vectors import load_bm25, load_bm25_vocabulary, load_faiss, save_bm25, save_faiss

ARTICLES = "articles.jsonl"  # each article's front matter and verbatim text
PASSAGES = "passages.jsonl"
CLAIMS = "claims.jsonl"
CLAIM_VECTORS = "claim_vectors.npy"  # one row per claim, in the order claim_order.npy gives
CLAIM_ORDER = "claim_order.npy"  # claims.jsonl rows in claim_vectors.npy's order (absent: claims.jsonl's order)
EXAMPLE_VECTORS = "example_vectors.npy"  # the rules' criterion examples, in the order rules.yaml lists them
SOURCES = "sources.json"  # library file name -> sha256 of its bytes, to reuse unchanged articles next build
BM25_TOKENS = "bm25_tokens.jsonl"  # each passage's BM25 tokens, reused by the next build for unchanged passages
FAISS = "passages.faiss"
BM25 = "bm25"  # a folder, as bm25s saves it
CLAIM_MODEL = "claim_model.npz"  # the learned claim model the claims came from (absent: the rules alone)
ENCODER = ENCODER_DIR  # the ONNX encoder that embedded everything (a folder)

_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


class VersionFiles:
    """The files of one version folder (published or staging), read and written only through here."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    # -- content -----------------------------------------------------------------------------------------------

    def write_articles(self, articles: Iterable[Article]) -> None:
        write_jsonl(self.path(ARTICLES), ({**a.front_matter(), "text": a.text} for a in articles))

    def read_articles(self) -> dict[str, Article]:
        return {a.id: a for a in (article_from_row(r) for r in read_jsonl(self.path(ARTICLES)))}

    def read_article_ids(self) -> set[str]:
        return {str(row["id"]) for row in read_jsonl(self.path(ARTICLES))}

    def write_passages(self, passages: Iterable[Passage]) -> None:
        # Shallow: every field is a str or int, and dataclasses.asdict deep-copies (seconds at 10,000 articles).
        write_jsonl(self.path(PASSAGES), ({name: getattr(p, name) for name in _PASSAGE_FIELDS} for p in passages))

    def read_passages(self) -> list[Passage]:
        return [Passage(**r) for r in read_jsonl(self.path(PASSAGES))]

    def write_claims(self, claims: Iterable[Claim]) -> None:
        write_jsonl(self.path(CLAIMS), (c.to_dict() for c in claims))

    def read_claims(self) -> list[Claim]:
        return [Claim.from_dict(r) for r in read_jsonl(self.path(CLAIMS))]

    def write_claim_model(self, model: ClaimModel) -> None:
        model.save(self.path(CLAIM_MODEL))

    def claim_model_path(self) -> Path | None:
        path = self.path(CLAIM_MODEL)
        return path if path.exists() else None

    def write_claim_vectors(self, vectors: np.ndarray, order: np.ndarray) -> None:
        """`vectors` in claims order, stored in `order` (index.claim_order.grouped_order)."""
        np.save(self.path(CLAIM_VECTORS), vectors[order])
        np.save(self.path(CLAIM_ORDER), order)

    def read_claim_vectors(self) -> np.ndarray:
        """The vectors as stored: row k is claim `read_claim_order()[k]`'s."""
        return np.load(self.path(CLAIM_VECTORS))

    def read_claim_order(self) -> np.ndarray | None:
        """None for a version that stored its claim vectors in claims order."""
        path = self.path(CLAIM_ORDER)
        return np.load(path) if path.is_file() else None

    def write_example_vectors(self, vectors: np.ndarray) -> None:
        np.save(self.path(EXAMPLE_VECTORS), vectors)

    def read_example_vectors(self) -> np.ndarray | None:
        """None for a version built before criterion examples were stored."""
        path = self.path(EXAMPLE_VECTORS)
        return np.load(path) if path.is_file() else None

    def write_sources(self, sources: dict[str, dict[str, str]]) -> None:
        write_json_atomic(self.path(SOURCES), sources)

    def has_sources(self) -> bool:
        return self.path(SOURCES).is_file()

    def read_sources(self) -> dict[str, dict[str, str]]:
        data: dict[str, dict[str, str]] = json.loads(self.path(SOURCES).read_text(encoding="utf-8"))
        return data

    # -- search structures -------------------------------------------------------------------------------------

    def write_tokens(self, passages: Sequence[Passage], tokens: Sequence[list[str]]) -> None:
        write_jsonl(self.path(BM25_TOKENS), ({"id": p.id, "tokens": t} for p, t in zip(passages, tokens, strict=True)))

    def read_tokens(self) -> dict[str, list[str]]:
        """Each passage's BM25 tokens by passage id; empty for a version that did not keep them."""
        path = self.path(BM25_TOKENS)
        return {str(r["id"]): list(r["tokens"]) for r in read_jsonl(path)} if path.is_file() else {}

    def write_faiss(self, index: Any) -> str:
        return save_faiss(index, self.path(FAISS))

    def read_faiss(self) -> Any:
        return load_faiss(self.path(FAISS))

    def write_bm25(self, retriever: Any) -> None:
        save_bm25(retriever, self.path(BM25))

    def read_bm25(self) -> Any:
        return load_bm25(self.path(BM25))

    def read_bm25_vocabulary(self) -> list[str] | None:
        """The library's stemmed words as BM25 indexed them (None for a version without them)."""
        return load_bm25_vocabulary(self.path(BM25))

    # -- encoder -----------------------------------------------------------------------------------------------

    @property
    def encoder_dir(self) -> Path:
        return self.path(ENCODER)

    def link_encoder(self, source: Path) -> None:
        """Hard-link the encoder's files in (copy across file systems): versions share one model file."""
        link_tree(source, self.encoder_dir)


def article_from_row(row: dict[str, Any]) -> Article:
    """An Article from its articles.jsonl row."""
    for key in ("published", "updated"):
        if row.get(key):
            row[key] = dt.date.fromisoformat(row[key])
    return Article(**row)


def link_tree(source: Path, target: Path) -> None:
    """Hard-link a folder's files into `target` (copy across file systems)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file():
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copy2(path, target / path.name)
