"""The full scorecard of an assessment, with a "Share in channel" button when it is shown privately."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock

from bot.answer import Assessment

from .answer import out_of_scope_blocks
from .escape import escape_clip
from .ids import ACTION_SHARE, encode_value
from .primitives import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_REASONS,
    MAX_SECTION_TEXT,
    SHORT_QUOTE_CHARS,
    SIDE_MARKS,
    button,
    cited,
    context,
    disagreement_section,
    fit_lines,
    header,
    headline,
    humanize,
    markers,
    pack_sections,
    question_context,
    quote_lines,
    section,
    side_name,
    source_contexts,
    used_citations,
)


def assessment_fallback_text(assessment: Assessment) -> str:
    head = headline(assessment.verdict)
    return escape_clip(f"Assessment: {head}. {' '.join(assessment.summary.split())}", MAX_FALLBACK_TEXT)


def assessment_blocks(
    assessment: Assessment, shareable: bool, *, share_value: str | None = None, shared_by: str | None = None
) -> list[Block]:
    """The full scorecard: every criterion with its side, weight and evidence, plus a "Share in channel" button."""
    if assessment.verdict == "out_of_scope" and not assessment.criteria:
        return out_of_scope_blocks(assessment)[:-1]
    head: list[Block] = [
        header("Assessment: " + headline(assessment.verdict)),
        question_context(assessment.question, assessment.confidence, label="Project"),
    ]
    if shared_by:
        # A Slack user id from the payload, not user text; shown so the channel knows who shared it.
        head.append(context([f"Shared by <@{shared_by}>"]))
    if assessment.summary.strip():
        head.append(section(escape_clip(assessment.summary, MAX_SECTION_TEXT), block_id="summary"))
    if assessment.flip:
        head.append(section(f"*What would change the verdict:* {escape_clip(assessment.flip, 2000)}", "flip"))
    reasons = assessment.reasons[:MAX_REASONS]
    if reasons:
        lines = ["*Why*"] + [
            f"• {escape_clip(r.text, 500)} ({side_name(r.favors)}) {markers(r.citations)}" for r in reasons
        ]
        head.append(section(fit_lines(lines), block_id="reasons"))
    disagreement = disagreement_section(assessment)
    if disagreement is not None:
        head.append(disagreement)
    head.append(DividerBlock())
    head.append(section("*Scorecard*: every criterion in the scoring rules", block_id="scorecard"))

    evidence_numbers = {n for c in assessment.criteria for n in c.citations[:1]}
    sources = source_contexts(used_citations(assessment, reasons, evidence_numbers))
    tail: list[Block] = [DividerBlock(), *sources]
    if shareable:
        value = share_value if share_value is not None else encode_value({"d": assessment.question}, shrink="d")
        tail.append(
            ActionsBlock(elements=[button("Share in channel", ACTION_SHARE, value, style="primary")], block_id="share")
        )

    rows = []
    # The advisor sorts by relevance: the untriggered criteria come last, shown for completeness under a note.
    first_idle = next((i for i, row in enumerate(assessment.criteria) if row.relevance <= 0), None)
    for i, row in enumerate(assessment.criteria):
        if i == first_idle and i > 0:
            rows.append("_Criteria this project does not trigger, for completeness:_")
        side = f"{SIDE_MARKS[row.favors]} favours *{side_name(row.favors)}*" if row.favors else "no clear side"
        line = (
            f"*{escape_clip(row.label or humanize(row.id), 120)}* · {side} · weight {row.weight:g} · "
            f"relevance {row.relevance:.2f} · strength {abs(row.score):.2f} {markers(row.citations)}"
        )
        quotes = quote_lines(cited(assessment, row.citations[:1]), SHORT_QUOTE_CHARS)
        rows.append(fit_lines([line, *(quotes or ["> _no evidence in the library_"])]))
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    return [*head, *pack_sections(rows, room, more="…and {n} more criteria"), *tail]
