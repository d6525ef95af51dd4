"""Retrieval quality: recall@5 and MRR of dense, BM25 and hybrid search, side by side on the same index."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Protocol

import yaml
from rich.console import Console
from rich.table import Table

from index.search import Hit

ROOT = Path(__file__).resolve().parent.parent
QUERIES = Path(__file__).with_name("retrieval_queries.yaml")
MODES = ("dense", "bm25", "hybrid")


class Searcher(Protocol):
    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]: ...


def fold(text: str) -> str:
    return " ".join(text.split())


def _matches(article_id: str, snippet_article: str) -> bool:
    # Snippets name seed files by stem ("000_e4f1..."); library ids use dashes ("000-e4f1...").
    return article_id.replace("-", "_") == snippet_article.replace("-", "_")


def evaluate(searcher: Searcher, queries: list[dict], k: int = 5) -> dict[str, dict[str, float]]:
    """Per mode: recall@k (share of a query's answering snippets inside the top k passages) and MRR."""
    results: dict[str, dict[str, float]] = {}
    for mode in MODES:
        recalls, reciprocal = [], []
        for query in queries:
            hits = searcher.search(query["query"], k=k, mode=mode)
            snippets = query["relevant"]
            found = [
                any(_matches(h.article_id, s["article"]) and fold(s["text"]) in fold(h.text) for h in hits)
                for s in snippets
            ]
            recalls.append(sum(found) / len(snippets))
            rank = next(
                (n for n, h in enumerate(hits, 1)
                 if any(_matches(h.article_id, s["article"]) and fold(s["text"]) in fold(h.text) for s in snippets)),
                None,
            )
            reciprocal.append(1.0 / rank if rank else 0.0)
        results[mode] = {"recall@5": statistics.mean(recalls), "mrr": statistics.mean(reciprocal)}
    return results


def _configure(tmp: Path, model: str, backend: str | None) -> None:
    """Point stackpick's settings at the seed library and a throwaway index, as `stackpick index build` would."""
    for name in [n for n in os.environ if n.startswith("STACKPICK_")]:
        del os.environ[name]
    os.environ.update({
        "STACKPICK_LIBRARY_DIR": str(ROOT / "knowledge" / "articles"),
        "STACKPICK_RULES": str(ROOT / "knowledge" / "rules.yaml"),
        "STACKPICK_INDEX_DIR": str(tmp / "index"),
        "STACKPICK_CACHE_DIR": str(tmp / "cache"),
        "STACKPICK_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "STACKPICK_EMBEDDING_MODEL": model,
    })
    if backend:
        os.environ["STACKPICK_EMBEDDING_BACKEND"] = backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="bundled", help="embedding model spec (bundled, hash, or a folder)")
    parser.add_argument("--backend", default=None,
                        help="STACKPICK_EMBEDDING_BACKEND for the build and the queries (default: the product's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval.json")
    args = parser.parse_args()
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        _configure(Path(tmp), args.model, args.backend)
        # The product's own build and query path (Librarian, Advisor), so every backend is measured as it serves.
        from bot.engine import Advisor
        from bot.services.library import Librarian
        from bot.settings import Settings
        from index.search import HybridSearcher

        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        Librarian(settings).rebuild()
        advisor = Advisor.from_settings(settings)
        engine = advisor.engine  # the served version and the encoder bound to it, as a question would use them
        embedding = engine.index.manifest.embedding
        results = evaluate(HybridSearcher(engine.index, engine.embedder), queries)
    label = f"{embedding.model} ({embedding.backend})"
    table = Table(title=f"Retrieval on the seed library: {len(queries)} queries, model {label}")
    for column in ("retriever", "recall@5", "MRR"):
        table.add_column(column)
    for mode in MODES:
        table.add_row(mode, f"{results[mode]['recall@5']:.3f}", f"{results[mode]['mrr']:.3f}")
    Console().print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"queries": len(queries), "model": embedding.model, "backend": embedding.backend,
                                    "results": results}, indent=2))


if __name__ == "__main__":
    main()
