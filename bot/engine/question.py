"""Read a question: strip Slack markup, decide scope, and measure how strongly each criterion applies."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from knowledge.claims import side_mentions
from knowledge.rules import Criterion, Rules, SideId, phrase_pattern

_USER_OR_CHANNEL = re.compile(r"<[@!](?:[^<>|]*)(?:\|[^<>]*)?>")  # <@U123>, <!channel>, <!subteam^S1|@team>
_CHANNEL_LINK = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^<>|]*)(?:\|([^<>]*))?>")
# Control, zero-width and bidi-override characters, and lone surrogates (a JSON "\\ud83d" escape decodes to one;
# it cannot be encoded as UTF-8, so the embedder and the Web API would fail on it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


class QuestionError(ValueError):
    """A question that cannot be analysed (empty after markup is removed)."""


def clean_question(raw: str) -> str:
    """Plain text of a question typed in Slack: mentions and broadcasts dropped, links to labels, entities decoded."""
    text = _USER_OR_CHANNEL.sub(" ", raw)
    text = _CHANNEL_LINK.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(text.split())


@dataclass
class Analysis:
    """What a question is about."""

    text: str  # the analysed (bounded) text
    in_scope: bool
    sides_named: set[SideId]
    others_named: list[str]
    relevance: dict[str, float] = field(default_factory=dict)
    lexical: dict[str, float] = field(default_factory=dict)

    def applicable(self, minimum: float) -> list[str]:
        return [cid for cid, r in sorted(self.relevance.items(), key=lambda kv: -kv[1]) if r >= minimum]


_WORD = re.compile(r"[a-z0-9]+")


def stem_words(text: str) -> list[str]:
    """Lowercase words of a text, stemmed (English Snowball)."""
    return list(_stemmer().stemWords(_WORD.findall(text.lower())))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class StemmedPhrases:
    """Matches phrases on stemmed words, so 'scale' finds 'scales' and 'real-time' finds 'real time'."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = {tuple(stem_words(p)) for p in phrases if _WORD.search(p.lower())}

    def search(self, stems: list[str]) -> bool:
        joined = " " + " ".join(stems) + " "
        return any(" " + " ".join(p) + " " in joined for p in self.phrases)


class QuestionAnalyzer:
    """Scope and criterion relevance from the rules, with the criteria's example vectors precomputed."""

    def __init__(self, rules: Rules, example_vectors: dict[str, np.ndarray]) -> None:
        self.rules = rules
        self.example_vectors = example_vectors
        self._keywords = {c.id: StemmedPhrases(c.keywords) for c in rules.criteria}
        self._patterns = {c.id: [re.compile(p, re.IGNORECASE) for p in c.question_patterns] for c in rules.criteria}
        self._others = phrase_pattern(rules.scope.other_technologies)
        self._generic = phrase_pattern(rules.scope.generic_cues)
        self._choice = phrase_pattern(rules.scope.choice_cues)

    def bounded(self, text: str) -> str:
        """The prefix of a very long question that is analysed (cut at a word boundary)."""
        limit = self.rules.thresholds.analysis_chars
        if len(text) <= limit:
            return text
        cut = text[:limit]
        return cut[: cut.rfind(" ")] if " " in cut else cut

    def _lexical(self, criterion: Criterion, text: str, stems: list[str]) -> float:
        if any(p.search(text) for p in self._patterns[criterion.id]):
            return 1.0
        return 0.8 if self._keywords[criterion.id].search(stems) else 0.0

    def _semantic(self, criterion_id: str, vector: np.ndarray | None) -> float:
        if self.rules.criterion(criterion_id).trait:
            return 0.0  # a trait (what the team knows) is stated, never guessed from similar wording
        examples = self.example_vectors.get(criterion_id)
        if vector is None or examples is None or not len(examples):
            return 0.0
        t = self.rules.thresholds
        similarity = float(np.max(examples @ vector))
        return float(np.clip((similarity - t.relevance_floor) / (t.relevance_ceiling - t.relevance_floor), 0.0, 1.0))

    def analyse(self, text: str, vector: np.ndarray | None) -> Analysis:
        """Scope and relevance for an already cleaned and bounded question; `vector` is its embedding."""
        sides = {side for _, side in side_mentions(self.rules, text)}
        others = sorted({m.group(0) for m in self._others.finditer(text)}) if self._others else []
        stems = stem_words(text)
        lexical = {c.id: self._lexical(c, text, stems) for c in self.rules.criteria}
        relevance = {c.id: round(max(lexical[c.id], self._semantic(c.id, vector)), 3) for c in self.rules.criteria}
        best = max(relevance.values(), default=0.0)
        generic = bool(self._generic and self._generic.search(text))
        if not re.search(r"[A-Za-z]{2,}", text) or (others and not sides):
            in_scope = False  # gibberish, or a question about other technologies only
        elif sides or (self._choice and self._choice.search(text)):
            in_scope = True  # names a side, or asks for a backend/stack/language choice
        else:
            floor = self.rules.thresholds.min_relevance if generic else self.rules.scope.min_relevance
            in_scope = best >= floor and (generic or max(lexical.values(), default=0) > 0 or best >= 0.8)
        return Analysis(text, in_scope, sides, others, relevance, lexical)
