"""Words of a question for its learned reader: stems, hashed word n-grams, and which way a comparison points."""

from __future__ import annotations

import itertools
import re
import zlib
from functools import lru_cache
from typing import Any

import numpy as np

from .cues import sentiment_lexicon
from .rules import Rules

_WORD = re.compile(r"[a-z0-9]+")
LEXICAL_DIM = 32768  # hashed stems and stem pairs: the training questions hold about 10,000 distinct ones
# Words that turn a comparison around ("less mature", "fewer bugs") or strengthen it ("more confusing").
_DECREASE = frozenset(["less", "fewer", "lower", "least"])
_INCREASE = frozenset(["more", "most", "higher"])
# Words between the comparative and what it grades ("more of a pain", "less of a hassle").
_BETWEEN = frozenset(["of", "a", "an", "the", "to", "as", "in", "at", "for"])
_NEGATORS = frozenset(["not", "never", "no", "nt"])
# Verbs of consuming: "uses more RAM", "needs more servers", "takes more time" ask for the side that costs more.
_CONSUME = frozenset(["use", "uses", "used", "eat", "eats", "consume", "consumes", "need", "needs", "require",
                      "requires", "take", "takes", "burn", "burns", "cost", "costs", "hog", "hogs"])
TASK_REACH = 3  # words after "harder to" / "easier to" that name the task graded


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("n't", " nt"))


def stem_words(text: str) -> list[str]:
    """Lowercase words of a text, stemmed (English Snowball)."""
    return list(_stemmer().stemWords(words(text)))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _bucket(token: str) -> int:
    # crc32, not hash(): Python salts str hashes per process, and the model must read the same columns every run.
    return zlib.crc32(token.encode("utf-8")) % LEXICAL_DIM


def lexical_indices(text: str) -> np.ndarray:
    """Columns of the stems and stem pairs of a text in the hashed lexical space (sorted, unique)."""
    stems = stem_words(text)
    grams = [f"u:{s}" for s in stems] + [f"b:{a} {b}" for a, b in itertools.pairwise(stems)]
    return np.unique(np.asarray([_bucket(g) for g in grams], dtype=np.int64))


def _bases(token: str) -> list[str]:
    """The plain form of a comparative or superlative that cannot be a noun in -er: messier -> messy, flakiest ->
    flaky, bigger -> big. ("player", "broker" or "solver" would read as "play", "broke", "solve": plain -er is left.)"""
    for suffix in ("est", "er"):
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            stem = token[: -len(suffix)]
            if stem.endswith("i"):
                return [stem[:-1] + "y"]
            if stem[-1] == stem[-2] and stem[-1] not in "aeiousl":
                return [stem[:-1]]
    return []


def graded_valence(token: str, lexicon: dict[str, float], extra: dict[str, float] | None = None) -> float:
    """A word's valence; a comparative the lexicon lacks ("messier", "clunkier") takes its plain form's, the same
    quality graded."""
    known = lexicon.get(token, 0.0) or (extra or {}).get(token, 0.0)
    if known:
        return known
    return next((lexicon[base] for base in _bases(token) if base and base in lexicon), 0.0)


def direction(text: str, extra: dict[str, float] | None = None) -> int:
    """Which way a question's comparison points: -1 when it asks for the worse side ("which is harder / less
    mature / more of a pain?"), +1 for the better ("which is easier / less painful?"), 0 when its words do not say.

    Word polarity comes from a general sentiment lexicon (VADER), with `extra` (word -> valence, e.g. the rules'
    cue words) for comparatives it lacks ("slower", "harder"); "less", "fewer" or a negation turn the next graded
    word around, less of a plain quantity ("less memory", "fewer dependencies") is asked for as a good thing, and
    more of what something consumes ("uses more RAM", "needs more servers") as a bad one.
    """
    lexicon = sentiment_lexicon()
    tokens = words(text)
    total = 0.0
    flip = 1.0
    pending = 0  # words left in which a "less"/"more"/"not" still applies
    task = 0  # words left of the task a graded word is followed by ("harder to keep stable"): its words grade nothing
    consumed = False  # the last "more" follows a verb of consuming ("eats more", "needs more")
    for n, token in enumerate(tokens):
        valence = graded_valence(token, lexicon, extra)
        if task:
            task -= 1
            continue
        if valence and tokens[n + 1 : n + 2] == ["to"]:
            # "harder to keep stable", "easier to make secure": the grade is the word before "to"; what follows is
            # the task it grades, whose own words ("stable", "secure") say nothing of which way the question points.
            task = TASK_REACH + 1
        if token in _DECREASE or token in _NEGATORS:
            flip, pending = -1.0, 3
            continue
        if token in _INCREASE:
            flip, pending = 1.0, 3
            consumed = n > 0 and tokens[n - 1] in _CONSUME
            continue
        if valence:
            total += flip * valence if pending else valence
            flip, pending = 1.0, 0
        elif pending and token not in _BETWEEN:
            if flip < 0 and pending == 3 and token not in _NEGATORS:
                # "less memory", "fewer breaking changes": less of a plain quantity is asked for as the better side
                total += 0.5
            elif flip > 0 and pending == 3 and consumed:
                # "uses more RAM", "takes more time": more of what something consumes is asked for as the worse side
                total -= 0.5
            pending -= 1
            if not pending:
                flip = 1.0
    return -1 if total < 0 else 1 if total > 0 else 0


def cue_valence(rules: Rules) -> dict[str, float]:
    """The rules' one-word cues as valences, for the comparatives a general lexicon lacks ("slower", "harder")."""
    valence = {w.lower(): 1.0 for w in rules.cues.positive if _WORD.fullmatch(w.lower())}
    valence.update({w.lower(): -1.0 for w in rules.cues.negative if _WORD.fullmatch(w.lower())})
    return valence
