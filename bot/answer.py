"""The models every face renders: answers and assessments, the library summary, curation and eval reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from index.build import BuildReport

Side = Literal["node", "python"]
Verdict = Literal["node", "python", "both", "depends", "out_of_scope"]

SIDE_LABELS: dict[str, str] = {"node": "Node.js", "python": "Python"}


class VerdictWords(NamedTuple):
    """How each face names a verdict."""

    name: str  # inside a sentence: "Changed from it depends to Node.js"
    title: str  # the terminal's heading
    headline: str  # Slack's header block


# One table for every face, so a verdict is never called one thing in Slack and another in the terminal by accident.
VERDICT_WORDS: dict[str, VerdictWords] = {
    "node": VerdictWords("Node.js", "Node.js", "🟩 Node.js"),
    "python": VerdictWords("Python", "Python", "🐍 Python"),
    "both": VerdictWords("both (each where it fits)", "Both, each where it fits", "⚖️ Both: split the system"),
    "depends": VerdictWords("it depends", "It depends", "🤔 It depends"),
    "out_of_scope": VerdictWords("out of scope", "Out of scope", "🤷 Outside what I can answer"),
}


MessageKind = Literal["question", "followup", "chatter", "other_tech", "off_topic"]


class Reading(BaseModel):
    """What a message is, decided by the engine; a face only obeys (answer, stay quiet, or reply one line)."""

    kind: MessageKind
    reply: str | None = None  # the one line to post for `other_tech` or `off_topic` in an answered thread

    @property
    def answerable(self) -> bool:
        """A question or follow-up the engine will answer with a verdict."""
        return self.kind in ("question", "followup")


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
    # Who wrote or published the article, where it says so (None otherwise); added after the JSON contract was
    # set, so older consumers simply see two more optional keys.
    author: str | None = None
    publisher: str | None = None


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


class ArticleInfo(BaseModel):
    """One article of the served library, as App Home and `index list` show it."""

    id: str
    title: str
    date: str | None
    url: str | None
    passages: int


class LibrarySummary(BaseModel):
    """What the index being served holds (App Home, `index stats`)."""

    articles: list[ArticleInfo]
    passages: int
    claims: int
    version: str
    built_at: str
    model: str


ChannelMode = Literal["thread", "private", "mention_only", "off"]
CHANNEL_MODES: tuple[ChannelMode, ...] = ("thread", "private", "mention_only", "off")


class ChannelSetting(BaseModel):
    """How stackpick answers in one channel, as an admin set it (App Home or `/stackpick config`)."""

    channel: str
    mode: ChannelMode = "thread"
    updated_by: str | None = None
    updated_at: str | None = None


class FormOption(NamedTuple):
    """One answer the /stackpick form offers."""

    id: str
    label: str


class FormQuestion(BaseModel):
    """One question of the /stackpick form, read from the rules' traits."""

    id: str
    label: str
    kind: Literal["checkboxes", "radio", "select"]
    optional: bool
    initial: str | None
    options: list[FormOption]


@dataclass
class AddReport:
    """What an add or rebuild did, for the CLI and the admin's Slack summary."""

    added: list[str]
    passages_added: int
    version: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    build: BuildReport | None = None


class CaseResult(BaseModel):
    """One question of an eval set, and how its answer fared."""

    id: str
    question: str
    verdict: str
    expected: list[str]
    verdict_ok: bool
    grounded: bool
    ungrounded_quotes: list[int]
    supported: bool | None  # None when the case names no sources
    refused_ok: bool | None  # None unless the case expects out_of_scope
    disagreement_ok: bool | None  # None unless the case expects a disagreement
    confidence: float
    cited_articles: list[str]
    kind: str = "question"  # question, followup, chatter, other_tech or off_topic
    part: str = "tune"  # tune or held_out (a hash of the id decides)
    scope_kept: bool | None = None  # an in-scope case that was not refused (None for out-of-scope cases)
    read_ok: bool | None = None  # the engine read the message as what it is (answerable or not)
    nothing_ok: bool | None = None  # a topic the library says nothing about: said so, cited nothing


class EvalReport(BaseModel):
    """Every case's result and the totals `stackpick eval` checks against its thresholds."""

    results: list[CaseResult]
    totals: dict[str, float]
    counts: dict[str, str]
    parts: dict[str, dict[str, str]] = {}  # per part of the split: check -> "passed/cases"


class ClaimScoreRow(BaseModel):
    """How the extracted claims of one labeled article (or a total) match its labels."""

    article: str
    origin: str  # seed or own
    part: str  # tune or held_out
    style: str = ""
    labels: int
    claims: int
    recall: float
    side_precision: float
    criteria_precision: float
    claims_per_1000_chars: float
    stance_recall: float = 1.0  # of each article's sides per criterion that the labels give, the share found
    stance_precision: float = 1.0  # of each article's sides per criterion that the claims give, the share right


class ClaimEvalReport(BaseModel):
    """`stackpick eval --claims`: per article and per part, and what extracted the claims."""

    articles: list[ClaimScoreRow]
    totals: dict[str, ClaimScoreRow]  # tune, held_out, seeds
    extractor: str  # the claim model's fingerprint, or "rules"
