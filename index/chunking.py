"""Sentence-aware passages that fit the embedding model's window, with exact offsets into the article."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.corpus import Article
from knowledge.sentences import Sentence, split_sentences

from .tokens import TokenCounter

# all-MiniLM-L6-v2 truncates at 256 word pieces, two of which are [CLS] and [SEP].
MODEL_WINDOW = 254
TARGET_TOKENS = 180
MIN_TOKENS = 80
OVERLAP_SENTENCES = 1


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of whole sentences of one article: article.text[start:end], verbatim."""

    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    tokens: int
    header: str = ""  # the article's title and the heading the passage sits under: embedded with it, never quoted

    @property
    def embedding_text(self) -> str:
        """What the passage is embedded as: its header, then its text (a contextual chunk header, so a passage
        that never repeats its section's subject is still found by it)."""
        return f"{self.header}. {self.text}" if self.header else self.text


# A header longer than this (characters) is cut: with a passage of about TARGET_TOKENS it stays inside the window.
HEADER_CHARS = 160


def _passage_id(article_id: str, text: str, header: str = "") -> str:
    # Content-addressed so that an unchanged passage keeps its id (and its cached vector) across rebuilds; the
    # header is part of what is embedded, so a renamed section re-embeds its passages.
    content = f"{header}\n{text}" if header else text
    return f"{article_id}:{hashlib.sha1(content.encode('utf-8')).hexdigest()[:12]}"


def passage_header(title: str | None, heading: str) -> str:
    """The title and the section heading a passage is embedded under ("Node vs Python. Hiring"), short."""
    parts = [part.strip() for part in (title or "", heading) if part and part.strip()]
    if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
        parts = parts[:1]
    header = ". ".join(parts)
    if len(header) <= HEADER_CHARS:
        return header
    space = header.rfind(" ", 0, HEADER_CHARS)  # cut at a word boundary; a header with none is cut at the limit
    return header[: space if space > 0 else HEADER_CHARS]


def _split_long(text: str, start: int, end: int, counter: TokenCounter, limit: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than the window at word boundaries, each piece within the limit."""
    pieces: list[tuple[int, int]] = []
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and counter.count(text[words[i][0] : words[j][1]]) <= limit:
            j += 1
        if counter.count(text[words[i][0] : words[j - 1][1]]) > limit:
            # a single "word" beyond the window (a URL, a base64 blob): cut it by characters
            s, e = words[i]
            step = max(1, (e - s) // 2)
            while counter.count(text[s : s + step]) > limit and step > 1:
                step //= 2
            pieces.append((s, s + step))
            words[i] = (s + step, e)
            continue
        pieces.append((words[i][0], words[j - 1][1]))
        i = j
    return pieces


def sentence_units(article: Article, counter: TokenCounter, limit: int = MODEL_WINDOW) -> list[Sentence]:
    """The article's sentences, with any sentence over the window cut into pieces that fit."""
    units: list[Sentence] = []
    for sentence in split_sentences(article.text):
        if counter.count(sentence.text) <= limit:
            units.append(sentence)
            continue
        for s, e in _split_long(article.text, sentence.start, sentence.end, counter, limit):
            units.append(Sentence(s, e, article.text[s:e], sentence.line, False))
    return units


def chunk_article(
    article: Article,
    counter: TokenCounter,
    target: int = TARGET_TOKENS,
    limit: int = MODEL_WINDOW,
    overlap: int = OVERLAP_SENTENCES,
) -> list[Passage]:
    """Group whole sentences into passages of about `target` tokens (never over `limit`), overlapping slightly."""
    units = sentence_units(article, counter, limit)
    # The heading each unit sits under (a heading sits under itself): the header of a passage starting there.
    headings: list[str] = []
    current = ""
    for unit in units:
        if unit.is_heading:
            current = unit.text  # a heading's text holds no Markdown markers and no surrounding space
        headings.append(current)
    passages: list[Passage] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units):
            tokens = counter.count(article.text[units[i].start : units[j].end])
            if tokens > limit or (tokens > target and j - i >= 1):
                break
            j += 1
        start, end = units[i].start, units[j - 1].end
        text = article.text[start:end]
        header = passage_header(article.title, headings[i])
        passages.append(Passage(_passage_id(article.id, text, header), article.id, len(passages), start, end, text,
                                counter.count(text), header))
        if j >= len(units):
            break
        # Step back `overlap` sentences so a thought cut at a boundary is whole in one of the two passages, but
        # only when the overlap and the next sentence fit together: otherwise the next passage would hold the
        # overlap alone and add nothing.
        back = max(i + 1, j - overlap)
        fits = back < j and counter.count(article.text[units[back].start : units[j].end]) <= target
        i = back if fits else j
    return passages
