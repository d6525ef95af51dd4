"""The speed report: rows of measurements with their baseline and targets, as a rich table, JSON and README table."""

from __future__ import annotations

import json
import math
import re
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .profiling import summary_lines

README_START = "<!-- speed:start -->"
README_END = "<!-- speed:end -->"
SCHEMA = 1


@dataclass
class Check:
    """One target a row is held to, and how it came out."""

    text: str  # "≤ 1.0 s", "≥ 2× baseline"
    passed: bool | None  # None: could not be judged (a value or its reference is missing)
    margin: str = ""  # by how much it passed or missed, in words


@dataclass
class Row:
    """One measurement on one library with one backend, beside the baseline measured in the same run."""

    key: str  # machine name: cold_ask_s, warm_p95_ms, build_passages_per_s, add_one_s, serve_peak_rss_mb, ...
    measure: str  # what a person reads: "cold `stackpick ask`"
    library: str  # seed, 1k, 10k, or "—"
    backend: str  # the product's embedding backend, or "—" for reference rows
    unit: str  # s, ms, MB, /s
    value: float | None
    baseline: float | None = None
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline or math.isnan(self.value):
            return None
        return self.value / self.baseline

    @property
    def passed(self) -> bool | None:
        if not self.checks:
            return None
        results = [c.passed for c in self.checks]
        if any(r is False for r in results):
            return False
        return True if all(r is True for r in results) else None


@dataclass
class Report:
    """Everything one run measured."""

    started_at: str
    finished_at: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    libraries: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    quality: dict[str, Any] | None = None
    profiles: dict[str, dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)

    def find(self, key: str, library: str | None = None, backend: str | None = None) -> Row | None:
        for row in self.rows:
            if row.key == key and library in (None, row.library) and backend in (None, row.backend):
                return row
        return None

    def to_json(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            data = asdict(row)
            data["ratio"] = row.ratio
            data["passed"] = row.passed
            rows.append(data)
        return {"schema": SCHEMA, "started_at": self.started_at, "finished_at": self.finished_at,
                "machine": self.machine, "options": self.options, "libraries": self.libraries, "rows": rows,
                "quality": self.quality, "profiles": self.profiles, "notes": self.notes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        rows = []
        for raw in data["rows"]:
            raw = {k: v for k, v in raw.items() if k not in ("ratio", "passed")}
            raw["checks"] = [Check(**c) for c in raw.get("checks", [])]
            rows.append(Row(**raw))
        return cls(started_at=data["started_at"], finished_at=data.get("finished_at", ""),
                   machine=data.get("machine", {}), options=data.get("options", {}),
                   libraries=data.get("libraries", {}), rows=rows, quality=data.get("quality"),
                   profiles=data.get("profiles"), notes=data.get("notes", []))


# -- formatting ------------------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit, rounded the way a person reads it."""
    if value is None or math.isnan(value):
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:,.1f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "/s":
        return f"{value:,.1f}/s"
    return f"{value:.3g} {unit}".strip()


def fmt_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}×"


def result_text(row: Row, plain: bool = False) -> str:
    if row.passed is None and not row.checks:
        return ""
    marks = []
    for check in row.checks:
        mark = {True: "pass", False: "MISS", None: "n/a"}[check.passed]
        marks.append(f"{mark} ({check.margin})" if check.margin and check.passed is False else mark)
    text = ", ".join(marks)
    if plain:
        return text.replace("MISS", "**miss**")
    colour = {True: "green", False: "red", None: "yellow"}[row.passed]
    return f"[{colour}]{text}[/{colour}]"


def _row_cells(row: Row) -> list[str]:
    return [row.measure, row.library, row.backend, fmt(row.value, row.unit), fmt(row.baseline, row.unit),
            fmt_ratio(row.ratio), "; ".join(c.text for c in row.checks)]


LEGEND = {
    "python_floor_s": "the floor of any Python command",
    "import_st_s": "what the torch path pays before doing anything",
    "build_passages_per_s": "passages indexed per second by `stackpick index build` (whole process) on fresh "
                            "index and cache folders; baseline: a process that loads sentence-transformers, embeds "
                            "the same distinct texts whose vectors the index holds (passages, claim quotes, criterion "
                            "examples) and builds an IndexFlatIP",
    "build_first_s": "the first build on a fresh cache, which also exports the encoder (once per model and machine)",
    "build_inside_passages_per_s": "the same builds timed inside: the manifest's build seconds (no process start or "
                                   "model load); baseline: its encode and index time",
    "cold_ask_s": "`stackpick ask \"Q\"` from process start to exit, answer printed; baseline: a process that imports "
                  "sentence-transformers, loads the model, encodes the question and searches the IndexFlatIP",
    "warm_p50_ms": "one `Advisor.ask()` in a loaded process, over the dev questions and retrieval queries; baseline: "
                   "encode the question + exact FAISS search (no answer composed)",
    "warm_p95_ms": "95th percentile of the same answers",
    "serve_peak_rss_mb": "peak RSS of a process that imports serve's Slack stack, loads the advisor, warms up and "
                         "answers every question (baseline: the warm baseline process)",
    "serve_ready_s": "that process's start-up until ready to answer",
    "add_one_s": "`stackpick index add new.md` against the built index, process start to the new version published",
}

HEADERS = ["measure", "library", "backend", "stackpick", "baseline", "× baseline", "target", "result"]


def rich_table(report: Report) -> Table:
    table = Table(title="stackpick speed vs the baseline (stock sentence-transformers fp32 + exact FAISS, no cache)",
                  caption=caption(report), caption_justify="left")
    for header in HEADERS:
        table.add_column(header, justify="right" if header in ("stackpick", "baseline", "× baseline") else "left")
    for row in report.rows:
        table.add_row(*_row_cells(row), result_text(row))
    return table


def _when(stamp: str) -> str:
    match = re.fullmatch(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)\d\dZ", stamp)
    return f"{match[1]}-{match[2]}-{match[3]} {match[4]}:{match[5]} UTC" if match else stamp


def caption(report: Report) -> str:
    m = report.machine
    load = m.get("load_before")
    load_text = f", load avg {load:.2f} before / {m.get('load_after', math.nan):.2f} after" if load is not None else ""
    o = report.options
    if "cold_runs" in o:
        runs_text = (f"medians of {o['cold_runs']} cold starts, {o['build_runs']} builds, {o['add_runs']} adds; "
                     f"warm percentiles over {o['warm_repeat']} passes of the questions")
    else:
        runs_text = f"medians of {o.get('runs', '?')} runs"
    commit = f" at {m['git']}" if m.get("git") else ""
    return f"{_when(report.started_at)}{commit}, {m.get('cpus', '?')} CPUs{load_text}; {runs_text}"


def quality_table(report: Report) -> Table | None:
    if not report.quality:
        return None
    table = Table(title="Quality by embedding backend (seed library)")
    for header in ("backend", "dense r@5", "bm25 r@5", "hybrid r@5", "hybrid MRR", "verdict", "grounding",
                   "support", "refusals", "disagreements"):
        table.add_column(header)
    for backend, result in report.quality.get("backends", {}).items():
        table.add_row(backend, *quality_cells(result))
    return table


def quality_cells(result: dict[str, Any]) -> list[str]:
    retrieval = result.get("retrieval") or {}
    totals = (result.get("eval") or {}).get("totals", {})

    def r(mode: str, metric: str) -> str:
        value = retrieval.get(mode, {}).get(metric)
        return "—" if value is None else f"{value:.3f}"

    def t(name: str) -> str:
        value = totals.get(name)
        return "—" if value is None else f"{value:.2f}"

    return [r("dense", "recall@5"), r("bm25", "recall@5"), r("hybrid", "recall@5"), r("hybrid", "mrr"),
            t("verdict"), t("grounding"), t("support"), t("refusals"), t("disagreements")]


def legend(report: Report) -> list[str]:
    """What each measure present in the report means, one line each."""
    seen: dict[str, str] = {}
    for row in report.rows:
        if row.key in LEGEND:
            seen.setdefault(row.measure, LEGEND[row.key])
    return [f"{measure}: {text}" for measure, text in seen.items()]


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=118, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def print_report(report: Report, console: Console) -> None:
    console.print(rich_table(report))
    for line in legend(report):
        console.print(f"  [dim]{escape(line)}[/dim]", highlight=False)
    quality = quality_table(report)
    if quality is not None:
        console.print(quality)
        for line in report.quality.get("differences", []) if report.quality else []:
            console.print(f"  {line}", highlight=False, markup=False)
    for name, profile in (report.profiles or {}).items():
        for line in summary_lines(name, profile):
            console.print(line, highlight=False, markup=False)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)


# -- files -----------------------------------------------------------------------------------------------------


def write_json(report: Report, paths: list[Path]) -> None:
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def markdown_table(report: Report) -> str:
    """The README's speed section body: a Markdown table, the machine line, and the quality table if measured."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in report.rows:
        cells = [c.replace("|", "\\|") for c in _row_cells(row)] + [result_text(row, plain=True)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", _wrap(f"Measured {caption(report)}. Baseline: stock sentence-transformers fp32 "
                        "`encode(normalize_embeddings=True)` + exact `faiss.IndexFlatIP`, no cache, on the same texts. "
                        "Reproduce with `make bench` (`python -m benchmarks.speed --help`).")]
    lines += ["", *[_wrap(f"- {line}", "  ") for line in legend(report)]]
    if report.quality:
        lines += ["", "| backend | dense r@5 | bm25 r@5 | hybrid r@5 | hybrid MRR | verdict | grounding | support "
                  "| refusals | disagreements |", "|" + "---|" * 10]
        for backend, result in report.quality.get("backends", {}).items():
            lines.append("| " + " | ".join([backend, *quality_cells(result)]) + " |")
        lines += ["", *[_wrap(f"- {line}", "  ") for line in report.quality.get("differences", [])]]
    if report.profiles:
        lines += ["", "<details><summary>Where the time goes (cProfile, -X importtime)</summary>", "", "```text"]
        for name, profile in report.profiles.items():
            lines += summary_lines(name, profile)
        lines += ["```", "", "</details>"]
    return "\n".join(lines)


def update_readme(readme: Path, body: str) -> bool:
    """Replace what lies between the speed markers; returns False (and changes nothing) when they are missing."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        return False
    replaced = pattern.sub(lambda _: f"{README_START}\n{body}\n{README_END}", text, count=1)
    readme.write_text(replaced, encoding="utf-8")
    return True
