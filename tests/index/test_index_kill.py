"""Process safety: SIGKILL a real `stackpick index build` at several moments, or start two at once; search survives."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.embedding import HashingEmbedder
from index.loaded import load_index
from index.search import HybridSearcher
from index.store import STAGING_PREFIX, IndexStore
from index.tokens import counter_for_model
from knowledge.corpus import Article, load_library, write_article
from knowledge.rules import load_rules
from knowledge.sentences import split_sentences

SYNTHETIC = 30


def grow_library(library: Path) -> None:
    """Add SYNTHETIC articles recombined from the seeds' sentences, so a build takes long enough to interrupt."""
    pool = [
        s.text
        for article in load_library(library)
        for s in split_sentences(article.text)
        if not s.is_heading and len(s.text.split()) >= 6
    ]
    for n in range(SYNTHETIC):
        rng = random.Random(n)
        paragraphs = ["\n".join(rng.sample(pool, 6)) for _ in range(8)]
        write_article(library, Article(id=f"synthetic-{n:02d}", title=f"Synthetic {n}", text="\n\n".join(paragraphs)))


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory, make_environment):  # type: ignore[no-untyped-def]
    """A 35-article library with one published version, the environment a subprocess needs to rebuild it, and how
    long that first build took (later ones are a little faster: the embedding cache is warm)."""
    paths, _, env = make_environment(tmp_path_factory.mktemp("kill"))
    grow_library(paths.library_dir)
    started = time.monotonic()
    first = subprocess.run([sys.executable, "-m", "bot.cli", "index", "build", "--full"], env=env, cwd=paths.root,
                           capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    # One more article, so a build that completes is distinguishable from the version it replaces.
    extra = load_library(paths.library_dir)[3]
    write_article(paths.library_dir, extra.model_copy(update={"id": "zz-extra", "text": extra.text + "\n\nExtra."}))
    return paths, env, seconds


def start_build(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # --full: a rebuild that reuses the served version would finish before the kill lands
        [sys.executable, "-m", "bot.cli", "index", "build", "--full"],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def staging_folders(store: IndexStore) -> set[str]:
    if not store.versions_dir.is_dir():
        return set()
    return {p.name for p in store.versions_dir.iterdir() if p.name.startswith(STAGING_PREFIX)}


def assert_serving(store: IndexStore, allowed: set[str]) -> str:
    """The pointer names a complete version (checksums verified) and search works on it."""
    current = store.current_version()
    assert current in allowed, f"CURRENT is {current!r}, expected one of {allowed}"
    index = load_index(store, verify=True)
    assert index.version == current
    assert index.manifest.counts["articles"] == len(index.articles) in (5 + SYNTHETIC, 6 + SYNTHETIC)
    hits = HybridSearcher(index, HashingEmbedder()).search("real-time chat", k=5)
    assert len(hits) == 5
    for hit in hits:
        assert index.articles[hit.article_id].text[hit.start : hit.end] == hit.text
    return current


@pytest.mark.parametrize("moment", ["3%", "25%", "50%", "staging"])
def test_sigkill_mid_build_leaves_the_published_version_serving(big_library, moment: str) -> None:
    """Kill at a share of a full build's duration (starting up, reading and chunking, embedding), or just after
    the build created its staging folder (writing the version)."""
    paths, env, build_seconds = big_library
    store = IndexStore(paths.index_dir)
    before = store.current_version()
    published = set(store.versions())
    old_staging = staging_folders(store)
    process = start_build(env, paths.root)
    try:
        if moment == "staging":
            deadline = time.monotonic() + 60
            while not staging_folders(store) - old_staging and process.poll() is None:
                assert time.monotonic() < deadline, "the build never started writing"
                time.sleep(0.001)
        else:
            time.sleep(build_seconds * float(moment.rstrip("%")) / 100)
        alive = process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert alive, f"the build finished before the kill at {moment}; make the library bigger"
    assert process.returncode == -signal.SIGKILL
    if moment == "staging":
        assert staging_folders(store) - old_staging, "the kill was meant to land while the version was written"
        assert store.current_version() == before
    new_versions = set(store.versions()) - published
    current = assert_serving(store, {before} | new_versions)
    if current != before:
        # the kill landed after the pointer switched: the new version is complete, nothing half-written is served
        assert current in new_versions


def test_a_build_after_kills_cleans_up_and_publishes(big_library) -> None:
    paths, env, _ = big_library
    store = IndexStore(paths.index_dir)
    leftover = store.new_staging_dir("20200101T000000-dead00")  # what a killed build leaves behind
    (leftover / "passages.jsonl").write_text('{"half": ')
    before = store.current_version()
    result = subprocess.run([sys.executable, "-m", "bot.cli", "index", "build"], env=env, cwd=paths.root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert staging_folders(store) == set()
    current = assert_serving(store, set(store.versions()))
    assert current != before
    assert load_index(store).manifest.counts["articles"] == 6 + SYNTHETIC


def test_a_build_started_while_another_is_writing_does_not_break_it(build, store: IndexStore,
                                                                     isolated_paths) -> None:
    """Two builds at once (the Slack bot's curation and `stackpick index build`) must not break each other.

    The first build is paused just after it created its staging folder, while a second `stackpick index build`
    process runs (or waits, or refuses cleanly); then the first one finishes.
    """
    first_version = build().version
    other: dict[str, object] = {}

    def pause_while_another_build_runs(stage: str, done: int, total: int) -> None:
        if stage != "writing" or done != 0 or other:
            return
        assert staging_folders(store), "expected the build to be writing its staging folder"
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "index", "build"], cwd=isolated_paths.root,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)  # a second build that waits for a lock is still waiting: let the first go on
        other["process"] = process

    report = build_index(isolated_paths.library_dir, store, HashingEmbedder(), counter_for_model(),
                         load_rules(isolated_paths.rules_file), progress=pause_while_another_build_runs)
    process = other["process"]
    assert isinstance(process, subprocess.Popen)
    _, stderr = process.communicate(timeout=60)
    assert report.version in store.versions() and report.version != first_version
    assert "Traceback" not in stderr, stderr
    assert process.returncode == 0 or stderr.strip().startswith("Error:"), stderr
    assert_complete(store)


def assert_complete(store: IndexStore) -> None:
    index = load_index(store, verify=True)
    assert index.manifest.counts["articles"] == len(index.articles) == 5
    assert HybridSearcher(index, HashingEmbedder()).search("real-time chat", k=3)
