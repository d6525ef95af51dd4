"""The /stackpick form's answers, read through the rules' traits: description, criteria, checks, button value."""

from __future__ import annotations

import pytest
import yaml

from bot.engine import ProjectTraits, TraitsError
from bot.engine.traits import answers_from_form, form_questions, trait_relevance
from knowledge.rules import parse_rules


def test_answers_become_the_description_and_the_criteria_the_rules_name(rules) -> None:  # type: ignore[no-untyped-def]
    traits = ProjectTraits.read(rules, {"realtime": True, "cpu_heavy": True, "team_knows": "both",
                                        "team_experience": "junior", "scale": "small", "notes": " live charts "})
    assert traits.describe(rules) == ("Project with real-time features, CPU-heavy work, team knows JavaScript and "
                                      "Python, junior team, small scale. live charts")
    assert trait_relevance(rules, traits) == {"realtime": 1.0, "cpu_heavy": 1.0, "team_js": 1.0, "team_python": 1.0,
                                              "learning": 1.0, "small_apps": 0.8}


def test_unanswered_questions_take_the_rules_defaults(rules) -> None:  # type: ignore[no-untyped-def]
    traits = ProjectTraits.read(rules, {})
    assert traits.to_value() == {"realtime": False, "data_ml": False, "cpu_heavy": False, "team_knows": "neither",
                                 "team_experience": "mixed", "scale": "medium", "notes": ""}
    assert traits.describe(rules) == "Project with mixed team, medium scale"
    assert trait_relevance(rules, traits) == {}
    assert ProjectTraits.read(rules, traits.to_value()) == traits  # what a "Share" button carries reads back


@pytest.mark.parametrize(("value", "trait"), [({"scale": "galactic"}, "scale"), ({"team_knows": 3}, "team_knows"),
                                              ({"realtime": "yes"}, "needs")])
def test_an_answer_the_form_does_not_offer_names_its_question(rules, value, trait) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TraitsError) as error:
        ProjectTraits.read(rules, value)
    assert error.value.trait == trait


def test_what_an_answer_means_is_data_in_the_rules(rules_file_text: str) -> None:
    data = yaml.safe_load(rules_file_text)
    scale = next(t for t in data["traits"] if t["id"] == "scale")
    next(o for o in scale["options"] if o["id"] == "large")["criteria"] = {"stability": 0.9}
    changed = parse_rules(yaml.safe_dump(data))
    assert trait_relevance(changed, ProjectTraits.read(changed, {"scale": "large"})) == {"stability": 0.9}


def test_the_form_state_reads_back_as_answers(rules) -> None:  # type: ignore[no-untyped-def]
    questions = form_questions(rules)
    assert [(q.id, q.kind, q.initial) for q in questions] == [
        ("needs", "checkboxes", None), ("team_knows", "radio", None), ("team_experience", "radio", "mixed"),
        ("scale", "select", "medium")]
    picked = {"needs": ["data_ml"], "team_knows": ["python"], "scale": []}
    assert answers_from_form(questions, picked) == {"realtime": False, "data_ml": True, "cpu_heavy": False,
                                                   "team_knows": "python"}


@pytest.fixture
def rules_file_text(isolated_paths) -> str:  # type: ignore[no-untyped-def]
    return str(isolated_paths.rules_file.read_text(encoding="utf-8"))
