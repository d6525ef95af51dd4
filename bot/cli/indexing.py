"""`stackpick index`: build, add, remove, list, stats and rollback of the article index."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from .app import index_app
from .common import err, fail, open_index, out, query_encoder, settings


def progress_display():
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


def run_library(action):
    from bot.services.library import Librarian
    from index.store import IndexUnavailable
    from knowledge.corpus import LibraryError
    from knowledge.ingest import IngestError
    from knowledge.rules import RulesError

    progress, hook = progress_display()
    try:
        with progress:
            return action(Librarian(settings(), progress=hook))
    except (IngestError, LibraryError, RulesError, IndexUnavailable, ValueError) as exc:
        raise fail(str(exc)) from exc


def print_report(report) -> None:
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
    print_report(run_library(lambda librarian: librarian.rebuild(full=full)))


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
    print_report(run_library(lambda librarian: librarian.add(sources, force=force)))


@index_app.command("remove")
def index_remove(
    article_id: Annotated[str, typer.Argument(help="The article id (see `stackpick index list`).")],
) -> None:
    """Remove an article from the library and rebuild.

    Example: stackpick index remove 000-e4f1b72e6a3fd075
    """
    report = run_library(lambda librarian: librarian.remove(article_id))
    out.print(f"Removed {article_id}.", highlight=False)
    print_report(report)


@index_app.command("list")
def index_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the articles in the index being served: id, title, date and passages.

    Example: stackpick index list
    """
    from rich.table import Table

    from bot.engine.summary import article_infos

    _, index = open_index()
    articles = article_infos(index)
    if as_json:
        out.print_json(json.dumps([a.model_dump() for a in articles]))
        return
    table = Table(title=f"Library (index version {index.version})")
    for column in ("id", "title", "date", "passages"):
        table.add_column(column)
    for a in articles:
        table.add_row(a.id, a.title, a.date or "—", str(a.passages))
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
    store, index = open_index()
    try:
        query_encoder(index)
        problem = None
    except ValueError as exc:
        problem = str(exc)
    if check and problem:
        raise fail(problem)
    m = index.manifest
    stats: dict[str, Any] = {
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
    from bot.services.library import Librarian
    from index.store import IndexUnavailable

    try:
        # The librarian tells running bots through Redis too, so they switch now rather than at their next poll.
        version = Librarian(settings()).rollback(to).version
    except IndexUnavailable as exc:
        raise fail(str(exc)) from exc
    out.print(f"Now serving index version {version}.", highlight=False)
