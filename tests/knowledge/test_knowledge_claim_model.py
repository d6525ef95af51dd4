"""The learned claim model: reading candidates, keeping the rules' precise claims, files, fingerprints, training."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.claim_model import FOR_X, N_CLAUSE_FEATURES, NONE, ClaimModel, ModelError
from knowledge.claim_training import Dataset, Example, TrainingSettings, fit
from knowledge.claims import extract_claims
from knowledge.clauses import candidates
from knowledge.corpus import Article

DIM = 8


def _embed(texts):  # type: ignore[no-untyped-def]
    """A stand-in encoder: one fixed direction for texts saying 'great', another for the rest."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for n, text in enumerate(texts):
        out[n, 0 if "great" in text else 1] = 1.0
    return out


def _model(rules, threshold: float = 0.5) -> ClaimModel:  # type: ignore[no-untyped-def]
    """A hand-set model: 'great' clauses are for X, every clause's criterion is realtime."""
    width = DIM + N_CLAUSE_FEATURES  # stance reads the clause and its features, not the heading
    stance = np.zeros((3, width), dtype=np.float32)
    stance[FOR_X, 0], stance[NONE, 1] = 6.0, 6.0
    ids = [c.id for c in rules.criteria]
    criteria = np.zeros((len(ids), 2 * DIM + len(ids)), dtype=np.float32)
    intercept = np.full(len(ids), -5.0, dtype=np.float32)
    intercept[ids.index("realtime")] = 5.0
    return ClaimModel(stance, np.zeros(3, np.float32), criteria, intercept, ids,
                      {"threshold": threshold, "embedding_model": "fake", "dimension": DIM})


def test_the_model_reads_a_clause_no_cue_list_knows(rules) -> None:  # type: ignore[no-untyped-def]
    article = Article(id="t1", text="Node.js is great at keeping sockets open. Python was released in 1991.")
    assert extract_claims(article, rules) == []  # the rules see no cue in either sentence
    [claim] = extract_claims(article, rules, _model(rules), _embed)
    assert (claim.favors, claim.criteria) == ("node", ("realtime",))
    assert 0.9 < claim.strength <= 1.0  # the model's confidence


def test_the_rules_precise_claims_are_kept_when_the_model_does_not_contradict_them(rules) -> None:  # type: ignore[no-untyped-def]
    text = "Node.js is the best option for chat applications."
    article = Article(id="t1", text=text)
    [rule_claim] = extract_claims(article, rules)
    [kept] = extract_claims(article, rules, _model(rules), _embed)  # the model sees nothing, the rules a claim
    assert (kept.favors, kept.criteria) == (rule_claim.favors, rule_claim.criteria)
    assert kept.strength < rule_claim.strength


def test_a_question_is_never_a_claim_for_the_rules_or_the_model(rules) -> None:  # type: ignore[no-untyped-def]
    # An FAQ's heading asks; the paragraph under it answers. Only the answer can be cited as a reason.
    text = "## Is Node.js the best option for chat applications?\n\nNode.js is great at keeping sockets open."
    article = Article(id="t1", text=text)
    assert extract_claims(article, rules) == []
    [claim] = extract_claims(article, rules, _model(rules), _embed)
    assert claim.text == "Node.js is great at keeping sockets open"
    statement = Article(id="t2", text="Node.js is the best option for chat applications.")
    assert extract_claims(statement, rules)  # the same words stated are a claim


def test_a_yes_or_no_cell_without_evidence_words_takes_the_criterion_its_meaning_reads(rules) -> None:  # type: ignore[no-untyped-def]
    text = "| | Node.js | Python |\n|---|---|---|\n| Decimal arithmetic built in | No | Yes |"
    article = Article(id="t1", text=text)
    assert extract_claims(article, rules) == []  # no evidence phrase: the rules alone cannot say what it is about
    claims = extract_claims(article, rules, _model(rules), _embed)  # the hand-set model reads every clause as realtime
    assert sorted((c.favors, c.text, c.criteria) for c in claims) == [("python", "No", ("realtime",)),
                                                                      ("python", "Yes", ("realtime",))]


def test_files_round_trip_with_the_same_fingerprint(tmp_path, rules) -> None:  # type: ignore[no-untyped-def]
    model = _model(rules)
    model.save(tmp_path / "claims.npz")
    loaded = ClaimModel.load(tmp_path / "claims.npz")
    assert loaded.fingerprint == model.fingerprint
    assert loaded.criterion_ids == model.criterion_ids and loaded.threshold == 0.5
    (tmp_path / "broken.npz").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="retrain"):
        ClaimModel.load(tmp_path / "broken.npz")


def test_a_model_for_other_criteria_is_refused(rules) -> None:  # type: ignore[no-untyped-def]
    model = _model(rules)
    model.criterion_ids = [*model.criterion_ids[:-1], "renamed"]
    with pytest.raises(ModelError, match="renamed"):
        model.check(rules)


def test_training_is_deterministic(rules) -> None:  # type: ignore[no-untyped-def]
    text = "Node.js is great for chat.\nPython was first released in 1991.\nNode.js is great at streaming."
    found = candidates(Article(id="t1", text=text), rules)
    labels = [(FOR_X, ("realtime",)), (NONE, ()), (FOR_X, ("realtime", "speed"))]
    examples = [Example(c, stance, criteria, "g") for c, (stance, criteria) in zip(found, labels, strict=True)]
    vectors = _embed([c.masked for c in found])
    data = Dataset(examples, vectors, vectors)
    ids = [c.id for c in rules.criteria]
    first, second = (fit(data, ids, TrainingSettings(), {}) for _ in range(2))
    assert first.fingerprint == second.fingerprint
    [claim, *_] = first.claims_from_vectors(Article(id="t1", text=text), found, rules, vectors, vectors)
    assert claim.favors == "node"


def test_a_list_of_uses_speaks_for_each_use_the_rules_find_evidence_of(rules) -> None:  # type: ignore[no-untyped-def]
    model = _model(rules)
    ids = model.criterion_ids
    # The criteria model finds these possible (0.5) for any clause.
    for possible in ("automation", "data_ml", "security"):
        model.criteria_intercept[ids.index(possible)] = 0.0
    listing = Article(id="t1", text="Node.js is great for chat apps, automation, data analysis, games, and more.")
    [claim] = extract_claims(listing, rules, model, _embed)
    # Its likeliest criterion, then each listed use that is evidence of a criterion the model finds possible;
    # security is possible too but not listed, so the clause does not speak for it.
    assert claim.criteria[0] == "realtime"
    assert set(claim.criteria) == {"realtime", "automation", "data_ml"}
    plain = Article(id="t2", text="Node.js is great for chat apps and for automation.")
    [single] = extract_claims(plain, rules, model, _embed)
    assert single.criteria == ("realtime",)  # not a list of uses: the model's one reading
