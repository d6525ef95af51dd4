"""Timing helpers: run a command as a subprocess and time it, and summarise samples (median, percentiles)."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class CommandFailed(RuntimeError):
    """A measured command exited with an error; the message holds its command line and the end of its stderr."""


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks, as numpy's default."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """The usual statistics of a list of samples."""

    n: int
    median: float
    p95: float
    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(len(samples), statistics.median(samples), percentile(samples, 95), statistics.fmean(samples),
                   min(samples), max(samples))


def run(command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None,
        timeout: float | None = None, show_stderr: bool = False) -> tuple[float, str]:
    """Run a command to completion; returns (wall seconds from spawn to exit, stdout).

    With show_stderr the command's stderr (a build's progress bar) goes to ours instead of being captured."""
    started = time.perf_counter()
    done = subprocess.run(list(command), env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=None if show_stderr else subprocess.PIPE, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stderr or "(see above)").strip().splitlines()[-15:])
        raise CommandFailed(f"{' '.join(command)} exited with {done.returncode}:\n{tail}")
    return seconds, done.stdout


def run_json(command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None,
             timeout: float | None = None) -> tuple[float, dict[str, Any]]:
    """Run a worker that prints one JSON object on its last line of stdout; returns (wall seconds, that object)."""
    seconds, stdout = run(command, env, cwd, timeout)
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise CommandFailed(f"{' '.join(command)} printed nothing")
    return seconds, json.loads(lines[-1])


def repeat(command: Sequence[str], env: Mapping[str, str], runs: int, warmup: int = 1,
           cwd: Path | None = None) -> list[float]:
    """Wall seconds of `runs` runs after `warmup` untimed ones (which also warm the OS file cache)."""
    for _ in range(warmup):
        run(command, env, cwd)
    return [run(command, env, cwd)[0] for _ in range(runs)]
