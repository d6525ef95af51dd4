"""Which criteria a question's own words name by the rules: keywords (the longer one wins, none after a negation)
and question patterns, read with every framework said as its side. Shared by the question reader's training and
the engine, so the reader learns how far to trust each criterion's words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cues import SideNames
from .question_text import stem_words
from .rules import Criterion, Rules

_WORD = re.compile(r"[a-z0-9]+")
# "No real-time stuff, no ML", "we don't need websockets": a keyword right after a negation is ruled out, not named.
_NEGATORS = frozenset(["no", "not", "nt", "without", "never", "nor"])
NEGATION_REACH = 2  # words before a keyword that a negation reaches
PATTERN = 1.0  # a question pattern ("the team knows Express")
KEYWORD = 0.8  # a keyword; one of one word may be used in another sense ("small" in "a small warehouse robot")


class StemmedPhrases:
    """Matches phrases on stemmed words, so 'scale' finds 'scales' and 'real-time' finds 'real time'."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = {tuple(stem_words(p)) for p in phrases if _WORD.search(p.lower())}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted(self.phrases):
            if phrase:
                self._by_first.setdefault(phrase[0], []).append(phrase)

    def spans(self, stems: list[str]) -> list[tuple[int, int]]:
        """(start, end) word positions of every phrase found."""
        found = []
        for i, stem in enumerate(stems):
            for phrase in self._by_first.get(stem, ()):
                n = len(phrase)
                if tuple(stems[i : i + n]) == phrase:
                    found.append((i, i + n))
        return found

    def search(self, stems: list[str]) -> bool:
        return bool(self.spans(stems))


def keyword_hits(keywords: dict[str, StemmedPhrases], stems: list[str], min_words: int = 1) -> set[str]:
    """Criteria whose keywords a question holds, where a longer keyword wins over one inside it: "machine
    learning" is data and ML, not the learning curve; one just after a negation does not count ("no real-time
    stuff"). With `min_words`, only keywords of at least that many words."""
    spans = [(start, end, cid) for cid, phrases in keywords.items() for start, end in phrases.spans(stems)]
    return {
        cid for start, end, cid in spans
        if end - start >= min_words and not _NEGATORS.intersection(stems[max(0, start - NEGATION_REACH) : start])
        and not any(s <= start and end <= e and (e - s) > (end - start) and other != cid for s, e, other in spans)
    }


def side_tools(criterion: Criterion, rules: Rules) -> list[str]:
    """A side's libraries and tools that the rules list as evidence of a criterion ("NumPy" for scientific
    computing, "Electron" for desktop apps): a question that names one names the work it is for."""
    names = {n.lower() for side in rules.sides.values() for n in side.names}
    return [e for e in criterion.evidence if e.lower() in names]


def plainly(text: str, names: SideNames, rules: Rules) -> str:
    """The text with every name of a side (a framework, a library, a nickname) replaced by the side's own name."""
    for start, end, side in reversed(names.spans(text)):
        text = text[:start] + rules.sides[side].label + text[end:]
    return text


@dataclass(frozen=True)
class WordCues:
    """What a question's words name: each criterion's value (PATTERN, KEYWORD or none) and which keywords hit."""

    values: dict[str, float]
    hits: set[str]  # criteria named by a keyword of any length
    phrases: set[str]  # criteria named by a keyword of several words

    def vector(self, criterion_ids: list[str]) -> list[float]:
        return [self.values.get(cid, 0.0) for cid in criterion_ids]


class QuestionCues:
    """The rules' keywords and question patterns, compiled once."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.keywords = {c.id: StemmedPhrases([*c.keywords, *side_tools(c, rules)]) for c in rules.criteria}
        self.patterns = {c.id: [re.compile(p, re.IGNORECASE) for p in c.question_patterns] for c in rules.criteria}

    def read(self, text: str, names: SideNames | None = None) -> WordCues:
        names = names if names is not None else SideNames(self.rules, text, every_side=True)
        stems = stem_words(text)
        hits, phrases = keyword_hits(self.keywords, stems), keyword_hits(self.keywords, stems, min_words=2)
        # The patterns also read the question with each side's names said plainly: a team that "knows Express" or
        # "writes Django all day" knows Node.js or Python, whichever framework or library it names.
        plain = plainly(text, names, self.rules)
        texts = (text, plain) if plain != text else (text,)
        values = {}
        for c in self.rules.criteria:
            if any(p.search(t) for p in self.patterns[c.id] for t in texts):
                values[c.id] = PATTERN
            elif c.id in hits:
                values[c.id] = KEYWORD
        return WordCues(values, hits, phrases)
