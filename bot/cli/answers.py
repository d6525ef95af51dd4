"""Answering from the terminal: `search`, `ask`, `assess` and `eval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import fail, load_advisor, open_index, out, query_encoder, settings


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    per_article: Annotated[int | None, typer.Option(help="At most this many passages per article.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit, one per line.")] = False,
) -> None:
    """Search the library: passages ranked by dense and BM25 retrieval fused with RRF.

    Examples:

      stackpick search "real-time chat"

      stackpick search "memory-intensive" --k 3 --json
    """
    if mode not in ("hybrid", "dense", "bm25"):
        raise fail("--mode must be hybrid, dense or bm25", code=2)
    if not query.strip():
        raise fail("the query is empty", code=2)
    from dataclasses import asdict

    from index.search import HybridSearcher

    _, index = open_index()
    try:
        embedder = query_encoder(index)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    hits = HybridSearcher(index, embedder).search(query, k=k, mode=mode, per_article=per_article)
    if as_json:
        for hit in hits:
            sys.stdout.write(json.dumps(asdict(hit), ensure_ascii=False) + "\n")
        return
    if not hits:
        out.print("No passages found.")
    for n, hit in enumerate(hits, 1):
        date = f", {hit.date}" if hit.date else ""
        out.print(f"[bold]{n}. {hit.title}[/bold]{date}  [dim]{hit.article_id} {hit.start}-{hit.end} "
                  f"score {hit.score:.4f}[/dim]", highlight=False)
        out.print(f"   {hit.text}\n", highlight=False, markup=False)


@app.command()
def ask(
    questions: Annotated[list[str], typer.Argument(help="One or more questions.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question, one per line.")] = False,
) -> None:
    """Ask which to choose; every reason cites verbatim quotes from the library.

    Several questions share one loaded model and index.

    Examples:

      stackpick ask "Node or Python for a real-time chat app?"

      stackpick ask "Which is easier to learn?" "Is Node good for ML?" --json
    """
    from bot.engine import QuestionError
    from bot.render.terminal.answer import render_answer

    advisor = load_advisor(settings())
    for question in questions:
        try:
            answer = advisor.ask(question)
        except QuestionError as exc:
            raise fail(str(exc), code=2) from exc
        if as_json:
            sys.stdout.write(answer.model_dump_json() + "\n")
        else:
            render_answer(answer, out)


@app.command()
def assess(
    description: Annotated[str, typer.Argument(help="The project, in a sentence or a paragraph.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the assessment as JSON.")] = False,
) -> None:
    """A full assessment: every criterion with relevance, weight, side, score and evidence, plus what would flip it.

    Example:

      stackpick assess "Live dashboard with streaming updates and an ML anomaly detector"
    """
    from bot.engine import QuestionError
    from bot.render.terminal.answer import render_assessment

    advisor = load_advisor(settings())
    try:
        assessment = advisor.assess(description)
    except QuestionError as exc:
        raise fail(str(exc), code=2) from exc
    if as_json:
        sys.stdout.write(assessment.model_dump_json() + "\n")
    else:
        render_assessment(assessment, out)


@app.command("eval")
def evaluate(
    file: Annotated[Path | None, typer.Argument(help="A YAML question set (see tests/data/dev-questions.yaml and "
                                                "knowledge/labeled/questions.yaml).")] = None,
    claims: Annotated[bool, typer.Option("--claims", help="Score claim extraction on the labeled articles "
                                         "(knowledge/labeled) instead of a question set.")] = False,
    part: Annotated[str, typer.Option(help="Which part the thresholds apply to: all, tune or held_out.")] = "all",
    min_verdict: Annotated[float, typer.Option(help="Fail below this verdict accuracy (0-1).")] = 0.0,
    min_grounding: Annotated[float, typer.Option(help="Fail below this share of verbatim quotes.")] = 0.0,
    min_support: Annotated[float, typer.Option(help="Fail below this share citing an expected source.")] = 0.0,
    min_refusals: Annotated[float, typer.Option(help="Fail below this share of out-of-scope refusals.")] = 0.0,
    min_scope_kept: Annotated[float, typer.Option(help="Fail below this share of in-scope cases answered.")] = 0.0,
    min_disagreements: Annotated[float, typer.Option(help="Fail below this share of disagreements flagged.")] = 0.0,
    min_recall: Annotated[float, typer.Option(help="--claims: fail below this recall of labeled clauses.")] = 0.0,
    min_side_precision: Annotated[float, typer.Option(help="--claims: fail below this side precision.")] = 0.0,
    min_criteria_precision: Annotated[float, typer.Option(help="--claims: fail below this side-and-criteria "
                                                          "precision.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print per-case results and totals as JSON.")] = False,
) -> None:
    """Score the engine: a question set (verdicts, grounding, support, refusals, scope, disagreements), or with
    --claims the claims extracted from the labeled articles (recall, side precision, side-and-criteria precision).

    Results are reported for the tune and held-out parts apart (a hash of each id decides). Exits 1 when a total
    of the chosen --part falls below its --min-* threshold.

    Examples:

      stackpick eval tests/data/dev-questions.yaml --min-verdict 0.93 --min-grounding 1 --min-support 0.9

      stackpick eval knowledge/labeled/questions.yaml --part held_out --min-verdict 0.95

      stackpick eval --claims --part held_out --min-recall 0.85 --min-side-precision 0.95
    """
    if part not in ("all", "tune", "held_out"):
        raise fail("--part must be all, tune or held_out", code=2)
    if claims:
        _evaluate_claims(part, min_recall, min_side_precision, min_criteria_precision, as_json)
        return
    if file is None:
        raise fail("give a question set (e.g. tests/data/dev-questions.yaml) or --claims", code=2)
    from bot.services.evaluation import EvalError, load_cases, run_eval

    config = settings()
    try:
        cases = load_cases(file)
    except EvalError as exc:
        raise fail(str(exc), code=2) from exc
    advisor = load_advisor(config)
    report = run_eval(advisor, cases, config.library_dir)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from bot.render.terminal.evaluation import render_eval

        render_eval(report, out)
    thresholds = {"verdict": min_verdict, "grounding": min_grounding, "support": min_support,
                  "refusals": min_refusals, "scope_kept": min_scope_kept, "disagreements": min_disagreements}
    counts = report.counts if part == "all" else report.parts.get(part, {})
    failed = []
    for name, limit in thresholds.items():
        passed, total = (int(n) for n in counts.get(name, "0/0").split("/"))
        share = passed / total if total else 1.0
        if share < limit:
            failed.append(f"{name} {share:.2f} < {limit:.2f}")
    if failed:
        raise fail(f"below threshold ({part}): " + "; ".join(failed))


def _evaluate_claims(part: str, min_recall: float, min_side: float, min_criteria: float, as_json: bool) -> None:
    from bot.services.evaluation import run_claim_eval
    from knowledge.labels import LabelError

    try:
        report = run_claim_eval(settings())
    except (LabelError, ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from bot.render.terminal.evaluation import render_claim_eval

        render_claim_eval(report, out)
    rows = list(report.totals.values()) if part == "all" else [report.totals[part]]
    failed = [f"{row.part} {name} {value:.2f} < {limit:.2f}"
              for row in rows if row.part in ("tune", "held_out")
              for name, value, limit in (("recall", row.recall, min_recall),
                                         ("side precision", row.side_precision, min_side),
                                         ("criteria precision", row.criteria_precision, min_criteria))
              if value < limit]
    if failed:
        raise fail("below threshold: " + "; ".join(failed))
