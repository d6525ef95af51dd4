"""Smoke test of the speed benchmark's parts: the synthetic library generator, the targets and the report writers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from benchmarks.report import README_END, README_START, Report, Row, markdown_table, rich_table, update_readme
from benchmarks.synthetic import SYNTHETIC_NOTE, GeneratorParams, ensure_library, extra_article, generate
from benchmarks.targets import apply_targets
from benchmarks.timing import Summary, percentile
from benchmarks.workspace import size_label
from knowledge.corpus import Article, load_library
from knowledge.rules import Criterion, load_rules
from knowledge.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "knowledge" / "articles"
RULES = REPO / "knowledge" / "rules.yaml"


@pytest.fixture(scope="module")
def seeds() -> list[Article]:
    return load_library(SEEDS)


@pytest.fixture(scope="module")
def criteria() -> list[Criterion]:
    return load_rules(RULES).criteria


def test_generator_is_deterministic(seeds: list[Article], criteria: list[Criterion]) -> None:
    params = GeneratorParams(articles=20)
    first = [a.to_markdown() for a in generate(seeds, criteria, params)]
    again = [a.to_markdown() for a in generate(seeds, criteria, params)]
    assert first == again
    other = [a.to_markdown() for a in generate(seeds, criteria, GeneratorParams(articles=20, seed=6))]
    assert other != first
    assert len(set(first)) == 20  # twenty different articles


def test_generated_library_is_valid_synthetic_and_reused(tmp_path: Path, seeds: list[Article]) -> None:
    params = GeneratorParams(articles=20)
    folder = ensure_library(tmp_path, params, SEEDS, RULES)
    articles = load_library(folder)  # every front matter parses with the product's own reader
    assert len(articles) == 20 and len({a.id for a in articles}) == 20
    seed_sentences = {s.text for a in seeds for s in split_sentences(a.text)}
    for article in articles:
        assert article.title and SYNTHETIC_NOTE in article.title and "Synthetic" in article.title
        assert article.author is None and article.url is None and article.publisher is None
        assert article.published is None and article.updated is None
        assert 80 <= len(article.text.split()) <= 400
        sentences = [s.text for s in split_sentences(article.text)]
        assert set(sentences) <= seed_sentences  # nothing invented: every sentence is a seed sentence, verbatim
        assert len(sentences) == len(set(sentences))  # and none repeated within an article
    marker = folder / ".complete.json"
    stamp = marker.stat().st_mtime_ns
    assert ensure_library(tmp_path, params, SEEDS, RULES) == folder
    assert marker.stat().st_mtime_ns == stamp  # reused, not regenerated
    assert ensure_library(tmp_path, GeneratorParams(articles=21), SEEDS, RULES) != folder

    new = extra_article(SEEDS, RULES, params, salt="run-1")
    assert new.id not in {a.id for a in articles}
    assert new.text != extra_article(SEEDS, RULES, params, salt="run-2").text
    assert new == extra_article(SEEDS, RULES, params, salt="run-1")


def test_synthetic_articles_index_into_one_or_two_passages(tmp_path: Path, rules, token_counter) -> None:
    from index.build import build_index
    from index.embedding import HashingEmbedder
    from index.store import IndexStore

    folder = ensure_library(tmp_path, GeneratorParams(articles=20), SEEDS, RULES)
    report = build_index(folder, IndexStore(tmp_path / "index"), HashingEmbedder(), token_counter, rules)
    assert report.articles == 20
    assert 20 <= report.passages <= 50


def test_size_labels() -> None:
    assert size_label("seed") is None
    assert size_label("1k") == 1000 and size_label("10K") == 10_000 and size_label("250") == 250
    with pytest.raises(ValueError):
        size_label("0.5")


def test_percentiles() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 95) == pytest.approx(95.05)
    summary = Summary.of([3.0, 1.0, 2.0])
    assert (summary.n, summary.median, summary.low, summary.high) == (3, 2.0, 1.0, 3.0)


def _report() -> Report:
    report = Report(started_at="20260101T000000Z", machine={"cpus": 2, "load_before": 0.1, "load_after": 0.2},
                    options={"cold_runs": 5, "build_runs": 3, "add_runs": 3, "warm_repeat": 3})
    report.rows = [
        Row("import_st_s", "import sentence_transformers", "—", "—", "s", 4.0, samples=[4.0, 4.1, 3.9]),
        Row("cold_ask_s", "cold ask", "seed", "onnx-int8", "s", 0.8, 6.0, [0.8, 0.9, 0.7], [6.0]),
        Row("warm_p95_ms", "warm p95", "10k", "onnx-int8", "ms", 61.0, 14.0),
        Row("build_passages_per_s", "build throughput", "seed", "onnx-int8", "/s", 30.0, 12.0),
        Row("serve_peak_rss_mb", "serving peak RSS", "seed", "onnx-int8", "MB", 250.0, 700.0),
        Row("add_one_s", "add one article", "10k", "onnx-int8", "s", None),
    ]
    apply_targets(report)
    return report


def test_targets_pass_and_miss_with_margins() -> None:
    report = _report()
    cold = report.find("cold_ask_s", "seed")
    assert cold is not None and cold.passed is True and len(cold.checks) == 2
    assert "1.00 s" in cold.checks[1].text  # 0.25 × the import measured in the same run
    warm = report.find("warm_p95_ms", "10k")
    assert warm is not None and warm.passed is False and "11.0 ms over" in warm.checks[0].margin
    build = report.find("build_passages_per_s", "seed")
    assert build is not None and build.passed is True and build.ratio == pytest.approx(2.5)
    rss = report.find("serve_peak_rss_mb", "seed")
    assert rss is not None and rss.passed is True
    add = report.find("add_one_s", "10k")
    assert add is not None and add.passed is None  # not measured: cannot be judged


def test_report_json_table_and_readme(tmp_path: Path) -> None:
    from benchmarks.report import write_json

    report = _report()
    paths = [tmp_path / "a" / "speed-1.json", tmp_path / "speed-latest.json"]
    write_json(report, paths)
    data = json.loads(paths[1].read_text())
    assert data == json.loads(paths[0].read_text())
    assert data["rows"][1]["key"] == "cold_ask_s" and data["rows"][1]["passed"] is True
    assert data["rows"][1]["ratio"] == pytest.approx(0.8 / 6.0)
    again = Report.from_json(data)
    apply_targets(again)
    assert again.to_json() == data

    console = Console(file=io.StringIO(), width=200)
    console.print(rich_table(report))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "cold ask" in text and "MISS" in text

    body = markdown_table(report)
    assert "| cold ask | seed | onnx-int8 | 0.80 s | 6.00 s | 0.13× |" in body
    assert "**miss**" in body
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{README_START}\nold table\n{README_END}\nafter\n")
    assert update_readme(readme, body)
    updated = readme.read_text()
    assert "old table" not in updated and body in updated and updated.endswith("after\n")
    assert update_readme(readme, body) and readme.read_text() == updated  # idempotent
    bare = tmp_path / "BARE.md"
    bare.write_text("no markers\n")
    assert not update_readme(bare, body) and bare.read_text() == "no markers\n"


def test_importtime_parsing_keeps_top_level_imports() -> None:
    from benchmarks.profiling import parse_importtime

    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       200 |        300 |     torch._C",
        "import time:      1000 |       4000 |   torch",
        "import time:       500 |        900 | bot.cli",
        "import time:       100 |       5000 | sentence_transformers",
        "some other line",
    ])
    parsed = parse_importtime(stderr)
    assert [i["module"] for i in parsed["top"]] == ["sentence_transformers", "bot.cli"]
    assert parsed["total_ms"] == pytest.approx(5.9)


def test_backends_resolve_with_and_without_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import backends

    monkeypatch.setattr(backends, "backend_setting", lambda: backends.BackendSetting(None, None, None))
    usable, warnings = backends.resolve(["default", "torch"])
    assert usable == ["default"] and len(warnings) == 1 and backends.ENV in warnings[0]
    assert backends.quality_backends()[0] == ["default"]

    setting = backends.BackendSetting("embedding_backend", ("onnx-int8", "onnx", "torch"), "onnx-int8")
    monkeypatch.setattr(backends, "backend_setting", lambda: setting)
    assert backends.resolve(["default", "torch", "bogus"])[0] == ["default", "torch"]
    assert backends.resolve(["onnx-int8", "default"])[0] == ["default"]  # the default is measured once
    assert backends.backend_env("torch") == {backends.ENV: "torch"} and backends.backend_env("default") == {}
    assert backends.quality_backends()[0] == ["default", "torch"]
