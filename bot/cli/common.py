"""What every command shares: the consoles, one-line errors, settings, and opening the advisor or the index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from bot.engine import Advisor
    from bot.settings import Settings
    from index.embedding import Embedder
    from index.loaded import LoadedIndex
    from index.store import IndexStore

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]Error:[/bold red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings() -> Settings:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc


def load_advisor(config: Settings) -> Advisor:
    from bot.engine import Advisor
    from index.store import IndexUnavailable
    from knowledge.rules import RulesError

    try:
        return Advisor.from_settings(config)
    except (IndexUnavailable, RulesError, ValueError) as exc:
        raise fail(str(exc)) from exc


def open_index() -> tuple[IndexStore, LoadedIndex]:
    """The served version, checked; a missing or broken one is a one-line error naming the fix."""
    from index.loaded import load_index
    from index.store import IndexStore, IndexUnavailable

    store = IndexStore(settings().index_dir)
    try:
        return store, load_index(store)
    except IndexUnavailable as exc:
        raise fail(str(exc)) from exc


def query_encoder(index: LoadedIndex) -> Embedder:
    """What embeds queries for this version as configured; a ValueError says why it can't be queried."""
    from index.embedding import query_embedder
    from index.loaded import bind_query_encoder
    from index.store import IndexUnavailable

    config = settings()
    try:
        return bind_query_encoder(query_embedder(config.embedding_model, config.embedding_backend), index)
    except (IndexUnavailable, ValueError) as exc:
        raise ValueError(str(exc)) from exc
