"""rules.yaml: the real file loads with every criterion family, and bad rules give errors naming rule and field."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.rules import RulesError, load_rules, parse_rules

# The criteria families issue 3 asks for, each with the ids that may stand for it (split or named differently).
FAMILIES: dict[str, set[str]] = {
    "real-time and many connections": {"realtime"},
    "I/O-heavy APIs, gateways, microservices": {"io_apis"},
    "CPU-heavy computation": {"cpu_heavy"},
    "data, ML and AI": {"data_ml"},
    "scientific and numerical": {"scientific"},
    "team skills and full-stack JavaScript": {"team_js", "team_python"},
    "learning curve": {"learning"},
    "ecosystem and libraries": {"ecosystem"},
    "raw speed": {"speed"},
    "scalability and project size": {"large_systems", "small_apps", "scalability"},
    "stability for large systems": {"stability"},
    "security": {"security"},
    "development speed and maintainability": {"dev_speed"},
    "error handling and debugging": {"debugging"},
    "memory-intensive work": {"memory"},
}


@pytest.fixture
def rules_data(isolated_paths) -> dict[str, Any]:
    return yaml.safe_load(isolated_paths.rules_file.read_text(encoding="utf-8"))


def criterion(data: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    return next(c for c in data["criteria"] if c["id"] == criterion_id)


def error_for(data: dict[str, Any]) -> str:
    with pytest.raises(RulesError) as caught:
        parse_rules(yaml.safe_dump(data), "team-rules.yaml")
    message = str(caught.value)
    assert message.startswith("team-rules.yaml: ")
    assert "\n" not in message and "Traceback" not in message
    return message


def test_the_repository_rules_load_with_every_criterion_family(rules) -> None:
    ids = {c.id for c in rules.criteria}
    missing = [family for family, candidates in FAMILIES.items() if not candidates & ids]
    assert missing == []
    assert len(rules.criteria) >= 15
    assert set(rules.sides) == {"node", "python"}
    assert {"Node.js", "Express", "NestJS", "Fastify", "Electron", "TypeScript"} <= set(rules.sides["node"].names)
    assert {"Python", "Django", "Flask", "FastAPI", "pandas"} <= set(rules.sides["python"].names)
    assert re.fullmatch(r"[0-9a-f]{64}", rules.source_hash)
    for c in rules.criteria:
        assert 0 < c.weight <= 5 and c.examples and c.evidence and c.label and c.description


def test_the_same_text_gives_the_same_source_hash(isolated_paths, rules) -> None:
    assert load_rules(isolated_paths.rules_file).source_hash == rules.source_hash
    changed = isolated_paths.rules_file.read_text(encoding="utf-8") + "\n# a comment\n"
    assert parse_rules(changed).source_hash != rules.source_hash


Mutation = Callable[[dict[str, Any]], None]


def _criterion_set(criterion_id: str, field: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        criterion(data, criterion_id)[field] = value

    return mutate


def _criterion_drop(criterion_id: str, field: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del criterion(data, criterion_id)[field]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_criterion_set("realtime", "weight", -1), ["'realtime'", "weight", "greater than 0"]),
        (_criterion_set("memory", "weight", "heavy"), ["'memory'", "weight"]),
        (_criterion_set("team_js", "question_patterns", ["(open"]), ["'team_js'", "question_patterns", "(open"]),
        (_criterion_set("data_ml", "evidence_patterns", ["[a-"]), ["'data_ml'", "evidence_patterns", "[a-"]),
        (_criterion_set("speed", "favors_only", "rust"), ["'speed'", "favors_only"]),
        (_criterion_set("security", "examples", []), ["'security'", "examples"]),
        (_criterion_set("learning", "wieght", 1.0), ["'learning'", "wieght"]),
        (_criterion_drop("debugging", "evidence"), ["'debugging'", "evidence", "required"]),
        (_criterion_set("cpu_heavy", "id", "CPU Heavy"), ["'CPU Heavy'", "id"]),
    ],
    ids=["negative-weight", "text-weight", "bad-question-regex", "bad-evidence-regex", "unknown-side",
         "no-examples", "unknown-field", "missing-evidence", "bad-id"],
)
def test_a_bad_criterion_is_named_with_its_field(rules_data: dict[str, Any], mutate: Mutation,
                                                  expected: list[str]) -> None:
    data = copy.deepcopy(rules_data)
    mutate(data)
    message = error_for(data)
    for fragment in expected:
        assert fragment in message, message


def test_missing_sides_are_reported(rules_data: dict[str, Any]) -> None:
    data = copy.deepcopy(rules_data)
    del data["sides"]
    assert "sides" in error_for(data)
    data = copy.deepcopy(rules_data)
    del data["sides"]["python"]
    message = error_for(data)
    assert "sides" in message and "python" in message


def test_a_side_without_names_is_reported(rules_data: dict[str, Any]) -> None:
    data = copy.deepcopy(rules_data)
    data["sides"]["node"]["names"] = []
    message = error_for(data)
    assert "sides.node.names" in message


def test_duplicate_criterion_ids_are_reported(rules_data: dict[str, Any]) -> None:
    data = copy.deepcopy(rules_data)
    data["criteria"].append(copy.deepcopy(criterion(data, "realtime")))
    message = error_for(data)
    assert "duplicate criterion id" in message and "realtime" in message


def test_thresholds_are_checked(rules_data: dict[str, Any]) -> None:
    data = copy.deepcopy(rules_data)
    data["thresholds"]["relevance_ceiling"] = data["thresholds"]["relevance_floor"]
    assert "relevance_ceiling must be greater than relevance_floor" in error_for(data)
    data = copy.deepcopy(rules_data)
    data["thresholds"]["max_reasons"] = 9
    assert "thresholds.max_reasons" in error_for(data)


def test_missing_cues_field_is_reported(rules_data: dict[str, Any]) -> None:
    data = copy.deepcopy(rules_data)
    del data["cues"]["negators"]
    assert "cues.negators" in error_for(data)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("criteria: [unclosed\n", "not valid YAML"),
        ("sides:\n  node: {label: 'x'\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_unusable_yaml_is_reported(text: str, fragment: str) -> None:
    with pytest.raises(RulesError, match=re.escape(fragment)):
        parse_rules(text, "team-rules.yaml")


def test_a_missing_rules_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(caught.value) and "STACKPICK_RULES" in str(caught.value)


def test_the_forms_traits_name_only_criteria_that_exist(rules) -> None:  # type: ignore[no-untyped-def]
    ids = {c.id for c in rules.criteria}
    named = {cid for t in rules.traits for o in t.options for cid in o.criteria}
    assert [t.id for t in rules.traits] == ["needs", "team_knows", "team_experience", "scale"]
    assert named and named <= ids


def test_renaming_a_criterion_without_its_trait_fails_at_load_naming_the_trait(rules_data: dict[str, Any]) -> None:
    realtime = next(c for c in rules_data["criteria"] if c["id"] == "realtime")
    realtime["id"] = "live_updates"
    with pytest.raises(RulesError, match=r"trait 'needs' option 'realtime' names unknown criterion\(s\) realtime"):
        parse_rules(yaml.safe_dump(rules_data))


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: t[1].update(initial="nobody"), "trait 'team_knows' initial 'nobody' is not one of its options"),
        (lambda t: t[0]["options"][0]["criteria"].update(realtime=1.5), "relevance must be in (0, 1] for realtime"),
        (lambda t: t[0]["options"].append(dict(t[0]["options"][0])), "trait 'needs' lists an option twice"),
        (lambda t: t[3].update(id="team_knows"), "trait answer key(s) used twice: team_knows"),
        (lambda t: t[1].update(kind="dropdown"), "traits.1.kind"),
    ],
)
def test_a_bad_trait_is_reported(rules_data: dict[str, Any], mutate: Callable[[list[dict[str, Any]]], object],
                                 fragment: str) -> None:
    mutate(rules_data["traits"])
    with pytest.raises(RulesError) as error:
        parse_rules(yaml.safe_dump(rules_data))
    assert fragment in str(error.value)


def test_rules_without_traits_still_load(rules_data: dict[str, Any]) -> None:
    del rules_data["traits"]
    assert parse_rules(yaml.safe_dump(rules_data)).traits == []
