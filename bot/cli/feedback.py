"""`stackpick feedback`: the 👍/👎 given in Slack, summarized."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.settings import Settings

from .app import app


@app.command("feedback")
def feedback(
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    latest: int = typer.Option(10, "--latest", help="How many recent 👎 explanations to show."),
    export: Annotated[Path | None, typer.Option("--export", help="Write every 👎 to this YAML file as labeled "
                                                "questions for `stackpick train` (review it first).")] = None,
) -> None:
    """Summarize the 👍/👎 feedback given in Slack: totals, per verdict, per criterion, and the latest explained 👎.

    "By criterion" counts the votes on answers that gave the criterion as a reason, and how often a 👎 named it
    as the reason that was wrong: the rules' weights and evidence to look at first.

    Reads STACKPICK_DATABASE_URL when set, otherwise the SQLite file at STACKPICK_FEEDBACK_DB.

    Examples:

        stackpick feedback

        stackpick feedback --latest 25

        stackpick feedback --json | jq .per_criterion

        stackpick feedback --export ours/downvotes.yaml   (then STACKPICK_TRAINING_QUESTIONS=ours/downvotes.yaml
        stackpick train)
    """
    from bot.services.feedback import FeedbackStore

    settings = Settings()
    store = FeedbackStore.from_settings(settings)
    if export is not None:
        import yaml

        entries = store.downvotes()
        try:
            export.parent.mkdir(parents=True, exist_ok=True)
            export.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
        except OSError as exc:
            typer.echo(f"Error: cannot write {export} ({exc.strerror})", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"Wrote {len(entries)} 👎 as labeled questions to {export}: review them (add `criteria` where you "
                   "know them), then train with STACKPICK_TRAINING_QUESTIONS and `stackpick train`.")
        return
    summary = store.summary(latest=latest)
    if json_output:
        typer.echo(json.dumps(summary.model_dump(), ensure_ascii=False))
        return
    out = Console(highlight=False)
    if not summary.total:
        out.print(f"No feedback yet ({store.location}).", markup=False)
        return
    share = 100 * summary.up / summary.total
    out.print(f"{summary.total} votes: 👍 {summary.up} · 👎 {summary.down} ({share:.0f}% positive)", markup=False)
    table = Table("verdict", "👍", "👎", title="By verdict")
    for row in summary.per_verdict:
        table.add_row(escape(row.verdict), str(row.up), str(row.down))
    out.print(table)
    labels = _criterion_labels(settings)
    if summary.per_criterion:
        by_criterion = Table("criterion", "👍", "👎", "👎 says wrong", title="By criterion (answers that gave it as a "
                             "reason)")
        for counts in summary.per_criterion:
            label = labels.get(counts.criterion) or counts.criterion
            by_criterion.add_row(escape(label), str(counts.up), str(counts.down), str(counts.wrong))
        out.print(by_criterion)
    if summary.latest_reasons:
        reasons = Table("when", "verdict", "question", "wrong criteria", "what was wrong",
                        title="Latest 👎 explanations")
        for item in summary.latest_reasons:
            wrong = ", ".join(labels.get(c, c) for c in item.wrong)
            reasons.add_row(item.created_at, escape(item.verdict), escape(item.question[:80]), escape(wrong),
                            escape(item.reason))
        out.print(reasons)


def _criterion_labels(settings: Settings) -> dict[str, str]:
    """Criterion ids to the rules' labels; ids alone if the rules cannot be read (the report still prints)."""
    from knowledge.rules import load_rules

    try:
        return {c.id: c.label for c in load_rules(settings.rules_file).criteria}
    except Exception:
        return {}
