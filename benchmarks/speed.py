"""Speed: stackpick beside a stock sentence-transformers + exact FAISS baseline, on the seed and synthetic libraries.

Measures cold `stackpick ask`, warm answer latency, index build throughput, adding one article and the serving
process's peak RSS; prints a table, writes JSON (benchmarks/results/speed-*.json) and, with --update-readme, the
benchmarks/README.md's speed table. Libraries and indexes are kept under var/bench between runs.

Examples:
    python -m benchmarks.speed --quick                     seed library only, few runs: a smoke check
    python -m benchmarks.speed                             seed, 1k and 10k articles, the product's default backend
    python -m benchmarks.speed --sizes seed,1k --backend default,torch --quality --profile
    python -m benchmarks.speed --model hash --sizes 200 --runs 1    the harness itself, in seconds (no baseline)
    python -m benchmarks.speed --render benchmarks/results/speed-latest.json --update-readme
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from . import quality as quality_bench
from .backends import DEFAULT, quality_backends, resolve
from .profiling import cprofile_command, import_profile, profile_file, summary_lines
from .report import Report, Row, markdown_table, print_report, update_readme, write_json
from .synthetic import extra_article
from .targets import apply_targets
from .timing import CommandFailed, Summary, repeat, run, run_json
from .workspace import RULES, SEEDS, IndexPaths, Library, Workspace, restore_after_add, size_label

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "benchmarks" / "README.md"  # its speed table; the top README links to it
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev-questions.yaml"
RETRIEVAL_QUERIES = ROOT / "benchmarks" / "retrieval_queries.yaml"
COLD_QUESTION = "Node or Python for a real-time chat app?"
THROUGHPUT_MAX_ARTICLES = 2000  # build throughput is measured on the seed and 1k libraries, not at 10k
EMBEDDINGS_DB = "embeddings.sqlite3"


@dataclass
class Options:
    sizes: list[str]
    backends: list[str]
    cold_runs: int
    build_runs: int
    add_runs: int
    warm_repeat: int
    model: str
    baseline: bool
    quality: bool
    quick: bool
    profile: bool = False


def load_questions() -> list[str]:
    """The dev questions, then the retrieval benchmark's queries: varied wording, lengths and verdicts."""
    import yaml

    dev = yaml.safe_load(DEV_QUESTIONS.read_text(encoding="utf-8"))
    queries = yaml.safe_load(RETRIEVAL_QUERIES.read_text(encoding="utf-8"))
    return [case["q"] for case in dev] + [query["query"] for query in queries]


def baseline_available() -> bool:
    try:
        metadata.version("sentence-transformers")
    except metadata.PackageNotFoundError:
        return False
    return True


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    packages: dict[str, str | None] = {}
    for name in ("onnxruntime", "torch", "sentence-transformers", "faiss-cpu", "tokenizers", "bm25s"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                         check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "platform": platform.platform(),
            "python": platform.python_version(), "packages": packages,
            "git": f"{git}{'-dirty' if dirty else ''}", "load_before": os.getloadavg()[0]}


class SpeedBenchmark:
    """One run: every measurement for every library size and backend, into one Report."""

    def __init__(self, options: Options, console: Console) -> None:
        self.options = options
        self.console = console
        self.workspace = Workspace(model=options.model)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.stamp = stamp
        self.report = Report(started_at=stamp)
        self.scratch = self.workspace.root / "runs" / stamp
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.questions_file = self.scratch / "questions.json"
        self.questions_file.write_text(json.dumps(load_questions()), encoding="utf-8")
        self.baseline_index: dict[str, Path] = {}
        # Baseline results by library, measured with the first backend and shown beside every backend.
        self.baseline_builds: dict[str, dict[str, list[float]]] = {}
        self.baseline_cold: dict[str, list[float]] = {}
        self.baseline_warm: dict[str, dict[str, Any]] = {}
        self.labels: dict[tuple[str, str], str] = {}  # (library key, backend) -> label shown (the built backend)
        self.baseline = options.baseline and baseline_available() and not options.model.startswith("hash")

    # -- helpers -------------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        self.console.log(message, highlight=False, markup=False)

    def note(self, message: str) -> None:
        self.report.notes.append(message)
        self.console.log(f"[yellow]{escape(message)}[/yellow]", highlight=False)

    def python(self, *args: str) -> list[str]:
        return [sys.executable, *args]

    def stackpick(self, *args: str) -> list[str]:
        return [self.workspace.command("stackpick"), *args]

    def env(self, library: Library, paths: IndexPaths, backend: str) -> dict[str, str]:
        return self.workspace.product_env(library, paths, backend)

    def label(self, library: Library, backend: str) -> str:
        return self.labels.get((library.key, backend), backend)

    def remember_label(self, library: Library, backend: str, built_backend: str) -> None:
        # 'default' is shown as what it built (onnx-int8, sentence-transformers...), so the table says which it was.
        self.labels[(library.key, backend)] = built_backend if backend == DEFAULT else backend

    def ensure_index(self, library: Library, backend: str, rebuild: bool = False) -> IndexPaths:
        """The library's index for this backend, built now (embedding cache kept between runs) unless reusable."""
        paths = self.workspace.index_paths(library, backend)
        if rebuild:
            self.workspace.forget(paths)
        if not self.workspace.index_ready(library, paths, backend):
            self.log(f"{library.label} · {backend} · building the index ({library.articles:,} articles; cached "
                     "embeddings are reused, the first build of a big library takes minutes)")
            seconds, _ = run(self.stackpick("index", "build"), self.env(library, paths, backend), cwd=self.scratch,
                             show_stderr=True)
            self.workspace.mark_built(library, paths, backend)
            self.log(f"{library.label} · {backend} · index built in {seconds:.1f} s")
            self.report.libraries.setdefault(library.label, {}).setdefault("index_build_s", {})[backend] = seconds
        from index.store import IndexStore

        manifest = IndexStore(paths.index_dir).read_manifest()
        self.remember_label(library, backend, manifest.embedding.backend)
        info = self.report.libraries.setdefault(library.label, {})
        info.update({"articles": manifest.counts.get("articles"), "passages": manifest.counts.get("passages"),
                     "claims": manifest.counts.get("claims"), "key": library.key, "folder": str(library.folder),
                     "generator": asdict(library.params) if library.params else None})
        info.setdefault("backends", {})[backend] = {"manifest_backend": manifest.embedding.backend,
                                                    "model": manifest.embedding.model,
                                                    "faiss_index": manifest.faiss_index}
        return paths

    def guarded(self, library: Library, backend: str, action: Any) -> Any:
        """Run an action on the library's index; if the index turns out unusable (stale format), rebuild once."""
        paths = self.ensure_index(library, backend)
        try:
            return action(paths)
        except CommandFailed as error:
            if "index build" not in str(error):
                raise
            self.note(f"{library.label} · {backend}: the kept index could not be served ({str(error)[-200:]}); "
                      "rebuilt it")
            return action(self.ensure_index(library, backend, rebuild=True))

    # -- references ----------------------------------------------------------------------------------------

    def references(self) -> None:
        env = self.workspace.base_env()
        runs = self.options.cold_runs
        floor = repeat(self.python("-c", "pass"), env, runs)
        self.report.rows.append(Row("python_floor_s", "python -c pass", "—", "—", "s",
                                    statistics.median(floor), samples=floor))
        self.log(f"python -c pass: {statistics.median(floor):.3f} s")
        if baseline_available():
            imports = repeat(self.python("-c", "import sentence_transformers"), env, runs)
            self.report.rows.append(Row("import_st_s", "import sentence_transformers",
                                        "—", "—", "s", statistics.median(imports), samples=imports))
            self.log(f"import sentence_transformers: {statistics.median(imports):.2f} s")

    # -- build throughput ----------------------------------------------------------------------------------

    def _baseline_texts(self, index_folder: Path, out: Path) -> tuple[int, int]:
        """Every distinct text whose vector the product's index holds (passages, claim quotes, and the rules'
        criterion examples when the index stores their vectors), and each passage's row among them."""
        from index.version_files import ARTICLES, CLAIMS, EXAMPLE_VECTORS, VersionFiles
        from knowledge.rules import load_rules

        files = VersionFiles(index_folder)
        passages = [p.text for p in files.read_passages()]
        texts: dict[str, int] = {}
        rows = [texts.setdefault(text, len(texts)) for text in passages]
        if files.path(CLAIMS).is_file() and files.path(ARTICLES).is_file():
            articles = files.read_articles()
            for claim in files.read_claims():
                texts.setdefault(articles[claim.article_id].text[claim.quote_start : claim.quote_end], len(texts))
        if files.path(EXAMPLE_VECTORS).is_file():
            for criterion in load_rules(RULES).criteria:
                for example in criterion.examples:
                    texts.setdefault(example, len(texts))
        out.write_text(json.dumps({"texts": list(texts), "passage_rows": rows}), encoding="utf-8")
        return len(rows), len(texts)

    def build_throughput(self, library: Library, backend: str, with_baseline: bool) -> None:
        """`stackpick index build` on fresh index and cache folders, against the baseline on the same texts."""
        from index.store import IndexStore

        name = f"{library.label}-{backend}"
        walls: list[float] = []
        inside: list[float] = []  # the build's own seconds from the manifest: no process start or model load
        embedded: list[int] = []
        first_build: float | None = None
        encoder_cache: Path | None = None
        passages = texts = 0
        texts_file = self.scratch / f"texts-{library.label}.json"
        run_number = 0
        while len(walls) < self.options.build_runs:
            paths = self.workspace.scratch_paths(f"build-{name}-{run_number}")
            if encoder_cache is not None:  # an exported encoder from the first build, but no embeddings
                shutil.copytree(encoder_cache, paths.cache_dir)
            wall, stdout = run(self.stackpick("index", "build"), self.env(library, paths, backend), cwd=self.scratch)
            manifest = IndexStore(paths.index_dir).read_manifest()
            self.remember_label(library, backend, manifest.embedding.backend)
            if run_number == 0:
                folder = IndexStore(paths.index_dir).version_dir(manifest.version)
                passages, texts = self._baseline_texts(folder, texts_file)
                leftovers = [p for p in paths.cache_dir.iterdir() if not p.name.startswith(EMBEDDINGS_DB)]
                if leftovers:  # the build exported an encoder into the cache: later runs start from it
                    first_build = wall
                    encoder_cache = self.scratch / f"encoder-cache-{name}"
                    shutil.copytree(paths.cache_dir, encoder_cache,
                                    ignore=shutil.ignore_patterns(f"{EMBEDDINGS_DB}*"))
            if run_number > 0 or encoder_cache is None:
                walls.append(wall)
                inside.append(manifest.build_seconds)
                match = re.search(r"embedded (\d+) new texts", stdout)
                if match:
                    embedded.append(int(match.group(1)))
            self.workspace.discard(paths)
            self.log(f"{library.label} · {backend} · build run {run_number}: {wall:.1f} s "
                     f"({passages / wall:.1f} passages/s; {manifest.build_seconds:.1f} s inside the build)")
            run_number += 1
        if with_baseline:
            self._baseline_build(library, texts_file, passages)
        base = self.baseline_builds.get(library.label, {})
        label = self.label(library, backend)
        product_texts = statistics.median(embedded) if embedded else None
        note = (f"{passages} passages; stackpick embedded {product_texts if product_texts is not None else '?'} "
                f"texts, the baseline the {texts} distinct texts whose vectors the index holds")
        if product_texts is not None and product_texts != texts:
            self.note(f"{library.label} · {backend}: stackpick embedded {product_texts:g} texts per build, the "
                      f"baseline {texts}: not quite the same work")
        rates = [passages / w for w in walls]
        base_rates = [passages / w for w in base.get("wall_s", [])]
        extra: dict[str, Any] = {"passages": passages, "baseline_texts": texts, "embedded_texts": embedded,
                                 "product_wall_s": walls, "product_build_s": inside, "baseline": base}
        self.report.rows.append(Row(
            "build_passages_per_s", "build throughput", library.label, label, "/s", statistics.median(rates),
            statistics.median(base_rates) if base_rates else None, rates, base_rates, note=note, extra=extra))
        inside_rates = [passages / s for s in inside if s > 0]
        base_inside = [passages / (e + i) for e, i in zip(base.get("encode_s", []), base.get("index_s", []),
                                                            strict=True)]
        self.report.rows.append(Row(
            "build_inside_passages_per_s", "build throughput, in-process", library.label, label, "/s",
            statistics.median(inside_rates) if inside_rates else None,
            statistics.median(base_inside) if base_inside else None, inside_rates, base_inside, note=note))
        if first_build is not None:
            self.report.rows.append(Row(
                "build_first_s", "first build", library.label, label, "s", first_build,
                statistics.median(base["wall_s"]) if base else None, [first_build], base.get("wall_s", [])))

    def _baseline_build(self, library: Library, texts_file: Path, passages: int) -> None:
        """The baseline embeds the same texts `build_runs` times; kept for every backend of this library."""
        out = self.scratch / f"baseline-{library.label}.faiss"
        result: dict[str, list[float]] = {"wall_s": [], "encode_s": [], "index_s": [], "load_s": []}
        for n in range(self.options.build_runs):
            wall, data = run_json(self.python("-m", "benchmarks.baseline", "build", str(texts_file), str(out)),
                                  self.workspace.base_env(), cwd=self.scratch)
            result["wall_s"].append(wall)
            for key in ("encode_s", "index_s", "load_s"):
                result[key].append(data[key])
            self.log(f"{library.label} · baseline build run {n}: {wall:.1f} s ({passages / wall:.1f} passages/s; "
                     f"encoding {data['texts'] / data['encode_s']:.1f} texts/s)")
        self.baseline_index[library.label] = out
        self.baseline_builds[library.label] = result

    # -- cold ask ------------------------------------------------------------------------------------------

    def cold_ask(self, library: Library, backend: str, with_baseline: bool) -> None:
        runs = self.options.cold_runs

        def measure(paths: IndexPaths) -> list[float]:
            return repeat(self.stackpick("ask", COLD_QUESTION), self.env(library, paths, backend), runs,
                          cwd=self.scratch)

        samples = self.guarded(library, backend, measure)
        if with_baseline and library.label in self.baseline_index:
            index_file = str(self.baseline_index[library.label])
            self.baseline_cold[library.label] = repeat(
                self.python("-m", "benchmarks.baseline", "cold", index_file, COLD_QUESTION),
                self.workspace.base_env(), runs, cwd=self.scratch)
        baseline = self.baseline_cold.get(library.label, [])
        self.report.rows.append(Row(
            "cold_ask_s", "cold ask", library.label,
            self.label(library, backend), "s", statistics.median(samples),
            statistics.median(baseline) if baseline else None, samples, baseline,
            note="baseline: import sentence-transformers, load the model, encode, search" if baseline else ""))
        self.log(f"{library.label} · {backend} · cold ask: median {statistics.median(samples):.2f} s"
                 + (f" (baseline {statistics.median(baseline):.2f} s)" if baseline else ""))

    # -- warm answers and memory ---------------------------------------------------------------------------

    def _baseline_index_for(self, library: Library, paths: IndexPaths) -> Path:
        if library.label not in self.baseline_index:
            from index.store import IndexStore

            from .baseline import proxy_index

            store = IndexStore(paths.index_dir)
            out = self.scratch / f"baseline-proxy-{library.label}.faiss"
            proxy_index(store.version_dir(store.read_manifest().version) / "passages.faiss", out)
            self.baseline_index[library.label] = out
            self.note(f"{library.label}: the baseline's warm and cold queries search an IndexFlatIP of the product's "
                      "passage vectors (same count and dimension; the baseline did not embed this library)")
        return self.baseline_index[library.label]

    def warm(self, library: Library, backend: str, with_baseline: bool) -> None:
        repeat_n = self.options.warm_repeat
        command = self.python("-m", "benchmarks.serving", str(self.questions_file), "--repeat", str(repeat_n))
        _, result = run_json(command, self.env(library, self.ensure_index(library, backend), backend),
                             cwd=self.scratch)
        latencies = result["latencies_ms"]
        summary = Summary.of(latencies)
        if with_baseline:
            index_file = self._baseline_index_for(library, self.ensure_index(library, backend))
            _, self.baseline_warm[library.label] = run_json(
                self.python("-m", "benchmarks.baseline", "warm", str(index_file), str(self.questions_file),
                            "--repeat", str(repeat_n)),
                self.workspace.base_env(), cwd=self.scratch)
        base = self.baseline_warm.get(library.label, {})
        base_summary = Summary.of(base.get("latencies_ms", []))
        label = self.label(library, backend)
        answers = f"{summary.n} answers in one process after 2 warm-up questions"
        self.report.rows += [
            Row("warm_p50_ms", "warm p50", library.label, label, "ms",
                summary.median, base_summary.median if base else None, note=answers),
            Row("warm_p95_ms", "warm p95", library.label, label, "ms", summary.p95,
                base_summary.p95 if base else None, latencies, base.get("latencies_ms", []), note=answers),
            Row("serve_peak_rss_mb", "serving peak RSS",
                library.label, label, "MB", result["peak_rss_mb"], base.get("peak_rss_mb"),
                note="torch imported on the query path" if result.get("torch_imported") else "no torch imported",
                extra={"vm_hwm_mb": result.get("vm_hwm_mb"), "torch_imported": result.get("torch_imported"),
                       "sentence_transformers_imported": result.get("sentence_transformers_imported")}),
            Row("serve_ready_s", "serving ready", library.label,
                label, "s", result["load_s"], base.get("load_s"), [result["load_s"]],
                [base["load_s"]] if base else []),
        ]
        self.log(f"{library.label} · {backend} · warm p50 {summary.median:.1f} ms, p95 {summary.p95:.1f} ms, "
                 f"peak RSS {result['peak_rss_mb']:.0f} MB, torch imported: {result.get('torch_imported')}")

    # -- adding one article --------------------------------------------------------------------------------

    def add_one(self, library: Library, backend: str) -> None:
        samples: list[float] = []
        for n in range(self.options.add_runs):
            wall = self._add_once(library, backend, salt=f"{self.stamp}-{backend}-{n}")
            samples.append(wall)
            self.log(f"{library.label} · {backend} · add one article run {n}: {wall:.2f} s")
        self.report.rows.append(Row(
            "add_one_s", "add one article", library.label,
            self.label(library, backend), "s", statistics.median(samples), samples=samples))

    def _add_once(self, library: Library, backend: str, salt: str, profile: Path | None = None) -> float:
        """Time `stackpick index add` of a new article, then put library and index back as they were."""
        from index.store import IndexStore
        from knowledge.corpus import write_article

        paths = self.ensure_index(library, backend)
        store = IndexStore(paths.index_dir)
        # A salt unique to this run makes the article (and its passages) new to the embedding cache.
        article = extra_article(SEEDS, RULES, library.params or _seed_params(library), salt=salt)
        path = write_article(self.scratch / "add", article)
        versions, current = store.versions(), store.current_version()
        assert current is not None
        command = self.stackpick("index", "add", str(path), "--force")
        if profile is not None:
            command = cprofile_command(command, profile)
        try:
            wall, _ = run(command, self.env(library, paths, backend), cwd=self.scratch)
        except CommandFailed:
            restore_after_add(library, paths, article.id, versions, current, self.note)
            raise
        changed_in_place = store.current_version() == current
        restore_after_add(library, paths, article.id, versions, current, self.note)
        if changed_in_place:  # an add that rewrote the served version: rebuild before the next use
            self.note(f"{library.label} · {backend}: `index add` changed the served version in place; rebuilt it")
            self.workspace.forget(paths)
            self.ensure_index(library, backend)
        return wall

    # -- profiles ------------------------------------------------------------------------------------------

    def profile(self) -> None:
        """Where the time goes: cold ask on the seeds (imports and functions), warm answers and adding an article
        on the largest library; .prof files beside the JSON, the top entries in it."""
        out = RESULTS / f"profile-{self.stamp}"
        out.mkdir(parents=True, exist_ok=True)
        backend = self.options.backends[0]
        profiles: dict[str, dict[str, Any]] = {}
        seed = self.workspace.library("seed")
        paths = self.ensure_index(seed, backend)
        env = self.env(seed, paths, backend)
        ask = self.stackpick("ask", COLD_QUESTION)
        prof = out / "cold-ask-seed.prof"
        run(cprofile_command(ask, prof), env, cwd=self.scratch)
        profiles["cold ask · seed"] = {"imports": import_profile(ask, env, cwd=self.scratch), **profile_file(prof)}
        largest = self.workspace.library(max(self.options.sizes, key=lambda s: size_label(s) or 0))
        prof = out / f"warm-{largest.label}.prof"
        run_json(self.python("-m", "benchmarks.serving", str(self.questions_file), "--profile", str(prof)),
                 self.env(largest, self.ensure_index(largest, backend), backend), cwd=self.scratch)
        profiles[f"warm answers · {largest.label}"] = profile_file(prof)
        prof = out / f"add-one-{largest.label}.prof"
        self._add_once(largest, backend, salt=f"{self.stamp}-profile", profile=prof)
        profiles[f"add one article · {largest.label}"] = profile_file(prof)
        self.report.profiles = profiles
        for name, profile in profiles.items():
            for line in summary_lines(name, profile):
                self.log(line)

    def quality(self) -> None:
        backends, warnings = quality_backends()
        for warning in warnings:
            self.note(warning)
        seed = self.workspace.library("seed")
        self.log(f"quality: retrieval benchmark and dev-set eval for {', '.join(backends)}")
        result = quality_bench.measure(self.workspace, seed, backends, self.ensure_index, self.scratch)
        # Name each path by what it built (default → onnx-int8), as the speed table does.
        result["backends"] = {self.label(seed, b): r for b, r in result["backends"].items()}
        result["differences"] = quality_bench.differences(result["backends"])
        self.report.quality = result

    def step(self, name: str, action: Callable[..., None], *args: Any) -> None:
        """One measurement; a failure is reported and the run goes on with the next."""
        try:
            action(*args)
        except (CommandFailed, OSError, ValueError, KeyError, RuntimeError) as error:
            self.note(f"{name} failed: {error}")

    # -- the run -------------------------------------------------------------------------------------------

    def run(self) -> Report:
        options = self.options
        self.report.machine = machine()
        self.report.options = asdict(options)
        if not self.baseline:
            self.note("baseline not measured (--no-baseline, a hash model, or sentence-transformers missing)")
        self.references()
        for size in options.sizes:
            started = time.perf_counter()
            library = self.workspace.library(size)
            self.log(f"{library.label}: {library.articles:,} articles in {library.folder} "
                     f"(ready in {time.perf_counter() - started:.1f} s)")
            for n, backend in enumerate(options.backends):
                with_baseline = self.baseline and n == 0
                count = size_label(size)
                where = f"{library.label} · {backend}"
                if count is None or count <= THROUGHPUT_MAX_ARTICLES:
                    self.step(f"{where} · build throughput", self.build_throughput, library, backend, with_baseline)
                self.step(f"{where} · cold ask", self.cold_ask, library, backend,
                          with_baseline and library.label == "seed")
                self.step(f"{where} · warm answers", self.warm, library, backend, with_baseline)
                self.step(f"{where} · add one article", self.add_one, library, backend)
        if options.quality:
            self.step("quality", self.quality)
        if options.profile:
            self.step("profile", self.profile)
        self.report.machine["load_after"] = os.getloadavg()[0]
        self.report.finished_at = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if self.report.machine["load_before"] > (os.cpu_count() or 1) * 0.5:
            self.note(f"the machine was busy (load average {self.report.machine['load_before']:.1f} at the start): "
                      "timings are noisy; rerun on a quiet machine for the README")
        apply_targets(self.report)
        shutil.rmtree(self.workspace.root / "scratch", ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        return self.report


def _seed_params(library: Library) -> Any:
    from .synthetic import GeneratorParams

    return GeneratorParams(articles=library.articles)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="seed,1k,10k",
                        help="libraries to measure: seed and/or article counts such as 1k, 10k, 200 (default: all)")
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per measurement (default: 5 for cold starts, 3 for builds and adds)")
    parser.add_argument("--quick", action="store_true", help="seed library only, few runs: a smoke check")
    parser.add_argument("--backend", default=DEFAULT,
                        help="comma-separated STACKPICK_EMBEDDING_BACKEND values to compare, e.g. default,torch")
    parser.add_argument("--warm-repeat", type=int, default=None, help="passes over the questions (default 3)")
    parser.add_argument("--model", default="bundled", help="STACKPICK_EMBEDDING_MODEL (hash: harness check only)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the sentence-transformers baseline")
    parser.add_argument("--quality", action="store_true",
                        help="also run the retrieval benchmark and the dev-set eval on the default and torch paths")
    parser.add_argument("--profile", action="store_true",
                        help="also profile cold ask (imports, functions), warm answers and adding an article")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument("--update-readme", action="store_true", help="rewrite the README's speed table")
    parser.add_argument("--render", type=Path, default=None,
                        help="measure nothing: print (and with --update-readme publish) a saved JSON report")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace, console: Console) -> Options:
    sizes = ["seed"] if args.quick else [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        size_label(size)  # fail early on a bad size
    backends, warnings = resolve([b.strip() for b in args.backend.split(",") if b.strip()])
    for warning in warnings:
        console.log(f"[yellow]{escape(warning)}[/yellow]", highlight=False)
    quick = bool(args.quick)
    return Options(
        sizes=sizes,
        backends=backends,
        cold_runs=args.runs or (3 if quick else 5),
        build_runs=args.runs or (1 if quick else 3),
        add_runs=args.runs or (1 if quick else 3),
        warm_repeat=args.warm_repeat or (1 if quick else 3),
        model=args.model,
        baseline=not args.no_baseline,
        quality=bool(args.quality),
        quick=quick,
        profile=bool(args.profile),
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    err = Console(stderr=True)
    if args.render:
        report = Report.from_json(json.loads(args.render.read_text(encoding="utf-8")))
        apply_targets(report)
    else:
        report = SpeedBenchmark(options_from(args, err), err).run()
        paths = [RESULTS / f"speed-{report.started_at}.json", RESULTS / "speed-latest.json"]
        if args.json:
            paths.append(args.json)
        write_json(report, paths)
        err.log(f"wrote {', '.join(str(p) for p in paths)}")
    print_report(report, Console(width=max(120, shutil.get_terminal_size((160, 24)).columns)))
    if args.update_readme:
        if update_readme(README, markdown_table(report)):
            err.log(f"updated the speed table in {README}")
        else:
            err.log(f"[red]{README} has no <!-- speed:start --> / <!-- speed:end --> markers: not updated[/red]")


if __name__ == "__main__":
    main()
