"""The Advisor facade: ask (with follow-ups), assess a description or the form's traits, summarize the library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from index.cache import EmbeddingCache
from index.embedding import Embedder, query_embedder
from index.store import IndexStore
from knowledge.rules import Rules, load_rules

from ..answer import (
    SIDE_LABELS,
    VERDICT_WORDS,
    Answer,
    Assessment,
    CriterionScore,
    FormQuestion,
    LibrarySummary,
    Reading,
    lower_label,
)
from ..settings import Settings
from .compose import CitationBook, best_claims, compose
from .loading import Engine, EngineLoader
from .question import Analysis, QuestionError, clean_question
from .scoring import CriterionResult, Outcome, decide, find_flip, related_results
from .summary import summarize_library
from .traits import ProjectTraits, form_questions, trait_relevance


class Advisor:
    """Answers questions from the index currently published; safe to share between threads."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        rules: Rules,
        cache: EmbeddingCache | None = None,
        fallback: bool = False,
    ) -> None:
        self.rules = rules
        self.loader = EngineLoader(store, embedder, rules, cache, fallback)

    @classmethod
    def from_settings(cls, settings: Settings, fallback: bool = False) -> Advisor:
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")
        embedder = query_embedder(settings.embedding_model, settings.embedding_backend)
        return cls(IndexStore(settings.index_dir), embedder, load_rules(settings.rules_file), cache, fallback)

    @property
    def engine(self) -> Engine:
        return self.loader.engine

    @property
    def version(self) -> str:
        return self.loader.engine.index.version

    def reload_if_changed(self) -> bool:
        """Switch to a newly published version; requests in flight finish on the engine they started with."""
        return self.loader.reload_if_changed()

    # -- answering -------------------------------------------------------------------------------------------

    def _analyse(self, engine: Engine, question: str) -> tuple[str, Analysis, np.ndarray]:
        text = clean_question(question)
        if not text:
            raise QuestionError("the question is empty: ask e.g. 'Node or Python for a real-time chat app?'")
        bounded = engine.analyzer.bounded(text)
        vector = engine.embedder.embed([bounded])[0]
        return bounded if len(bounded) == len(text) else bounded + "…", engine.analyzer.analyse(bounded, vector), vector

    def out_of_scope(self, question: str) -> Answer:
        examples = " or ".join(f"“{e}”" for e in self.rules.scope.examples[:2])
        return Answer(
            question=question,
            verdict="out_of_scope",
            confidence=0.0,
            summary=(f"stackpick helps choose between {SIDE_LABELS['node']} and {SIDE_LABELS['python']} for a "
                     f"backend or project, from its library of articles; this question is outside that. "
                     f"Try {examples}"),
        )

    def _decide(self, engine: Engine, analysis: Analysis,
                overrides: dict[str, float] | None) -> tuple[dict[str, float], Outcome]:
        relevance = {**analysis.relevance, **(overrides or {})}
        return relevance, decide(self.rules, relevance, engine.claims_by_criterion)

    def _answer(self, engine: Engine, display: str, analysis: Analysis, vector: np.ndarray,
                overrides: dict[str, float] | None = None, book: CitationBook | None = None,
                outcome: Outcome | None = None) -> Answer:
        if not analysis.in_scope and not overrides:
            return self.out_of_scope(display)
        outcome = outcome or self._decide(engine, analysis, overrides)[1]
        t = self.rules.thresholds
        if not outcome.results:
            return self._overview(engine, display, vector, book)
        related = related_results(self.rules, outcome, engine.claims_by_criterion)
        return compose(display, outcome, engine.index.articles, engine.scorer.for_question(vector), t.max_reasons,
                       t.min_relevance, related, book)

    def _overview(self, engine: Engine, display: str, vector: np.ndarray, book: CitationBook | None = None) -> Answer:
        """A choice question that names no use case: where each side is strongest, and what to tell us."""
        t = self.rules.thresholds
        everything = {c.id: t.min_relevance for c in self.rules.criteria if not c.trait}
        outcome = decide(self.rules, everything, engine.claims_by_criterion)
        node = [r for r in outcome.results if r.favors == "node" and r.criterion.workload][:2]
        python = [r for r in outcome.results if r.favors == "python" and r.criterion.workload][:2]
        overview = replace(outcome, verdict="depends", confidence=0.0,
                           results=[r for pair in zip(node, python, strict=False) for r in pair])
        answer = compose(display, overview, engine.index.articles, engine.scorer.for_question(vector), t.max_reasons,
                         t.min_relevance, book=book)
        hint = "Say what you are building (real-time features, data or ML work, what the team knows) for a verdict."
        summary = f"It depends: no use case named. {_strengths(overview)} {hint}"
        return answer.model_copy(update={"disagreements": [], "summary": summary})

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        """Answer one question; `context` holds earlier questions of the same thread, oldest first."""
        engine = self.loader.engine
        display, analysis, vector = self._analyse(engine, question)
        earlier = [text for text in map(clean_question, context) if text]
        if not earlier:
            return self._answer(engine, display, analysis, vector)
        return self._follow_up(engine, display, analysis, earlier)

    def read(self, message: str, context: Sequence[str] = ()) -> Reading:
        """What a message is: a question, a follow-up to the thread's `context`, chatter, or out of scope.

        A listener calls this before answering in a thread the bot is in, and obeys: chatter gets no reply, another
        technology gets one short line, a question or follow-up gets an answer (from `ask`).
        """
        engine = self.loader.engine
        text = clean_question(message)
        if not text:
            return Reading(kind="chatter")
        _, analysis, _ = self._analyse(engine, text)
        if analysis.in_scope:
            return Reading(kind="followup" if context else "question")
        if analysis.others_named:
            names = " or ".join(analysis.others_named[:2])
            reply = f"I only compare Node.js and Python, so I can't weigh in on {names}."
            return Reading(kind="other_tech", reply=reply)
        if context and not any(r >= self.rules.thresholds.min_relevance for r in analysis.relevance.values()):
            return Reading(kind="chatter")
        return Reading(kind="off_topic", reply="That's outside what I can answer: I compare Node.js and Python.")

    def _follow_up(self, engine: Engine, display: str, analysis: Analysis, earlier: list[str]) -> Answer:
        """A question asked in a thread: answered with the earlier questions in mind, saying what changed."""
        _, before_analysis, before_vector = self._analyse(engine, " ".join(earlier))
        before = self._answer(engine, display, before_analysis, before_vector)
        combined_text = " ".join([*earlier, display])
        _, combined, combined_vector = self._analyse(engine, combined_text)
        combined.in_scope = combined.in_scope or before_analysis.in_scope
        # The follow-up's own criteria count fully; the thread's earlier question keeps its weight.
        combined.relevance = {k: max(v, analysis.relevance.get(k, 0.0)) for k, v in combined.relevance.items()}
        after = self._answer(engine, display, combined, combined_vector)
        new = [lower_label(self.rules.criterion(c).label)
               for c in combined.applicable(self.rules.thresholds.min_relevance)
               if before_analysis.relevance.get(c, 0.0) < self.rules.thresholds.min_relevance]
        added = f" (this follow-up adds: {', '.join(new[:3])})" if new else ""
        was, now = VERDICT_WORDS[before.verdict].name, VERDICT_WORDS[after.verdict].name
        if after.verdict != before.verdict:
            change = f"Changed from {was} to {now}{added}. "
        else:
            change = f"Still {now} with the thread's first question in mind{added}. "
        return after.model_copy(update={"summary": change + after.summary})

    def assess(self, description: str) -> Assessment:
        """The full scorecard for a project description."""
        engine = self.loader.engine
        display, analysis, vector = self._analyse(engine, description)
        return self._assessment(engine, display, analysis, vector)

    def assess_traits(self, traits: ProjectTraits) -> Assessment:
        """The full scorecard for the traits chosen in the /stackpick form."""
        engine = self.loader.engine
        display, analysis, vector = self._analyse(engine, traits.describe(self.rules))
        return self._assessment(engine, display, analysis, vector, trait_relevance(self.rules, traits))

    def form(self) -> list[FormQuestion]:
        """The questions of the /stackpick form, as the rules define them."""
        return form_questions(self.rules)

    def _assessment(self, engine: Engine, display: str, analysis: Analysis, vector: np.ndarray,
                    overrides: dict[str, float] | None = None) -> Assessment:
        book = CitationBook(engine.index.articles)  # the scorecard's citations continue the answer's numbering
        relevance, outcome = self._decide(engine, analysis, overrides)
        answer = self._answer(engine, display, analysis, vector, overrides, book, outcome)
        if answer.verdict == "out_of_scope":
            return Assessment(**answer.model_dump())
        rank = engine.scorer.for_question(vector)
        rows = []
        for criterion in self.rules.criteria:
            result = CriterionResult(criterion, relevance.get(criterion.id, 0.0), criterion.weight,
                                     engine.claims_by_criterion.stances(criterion.id))
            side = result.favors
            mine = result.node_articles if side == "node" else result.python_articles if side else {}
            cited = [book.cite(c) for c in best_claims(mine, rank, 2)] if side else []
            rows.append(CriterionScore(id=criterion.id, label=criterion.label, weight=criterion.weight,
                                       relevance=round(result.relevance, 2), favors=side,  # type: ignore[arg-type]
                                       score=round(result.score, 2), citations=cited))
        rows.sort(key=lambda r: (-r.relevance, -r.weight))
        flip = find_flip(self.rules, relevance, engine.claims_by_criterion, outcome)
        return Assessment(**{**answer.model_dump(), "citations": [c.model_dump() for c in book.citations]},
                          criteria=rows, flip=flip.description if flip else None)

    # -- library ---------------------------------------------------------------------------------------------

    def library_summary(self) -> LibrarySummary:
        """What the index being served holds (App Home)."""
        return summarize_library(self.loader.engine.index, len(self.loader.engine.claims))


def _strengths(outcome: Outcome) -> str:
    node = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "node"]
    python = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "python"]
    return f"The articles favour Node.js for {' and '.join(node)}, Python for {' and '.join(python)}."
