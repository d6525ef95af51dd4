"""`stackpick feedback`: the 👍/👎 given in Slack, summarized."""

from __future__ import annotations

import json

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
) -> None:
    """Summarize the 👍/👎 feedback given in Slack: totals, per verdict, and the latest explained 👎.

    Reads STACKPICK_DATABASE_URL when set, otherwise the SQLite file at STACKPICK_FEEDBACK_DB.

    Examples:

        stackpick feedback

        stackpick feedback --latest 25

        stackpick feedback --json | jq .per_verdict
    """
    from bot.services.feedback import FeedbackStore

    settings = Settings()
    store = FeedbackStore.from_settings(settings)
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
    if summary.latest_reasons:
        reasons = Table("when", "verdict", "question", "what was wrong", title="Latest 👎 explanations")
        for item in summary.latest_reasons:
            reasons.add_row(item.created_at, escape(item.verdict), escape(item.question[:80]), escape(item.reason))
        out.print(reasons)
