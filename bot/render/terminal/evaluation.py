"""Terminal table of an eval run."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.answer import EvalReport


def _mark(flag: bool | None) -> str:
    return "—" if flag is None else ("[green]✓[/green]" if flag else "[red]✗[/red]")


def render_eval(report: EvalReport, console: Console) -> None:
    table = Table(title="Evaluation")
    for column in ("id", "question", "verdict", "expected", "ok", "grounded", "support", "refusal", "disagree"):
        table.add_column(column)
    for r in report.results:
        table.add_row(r.id, escape(r.question[:60]), r.verdict, "|".join(r.expected), _mark(r.verdict_ok),
                      _mark(r.grounded), _mark(r.supported), _mark(r.refused_ok), _mark(r.disagreement_ok))
    console.print(table)
    for name, value in report.totals.items():
        console.print(f"[bold]{name:<14}[/bold] {report.counts[name]:>6}  {value:.0%}", highlight=False)
