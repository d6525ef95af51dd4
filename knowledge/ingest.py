"""Read a new article from a Markdown, text or HTML file or an http(s) URL, refusing bad input with one clear line."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .cleaning import clean_text
from .corpus import (
    FRONT_MATTER,
    Article,
    LibraryError,
    jaccard,
    normalize_text,
    parse_article_file,
    shingles_of,
    slugify,
)

if TYPE_CHECKING:
    from .fetch import Fetcher

MIN_WORDS = 80
NEAR_DUPLICATE = 0.6
MAX_BYTES = 5_000_000


class IngestError(ValueError):
    """Input that cannot become an article; the message is one line meant for the person who gave it."""


@dataclass
class Draft:
    """Text and the metadata the source states, before it gets an id."""

    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    origin: str = ""


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def _decode(data: bytes, origin: str) -> str:
    if _looks_binary(data):
        raise IngestError(f"{origin}: looks like a binary file, not text, Markdown or HTML")
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{origin}: cannot decode the file as text")


def from_html(html: str, origin: str, url: str | None = None) -> Draft:
    """Main text and stated metadata of a web page (trafilatura), or an error if it has none."""
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True, favor_precision=True)
    if not text or not text.strip():
        raise IngestError(f"{origin}: no article text could be extracted from this page")
    meta = trafilatura.extract_metadata(html, default_url=url)
    return Draft(
        text=text,
        title=(meta.title or None) if meta else None,
        author=(meta.author or None) if meta else None,
        publisher=(meta.sitename or None) if meta else None,
        published=_parse_date(meta.date) if meta else None,
        url=url or ((meta.url or None) if meta else None),
        origin=origin,
    )


def from_file(path: Path) -> Draft | Article:
    """A Markdown file with front matter becomes an Article as it is; plain text and HTML become drafts."""
    origin = str(path)
    if not path.exists():
        raise IngestError(f"{origin}: no such file")
    if not path.is_file():
        raise IngestError(f"{origin}: not a file")
    if path.stat().st_size > MAX_BYTES:
        raise IngestError(f"{origin}: larger than {MAX_BYTES // 1_000_000} MB, too big for an article")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{origin}: the file is empty")
    text = _decode(data, origin)
    if path.suffix.lower() in (".html", ".htm") or re.match(r"\s*(<!doctype html|<html)", text, re.IGNORECASE):
        return from_html(text, origin)
    match = FRONT_MATTER.match(text) if path.suffix.lower() in (".md", ".markdown") else None
    if match:
        meta = _front_matter(match.group(1))
        if "id" not in meta:
            # Front matter without an id: keep what it states and let the library give the id, as for plain text.
            return Draft(text=text[match.end() :].strip(), title=_text_field(meta, "title"),
                         author=_text_field(meta, "author"), publisher=_text_field(meta, "publisher"),
                         published=_parse_date(meta.get("published") or meta.get("date")),
                         url=_text_field(meta, "url"), origin=origin)
        try:
            return parse_article_file(path)
        except LibraryError as exc:
            raise IngestError(str(exc)) from exc
    return Draft(text=text, origin=origin)


def _front_matter(block: str) -> dict[str, object]:
    import yaml

    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError:
        return {"id": None}  # let parse_article_file report the YAML error with the file name
    return meta if isinstance(meta, dict) else {"id": None}


def _text_field(meta: dict[str, object], key: str) -> str | None:
    value = meta.get(key)
    return str(value).strip() or None if value is not None else None


def from_url(url: str, fetcher: Fetcher | None = None) -> Draft:
    """Fetch a page under the fetcher's policy (public addresses only by default) and extract it."""
    from .fetch import Fetcher, FetchError  # deferred: httpx is only imported once something is fetched

    try:
        page = (fetcher or Fetcher()).fetch(url)
    except FetchError as exc:
        raise IngestError(str(exc)) from None
    if page.kind == "html" or re.match(r"\s*(<!doctype html|<html)", page.text[:2000], re.IGNORECASE):
        return from_html(page.text, url, url=page.url)
    return Draft(text=page.text, url=page.url, origin=url)


def is_url(source: str) -> bool:
    """Whether `source` names a URL of any scheme (`file://`, `ftp://`...) rather than a file path."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE))


def check_source(source: str, files: bool = True) -> None:
    """Refuse, without reading anything, a source that is neither an http(s) URL nor (when `files`) a path."""
    if is_url(source):
        if not re.match(r"^https?://", source, re.IGNORECASE):
            raise IngestError(f"{source}: only http(s) URLs and local files are supported" if files else
                              f"{source}: only http(s) URLs can be added from Slack")
        return
    if not files:
        raise IngestError(f"{source}: file paths can be added from the command line only (`stackpick index add "
                          "PATH`); from Slack, give an http(s) URL")


def read_source(source: str, fetcher: Fetcher | None = None, files: bool = True) -> Draft | Article:
    """A path (when `files`) or an http(s) URL, read and checked for being readable text."""
    check_source(source, files)
    if is_url(source):
        return from_url(source, fetcher)
    return from_file(Path(source).expanduser())


def to_article(item: Draft | Article, existing_ids: set[str]) -> Article:
    """Clean a draft (boilerplate lines dropped, words untouched) and give it a unique stable id."""
    if isinstance(item, Article):
        article = item.model_copy(update={"text": clean_text(item.text)})
    else:
        text = clean_text(item.text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        base = slugify(item.title or " ".join(text.split()[:8]))
        article = Article(id=f"{base}-{digest}", title=item.title, author=item.author, publisher=item.publisher,
                          published=item.published, url=item.url, text=text)
    words = len(article.text.split())
    if words < MIN_WORDS:
        raise IngestError(f"{item.origin if isinstance(item, Draft) else article.id}: only {words} words; an article "
                          f"needs at least {MIN_WORDS}")
    if article.id in existing_ids:
        raise IngestError(f"an article with id {article.id!r} is already in the library")
    return article


def check_duplicates(article: Article, library: list[Article], force: bool) -> str | None:
    """Refuse an exact duplicate; a near-duplicate is refused unless forced (returns a warning when forced)."""
    normalized = normalize_text(article.text)
    fingerprint = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    mine = shingles_of(normalized)
    ordered = sorted(mine)
    probes = [ordered[i * len(ordered) // 8] for i in range(8)] if len(ordered) >= 8 else []
    near: tuple[float, str] | None = None
    for other in library:
        theirs_text = normalize_text(other.text)
        if theirs_text == normalized or hashlib.sha256(theirs_text.encode("utf-8")).hexdigest() == fingerprint:
            raise IngestError(f"{article.id}: the same text is already in the library as {other.id!r}")
        if near is not None:
            continue
        # Jaccard similarity can't reach the threshold when one set is much smaller than the other: word counts
        # rule most articles out before their shingles are built.
        words = theirs_text.count(" ") + 1
        if min(words, len(mine)) < NEAR_DUPLICATE * max(words, len(mine)) - 5:
            continue
        # A near-duplicate holds most of our shingles, so most of a handful spread over our text appear in its
        # text verbatim; an unrelated article holds almost none (a substring test is far cheaper than shingling).
        if probes and sum(sample in theirs_text for sample in probes) < 3:
            continue
        score = jaccard(mine, shingles_of(theirs_text))
        if score >= NEAR_DUPLICATE:
            near = (score, other.id)
    if near is None:
        return None
    message = f"{article.id}: {near[0]:.0%} of its text matches {near[1]!r}"
    if not force:
        raise IngestError(message + "; add --force to add it anyway")
    return message
