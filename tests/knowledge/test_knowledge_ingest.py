"""Adding articles: files, HTML and URLs become library articles; bad input is refused and changes nothing."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_pages import html_page as shared_html_page

from bot.services.library import Librarian
from bot.settings import Settings
from index.embedding import HashingEmbedder
from index.loaded import load_index
from index.search import HybridSearcher
from index.store import IndexStore
from knowledge.corpus import load_library, parse_article_file
from knowledge.fetch import Fetcher
from knowledge.ingest import MIN_WORDS, IngestError, read_source

NEW_TEXT = "\n\n".join(
    [
        "Choosing a runtime for a warehouse robot fleet is a question our platform team argued about for months. "
        "The robots report their position many times per second and the dispatcher must answer quickly.",
        "Node.js handled the websocket fan-out to the operator dashboards with very little code, and the event loop "
        "kept latency low while thousands of robots stayed connected at once.",
        "Python won for the route optimisation service, because the planners already used NumPy and SciPy and the "
        "optimisation models were written by the operations research group in notebooks.",
        "In the end we split the system: a thin Node.js gateway for the live traffic and a Python service for the "
        "heavy planning work, connected through a message queue that both sides understand well.",
    ]
)
assert len(NEW_TEXT.split()) >= MIN_WORDS


def snapshot(library_dir: Path, index_dir: Path) -> tuple[dict[str, bytes], str | None, list[str]]:
    """Everything a refused add must leave alone: the library files, the served version, the versions kept."""
    files = {p.name: p.read_bytes() for p in sorted(library_dir.iterdir())}
    store = IndexStore(index_dir)
    return files, store.current_version(), store.versions()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def allow_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests fetch from a server on this machine: allowed by the setting intranet teams use (loopback is
    refused by default; tests/knowledge/test_knowledge_fetch.py checks that)."""
    monkeypatch.setenv("STACKPICK_FETCH_ALLOW", "127.0.0.1")


def local_fetcher() -> Fetcher:
    return Fetcher(Settings(_env_file=None).fetch_policy())  # type: ignore[call-arg]


@pytest.fixture
def web_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, tuple[str, bytes]]]]:
    """A local HTTP server; tests put (content type, body) under a path in the returned dict."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    pages: dict[str, tuple[str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in pages:
                self.send_error(404)
                return
            kind, body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def html_page(title: str, body: str) -> str:
    """The shared test page (tests/web_pages.py), as text."""
    return shared_html_page(title, body).decode()


def seed_text(library_dir: Path, index: int = 4) -> str:
    return load_library(library_dir)[index].text


# ----- refused input -------------------------------------------------------------------------------------------


def _missing(tmp: Path, library: Path) -> str:
    return str(tmp / "nowhere.md")


def _empty(tmp: Path, library: Path) -> str:
    (tmp / "empty.txt").write_text("")
    return str(tmp / "empty.txt")


def _blank(tmp: Path, library: Path) -> str:
    (tmp / "blank.txt").write_text("  \n\n\t \n")
    return str(tmp / "blank.txt")


def _binary(tmp: Path, library: Path) -> str:
    (tmp / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + NEW_TEXT.encode())
    return str(tmp / "image.txt")


def _short(tmp: Path, library: Path) -> str:
    (tmp / "short.txt").write_text("Node.js or Python? " * 10)
    return str(tmp / "short.txt")


def _html_without_text(tmp: Path, library: Path) -> str:
    (tmp / "empty.html").write_text("<!doctype html><html><head><title>Nothing</title></head><body></body></html>")
    return str(tmp / "empty.html")


def _unreachable(tmp: Path, library: Path) -> str:
    return f"http://127.0.0.1:{free_port()}/x"


def _unsupported_scheme(tmp: Path, library: Path) -> str:
    return "ftp://example.com/article.txt"


def _directory(tmp: Path, library: Path) -> str:
    (tmp / "folder.md").mkdir()
    return str(tmp / "folder.md")


def _too_big(tmp: Path, library: Path) -> str:
    (tmp / "huge.txt").write_text("word " * 1_000_001)
    return str(tmp / "huge.txt")


def _exact_duplicate(tmp: Path, library: Path) -> str:
    # the same words as a seed, shouted and with the whitespace reflowed
    text = seed_text(library).upper().replace("\n", "\n\n   ").replace(". ", ".   \n")
    (tmp / "copy.txt").write_text(text)
    return str(tmp / "copy.txt")


def _near_duplicate(tmp: Path, library: Path) -> str:
    (tmp / "near.txt").write_text(seed_text(library) + "\n\nWe also maintain a small Rust service for billing.")
    return str(tmp / "near.txt")


def _existing_id(tmp: Path, library: Path) -> str:
    source = sorted(library.glob("*.md"))[0]
    (tmp / "again.md").write_text(source.read_text())
    return str(tmp / "again.md")


def _bad_front_matter(tmp: Path, library: Path) -> str:
    (tmp / "bad.md").write_text(f"---\nid: Not A Valid Id!\n---\n{NEW_TEXT}\n")
    return str(tmp / "bad.md")


REFUSED = {
    "missing": (_missing, "no such file"),
    "empty": (_empty, "empty"),
    "blank": (_blank, "empty"),
    "binary": (_binary, "binary"),
    "directory": (_directory, "not a file"),
    "too-big": (_too_big, "too big"),
    "too-short": (_short, f"needs at least {MIN_WORDS}"),
    "html-without-text": (_html_without_text, "no article text"),
    "unreachable-url": (_unreachable, "unreachable"),
    "unsupported-scheme": (_unsupported_scheme, "only http(s)"),
    "exact-duplicate": (_exact_duplicate, "same text is already in the library"),
    "near-duplicate": (_near_duplicate, "--force"),
    "existing-id": (_existing_id, "an article with id"),
    "bad-front-matter": (_bad_front_matter, "must be 2-80 characters"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_input_is_refused_with_one_line_and_changes_nothing(case: str, settings, built_index,
                                                                 tmp_path: Path) -> None:
    make, fragment = REFUSED[case]
    source = make(tmp_path, settings.library_dir)
    before = snapshot(settings.library_dir, settings.index_dir)
    with pytest.raises(IngestError) as caught:
        Librarian(settings).add([source])
    message = str(caught.value)
    assert fragment in message, message
    assert "\n" not in message
    assert snapshot(settings.library_dir, settings.index_dir) == before


def test_one_bad_source_in_a_batch_means_nothing_is_added(settings, built_index, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(NEW_TEXT)
    before = snapshot(settings.library_dir, settings.index_dir)
    with pytest.raises(IngestError, match="no such file"):
        Librarian(settings).add([str(good), str(tmp_path / "missing.txt")])
    assert snapshot(settings.library_dir, settings.index_dir) == before


def test_the_same_new_article_twice_in_one_batch_is_refused(settings, built_index, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(NEW_TEXT)
    (tmp_path / "b.txt").write_text(NEW_TEXT.replace("\n\n", "\n"))
    before = snapshot(settings.library_dir, settings.index_dir)
    with pytest.raises(IngestError):
        Librarian(settings).add([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert snapshot(settings.library_dir, settings.index_dir) == before


def test_nothing_to_add_is_an_error(settings) -> None:
    with pytest.raises(IngestError, match="nothing to add"):
        Librarian(settings).add([])


def test_a_failed_rebuild_removes_the_article_it_wrote(settings, built_index, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "new.txt").write_text(NEW_TEXT)
    before = snapshot(settings.library_dir, settings.index_dir)

    def broken_build(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("bot.services.library.build_index", broken_build)
    with pytest.raises(OSError, match="disk full"):
        Librarian(settings).add([str(tmp_path / "new.txt")])
    assert snapshot(settings.library_dir, settings.index_dir) == before


@pytest.mark.parametrize(
    ("date", "url", "fragment"),
    [("14/04/2024", None, "YYYY-MM-DD"), (None, "example.com/post", "must start with http")],
)
def test_pasted_text_with_a_bad_date_or_url_is_refused(settings, built_index, date: str | None, url: str | None,
                                                        fragment: str) -> None:
    before = snapshot(settings.library_dir, settings.index_dir)
    with pytest.raises(IngestError, match=fragment):
        Librarian(settings).add_text("Robots", url, date, NEW_TEXT)
    assert snapshot(settings.library_dir, settings.index_dir) == before


# ----- accepted input ------------------------------------------------------------------------------------------


def test_a_plain_text_article_is_written_with_front_matter_and_indexed(settings, built_index,
                                                                       tmp_path: Path) -> None:
    source = tmp_path / "robots.txt"
    source.write_text("Posted in / / /\n" + NEW_TEXT + "\n\nLeave a Comment on this Post\n")
    report = Librarian(settings).add([str(source)])
    [article_id] = report.added
    assert report.warnings == []
    path = settings.library_dir / f"{article_id}.md"
    assert path.read_text(encoding="utf-8").startswith(f"---\nid: {article_id}\n")
    article = parse_article_file(path)
    assert article.title is None and article.url is None and article.author is None and article.published is None
    assert article.text == NEW_TEXT
    assert "Leave a Comment" not in path.read_text() and "Posted in" not in path.read_text()
    assert article_id.startswith("choosing-a-runtime-for-a-warehouse-robot-fleet")
    store = IndexStore(settings.index_dir)
    assert store.current_version() == report.version != built_index.version
    assert article_id in load_index(store).articles


def test_an_html_file_gives_its_title_and_main_text(settings, built_index, tmp_path: Path) -> None:
    source = tmp_path / "robots.html"
    source.write_text(html_page("Robots, queues and runtimes", NEW_TEXT))
    [article_id] = Librarian(settings).add([str(source)]).added
    article = parse_article_file(settings.library_dir / f"{article_id}.md")
    assert article.title == "Robots, queues and runtimes"
    assert article_id.startswith("robots-queues-and-runtimes-")
    for paragraph in NEW_TEXT.split("\n\n"):
        assert paragraph in article.text
    assert "Copyright 2024" not in article.text and "Home" not in article.text.split()


def test_markdown_with_front_matter_keeps_its_stated_metadata(settings, built_index, tmp_path: Path) -> None:
    source = tmp_path / "robots.md"
    source.write_text(
        "---\nid: robot-fleet\ntitle: Robot fleet runtimes\nauthor: Ada Example\npublished: 2024-05-02\n"
        f"url: https://example.com/robots\n---\n{NEW_TEXT}\n"
    )
    assert Librarian(settings).add([str(source)]).added == ["robot-fleet"]
    article = parse_article_file(settings.library_dir / "robot-fleet.md")
    assert (article.title, article.author, article.url) == ("Robot fleet runtimes", "Ada Example",
                                                          "https://example.com/robots")
    assert article.published is not None and article.published.isoformat() == "2024-05-02"
    assert article.text == NEW_TEXT


def test_pasted_text_keeps_the_metadata_typed_with_it(settings, built_index) -> None:
    report = Librarian(settings).add_text("  Robots and runtimes ", "https://example.com/robots", "2024-05-02",
                                          NEW_TEXT)
    [article_id] = report.added
    article = parse_article_file(settings.library_dir / f"{article_id}.md")
    assert (article.title, article.url) == ("Robots and runtimes", "https://example.com/robots")
    assert article.published is not None and article.published.isoformat() == "2024-05-02"
    assert article.text == NEW_TEXT


def test_a_windows_1252_text_file_is_decoded(settings, built_index, tmp_path: Path) -> None:
    source = tmp_path / "legacy.txt"
    source.write_bytes((NEW_TEXT + "\n\nThe café’s kiosk runs Node.js.").encode("cp1252"))
    [article_id] = Librarian(settings).add([str(source)]).added
    assert parse_article_file(settings.library_dir / f"{article_id}.md").text.endswith("The café’s kiosk runs Node.js.")


def test_a_near_duplicate_is_accepted_with_force_and_a_warning(settings, built_index, tmp_path: Path) -> None:
    path = _near_duplicate(tmp_path, settings.library_dir)
    report = Librarian(settings).add([path], force=True)
    assert len(report.added) == 1
    assert len(report.warnings) == 1 and "004-cd1a73b994173223" in report.warnings[0]
    assert len(load_library(settings.library_dir)) == 6


def test_a_url_is_fetched_extracted_and_searchable(settings, built_index, web_server) -> None:
    base, pages = web_server
    pages["/blog/robots"] = ("text/html; charset=utf-8", html_page("Robots over HTTP", NEW_TEXT).encode())
    report = Librarian(settings).add([f"{base}/blog/robots"])
    [article_id] = report.added
    article = parse_article_file(settings.library_dir / f"{article_id}.md")
    assert article.url == f"{base}/blog/robots"
    assert article.title == "Robots over HTTP"
    index = load_index(IndexStore(settings.index_dir))
    hits = HybridSearcher(index, HashingEmbedder()).search("warehouse robot fleet dispatcher", k=3)
    assert hits[0].article_id == article_id


def test_a_plain_text_url_is_read_as_text(web_server) -> None:
    base, pages = web_server
    pages["/notes.txt"] = ("text/plain; charset=utf-8", NEW_TEXT.encode())
    draft = read_source(f"{base}/notes.txt", local_fetcher())
    assert draft.text == NEW_TEXT and draft.url == f"{base}/notes.txt"


@pytest.mark.parametrize(
    ("path", "kind", "fragment"),
    [("/missing", "text/html", "HTTP 404"), ("/logo.png", "image/png", "not HTML, plain text or Markdown")],
)
def test_bad_urls_are_refused(web_server, path: str, kind: str, fragment: str) -> None:
    base, pages = web_server
    if path != "/missing":
        pages[path] = (kind, b"\x89PNG\r\n")
    with pytest.raises(IngestError, match=fragment):
        read_source(base + path, local_fetcher())
