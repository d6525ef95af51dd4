"""Split article text into sentences, headings, bullets and table cells, each with exact character offsets."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["sentence", "heading", "bullet", "cell", "header"]

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) when whitespace and an
# uppercase letter, digit, bullet or opening quote follow. Lines and bullets also end sentences.
_BOUNDARY = re.compile(r"""(?<=[.!?])(["'”’)\]*_]*)\s+(?=[A-Z0-9“"'(•*_])""")
# "e.g. Django" or "vs. Python" must not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "Mr.", "Dr.", "Inc.", "v.")
_BULLET = re.compile(r"^[ \t]*(?:[•◦▪‣∙*\-–—+]|\d{1,2}[.)])[ \t]+")
_MARKDOWN_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+")
_EMPHASIS = re.compile(r"^(\*\*|__)(?=\S)(.+?)(?<=\S)\1$")  # a line (or bullet) that is bold and nothing else
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*(?::?-{2,}:?)?[ \t]*$")
_HEADING_MAX_WORDS = 12
# Words after which a capitalised word is still mid-sentence ("faster than Python", "the Django way").
_FUNCTION_WORDS = frozenset([
    "a", "an", "the", "and", "or", "nor", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from", "than",
    "as", "like", "into", "onto", "over", "under", "via", "vs", "about", "is", "are", "was", "were", "be", "been",
    "being", "am", "do", "does", "did", "has", "have", "had", "its", "their", "our", "your", "my", "his", "her",
    "this", "that", "these", "those", "which", "who", "whom", "whose", "what", "when", "where", "while", "if",
    "then", "so", "such", "not", "no",
])


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence, heading, bullet or table cell of an article: text[start:end] of the article, verbatim."""

    start: int
    end: int
    text: str
    line: int
    is_heading: bool
    kind: Kind = "sentence"
    column: str | None = None  # a table cell: its column's header text
    row: str | None = None  # a table cell: its row's first cell

    @property
    def is_bullet(self) -> bool:
        return self.kind == "bullet"


def _is_heading(text: str) -> bool:
    # A short line with no sentence punctuation at its end reads as a heading ("Cons of Node.js").
    # A line ending in ':' introduces what follows ("Team B, on Node.js:"): a lead-in, not a heading.
    words = text.split()
    return 0 < len(words) <= _HEADING_MAX_WORDS and not re.search(r"[.!?,;:]$", text) and text[:1].isupper()


def _glued_heading_cuts(line: str, lowercase_words: frozenset[str]) -> list[int]:
    """Where a heading was glued into running text ("... and consistency Learning curve Node.js is ...").

    Text pulled from a web page sometimes loses the line breaks around its headings. A capitalised common word
    right after a lowercase content word, with no punctuation between, starts a new sentence: the article writes
    that word in lowercase elsewhere, so it is not a name, and nothing in the sentence before ends it.
    """
    cuts = []
    for m in re.finditer(r"(?<=[a-z0-9])[ \t]+(?=([A-Z][a-z]{2,})\b)", line):
        before = line[: m.start()].rsplit(None, 1)
        previous = before[-1] if before else ""
        if not previous or previous.lower() in _FUNCTION_WORDS or not previous[-1:].islower():
            continue
        if m.group(1).lower() in lowercase_words:
            cuts.append(m.end())
    return cuts


def _split_line(line: str, lowercase_words: frozenset[str]) -> list[tuple[int, int]]:
    """Sentence spans within one line, relative to the line."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.start() + len(match.group(1))  # a closing quote or bracket stays with its sentence
        if line[start : match.start()].rstrip().endswith(_ABBREVIATIONS):
            continue
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(line)))
    # A bullet glyph in the middle of a line ("• A • B") also starts a new sentence, and so does a glued heading.
    result: list[tuple[int, int]] = []
    for s, e in spans:
        cuts = [s + m.start() for m in re.finditer(r"\s•\s", line[s:e])]
        glued = [s + c for c in _glued_heading_cuts(line[s:e], lowercase_words)]
        cut = s
        for position in sorted({*cuts, *glued}):
            result.append((cut, position))
            cut = position + (2 if position in cuts else 0)
        result.append((cut, e))
    return result


def _trim(line: str, s: int, e: int) -> tuple[int, int]:
    """Whitespace, bullet glyphs and bold/italic markers off both ends of a span."""
    while s < e and (line[s].isspace() or line[s] in "•"):
        s += 1
    while e > s and line[e - 1].isspace():
        e -= 1
    emphasis = _EMPHASIS.match(line[s:e])
    if emphasis:
        marker = len(emphasis.group(1))
        s, e = s + marker, e - marker
    return s, e


def _cells(line: str) -> list[tuple[int, int]]:
    """Spans of a Markdown table row's cells, relative to the line (inner whitespace and markers trimmed)."""
    bars = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
    return [_trim(line, a + 1, b) for a, b in itertools.pairwise(bars)]


def _lowercase_words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<![A-Za-z])[a-z]{3,}", text))


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence, heading, bullet and table cell of a text, in order, with text[start:end] its text."""
    sentences: list[Sentence] = []
    lowercase_words = _lowercase_words(text)
    offset = 0
    header: list[str] | None = None  # the current table's header cells
    lines = text.split("\n")
    for line_no, line in enumerate(lines):
        if _TABLE_ROW.match(line):
            if _TABLE_RULE.match(line):
                offset += len(line) + 1
                continue
            cells = _cells(line)
            following = lines[line_no + 1] if line_no + 1 < len(lines) else ""
            if header is None and _TABLE_RULE.match(following):
                header = [line[s:e] for s, e in cells]
                for s, e in cells:
                    if e > s:
                        sentences.append(Sentence(offset + s, offset + e, line[s:e], line_no, True, "header"))
            else:
                row = line[cells[0][0] : cells[0][1]] if cells else ""
                for n, (s, e) in enumerate(cells):
                    if e > s:
                        column = header[n] if header and n < len(header) else None
                        sentences.append(Sentence(offset + s, offset + e, line[s:e], line_no, False, "cell",
                                                  column, row))
            offset += len(line) + 1
            continue
        header = None
        markdown = _MARKDOWN_HEADING.match(line)
        bullet = None if markdown else _BULLET.match(line)
        body_start = markdown.end() if markdown else bullet.end() if bullet else 0
        if markdown:
            # A Markdown heading is one unit even when it holds a full stop ("It's fast. Like, genuinely fast.").
            s, e = _trim(line, body_start, len(line))
            if e > s:
                sentences.append(Sentence(offset + s, offset + e, line[s:e], line_no, True, "heading"))
            offset += len(line) + 1
            continue
        line_start = len(line) - len(line.lstrip())
        for s, e in _split_line(line[body_start:], lowercase_words):
            s, e = _trim(line, s + body_start, e + body_start)
            if e <= s:
                continue
            content = line[s:e]
            whole_line = s <= max(line_start, body_start) + 2 and e >= len(line.rstrip()) - 2
            bold_line = whole_line and bool(_EMPHASIS.match(line[body_start:].strip()))
            heading = not bullet and whole_line and (_is_heading(content) or bold_line)
            kind: Kind = "heading" if heading else "bullet" if bullet and s <= body_start + 2 else "sentence"
            sentences.append(Sentence(offset + s, offset + e, content, line_no, heading, kind))
        offset += len(line) + 1
    return sentences
