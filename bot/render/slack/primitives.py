"""Slack's limits, our own budgets, and the small Block Kit pieces every surface is built from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)

from bot.answer import SIDE_LABELS, VERDICT_WORDS

from .escape import clip, escape_clip

# Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75
MAX_OPTION_TEXT = 75
MAX_PRIVATE_METADATA = 3000
MAX_FALLBACK_TEXT = 3000
# Slack's budget for one message's text. Blocks get 9,000 and the notification text at most 2,500, so a message
# stays under 12,000 with room to spare; what does not fit is behind a button (the full scorecard).
MAX_MESSAGE_TEXT = 12_000
MAX_BLOCKS_TEXT = 9_000
MAX_NOTIFICATION_TEXT = 2_500
# A modal is no message, but is kept readable the same way (and well inside Slack's view size).
MAX_VIEW_TEXT = 24_000

# Our own budgets, well inside Slack's: a reply should be read in a minute, not scrolled through.
MAX_REASONS = 4
MAX_DISAGREEMENTS = 3
QUOTES_PER_REASON = 2
QUOTE_CHARS = 400
SHORT_QUOTE_CHARS = 240
CONTEXT_ELEMENT_CHARS = 1000
QUESTION_ECHO_CHARS = 300

APOLOGY = "Sorry, something went wrong while I was working on that. It has been logged; please try again in a minute."

# Which side a reason or criterion favours, at a glance (matches the verdict headers).
SIDE_MARKS: dict[str, str] = {"node": "🟩", "python": "🐍"}

EXAMPLE_QUESTIONS = (
    "Node or Python for a real-time chat app?",
    "Should we build our ML-backed recommendation API in Python or Node.js?",
    "Node.js or Python for a CPU-heavy image processing service?",
    "Our team only knows JavaScript: Node or Python for a REST API?",
)


def headline(verdict: str) -> str:
    """The verdict as a Slack header shows it."""
    words = VERDICT_WORDS.get(verdict)
    return words.headline if words else verdict


def mrkdwn(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not auto-link names or parse mentions in echoed text; our own <url|label> links still work.
    return MarkdownTextObject(text=text, verbatim=True)


def section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text[:MAX_SECTION_TEXT]), block_id=block_id)


def context(texts: Sequence[str], block_id: str | None = None) -> ContextBlock:
    elements = [mrkdwn(t[:MAX_SECTION_TEXT]) for t in texts[:MAX_CONTEXT_ELEMENTS]]
    return ContextBlock(elements=elements, block_id=block_id)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER_TEXT), emoji=True))


def button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, MAX_BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value[:MAX_BUTTON_VALUE],
        style=style,
    )


def plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def option(value: str, label: str) -> Option:
    return Option(value=value, text=plain(label, MAX_OPTION_TEXT))


def confidence_words(confidence: float) -> str:
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"


def side_name(side: str | None) -> str:
    return SIDE_LABELS.get(side or "", "neither side")


def humanize(identifier: str) -> str:
    return identifier.replace("_", " ").replace("-", " ").strip().capitalize() or identifier


def question_context(question: str, confidence: float | None, label: str = "Q") -> ContextBlock:
    items = []
    if confidence is not None:
        items.append(f"Confidence: *{confidence_words(confidence)}* ({confidence:.2f})")
    if question.strip():
        items.append(f"{label}: {escape_clip(' '.join(question.split()), QUESTION_ECHO_CHARS)}")
    return context(items or ["—"])


def block_text_length(blocks: Iterable[Block | dict[str, Any]]) -> int:
    """Characters of text a person can read in these blocks (sections, fields, contexts, headers, buttons):
    what Slack's 12,000-character budget for a message counts."""
    total = 0
    for block in blocks:
        data = block.to_dict() if isinstance(block, Block) else block
        total += len((data.get("text") or {}).get("text", "")) if isinstance(data.get("text"), dict) else 0
        for field in data.get("fields") or []:
            total += len(field.get("text", ""))
        for element in data.get("elements") or []:
            text = element.get("text")
            total += len(text) if isinstance(text, str) else len((text or {}).get("text", ""))
    return total


def fit_lines(lines: Sequence[str], limit: int = MAX_SECTION_TEXT) -> str:
    """Join lines into one section text, dropping whole lines from the end (with a note) to stay within `limit`."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    note = "\n…"
    for line in lines:
        candidate = "\n".join([*kept, line])
        if len(candidate) + len(note) > limit:
            break
        kept.append(line)
    if not kept:
        return lines[0][: limit - 1] + "…" if lines else ""
    return "\n".join(kept) + note


def pack_sections(chunks: Sequence[str], max_blocks: int, more: str = "…and {n} more") -> list[SectionBlock]:
    """One section per chunk when there is room; otherwise chunks share sections, and the rest are counted."""
    if max_blocks <= 0 or not chunks:
        return []
    chunks = [c[:MAX_SECTION_TEXT] for c in chunks]
    if len(chunks) <= max_blocks:
        return [section(c) for c in chunks]
    texts: list[str] = []
    shown = 0
    for chunk in chunks:
        if texts and len(texts[-1]) + 2 + len(chunk) <= MAX_SECTION_TEXT:
            texts[-1] += "\n\n" + chunk
        elif len(texts) < max_blocks:
            texts.append(chunk)
        else:
            break
        shown += 1
    hidden = len(chunks) - shown
    if hidden:
        tail = "\n" + more.format(n=hidden)
        texts[-1] = fit_lines(texts[-1].split("\n"), MAX_SECTION_TEXT - len(tail)) + tail
    return [section(t) for t in texts]
