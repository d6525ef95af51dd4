"""The local console: the same answers as in Slack, rendered in the terminal, one question per line until EOF."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TextIO

from rich.console import Console

from bot.render.terminal.answer import render_answer

if TYPE_CHECKING:
    from bot.engine import Advisor

log = logging.getLogger("stackpick.console")

PROMPT = "stackpick> "
GREETING = "Ask “Node.js or Python for …?” questions; “quit” or Ctrl-D to leave."
# Words that end the session rather than being asked: what people type to leave a prompt.
LEAVE = frozenset(["quit", "exit", "q", ":q", "bye"])


def run_console(advisor: Advisor, stdin: TextIO, stdout: TextIO) -> int:
    """Answer every line of `stdin`; returns how many questions failed (0 when all were answered)."""
    interactive = stdin.isatty()
    # A pipe gets plain text (no colours, no prompt) so `echo q | stackpick console > out.txt` stays readable.
    console = Console(file=stdout, force_terminal=interactive or None, highlight=False)
    if interactive:
        console.print(GREETING, style="dim")
    failures = 0
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line:
            if interactive:
                stdout.write("\n")
            return failures
        question = line.strip()
        if not question:
            continue
        if question.lower() in LEAVE:
            return failures
        try:
            render_answer(advisor.ask(question), console)
        except Exception as error:
            failures += 1
            log.debug("console question failed", exc_info=True)
            console.print(f"Could not answer {question[:80]!r}: {error}", style="red", markup=False)
        if not interactive:
            console.print()
