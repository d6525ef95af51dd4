"""Split article text into sentences with exact character offsets, marking short heading lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) when whitespace and an
# uppercase letter, digit, bullet or opening quote follow. Lines and bullets also end sentences.
_BOUNDARY = re.compile(r"""(?<=[.!?])(["'”’)\]]*)\s+(?=[A-Z0-9“"'(•])""")
# "e.g. Django" or "vs. Python" must not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "Mr.", "Dr.", "Inc.", "v.")
_BULLET = re.compile(r"^[ \t]*(?:[•◦▪‣∙*\-–—]|\d{1,2}[.)])[ \t]+")
_HEADING_MAX_WORDS = 12


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or heading line) of an article: text[start:end] of the article, verbatim."""

    start: int
    end: int
    text: str
    line: int
    is_heading: bool


def _is_heading(text: str) -> bool:
    # A short line with no sentence punctuation at its end reads as a heading ("Cons of Node.js").
    words = text.split()
    return 0 < len(words) <= _HEADING_MAX_WORDS and not re.search(r"[.!?,;]$", text) and text[:1].isupper()


def _split_line(line: str) -> list[tuple[int, int]]:
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
    # A bullet glyph in the middle of a line ("• A • B") also starts a new sentence.
    result: list[tuple[int, int]] = []
    for s, e in spans:
        cut = s
        for m in re.finditer(r"\s•\s", line[s:e]):
            result.append((cut, s + m.start()))
            cut = s + m.end() - 1
        result.append((cut, e))
    return result


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence and heading of a text, in order, with offsets such that text[start:end] is the sentence."""
    sentences: list[Sentence] = []
    offset = 0
    for line_no, line in enumerate(text.split("\n")):
        bullet = _BULLET.match(line)
        body_start = bullet.end() if bullet else 0
        for s, e in _split_line(line[body_start:]):
            s += body_start
            e += body_start
            piece = line[s:e]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            s, e = s + lead, e - trail
            if e <= s:
                continue
            if line[s] == "•":  # a mid-line bullet glyph is not part of the sentence
                s += 1
                while s < e and line[s].isspace():
                    s += 1
                if e <= s:
                    continue
            content = line[s:e]
            heading = not bullet and _is_heading(content) and (s == len(line) - len(line.lstrip()))
            sentences.append(Sentence(offset + s, offset + e, content, line_no, heading and e == len(line.rstrip())))
        offset += len(line) + 1
    return sentences
