"""Run a question set through the advisor and score verdicts, grounding, support, refusals and disagreements."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, Field, ValidationError

from knowledge.corpus import load_library

from ..answer import Answer, CaseResult, EvalReport

if TYPE_CHECKING:
    from ..engine import Advisor


class EvalError(ValueError):
    """A question set that cannot be read."""


class EvalCase(BaseModel):
    id: str
    q: str
    verdict: list[str] = Field(min_length=1)
    sources: list[str] = []
    disagree: bool = False


def load_cases(path: Path) -> list[EvalCase]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise EvalError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, list) or not data:
        raise EvalError(f"{path}: expected a non-empty list of cases with id, q and verdict")
    try:
        return [EvalCase.model_validate(item) for item in data]
    except ValidationError as exc:
        raise EvalError(f"{path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc


def fold(text: str) -> str:
    """Whitespace folded, the only liberty a quote may take."""
    return " ".join(text.split())


def ungrounded(answer: Answer, texts: dict[str, str]) -> list[int]:
    """Citation numbers whose quote is not a contiguous passage of its article."""
    return [c.id for c in answer.citations if c.article not in texts or fold(c.quote) not in texts[c.article]]


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 1.0


def run_eval(advisor: Advisor, cases: list[EvalCase], library_dir: Path) -> EvalReport:
    """Ask every case and check it; quotes are checked against the library files on disk."""
    texts = {a.id: fold(a.text) for a in load_library(library_dir)}
    results = []
    for case in cases:
        answer = advisor.ask(case.q)
        missing = ungrounded(answer, texts)
        cited = sorted({c.article for c in answer.citations})
        expects_refusal = case.verdict == ["out_of_scope"]
        results.append(
            CaseResult(
                id=case.id,
                question=case.q,
                verdict=answer.verdict,
                expected=case.verdict,
                verdict_ok=answer.verdict in case.verdict,
                grounded=not missing,
                ungrounded_quotes=missing,
                supported=any(a.startswith(s) for a in cited for s in case.sources) if case.sources else None,
                refused_ok=(answer.verdict == "out_of_scope" and not answer.citations) if expects_refusal else None,
                disagreement_ok=bool(answer.disagreements) if case.disagree else None,
                confidence=answer.confidence,
                cited_articles=cited,
            )
        )
    checks = {
        "verdict": [r.verdict_ok for r in results],
        "grounding": [r.grounded for r in results],
        "support": [r.supported for r in results if r.supported is not None],
        "refusals": [r.refused_ok for r in results if r.refused_ok is not None],
        "disagreements": [r.disagreement_ok for r in results if r.disagreement_ok is not None],
    }
    return EvalReport(
        results=results,
        totals={name: round(_share([bool(f) for f in flags]), 4) for name, flags in checks.items()},
        counts={name: f"{sum(bool(f) for f in flags)}/{len(flags)}" for name, flags in checks.items()},
    )
