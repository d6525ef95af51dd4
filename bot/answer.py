"""The one answer model every face renders: verdict, reasons, disagreements, citations, and the scorecard."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Side = Literal["node", "python"]
Verdict = Literal["node", "python", "both", "depends", "out_of_scope"]

SIDE_LABELS: dict[str, str] = {"node": "Node.js", "python": "Python"}
VERDICT_NAMES: dict[str, str] = {**SIDE_LABELS, "both": "both (each where it fits)", "depends": "it depends",
                                 "out_of_scope": "out of scope"}


def lower_label(label: str) -> str:
    """'Real-time and ...' -> 'real-time and ...', keeping acronyms such as 'AI' or 'I/O' intact."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


class Citation(BaseModel):
    """A numbered source: a verbatim, contiguous passage of a named article."""

    id: int
    article: str
    title: str
    date: str | None = None
    url: str | None = None
    quote: str


class Reason(BaseModel):
    """One reason behind the verdict, always backed by at least one citation."""

    text: str
    favors: Side
    criterion: str
    citations: list[int] = Field(min_length=1)


class Disagreement(BaseModel):
    """Articles that make opposite claims on a criterion that matters for the question."""

    criterion: str
    text: str
    citations: list[int] = Field(min_length=2)


class Answer(BaseModel):
    """What stackpick says about one question; `ask --json` prints exactly this."""

    question: str
    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    reasons: list[Reason] = []
    disagreements: list[Disagreement] = []
    citations: list[Citation] = []

    def citation(self, number: int) -> Citation:
        return next(c for c in self.citations if c.id == number)


class CriterionScore(BaseModel):
    """One row of the scorecard."""

    id: str
    label: str
    weight: float
    relevance: float
    favors: Side | None
    score: float
    citations: list[int] = []


class Assessment(Answer):
    """A full assessment: the answer plus every criterion's row and what would flip the verdict."""

    criteria: list[CriterionScore] = []
    flip: str | None = None
