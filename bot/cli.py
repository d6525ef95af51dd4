"""The `stackpick` command line: index management, search, ask, assess, eval, and the Slack faces."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from .advisor import Advisor
    from .settings import Settings

app = typer.Typer(
    help="stackpick: Node.js or Python? A verdict with reasons and verbatim quotes from a library of articles.\n\n"
    "Examples:\n\n"
    "  stackpick index build\n\n"
    "  stackpick ask \"Node or Python for a real-time chat app?\"\n\n"
    "  stackpick assess \"IoT gateway relaying sensor data, team knows JavaScript\"",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
index_app = typer.Typer(
    help="Build and manage the article index.\n\nExamples:\n\n  stackpick index build\n\n"
    "  stackpick index add https://example.com/node-vs-python\n\n  stackpick index stats",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]Error:[/bold red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings() -> Settings:
    from pydantic import ValidationError

    from .settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc


def load_advisor(config: Settings) -> Advisor:
    from index.store import IndexUnavailable
    from knowledge.rules import RulesError

    from .advisor import Advisor

    try:
        return Advisor.from_settings(config)
    except (IndexUnavailable, RulesError, ValueError) as exc:
        raise fail(str(exc)) from exc


def _progress():
    """A rich progress display on stderr and a hook the build reports into."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=err, transient=False)
    tasks: dict[str, TaskID] = {}
    started: dict[str, float] = {}

    def hook(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=max(total, 1), rate="")
            started[stage] = time.perf_counter()
        elapsed = time.perf_counter() - started[stage]
        rate = f"{done / elapsed:,.0f}/s" if stage == "embedding" and elapsed > 0.05 and done else ""
        progress.update(tasks[stage], completed=done, total=max(total, 1), rate=rate)

    return progress, hook


def _run_library(action):
    from index.store import IndexUnavailable
    from knowledge.corpus import LibraryError
    from knowledge.ingest import IngestError
    from knowledge.rules import RulesError

    from .library import Librarian

    progress, hook = _progress()
    try:
        with progress:
            return action(Librarian(settings(), progress=hook))
    except (IngestError, LibraryError, RulesError, IndexUnavailable, ValueError) as exc:
        raise fail(str(exc)) from exc


def _print_report(report) -> None:
    for warning in report.warnings:
        err.print(f"[yellow]Warning:[/yellow] {warning}", highlight=False)
    build = report.build
    if report.added:
        shown = ", ".join(report.added[:10]) + (f" and {len(report.added) - 10} more" if len(report.added) > 10 else "")
        out.print(f"Added {len(report.added)} article(s): {shown}", highlight=False)
    if build:
        out.print(f"Index version {build.version}: {build.articles} articles, {build.passages} passages, "
                  f"{build.claims} claims; embedded {build.embedded} new texts in {report.seconds:.1f}s",
                  highlight=False)


@index_app.command("build")
def index_build(
    full: Annotated[bool, typer.Option("--full", help="Re-read, re-chunk and re-extract every article instead "
                                       "of reusing what the served version already holds for unchanged files.")]
    = False,
) -> None:
    """Build a new index version from the library folder and publish it atomically.

    Articles whose files are unchanged since the served version keep their passages, claims and vectors; new or
    edited ones are chunked and embedded (through the embedding cache), so a rebuild costs what changed.

    Examples:

      stackpick index build

      stackpick index build --full
    """
    _print_report(_run_library(lambda librarian: librarian.rebuild(full=full)))


@index_app.command("add")
def index_add(
    sources: Annotated[list[str], typer.Argument(help="Markdown/text/HTML files or http(s) URLs.")],
    force: Annotated[bool, typer.Option("--force", help="Add even if it nearly duplicates an article.")] = False,
) -> None:
    """Add articles to the library, then rebuild the index.

    Accepts Markdown with YAML front matter, plain text, HTML files and http(s) URLs. Nothing is added if any
    source is bad (missing, empty, binary, too short, a duplicate).

    Examples:

      stackpick index add notes/node-vs-python.md

      stackpick index add https://example.com/blog/node-vs-python
    """
    _print_report(_run_library(lambda librarian: librarian.add(sources, force=force)))


@index_app.command("remove")
def index_remove(
    article_id: Annotated[str, typer.Argument(help="The article id (see `stackpick index list`).")],
) -> None:
    """Remove an article from the library and rebuild.

    Example: stackpick index remove 000-e4f1b72e6a3fd075
    """
    report = _run_library(lambda librarian: librarian.remove(article_id))
    out.print(f"Removed {article_id}.", highlight=False)
    _print_report(report)


def _open_index():
    from index.loaded import load_index
    from index.store import IndexStore, IndexUnavailable

    store = IndexStore(settings().index_dir)
    try:
        return store, load_index(store)
    except IndexUnavailable as exc:
        raise fail(str(exc)) from exc


def _query_encoder(index):  # -> Embedder; raises ValueError saying why this index can't be queried as configured
    from index.embedding import bind_embedder, query_embedder
    from index.encoder import EncoderMissing
    from index.loaded import check_model
    from index.store import FIX, IndexUnavailable

    config = settings()
    try:
        embedder = bind_embedder(query_embedder(config.embedding_model, config.embedding_backend), index.folder)
        check_model(index.manifest, embedder.model_id, embedder.backend, embedder.dimension,
                    getattr(embedder, "fingerprint", ""))
    except EncoderMissing as exc:
        raise ValueError(f"index version {index.version} has no usable encoder ({exc}); {FIX}") from exc
    except (IndexUnavailable, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    return embedder


@index_app.command("list")
def index_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the articles in the index being served: id, title, date and passages.

    Example: stackpick index list
    """
    from rich.table import Table

    _, index = _open_index()
    counts: dict[str, int] = {}
    for passage in index.passages:
        counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
    rows = [
        {"id": a.id, "title": a.display_title, "date": a.date.isoformat() if a.date else None,
         "url": a.url, "passages": counts.get(a.id, 0)}
        for a in index.articles.values()
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"Library (index version {index.version})")
    for column in ("id", "title", "date", "passages"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["title"], row["date"] or "—", str(row["passages"]))
    out.print(table)


@index_app.command("stats")
def index_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 unless the index can answer with the current "
                                        "settings (model and backend match, encoder present).")] = False,
) -> None:
    """Show what the served index holds: articles, passages, vectors, model, version, build time, size.

    Examples:

      stackpick index stats

      stackpick index stats --check || stackpick index build
    """
    store, index = _open_index()
    try:
        _query_encoder(index)
        problem = None
    except ValueError as exc:
        problem = str(exc)
    if check and problem:
        raise fail(problem)
    m = index.manifest
    stats = {
        "version": m.version, "built_at": m.built_at, "articles": m.counts["articles"],
        "passages": m.counts["passages"], "claims": m.counts["claims"], "vectors": m.counts["vectors"],
        "model": m.embedding.model, "backend": m.embedding.backend, "dimension": m.embedding.dimension,
        "faiss_index": m.faiss_index, "size_bytes": store.size_on_disk(m.version),
        "versions_kept": len(store.versions()), "usable": problem is None,
    }
    if as_json:
        out.print_json(json.dumps(stats))
        return
    for key, value in stats.items():
        shown = f"{value / 1e6:.2f} MB" if key == "size_bytes" else value
        out.print(f"[bold]{key:<13}[/bold] {shown}", highlight=False)


@index_app.command("rollback")
def index_rollback(
    to: Annotated[str | None, typer.Option("--to", help="A version name; default: the one before.")] = None,
) -> None:
    """Serve the previous index version again (or a named one). Running bots switch on their own.

    Example: stackpick index rollback
    """
    from index.store import IndexStore, IndexUnavailable

    store = IndexStore(settings().index_dir)
    try:
        version = store.rollback(to)
    except IndexUnavailable as exc:
        raise fail(str(exc)) from exc
    from .shared import publish_index_version

    publish_index_version(settings(), version)  # running bots switch now, not at their next poll
    out.print(f"Now serving index version {version}.", highlight=False)


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

    _, index = _open_index()
    try:
        embedder = _query_encoder(index)
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
    from .question import QuestionError
    from .render.text import render_answer

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
    from .question import QuestionError
    from .render.text import render_assessment

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
    file: Annotated[Path, typer.Argument(help="A YAML question set (see shared/eval/dev-questions.yaml).")],
    min_verdict: Annotated[float, typer.Option(help="Fail below this verdict accuracy (0-1).")] = 0.0,
    min_grounding: Annotated[float, typer.Option(help="Fail below this share of verbatim quotes.")] = 0.0,
    min_support: Annotated[float, typer.Option(help="Fail below this share citing an expected source.")] = 0.0,
    min_refusals: Annotated[float, typer.Option(help="Fail below this share of out-of-scope refusals.")] = 0.0,
    min_disagreements: Annotated[float, typer.Option(help="Fail below this share of disagreements flagged.")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print per-question results and totals as JSON.")] = False,
) -> None:
    """Run a question set and score it: verdicts, grounding, support, refusals, disagreements.

    Exits 1 when a total falls below its --min-* threshold.

    Example:

      stackpick eval ../shared/eval/dev-questions.yaml --min-verdict 0.93 --min-grounding 1 --min-support 0.9
    """
    from .evaluation import EvalError, load_cases, run_eval

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
        from .render.evaluation import render_eval

        render_eval(report, out)
    thresholds = {"verdict": min_verdict, "grounding": min_grounding, "support": min_support,
                  "refusals": min_refusals, "disagreements": min_disagreements}
    failed = [f"{name} {report.totals[name]:.2f} < {limit:.2f}" for name, limit in thresholds.items()
              if report.totals[name] < limit]
    if failed:
        raise fail("below threshold: " + "; ".join(failed))


def _register_slack_commands() -> None:
    # The Slack faces live in their own module so that `ask` and `search` never import Bolt.
    try:
        from . import cli_slack
    except ImportError:
        return
    for name in ("serve", "console", "feedback"):
        command = getattr(cli_slack, name, None)
        if command is not None:
            app.command(name)(command)


_register_slack_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
