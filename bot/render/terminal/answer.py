"""Terminal rendering of answers and assessments with rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.answer import SIDE_LABELS, VERDICT_WORDS, Answer, Assessment

VERDICT_STYLES = {"node": "bold green", "python": "bold blue", "both": "bold magenta", "depends": "bold yellow",
                  "out_of_scope": "bold red"}


def _refs(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def render_answer(answer: Answer, console: Console) -> None:
    """Verdict, confidence, reasons, disagreements and numbered sources with their quotes."""
    style = VERDICT_STYLES[answer.verdict]
    console.print(f"[dim]Q:[/dim] {escape(answer.question)}")
    title = VERDICT_WORDS[answer.verdict].title
    confidence = "" if answer.verdict == "out_of_scope" else f"  [dim](confidence {answer.confidence:.2f})[/dim]"
    console.print(f"[{style}]{escape(title)}[/{style}]{confidence}")
    console.print(escape(answer.summary))
    if answer.reasons:
        console.print("\n[bold]Why[/bold]")
        for reason in answer.reasons:
            console.print(f"  • {escape(reason.text)} {escape(_refs(reason.citations))}")
    if answer.disagreements:
        console.print("\n[bold]Sources disagree[/bold]")
        for item in answer.disagreements:
            console.print(f"  • {escape(item.text)} {escape(_refs(item.citations))}")
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.date, c.url) if x)
            console.print(f"  [{c.id}] [italic]{escape(c.title)}[/italic]{escape(' (' + meta + ')') if meta else ''}")
            console.print(f"      [dim]“{escape(c.quote)}”[/dim]")
    console.print()


def render_assessment(assessment: Assessment, console: Console) -> None:
    """The answer followed by the scorecard table and what would flip the verdict."""
    render_answer(assessment, console)
    if not assessment.criteria:
        return
    table = Table(title="Scorecard", show_lines=False)
    for column, justify in (("Criterion", "left"), ("Relevance", "right"), ("Weight", "right"),
                            ("Favours", "left"), ("Score", "right"), ("Evidence", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in assessment.criteria:
        favours = SIDE_LABELS.get(row.favors or "", "—")
        dim = row.relevance < 0.35
        cells = [row.label, f"{row.relevance:.2f}", f"{row.weight:g}", favours, f"{row.score:+.2f}",
                 _refs(row.citations) or "—"]
        table.add_row(*[escape(c) for c in cells], style="dim" if dim else None)
    console.print(table)
    if assessment.flip:
        console.print(f"[bold]What would change the verdict:[/bold] {escape(assessment.flip)}")
    console.print()
