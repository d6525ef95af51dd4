"""A test-side check of what Slack would reject in a message's blocks, on the JSON actually sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.slack.primitives import (
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
)


def limit_problems(blocks: Sequence[Block | dict[str, Any]], max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """What Slack would reject in a message's blocks (empty when none): the documented limits, checked on the
    JSON actually sent, independently of how the blocks were built."""
    dicts = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
    problems = [f"{len(dicts)} blocks > {max_blocks}"] if len(dicts) > max_blocks else []
    for i, block in enumerate(dicts):
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "section" and len(text) > MAX_SECTION_TEXT:
            problems.append(f"block {i}: section text {len(text)} > {MAX_SECTION_TEXT}")
        if kind == "section" and not text and not block.get("fields"):
            problems.append(f"block {i}: empty section")
        if kind == "header" and not 0 < len(text) <= MAX_HEADER_TEXT:
            problems.append(f"block {i}: header text {len(text)} not in 1..{MAX_HEADER_TEXT}")
        if kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= MAX_CONTEXT_ELEMENTS:
                problems.append(f"block {i}: {len(elements)} context elements")
            problems += [f"block {i}: empty context element" for e in elements if not e.get("text")]
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                if len(element.get("value") or "") > MAX_BUTTON_VALUE:
                    problems.append(f"block {i}: button value {len(element['value'])} > {MAX_BUTTON_VALUE}")
                if len(element["text"]["text"]) > MAX_BUTTON_TEXT:
                    problems.append(f"block {i}: button text too long")
    return problems


_NUMBER = re.compile(r"\[(\d+)\]")
_SOURCE = re.compile(r"^\*((?:\[\d+\])+)\*")


def _texts(block: dict[str, Any]) -> list[str]:
    texts = [(block.get("text") or {}).get("text", "")] if isinstance(block.get("text"), dict) else []
    texts += [f.get("text", "") for f in block.get("fields") or []]
    texts += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
    return texts


def unresolved_citations(blocks: Sequence[Block | dict[str, Any]]) -> list[str]:
    """Every citation number shown in a message ([3] in a reason, a quote, a row) that no source of the same
    message lists (the sources line is `*[1][4]* Title · …`); empty when each one resolves."""
    dicts = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
    listed: set[int] = set()
    for block in dicts:
        for text in _texts(block):
            head = _SOURCE.match(text)
            if block.get("type") == "context" and head:
                listed.update(int(n) for n in _NUMBER.findall(head.group(1)))
    problems = []
    for i, block in enumerate(dicts):
        for text in _texts(block):
            body = _SOURCE.sub("", text) if block.get("type") == "context" else text
            problems += [f"block {i}: [{n}] is listed nowhere" for n in _NUMBER.findall(body) if int(n) not in listed]
    return problems
