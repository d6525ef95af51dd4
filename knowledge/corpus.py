"""Article model and the library folder: load, validate, write and compare articles."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,79}$")


class LibraryError(ValueError):
    """A library file that cannot be read; the message names the file and the problem."""


class Article(BaseModel):
    """One article of the library: metadata the source states (None where it does not) and its text."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    url: str | None = None
    text: str = Field(repr=False)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must be 2-80 characters of a-z, 0-9, '-' or '_', starting with a letter or digit")
        return value

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http(s) URL or null")
        return value

    @property
    def date(self) -> dt.date | None:
        """The most recent date the source states (updated, else published)."""
        return self.updated or self.published

    @property
    def display_title(self) -> str:
        """The stated title, or the article's opening words in quotes when the source states none."""
        if self.title:
            return self.title
        words = self.text.split()
        opening = " ".join(words[:8])
        return f"“{opening}…”" if len(words) > 8 else f"“{opening}”"

    def front_matter(self) -> dict[str, object]:
        """Metadata as written in the file's YAML front matter (dates as ISO strings)."""
        data = self.model_dump(exclude={"text"})
        for key in ("published", "updated"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    def to_markdown(self) -> str:
        """The article as a Markdown file: YAML front matter, then the text verbatim."""
        header = yaml.safe_dump(self.front_matter(), sort_keys=False, allow_unicode=True, width=1000)
        return f"---\n{header}---\n{self.text.rstrip()}\n"


def parse_article_file(path: Path) -> Article:
    """Read one library file; raise LibraryError naming the file and what is wrong with it."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"{path}: cannot read ({exc})") from exc
    match = FRONT_MATTER.match(raw)
    if not match:
        raise LibraryError(f"{path}: missing YAML front matter (a '---' block with at least an id)")
    try:
        # libyaml's parser when PyYAML has it: ten times faster, which counts at 10,000 articles.
        meta = yaml.load(match.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise LibraryError(f"{path}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise LibraryError(f"{path}: front matter must be a mapping of fields")
    text = raw[match.end() :].rstrip()
    try:
        return Article(**meta, text=text)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise LibraryError(f"{path}: {problems}") from exc


def load_library(folder: Path) -> list[Article]:
    """All articles of a library folder, sorted by id; duplicate ids are an error."""
    if not folder.is_dir():
        raise LibraryError(f"{folder}: library folder not found (set STACKPICK_LIBRARY_DIR)")
    articles = [parse_article_file(p) for p in sorted(folder.glob("*.md"))]
    seen: dict[str, str] = {}
    for article in articles:
        if article.id in seen:
            raise LibraryError(f"duplicate article id {article.id!r} in the library folder {folder}")
        seen[article.id] = article.id
    return sorted(articles, key=lambda a: a.id)


def article_path(folder: Path, article_id: str) -> Path:
    """Where an article with this id lives in the library folder."""
    return folder / f"{article_id}.md"


def write_article(folder: Path, article: Article) -> Path:
    """Write an article atomically (temp file, fsync, rename) so a crash never leaves half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = article_path(folder, article.id)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(article.to_markdown())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def normalize_text(text: str) -> str:
    """Text reduced for duplicate detection: Unicode-normalized, case-folded, punctuation and spacing folded."""
    # ASCII text is already NFKC-normal and casefolds like lower(): skipping both halves a 10,000-article check.
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def text_fingerprint(text: str) -> str:
    """A hash of the normalized text: equal fingerprints mean exact duplicates."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def shingles_of(normalized: str, size: int = 5) -> set[str]:
    """Word 5-shingles of an already normalized text."""
    words = normalized.split()
    if len(words) < size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 5-shingles: 1.0 for the same text, near 0 for unrelated texts."""
    return jaccard(shingles_of(normalize_text(a)), shingles_of(normalize_text(b)))


def corpus_hash(articles: Iterable[Article]) -> str:
    """A hash over every article's metadata and text: changes whenever the library does."""
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.id):
        digest.update(article.model_dump_json().encode("utf-8"))
    return digest.hexdigest()


def slugify(text: str, limit: int = 48) -> str:
    """A lowercase id fragment from a title: ascii letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "article"
