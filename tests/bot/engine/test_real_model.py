"""Integration: the real bundled model answers the dev set through the CLI, grounded quote for quote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Advisor
from bot.services.evaluation import load_cases, run_eval, ungrounded

ROOT = Path(__file__).resolve().parents[3]
DEV_SET = ROOT / "tests" / "data" / "dev-questions.yaml"
SHARED_DEV_SET = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"

pytestmark = pytest.mark.integration


def dev_set() -> Path:
    # The shared copy is the reference when it sits beside the clone; the vendored copy keeps a lone clone testable.
    return SHARED_DEV_SET if SHARED_DEV_SET.is_file() else DEV_SET


def test_vendored_dev_set_matches_the_shared_one() -> None:
    if SHARED_DEV_SET.is_file():
        assert DEV_SET.read_text(encoding="utf-8") == SHARED_DEV_SET.read_text(encoding="utf-8")


def test_dev_set_meets_the_bar(real_advisor: Advisor) -> None:
    report = run_eval(real_advisor, load_cases(dev_set()), ROOT / "knowledge" / "articles")
    by_id = {r.id: r for r in report.results}
    assert sum(r.verdict_ok for r in report.results) >= 15, [(r.id, r.verdict) for r in report.results]
    assert report.totals["grounding"] == 1.0
    assert report.totals["support"] >= 0.9
    assert report.totals["refusals"] == 1.0
    assert by_id["D09"].disagreement_ok


def test_every_quote_of_every_dev_answer_is_verbatim(real_advisor: Advisor) -> None:
    texts = {a.id: " ".join(a.text.split()) for a in real_advisor.engine.index.articles.values()}
    for case in load_cases(dev_set()):
        for answer in (real_advisor.ask(case.q), real_advisor.assess(case.q)):
            assert ungrounded(answer, texts) == [], case.id


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for CLI subprocesses: real model, index built in a temp folder."""
    tmp = tmp_path_factory.mktemp("cli-real")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STACKPICK_"))}
    env.update(STACKPICK_LIBRARY_DIR=str(ROOT / "knowledge" / "articles"), STACKPICK_INDEX_DIR=str(tmp / "index"),
               STACKPICK_CACHE_DIR=str(tmp / "cache"), STACKPICK_EMBEDDING_MODEL="bundled", HF_HUB_OFFLINE="1")
    built = subprocess.run([sys.executable, "-m", "bot.cli", "index", "build"], env=env, capture_output=True,
                           text=True, timeout=300, cwd=tmp)
    assert built.returncode == 0, built.stderr
    return env


def test_stackpick_eval_passes_its_thresholds(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "eval", str(dev_set()), "--min-verdict", "0.93", "--min-grounding", "1",
         "--min-support", "0.9", "--min-refusals", "1", "--min-disagreements", "1", "--json"],
        env=cli_env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    totals = json.loads(result.stdout)["totals"]
    assert totals["grounding"] == 1.0 and totals["verdict"] >= 0.93


def test_ask_json_prints_one_object_per_question_in_order(cli_env: dict[str, str]) -> None:
    questions = ["Node or Python for a real-time chat app?", "Best coffee in Seattle?", "Which is easier to learn?"]
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ask", *questions, "--json"], env=cli_env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert [line["verdict"] for line in lines] == ["node", "out_of_scope", "python"]
    assert lines[1]["citations"] == []


def test_eval_exits_non_zero_below_a_threshold(cli_env: dict[str, str], tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text('- {id: X1, q: "Node or Python for a real-time chat app?", verdict: [python]}\n')
    result = subprocess.run([sys.executable, "-m", "bot.cli", "eval", str(wrong), "--min-verdict", "1"],
                            env=cli_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "below threshold" in result.stderr and "Traceback" not in result.stderr


# The bars the held-out parts must clear (measured at the commit that set them: claims recall 0.42, side precision
# 0.77, side-and-criteria precision 0.57; questions verdict 83/105, refusals 21/21, scope kept 83/84). They catch a
# regression; the targets are higher, and the README says how far each figure is from them.
CLAIM_BARS = ["--min-recall", "0.40", "--min-side-precision", "0.74", "--min-criteria-precision", "0.55"]
BANK_BARS = ["--min-verdict", "0.75", "--min-grounding", "1", "--min-refusals", "0.95", "--min-scope-kept", "0.95"]
BANK = ROOT / "knowledge" / "labeled" / "questions.yaml"


def test_held_out_claims_clear_their_bar(cli_env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "eval", "--claims", "--part", "held_out", *CLAIM_BARS,
                             "--json"], env=cli_env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    report = json.loads(result.stdout)
    assert report["extractor"] != "rules"  # the shipped claim model did the extracting
    assert {"tune", "held_out", "seeds"} <= set(report["totals"])


def test_held_out_questions_clear_their_bar(cli_env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "eval", str(BANK), "--part", "held_out", *BANK_BARS,
                             "--json"], env=cli_env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    parts = json.loads(result.stdout)["parts"]
    assert set(parts) == {"tune", "held_out"}


def test_a_thread_asking_to_use_both_gets_both_or_depends(real_advisor: Advisor) -> None:
    thread = ["Node or Python for a dating app with live chat and a matchmaking model?"]
    answer = real_advisor.ask("could we just use both, one for each part?", thread)
    assert answer.verdict in ("both", "depends") and "both" in answer.summary.lower()
    one_sided = real_advisor.ask("can we just use both?", ["Node or Python for our websocket chat server?"])
    assert one_sided.verdict == "depends"
