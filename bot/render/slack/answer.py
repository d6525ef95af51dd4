"""The reply to a question: verdict, confidence, reasons with quotes, disagreements, sources and buttons."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot.answer import VERDICT_WORDS, Answer, Disagreement, Reason

from .escape import clip, escape, escape_clip
from .ids import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_FULL_ASSESSMENT,
    ACTION_SHARE_ANSWER,
    BLOCK_ANSWER_ACTIONS,
    BLOCK_FEEDBACK_ACK,
    encode_value,
)
from .primitives import (
    EXAMPLE_QUESTIONS,
    MAX_BLOCKS_TEXT,
    MAX_DISAGREEMENTS,
    MAX_MESSAGE_BLOCKS,
    MAX_NOTIFICATION_TEXT,
    MAX_REASONS,
    QUOTE_CHARS,
    QUOTES_PER_REASON,
    SHORT_QUOTE_CHARS,
    SIDE_MARKS,
    block_text_length,
    button,
    context,
    fit_lines,
    header,
    headline,
    question_context,
    section,
)
from .sources import Budget, SourceRegistry

SUMMARY_CHARS = 1500
REASON_CHARS = 600
DISAGREEMENT_CHARS = 400


def notification_text(verdict: str, summary: str, prefix: str = "") -> str:
    """The text shown where blocks are not (push notifications, screen readers): the verdict once, then the summary.

    The summary usually starts with the verdict already ("Node.js: the articles favour it..."); then the headline
    is not repeated in front of it.
    """
    summary = " ".join(summary.split())
    words = VERDICT_WORDS.get(verdict)
    names = {w for w in (words.name, words.title) if w} if words else set()
    if any(summary.lower().startswith(name.lower()) for name in names):
        mark = headline(verdict).split(" ", 1)[0] if " " in headline(verdict) else ""
        text = f"{mark} {summary}".strip()
    else:
        text = f"{headline(verdict)}: {summary}" if summary else headline(verdict)
    return escape_clip(prefix + text, MAX_NOTIFICATION_TEXT)


def answer_fallback_text(answer: Answer) -> str:
    return notification_text(answer.verdict, answer.summary)


def disagreement_line(item: Disagreement, sources: SourceRegistry, under_reason: bool = False) -> list[str]:
    """`• On scale, 2 articles favour Node.js and 1 favours Python. [3][4]` and the two opposite quotes; under
    the reason on the same criterion it reads `⚖️ _Sources disagree: …_`."""
    text = escape_clip(item.text, DISAGREEMENT_CHARS)
    head = f"⚖️ _Sources disagree: {text}_" if under_reason else f"• {text}"
    return [f"{head} {sources.markers(item.citations, 2)}",
            *sources.quote_lines(item.citations[:2], SHORT_QUOTE_CHARS)]


def reason_lines(index: int, reason: Reason, sources: SourceRegistry, disagreement: Disagreement | None,
                 quotes: int = QUOTES_PER_REASON, quote_chars: int = QUOTE_CHARS) -> list[str]:
    """One reason with its quotes, and the sources' disagreement on the same criterion right under it, so a
    criterion is named once in a message."""
    lines = [f"{SIDE_MARKS[reason.favors]} *{index}. {escape_clip(reason.text, REASON_CHARS)}* "
             f"{sources.markers(reason.citations)}".rstrip(),
             *sources.quote_lines(reason.citations[:max(quotes, 3)], quote_chars, count=quotes)]
    if disagreement is not None:
        lines += disagreement_line(disagreement, sources, under_reason=True)
    return lines


def reason_sections(answer: Answer, budget: Budget, *, quotes: int = QUOTES_PER_REASON,
                    quote_chars: int = QUOTE_CHARS, title: str = "") -> None:
    """The reasons (each with its own criterion's disagreement), then the disagreements on other criteria."""
    reasons = answer.reasons[:MAX_REASONS]  # the advisor lists reasons strongest first; the weakest are dropped
    by_criterion = {d.criterion: d for d in answer.disagreements}
    for index, reason in enumerate(reasons, start=1):
        disagreement = by_criterion.pop(reason.criterion, None)
        heading = [title] if title and index == 1 else []

        def render(sources: SourceRegistry, reason: Reason = reason, index: int = index,
                   disagreement: Disagreement | None = disagreement, heading: list[str] = heading) -> SectionBlock:
            lines = reason_lines(index, reason, sources, disagreement, quotes, quote_chars)
            return section(fit_lines([*heading, *lines]), block_id=f"reason_{index}")

        if not budget.add(render):
            return
    reasoned = {r.criterion for r in reasons}
    others = [d for d in answer.disagreements if d.criterion not in reasoned][:MAX_DISAGREEMENTS]
    if others:
        budget.add(lambda s: section(fit_lines(["*Sources disagree*", *(line for d in others
                                                                        for line in disagreement_line(d, s))]),
                                     block_id="disagreements"))


def answer_blocks(answer: Answer, *, share_value: str | None = None, shared_by: str | None = None) -> list[Block]:
    """The reply to a question: verdict, confidence, reasons with quotes, disagreements, sources, and buttons.

    `share_value` adds a "Share in channel" button (an answer shown privately); `shared_by` says who shared it.
    """
    if answer.verdict == "out_of_scope":
        return out_of_scope_blocks(answer)
    actions = answer_actions(answer, share_value=share_value)
    budget = Budget(SourceRegistry(answer.citations), MAX_MESSAGE_BLOCKS, MAX_BLOCKS_TEXT, reserve_blocks=1,
                    reserve_text=block_text_length([actions]))
    budget.add_fixed(header(headline(answer.verdict)))
    budget.add_fixed(question_context(answer.question, answer.confidence))
    if shared_by:
        # A Slack user id from the payload, not user text; shown so the channel knows who shared it.
        budget.add_fixed(context([f"Shared by <@{shared_by}>"]))
    if answer.summary.strip():
        budget.add_fixed(section(escape_clip(answer.summary, SUMMARY_CHARS), block_id="summary"))
    reason_sections(answer, budget)
    return budget.finish([actions])


def answer_actions(answer: Answer, *, assessment: bool = True, share_value: str | None = None) -> ActionsBlock:
    """The buttons under an answer; each carries what its click needs, so a click needs no server-side state."""
    elements: list[ButtonElement] = []
    if share_value is not None:
        elements.append(button("Share in channel", ACTION_SHARE_ANSWER, share_value, style="primary"))
    if assessment:
        elements.append(button("Full assessment", ACTION_FULL_ASSESSMENT, encode_value({"q": answer.question})))
    elements.append(button("👍", ACTION_FEEDBACK_UP, feedback_value(answer)))
    elements.append(button("👎", ACTION_FEEDBACK_DOWN, feedback_value(answer)))
    return ActionsBlock(elements=elements, block_id=BLOCK_ANSWER_ACTIONS)


def feedback_value(answer: Answer) -> str:
    """What a vote stores: the verdict, the question, and the criteria behind the answer's reasons (in order),
    which a 👎 also offers as the reasons that may be wrong."""
    criteria = list(dict.fromkeys(r.criterion for r in answer.reasons[:MAX_REASONS]))
    return encode_value({"v": answer.verdict, "c": criteria, "q": answer.question})


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


def criterion_choices(answer_criteria: Sequence[str], labels: dict[str, str]) -> list[tuple[str, str]]:
    """(criterion id, label) for the 👎 form, in the answer's order; unknown ids shown by their id."""
    return [(c, clip(labels.get(c, c), 70)) for c in dict.fromkeys(answer_criteria)]
