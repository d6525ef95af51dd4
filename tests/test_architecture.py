"""The import contracts in pyproject.toml hold, and break when a module imports against the layering."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# import-linter puts the working folder first on sys.path, so a copy of the packages there is what it analyses.
LINT = "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True, no_logo=True))"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}  # one contract per line in the report
    return subprocess.run([sys.executable, "-c", LINT], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_import_contracts_hold() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and " kept" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("knowledge/corpus.py", "import index.store", "Packages depend downward"),
        ("index/search.py", "import bot.answer", "Packages depend downward"),
        ("bot/engine/advisor.py", "import bot.slack.app", "The engine imports no Slack library and no face"),
        ("bot/engine/scoring.py", "import slack_sdk", "The engine imports no Slack library and no face"),
        ("bot/services/library.py", "import bot.cli.common", "Inside bot"),
        ("bot/render/slack/answer.py", "import bot.engine.scoring", "Renderers import only the answer models"),
        ("bot/render/terminal/answer.py", "import knowledge.rules", "Renderers import only the answer models"),
    ],
)
def test_an_import_against_the_layering_breaks_a_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    for package in ("knowledge", "index", "bot"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n", encoding="utf-8")
    result = lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout
