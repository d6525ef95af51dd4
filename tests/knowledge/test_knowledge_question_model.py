"""The question reader's words: hashed stems the same in every process, and a model that reads them after a reload."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.question_model import KINDS, N_FEATURES, QuestionModel
from knowledge.question_text import LEXICAL_DIM, lexical_indices


def test_word_columns_are_stable_stemmed_and_in_range() -> None:
    columns = lexical_indices("Trained on historical trips")
    assert columns.tolist() == sorted(set(columns.tolist()))
    assert all(0 <= c < LEXICAL_DIM for c in columns)
    # Stems: inflections share their columns; crc32, not Python's salted hash, so every process agrees.
    assert set(lexical_indices("train on historical trip").tolist()) == set(columns.tolist())
    assert lexical_indices("").tolist() == []


def test_a_reloaded_model_reads_the_words_it_was_given(tmp_path: Path) -> None:
    dense = 4 + N_FEATURES + 1  # the embedding, the facts about the message, one word cue per criterion
    width = dense + LEXICAL_DIM
    criteria_coef = np.zeros((1, width), dtype=np.float32)
    criteria_coef[0, dense + lexical_indices("cron")] = 10.0  # "cron" alone makes the criterion likely
    both_coef = np.zeros(width, np.float32)
    both_coef[dense + lexical_indices("mix")] = 10.0  # and "mix" asks about using both
    model = QuestionModel(
        kind_coef=np.zeros((len(KINDS), width), np.float32), kind_intercept=np.zeros(len(KINDS), np.float32),
        criteria_coef=criteria_coef, criteria_intercept=np.asarray([-3.0], np.float32),
        inverse_coef=np.zeros(width, np.float32), inverse_intercept=np.zeros(1, np.float32),
        both_coef=both_coef, both_intercept=np.asarray([-3.0], np.float32),
        criterion_ids=["automation"], meta={"embedding_model": "m", "dimension": 4, "lexical_weight": 0.5},
    )
    model.save(tmp_path / "q.npz")
    loaded = QuestionModel.load(tmp_path / "q.npz")
    assert loaded.fits("m", 4) and loaded.fingerprint == model.fingerprint
    vector, features = np.zeros(4, np.float32), [0.0] * (N_FEATURES + 1)
    assert loaded.read(vector, features, "it runs from cron every hour").criteria["automation"] > 0.8
    assert loaded.read(vector, features, "it runs every hour").criteria["automation"] < 0.1
    assert loaded.read(vector, features, "could we mix the two?").both > 0.8
    assert loaded.read(vector, features, "which one?").both < 0.1


def test_the_word_cues_are_what_the_rules_name(rules) -> None:  # type: ignore[no-untyped-def]
    from knowledge.question_cues import KEYWORD, PATTERN, QuestionCues

    cues = QuestionCues(rules).read("Our team knows Express; no real-time stuff, but some machine learning")
    assert cues.values["team_js"] == PATTERN  # the pattern reads "Express" as Node.js
    assert cues.values["data_ml"] == KEYWORD and "realtime" not in cues.values  # after "no", ruled out
    assert "learning" not in cues.values  # "machine learning" is the longer keyword
    assert "data_ml" in cues.phrases
