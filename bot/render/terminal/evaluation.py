"""Terminal table of an eval run."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.answer import ClaimEvalReport, EvalReport


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
    render_parts(report, console)


def render_parts(report: EvalReport, console: Console) -> None:
    """The checks per part of the split, side by side: what was tuned on, and what was held out."""
    if not report.parts:
        return
    table = Table(title="By part of the split")
    table.add_column("check")
    for part in report.parts:
        table.add_column(part.replace("_", "-"), justify="right")
    for name in report.counts:
        table.add_row(name, *(report.parts[part].get(name, "—") for part in report.parts))
    console.print(table)


def render_claim_eval(report: ClaimEvalReport, console: Console) -> None:
    table = Table(title=f"Claims against labeled clauses (extractor {report.extractor[:12]})")
    for column in ("article", "part", "labels", "claims", "recall", "side P", "side+criteria P", "per 1k chars",
                   "stance R", "stance P"):
        table.add_column(column, justify="left" if column in ("article", "part") else "right")
    rows = [*report.articles, *report.totals.values()]
    for n, row in enumerate(rows):
        name = row.article if n < len(report.articles) else f"[bold]total: {list(report.totals)[n - len(rows)]}[/bold]"
        table.add_row(name, row.part, str(row.labels), str(row.claims), f"{row.recall:.0%}",
                      f"{row.side_precision:.0%}", f"{row.criteria_precision:.0%}", f"{row.claims_per_1000_chars:.1f}",
                      f"{row.stance_recall:.0%}", f"{row.stance_precision:.0%}",
                      end_section=n == len(report.articles) - 1)
    console.print(table)
