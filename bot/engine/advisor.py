"""The Advisor facade: ask (with follow-ups), assess a description or the form's traits, summarize the library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from index.cache import EmbeddingCache
from index.embedding import Embedder, query_embedder
from index.store import IndexStore
from knowledge.question_model import QuestionModel, load_question_model
from knowledge.rules import Criterion, Rules, load_rules

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
from .compose import CitationBook, best_claims, compose, inverted, together, together_summary
from .loading import Engine, EngineLoader
from .question import Analysis, QuestionError, clean_question, focus_of
from .retrieval import retrieved_relevance
from .scoring import CriterionResult, Outcome, decide, find_flip, related_results
from .summary import summarize_library
from .traits import ProjectTraits, form_questions, trait_relevance

CONTEXT_WEIGHT = 0.5  # a thread's earlier question beside a follow-up that turns to another workload
GUESSED_CONFIDENCE = 0.4  # at most, for an answer resting only on the reader's best guess at the workload


class Advisor:
    """Answers questions from the index currently published; safe to share between threads."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        rules: Rules,
        cache: EmbeddingCache | None = None,
        fallback: bool = False,
        question_model: QuestionModel | None = None,
    ) -> None:
        self.rules = rules
        self.loader = EngineLoader(store, embedder, rules, cache, fallback, question_model)

    @classmethod
    def from_settings(cls, settings: Settings, fallback: bool = False) -> Advisor:
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")
        embedder = query_embedder(settings.embedding_model, settings.embedding_backend)
        return cls(IndexStore(settings.index_dir), embedder, load_rules(settings.rules_file), cache, fallback,
                   load_question_model(settings.question_model, settings.models_dir))

    @property
    def engine(self) -> Engine:
        return self.loader.engine

    @property
    def version(self) -> str:
        return self.loader.engine.index.version

    def reload_if_changed(self) -> bool:
        """Switch to a newly published version; requests in flight finish on the engine they started with."""
        return self.loader.reload_if_changed()

    def prepare(self) -> None:
        """For a long-running process: pay now, and on every reload, for what first questions would pay."""
        self.loader.prepare()

    # -- answering -------------------------------------------------------------------------------------------

    def _analyse(self, engine: Engine, question: str) -> tuple[str, Analysis, np.ndarray]:
        text = clean_question(question)
        if not text:
            raise QuestionError("the question is empty: ask e.g. 'Node or Python for a real-time chat app?'")
        bounded = engine.analyzer.bounded(text)
        read_as = engine.analyzer.spelled(bounded)
        focus = focus_of(read_as)
        subject = engine.analyzer.subject_of(read_as)
        # Each text gets its own encoder call: in one padded batch a short text costs as much as the longest beside
        # it, and the int8 encoder scales activations per batch, so a question's vector would depend on its company.
        # A long message's question sentences are read beside it (the encoder sees only its first couple of hundred
        # words, and the question is often in the middle).
        vector = self._embed(engine, read_as)
        analysis = engine.analyzer.analyse(read_as, vector, self._embed(engine, focus) if focus else None)
        if subject and analysis.in_scope:
            # "Libraries for X": X is read as the plain question "Node.js or Python for X?", to see whether any
            # criterion covers it; the criteria that do count for the question.
            asked = engine.analyzer.plain_question(subject)
            read = engine.analyzer.analyse(asked, self._embed(engine, asked), guess=False)
            covered = engine.analyzer.covers(read, subject)
            analysis.subject, analysis.covered = subject, bool(covered)
            for cid in covered:
                analysis.relevance[cid] = max(analysis.relevance[cid], read.relevance[cid])
        elif analysis.topic and not subject and not analysis.named:
            # The topic alone finds the claims about it without the sides' names pulling every claim close; only a
            # question that names no criterion reads them (see _decide).
            analysis.topic_vector = self._embed(engine, analysis.topic)
        return bounded if len(bounded) == len(text) else bounded + "…", analysis, vector

    @staticmethod
    def _embed(engine: Engine, text: str) -> np.ndarray:
        return engine.embedder.embed([text])[0]

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

    def _decide(self, engine: Engine, analysis: Analysis, vector: np.ndarray,
                overrides: dict[str, float] | None) -> tuple[dict[str, float], Outcome]:
        relevance = {**analysis.relevance, **(overrides or {})}
        if analysis.topic_vector is not None and not overrides and not analysis.named:
            # What the library's own claims say about the question's topic tells which criteria it turns on, so
            # a use case no keyword names still finds its evidence (a question that names its criteria needs no
            # guessing, and the nearest claims would only add noise to it).
            for criterion_id, found in retrieved_relevance(engine.scorer, analysis.topic_vector, self.rules).items():
                relevance[criterion_id] = max(relevance.get(criterion_id, 0.0), found)
        return relevance, decide(self.rules, relevance, engine.claims_by_criterion)

    def _answer(self, engine: Engine, display: str, analysis: Analysis, vector: np.ndarray,
                overrides: dict[str, float] | None = None, book: CitationBook | None = None,
                outcome: Outcome | None = None) -> Answer:
        if not analysis.in_scope and not overrides:
            return self.out_of_scope(display)
        outcome = outcome or self._decide(engine, analysis, vector, overrides)[1]
        t = self.rules.thresholds
        if analysis.subject and not analysis.covered and not overrides:
            # The libraries or support for something no criterion covers: the articles' general word on libraries
            # says nothing about that ("libraries for generating QR codes").
            return self._nothing_on(engine, display, analysis.subject)
        silent = self._unaddressed(engine, analysis) if not overrides else []
        if silent:
            # What the question names outright, the library says nothing about: say so rather than answer from
            # the criteria it merely touches ("cold starts on Lambda" is not answered from raw speed).
            return self._nothing_on(engine, display, " or ".join(lower_label(c.label) for c in silent[:2]))
        if not outcome.results:
            if analysis.topic and not overrides:
                return self._nothing_on(engine, display, analysis.topic)
            return self._overview(engine, display, vector, book)
        if analysis.together and not overrides:
            # "Can we just use both?": each side where it fits when the criteria pull both ways; else it depends.
            both = together(outcome)
            answer = compose(display, both, engine.index.articles, engine.scorer.for_question(vector),
                             t.max_reasons, t.min_relevance, book=book)
            return answer.model_copy(update={"summary": together_summary(both, answer.summary)})
        related = related_results(self.rules, outcome, engine.claims_by_criterion)
        answer = compose(display, outcome, engine.index.articles, engine.scorer.for_question(vector), t.max_reasons,
                         t.min_relevance, related, book)
        answer = inverted(answer) if analysis.inverse else answer
        if analysis.guessed and not overrides and all(r.criterion.id == analysis.guessed for r in outcome.results):
            return self._guessed(answer, self.rules.criterion(analysis.guessed))
        return answer

    @staticmethod
    def _guessed(answer: Answer, criterion: Criterion) -> Answer:
        """An answer that rests only on the reader's best guess at the workload says so, at lower confidence: the
        question named nothing the rules or the reader know well, and the asker should correct a wrong reading."""
        summary = (f"A guess: nothing in the question names a use case I know well, so I read it as "
                   f"{lower_label(criterion.label)}. {answer.summary} Say what it does if that reading is wrong.")
        return answer.model_copy(update={"summary": summary,
                                         "confidence": round(min(answer.confidence, GUESSED_CONFIDENCE), 2)})

    def _unaddressed(self, engine: Engine, analysis: Analysis) -> list[Criterion]:
        """The criteria a question names outright when no article takes a side on any of them (else none)."""
        # What a phrase or a pattern names ("cold starts") is the subject; a one-word comparative beside it ("faster
        # cold starts") only says what about it is asked.
        subject = (analysis.precise & analysis.named) or analysis.named
        named = [self.rules.criterion(c) for c in subject if not self.rules.criterion(c).trait]
        addressed = any(engine.claims_by_criterion.stances(c.id).node or engine.claims_by_criterion.stances(c.id).python
                        or engine.claims_by_criterion.stances(c.id).mixed for c in named)
        return [] if addressed else sorted(named, key=lambda c: -analysis.relevance.get(c.id, 0.0))

    def _nothing_on(self, engine: Engine, display: str, topic: str) -> Answer:
        """A topic the library says nothing about: said so, with what it does cover, and nothing cited."""
        covered = [lower_label(c.label) for c in self.rules.criteria
                   if engine.claims_by_criterion.stances(c.id).node or engine.claims_by_criterion.stances(c.id).python]
        listed = ", ".join(covered[:6]) + (f" and {len(covered) - 6} more" if len(covered) > 6 else "")
        return Answer(question=display, verdict="depends", confidence=0.0,
                      summary=(f"The library has nothing on {topic}, so I can't call it from the articles. "
                               f"It covers {listed}: ask about one of those, or add an article on {topic}."))

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
        if _thread_kind(analysis, display) != "answerable":
            return self.out_of_scope(display)  # chatter or another technology in a thread: not a follow-up
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
        if (_thread_kind(analysis, text) if context else analysis.kind) == "answerable":
            return Reading(kind="followup" if context else "question")
        if analysis.kind == "other_tech":
            names = " or ".join(analysis.others_named[:2]) or "that"
            reply = f"I only compare Node.js and Python, so I can't weigh in on {names}."
            return Reading(kind="other_tech", reply=reply)
        if analysis.kind == "chatter" or context:
            # In a thread people talk among themselves: what is neither a follow-up nor another technology gets
            # silence, not a line saying it is off topic.
            return Reading(kind="chatter" if analysis.kind == "chatter" else "off_topic")
        return Reading(kind="off_topic", reply="That's outside what I can answer: I compare Node.js and Python.")

    def _follow_up(self, engine: Engine, display: str, analysis: Analysis, earlier: list[str]) -> Answer:
        """A question asked in a thread: answered with the earlier questions in mind, saying what changed."""
        _, before_analysis, before_vector = self._analyse(engine, " ".join(earlier))
        before = self._answer(engine, display, before_analysis, before_vector)
        combined_text = " ".join([*earlier, display])
        _, combined, combined_vector = self._analyse(engine, combined_text)
        combined.in_scope = combined.in_scope or before_analysis.in_scope or analysis.in_scope
        own = analysis.applicable(self.rules.thresholds.min_relevance)
        if own:
            # A follow-up that says something of its own is what the asker now weighs most: its criteria count
            # fully. One that turns to another part of the project ("and the ML part?") leaves the thread's question
            # at a discount; one that adds a constraint to the same project ("what if the team only knows Python?")
            # leaves it as it was, so the two are weighed against each other.
            shifts = any(self.rules.criterion(c).workload for c in own)
            context = CONTEXT_WEIGHT if shifts else 1.0
            combined.relevance = {
                k: max(analysis.relevance.get(k, 0.0), context * before_analysis.relevance.get(k, 0.0))
                for k in combined.relevance
            }
            combined.named = analysis.named | {c for c in before_analysis.named if c in combined.named}
            combined.precise = analysis.precise | (before_analysis.precise & combined.precise)
        else:
            # "why?", "are you sure?": the thread's question as it was.
            combined.relevance = {k: max(v, before_analysis.relevance.get(k, 0.0))
                                  for k, v in combined.relevance.items()}
        combined.inverse = analysis.inverse
        combined.together = analysis.together
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
        relevance, outcome = self._decide(engine, analysis, vector, overrides)
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


def _thread_kind(analysis: Analysis, text: str) -> str:
    """What a message in a thread stackpick answered is: a question there ("why?", "are you sure?") is a follow-up
    to the thread's question even when it says too little to read as one on its own, and so is a remark the rules
    see as being about the project ("it'll run from cron", "fwiw the team is all React people"). Another
    technology named is still another technology."""
    if analysis.kind == "chatter" and text.rstrip().endswith("?"):
        return "answerable"
    if analysis.kind == "off_topic" and analysis.seen:
        return "answerable"
    return analysis.kind


def _strengths(outcome: Outcome) -> str:
    node = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "node"]
    python = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "python"]
    return f"The articles favour Node.js for {' and '.join(node)}, Python for {' and '.join(python)}."
