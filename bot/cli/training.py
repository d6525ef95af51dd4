"""`stackpick train`: retrain the claim model and the question reader from the labeled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import err, fail, out, settings


@app.command()
def train(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder to write claims.npz and questions.npz to "
                                                  "(default: STACKPICK_MODELS_DIR, which builds then use).")] = None,
) -> None:
    """Retrain the learned models from labeled data: the tune part of knowledge/labeled/ plus your own files.

    Add your team's labeled clauses (format of knowledge/labeled/clauses.yaml) and questions (format of
    knowledge/labeled/train_questions.yaml) with STACKPICK_TRAINING_CLAUSES and STACKPICK_TRAINING_QUESTIONS.
    Held-out articles and questions are never trained on. Then rebuild the index to extract claims with it.

    Examples:

      stackpick train

      STACKPICK_TRAINING_CLAUSES=ours/clauses.yaml stackpick train && stackpick index build --full

      stackpick train --out knowledge/models    (replace the shipped models)
    """
    from bot.services.training import TrainingError, default_output, train_models
    from knowledge.labels import LabelError
    from knowledge.rules import RulesError

    config = settings()
    target = out_dir or default_output(config)
    try:
        report = train_models(config, target, progress=lambda message: err.print(f"[dim]{message}…[/dim]"))
    except (TrainingError, LabelError, RulesError, ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    out.print(f"Trained on {report.labeled_articles} labeled articles ({report.claim_examples} clause examples) and "
              f"{report.questions} questions in {report.seconds:.0f}s:\n  {report.claims_path}\n  "
              f"{report.questions_path}", highlight=False)
    if out_dir is None:
        out.print("Builds now use these models; run `stackpick index build --full` to extract claims with them.",
                  highlight=False)
