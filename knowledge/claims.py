"""Sentences to claims: which side a statement favours, for which criteria, with its exact span (rules-driven)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from typing import Any

from .corpus import Article
from .rules import Rules, SideId, phrase_pattern
from .sentences import Sentence, split_sentences

OTHER: dict[str, SideId] = {"node": "python", "python": "node"}
QUOTE_MAX_WORDS = 60
HEDGED_STRENGTH = 0.7


@dataclass(frozen=True, slots=True)
class Claim:
    """A clause of an article that favours one side for one or more criteria."""

    id: str
    article_id: str
    start: int  # the clause: article.text[start:end]
    end: int
    quote_start: int  # the passage quoted to users: the whole sentence, or the clause when the sentence is long
    quote_end: int
    text: str
    favors: SideId
    subject: SideId
    polarity: int  # +1: the statement speaks for its subject, -1: against it
    criteria: tuple[str, ...]
    strength: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies every field, which costs seconds per 40,000 claims.
        data = {name: getattr(self, name) for name in _CLAIM_FIELDS}
        data["criteria"] = list(self.criteria)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        return cls(**{**data, "criteria": tuple(data["criteria"])})


_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))


@dataclass
class _Patterns:
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


_COMPILED: dict[int, tuple[Rules, _Patterns]] = {}


def _patterns(rules: Rules) -> _Patterns:
    # Compiled once per Rules object (rules are frozen); the object is kept so its id cannot be reused.
    cached = _COMPILED.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = (rules, _compile_patterns(rules))
        _COMPILED[id(rules)] = cached
    return cached[1]


def _compile_patterns(rules: Rules) -> _Patterns:
    cues = rules.cues
    splitter = "|".join(re.escape(s) for s in sorted(cues.clause_splitters, key=len, reverse=True))
    prefixes = "|".join(re.escape(p) for p in sorted(cues.ignore_prefixes, key=len, reverse=True))
    pronouns = "|".join(re.escape(p) for p in sorted(cues.pronouns, key=len, reverse=True))
    evidence: dict[str, list[re.Pattern[str]]] = {}
    for criterion in rules.criteria:
        found = [p for p in [phrase_pattern(criterion.evidence)] if p]
        found += [re.compile(p, re.IGNORECASE) for p in criterion.evidence_patterns]
        evidence[criterion.id] = found
    return _Patterns(
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


def side_mentions(rules: Rules, text: str) -> list[tuple[int, SideId]]:
    """Every mention of a side's names in a text, as (position, side), in order."""
    found: list[tuple[int, SideId]] = []
    for side, pattern in rules.side_patterns.items():
        found += [(m.start(), side) for m in pattern.finditer(text)]
    return sorted(found)


def _clauses(sentence: Sentence, pats: _Patterns) -> list[tuple[int, int]]:
    """Clause spans (absolute offsets) of a sentence, split at the rules' clause splitters."""
    spans, cut = [], 0
    for m in pats.splitter.finditer(sentence.text):
        spans.append((cut, m.start()))
        cut = m.end()
    spans.append((cut, len(sentence.text)))
    out = []
    for s, e in spans:
        piece = sentence.text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip(" .;:,"))
        if e > s:
            out.append((sentence.start + s, sentence.start + e))
    return out


def _cue_polarity(text: str, pats: _Patterns) -> int:
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


def _criteria(text: str, rules: Rules, pats: _Patterns, favors: SideId) -> tuple[str, ...]:
    matched = []
    negator = pats.evidence_negator
    for criterion in rules.criteria:
        if criterion.favors_only and criterion.favors_only != favors:
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


class _Context:
    """What a pronoun can refer to: the last clause's subject, the sentence before, the section heading."""

    def __init__(self) -> None:
        self.heading_side: SideId | None = None
        self.heading_polarity = 0
        self.previous_side: SideId | None = None
        self.previous_line = -1
        self.line_subjects: set[SideId] = set()


def _resolve_subject(
    clause: str, rules: Rules, pats: _Patterns, inherited: SideId | None, ctx: _Context
) -> tuple[SideId | None, int]:
    """(subject side, comparative direction): direction +1/-1 when a comparison decides the polarity itself."""
    body = pats.prefix.sub("", clause)
    mentions = side_mentions(rules, body)
    sides = {side for _, side in mentions}
    if pats.contrast:
        opener = pats.contrast.match(body)
        if opener and mentions and mentions[0][0] <= opener.end() + 2:
            return OTHER[mentions[0][1]], 0
    if len(sides) == 2:
        for pattern, direction in ((pats.better, 1), (pats.worse, -1)):
            cue = pattern.search(body) if pattern else None
            if cue:
                before = [side for pos, side in mentions if pos < cue.start()]
                if before:
                    return before[-1], direction
        first_pos, first_side = mentions[0]
        # Only a side named at the start of the clause ("Choose Python for ...") is its subject.
        return (first_side, 0) if first_pos <= 12 else (None, 0)
    if len(sides) == 1:
        side = next(iter(sides))
        for pattern, direction in ((pats.better, 1), (pats.worse, -1)):
            cue = pattern.search(body) if pattern else None
            if cue and mentions[0][0] > cue.start():
                # "debugging is easier than Node.js": the unnamed subject is the other side.
                return OTHER[side], direction
        return side, 0
    if pats.both and pats.both.search(body):
        return None, 0  # "They can both be used...": about both sides
    if pats.pronoun.match(body) or inherited is not None:
        return inherited or ctx.previous_side or ctx.heading_side, 0
    return None, 0


def _claim_id(article_id: str, start: int, end: int, text: str) -> str:
    digest = hashlib.sha1(f"{start}:{end}:{text}".encode()).hexdigest()[:10]
    return f"{article_id}:c{digest}"


def extract_claims(article: Article, rules: Rules) -> list[Claim]:
    """Every statement of the article that favours one side for at least one criterion."""
    pats = _patterns(rules)
    ctx = _Context()
    claims: list[Claim] = []
    text = article.text
    for sentence in split_sentences(text):
        sides_named = {side for _, side in side_mentions(rules, sentence.text)}
        lead_in = sentence.text.endswith(":") and len(sentence.text.split()) <= 12
        if sentence.is_heading or lead_in:
            # A heading sets what pronouns below it refer to; a side-less lead-in ("It allows:") keeps the context.
            if sides_named or not lead_in:
                ctx.heading_side = next(iter(sides_named)) if len(sides_named) == 1 else None
                ctx.previous_side = None
                ctx.heading_polarity = (
                    -1 if pats.heading_neg and pats.heading_neg.search(sentence.text)
                    else 1 if pats.heading_pos and pats.heading_pos.search(sentence.text) else 0
                )
            continue
        if sentence.line != ctx.previous_line:
            # A pronoun opening a new line refers back only when the line before spoke of a single side; a
            # comparison table row ("Python is ... Node.js is ...") leaves "It" on the next row ambiguous.
            ctx.previous_side = next(iter(ctx.line_subjects)) if len(ctx.line_subjects) == 1 else None
            ctx.line_subjects = set()
        ctx.previous_line = sentence.line
        words = len(sentence.text.split())
        inherited: SideId | None = None
        sentence_subject: SideId | None = None
        clauses = _clauses(sentence, pats)
        for start, end in clauses:
            clause = text[start:end]
            concession = pats.concessive.match(pats.prefix.sub("", clause)) if pats.concessive else None
            if concession and ", " in clause:
                # "Though Node.js is event-driven, it cannot run heavy CPU-based computing": the concession names
                # the subject, the main clause after the comma carries the claim.
                head, _, _ = clause.partition(", ")
                inherited = _resolve_subject(head, rules, pats, inherited, ctx)[0] or inherited
                start = start + len(head) + 2
                clause = text[start:end]
            subject, direction = _resolve_subject(clause, rules, pats, inherited, ctx)
            if subject is None:
                continue
            inherited = subject
            sentence_subject = sentence_subject or subject
            polarity = direction or _cue_polarity(clause, pats) or ctx.heading_polarity
            if polarity == 0:
                continue
            favors: SideId = subject if polarity > 0 else OTHER[subject]
            criteria = _criteria(clause, rules, pats, favors) or (
                _criteria(sentence.text, rules, pats, favors) if len(clauses) == 1 else ()
            )
            if not criteria:
                continue
            quote_start, quote_end = (sentence.start, sentence.end) if words <= QUOTE_MAX_WORDS else (start, end)
            hedged = bool(pats.hedge and pats.hedge.search(clause))
            claims.append(
                Claim(
                    id=_claim_id(article.id, start, end, clause),
                    article_id=article.id,
                    start=start,
                    end=end,
                    quote_start=quote_start,
                    quote_end=quote_end,
                    text=clause,
                    favors=favors,
                    subject=subject,
                    polarity=polarity,
                    criteria=criteria,
                    strength=HEDGED_STRENGTH if hedged else 1.0,
                )
            )
        if sentence_subject is not None:
            ctx.previous_side = sentence_subject
        ctx.line_subjects |= sides_named or (
            {sentence_subject} if sentence_subject else set()
        )
    return claims
