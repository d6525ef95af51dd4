"""The CLI's index and search commands (typer CliRunner): JSON output, clear one-line errors, helpful --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result
from web_pages import Page, PageServer, html_page

from bot.cli import app
from bot.services.library import Librarian
from index.store import MANIFEST, IndexStore
from knowledge.corpus import load_library

FIX = "stackpick index build"


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


def assert_clean_error(result: Result, fragment: str, code: int = 1) -> str:
    """A failure: the exit code, one 'Error:' line on stderr naming the problem, and no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output
    return errors[0]


def search_json(cli, *args: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    result = cli("search", *args, "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_build_then_search_prints_json_lines_with_article_ids(cli, library_dir: Path) -> None:
    result = cli("index", "build")
    assert result.exit_code == 0, result.output
    assert "Index version" in result.stdout and "5 articles" in result.stdout
    articles = {a.id: a for a in load_library(library_dir)}
    hits = search_json(cli, "real-time chat")
    assert len(hits) == 5
    assert len({h["article_id"] for h in hits}) >= 2
    for hit in hits:
        article = articles[str(hit["article_id"])]
        assert article.text[int(hit["start"]) : int(hit["end"])] == hit["text"]  # type: ignore[call-overload]
        assert {"passage_id", "title", "date", "url", "score", "dense_rank", "bm25_rank"} <= set(hit)


def test_search_options_k_mode_and_per_article(cli, built_index) -> None:
    assert len(search_json(cli, "Python", "--k", "2")) == 2
    capped = search_json(cli, "Node.js Python backend", "--k", "10", "--per-article", "1")
    assert len(capped) == 5 and len({h["article_id"] for h in capped}) == 5
    assert all(h["bm25_rank"] is None for h in search_json(cli, "real-time chat", "--mode", "dense"))
    assert_clean_error(cli("search", "chat", "--mode", "fuzzy"), "--mode", code=2)
    assert_clean_error(cli("search", "   "), "empty", code=2)


def test_search_prints_readable_text_without_json(cli, built_index) -> None:
    result = cli("search", "memory-intensive", "--k", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1. ")
    assert "memory-intensive" in result.stdout


def test_search_before_any_build_says_to_build(cli) -> None:
    assert_clean_error(cli("search", "real-time chat"), FIX)


def test_index_list_and_stats(cli, built_index, library_dir: Path) -> None:
    listing = cli("index", "list", "--json")
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)
    assert {r["id"] for r in rows} == {a.id for a in load_library(library_dir)}
    assert all(r["passages"] >= 1 for r in rows)
    assert next(r for r in rows if r["id"] == "003-ae1fe6b9f58f1b66")["date"] == "2024-04-14"
    table = cli("index", "list")
    assert table.exit_code == 0 and built_index.version in table.stdout

    stats_result = cli("index", "stats", "--json")
    assert stats_result.exit_code == 0, stats_result.output
    stats = json.loads(stats_result.stdout)
    assert stats["articles"] == 5
    assert stats["version"] == built_index.version
    assert stats["vectors"] == stats["passages"] == built_index.build.passages
    assert (stats["model"], stats["backend"], stats["dimension"]) == ("hashing-256", "hash", 256)
    assert stats["size_bytes"] > 0 and stats["versions_kept"] == 1
    text = cli("index", "stats")
    assert text.exit_code == 0 and "articles" in text.stdout and built_index.version in text.stdout


def test_index_add_of_a_missing_file_fails_cleanly(cli, built_index, tmp_path: Path, library_dir: Path) -> None:
    before = sorted(p.name for p in library_dir.iterdir())
    error = assert_clean_error(cli("index", "add", str(tmp_path / "missing.md")), "no such file")
    assert str(tmp_path / "missing.md") in error
    assert sorted(p.name for p in library_dir.iterdir()) == before


def test_index_add_then_search_and_remove(cli, built_index, tmp_path: Path) -> None:
    source = tmp_path / "lighthouse.txt"
    source.write_text(
        "Our lighthouse telemetry project streams lamp and foghorn readings from two hundred coastal stations. "
        "Node.js is the best option for the live harbour dashboard, because it keeps thousands of concurrent "
        "websocket connections open. Python is the go-to choice for the tide forecasting models, since the "
        "oceanographers already use NumPy and pandas. The keepers review the forecasts every morning and adjust the "
        "foghorn schedule before the ferries leave the harbour, and the relay service forwards every reading to "
        "the archive within a second of it arriving from the coast."
    )
    added = cli("index", "add", str(source))
    assert added.exit_code == 0, added.output
    assert "Added 1 article(s)" in added.stdout
    [hit] = search_json(cli, "lighthouse foghorn telemetry", "--k", "1")
    article_id = str(hit["article_id"])
    assert article_id.startswith("our-lighthouse-telemetry")

    removed = cli("index", "remove", article_id)
    assert removed.exit_code == 0, removed.output
    assert f"Removed {article_id}" in removed.stdout
    assert json.loads(cli("index", "stats", "--json").stdout)["articles"] == 5
    assert_clean_error(cli("index", "remove", article_id), "no article with id")


def test_index_add_of_a_url_keeps_to_public_addresses_unless_the_setting_allows_more(
    cli, built_index, library_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ("The lighthouse keepers moved their harbour dashboard to Node.js for its websocket fan-out, and kept the "
            "tide models in Python, where the oceanographers' NumPy code already lived. ") * 5
    with PageServer("127.0.0.1") as pages:
        pages.pages["/keepers"] = Page(html_page("Lighthouse keepers", text))
        before = sorted(p.name for p in library_dir.iterdir())
        assert_clean_error(cli("index", "add", f"{pages.url}/keepers"), "127.0.0.1 is a loopback address")
        assert pages.seen == [] and sorted(p.name for p in library_dir.iterdir()) == before

        monkeypatch.setenv("STACKPICK_FETCH_ALLOW", "127.0.0.1")  # as a team allows its intranet wiki
        added = cli("index", "add", f"{pages.url}/keepers")
        assert added.exit_code == 0, added.output
        assert "Added 1 article(s): lighthouse-keepers-" in added.stdout
        assert pages.paths_seen() == ["/keepers"]


def test_index_add_near_duplicate_needs_force(cli, built_index, tmp_path: Path, library_dir: Path) -> None:
    near = tmp_path / "near.txt"
    near.write_text(load_library(library_dir)[4].text + "\n\nWe also keep a small Rust service for billing.")
    assert_clean_error(cli("index", "add", str(near)), "--force")
    forced = cli("index", "add", "--force", str(near))
    assert forced.exit_code == 0, forced.output
    assert "Warning:" in forced.stderr and "Added 1 article(s)" in forced.stdout


def test_index_rollback(cli, built_index) -> None:
    assert cli("index", "build").exit_code == 0
    store_versions = json.loads(cli("index", "stats", "--json").stdout)["versions_kept"]
    assert store_versions == 2
    result = cli("index", "rollback")
    assert result.exit_code == 0, result.output
    assert f"Now serving index version {built_index.version}" in result.stdout
    assert json.loads(cli("index", "stats", "--json").stdout)["version"] == built_index.version
    assert_clean_error(cli("index", "rollback"), "no earlier index version")
    assert_clean_error(cli("index", "rollback", "--to", "../../elsewhere"), "no index version '../../elsewhere'")


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def test_building_an_empty_library_never_shows_a_traceback(cli, library_dir: Path) -> None:
    for path in library_dir.glob("*.md"):
        path.unlink()
    result = cli("index", "build")
    assert_no_traceback(result)
    if result.exit_code == 0:  # an empty index is served: searching it finds nothing
        found = cli("search", "real-time chat", "--json")
        assert found.exit_code == 0 and found.stdout.strip() == ""
    else:  # refused: one clear line, whatever its wording
        assert_clean_error(result, "")


def test_removing_the_last_article_never_shows_a_traceback(cli, library_dir: Path) -> None:
    keep = "004-cd1a73b994173223"
    for path in library_dir.glob("*.md"):
        if path.stem != keep:
            path.unlink()
    assert cli("index", "build").exit_code == 0
    result = cli("index", "remove", keep)
    assert_no_traceback(result)
    stats = cli("index", "stats", "--json")
    assert stats.exit_code == 0, stats.output
    if result.exit_code == 0:  # removed: an empty index is served
        assert not (library_dir / f"{keep}.md").exists()
        assert json.loads(stats.stdout)["articles"] == 0
    else:  # refused cleanly: the article is still in the library and still served
        assert_clean_error(result, "")
        assert (library_dir / f"{keep}.md").is_file()
        assert json.loads(stats.stdout)["articles"] == 1


def test_a_corrupt_manifest_gives_a_clean_error(cli, built_index, index_dir: Path) -> None:
    store = IndexStore(index_dir)
    (store.version_dir(built_index.version) / MANIFEST).write_bytes(b"\x00\xffnot json")
    for command in (["search", "real-time chat"], ["index", "stats"], ["index", "list"]):
        assert_clean_error(cli(*command), FIX)


def test_a_model_mismatch_gives_a_clean_error(cli, built_index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKPICK_EMBEDDING_MODEL", "hash:128")
    error = assert_clean_error(cli("search", "real-time chat"), FIX)
    assert "hashing-256" in error and "hashing-128" in error


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and command group under a group (typer bundles its own click, so duck-type groups)."""
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_documented_commands_exist() -> None:
    expected = {("index", n) for n in ("build", "add", "list", "remove", "stats", "rollback")}
    expected |= {("search",), ("ask",), ("assess",), ("eval",)}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "stackpick")
def test_every_command_has_help_with_an_example(cli, command: tuple[str, ...]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout


def test_the_module_runs_as_a_program(settings, isolated_paths) -> None:
    run = [sys.executable, "-m", "bot.cli"]  # inherits the isolated environment set by the autouse fixture
    missing = subprocess.run([*run, "search", "chat"], cwd=isolated_paths.root, capture_output=True, text=True)
    assert missing.returncode == 1 and FIX in missing.stderr and "Traceback" not in missing.stderr
    Librarian(settings).rebuild()
    found = subprocess.run([*run, "search", "real-time chat", "--json"], cwd=isolated_paths.root,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(hits) == 5 and len({h["article_id"] for h in hits}) >= 2


def test_index_stats_check_says_whether_the_settings_can_query_the_index(cli, built_index,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ok = cli("index", "stats", "--check", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["usable"] is True
    monkeypatch.setenv("STACKPICK_EMBEDDING_MODEL", "hash:128")  # another vector space than the one built
    shown = cli("index", "stats", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["usable"] is False
    refused = cli("index", "stats", "--check")
    assert refused.exit_code == 1
    assert "hashing-256" in refused.output and "stackpick index build" in refused.output
