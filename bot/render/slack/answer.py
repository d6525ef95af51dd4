"""The reply to a question: verdict, confidence, reasons with quotes, disagreements, sources and buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, DividerBlock

from bot.answer import Answer

from .escape import clip, escape, escape_clip
from .ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_FULL_ASSESSMENT,
    BLOCK_ANSWER_ACTIONS,
    BLOCK_FEEDBACK_ACK,
    encode_value,
)
from .primitives import (
    EXAMPLE_QUESTIONS,
    MAX_FALLBACK_TEXT,
    MAX_REASONS,
    MAX_SECTION_TEXT,
    QUOTE_CHARS,
    QUOTES_PER_REASON,
    SIDE_MARKS,
    button,
    cited,
    context,
    disagreement_section,
    fit_lines,
    header,
    headline,
    markers,
    question_context,
    quote_lines,
    section,
    source_contexts,
    used_citations,
)


def answer_fallback_text(answer: Answer) -> str:
    """The notification text shown where blocks are not (push notifications, screen readers)."""
    head = headline(answer.verdict)
    return escape_clip(f"{head}: {' '.join(answer.summary.split())}", MAX_FALLBACK_TEXT)


def answer_blocks(answer: Answer) -> list[Block]:
    """The reply to a question: verdict, confidence, reasons with quotes, disagreements, sources, and buttons."""
    if answer.verdict == "out_of_scope":
        return out_of_scope_blocks(answer)
    blocks: list[Block] = [
        header(headline(answer.verdict)),
        question_context(answer.question, answer.confidence),
    ]
    if answer.summary.strip():
        blocks.append(section(escape_clip(answer.summary, MAX_SECTION_TEXT), block_id="summary"))
    reasons = answer.reasons[:MAX_REASONS]  # the advisor lists reasons strongest first; the weakest are dropped
    for index, reason in enumerate(reasons, start=1):
        lines = [
            f"{SIDE_MARKS[reason.favors]} *{index}. {escape_clip(reason.text, 600)}* {markers(reason.citations)}",
            *quote_lines(cited(answer, reason.citations[:QUOTES_PER_REASON]), QUOTE_CHARS),
        ]
        blocks.append(section(fit_lines(lines), block_id=f"reason_{index}"))
    disagreement = disagreement_section(answer)
    if disagreement is not None:
        blocks.append(disagreement)
    blocks.append(DividerBlock())
    blocks.extend(source_contexts(used_citations(answer, reasons)))
    blocks.append(answer_actions(answer))
    return blocks


def answer_actions(answer: Answer, *, assessment: bool = True) -> ActionsBlock:
    """The buttons under an answer; each carries the question so a click needs no server-side state."""
    elements: list[ButtonElement] = []
    if assessment:
        elements.append(button("Full assessment", ACTION_FULL_ASSESSMENT, encode_value({"q": answer.question})))
    reasons = [clip(r.text, 60) for r in answer.reasons[:MAX_REASONS]]
    elements.append(button("👍", ACTION_FEEDBACK_UP, encode_value({"v": answer.verdict, "q": answer.question})))
    elements.append(
        button("👎", ACTION_FEEDBACK_DOWN, encode_value({"v": answer.verdict, "r": reasons, "q": answer.question}))
    )
    return ActionsBlock(elements=elements, block_id=BLOCK_ANSWER_ACTIONS)


def out_of_scope_blocks(answer: Answer) -> list[Block]:
    """A polite "not my area", with what stackpick can answer instead."""
    summary = answer.summary.strip() or "That doesn't look like a Node.js-or-Python question."
    return [
        header(headline("out_of_scope")),
        section(escape_clip(summary, 1500), block_id="summary"),
        context(
            [
                "I compare *Node.js* and *Python* for a project, with quotes from the articles I've read. "
                f"Try: _{escape(EXAMPLE_QUESTIONS[0])}_ or `/stackpick help`."
            ]
        ),
        answer_actions(answer, assessment=False),
    ]


def feedback_ack_block(up: int, down: int) -> ContextBlock:
    """Replaces nothing, adds a line: the click was recorded, and what others thought so far."""
    return context([f"Thanks for the feedback! So far: 👍 {up} · 👎 {down}"], block_id=BLOCK_FEEDBACK_ACK)
