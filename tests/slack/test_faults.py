"""Index faults on a real `stackpick serve --http` process: killed mid-rebuild, and a corrupt newest version."""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability import Replica, print_figures, record_figures, replica_env, reset
from slack_fakes import ADMIN, FakeSlack, SlackSender

from index.store import POINTER, STAGING_PREFIX, IndexStore
from knowledge.corpus import Article, load_library, write_article
from knowledge.sentences import split_sentences

pytestmark = pytest.mark.soak
SYNTHETIC = 30  # enough articles that a rebuild takes a few seconds, so a kill lands in the middle of it
survived: list[str] = []


def unique() -> str:
    # Each SlackSender numbers its events from 1, and a process skips an event id it has seen: ids must not repeat.
    return f"Ev{uuid.uuid4().hex}"


@dataclass
class Single:
    """One replica on its own copy of the library and index."""

    replica: Replica
    fake: FakeSlack
    store: IndexStore
    library: Path
    env: dict[str, str]
    workdir: Path

    def sender(self) -> SlackSender:
        return SlackSender(self.replica.url, self.fake)

    def restart(self) -> None:
        self.replica.kill()
        self.replica.start().wait_ready()

    def served_version(self) -> str:
        """The version the process serves, as App Home shows it."""
        reset(self.fake)
        sender = self.sender()
        try:
            sender.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, event_id=unique())
            [call] = self.fake.wait_for("views.publish")
        finally:
            sender.http.close()
        text = str(call.args["view"])
        match = re.search(r"\d{8}T\d{6}-[0-9a-f]{6}", text)
        assert match, text[:500]
        return match.group(0)

    def answers(self, ts: str) -> None:
        reset(self.fake)
        sender = self.sender()
        try:
            question = "Node or Python for a real-time chat app?"
            assert sender.mention(question, ts=ts, event_id=unique()).status_code == 200
            [reply] = self.fake.wait_for("chat.postMessage")
        finally:
            sender.http.close()
        assert reply.args["thread_ts"] == ts and reply.args["blocks"][0]["type"] == "header"


@pytest.fixture
def single(index_env: dict[str, str], tmp_path: Path) -> Iterator[Single]:
    fake = FakeSlack()
    fake._thread.start()
    library, index = tmp_path / "library", tmp_path / "index"
    shutil.copytree(index_env["STACKPICK_LIBRARY_DIR"], library)
    shutil.copytree(index_env["STACKPICK_INDEX_DIR"], index)
    env = replica_env({**index_env, "STACKPICK_LIBRARY_DIR": str(library), "STACKPICK_INDEX_DIR": str(index)},
                      fake.api_url, tmp_path / "app")
    replica = Replica("app", env, tmp_path / "app")
    try:
        yield Single(replica, fake, IndexStore(index), library, env, tmp_path)
    finally:
        replica.kill()
        fake.server.shutdown()
        fake.server.server_close()


def grow(library: Path, count: int) -> None:
    """Add `count` articles recombined from the library's sentences."""
    pool = [s.text for a in load_library(library) for s in split_sentences(a.text)
            if not s.is_heading and len(s.text.split()) >= 6]
    for n in range(count):
        rng = random.Random(n)
        text = "\n\n".join("\n".join(rng.sample(pool, 6)) for _ in range(8))
        write_article(library, Article(id=f"synthetic-{n:02d}", title=f"Synthetic {n}", text=text))


def staging(store: IndexStore) -> list[Path]:
    return [p for p in store.versions_dir.iterdir() if p.name.startswith(STAGING_PREFIX)]


def wait_for_staging(store: IndexStore, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not staging(store):
        assert time.monotonic() < deadline, "the rebuild never started writing a version"
        time.sleep(0.002)


def build(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "index", "build"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_an_app_killed_during_a_rebuild_restarts_serving_the_previous_version(single: Single) -> None:
    single.replica.start().wait_ready()
    previous = single.served_version()
    assert single.store.current_version() == previous
    grow(single.library, SYNTHETIC)

    # 1. The app rebuilds in-process (an admin's `/stackpick reindex`) and is SIGKILLed while writing the version.
    sender = single.sender()
    assert "Rebuilding" in sender.command("reindex", user=ADMIN).json()["text"]
    sender.http.close()
    wait_for_staging(single.store)
    single.replica.kill()
    assert single.replica.process is not None and single.replica.process.returncode == -signal.SIGKILL
    assert staging(single.store) and single.store.current_version() == previous
    single.replica.start().wait_ready()
    assert single.served_version() == previous
    single.answers("10.000100")

    # 2. `stackpick index build` runs beside the app; the machine dies: both are SIGKILLed mid-write.
    builder = build(single.env, single.workdir)
    try:
        wait_for_staging(single.store)
        single.replica.kill()
        builder.send_signal(signal.SIGKILL)
    finally:
        builder.wait(60)
    assert builder.returncode == -signal.SIGKILL and single.store.current_version() == previous
    single.replica.start().wait_ready()
    assert single.served_version() == previous
    single.answers("11.000100")

    # 3. The next build cleans up what the killed ones left and publishes; the running app switches to it.
    assert subprocess.run([sys.executable, "-m", "bot.cli", "index", "build"], env=single.env, cwd=single.workdir,
                          capture_output=True, timeout=300).returncode == 0
    assert staging(single.store) == []
    new = single.store.current_version()
    assert new and new != previous
    deadline = time.monotonic() + 120  # the reload watcher polls every 5 s; a busy machine only makes it later
    while single.served_version() != new:
        assert time.monotonic() < deadline, "the running app never switched to the new version"
        time.sleep(0.5)
    survived.extend(["SIGKILL during an in-app rebuild", "SIGKILL of app and `index build` together"])


def test_a_corrupt_newest_version_is_skipped_for_the_previous_one_and_logged(single: Single) -> None:
    previous = single.store.current_version()
    assert previous
    write_article(single.library, Article(id="zz-extra", title="Extra", text="Node.js suits real-time chat apps."))
    assert subprocess.run([sys.executable, "-m", "bot.cli", "index", "build"], env=single.env, cwd=single.workdir,
                          capture_output=True, timeout=300).returncode == 0
    newest = single.store.current_version()
    assert newest and newest != previous
    tampered = single.store.version_dir(newest) / "passages.jsonl"
    original = tampered.read_bytes()
    tampered.write_bytes(original.replace(b"Node", b"Nope", 1))  # same size, wrong checksum

    # Starting with the pointer on a tampered version: the previous one is served, and the log says why.
    single.replica.start().wait_ready()
    assert single.served_version() == previous
    single.answers("20.000100")
    log = single.replica.log_text()
    assert f"index version {newest} unusable" in log and f"serving previous version {previous}" in log
    assert "corrupt passages.jsonl" in log
    # While it runs, the reload watcher keeps refusing the tampered version (and says so) instead of switching.
    deadline = time.monotonic() + 120
    while f"new index version {newest} not loaded, still serving {previous}" not in single.replica.log_text():
        assert time.monotonic() < deadline, single.replica.log_text()[-2000:]
        time.sleep(0.2)
    assert single.served_version() == previous

    # A pointer naming no version at all: the newest usable version is served.
    tampered.write_bytes(original)
    (single.store.root / POINTER).write_text("no-such-version\n", encoding="utf-8")
    single.restart()
    assert single.served_version() == newest
    single.answers("21.000100")
    assert "index version no-such-version unusable" in single.replica.log_text()
    survived.extend(["tampered file in the newest version", "CURRENT naming a missing version"])


@pytest.fixture(scope="module", autouse=True)
def _record_faults() -> Iterator[None]:
    yield
    if survived:
        figures = {"survived": len(survived), "faults": "; ".join(survived)}
        record_figures("index_faults", figures)
        print_figures("index_faults", figures)
