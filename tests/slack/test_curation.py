"""Curation from Slack, over real HTTP: URLs only and only to allowed addresses, every refusal one clear line with
nothing fetched, read or added; admins list, remove and roll back; everyone else is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from block_limits import limit_problems
from io_watch import IOWatch
from slack_fakes import ADMIN, FETCH_MAX_BYTES, PAGES_HOST, USER, Running, block_text
from web_pages import Page, PageServer, html_page

from knowledge.corpus import load_library

TEXT = (
    "Our chat service holds hundreds of thousands of open WebSocket connections. Node.js handles many concurrent "
    "connections with its event loop, which makes it the better choice for real-time chat. Python remained our "
    "choice for the machine learning pipeline that ranks messages, because its data science libraries are "
    "unmatched. The team already knew JavaScript from the frontend, so sharing one language cut onboarding time. "
    "We measured latency under load before and after the move: the Node.js gateway kept response times flat while "
    "the number of connected clients tripled."
)


@pytest.fixture
def secret() -> Iterator[PageServer]:
    """A service on loopback, as an attacker would aim at: it must never see a request."""
    with PageServer("127.0.0.1") as server:
        server.pages["/secret"] = Page(TEXT.encode(), "text/plain")
        yield server


def library_files(bot: Running) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(bot.settings.library_dir.iterdir())}


def refused_dm(bot: Running, command: str) -> str:
    """Send `/stackpick <command>` as the admin and return the one DM that says why nothing was added."""
    body = bot.slack.command(command, user=ADMIN).json()
    assert "Adding" in body["text"], body
    [dm] = bot.fake.wait_for("chat.postMessage", timeout=60)
    assert dm.args["channel"] == ADMIN
    return str(dm.args["text"])


# ----- refused from Slack before anything is read ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda tmp: str(tmp / "article.md"), "file paths can be added from the command line only"),
        (lambda tmp: f"file://{tmp / 'article.md'}", "only http(s) URLs can be added from Slack"),
        (lambda tmp: "~/article.md", "file paths can be added from the command line only"),
        (lambda tmp: f"ftp://{PAGES_HOST}/article.md", "only http(s) URLs can be added from Slack"),
    ],
)
def test_a_file_path_from_slack_is_refused_without_being_read(
    fetching_bot: Running, pages: PageServer, tmp_path: Path, make: Callable[[Path], str], fragment: str
) -> None:
    bot = fetching_bot
    article = tmp_path / "article.md"
    article.write_text(f"---\nid: from-disk\ntitle: From disk\n---\n{TEXT}\n", encoding="utf-8")
    before = (library_files(bot), bot.advisor.library_summary().version)
    pages.pages["/fine"] = Page(html_page("Fine", TEXT))
    with IOWatch() as watch:
        # In a batch with a good URL: nothing is fetched either, since every source is checked first.
        body = bot.slack.command(f"add {pages.url}/fine {make(tmp_path)}", user=ADMIN).json()
        bot.fake.settle()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("❌ Couldn't add: ") and fragment in body["text"] and "\n" not in body["text"]
    assert watch.opened_under(str(tmp_path)) == []  # the file was never opened
    assert pages.seen == []
    assert bot.fake.ok_calls("chat.postMessage") == []  # no curation was started
    assert (library_files(bot), bot.advisor.library_summary().version) == before


# ----- refused when fetched: nothing reaches the address, nothing is added ----------------------------------------


def test_a_loopback_url_is_refused_without_a_request(curation_bot: Running, secret: PageServer) -> None:
    before = library_files(curation_bot)
    text = refused_dm(curation_bot, f"add {secret.url}/secret")
    assert text == (f"❌ Couldn't add: {secret.url}/secret: 127.0.0.1 is a loopback address; only public addresses "
                    "can be fetched (an intranet host can be allowed with STACKPICK_FETCH_ALLOW)")
    assert secret.seen == [] and library_files(curation_bot) == before


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://10.1.2.3/article", "10.1.2.3 is a private address"),
        ("http://192.168.0.7:8080/wiki/node", "192.168.0.7 is a private address"),
        ("http://wiki.example.test/node", "wiki.example.test resolves to 172.16.4.4, a private address"),
        ("http://169.254.169.254/latest/meta-data/iam/", "a cloud metadata address, which is never fetched"),
    ],
)
def test_a_private_or_metadata_url_is_refused_before_connecting(
    curation_bot: Running, monkeypatch: pytest.MonkeyPatch, url: str, fragment: str
) -> None:
    monkeypatch.setattr("knowledge.fetch.system_resolver", lambda host, port: ["172.16.4.4"])
    before = library_files(curation_bot)
    with IOWatch() as watch:
        text = refused_dm(curation_bot, f"add {url}")
    assert text.startswith(f"❌ Couldn't add: {url}: ") and fragment in text and "\n" not in text
    assert watch.refused == []  # no connection was even attempted
    assert library_files(curation_bot) == before


def test_a_redirect_to_loopback_is_refused_and_not_followed(
    fetching_bot: Running, pages: PageServer, secret: PageServer
) -> None:
    pages.pages["/go"] = Page(b"", None, 302, {"Location": f"{secret.url}/secret"})
    text = refused_dm(fetching_bot, f"add {pages.url}/go")
    assert f"(redirected to {secret.url}/secret): 127.0.0.1 is a loopback address" in text
    assert pages.paths_seen() == ["/go"] and secret.seen == []


def test_a_dns_answer_that_changes_on_a_redirect_is_refused(
    fetching_bot: Running, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([[PAGES_HOST], ["127.0.0.1"]])
    monkeypatch.setattr("knowledge.fetch.system_resolver", lambda host, port: next(answers))
    pages.pages["/moved"] = Page(b"", None, 301, {"Location": "/article"})
    pages.pages["/article"] = Page(html_page("Moved", TEXT))
    text = refused_dm(fetching_bot, f"add http://blog.example.test:{pages.port}/moved")
    assert "blog.example.test resolves to 127.0.0.1, a loopback address" in text
    assert pages.paths_seen() == ["/moved"]


def test_an_oversized_page_is_cut_off(fetching_bot: Running, pages: PageServer) -> None:
    chunk = b"<p>" + b"x" * 65_000 + b"</p>"
    pages.pages["/huge"] = Page(lambda: (chunk for _ in range(1000)))  # 65 MB, sent as long as someone reads
    text = refused_dm(fetching_bot, f"add {pages.url}/huge")
    assert f"larger than the {FETCH_MAX_BYTES:,} bytes allowed" in text
    assert pages.wait_finished("/huge")  # its count is complete only once its handler is done
    assert pages.written.get("/huge", 0) < 1000 * len(chunk) // 4


def test_a_wrong_content_type_is_refused(fetching_bot: Running, pages: PageServer) -> None:
    pages.pages["/slides.pdf"] = Page(b"%PDF-1.7 " + TEXT.encode(), "application/pdf")
    before = library_files(fetching_bot)
    text = refused_dm(fetching_bot, f"add {pages.url}/slides.pdf")
    assert text.endswith("not HTML, plain text or Markdown (application/pdf)")
    assert library_files(fetching_bot) == before


def test_the_form_never_fetches_its_source_url(fetching_bot: Running, pages: PageServer) -> None:
    # The form's URL is only the article's link: the pasted text is what is added.
    pages.pages["/chat"] = Page(html_page("Chat", TEXT))
    values = {
        "title": {"title": {"type": "plain_text_input", "value": "Chat at scale"}},
        "url": {"url": {"type": "url_text_input", "value": f"{pages.url}/chat"}},
        "text_1": {"text": {"type": "plain_text_input", "value": TEXT}},
    }
    assert fetching_bot.slack.submit("add_article_modal", values, user=ADMIN).status_code == 200
    [dm] = fetching_bot.fake.wait_for("chat.postMessage", timeout=60)
    assert dm.args["text"].startswith("✅ Added 1 article")
    assert pages.seen == []


# ----- list, remove, roll back -------------------------------------------------------------------------------------


def test_list_remove_and_rollback_are_for_admins_only(curation_bot: Running) -> None:
    before = curation_bot.advisor.library_summary().version
    for text in ("list", "remove 004-cd1a73b994173223", "rollback"):
        body = curation_bot.slack.command(text, user=USER).json()
        assert body["response_type"] == "ephemeral" and "only stackpick's admins" in body["text"], text
    curation_bot.fake.settle()
    assert curation_bot.fake.ok_calls("chat.postMessage") == []
    assert curation_bot.advisor.library_summary().version == before


def test_admin_lists_removes_and_rolls_back(curation_bot: Running) -> None:
    bot = curation_bot
    first = bot.advisor.library_summary()
    listed = bot.slack.command("list", user=ADMIN).json()
    assert listed["response_type"] == "ephemeral" and limit_problems(listed["blocks"]) == []
    shown = block_text(listed["blocks"])
    assert f"Library: {len(first.articles)} articles" in shown
    assert all(f"`{a.id}`" in shown for a in first.articles)

    gone = first.articles[0].id
    assert "Removing" in bot.slack.command(f"remove {gone}", user=ADMIN).json()["text"]
    [removed] = bot.fake.wait_for("chat.postMessage", timeout=60)
    second = bot.advisor.library_summary()
    assert removed.args["text"].startswith(f"✅ Removed `{gone}`. Index version `{second.version}` is live")
    assert gone not in {a.id for a in second.articles} and gone not in {a.id for a in load_library(
        bot.settings.library_dir)}

    bot.slack.command(f"remove {gone}", user=ADMIN)
    [_, missing] = bot.fake.wait_for("chat.postMessage", count=2, timeout=60)
    assert missing.args["text"].startswith(f"❌ Couldn't remove {gone}: no article with id")

    assert "Rolling back" in bot.slack.command("rollback", user=ADMIN).json()["text"]
    [*_, rolled] = bot.fake.wait_for("chat.postMessage", count=3, timeout=60)
    assert rolled.args["text"].startswith(f"✅ Rolled back: Index version `{first.version}` is live again")
    assert bot.advisor.library_summary().version == first.version  # the running bot switched back

    bot.slack.command("rollback 20990101T000000-abcdef", user=ADMIN)
    [*_, unknown] = bot.fake.wait_for("chat.postMessage", count=4, timeout=60)
    assert unknown.args["text"].startswith("❌ Couldn't roll back: no index version '20990101T000000-abcdef'")
    assert bot.advisor.library_summary().version == first.version


@pytest.mark.parametrize("text", ["remove the Python workers from our Node.js app", "rollback plans for a Node.js API",
                                  "list every Python service we run"])
def test_curation_verbs_followed_by_words_are_an_assessment(curation_bot: Running, text: str) -> None:
    assert "Assessing" in curation_bot.slack.command(text, user=ADMIN).json()["text"]
