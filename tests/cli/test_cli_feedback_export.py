"""`stackpick feedback --export`: every 👎 as a labeled question that `stackpick train` reads."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.services.feedback import FeedbackStore
from bot.settings import Settings
from knowledge.question_training import load_questions


def test_downvotes_export_as_questions_the_trainer_reads(tmp_path, rules) -> None:  # type: ignore[no-untyped-def]
    store = FeedbackStore.from_settings(Settings())
    store.record("Node or Python for a scraper?", "node", "U1", "down", message="m1",
                 criteria=["realtime", "ecosystem"])
    vote = store.record("Node or Python for chat?", "node", "U2", "up", message="m2")
    assert vote
    down_id = store.record("Which is easier to learn?", "node", "U3", "down", message="m3", criteria=["learning"])
    store.add_reason(down_id, "Python is easier, everyone says so", wrong=["learning"])
    target = tmp_path / "ours" / "downvotes.yaml"
    result = CliRunner().invoke(app, ["feedback", "--export", str(target)])
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(target.read_text())
    assert [e["q"] for e in entries] == ["Node or Python for a scraper?", "Which is easier to learn?"]
    assert entries[1]["not_criteria"] == ["learning"] and entries[1]["wrong_verdict"] == "node"
    assert "everyone says so" in entries[1]["note"]
    [_, learned] = load_questions([target], {c.id for c in rules.criteria})
    assert learned.criteria is None and learned.not_criteria == ["learning"]
