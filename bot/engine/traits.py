"""The /stackpick form's answers, read through the rules' traits: the project's description and its criteria."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.rules import Rules, Trait

from ..answer import FormOption, FormQuestion


class TraitsError(ValueError):
    """An answer the form does not offer (a forged or outdated submission); `trait` names the question."""

    def __init__(self, trait: str, message: str) -> None:
        super().__init__(message)
        self.trait = trait


@dataclass(frozen=True)
class ProjectTraits:
    """What the form answered, keyed as its button value carries it: a ticked box by its option id (True/False),
    a single choice by its trait id (the option id), and the free-text notes."""

    answers: dict[str, bool | str] = field(default_factory=dict)
    notes: str = ""

    @classmethod
    def read(cls, rules: Rules, value: Mapping[str, object]) -> ProjectTraits:
        """Check answers against the rules' traits and fill in what was left empty; unknown keys are ignored."""
        answers: dict[str, bool | str] = {}
        for trait in rules.traits:
            if trait.kind == "checkboxes":
                for option in trait.options:
                    ticked = value.get(option.id, False)
                    if not isinstance(ticked, bool):
                        raise TraitsError(trait.id, f"{option.id} must be true or false, not {ticked!r}")
                    answers[option.id] = ticked
                continue
            chosen = value.get(trait.id, trait.assumed)
            if chosen is None:
                raise TraitsError(trait.id, f"{trait.id} needs an answer")
            if chosen not in {o.id for o in trait.options}:
                raise TraitsError(trait.id, f"{trait.id} has no answer {chosen!r}")
            answers[trait.id] = str(chosen)
        notes = value.get("notes", "")
        return cls(answers, notes if isinstance(notes, str) else str(notes))

    def to_value(self) -> dict[str, object]:
        """The form's answers as a button value carries them (what `read` reads back)."""
        return {**self.answers, "notes": self.notes}

    def chosen(self, rules: Rules) -> list[tuple[Trait, str]]:
        """Every answer given, as (trait, option id), in the order the rules list them."""
        picks: list[tuple[Trait, str]] = []
        for trait in rules.traits:
            if trait.kind == "checkboxes":
                picks += [(trait, o.id) for o in trait.options if self.answers.get(o.id) is True]
            elif isinstance(self.answers.get(trait.id), str):
                picks.append((trait, str(self.answers[trait.id])))
        return picks

    def describe(self, rules: Rules) -> str:
        """The project in words, as the assessment's question: "Project with real-time features, mixed team, …"."""
        parts = [option.describe for trait, chosen in self.chosen(rules)
                 for option in trait.options if option.id == chosen and option.describe]
        text = "Project with " + ", ".join(parts)
        return f"{text}. {self.notes.strip()}" if self.notes.strip() else text


def trait_relevance(rules: Rules, traits: ProjectTraits) -> dict[str, float]:
    """The criteria the answers make apply, at the relevance the rules give them (the highest if two do)."""
    out: dict[str, float] = {}
    for trait, chosen in traits.chosen(rules):
        option = next(o for o in trait.options if o.id == chosen)
        for criterion_id, relevance in option.criteria.items():
            out[criterion_id] = max(relevance, out.get(criterion_id, 0.0))
    return out


def form_questions(rules: Rules) -> list[FormQuestion]:
    """The form's questions for the renderer: labels and answers only, nothing it would have to interpret."""
    return [
        FormQuestion(id=t.id, label=t.label, kind=t.kind, optional=t.optional, initial=t.initial,
                     options=[FormOption(o.id, o.label) for o in t.options])
        for t in rules.traits
    ]


def answers_from_form(questions: list[FormQuestion], picked: Mapping[str, list[str]]) -> dict[str, object]:
    """The form's state (question id -> option ids picked) as the flat answers `ProjectTraits.read` takes."""
    answers: dict[str, object] = {}
    for question in questions:
        chosen = picked.get(question.id, [])
        if question.kind == "checkboxes":
            answers.update({o.id: o.id in chosen for o in question.options})
        elif chosen:
            answers[question.id] = chosen[0]
    return answers
