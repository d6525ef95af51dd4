"""Labeled data: our own articles, every article's labeled clauses, the question bank, and the held-out split."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .corpus import Article, LibraryError, load_library
from .rules import SideId

Part = Literal["tune", "held_out"]
LABELED_DIR = Path(__file__).resolve().parent / "labeled"
LIBRARY_DIR = Path(__file__).resolve().parent / "articles"


class LabelError(ValueError):
    """A labels, questions or clauses file that cannot be used; the message names the file and the entry."""


def held_out(item_id: str, moved: Iterable[str] = ()) -> bool:
    """A third of the items, chosen by a hash of their id; items someone looked at to fix move to tune."""
    return item_id not in set(moved) and int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % 3 == 0


def part_of(item_id: str, moved: Iterable[str] = ()) -> Part:
    return "held_out" if held_out(item_id, moved) else "tune"


def moved_ids(labeled_dir: Path = LABELED_DIR) -> set[str]:
    """Held-out items that were looked at to fix a failure, and so now count as tune (`moved.yaml`)."""
    path = labeled_dir / "moved.yaml"
    if not path.exists():
        return set()
    data = read_yaml(path) or []
    if not isinstance(data, list) or not all(isinstance(e, dict) and "id" in e for e in data):
        raise LabelError(f"{path}: expected a list of entries with id, date and why")
    return {str(e["id"]) for e in data}


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise LabelError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise LabelError(f"{path}: not valid YAML ({exc})") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClauseEntry(_Strict):
    """One labeled clause as written in a labels file."""

    text: str = Field(min_length=1)
    side: SideId
    criteria: list[str] = Field(min_length=1)
    occurrence: int | None = Field(default=None, ge=1)  # which occurrence, when the text occurs more than once


class LabelsFile(_Strict):
    article: str
    style: str = ""
    clauses: list[ClauseEntry]


@dataclass(frozen=True, slots=True)
class LabeledClause:
    """A clause of an article that favours a side, located in the article's text: text[start:end]."""

    article_id: str
    start: int
    end: int
    side: SideId
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class LabeledArticle:
    """An article with every clause in it that favours a side."""

    article: Article
    style: str
    clauses: tuple[LabeledClause, ...]
    origin: Literal["seed", "own"]
    part: Part


def _locate(text: str, needle: str, occurrence: int) -> int:
    position = -1
    for _ in range(occurrence):
        position = text.find(needle, position + 1)
        if position < 0:
            return -1
    return position


def _labels_for(path: Path, article: Article, criteria: set[str]) -> tuple[str, list[LabeledClause]]:
    data = read_yaml(path)
    try:
        parsed = LabelsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LabelError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    if parsed.article != article.id:
        raise LabelError(f"{path}: labels are for {parsed.article!r}, the file is named for {article.id!r}")
    clauses = []
    for n, entry in enumerate(parsed.clauses, start=1):
        start = _locate(article.text, entry.text, entry.occurrence or 1)
        if start < 0:
            raise LabelError(f"{path}: clause {n} is not in the article's text: {entry.text[:60]!r}")
        if entry.occurrence is None and article.text.count(entry.text) > 1:
            raise LabelError(f"{path}: clause {n} occurs more than once; say which with `occurrence`")
        unknown = set(entry.criteria) - criteria
        if unknown:
            raise LabelError(f"{path}: clause {n} names unknown criteria {sorted(unknown)}")
        clauses.append(LabeledClause(article.id, start, start + len(entry.text), entry.side, tuple(entry.criteria)))
    return parsed.style, clauses


def load_labeled_articles(
    criteria: set[str], labeled_dir: Path = LABELED_DIR, library_dir: Path = LIBRARY_DIR
) -> list[LabeledArticle]:
    """Every labeled article (our own and the seeds), clauses located and checked against `criteria` (ids)."""
    try:
        own = {a.id: a for a in load_library(labeled_dir / "articles")} if (labeled_dir / "articles").is_dir() else {}
        seeds = {a.id: a for a in load_library(library_dir)}
    except LibraryError as exc:
        raise LabelError(str(exc)) from exc
    moved = moved_ids(labeled_dir)
    out = []
    for path in sorted((labeled_dir / "labels").glob("*.yaml")):
        article_id = path.stem
        if article_id in own:
            article, origin = own[article_id], "own"
        elif article_id in seeds:
            article, origin = seeds[article_id], "seed"
        else:
            raise LabelError(f"{path}: no article {article_id!r} in {labeled_dir / 'articles'} or {library_dir}")
        style, clauses = _labels_for(path, article, criteria)
        # Seeds are always tuned on: the rules were developed on them.
        part: Part = "tune" if origin == "seed" else part_of(article_id, moved)
        out.append(LabeledArticle(article, style, tuple(clauses), origin, part))  # type: ignore[arg-type]
    return out


def load_second_labels(articles: list[LabeledArticle], criteria: set[str],
                       labeled_dir: Path = LABELED_DIR) -> list[tuple[LabeledArticle, tuple[LabeledClause, ...]]]:
    """A second annotator's labels of some articles (`second_annotator/`), written without seeing the first's: how
    far two careful readers agree is the ceiling any extractor is measured against."""
    by_id = {a.article.id: a for a in articles}
    out = []
    for path in sorted((labeled_dir / "second_annotator").glob("*.yaml")):
        if path.stem not in by_id:
            raise LabelError(f"{path}: no labeled article {path.stem!r}")
        item = by_id[path.stem]
        out.append((item, tuple(_labels_for(path, item.article, criteria)[1])))
    return out


class TrainingClause(_Strict):
    """A clause written for training (`clauses.yaml`): the side it favours, or none."""

    text: str = Field(min_length=1)
    side: Literal["node", "python", "none"]
    criteria: list[str] = []
    subject_hint: SideId | None = None  # the side a clause that names none is about


Entry = TypeVar("Entry", bound=BaseModel)


def checked_entries(path: Path, model: type[Entry], expected: str, criteria: set[str]) -> list[tuple[int, Entry]]:
    """A YAML list file's entries, each validated as `model` and naming only known criteria, numbered from 1;
    the first bad entry is a one-line error naming the file and the entry."""
    data = read_yaml(path) or []
    if not isinstance(data, list):
        raise LabelError(f"{path}: expected {expected}")
    out: list[tuple[int, Entry]] = []
    for n, item in enumerate(data, start=1):
        try:
            entry = model.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise LabelError(f"{path}: entry {n}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
        named = set(getattr(entry, "criteria", None) or []) | set(getattr(entry, "not_criteria", None) or [])
        unknown = named - criteria
        if unknown:
            raise LabelError(f"{path}: entry {n} names unknown criteria {sorted(unknown)}")
        out.append((n, entry))
    return out


def load_training_clauses(paths: Iterable[Path], criteria: set[str]) -> list[TrainingClause]:
    """Training clauses from every file given, checked against the criterion ids."""
    out: list[TrainingClause] = []
    for path in paths:
        for n, entry in checked_entries(path, TrainingClause, "a list of clauses with text, side and criteria",
                                        criteria):
            if (entry.side == "none") != (not entry.criteria):
                raise LabelError(f"{path}: entry {n}: a clause favouring a side needs criteria, one with none has none")
            out.append(entry)
    return out
