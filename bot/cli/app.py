"""The `stackpick` typer app and its `index` group, which every command module registers on."""

from __future__ import annotations

import typer

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
