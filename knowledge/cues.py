"""The rules' reading of a clause: side names, cue polarity, comparatives and evidence phrases, compiled once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .rules import Rules, SideId, phrase_pattern

OTHER: dict[str, SideId] = {"node": "python", "python": "node"}
CELL_LEAN = 0.05  # VADER's own threshold between neutral and positive or negative


@dataclass
class Patterns:
    """Every regex the rules define, compiled."""

    positive: re.Pattern[str] | None
    negative: re.Pattern[str] | None
    better: re.Pattern[str] | None
    worse: re.Pattern[str] | None
    negator: re.Pattern[str] | None
    hedge: re.Pattern[str] | None
    splitter: re.Pattern[str]
    pronoun: re.Pattern[str]
    prefix: re.Pattern[str]
    contrast: re.Pattern[str] | None
    concessive: re.Pattern[str] | None
    heading_pos: re.Pattern[str] | None
    heading_neg: re.Pattern[str] | None
    evidence_negator: re.Pattern[str] | None
    both: re.Pattern[str] | None
    evidence: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)


_COMPILED: dict[int, tuple[Rules, Patterns]] = {}


def patterns(rules: Rules) -> Patterns:
    """The rules' patterns, compiled once per Rules object (rules are frozen; the object is kept so its id stays)."""
    cached = _COMPILED.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = (rules, _compile(rules))
        _COMPILED[id(rules)] = cached
    return cached[1]


def _compile(rules: Rules) -> Patterns:
    cues = rules.cues
    splitter = "|".join(re.escape(s) for s in sorted(cues.clause_splitters, key=len, reverse=True))
    prefixes = "|".join(re.escape(p) for p in sorted(cues.ignore_prefixes, key=len, reverse=True))
    pronouns = "|".join(re.escape(p) for p in sorted(cues.pronouns, key=len, reverse=True))
    evidence: dict[str, list[re.Pattern[str]]] = {}
    for criterion in rules.criteria:
        found = [p for p in [phrase_pattern(criterion.evidence)] if p]
        found += [re.compile(p, re.IGNORECASE) for p in criterion.evidence_patterns]
        evidence[criterion.id] = found
    return Patterns(
        positive=phrase_pattern(cues.positive),
        negative=phrase_pattern(cues.negative),
        better=phrase_pattern(cues.better_than),
        worse=phrase_pattern(cues.worse_than),
        negator=phrase_pattern(cues.negators),
        hedge=phrase_pattern(cues.hedges),
        splitter=re.compile(splitter, re.IGNORECASE),
        pronoun=re.compile(rf"^(?:{pronouns})\b", re.IGNORECASE),
        prefix=re.compile(rf"^(?:(?:{prefixes})\b[,]?\s*)+", re.IGNORECASE) if prefixes else re.compile(r"^$"),
        contrast=phrase_pattern(cues.contrast_openers),
        concessive=phrase_pattern(cues.concessive_openers),
        heading_pos=phrase_pattern(cues.heading_positive),
        heading_neg=phrase_pattern(cues.heading_negative),
        evidence_negator=phrase_pattern(cues.evidence_negators),
        both=phrase_pattern(cues.both_markers),
        evidence=evidence,
    )


_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def without_urls(text: str) -> str:
    """The text with every URL blanked out (same length), so a word inside a link is never evidence."""
    return _URL.sub(lambda m: " " * len(m.group(0)), text)


# A name the document defines as one side's by a parenthesis right after it: "claims-api (Node.js)", "`herald`
# (Python)", "Herald (Django)". Only names that cannot be ordinary words count: in backticks, with a digit, a hyphen,
# an underscore or a capital inside, or capitalised and never written in lowercase in the document; "the backend
# (Python)" and a table's "Good (Django)" define nothing.
_ALIAS = re.compile(r"(?:`([^`\n]{2,40})`|(?<![\w.-])([A-Za-z][\w-]{1,39}))[ \t]*\(([^()\n]{2,40})\)")
_NAME_LIKE = re.compile(r"[A-Z0-9_-]")


def document_aliases(rules: Rules, document: str) -> dict[str, SideId]:
    """Names a document defines as one side's ("claims-api (Node.js)"), mapped to that side."""
    base = rules.side_patterns
    plain = without_urls(document)
    found: dict[str, SideId] = {}
    for m in _ALIAS.finditer(plain):
        name = m.group(1) or m.group(2)
        if not m.group(1) and not _NAME_LIKE.search(name[1:]):
            ordinary = re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", plain)
            if not name[:1].isupper() or ordinary:
                continue
        sides = {side for side, pattern in base.items() if pattern.search(m.group(3))}
        if len(sides) != 1 or any(pattern.search(name) for pattern in base.values()):
            continue  # the parenthesis names both sides or none, or the name is a side's own
        side = next(iter(sides))
        if found.get(name, side) != side:
            found[name] = None  # type: ignore[assignment]  # defined for both sides: no alias
        else:
            found[name] = side
    return {name: side for name, side in found.items() if side is not None}


class SideNames:
    """Finds the sides' names in the texts of one document (an article or a question).

    A document that names a side in full ("Node.js", "Python") also uses its short lowercase names for it ("node",
    "py"); elsewhere those are ordinary words and only count as written in the rules. A name the document defines
    as one side's ("claims-api (Node.js)") counts as that side wherever the document uses it.
    """

    def __init__(self, rules: Rules, document: str = "", every_side: bool = False) -> None:
        base = rules.side_patterns
        plain = without_urls(document)
        named = frozenset(side for side, pattern in base.items() if document and pattern.search(plain))
        if named and every_side:
            # A question that names one side is a choice between the two: "node or Python?" means Node.js.
            named = frozenset(base)
        patterns = dict(rules.side_patterns_for(named) if named else base)
        aliases = document_aliases(rules, document) if document else {}
        for side in patterns:
            mine = sorted((re.escape(n) for n, s in aliases.items() if s == side), key=len, reverse=True)
            if mine:
                alias = r"(?<![\w.-])(?:" + "|".join(mine) + r")(?![\w-])"
                patterns[side] = re.compile(f"{alias}|{patterns[side].pattern}", patterns[side].flags)
        self.patterns = patterns

    def spans(self, text: str) -> list[tuple[int, int, SideId]]:
        """Every mention as (start, end, side), in order, overlaps dropped; names inside URLs don't count."""
        text = without_urls(text)
        found: list[tuple[int, int, SideId]] = []
        for side, pattern in self.patterns.items():
            found += [(m.start(), m.end(), side) for m in pattern.finditer(text)]
        found.sort()
        kept: list[tuple[int, int, SideId]] = []
        for span in found:
            if not kept or span[0] >= kept[-1][1]:
                kept.append(span)
        return kept

    def mentions(self, text: str) -> list[tuple[int, SideId]]:
        """Every mention as (position, side), in order."""
        return [(start, side) for start, _, side in self.spans(text)]

    def sides(self, text: str) -> set[SideId]:
        return {side for _, _, side in self.spans(text)}


def side_mentions(rules: Rules, text: str) -> list[tuple[int, SideId]]:
    """Every mention of a side's names in a text, as (position, side), in order; names inside URLs don't count."""
    return SideNames(rules).mentions(text)


def mark_polarity(text: str) -> int:
    """+1 for a check mark, -1 for a cross, told by the character's Unicode name so that every variant counts
    (✓ ✔ ✅ ☑ / ✗ ✘ ❌ ❎ ☒); the first mark decides, 0 without one."""
    for char in text:
        if char.isascii():
            continue
        name = unicodedata.name(char, "")
        if "CHECK MARK" in name or name.endswith("WITH CHECK"):
            return 1
        if "BALLOT X" in name or "CROSS MARK" in name or name.endswith("WITH X"):
            return -1
    return 0


def cell_polarity(text: str) -> int:
    """A table cell's lean in the general sentiment lexicon (VADER's compound score, at its usual ±0.05): "Yes",
    "Unsupported", "Not supported"."""
    compound = sentiment(text)["compound"]
    return 1 if compound >= CELL_LEAN else -1 if compound <= -CELL_LEAN else 0


def cue_polarity(text: str, pats: Patterns) -> int:
    """+1 / -1 / 0 from the cue words of a clause; a negated positive is negative, a negated negative is neutral."""

    def negated(position: int) -> bool:
        window = text[max(0, position - 24) : position]
        return bool(pats.negator and pats.negator.search(window))

    matches = [
        (m.start(), m.end(), sign)
        for pattern, sign in ((pats.negative, -1), (pats.positive, +1))
        if pattern is not None
        for m in pattern.finditer(text)
    ]
    # The longest cue wins where cues overlap: "not a challenge" is positive although it contains "challenge".
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int]] = []
    score = 0
    for start, end, sign in matches:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        cue = text[start:end].lower()
        if sign > 0:
            score += -1 if negated(start) else 1
        elif cue.startswith(("not", "can", "lack")) or not negated(start):
            score -= 1
    return (score > 0) - (score < 0)


def evidence_criteria(text: str, rules: Rules, pats: Patterns, favors: SideId | None) -> tuple[str, ...]:
    """Criteria whose evidence phrases the text contains (outside URLs, and not right after "don't require")."""
    text = without_urls(text)
    matched = []
    negator = pats.evidence_negator
    for criterion in rules.criteria:
        if favors and criterion.favors_only and criterion.favors_only != favors:
            continue
        for pattern in pats.evidence[criterion.id]:
            hit = next(
                (
                    m
                    for m in pattern.finditer(text)
                    if not (negator and negator.search(text[max(0, m.start() - 22) : m.start()]))
                ),
                None,
            )
            if hit:
                matched.append(criterion.id)
                break
    return tuple(matched)


def comparative(body: str, mentions: list[tuple[int, SideId]], pats: Patterns) -> tuple[SideId | None, int]:
    """(subject, direction) of "X is faster than Y" (+1) or "X is slower than Y" (-1); (None, 0) if no comparison."""
    sides = {side for _, side in mentions}
    for pattern, direction in ((pats.better, 1), (pats.worse, -1)):
        cue = pattern.search(body) if pattern else None
        if not cue:
            continue
        before = [side for pos, side in mentions if pos < cue.start()]
        if len(sides) == 2 and before:
            return before[-1], direction
        if len(sides) == 1 and mentions[0][0] > cue.start():
            # "debugging is easier than Node.js": the unnamed subject is the other side.
            return OTHER[mentions[0][1]], direction
    return None, 0


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_lexicon() -> dict[str, float]:
    """VADER's word valences (read only), from the one analyzer `sentiment` uses: loaded once per process."""
    lexicon: dict[str, float] = _vader().lexicon
    return lexicon


def sentiment(text: str) -> dict[str, float]:
    """VADER's general sentiment lexicon: neg, neu, pos and compound scores of a text."""
    return dict(_vader().polarity_scores(text))
