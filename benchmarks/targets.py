"""The targets of issue 5, and judging a report's rows against them (pass or miss, and by how much)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .report import Check, Report, Row, fmt

Kind = Literal["max", "min_ratio", "max_of_reference"]


@dataclass(frozen=True)
class Target:
    """A row (by key and library) must be at most `limit`, at least `limit`× its baseline, or at most
    `limit`× the value of a reference row measured in the same run."""

    key: str
    library: str
    text: str
    kind: Kind
    limit: float
    reference: str | None = None


TARGETS = (
    Target("cold_ask_s", "seed", "≤ 1.0 s", "max", 1.0),
    Target("cold_ask_s", "seed", "≤ 0.25× import ST", "max_of_reference", 0.25, reference="import_st_s"),
    Target("warm_p95_ms", "seed", "≤ 15 ms", "max", 15.0),
    Target("warm_p95_ms", "10k", "≤ 50 ms", "max", 50.0),
    Target("build_passages_per_s", "seed", "≥ 2× baseline", "min_ratio", 2.0),
    Target("build_passages_per_s", "1k", "≥ 2× baseline", "min_ratio", 2.0),
    Target("add_one_s", "10k", "≤ 5 s", "max", 5.0),
    Target("serve_peak_rss_mb", "seed", "≤ 400 MB", "max", 400.0),
)


def _usable(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def judge(target: Target, row: Row, report: Report) -> Check:
    value = row.value
    if target.kind == "max":
        if value is None or not _usable(value):
            return Check(target.text, None)
        over = value - target.limit
        if over <= 0:
            return Check(target.text, True, f"{-over / target.limit:.0%} under")
        return Check(target.text, False, f"{fmt(over, row.unit)} over, {over / target.limit:.0%}")
    if target.kind == "min_ratio":
        ratio = row.ratio
        if ratio is None:
            return Check(target.text, None)
        passed = ratio >= target.limit
        return Check(target.text, passed, f"{ratio:.2f}× of {target.limit:g}×")
    reference = report.find(target.reference or "", None)
    if reference is None or not _usable(reference.value) or value is None or not _usable(value):
        return Check(target.text, None)
    assert reference.value is not None
    limit = target.limit * reference.value
    share = value / reference.value
    text = f"{target.text} = {fmt(limit, row.unit)}"
    if value <= limit:
        return Check(text, True, f"{share:.2f}×")
    return Check(text, False, f"{share:.2f}× of {target.limit:g}×, {fmt(value - limit, row.unit)} over")


def apply_targets(report: Report) -> None:
    """Attach every target to the product rows it concerns (all backends), replacing earlier checks."""
    for row in report.rows:
        if row.backend == "—":
            continue
        row.checks = [judge(t, row, report) for t in TARGETS if t.key == row.key and t.library == row.library]
