"""Run a question set through the advisor and score verdicts, grounding, support, refusals and disagreements."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from knowledge.corpus import load_library
from knowledge.labels import part_of

from ..answer import Answer, CaseResult, ClaimEvalReport, ClaimScoreRow, EvalReport

if TYPE_CHECKING:
    import numpy as np

    from knowledge.claim_eval import ArticleScore

    from ..engine import Advisor
    from ..settings import Settings


class EvalError(ValueError):
    """A question set that cannot be read."""


class EvalCase(BaseModel):
    id: str
    q: str
    verdict: list[str] = Field(min_length=1)
    sources: list[str] = []
    disagree: bool = False
    kind: Literal["question", "followup", "chatter", "other_tech", "off_topic"] = "question"
    context: list[str] = []  # the thread's earlier questions, oldest first
    nothing: bool = False  # the library has nothing on the topic: a good answer says so and cites nothing
    note: str = ""


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


def _check(case: EvalCase, answer: Answer, advisor: Advisor, texts: dict[str, str]) -> CaseResult:
    missing = ungrounded(answer, texts)
    cited = sorted({c.article for c in answer.citations})
    expects_refusal = case.verdict == ["out_of_scope"]
    verdict_ok = answer.verdict in case.verdict
    nothing_ok = None
    if case.nothing:
        nothing_ok = not answer.citations and "has nothing on" in answer.summary
        verdict_ok = verdict_ok and not answer.citations
    read_ok = None
    if case.context or case.kind not in ("question",):
        reading = advisor.read(case.q, case.context)
        read_ok = reading.answerable == (case.kind in ("question", "followup"))
        if case.kind == "chatter" and case.context:
            read_ok = reading.kind == "chatter"  # in an answered thread, chatter must get silence
    return CaseResult(
        id=case.id,
        question=case.q,
        verdict=answer.verdict,
        expected=case.verdict,
        verdict_ok=verdict_ok,
        grounded=not missing,
        ungrounded_quotes=missing,
        supported=any(a.startswith(s) for a in cited for s in case.sources) if case.sources else None,
        refused_ok=(answer.verdict == "out_of_scope" and not answer.citations) if expects_refusal else None,
        disagreement_ok=bool(answer.disagreements) if case.disagree else None,
        confidence=answer.confidence,
        cited_articles=cited,
        kind=case.kind,
        part=part_of(case.id),
        scope_kept=None if expects_refusal else answer.verdict != "out_of_scope",
        read_ok=read_ok,
        nothing_ok=nothing_ok,
    )


CHECKS = ("verdict", "grounding", "support", "refusals", "scope_kept", "disagreements", "reading", "nothing")


def _flags(results: list[CaseResult]) -> dict[str, list[bool]]:
    return {
        "verdict": [r.verdict_ok for r in results],
        "grounding": [r.grounded for r in results],
        "support": [bool(r.supported) for r in results if r.supported is not None],
        "refusals": [bool(r.refused_ok) for r in results if r.refused_ok is not None],
        "scope_kept": [bool(r.scope_kept) for r in results if r.scope_kept is not None],
        "disagreements": [bool(r.disagreement_ok) for r in results if r.disagreement_ok is not None],
        "reading": [bool(r.read_ok) for r in results if r.read_ok is not None],
        "nothing": [bool(r.nothing_ok) for r in results if r.nothing_ok is not None],
    }


def run_eval(advisor: Advisor, cases: list[EvalCase], library_dir: Path) -> EvalReport:
    """Ask every case (with its thread context) and check it; quotes are checked against the library on disk."""
    texts = {a.id: fold(a.text) for a in load_library(library_dir)}
    results = [_check(case, advisor.ask(case.q, case.context), advisor, texts) for case in cases]
    checks = _flags(results)
    parts = {
        part: {name: f"{sum(flags)}/{len(flags)}" for name, flags in _flags(rows).items()}
        for part in ("tune", "held_out")
        if (rows := [r for r in results if r.part == part])
    }
    return EvalReport(
        results=results,
        totals={name: round(_share(flags), 4) for name, flags in checks.items()},
        counts={name: f"{sum(flags)}/{len(flags)}" for name, flags in checks.items()},
        parts=parts,
    )


def _row(score: ArticleScore) -> ClaimScoreRow:
    return ClaimScoreRow(article=score.article_id, origin=score.origin, part=score.part, style=score.style,
                         labels=score.labels, claims=score.claims, **score.figures())


def run_claim_eval(settings: Settings, labeled_dir: Path | None = None) -> ClaimEvalReport:
    """Extract claims from every labeled article as a build would (same encoder, claim model and rules); score them."""
    from index.cache import EmbeddingCache, embed_with_cache
    from index.claim_models import claim_model_for, claim_model_path, fingerprint_of
    from index.embedding import build_embedder, embedding_key
    from knowledge.claim_eval import annotator_agreement, evaluate_claims
    from knowledge.claims import extract_claims
    from knowledge.labels import LABELED_DIR, load_labeled_articles, load_second_labels
    from knowledge.rules import load_rules

    rules = load_rules(settings.rules_file)
    labeled = load_labeled_articles({c.id for c in rules.criteria}, labeled_dir or LABELED_DIR)
    embedder = build_embedder(settings.embedding_model, settings.embedding_backend, settings.cache_dir)
    model = claim_model_for(embedder, rules, claim_model_path(settings.claim_model, settings.models_dir),
                            required=settings.claim_model is not None)
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return embed_with_cache(list(texts), embedder.embed, embedding_key(embedder), embedder.dimension, cache,
                                batch_size=512)[0]

    try:
        report = evaluate_claims(labeled, lambda article: extract_claims(article, rules, model, embed))
    finally:
        cache.close()
        close = getattr(embedder, "close", None)
        if close is not None:
            close()
    totals = {"tune": report.total("tune"), "held_out": report.total("held_out"), "seeds": report.total(origin="seed")}
    second = load_second_labels(labeled, {c.id for c in rules.criteria}, labeled_dir or LABELED_DIR)
    if second:
        # Not the engine: a second person's labels of a few articles, the ceiling the figures above aim at.
        totals["second_annotator"] = annotator_agreement(second)
    return ClaimEvalReport(articles=[_row(s) for s in report.articles],
                           totals={name: _row(score) for name, score in totals.items()},
                           extractor=fingerprint_of(model))
