"""Terminal rendering with rich: the verdict's title, reasons, disagreements, sources and the scorecard."""

from __future__ import annotations

import io

from rich.console import Console

from bot.answer import Answer, Assessment, Citation, CriterionScore, Disagreement, Reason
from bot.render.terminal.answer import render_answer, render_assessment


def shown(render, model) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    render(model, Console(file=out, width=120, color_system=None))
    return out.getvalue()


ANSWER = Answer(
    question="Node or Python for [bold]chat[/bold]?",
    verdict="both",
    confidence=0.61,
    summary="Both, each where it fits.",
    reasons=[Reason(text="Real-time favours Node.js.", favors="node", criterion="realtime", citations=[1])],
    disagreements=[Disagreement(criterion="scale", text="Articles split on scale.", citations=[1, 2])],
    citations=[Citation(id=1, article="a", title="First [red]title[/red]", date="2024-04-14", quote="Node is fast."),
               Citation(id=2, article="b", title="Second", url="https://example.com/b", quote="Python scales.")],
)


def test_an_answer_shows_title_reasons_disagreements_and_sources_with_markup_inert() -> None:
    text = shown(render_answer, ANSWER)
    assert "Q: Node or Python for [bold]chat[/bold]?" in text  # typed brackets stay text, not rich markup
    assert "Both, each where it fits  (confidence 0.61)" in text
    assert "• Real-time favours Node.js. [1]" in text and "• Articles split on scale. [1][2]" in text
    assert "[1] First [red]title[/red] (2024-04-14)" in text and "“Python scales.”" in text


def test_out_of_scope_has_no_confidence_and_an_assessment_adds_the_scorecard() -> None:
    refused = shown(render_answer, ANSWER.model_copy(update={"verdict": "out_of_scope", "reasons": [],
                                                             "disagreements": [], "citations": []}))
    assert "Out of scope" in refused and "confidence" not in refused
    row = CriterionScore(id="realtime", label="Real-time", weight=1.3, relevance=0.8, favors="node", score=1.0,
                         citations=[1])
    card = shown(render_assessment, Assessment(**ANSWER.model_dump(), criteria=[row], flip="dropping real-time"))
    assert "Scorecard" in card and "Real-time" in card and "+1.00" in card and "Node.js" in card
    assert "What would change the verdict: dropping real-time" in card
