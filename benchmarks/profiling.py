"""Where the time goes: import times (-X importtime) and cProfile's top functions of a measured command."""

from __future__ import annotations

import io
import os
import pstats
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_PLUMBING = {"<built-in method builtins.exec>", "<built-in method builtins.__import__>", "<module>"}
_FRAMEWORKS = ("typer/", "click/", "runpy.py", "cProfile.py")
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")


def parse_importtime(stderr: str, top: int = 15) -> dict[str, Any]:
    """The slowest top-level imports (cumulative ms) from `-X importtime` output, and their total."""
    entries: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and len(match.group(3)) == 1:  # one space: imported by the program itself, not by another module
            entries.append((match.group(4), int(match.group(2)) / 1000))
    entries.sort(key=lambda e: -e[1])
    return {"total_ms": round(sum(ms for _, ms in entries), 1),
            "top": [{"module": name, "cumulative_ms": round(ms, 1)} for name, ms in entries[:top]]}


def import_profile(command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a command with PYTHONPROFILEIMPORTTIME and return its slowest imports."""
    done = subprocess.run(list(command), env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, cwd=cwd, capture_output=True,
                          text=True, check=False)
    return parse_importtime(done.stderr)


def top_functions(stats_file: Path, top: int = 20, by: str = "cumulative_s") -> list[dict[str, Any]]:
    """cProfile's functions with the most cumulative (or own, by="own_s") time, without the import machinery and
    the CLI framework's plumbing, which wrap everything and say nothing."""
    stats = pstats.Stats(str(stats_file), stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = _short(filename)
        if filename.startswith("<frozen") or name in _PLUMBING or short.startswith(_FRAMEWORKS):
            continue
        rows.append({"function": f"{short}:{line}({name})", "calls": calls,
                     "own_s": round(own, 4), "cumulative_s": round(cumulative, 4)})
    rows.sort(key=lambda r: -r[by])
    return rows[:top]


def _short(filename: str) -> str:
    """A file name relative to site-packages, the standard library or the repository."""
    if "site-packages" + os.sep in filename:
        return filename.split("site-packages" + os.sep, 1)[1]
    stdlib = re.search(r"python3\.\d+/(.*)$", filename)
    if stdlib:
        return stdlib.group(1)
    root = str(Path(__file__).resolve().parent.parent) + os.sep
    return filename.removeprefix(root)


def cprofile_command(command: Sequence[str], out: Path) -> list[str]:
    """The command run under cProfile (its first element must be a Python script, such as the stackpick script)."""
    return [sys.executable, "-m", "cProfile", "-o", str(out), *command]


def summary_lines(name: str, profile: dict[str, Any], top: int = 8) -> list[str]:
    """A few lines a person reads: the slowest imports and functions."""
    lines = [f"{name}:"]
    imports = profile.get("imports")
    if imports:
        slowest = ", ".join(f"{i['module']} {i['cumulative_ms']:.0f} ms" for i in imports["top"][:top])
        lines.append(f"  imports {imports['total_ms']:.0f} ms in all; slowest: {slowest}")
    if profile.get("functions"):
        lines.append("  most cumulative time:")
    for row in profile.get("functions", [])[:top]:
        lines.append(f"  {row['cumulative_s']:8.3f} s  {row['calls']:>7} calls  {row['function']}")
    if profile.get("own"):
        lines.append("  most own time:")
    for row in profile.get("own", [])[:top]:
        lines.append(f"  {row['own_s']:8.3f} s  {row['calls']:>7} calls  {row['function']}")
    return lines


def profile_file(stats_file: Path) -> dict[str, Any]:
    """The JSON summary of one .prof file: top functions by cumulative and by own time."""
    return {"functions": top_functions(stats_file), "own": top_functions(stats_file, by="own_s"),
            "file": str(stats_file)}
