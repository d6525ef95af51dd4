"""The `stackpick` command line: one module per command group, registered on one typer app."""

from __future__ import annotations

from importlib import import_module

from .app import app

# Importing a command module registers its commands, in this order (the order `--help` lists them). Each defers
# its heavy imports (the model stack, Slack) to the command that needs them: `stackpick ask` never loads Bolt.
for _group in ("indexing", "answers", "training", "serving", "feedback"):
    import_module(f"{__name__}.{_group}")


def main() -> None:
    app()


__all__ = ["app", "main"]
