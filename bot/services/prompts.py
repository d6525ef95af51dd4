"""The assistant pane's suggested prompts, drawn from the rules' criterion examples (so a team's rules bring theirs)."""

from __future__ import annotations

from knowledge.rules import Rules

MAX_PROMPTS = 4  # Slack shows at most four suggested prompts
TITLE_CHARS = 60
SIDES = "Node.js or Python"


def suggested_prompts(rules: Rules, count: int = MAX_PROMPTS) -> list[dict[str, str]]:
    """One prompt per kind of work, heaviest criteria first: `{"title": ..., "message": ...}` as Slack takes them.

    Each prompt names both sides, so it is in scope whatever the example says.
    """
    workloads = sorted((c for c in rules.criteria if c.workload and c.examples), key=lambda c: -c.weight)
    criteria = workloads or [c for c in rules.criteria if c.examples and not c.trait]
    prompts: list[dict[str, str]] = []
    for criterion in criteria[: max(0, min(count, MAX_PROMPTS))]:
        example = " ".join(criterion.examples[0].split())
        title = example[:1].upper() + example[1:]
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        prompts.append({"title": title, "message": f"Project: {example}. {SIDES}?"})
    return prompts
