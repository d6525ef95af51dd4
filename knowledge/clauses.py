"""Candidate clauses of an article: each clause with the side it is about, its context, and the rules' reading."""

from __future__ import annotations

from dataclasses import dataclass

from .corpus import Article
from .cues import (
    OTHER,
    Patterns,
    SideNames,
    cell_polarity,
    comparative,
    cue_polarity,
    evidence_criteria,
    mark_polarity,
    patterns,
)
from .rules import Rules, SideId
from .sentences import Sentence, split_sentences

QUOTE_MAX_WORDS = 60
LEAD_IN_MAX_WORDS = 12
PLAIN_HEADING_LEVEL = 2  # a heading line without '#' marks
EMPHASIS_HEADING_LEVEL = 7  # a bold line ("**Heavy computation?**"): a sub-heading below everything

# Where the side a clause is about came from, most direct first.
SOURCES = ("named", "compared", "inherited", "column", "lead_in", "pronoun", "previous", "heading", "title")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A clause that may favour a side: its span, the side it is about (X), and what the rules read in it."""

    start: int  # the clause: article.text[start:end]
    end: int
    quote_start: int  # the passage quoted to users: the sentence, or the clause when the sentence is long
    quote_end: int
    text: str
    kind: str  # the sentence's kind: sentence, heading, bullet, cell
    subject: SideId  # X: the side the clause is about
    source: str  # how the subject was found (one of SOURCES)
    other_named: bool  # the clause names the other side (Y) too
    masked: str  # the clause with X and Y for the sides' names: what a learned model reads
    context: str  # the section heading (or a table cell's row), masked the same way
    rule_polarity: int  # +1: the rules read the clause as for X, -1: against X, 0: no cue
    rule_direction: int  # +1/-1 when a comparison ("faster than") decides the polarity itself
    context_polarity: int  # +1 under a "Pros"/"Strengths" heading, -1 under "Cons"/"Weaknesses"
    rule_criteria: tuple[str, ...]  # criteria whose evidence phrases the clause (or its lone sentence) holds
    hedged: bool
    single_clause: bool  # the clause is its whole sentence


def mask(names: SideNames, text: str, subject: SideId | None) -> str:
    """The text with the subject's names as X and the other side's as Y ("X is faster than Y")."""
    out, cut = [], 0
    for start, end, side in names.spans(text):
        out.append(text[cut:start])
        out.append("X" if subject is None or side == subject else "Y")
        cut = end
    out.append(text[cut:])
    return "".join(out)


def _clause_spans(sentence: Sentence, pats: Patterns) -> list[tuple[int, int]]:
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


def _single_side(names: SideNames, text: str) -> SideId | None:
    sides = names.sides(text)
    return next(iter(sides)) if len(sides) == 1 else None


class _Context:
    """What a clause that names no side can be about: headings, a lead-in line, the sentences before it."""

    def __init__(self) -> None:
        self.heading_side: SideId | None = None
        self.heading_side_level = 99
        self.heading_text = ""
        self.heading_polarity = 0
        self.lead_in: bool = False  # the bullets below a lead-in line ("The downsides of Node.js:")
        self.lead_in_side: SideId | None = None
        self.lead_in_polarity = 0
        self.title_side: SideId | None = None
        self.previous_side: SideId | None = None
        self.previous_line = -1
        self.line_subjects: set[SideId] = set()

    def enter_heading(self, sentence: Sentence, level: int, names: SideNames, pats: Patterns) -> None:
        side = _single_side(names, sentence.text)
        named = bool(names.sides(sentence.text))
        if side is not None:
            self.heading_side, self.heading_side_level = side, level
        elif level <= self.heading_side_level or named:
            self.heading_side, self.heading_side_level = None, 99
        self.heading_text = sentence.text
        self.heading_polarity = heading_polarity(sentence.text, pats)
        self.lead_in, self.lead_in_side, self.lead_in_polarity = False, None, 0
        self.previous_side = None
        self.line_subjects = set()


def heading_polarity(text: str, pats: Patterns) -> int:
    """-1 for a "Cons"/"Weaknesses" heading or lead-in, +1 for "Pros"/"Strengths", 0 otherwise."""
    if pats.heading_neg and pats.heading_neg.search(text):
        return -1
    return 1 if pats.heading_pos and pats.heading_pos.search(text) else 0


def _heading_level(article: Article, sentence: Sentence) -> int:
    line_start = article.text.rfind("\n", 0, sentence.start) + 1
    prefix = article.text[line_start : sentence.start]
    hashes = len(prefix.strip()) - len(prefix.strip().lstrip("#"))
    if hashes:
        return hashes
    return EMPHASIS_HEADING_LEVEL if prefix.strip().startswith(("**", "__")) else PLAIN_HEADING_LEVEL


def _resolve(
    clause: str, names: SideNames, pats: Patterns, inherited: SideId | None, ctx: _Context, sentence: Sentence
) -> tuple[SideId | None, str, int]:
    """(subject, source, comparative direction) of a clause."""
    body = pats.prefix.sub("", clause)
    mentions = names.mentions(body)
    sides = {side for _, side in mentions}
    if pats.contrast and mentions:
        opener = pats.contrast.match(body)
        if opener and mentions[0][0] <= opener.end() + 2:
            return OTHER[mentions[0][1]], "named", 0
    if mentions:
        subject, direction = comparative(body, mentions, pats)
        if subject is not None:
            return subject, "compared", direction
        if len(sides) == 2:
            return mentions[0][1], "named", 0
        return mentions[0][1], "named", 0
    if pats.both and pats.both.search(body):
        return None, "", 0  # "They can both be used...": about both sides
    if inherited is not None:
        return inherited, "inherited", 0
    if sentence.kind == "cell" and sentence.column:
        column = _single_side(names, sentence.column)
        if column:
            return column, "column", 0
    if ctx.lead_in and ctx.lead_in_side is not None:
        return ctx.lead_in_side, "lead_in", 0
    if pats.pronoun.match(body):
        side = ctx.previous_side or ctx.heading_side
        return (side, "pronoun", 0) if side else (None, "", 0)
    if ctx.previous_side is not None:
        return ctx.previous_side, "previous", 0
    if ctx.heading_side is not None:
        return ctx.heading_side, "heading", 0
    if ctx.title_side is not None:
        return ctx.title_side, "title", 0
    return None, "", 0


def _row_leans(sentences: list[Sentence]) -> dict[tuple[int, int], int]:
    """The lean of each table cell that its row answers the other way ("Yes | No", "Supported | Unsupported"), by
    the general sentiment lexicon. A graded row ("Excellent | Good") leans both ways alike: only the comparison of
    its cells says anything, and a reader of the article would not call "Good" a point against."""
    rows: dict[int, list[tuple[Sentence, int]]] = {}
    for sentence in sentences:
        if sentence.kind == "cell" and sentence.text != sentence.row:
            rows.setdefault(sentence.line, []).append((sentence, cell_polarity(sentence.text)))
    return {(cell.start, cell.end): lean for cells in rows.values() for cell, lean in cells
            if lean and any(other == -lean for _, other in cells)}


def _row_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The table row a cell sits in, outer bars trimmed ("CPU work | Weak | Strong: NumPy"): a cell quoted alone
    ("✓", "First-class") tells a reader nothing. A very long row keeps the cell alone."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    s = line_start + len(line) - len(line.lstrip(" \t|"))
    e = line_start + len(line.rstrip(" \t|"))
    return (s, e) if len(text[s:e].split()) <= QUOTE_MAX_WORDS else (start, end)


def candidates(article: Article, rules: Rules) -> list[Candidate]:
    """Every clause of the article that is about one side, with its context, in order."""
    pats = patterns(rules)
    text = article.text
    names = SideNames(rules, text)
    ctx = _Context()
    # A title that names one side ("7 reasons to pick Node.js") is what the whole article is about, failing better.
    first_heading = next((s.text for s in split_sentences(text[:2000]) if s.is_heading), "")
    ctx.title_side = _single_side(names, article.title or first_heading)
    out: list[Candidate] = []
    sentences = split_sentences(text)
    leans = _row_leans(sentences)
    for sentence in sentences:
        if sentence.kind == "header":
            continue
        if sentence.line != ctx.previous_line:
            # A clause opening a new paragraph refers back only when the paragraph before spoke of a single side;
            # a comparison row ("Python is ... Node.js is ...") leaves the next row's "It" ambiguous.
            ctx.previous_side = next(iter(ctx.line_subjects)) if len(ctx.line_subjects) == 1 else None
            ctx.line_subjects = set()
            if sentence.kind != "bullet":
                ctx.lead_in = False  # a lead-in speaks for the bullets right below it, no further
        ctx.previous_line = sentence.line
        sides_named = names.sides(sentence.text)
        words = len(sentence.text.split())
        if sentence.kind == "heading":
            ctx.enter_heading(sentence, _heading_level(article, sentence), names, pats)
        lead_in = sentence.kind != "heading" and sentence.text.endswith(":") and words <= LEAD_IN_MAX_WORDS
        if lead_in:
            # "Team B, on Node.js:" names what the bullets below it are about, "The downsides of Node.js:" how
            # they argue; "It allows:" keeps the context it is in.
            ctx.lead_in = True
            ctx.lead_in_side = next(iter(sides_named)) if len(sides_named) == 1 else None
            ctx.lead_in_polarity = heading_polarity(sentence.text, pats)
        in_row = sentence.kind == "cell" and sentence.row is not None and sentence.row != sentence.text
        context_text = sentence.row if in_row and sentence.row is not None else ctx.heading_text
        inherited: SideId | None = None
        sentence_subject: SideId | None = None
        spans = _clause_spans(sentence, pats)
        for start, end in spans:
            clause = text[start:end]
            concession = pats.concessive.match(pats.prefix.sub("", clause)) if pats.concessive else None
            if concession and ", " in clause:
                # "Though Node.js is event-driven, it cannot run heavy CPU work": the concession names the
                # subject, the main clause after the comma carries the claim.
                head, _, _ = clause.partition(", ")
                inherited = _resolve(head, names, pats, inherited, ctx, sentence)[0] or inherited
                start = start + len(head) + 2
                clause = text[start:end]
            subject, source, direction = _resolve(clause, names, pats, inherited, ctx, sentence)
            if subject is None:
                continue
            if source in ("named", "compared"):
                sentence_subject = sentence_subject or subject
            inherited = subject
            other_named = OTHER[subject] in names.sides(clause)
            masked = mask(names, clause, subject)
            if source not in ("named", "compared"):
                masked = "X: " + masked  # the side is implied by the context: say whom the clause is about
            single = len(spans) == 1
            criteria = evidence_criteria(clause, rules, pats, None) or (
                evidence_criteria(sentence.text, rules, pats, None) if single else ()
            ) or (
                # A table cell ("✓", "Gentle") is about what its row is labelled with ("Learning curve").
                evidence_criteria(context_text, rules, pats, None) if in_row and context_text else ()
            )
            quote_start, quote_end = (sentence.start, sentence.end) if words <= QUOTE_MAX_WORDS else (start, end)
            if sentence.kind == "cell":
                quote_start, quote_end = _row_span(text, sentence.start, sentence.end)
            out.append(
                Candidate(
                    start=start,
                    end=end,
                    quote_start=quote_start,
                    quote_end=quote_end,
                    text=clause,
                    kind="lead_in" if lead_in else sentence.kind,
                    subject=subject,
                    source=source,
                    other_named=other_named,
                    masked=masked,
                    context=mask(names, context_text, subject),
                    rule_polarity=direction or cue_polarity(clause, pats) or mark_polarity(clause) or (
                        leans.get((sentence.start, sentence.end), 0)),
                    rule_direction=direction,
                    context_polarity=(ctx.lead_in_polarity if ctx.lead_in and ctx.lead_in_polarity
                                      else ctx.heading_polarity) if sentence.kind != "heading" else 0,
                    rule_criteria=criteria,
                    hedged=bool(pats.hedge and pats.hedge.search(clause)),
                    single_clause=single,
                )
            )
        if sentence.kind == "heading":
            continue
        if sentence_subject is not None:
            ctx.previous_side = sentence_subject
        ctx.line_subjects |= sides_named or ({sentence_subject} if sentence_subject else set())
    return out
