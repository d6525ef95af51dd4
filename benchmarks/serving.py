"""A stand-in for the serving process, run as its own process: serve's load path, then timed answers and peak RSS.

    python -m benchmarks.serving QUESTIONS.json [--warmup N] [--repeat N] [--no-slack] [--profile OUT.prof]

It imports the Slack stack the way `stackpick serve` does (unless --no-slack), loads the advisor from the
STACKPICK_* environment with serve's own warm-up, answers every question `repeat` times timing each `ask()`, and
prints one JSON object: load time, latencies, peak RSS, and whether torch was imported on the way.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _vm_hwm_mb() -> float | None:
    """VmHWM (peak resident set) from /proc, where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(questions: list[str], warmup: int, repeat: int, slack: bool, profile: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    if slack:  # what `stackpick serve` holds in memory besides the advisor
        import bot.slack.app
        import bot.slack.startup
    from bot.engine import Advisor
    from bot.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    advisor = Advisor.from_settings(settings, fallback=True)
    warm_up = None
    if slack:
        import bot.slack.startup

        warm_up = getattr(bot.slack.startup, "warm_up", None)
    if warm_up is not None:
        warm_up(advisor)
    load_s = time.perf_counter() - started
    for question in questions[:warmup]:
        advisor.ask(question)
    latencies: list[float] = []
    verdicts: list[str] = []
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    for n in range(repeat):
        for question in questions:
            t0 = time.perf_counter()
            answer = advisor.ask(question)
            latencies.append((time.perf_counter() - t0) * 1000)
            if n == 0:
                verdicts.append(answer.verdict)
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(str(profile))
    manifest = advisor.engine.index.manifest
    return {
        "load_s": load_s,
        "latencies_ms": latencies,
        "verdicts": verdicts,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vm_hwm_mb": _vm_hwm_mb(),
        "torch_imported": "torch" in sys.modules,
        "sentence_transformers_imported": "sentence_transformers" in sys.modules,
        "index": {"version": manifest.version, "backend": manifest.embedding.backend,
                  "model": manifest.embedding.model, "counts": manifest.counts},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve's load path, timed answers and peak RSS, as JSON.")
    parser.add_argument("questions", type=Path, help="a JSON list of questions")
    parser.add_argument("--warmup", type=int, default=2, help="untimed questions answered first")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the questions")
    parser.add_argument("--no-slack", action="store_true", help="do not import the Slack stack")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the timed answers into this file")
    args = parser.parse_args(argv)
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    result = run(questions, args.warmup, args.repeat, slack=not args.no_slack, profile=args.profile)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
