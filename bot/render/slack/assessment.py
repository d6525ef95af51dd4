"""An assessment as a card (the criteria that apply and the decisive ones) and as the full scorecard modal."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement
from slack_sdk.models.views import View

from bot.answer import Assessment, CriterionScore

from .answer import notification_text, out_of_scope_blocks, reason_sections
from .escape import escape_clip
from .ids import ACTION_FULL_SCORECARD, ACTION_SHARE, SCORECARD_MODAL, encode_value
from .primitives import (
    MAX_BLOCKS_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    MAX_VIEW_TEXT,
    SHORT_QUOTE_CHARS,
    SIDE_MARKS,
    block_text_length,
    button,
    context,
    fit_lines,
    header,
    headline,
    humanize,
    plain,
    question_context,
    section,
    side_name,
)
from .sources import Budget, SourceRegistry

FLIP_CHARS = 1000


def assessment_fallback_text(assessment: Assessment) -> str:
    return notification_text(assessment.verdict, assessment.summary, prefix="Assessment: ")


def _side(row: CriterionScore) -> str:
    return f"{SIDE_MARKS[row.favors]} favours *{side_name(row.favors)}*" if row.favors else "no clear side"


def _label(row: CriterionScore) -> str:
    return escape_clip(row.label or humanize(row.id), 120)


def card_rows(assessment: Assessment, min_relevance: float) -> tuple[list[CriterionScore], int]:
    """The criteria that apply to the project and are not already given as a reason (each criterion is named
    once), and how many criteria of the rules are left for the full scorecard."""
    shown = {r.criterion for r in assessment.reasons} | {d.criterion for d in assessment.disagreements}
    rows = [r for r in assessment.criteria if r.relevance >= min_relevance and r.relevance > 0 and r.id not in shown]
    listed = len(shown & {r.id for r in assessment.criteria}) + len(rows)
    return rows, max(0, len(assessment.criteria) - listed)


def assessment_blocks(
    assessment: Assessment,
    shareable: bool,
    *,
    share_value: str | None = None,
    shared_by: str | None = None,
    scorecard_value: str | None = None,
    min_relevance: float = 0.0,
) -> list[Block]:
    """The assessment card: verdict, what would change it, the decisive reasons, the other criteria that apply
    (no internal weights), sources, and buttons for the full scorecard (a modal) and, privately, sharing.

    `min_relevance` is the rules' threshold for a criterion to apply; `scorecard_value` and `share_value` are the
    buttons' values (by default, the project description, from which the assessment is made again).
    """
    if assessment.verdict == "out_of_scope" and not assessment.criteria:
        return out_of_scope_blocks(assessment)[:-1]
    elements: list[ButtonElement] = []
    if assessment.criteria:
        value = scorecard_value if scorecard_value is not None else encode_value({"d": assessment.question}, "d")
        elements.append(button("Full scorecard", ACTION_FULL_SCORECARD, value))
    if shareable:
        value = share_value if share_value is not None else encode_value({"d": assessment.question}, shrink="d")
        elements.append(button("Share in channel", ACTION_SHARE, value, style="primary"))
    tail: list[Block] = [ActionsBlock(elements=elements, block_id="share")] if elements else []

    budget = Budget(SourceRegistry(assessment.citations), MAX_MESSAGE_BLOCKS, MAX_BLOCKS_TEXT,
                    reserve_blocks=len(tail) + 1, reserve_text=block_text_length(tail) + 200)  # + the "more" line
    budget.add_fixed(header("Assessment: " + headline(assessment.verdict)))
    budget.add_fixed(question_context(assessment.question, assessment.confidence, label="Project"))
    if shared_by:
        # A Slack user id from the payload, not user text; shown so the channel knows who shared it.
        budget.add_fixed(context([f"Shared by <@{shared_by}>"]))
    if assessment.summary.strip():
        budget.add_fixed(section(escape_clip(assessment.summary, 1500), block_id="summary"))
    if assessment.flip:
        budget.add_fixed(section(f"*What would change the verdict:* {escape_clip(assessment.flip, FLIP_CHARS)}",
                                 "flip"))
    reason_sections(assessment, budget, quotes=1, quote_chars=SHORT_QUOTE_CHARS, title="*Why*")

    rows, left = card_rows(assessment, min_relevance)
    shown = 0
    for i, row in enumerate(rows):
        def render(sources: SourceRegistry, row: CriterionScore = row, first: bool = i == 0) -> str:
            lines = ["*Also applies*"] if first else []
            lines.append(f"*{_label(row)}* · {_side(row)} {sources.markers(row.citations, 2)}".rstrip())
            lines += sources.quote_lines(row.citations[:1], SHORT_QUOTE_CHARS)
            return fit_lines(lines)

        if not budget.add_row(render, "applies"):
            break
        shown += 1
    left += len(rows) - shown
    if left and assessment.criteria:
        more = (f"{left} more criteria of the scoring rules, with every weight and quote, are in the *Full "
                "scorecard*.")
        budget.add_fixed(context([more], block_id="more"))
    return budget.finish(tail)


def scorecard_row(row: CriterionScore, sources: SourceRegistry, decisive: bool) -> str:
    mark = " · ⭐ decisive" if decisive else ""
    line = (f"*{_label(row)}* · {_side(row)} · weight {row.weight:g} · relevance {row.relevance:.2f} · "
            f"strength {abs(row.score):.2f}{mark} {sources.markers(row.citations)}").rstrip()
    quotes = sources.quote_lines(row.citations[:2], SHORT_QUOTE_CHARS)
    return fit_lines([line, *(quotes or ["> _no evidence in the library_"])])


def scorecard_modal(assessment: Assessment) -> View:
    """The full scorecard: every criterion of the rules with its side, weight, relevance, strength and evidence."""
    budget = Budget(SourceRegistry(assessment.citations), MAX_VIEW_BLOCKS, MAX_VIEW_TEXT, reserve_blocks=1,
                    reserve_text=100)
    words = f"*Assessment: {headline(assessment.verdict)}*"
    budget.add_fixed(section(words, block_id="verdict"))
    budget.add_fixed(question_context(assessment.question, assessment.confidence, label="Project"))
    if assessment.summary.strip():
        budget.add_fixed(section(escape_clip(assessment.summary, 3000), block_id="summary"))
    if assessment.flip:
        budget.add_fixed(section(f"*What would change the verdict:* {escape_clip(assessment.flip, 2500)}", "flip"))
    budget.add_fixed(context(["*weight*: how much the rules count a criterion · *relevance*: how strongly it applies "
                              "to this project (0-1) · *strength*: how one-sided the articles are (0-1) · "
                              "⭐ *decisive*: given as a reason for the verdict"], block_id="legend"))
    decisive = {r.criterion for r in assessment.reasons}
    hidden = 0
    for row in assessment.criteria:
        def render(sources: SourceRegistry, row: CriterionScore = row) -> str:
            return scorecard_row(row, sources, row.id in decisive)

        if hidden or not budget.add_row(render, "criteria"):
            hidden += 1
    if hidden:
        budget.add_fixed(context([f"…and {hidden} more criteria"], block_id="more"))
    return View(type="modal", callback_id=SCORECARD_MODAL, title=plain("Full scorecard", 24),
                close=plain("Close", 24), blocks=budget.finish([]))
