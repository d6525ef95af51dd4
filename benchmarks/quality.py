"""Quality on each embedding path: the retrieval benchmark and the dev-set eval, run per backend and compared."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .backends import backend_env
from .timing import run
from .workspace import ROOT, IndexPaths, Library, Workspace

DEV_QUESTIONS = ROOT / "tests" / "data" / "dev-questions.yaml"


def retrieval(workspace: Workspace, backend: str, out: Path) -> dict[str, Any]:
    """benchmarks/retrieval.py with this backend; returns its results (mode -> recall@5, mrr) and the backend."""
    env = {**workspace.base_env(), **backend_env(backend)}
    command = [sys.executable, "-m", "benchmarks.retrieval", "--model", workspace.model, "--out", str(out)]
    if backend_env(backend):
        command += ["--backend", backend]
    run(command, env, cwd=ROOT)
    data = json.loads(out.read_text(encoding="utf-8"))
    return {**data["results"], "backend_recorded": data.get("backend")}


def dev_eval(workspace: Workspace, library: Library, paths: IndexPaths, backend: str) -> dict[str, Any]:
    """`stackpick eval tests/data/dev-questions.yaml --json` on the seed index built with this backend."""
    env = workspace.product_env(library, paths, backend)
    _, stdout = run([workspace.command("stackpick"), "eval", str(DEV_QUESTIONS), "--json"], env, cwd=ROOT)
    report = json.loads(stdout)
    return {"totals": report["totals"], "counts": report.get("counts", {}),
            "verdicts": {r["id"]: r["verdict"] for r in report["results"]}}


def differences(results: dict[str, dict[str, Any]]) -> list[str]:
    """What differs between the first backend and each other one: retrieval metrics and per-question verdicts."""
    names = list(results)
    if len(names) < 2:
        return []
    first = names[0]
    lines: list[str] = []
    for other in names[1:]:
        a, b = results[first], results[other]
        metric_diffs = []
        for mode in ("dense", "bm25", "hybrid"):
            for metric in ("recall@5", "mrr"):
                x = (a.get("retrieval") or {}).get(mode, {}).get(metric)
                y = (b.get("retrieval") or {}).get(mode, {}).get(metric)
                if x is not None and y is not None and abs(x - y) > 1e-9:
                    metric_diffs.append(f"{mode} {metric} {x:.3f} vs {y:.3f}")
        verdicts_a = (a.get("eval") or {}).get("verdicts", {})
        verdicts_b = (b.get("eval") or {}).get("verdicts", {})
        changed = [f"{q}: {verdicts_a[q]} vs {verdicts_b.get(q)}" for q in verdicts_a
                   if verdicts_a[q] != verdicts_b.get(q)]
        if not metric_diffs and not changed:
            lines.append(f"{first} and {other}: identical retrieval metrics and dev-set verdicts")
            continue
        if metric_diffs:
            lines.append(f"{first} vs {other} retrieval: " + "; ".join(metric_diffs))
        if changed:
            lines.append(f"{first} vs {other} dev-set verdicts: " + "; ".join(changed))
        else:
            lines.append(f"{first} vs {other}: same dev-set verdicts")
    return lines


def measure(workspace: Workspace, library: Library, backends: list[str],
            ensure: Callable[[Library, str], IndexPaths], scratch: Path) -> dict[str, Any]:
    """Both quality measures for every backend, and what differs between them."""
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        paths = ensure(library, backend)
        results[backend] = {
            "retrieval": retrieval(workspace, backend, scratch / f"retrieval-{backend}.json"),
            "eval": dev_eval(workspace, library, paths, backend),
        }
    return {"backends": results, "differences": differences(results)}
