"""Fixtures for the Slack tests: the fake Slack API, a real index (hash embedder), the real app on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_fakes import ADMIN, FETCH_MAX_BYTES, PAGES_HOST, SIGNING_SECRET, FakeSlack, Running, build_index, serve
from web_pages import PageServer

from bot.engine import Advisor
from bot.services.library import Librarian
from bot.settings import Settings


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake._thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture(scope="session")
def index_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One index for the session, shared by every test that does not change the library; the environment is
    restored afterwards, and tests set these variables through their own monkeypatch."""
    with pytest.MonkeyPatch.context() as patch:
        build_index(tmp_path_factory.mktemp("shared"), patch)
        return {k: v for k, v in os.environ.items() if k.startswith("STACKPICK_")}


@pytest.fixture(scope="session")
def shared_advisor(index_env: dict[str, str]) -> Advisor:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in index_env.items():
            patch.setenv(key, value)
        return Advisor.from_settings(Settings())


@pytest.fixture
def env(
    index_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Every path in a tmp dir, dummy credentials, and the fake as SLACK_API_URL (no .env from the checkout)."""
    monkeypatch.chdir(tmp_path)
    values = {
        **index_env,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "STACKPICK_ADMINS": ADMIN,
        "STACKPICK_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
    }
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings()


@pytest.fixture
def bot(settings: Settings, shared_advisor: Advisor, fake_slack: FakeSlack) -> Iterator[Running]:
    """The app around the shared index; curation is on, against that same (read-only here) library."""
    with serve(settings, shared_advisor, fake_slack, Librarian(settings)) as running:
        yield running


@pytest.fixture
def curation_bot(
    env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Running]:
    """An app with its own library and index, for tests that add articles or rebuild."""
    build_index(tmp_path / "own", monkeypatch)
    settings = Settings()
    with serve(settings, Advisor.from_settings(settings), fake_slack, Librarian(settings)) as running:
        yield running



@pytest.fixture
def pages(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[PageServer]:
    """A local web server whose address the fetch setting allows (and a smaller size cap, so it is quick to hit)."""
    with PageServer(PAGES_HOST) as server:
        monkeypatch.setenv("STACKPICK_FETCH_ALLOW", f"{PAGES_HOST}/32")
        monkeypatch.setenv("STACKPICK_FETCH_MAX_BYTES", str(FETCH_MAX_BYTES))
        yield server


@pytest.fixture
def fetching_bot(
    pages: PageServer, fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Running]:
    """`curation_bot` whose settings allow `pages`: admins can add the articles it serves."""
    build_index(tmp_path / "own", monkeypatch)
    settings = Settings()
    assert settings.fetch_allow == [f"{PAGES_HOST}/32"]
    with serve(settings, Advisor.from_settings(settings), fake_slack, Librarian(settings)) as running:
        yield running
