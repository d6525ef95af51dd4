"""Loading index versions for answering, and switching to a newly published one without a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.cache import EmbeddingCache, embed_with_cache
from index.claim_models import claim_model_for
from index.embedding import Embedder, embedding_key
from index.loaded import LoadedIndex, bind_query_encoder, load_index
from index.store import IndexStore, IndexUnavailable
from index.version_files import VersionFiles
from knowledge.claims import Claim, extract_many
from knowledge.cues import patterns, sentiment
from knowledge.question_model import QuestionModel
from knowledge.rules import Rules

from .question import QuestionAnalyzer
from .ranking import ClaimScorer
from .scoring import ClaimIndex, group_claims
from .spelling import speller_for

log = logging.getLogger(__name__)


@dataclass
class Engine:
    """One loaded index version and everything derived from it; replaced whole on reload."""

    index: LoadedIndex
    embedder: Embedder  # the encoder of this version (ONNX backends carry their own)
    claims: list[Claim]
    claims_by_criterion: ClaimIndex
    scorer: ClaimScorer
    analyzer: QuestionAnalyzer


class EngineLoader:
    """Holds the engine being served; loads a version, falls back from an unusable one, and reloads on change."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        rules: Rules,
        cache: EmbeddingCache | None = None,
        fallback: bool = False,
        question_model: QuestionModel | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.rules = rules
        self.cache = cache
        self.fallback = fallback
        self.question_model = question_model
        self._lock = threading.Lock()
        self._prepared = False  # serving: each version's stances are worked out before it answers
        self._refused: str | None = None  # a published version that failed to load
        self._engine: Engine | None = None
        self._engine = self._load_serving()

    @property
    def engine(self) -> Engine:
        assert self._engine is not None  # set in __init__, which raises rather than leave it unset
        return self._engine

    def _embed(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        vectors, _ = embed_with_cache(list(texts), embedder.embed, embedding_key(embedder), embedder.dimension,
                                      self.cache)
        return vectors

    def engine_for(self, index: LoadedIndex) -> Engine:
        current = self._engine.embedder if self._engine is not None else None
        embedder = bind_query_encoder(self.embedder, index, current)
        claims, claim_vectors, claim_order = index.claims, index.claim_vectors, index.claim_order
        if index.manifest.rules_hash != self.rules.source_hash:
            # The rules changed since the build: claims depend on the cues and criteria, so draw them again from
            # the articles, with the claim model the version was built with when it still fits these rules.
            model = claim_model_for(embedder, self.rules, VersionFiles(index.folder).claim_model_path())
            claims = extract_many(list(index.articles.values()), self.rules, model,
                                  lambda texts: self._embed(embedder, texts))
            quotes = [index.articles[c.article_id].text[c.quote_start : c.quote_end] for c in claims]
            claim_vectors = self._embed(embedder, quotes) if claims else np.zeros((0, embedder.dimension), np.float32)
            claim_order = None  # embedded in claims order
        library = (a.text for a in index.articles.values())  # read only when the index has no BM25 vocabulary
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
            claims=claims,
            claims_by_criterion=group_claims(claims),
            scorer=ClaimScorer(claims, claim_vectors, claim_order),
            analyzer=QuestionAnalyzer(self.rules, example_vectors, self._question_model_for(embedder),
                                      speller_for(self.rules, library, getattr(embedder, "folder", None),
                                                  index.library_stems())),
        )

    def _question_model_for(self, embedder: Embedder) -> QuestionModel | None:
        """The learned question reader when it reads this encoder's vectors; otherwise the rules alone."""
        model = self.question_model
        if model is None or not model.fits(embedder.model_id, embedder.dimension):
            return None
        if [c.id for c in self.rules.criteria] != model.criterion_ids:
            log.warning("question reader trained for other criteria than the rules'; retrain with `stackpick train`")
            return None
        return model

    def _load_serving(self) -> Engine:
        try:
            return self.engine_for(load_index(self.store, lazy=True))
        except IndexUnavailable as error:
            if not self.fallback:
                raise
            current = self.store.current_version()
            for version in reversed(self.store.versions()):
                if version == current:
                    continue
                try:
                    engine = self.engine_for(load_index(self.store, version, lazy=True))
                except IndexUnavailable:
                    continue
                log.error("index version %s unusable (%s); serving previous version %s", current, error, version)
                return engine
            raise

    def prepare(self) -> None:
        """Work out what the first questions would otherwise pay for (each criterion's stances, which take tens of
        milliseconds at 10,000 articles), now and for every version reloaded from here on."""
        self._prepared = True
        prepare_engine(self.engine, self.rules)

    def reload_if_changed(self) -> bool:
        """Switch to a newly published version; requests in flight finish on the engine they started with."""
        current = self.store.current_version()
        serving = self.engine.index.version
        if current is None or current == serving or current == self._refused:
            return False
        with self._lock:
            if current == self.engine.index.version:
                return False
            try:
                engine = self.engine_for(load_index(self.store, current, lazy=True))
            except IndexUnavailable as error:
                # Remembered until CURRENT moves on: re-checking every checksum (and logging) every few seconds
                # would change nothing while the same broken version is published.
                self._refused = current
                log.error("new index version %s not loaded, still serving %s: %s",
                          current, self.engine.index.version, error)
                return False
            if self._prepared:
                prepare_engine(engine, self.rules)  # before the swap: no live question pays for it
            self._engine = engine  # one reference swap: atomic for readers
            log.info("now serving index version %s", current)
            return True


def prepare_engine(engine: Engine, rules: Rules) -> None:
    """Each criterion's stances, their claims flattened for ranking, and the lexicons questions may need."""
    by_criterion = engine.claims_by_criterion
    by_criterion.prepare()
    engine.scorer.prepare(
        mapping
        for criterion_id in by_criterion
        for stances in [by_criterion.stances(criterion_id)]
        for mapping in (stances.node, stances.python, stances.side("node"), stances.side("python"))
    )
    # The first "which is worse?" question would load VADER's lexicon (tens of ms), the first claim-free one the
    # rules' patterns: loaded now, like everything else a question can need.
    patterns(rules)
    sentiment("")
