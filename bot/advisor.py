"""Question to Answer: scope, criteria, evidence, scoring and composition over one loaded index version."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from pydantic import BaseModel

from index.cache import EmbeddingCache, embed_with_cache
from index.embedding import Embedder, bind_embedder, embedding_key, query_embedder
from index.encoder import EncoderMissing
from index.loaded import LoadedIndex, check_model, load_index
from index.search import HybridSearcher
from index.store import FIX, IndexStore, IndexUnavailable
from knowledge.claims import Claim, extract_claims
from knowledge.rules import Rules, load_rules

from .answer import SIDE_LABELS, VERDICT_NAMES, Answer, Assessment, CriterionScore, lower_label
from .compose import CitationBook, best_claims, compose
from .question import Analysis, QuestionAnalyzer, QuestionError, clean_question
from .ranking import ClaimScorer, QuestionRank
from .scoring import (
    ClaimIndex,
    CriterionResult,
    Outcome,
    decide,
    find_flip,
    group_claims,
    related_results,
)
from .settings import Settings

log = logging.getLogger(__name__)


class ProjectTraits(BaseModel):
    """What the /stackpick form asks about a project."""

    realtime: bool = False
    data_ml: bool = False
    cpu_heavy: bool = False
    team_knows: Literal["javascript", "python", "both", "neither"] = "neither"
    team_experience: Literal["junior", "mixed", "senior"] = "mixed"
    scale: Literal["small", "medium", "large"] = "medium"
    notes: str = ""

    def describe(self) -> str:
        parts = []
        if self.realtime:
            parts.append("real-time features")
        if self.data_ml:
            parts.append("data/ML work")
        if self.cpu_heavy:
            parts.append("CPU-heavy work")
        if self.team_knows != "neither":
            parts.append(f"team knows {'JavaScript and Python' if self.team_knows == 'both' else self.team_knows}")
        parts.append(f"{self.team_experience} team")
        parts.append(f"{self.scale} scale")
        text = "Project with " + ", ".join(parts)
        return f"{text}. {self.notes.strip()}" if self.notes.strip() else text

    def relevance(self) -> dict[str, float]:
        """Criteria the traits make apply, at full relevance."""
        out: dict[str, float] = {}
        if self.realtime:
            out["realtime"] = 1.0
        if self.data_ml:
            out["data_ml"] = 1.0
        if self.cpu_heavy:
            out["cpu_heavy"] = 1.0
        if self.team_knows in ("javascript", "both"):
            out["team_js"] = 1.0
        if self.team_knows in ("python", "both"):
            out["team_python"] = 1.0
        if self.team_experience == "junior":
            out["learning"] = 1.0
        if self.scale == "large":
            out["large_systems"] = 1.0
        elif self.scale == "small":
            out["small_apps"] = 0.8
        return out


class ArticleInfo(BaseModel):
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


@dataclass
class Engine:
    """One loaded index version and everything derived from it; replaced whole on reload."""

    index: LoadedIndex
    embedder: Embedder  # the encoder of this version (ONNX backends carry their own)
    searcher: HybridSearcher
    claims: list[Claim]
    claims_by_criterion: ClaimIndex
    scorer: ClaimScorer
    analyzer: QuestionAnalyzer


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
        self.store = store
        self.embedder = embedder
        self.rules = rules
        self.cache = cache
        self.fallback = fallback
        self._lock = threading.Lock()
        self._refused: str | None = None  # a published version that failed to load
        self._engine = self._load_serving()

    @classmethod
    def from_settings(cls, settings: Settings, fallback: bool = False) -> Advisor:
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3")
        embedder = query_embedder(settings.embedding_model, settings.embedding_backend)
        return cls(IndexStore(settings.index_dir), embedder, load_rules(settings.rules_file), cache, fallback)

    # -- loading ---------------------------------------------------------------------------------------------

    def _embed(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        vectors, _ = embed_with_cache(list(texts), embedder.embed, embedding_key(embedder), embedder.dimension,
                                      self.cache)
        return vectors

    def _bind(self, index: LoadedIndex) -> Embedder:
        current = self._engine.embedder if getattr(self, "_engine", None) else None
        try:
            embedder = bind_embedder(self.embedder, index.folder, current)
        except (EncoderMissing, ValueError, OSError) as error:
            raise IndexUnavailable(f"index version {index.version} has no usable encoder ({error}); {FIX}") from error
        check_model(index.manifest, embedder.model_id, embedder.backend, embedder.dimension,
                    getattr(embedder, "fingerprint", ""))
        return embedder

    def _engine_for(self, index: LoadedIndex) -> Engine:
        embedder = self._bind(index)
        claims, claim_vectors = index.claims, index.claim_vectors
        if index.manifest.rules_hash != self.rules.source_hash:
            # The rules changed since the build: claims depend on the cues, so draw them again from the articles.
            claims = [c for a in index.articles.values() for c in extract_claims(a, self.rules)]
            quotes = [index.articles[c.article_id].text[c.quote_start : c.quote_end] for c in claims]
            claim_vectors = self._embed(embedder, quotes) if claims else np.zeros((0, embedder.dimension), np.float32)
        examples = [(c.id, e) for c in self.rules.criteria for e in c.examples]
        stored = index.example_vectors
        if stored is not None and index.manifest.rules_hash == self.rules.source_hash and len(stored) == len(examples):
            vectors = stored  # embedded by the build with this very encoder and these rules
        else:
            vectors = self._embed(embedder, [e for _, e in examples])
        example_vectors = {
            c.id: vectors[[n for n, (cid, _) in enumerate(examples) if cid == c.id]] for c in self.rules.criteria
        }
        return Engine(
            index=index,
            embedder=embedder,
            searcher=HybridSearcher(index, embedder),
            claims=claims,
            claims_by_criterion=group_claims(claims),
            scorer=ClaimScorer(claims, claim_vectors),
            analyzer=QuestionAnalyzer(self.rules, example_vectors),
        )

    def _load_serving(self) -> Engine:
        try:
            return self._engine_for(load_index(self.store, lazy=True))
        except IndexUnavailable as error:
            if not self.fallback:
                raise
            current = self.store.current_version()
            for version in reversed(self.store.versions()):
                if version == current:
                    continue
                try:
                    engine = self._engine_for(load_index(self.store, version, lazy=True))
                except IndexUnavailable:
                    continue
                log.error("index version %s unusable (%s); serving previous version %s", current, error, version)
                return engine
            raise

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def version(self) -> str:
        return self._engine.index.version

    def reload_if_changed(self) -> bool:
        """Switch to a newly published version; requests in flight finish on the engine they started with."""
        current = self.store.current_version()
        if current is None or current == self._engine.index.version or current == self._refused:
            return False
        with self._lock:
            if current == self._engine.index.version:
                return False
            try:
                engine = self._engine_for(load_index(self.store, current, lazy=True))
            except IndexUnavailable as error:
                # Remembered until CURRENT moves on: re-checking every checksum (and logging) every few seconds
                # would change nothing while the same broken version is published.
                self._refused = current
                log.error("new index version %s not loaded, still serving %s: %s",
                          current, self._engine.index.version, error)
                return False
            self._engine = engine  # one reference swap: atomic for readers
            log.info("now serving index version %s", current)
            return True

    # -- answering -------------------------------------------------------------------------------------------

    def _analyse(self, engine: Engine, question: str) -> tuple[str, Analysis, np.ndarray]:
        text = clean_question(question)
        if not text:
            raise QuestionError("the question is empty: ask e.g. 'Node or Python for a real-time chat app?'")
        bounded = engine.analyzer.bounded(text)
        vector = engine.embedder.embed([bounded])[0]
        return bounded if len(bounded) == len(text) else bounded + "…", engine.analyzer.analyse(bounded, vector), vector

    def _rank(self, engine: Engine, vector: np.ndarray) -> QuestionRank:
        return engine.scorer.for_question(vector)

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
        return compose(display, outcome, engine.index.articles, self._rank(engine, vector), t.max_reasons,
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
        answer = compose(display, overview, engine.index.articles, self._rank(engine, vector), t.max_reasons,
                         t.min_relevance, book=book)
        hint = "Say what you are building (real-time features, data or ML work, what the team knows) for a verdict."
        summary = f"It depends: no use case named. {_strengths(overview)} {hint}"
        return answer.model_copy(update={"disagreements": [], "summary": summary})

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        """Answer one question; `context` holds earlier questions of the same thread, oldest first."""
        engine = self._engine
        display, analysis, vector = self._analyse(engine, question)
        earlier = [text for text in map(clean_question, context) if text]
        if not earlier:
            return self._answer(engine, display, analysis, vector)
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
        if after.verdict != before.verdict:
            change = f"Changed from {VERDICT_NAMES[before.verdict]} to {VERDICT_NAMES[after.verdict]}{added}. "
        else:
            change = f"Still {VERDICT_NAMES[after.verdict]} with the thread's first question in mind{added}. "
        return after.model_copy(update={"summary": change + after.summary})

    def assess(self, description: str) -> Assessment:
        """The full scorecard for a project description."""
        engine = self._engine
        display, analysis, vector = self._analyse(engine, description)
        return self._assessment(engine, display, analysis, vector)

    def assess_traits(self, traits: ProjectTraits) -> Assessment:
        """The full scorecard for the traits chosen in the /stackpick form."""
        engine = self._engine
        display, analysis, vector = self._analyse(engine, traits.describe())
        return self._assessment(engine, display, analysis, vector, traits.relevance())

    def _assessment(self, engine: Engine, display: str, analysis: Analysis, vector: np.ndarray,
                    overrides: dict[str, float] | None = None) -> Assessment:
        book = CitationBook(engine.index.articles)  # the scorecard's citations continue the answer's numbering
        relevance, outcome = self._decide(engine, analysis, overrides)
        answer = self._answer(engine, display, analysis, vector, overrides, book, outcome)
        if answer.verdict == "out_of_scope":
            return Assessment(**answer.model_dump())
        rank = self._rank(engine, vector)
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

    def search(self, query: str, k: int = 5, mode: str = "hybrid", per_article: int | None = None):
        return self._engine.searcher.search(query, k=k, mode=mode, per_article=per_article)

    def library_summary(self) -> LibrarySummary:
        index = self._engine.index
        counts: dict[str, int] = {}
        for passage in index.passages:
            counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
        return LibrarySummary(
            articles=[
                ArticleInfo(id=a.id, title=a.display_title, date=a.date.isoformat() if a.date else None, url=a.url,
                            passages=counts.get(a.id, 0))
                for a in index.articles.values()
            ],
            passages=len(index.passages),
            claims=len(self._engine.claims),
            version=index.version,
            built_at=index.manifest.built_at,
            model=index.manifest.embedding.model,
        )


def _strengths(outcome: Outcome) -> str:
    node = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "node"]
    python = [lower_label(r.criterion.label) for r in outcome.results if r.favors == "python"]
    return f"The articles favour Node.js for {' and '.join(node)}, Python for {' and '.join(python)}."


__all__ = ["Advisor", "ArticleInfo", "LibrarySummary", "ProjectTraits", "QuestionError"]
