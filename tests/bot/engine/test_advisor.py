"""The advisor end to end with the fake embedder: answer shape, grounding, follow-ups, assessments, reloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.engine import Advisor, ProjectTraits


def fold(text: str) -> str:
    return " ".join(text.split())


def assert_grounded(advisor: Advisor, answer: Answer) -> None:
    articles = advisor.engine.index.articles
    numbers = {c.id for c in answer.citations}
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert fold(citation.quote) in fold(articles[citation.article].text)
        assert citation.title == articles[citation.article].display_title
    for reason in answer.reasons:
        assert reason.citations and set(reason.citations) <= numbers
    for item in answer.disagreements:
        assert len(item.citations) >= 2 and set(item.citations) <= numbers


@pytest.mark.parametrize(
    ("question", "verdict"),
    [
        ("Node or Python for a real-time chat app?", "node"),
        ("Which backend for machine learning and data science?", "python"),
        ("Which is easier to learn?", "python"),
        ("Our team only knows JavaScript, which backend?", "node"),
    ],
)
def test_answers_are_grounded_and_shaped(fake_advisor: Advisor, question: str, verdict: str) -> None:
    answer = fake_advisor.ask(question)
    assert answer.verdict == verdict
    assert 2 <= len(answer.reasons) <= 4 or len(answer.reasons) == len({r.criterion for r in answer.reasons})
    assert 0 < answer.confidence <= 1
    assert "<" not in answer.summary and "*" not in answer.summary  # plain text, no Slack markup
    assert_grounded(fake_advisor, answer)


def test_json_has_exactly_the_documented_fields(fake_advisor: Advisor) -> None:
    data = json.loads(fake_advisor.ask("Node or Python for streaming?").model_dump_json())
    assert set(data) == {"question", "verdict", "confidence", "summary", "reasons", "disagreements", "citations"}
    assert set(data["citations"][0]) == {"id", "article", "title", "date", "url", "quote", "author", "publisher"}
    assert set(data["reasons"][0]) == {"text", "favors", "criterion", "citations"}


def test_mixed_needs_give_both_with_reasons_for_each_side(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("real-time chat with a machine learning recommendation engine")
    assert answer.verdict in ("both", "depends")
    assert {r.favors for r in answer.reasons} == {"node", "python"}


def test_disagreement_is_reported_with_both_sides_cited(fake_advisor: Advisor) -> None:
    answer = fake_advisor.ask("Which one is better for large-scale systems?")
    assert answer.disagreements
    by_number = {c.id: c for c in answer.citations}
    cited = {by_number[n].article for d in answer.disagreements for n in d.citations}
    assert len(cited) >= 2


def test_follow_up_takes_the_first_question_into_account(fake_advisor: Advisor) -> None:
    first = "Node or Python for a real-time chat app?"
    alone = fake_advisor.ask(first)
    follow = fake_advisor.ask("what if our team only knows Python?", context=[first])
    assert alone.verdict == "node"
    assert follow.verdict != alone.verdict
    assert follow.summary.startswith("Changed from Node.js")


def test_assessment_scores_every_criterion_and_says_what_would_flip_it(fake_advisor: Advisor) -> None:
    assessment = fake_advisor.assess("A live chat service for a startup")
    assert {row.id for row in assessment.criteria} == {c.id for c in fake_advisor.rules.criteria}
    numbers = {c.id for c in assessment.citations}
    for row in assessment.criteria:
        assert set(row.citations) <= numbers
        assert row.weight == fake_advisor.rules.criterion(row.id).weight
    assert assessment.flip and "verdict" in assessment.flip
    assert_grounded(fake_advisor, assessment)


def test_traits_form_drives_the_assessment(fake_advisor: Advisor) -> None:
    rules = fake_advisor.rules
    js = fake_advisor.assess_traits(ProjectTraits.read(rules, {"realtime": True, "team_knows": "javascript"}))
    py_traits = {"data_ml": True, "team_knows": "python", "scale": "large"}
    py = fake_advisor.assess_traits(ProjectTraits.read(rules, py_traits))
    assert js.verdict == "node" and py.verdict == "python"


def test_library_summary_describes_the_served_index(fake_advisor: Advisor) -> None:
    summary = fake_advisor.library_summary()
    assert len(summary.articles) == 5 and summary.passages == sum(a.passages for a in summary.articles)
    assert summary.version == fake_advisor.version


def test_the_embedding_cache_is_usable_from_other_threads(fake_advisor: Advisor) -> None:
    # Reloads run on a watcher thread, not the thread that created the advisor and its cache.
    import threading

    errors: list[BaseException] = []

    def lookup() -> None:
        try:
            loader = fake_advisor.loader
            assert loader.cache is not None
            loader.cache.get_many(loader.embedder.model_id, ["missing"])
            loader._embed(fake_advisor.engine.embedder, ["a text embedded on another thread"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("description", ["A live chat service for a startup", "Which backend should we choose?"])
def test_assessment_citation_numbers_are_unique_and_sequential(fake_advisor: Advisor, description: str) -> None:
    assessment = fake_advisor.assess(description)
    keys = [(c.article, c.quote) for c in assessment.citations]
    assert len(keys) == len(set(keys))
    assert_grounded(fake_advisor, assessment)


def test_a_broken_published_version_is_refused_once_not_every_poll(tmp_path, rules, token_counter,
                                                                   caplog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from index import loaded
    from index.build import build_index
    from index.embedding import HashingEmbedder
    from index.store import IndexStore

    library = tmp_path / "library"
    shutil.copytree(Path(__file__).resolve().parents[3] / "knowledge" / "articles", library)
    store = IndexStore(tmp_path / "index")
    first = build_index(library, store, HashingEmbedder(), token_counter, rules, reuse=False)
    advisor = Advisor(store, HashingEmbedder(), rules)
    second = build_index(library, store, HashingEmbedder(), token_counter, rules, reuse=False)
    (store.version_dir(second.version) / "claims.jsonl").write_text("tampered\n")
    loads: list[str | None] = []
    real_load = loaded.load_index
    monkeypatch.setattr("bot.engine.loading.load_index", lambda *a, **k: loads.append(a[1] if len(a) > 1 else None)
                        or real_load(*a, **k))
    with caplog.at_level("ERROR", logger="bot.engine.loading"):
        assert advisor.reload_if_changed() is False
        assert advisor.reload_if_changed() is False
        assert advisor.reload_if_changed() is False
    assert advisor.version == first.version
    assert len(loads) == 1 and len([r for r in caplog.records if second.version in r.getMessage()]) == 1
    third = build_index(library, store, HashingEmbedder(), token_counter, rules, reuse=False)
    assert advisor.reload_if_changed() is True and advisor.version == third.version  # a new version is tried


def test_a_prepared_advisor_works_out_every_criterions_stances_now_and_on_reload(tmp_path, rules,
                                                                                  token_counter) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from index.build import build_index
    from index.embedding import HashingEmbedder
    from index.store import IndexStore

    library = tmp_path / "library"
    shutil.copytree(Path(__file__).resolve().parents[3] / "knowledge" / "articles", library)
    store = IndexStore(tmp_path / "index")
    build_index(library, store, HashingEmbedder(), token_counter, rules, reuse=False)
    advisor = Advisor(store, HashingEmbedder(), rules)
    claims = advisor.engine.claims_by_criterion
    assert claims and claims._stances == {}  # a CLI question pays only for the criteria it asks about
    advisor.prepare()
    assert set(claims._stances) == set(claims)
    prepared_answer = advisor.ask("Node or Python for a real-time chat app?")

    build_index(library, store, HashingEmbedder(), token_counter, rules, reuse=False)
    assert advisor.reload_if_changed() is True
    reloaded = advisor.engine.claims_by_criterion
    assert reloaded is not claims and set(reloaded._stances) == set(reloaded)  # before it served a question
    assert advisor.ask("Node or Python for a real-time chat app?").verdict == prepared_answer.verdict


def test_a_disagreement_counts_each_article_once_on_the_side_it_takes(fake_advisor: Advisor) -> None:
    import dataclasses

    from bot.engine.compose import CitationBook, disagreement_for
    from bot.engine.scoring import CriterionResult, article_stances

    engine = fake_advisor.engine
    ids = sorted(engine.index.articles)[:4]
    claim = engine.claims[0]
    strength = dataclasses.replace(claim, strength=1.0)

    def made(article: str, favors: str, n: int) -> object:
        return dataclasses.replace(strength, id=f"{article}:{favors}:{n}", article_id=article, favors=favors)

    claims = [made(ids[0], "python", 0), made(ids[1], "python", 0), made(ids[2], "python", 0),
              made(ids[3], "python", 0), made(ids[3], "node", 1)]  # the fourth argues both ways
    criterion = fake_advisor.rules.criterion(claim.criteria[0])
    result = CriterionResult(criterion, 1.0, 1.0, article_stances(claims))  # type: ignore[arg-type]
    found = disagreement_for(result, CitationBook(engine.index.articles), lambda c: 0.0)
    assert found is not None
    assert found.text.endswith(", 3 articles favour Python and 1 article argues both ways.")
    assert "Node.js" not in found.text and len(found.citations) == 2

    claims.append(made(ids[0], "node", 2))
    claims.append(made(ids[0], "node", 3))  # the first now leans to Node.js
    result = CriterionResult(criterion, 1.0, 1.0, article_stances(claims))  # type: ignore[arg-type]
    found = disagreement_for(result, CitationBook(engine.index.articles), lambda c: 0.0)
    assert found is not None
    assert found.text.endswith(", 1 article favours Node.js, 2 articles favour Python and 1 article argues both ways.")


def test_an_answer_resting_only_on_the_readers_guess_says_so_at_lower_confidence(fake_advisor: Advisor) -> None:
    engine = fake_advisor.engine
    display, analysis, vector = fake_advisor._analyse(engine, "Which backend for machine learning and data science?")
    sure = fake_advisor._answer(engine, display, analysis, vector)
    assert sure.verdict == "python" and not sure.summary.startswith("A guess")
    # The same workload, counted only because the reader guessed it when nothing else applied.
    minimum = fake_advisor.rules.thresholds.min_relevance
    analysis.relevance = {cid: (minimum if cid == "data_ml" else 0.0) for cid in analysis.relevance}
    analysis.named, analysis.topic_vector, analysis.guessed = set(), None, "data_ml"
    guessed = fake_advisor._answer(engine, display, analysis, vector)
    assert guessed.verdict == "python" and guessed.summary.startswith("A guess:")
    assert "data, machine learning and ai" in guessed.summary.lower() and guessed.confidence <= 0.4
    assert_grounded(fake_advisor, guessed)
    # A guess beside a criterion the question does name is no longer the whole answer: nothing is hedged.
    analysis.relevance["realtime"] = 0.9
    assert not fake_advisor._answer(engine, display, analysis, vector).summary.startswith("A guess")


def test_each_text_of_a_question_is_embedded_alone_and_the_topic_only_when_read(fake_advisor: Advisor) -> None:
    engine = fake_advisor.engine
    texts: list[list[str]] = []
    embed = engine.embedder.embed

    def recording(batch):  # type: ignore[no-untyped-def]
        texts.append(list(batch))
        return embed(batch)

    engine.embedder.embed = recording  # type: ignore[method-assign]
    try:
        # A question that names its criterion never reads its topic's claims: only the question is embedded.
        _, named, _ = fake_advisor._analyse(engine, "Node.js or Python for a real-time chat app?")
        assert named.named and texts == [["Node.js or Python for a real-time chat app?"]]
        assert named.topic_vector is None
        # One that names none finds its evidence through its topic, embedded on its own: in a padded batch an int8
        # encoder scales a text's activations with its company's, so its vector would depend on what it came with.
        texts.clear()
        _, unnamed, _ = fake_advisor._analyse(engine, "Node or Python for a recipe sharing site?")
        assert not unnamed.named and unnamed.topic_vector is not None
        assert all(len(batch) == 1 for batch in texts) and len(texts) == 2
    finally:
        del engine.embedder.embed  # type: ignore[misc]
