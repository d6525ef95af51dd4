"""The benchmark's folders under var/bench: libraries, their built indexes per backend, and process environments."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.corpus import corpus_hash, load_library

from .backends import backend_env
from .synthetic import GeneratorParams, ensure_library

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "knowledge" / "articles"
RULES = ROOT / "knowledge" / "rules.yaml"
BENCH = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
MARKER = "bench-index.json"


@dataclass(frozen=True)
class Library:
    """A library the benchmark measures: its label (seed, 1k, 10k), folder, and what generated it."""

    label: str
    folder: Path
    key: str
    params: GeneratorParams | None  # None for the seed library

    @property
    def articles(self) -> int:
        return sum(1 for _ in self.folder.glob("*.md"))


@dataclass(frozen=True)
class IndexPaths:
    """One library built with one model and backend: its index and embedding cache folders."""

    index_dir: Path
    cache_dir: Path


def size_label(size: str) -> int | None:
    """'seed' → None; '1k' → 1000; '250' → 250."""
    size = size.strip().lower()
    if size == "seed":
        return None
    number = float(size[:-1]) * 1000 if size.endswith("k") else float(size)
    if number < 1 or number != int(number):
        raise ValueError(f"library size {size!r} is not 'seed', a number of articles or e.g. '10k'")
    return int(number)


class Workspace:
    """Where libraries and indexes live between runs (var/bench), and the environment every process gets."""

    def __init__(self, root: Path = BENCH, model: str = "bundled", seed: int = 5) -> None:
        self.root = root
        self.model = model
        self.seed = seed
        root.mkdir(parents=True, exist_ok=True)

    # -- environments --------------------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        """os.environ without Slack or stackpick variables, offline, with the benchmark package importable."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STACKPICK_"))}
        env.update({
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            "STACKPICK_RULES": str(RULES),
            "STACKPICK_EMBEDDING_MODEL": self.model,
            "STACKPICK_FEEDBACK_DB": str(self.root / "feedback.sqlite3"),
            "STACKPICK_LOG_LEVEL": "WARNING",
        })
        return env

    def product_env(self, library: Library, paths: IndexPaths, backend: str) -> dict[str, str]:
        return {**self.base_env(), **backend_env(backend), "STACKPICK_LIBRARY_DIR": str(library.folder),
                "STACKPICK_INDEX_DIR": str(paths.index_dir), "STACKPICK_CACHE_DIR": str(paths.cache_dir)}

    def command(self, name: str) -> str:
        """A console script of this virtualenv (stackpick), else the name."""
        path = BIN / name
        return str(path) if path.exists() else name

    # -- libraries -----------------------------------------------------------------------------------------

    def library(self, size: str) -> Library:
        """The seed library (copied, so `index add` never touches knowledge/articles) or a synthetic one."""
        count = size_label(size)
        if count is None:
            seeds = load_library(SEEDS)
            key = f"seed-{corpus_hash(seeds)[:10]}"
            folder = self.root / f"library-{key}"
            if not (folder / ".complete").is_file():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                for path in sorted(SEEDS.glob("*.md")):
                    shutil.copy2(path, folder / path.name)
                (folder / ".complete").write_text("")
            return Library("seed", folder, key, None)
        params = GeneratorParams(articles=count, seed=self.seed)
        folder = ensure_library(self.root, params, SEEDS, RULES)
        return Library(size, folder, folder.name.removeprefix("library-"), params)

    # -- indexes -------------------------------------------------------------------------------------------

    def index_paths(self, library: Library, backend: str) -> IndexPaths:
        base = self.root / "indexes" / library.key / f"{self.model.replace('/', '_')}-{backend}"
        return IndexPaths(base / "index", base / "cache")

    def scratch_paths(self, name: str) -> IndexPaths:
        """Empty index and cache folders for a throughput build (removed by `discard`)."""
        base = self.root / "scratch" / name
        shutil.rmtree(base, ignore_errors=True)
        return IndexPaths(base / "index", base / "cache")

    @staticmethod
    def discard(paths: IndexPaths) -> None:
        shutil.rmtree(paths.index_dir.parent, ignore_errors=True)

    def _expected(self, library: Library, backend: str) -> dict[str, str]:
        return {"library": library.key, "backend": backend, "model": self.model, "code": build_code_hash()}

    def index_ready(self, library: Library, paths: IndexPaths, backend: str) -> bool:
        """True when a previous run built this library's index with this backend and the same build code, and that
        version is still the one served."""
        from index.store import IndexStore, IndexUnavailable

        marker = paths.index_dir / MARKER
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
            manifest = IndexStore(paths.index_dir).read_manifest()
        except (OSError, ValueError, IndexUnavailable):
            return False
        expected = self._expected(library, backend)
        return all(recorded.get(k) == v for k, v in expected.items()) and recorded.get("version") == manifest.version

    def mark_built(self, library: Library, paths: IndexPaths, backend: str) -> None:
        from index.store import IndexStore

        version = IndexStore(paths.index_dir).read_manifest().version
        (paths.index_dir / MARKER).write_text(json.dumps({**self._expected(library, backend), "version": version}))

    def forget(self, paths: IndexPaths) -> None:
        """Make the next ensure rebuild this index (its embedding cache is kept)."""
        (paths.index_dir / MARKER).unlink(missing_ok=True)


def build_code_hash() -> str:
    """A hash of what decides an index's contents (knowledge/ and index/ code, the rules, the shipped models): a
    kept index built by other code or another claim model is rebuilt (from the embedding cache) so every run
    measures the code as it is."""
    digest = hashlib.sha256()
    models = (ROOT / "knowledge" / "models").glob("*.npz")
    for path in sorted([*(ROOT / "knowledge").glob("*.py"), *(ROOT / "index").glob("*.py"), RULES, *models]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def restore_after_add(library: Library, paths: IndexPaths, article_id: str, versions_before: list[str],
                      current_before: str, on_error: Callable[[str], None]) -> None:
    """Undo an `index add`: remove the article file and every new version, and serve the old version again."""
    from index.store import IndexStore

    store = IndexStore(paths.index_dir)
    (library.folder / f"{article_id}.md").unlink(missing_ok=True)
    try:
        store.set_current(current_before)
    except Exception as exc:  # the old version was pruned: the next ensure rebuilds
        on_error(f"could not serve {current_before} again after the add ({exc}); the index will be rebuilt")
        (paths.index_dir / MARKER).unlink(missing_ok=True)
        return
    for version in store.versions():
        if version not in versions_before:
            shutil.rmtree(store.version_dir(version), ignore_errors=True)
