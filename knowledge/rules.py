"""The shared scoring rules: a pydantic schema for rules.yaml and a loader whose errors name the rule and field."""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SideId = Literal["node", "python"]


class RulesError(ValueError):
    """rules.yaml is unusable; the message names the file, the rule and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compile(patterns: list[str], where: str) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"{where}: invalid regular expression {pattern!r} ({exc})") from exc
    return compiled


def phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any of the phrases as whole words (longest first)."""
    if not phrases:
        return None
    # Apostrophes match both ' and ’ (articles use either), spaces match any run of whitespace.
    parts = sorted(
        {re.escape(p.strip()).replace(r"\ ", r"\s+").replace("'", "['’]") for p in phrases if p.strip()},
        key=len,
        reverse=True,
    )
    return re.compile(r"(?<![\w.])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)


class SideRule(_Strict):
    """One technology side and every name that counts as it."""

    label: str
    names: list[str] = Field(min_length=1)
    case_sensitive_names: list[str] = []  # short names like "JS" or "Node" that are ordinary words in lowercase
    # Of those, the ones that also count in lowercase ("node", "py") in a text that names the side in full: in an
    # article about Node.js, "node" is the runtime, not a graph vertex.
    lowercase_in_context: list[str] = []


class Criterion(_Strict):
    """A decision criterion: how much it weighs and how it is recognised in questions and in articles."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    weight: float = Field(gt=0, le=5)
    description: str
    examples: list[str] = Field(min_length=1)
    keywords: list[str] = []  # phrases that make a question about this criterion
    question_patterns: list[str] = []  # regexes over the question, for traits like "our team knows JavaScript"
    evidence: list[str] = Field(min_length=1)  # phrases that tie an article's statement to this criterion
    evidence_patterns: list[str] = []
    favors_only: SideId | None = None  # a trait criterion whose evidence can only favour one side
    trait: str | None = None  # a project trait this criterion stands for, used by `flip` ("the team knows Python")
    workload: bool = False  # a kind of work that can run in its own service: only these make a `both` verdict
    # Its keywords name the form of a question, and what follows them its subject: "libraries for QR codes" asks
    # about QR codes, which the articles' general word on libraries does not answer.
    subject_follows: bool = False

    @field_validator("question_patterns", "evidence_patterns")
    @classmethod
    def _regexes_compile(cls, value: list[str]) -> list[str]:
        _compile(value, "pattern")
        return value


class Cues(_Strict):
    """Words that mark a statement as favouring or disfavouring the technology it talks about."""

    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)
    better_than: list[str] = Field(min_length=1)  # "X is faster than Y" favours X
    worse_than: list[str] = Field(min_length=1)  # "X is slower than Y" favours Y
    negators: list[str] = Field(min_length=1)  # "not", "cannot": flip the cue that follows
    hedges: list[str] = []  # "may", "might": weaker claims
    clause_splitters: list[str] = Field(min_length=1)
    pronouns: list[str] = Field(min_length=1)  # subjects resolved to the side named just before
    contrast_openers: list[str] = []  # "Unlike X, ..." / "Compared to X, ...": the subject is the other side
    heading_positive: list[str] = []  # "Pros of Node.js": statements below it are positive
    heading_negative: list[str] = []  # "Cons of Python": statements below it are negative
    ignore_prefixes: list[str] = []  # "Also,", "Therefore,": skipped before looking for the subject
    concessive_openers: list[str] = []  # "Though X, Y": only the main clause Y is a claim
    evidence_negators: list[str] = []  # "don't require heavy processing" is not about heavy processing
    both_markers: list[str] = []  # "They can both be used...": a statement about both sides, not one


class Scope(_Strict):
    """What stackpick answers: the two sides, implicitly or by name, and nothing about other technologies alone."""

    other_technologies: list[str]
    # Names that are ordinary words in lowercase ("go with", "spring", "rust"): they count as written or in capitals.
    case_sensitive_others: list[str] = []
    generic_cues: list[str]  # "which one", "easier to learn": a choice question when a criterion also applies
    choice_cues: list[str] = []  # "backend", "tech stack": a technology choice question on their own
    min_relevance: float = Field(ge=0, le=1)
    examples: list[str] = Field(min_length=2)


class Thresholds(_Strict):
    """Numbers that turn scores into a verdict."""

    relevance_floor: float = Field(ge=-1, le=1)  # cosine similarity that counts as 0 relevance
    relevance_ceiling: float = Field(ge=-1, le=1)  # cosine similarity that counts as full relevance
    min_relevance: float = Field(ge=0, le=1)  # a criterion below this does not apply
    decisive_margin: float = Field(gt=0, le=1)  # |margin| above this picks a side
    both_min_share: float = Field(gt=0, le=1)  # weaker side's weight share needed for `both`
    both_min_relevance: float = Field(ge=0, le=1)
    min_articles: int = Field(ge=1)  # fewer independent articles than this gives `depends`
    analysis_chars: int = Field(ge=200)  # how much of a very long question is analysed
    max_reasons: int = Field(ge=2, le=4)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.relevance_ceiling <= self.relevance_floor:
            raise ValueError("relevance_ceiling must be greater than relevance_floor")
        return self


class TraitOption(_Strict):
    """One answer to a question of the /stackpick form, and what choosing it says about the project."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str  # what the form shows
    describe: str | None = None  # how the project's description says it ("real-time features"); None: not said
    criteria: dict[str, float] = {}  # criterion id -> the relevance (0-1] choosing this answer gives it

    @field_validator("criteria")
    @classmethod
    def _relevance_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [cid for cid, relevance in value.items() if not 0 < relevance <= 1]
        if bad:
            raise ValueError(f"relevance must be in (0, 1] for {', '.join(bad)}")
        return value


class Trait(_Strict):
    """One question of the /stackpick form: tick any (checkboxes) or pick one (radio, select)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Literal["checkboxes", "radio", "select"]
    optional: bool = False
    initial: str | None = None  # the answer shown selected when the form opens
    default: str | None = None  # the answer assumed when none is given (defaults to `initial`)
    options: list[TraitOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_answers(self) -> Trait:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"trait {self.id!r} lists an option twice")
        for name in ("initial", "default"):
            chosen = getattr(self, name)
            if chosen is not None and chosen not in ids:
                raise ValueError(f"trait {self.id!r} {name} {chosen!r} is not one of its options")
        if self.kind == "checkboxes" and (self.initial or self.default):
            raise ValueError(f"trait {self.id!r}: checkboxes start unticked, so they take no initial or default")
        return self

    @property
    def assumed(self) -> str | None:
        """The answer a single-choice trait has when the form leaves it empty."""
        return self.default or self.initial


class Rules(_Strict):
    """The whole rules file."""

    version: int
    sides: dict[SideId, SideRule]
    cues: Cues
    criteria: list[Criterion] = Field(min_length=1)
    scope: Scope
    thresholds: Thresholds
    traits: list[Trait] = []  # the /stackpick form's questions; a rules file without them gets a form of notes only
    source_hash: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        if set(self.sides) != {"node", "python"}:
            raise ValueError("sides must define exactly 'node' and 'python'")
        ids = [c.id for c in self.criteria]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"duplicate criterion id(s): {', '.join(sorted(duplicates))}")
        self._check_traits(set(ids))
        return self

    def _check_traits(self, criteria: set[str]) -> None:
        # A form answer carries a checkbox by its option id and a single choice by its trait id, so those keys
        # must be unique together; and each answer's criteria must exist, or renaming one silently breaks the form.
        keys = ["notes"]
        for trait in self.traits:
            keys += [o.id for o in trait.options] if trait.kind == "checkboxes" else [trait.id]
            for option in trait.options:
                unknown = sorted(set(option.criteria) - criteria)
                if unknown:
                    raise ValueError(f"trait {trait.id!r} option {option.id!r} names unknown criterion(s) "
                                     f"{', '.join(unknown)}")
        clashes = sorted({k for k in keys if keys.count(k) > 1})
        if clashes:
            raise ValueError(f"trait answer key(s) used twice: {', '.join(clashes)}")

    def criterion(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)

    @cached_property
    def side_patterns(self) -> dict[SideId, re.Pattern[str]]:
        """Regexes that find each side's names in text."""
        return self.side_patterns_for(frozenset())

    def side_patterns_for(self, lowercase: frozenset[SideId]) -> dict[SideId, re.Pattern[str]]:
        """Side regexes where the sides in `lowercase` also match their context names written in lowercase."""
        cached = self._side_pattern_cache.get(lowercase)
        if cached is None:
            cached = {side: _side_pattern(rule, side in lowercase) for side, rule in self.sides.items()}
            self._side_pattern_cache[lowercase] = cached
        return cached

    @cached_property
    def _side_pattern_cache(self) -> dict[frozenset[SideId], dict[SideId, re.Pattern[str]]]:
        return {}


def _side_pattern(rule: SideRule, lowercase: bool) -> re.Pattern[str]:
    # A name followed by ".js" is another product ("TensorFlow.js" is JavaScript, not Python's TensorFlow).
    end = r"(?![\w]|\.[A-Za-z])"
    insensitive = [n for n in rule.names if n not in rule.case_sensitive_names]
    if lowercase:
        insensitive += rule.lowercase_in_context
    parts = []
    if insensitive:
        names = sorted({re.escape(n).replace(r"\ ", r"\s+") for n in insensitive}, key=len, reverse=True)
        parts.append(r"(?<![\w.])(?:" + "|".join(names) + ")" + end)
    sensitive = [n for n in rule.case_sensitive_names if not (lowercase and n in rule.lowercase_in_context)]
    if sensitive:
        names = sorted((re.escape(n) for n in sensitive), key=len, reverse=True)
        parts.append(r"(?-i:(?<![\w.])(?:" + "|".join(names) + ")" + end + ")")
    return re.compile("|".join(parts), re.IGNORECASE)


def other_technology_pattern(scope: Scope) -> re.Pattern[str] | None:
    """Other technologies' names as whole words; the case-sensitive ones as written or in capitals."""
    sensitive = set(scope.case_sensitive_others)
    insensitive = phrase_pattern([n for n in scope.other_technologies if n not in sensitive])
    parts = [insensitive.pattern] if insensitive else []
    written = sorted({re.escape(v) for n in sensitive for v in (n, n.upper())}, key=len, reverse=True)
    if written:
        parts.append(r"(?-i:(?<![\w.])(?:" + "|".join(written) + r")(?![\w]))")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _describe(exc: ValidationError, data: dict[str, object]) -> str:
    problems = []
    criteria = data.get("criteria") if isinstance(data, dict) else None
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "criteria" and isinstance(loc[1], int) and isinstance(criteria, list):
            item = criteria[loc[1]] if loc[1] < len(criteria) else None
            name = item.get("id") if isinstance(item, dict) else None
            field = ".".join(str(p) for p in loc[2:]) or "(the criterion)"
            where = f"criterion {name!r} field {field}" if name else f"criteria[{loc[1]}] field {field}"
        problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)


def parse_rules(text: str, origin: str = "rules.yaml") -> Rules:
    """Validate rules from YAML text; raise RulesError naming the rule and field at fault."""
    try:
        # libyaml's parser when PyYAML has it: the pure-Python one spends a tenth of a second on this file.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RulesError(f"{origin}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{origin}: must be a mapping with sides, cues, criteria, scope and thresholds")
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{origin}: {_describe(exc, data)}") from exc
    except ValueError as exc:
        raise RulesError(f"{origin}: {exc}") from exc
    return rules.model_copy(update={"source_hash": hashlib.sha256(text.encode("utf-8")).hexdigest()})


def load_rules(path: Path) -> Rules:
    """Read and validate a rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror}); set STACKPICK_RULES") from exc
    return parse_rules(text, str(path))
