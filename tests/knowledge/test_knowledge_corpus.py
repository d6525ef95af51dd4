"""The library folder: article files, validation errors naming the file, duplicates, cleaning and similarity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from knowledge.cleaning import clean_text, is_boilerplate_line
from knowledge.corpus import (
    Article,
    LibraryError,
    corpus_hash,
    load_library,
    normalize_text,
    parse_article_file,
    similarity,
    slugify,
    text_fingerprint,
    write_article,
)


def test_the_seed_library_loads_sorted_with_only_stated_metadata(library_dir: Path) -> None:
    articles = load_library(library_dir)
    assert [a.id for a in articles] == sorted(a.id for a in articles) and len(articles) == 5
    dated = {a.id: a for a in articles}["003-ae1fe6b9f58f1b66"]
    assert dated.author == "Vinay Khatri" and dated.updated == dt.date(2024, 4, 14) and dated.date == dated.updated
    assert all(a.url is None for a in articles)  # the seeds state no URL, so none is invented
    for article in articles:
        assert article.text == article.text.strip() and len(article.text.split()) > 300
        for line in article.text.splitlines():
            assert not is_boilerplate_line(line), (article.id, line)


def test_an_article_round_trips_through_its_markdown_file(tmp_path: Path) -> None:
    article = Article(id="round-trip", title="Node.js: yes or no?", author="Ada", published=dt.date(2024, 5, 2),
                      url="https://example.com/a", text="First line.\n\n• A bullet with “quotes”\nLast line.")
    path = write_article(tmp_path, article)
    assert path == tmp_path / "round-trip.md"
    assert parse_article_file(path) == article
    assert not list(tmp_path.glob(".tmp-*")), "the temporary file was left behind"


def test_display_title_falls_back_to_the_opening_words() -> None:
    assert Article(id="aa", title="Stated", text="x").display_title == "Stated"
    words = "one two three four five six seven eight nine ten"
    assert Article(id="aa", text=words).display_title == "“one two three four five six seven eight…”"
    assert Article(id="aa", text="just three words").display_title == "“just three words”"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("No front matter at all.\n", "missing YAML front matter"),
        ("---\nid: [unclosed\n---\nText.\n", "not valid YAML"),
        ("---\n- a\n- list\n---\nText.\n", "must be a mapping"),
        ("---\nid: Bad Id!\n---\nText.\n", "id:"),
        ("---\nid: ok-id\nurl: ftp://example.com\n---\nText.\n", "url:"),
        ("---\nid: ok-id\npublished: someday\n---\nText.\n", "published:"),
        ("---\ntitle: no id\n---\nText.\n", "id:"),
    ],
)
def test_a_bad_library_file_is_named_with_its_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "broken.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        parse_article_file(path)
    assert str(caught.value).startswith(str(path)) and fragment in str(caught.value)


def test_duplicate_ids_and_a_missing_folder_are_errors(library_dir: Path, tmp_path: Path) -> None:
    source = sorted(library_dir.glob("*.md"))[0]
    (library_dir / "copy.md").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LibraryError, match="duplicate article id"):
        load_library(library_dir)
    with pytest.raises(LibraryError, match="STACKPICK_LIBRARY_DIR"):
        load_library(tmp_path / "nowhere")


def test_clean_text_drops_boilerplate_lines_only() -> None:
    raw = (
        "\ufeffPosted in /   /   /  \r\n"
        "Node.js is fast.\r\n"
        "Leave a Comment on this Post\n"
        "People are also reading:\n"
        "\n\n\n\n"
        "Leave a comment below if you disagree with us about Python.\n"
        "Share this article on Twitter\n"
        "    Python is readable.   \n"
    )
    assert clean_text(raw) == (
        "Node.js is fast.\n\nLeave a comment below if you disagree with us about Python.\n    Python is readable."
    )


def test_normalized_text_ignores_case_spacing_and_punctuation() -> None:
    assert normalize_text("  Node.JS —  is\nFAST!! ") == "node js is fast"
    assert text_fingerprint("Python, is readable.") == text_fingerprint("python IS   readable")
    assert text_fingerprint("Python is readable.") != text_fingerprint("Python is not readable.")


def test_similarity_of_shingles(library_dir: Path) -> None:
    a, b = load_library(library_dir)[:2]
    assert similarity(a.text, a.text) == 1.0
    assert similarity(a.text, b.text) < 0.1
    assert 0.6 < similarity(a.text, a.text + " One more closing sentence for the end.") < 1.0


def test_corpus_hash_changes_with_any_article(library_dir: Path) -> None:
    articles = load_library(library_dir)
    assert corpus_hash(articles) == corpus_hash(list(reversed(articles)))
    changed = [*articles[:-1], articles[-1].model_copy(update={"title": "A new title"})]
    assert corpus_hash(changed) != corpus_hash(articles)


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Node.js vs Python: Which Backend?", "node-js-vs-python-which-backend"), ("Café Über", "cafe-uber"),
     ("日本語", "article"), ("x" * 100, "x" * 48)],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
