"""Typos in a question put right: a word no vocabulary knows, one slip away from a word of the rules ("pythn")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from knowledge.question_text import stem_words
from knowledge.rules import Rules

_WORD = re.compile(r"[A-Za-z]+")
_PIECE = re.compile(r"[a-z]+")
MIN_LENGTH = 4  # shorter words are too often a real word or an abbreviation ("ts", "api")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_slip(typed: str, word: str) -> bool:
    """The slips people make typing fast: one letter left out ("pythn", "lern") or two neighbours swapped
    ("pyhton", "eaiser"). A letter too many or one typed for another is as often a different word ("commute" is not
    "compute", "changers" not "changes"), so those are left alone."""
    if len(typed) == len(word) - 1:
        return typed in _deletes(word)
    if len(typed) != len(word):
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    return typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]]


def _undoubled(typed: str) -> set[str]:
    """The word as meant if a key was held a moment too long: one letter typed twice ("chatt", "pythonn"). Unlike
    other letters too many, a doubled one rarely makes another word."""
    return {typed[:i] + typed[i + 1 :] for i in range(len(typed) - 1) if typed[i] == typed[i + 1]}


class Speller:
    """Puts right the words of a question that no vocabulary knows and that are one slip from a word the rules use.

    The rules' words (sides, criteria, cues) are what matters for reading a question; the encoder's vocabulary and
    the library's own words say which words are real, so "lodash" or "orthomosaic" are left alone.
    """

    def __init__(self, targets: Iterable[str], known: Iterable[str] = (), known_stems: Iterable[str] = ()) -> None:
        self.targets = {w for w in targets if len(w) > MIN_LENGTH}
        self._words = {w for w in targets if len(w) >= MIN_LENGTH}  # what a doubled letter may hide ("chatt")
        self.known = set(known) | set(targets)
        # "pipelines", "classifies" are known by their stems; `known_stems` are words known only as stems (the
        # library's, from its BM25 vocabulary, the same Snowball stemmer).
        self._known_stems = set(stem_words(" ".join(sorted(self.known)))) | set(known_stems)
        # Every target under each of its one-letter deletions (and itself): a typo shares one of those keys.
        self._keys: dict[str, set[str]] = {}
        for word in self.targets:
            for key in {word, *_deletes(word)}:
                self._keys.setdefault(key, set()).add(word)

    def _fix(self, typed: str, shouted: bool) -> str | None:
        lower = typed.lower()
        if len(lower) < MIN_LENGTH or lower in self.known or stem_words(lower)[0] in self._known_stems:
            return None
        if typed[0].isupper() and not typed.isupper():
            return None  # a name ("Perl", "Esports"), or a word starting a sentence: too risky to touch
        if typed.isupper() and not shouted:
            return None  # capitals in a sentence that is not all capitals: an acronym ("QUIC", "EDI"), not a slip
        candidates = {w for key in {lower, *_deletes(lower)} for w in self._keys.get(key, ())}
        fits = sorted(w for w in candidates if _one_slip(lower, w))
        fits = fits or sorted({w for w in _undoubled(lower) if w in self._words})
        if len(fits) != 1:
            return None  # unknown, or ambiguous: leave the word as typed
        fixed = fits[0]
        return fixed.upper() if typed.isupper() else fixed.capitalize() if typed[0].isupper() else fixed

    def correct(self, text: str) -> str:
        shouted = not any(c.islower() for c in text)  # "PYHTON OR NODE": every word is in capitals, typos too
        return _WORD.sub(lambda m: self._fix(m.group(0), shouted) or m.group(0), text)


def rules_words(rules: Rules) -> set[str]:
    """Every word the rules read a question by: the sides' names, the criteria's words and examples, cue words."""
    texts: list[str] = [(rules.scope.examples and " ".join(rules.scope.examples)) or ""]
    for side in rules.sides.values():
        texts += [side.label, *side.names]
    for criterion in rules.criteria:
        texts += [criterion.label, criterion.description, *criterion.keywords, *criterion.examples]
    texts += [*rules.cues.positive, *rules.cues.negative, *rules.scope.generic_cues, *rules.scope.choice_cues]
    return {w for text in texts for w in _PIECE.findall(text.lower())}


def other_names(rules: Rules) -> set[str]:
    """Other technologies' names: real words, never typos of ours ("Perl" is not "per")."""
    return {w for name in rules.scope.other_technologies for w in _PIECE.findall(name.lower())}


def encoder_words(folder: Path | None) -> set[str]:
    """The whole words of the encoder's vocabulary (a WordPiece tokenizer.json), if the embedder has one."""
    path = folder / "tokenizer.json" if folder is not None else None
    if path is None or not path.exists():
        return set()
    vocab = json.loads(path.read_text(encoding="utf-8")).get("model", {}).get("vocab", {})
    return {w for w in vocab if w.isalpha() and w.islower()}


def speller_for(rules: Rules, library_texts: Iterable[str], encoder_folder: Path | None,
                library_stems: Iterable[str] | None = None) -> Speller:
    """The speller for a library: its words given as BM25's stems when the index has them (reading every article's
    text again cost an engine load at 10,000 articles most of a second), else gathered from the texts."""
    known = encoder_words(encoder_folder) | other_names(rules)
    if library_stems is not None:
        return Speller(rules_words(rules), known, library_stems)
    for text in library_texts:
        known.update(_PIECE.findall(text.lower()))
    return Speller(rules_words(rules), known)
