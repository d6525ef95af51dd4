"""Scoring on synthetic claims: each article counted once, thresholds, both/depends, and weights from the rules."""

from __future__ import annotations

from pathlib import Path

from bot.engine.scoring import CriterionResult, article_stances, decide, deciding_articles, find_flip, group_claims
from knowledge.claims import Claim
from knowledge.rules import Rules, load_rules, parse_rules

RULES_PATH = Path(__file__).resolve().parents[3] / "knowledge" / "rules.yaml"


def claim(article: str, favors: str, criterion: str, n: int = 0, strength: float = 1.0) -> Claim:
    return Claim(id=f"{article}:{criterion}:{n}", article_id=article, start=n, end=n + 1, quote_start=n,
                 quote_end=n + 1, text="x", favors=favors, subject=favors, polarity=1,  # type: ignore[arg-type]
                 criteria=(criterion,), strength=strength)


def rules() -> Rules:
    return load_rules(RULES_PATH)


def test_one_article_repeating_itself_does_not_outvote_three_others() -> None:
    r = rules()
    claims = [claim("loud", "python", "realtime", n) for n in range(10)]
    claims += [claim(a, "node", "realtime") for a in ("a", "b", "c")]
    result = CriterionResult(r.criterion("realtime"), 1.0, 1.0, article_stances(claims))
    assert len(result.python_articles) == 1 and len(result.node_articles) == 3
    assert result.score == (3 - 1) / 4
    assert result.favors == "node" and result.disputed


def test_clear_margin_picks_a_side_and_more_articles_mean_more_confidence() -> None:
    r = rules()
    one = decide(r, {"realtime": 1.0}, group_claims([claim("a", "node", "realtime")]))
    three = decide(r, {"realtime": 1.0}, group_claims([claim(a, "node", "realtime") for a in "abc"]))
    assert one.verdict == three.verdict == "node"
    assert three.confidence > one.confidence > 0


def test_strong_criteria_pulling_opposite_ways_give_both() -> None:
    r = rules()
    claims = [claim(a, "node", "realtime") for a in "abc"] + [claim(a, "python", "data_ml") for a in "bcd"]
    outcome = decide(r, {"realtime": 1.0, "data_ml": 1.0}, group_claims(claims))
    assert outcome.verdict == "both"


def test_balanced_weak_evidence_gives_depends() -> None:
    r = rules()
    claims = [claim("a", "node", "speed"), claim("b", "python", "speed")]
    assert decide(r, {"speed": 1.0}, group_claims(claims)).verdict == "depends"
    assert decide(r, {}, group_claims(claims)).verdict == "depends"  # nothing applies


def test_criteria_below_the_relevance_threshold_do_not_count() -> None:
    r = rules()
    claims = [claim(a, "node", "realtime") for a in "abc"]
    below = r.thresholds.min_relevance - 0.01
    assert decide(r, {"realtime": below}, group_claims(claims)).verdict == "depends"


def test_changing_a_weight_in_the_rules_changes_the_verdict() -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    claims = [claim(a, "node", "realtime") for a in "ab"] + [claim(a, "python", "data_ml") for a in "cde"]
    relevance = {"realtime": 0.5, "data_ml": 1.0}
    base = decide(parse_rules(text), relevance, group_claims(claims))
    heavier = text.replace("    weight: 1.3\n", "    weight: 5\n", 1)  # the realtime criterion comes first
    assert heavier != text
    changed = decide(parse_rules(heavier), relevance, group_claims(claims))
    assert base.verdict == "python" and changed.verdict != "python"


def test_flip_names_the_smallest_change() -> None:
    r = rules()
    claims = [claim(a, "node", "realtime") for a in "ab"] + [claim(a, "python", "team_python") for a in "cde"]
    relevance = {"realtime": 1.0}
    outcome = decide(r, relevance, group_claims(claims))
    flip = find_flip(r, relevance, group_claims(claims), outcome)
    assert outcome.verdict == "node"
    assert flip is not None and "knows Python" in flip.description and flip.verdict != "node"


def test_both_needs_workloads_that_can_live_in_separate_services() -> None:
    r = rules()
    # team skills and development speed are not workloads: a team cannot be split between two services
    claims = [claim(a, "node", "team_js") for a in "abc"] + [claim(a, "python", "dev_speed") for a in "bcd"]
    outcome = decide(r, {"team_js": 1.0, "dev_speed": 1.0}, group_claims(claims))
    assert outcome.verdict != "both"
    assert not r.criterion("team_js").workload and r.criterion("realtime").workload


def test_an_article_arguing_both_ways_is_a_disagreement_not_evidence() -> None:
    r = rules()
    claims = [claim("a", "node", "cpu_heavy", 1), claim("a", "python", "cpu_heavy", 2)]
    result = CriterionResult(r.criterion("cpu_heavy"), 1.0, 1.0, article_stances(claims))
    assert result.support == 0 and result.score == 0 and list(result.mixed_articles) == ["a"]
    assert result.disputed
    assert set(result.side_claims("node")) == set(result.side_claims("python")) == {"a"}
    outcome = decide(r, {"cpu_heavy": 1.0}, group_claims(claims))
    assert outcome.verdict == "depends"
    assert [list(r.mixed_articles) for r in outcome.results] == [["a"]]


def test_what_the_team_knows_counts_fully_on_one_article_saying_it_matters() -> None:
    r = rules()
    # A criterion that can only favour one side needs no second article to confirm its direction.
    team = CriterionResult(r.criterion("team_python"), 1.0, 1.5, article_stances([claim("a", "python", "team_python")]))
    speed = CriterionResult(r.criterion("speed"), 1.0, 1.0, article_stances([claim("a", "node", "speed")]))
    assert team.evidence == 1.0 and speed.evidence == 0.5
    # A team that only knows Python weighs against four articles favouring Node.js for real time: it depends.
    claims = [claim(a, "node", "realtime") for a in "abcd"] + [claim("a", "python", "team_python")]
    assert decide(r, {"realtime": 1.0, "team_python": 1.0}, group_claims(claims)).verdict == "depends"


def test_asked_about_using_both_it_is_both_when_the_criteria_pull_each_way() -> None:
    from bot.engine.compose import together

    r = rules()
    claims = [claim(a, "node", "realtime") for a in "abc"] + [claim(a, "python", "data_ml") for a in "bc"]
    two_ways = decide(r, {"realtime": 1.0, "data_ml": 0.4}, group_claims(claims))
    assert two_ways.verdict == "node" and together(two_ways).verdict == "both"
    one_way = decide(r, {"realtime": 1.0}, group_claims(claims))
    assert together(one_way).verdict == "depends"  # nothing here calls for the second language


def test_one_article_is_too_thin_to_split_a_system_over() -> None:
    r = rules()
    claims = [claim(a, "node", "realtime") for a in "abc"] + [claim("b", "python", "data_ml")]
    assert decide(r, {"realtime": 1.0, "data_ml": 1.0}, group_claims(claims)).verdict != "both"
    claims.append(claim("c", "python", "data_ml"))
    assert decide(r, {"realtime": 1.0, "data_ml": 1.0}, group_claims(claims)).verdict == "both"


def test_deciding_articles_counts_the_union_of_criteria_whichever_way_it_is_counted() -> None:
    claims = [claim(a, side, criterion, n) for n, (a, side, criterion) in enumerate([
        ("a", "node", "realtime"), ("b", "node", "realtime"), ("c", "python", "realtime"),
        ("b", "node", "io_apis"), ("d", "python", "io_apis"), ("e", "node", "io_apis"), ("e", "python", "io_apis"),
        ("f", "python", "data_ml"), ("a", "python", "data_ml")])]
    index = group_claims(claims)  # bits from one article numbering
    plain = {cid: article_stances(index[cid]) for cid in index}  # no bits: a set union
    for group in (["realtime"], ["realtime", "io_apis"], ["io_apis", "data_ml"], ["realtime", "io_apis", "data_ml"]):
        expected = len({a for cid in group for a in (*plain[cid].node, *plain[cid].python)})
        assert deciding_articles(index.stances(cid) for cid in group) == expected
        assert deciding_articles(plain[cid] for cid in group) == expected
    assert deciding_articles([]) == 0
