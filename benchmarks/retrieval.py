"""Retrieval quality: recall@5 and MRR of dense, BM25 and hybrid search, side by side on the same index."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from index.build import build_index
from index.embedding import load_embedder, tokenizer_dir
from index.loaded import load_index
from index.search import HybridSearcher
from index.store import IndexStore
from index.tokens import counter_for_model
from knowledge.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
QUERIES = Path(__file__).with_name("retrieval_queries.yaml")
MODES = ("dense", "bm25", "hybrid")


def fold(text: str) -> str:
    return " ".join(text.split())


def _matches(article_id: str, snippet_article: str) -> bool:
    # Snippets name seed files by stem ("000_e4f1..."); library ids use dashes ("000-e4f1...").
    return article_id.replace("-", "_") == snippet_article.replace("-", "_")


def evaluate(searcher: HybridSearcher, queries: list[dict], k: int = 5) -> dict[str, dict[str, float]]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="bundled", help="embedding model spec (bundled, hash, or a folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval.json")
    args = parser.parse_args()
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    embedder = load_embedder(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(Path(tmp) / "index")
        build_index(ROOT / "knowledge" / "articles", store, embedder, counter_for_model(tokenizer_dir(args.model)),
                    load_rules(ROOT / "knowledge" / "rules.yaml"))
        results = evaluate(HybridSearcher(load_index(store), embedder), queries)
    table = Table(title=f"Retrieval on the seed library: {len(queries)} queries, model {embedder.model_id}")
    for column in ("retriever", "recall@5", "MRR"):
        table.add_column(column)
    for mode in MODES:
        table.add_row(mode, f"{results[mode]['recall@5']:.3f}", f"{results[mode]['mrr']:.3f}")
    Console().print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"queries": len(queries), "model": embedder.model_id, "results": results}, indent=2))


if __name__ == "__main__":
    main()
