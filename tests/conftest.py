"""Shared fixtures: every test runs against tmp copies of the library, index, cache and feedback paths."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Real redis-server and PostgreSQL on free ports, for any test that asks (see tests/services.py for the API).
from services import postgres_server, postgres_url, redis_factory, redis_server, redis_url  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = REPO_ROOT / "knowledge" / "articles"
RULES_FILE = REPO_ROOT / "knowledge" / "rules.yaml"


@dataclass(frozen=True)
class IsolatedPaths:
    """The tmp folders one test's settings point at."""

    root: Path
    library_dir: Path
    index_dir: Path
    cache_dir: Path
    feedback_db: Path
    rules_file: Path


def isolated_environment(root: Path) -> tuple[IsolatedPaths, dict[str, str]]:
    """Create a tmp library (a copy of the seeds) and the variables that point stackpick at it.

    Also used by tests that start subprocesses, which need the same variables in a plain dict.
    """
    library = root / "library"
    library.mkdir(parents=True)
    for article in sorted(SEED_ARTICLES.glob("*.md")):
        shutil.copy2(article, library / article.name)
    rules = root / "rules.yaml"
    shutil.copy2(RULES_FILE, rules)
    paths = IsolatedPaths(root, library, root / "index", root / "cache", root / "feedback.sqlite3", rules)
    variables = {
        "STACKPICK_LIBRARY_DIR": str(paths.library_dir),
        "STACKPICK_INDEX_DIR": str(paths.index_dir),
        "STACKPICK_CACHE_DIR": str(paths.cache_dir),
        "STACKPICK_FEEDBACK_DB": str(paths.feedback_db),
        "STACKPICK_RULES": str(paths.rules_file),
        "STACKPICK_EMBEDDING_MODEL": "hash",
    }
    return paths, variables


def clean_process_env(variables: dict[str, str]) -> dict[str, str]:
    """os.environ without any SLACK_*, STACKPICK_* or REDIS_URL variable, plus the given ones (for subprocesses)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STACKPICK_", "REDIS_URL"))}
    env.update(variables)
    return env


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IsolatedPaths]:
    """Point every path setting at tmp folders and drop Slack credentials, so no test touches var/ or Slack."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "STACKPICK_", "REDIS_URL")):
            monkeypatch.delenv(name)
    paths, variables = isolated_environment(tmp_path / "stackpick")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    yield paths


@pytest.fixture(scope="session")
def make_environment():  # type: ignore[no-untyped-def]
    """A factory for isolated folders outside the per-test fixture (module-scoped setups, subprocesses).

    Call it with a root folder; it returns (paths, variables, process_env): the IsolatedPaths, the STACKPICK_*
    variables, and a copy of os.environ without Slack or stackpick variables plus those, for subprocess.run(env=).
    """

    def make(root: Path) -> tuple[IsolatedPaths, dict[str, str], dict[str, str]]:
        paths, variables = isolated_environment(root)
        return paths, variables, clean_process_env(variables)

    return make


@pytest.fixture
def library_dir(isolated_paths: IsolatedPaths) -> Path:
    """The tmp library folder: a copy of the five seed articles."""
    return isolated_paths.library_dir


@pytest.fixture
def index_dir(isolated_paths: IsolatedPaths) -> Path:
    """The tmp index folder (empty until something builds)."""
    return isolated_paths.index_dir


@pytest.fixture
def settings(isolated_paths: IsolatedPaths):  # type: ignore[no-untyped-def]
    """bot.settings.Settings read from the isolated environment (no .env file)."""
    from bot.settings import Settings

    config = Settings(_env_file=None)  # type: ignore[call-arg]
    assert config.library_dir == isolated_paths.library_dir
    assert config.index_dir == isolated_paths.index_dir
    return config


@pytest.fixture(scope="session")
def _seed_build(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One Librarian(settings).rebuild() of the seeds with the hashing embedder, made once per session."""
    from bot.services.library import Librarian
    from bot.settings import Settings

    paths, variables = isolated_environment(tmp_path_factory.mktemp("seed-build"))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("SLACK_", "STACKPICK_", "REDIS_URL")):
                patch.delenv(name)
        for name, value in variables.items():
            patch.setenv(name, value)
        config = Settings(_env_file=None)  # type: ignore[call-arg]
        report = Librarian(config).rebuild()
    return paths, config, report


def _same_files(folder: Path, reference: Path, pattern: str) -> bool:
    ours = {p.name: p.read_bytes() for p in folder.glob(pattern)}
    return ours == {p.name: p.read_bytes() for p in reference.glob(pattern)}


@pytest.fixture
def built_index(settings, _seed_build):  # type: ignore[no-untyped-def]
    """The library built into the tmp index with the configured embedder: Librarian(settings).rebuild()'s report.

    When the settings and files are the seeds' defaults, the session's one build (index and embedding cache) is
    copied in instead of rebuilt: the same folders a rebuild would write, in a fraction of the time.
    """
    from bot.services.library import Librarian

    paths, config, report = _seed_build
    reusable = (
        settings.model_dump(include={"embedding_model", "hnsw_threshold", "keep_versions"})
        == config.model_dump(include={"embedding_model", "hnsw_threshold", "keep_versions"})
        and not settings.index_dir.exists()
        and settings.rules_file.read_bytes() == paths.rules_file.read_bytes()
        and _same_files(settings.library_dir, paths.library_dir, "*")
    )
    if not reusable:
        return Librarian(settings).rebuild()
    shutil.copytree(paths.index_dir, settings.index_dir)
    if not settings.cache_dir.exists():
        shutil.copytree(paths.cache_dir, settings.cache_dir)
    return copy.deepcopy(report)


@pytest.fixture(scope="session")
def rules():  # type: ignore[no-untyped-def]
    """The repository's rules.yaml, loaded and validated."""
    from knowledge.rules import load_rules

    return load_rules(RULES_FILE)


@pytest.fixture(scope="session")
def token_counter():  # type: ignore[no-untyped-def]
    """The bundled model's word-piece counter (tokenizers only, no torch)."""
    from index.tokens import counter_for_model

    return counter_for_model()


@pytest.fixture(scope="session")
def encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the bundled model's ONNX exports are kept for the session (exporting takes seconds)."""
    return tmp_path_factory.mktemp("encoders")
