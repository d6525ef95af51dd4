"""Block Kit as plain text, roughly as Slack shows it: for the README's pictures of each surface and for reviews."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")


def _mrkdwn(text: str) -> str:
    # <url|label> shows as the label; entities as the characters they stand for.
    return html.unescape(_LINK.sub(lambda m: m.group(2), text))


def _text(obj: Mapping[str, Any] | None) -> str:
    if not obj:
        return ""
    return _mrkdwn(str(obj.get("text", ""))) if obj.get("type") == "mrkdwn" else str(obj.get("text", ""))


def _element(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind == "static_select":
        shown = element.get("initial_option") or {}
        return f"[{_text(shown.get('text')) or _text(element.get('placeholder'))} ▾]"
    if kind in ("checkboxes", "radio_buttons"):
        marks = {"checkboxes": "☐", "radio_buttons": "◯"}
        return "  ".join(f"{marks[str(kind)]} {_text(o.get('text'))}" for o in element.get("options") or [])
    if kind == "conversations_select":
        return "[# pick a channel ▾]"
    if kind in ("plain_text_input", "url_text_input"):
        return "[____________]"
    if kind == "datepicker":
        return "[date ▾]"
    return f"[{kind}]"


def block_lines(block: Mapping[str, Any]) -> list[str]:
    """One block as the lines a person reads."""
    kind = block.get("type")
    if kind == "header":
        return [f"# {_text(block.get('text'))}"]
    if kind == "divider":
        return ["  ───"]
    if kind == "context":
        return ["  " + " · ".join(_text(e) if e.get("type") in ("mrkdwn", "plain_text") else "🖼"
                                   for e in block.get("elements") or [])]
    if kind == "actions":
        return ["  " + "  ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "section":
        lines = _text(block.get("text")).split("\n") if block.get("text") else []
        lines += [_text(f) for f in block.get("fields") or []]
        if block.get("accessory"):
            lines[-1:] = [f"{lines[-1] if lines else ''}  {_element(block['accessory'])}"]
        return lines
    if kind == "input":
        return [f"{_text(block.get('label'))}{' (optional)' if block.get('optional') else ''}",
                "  " + _element(block.get("element") or {})]
    return [f"[{kind}]"]


def blocks_to_text(blocks: Iterable[Block | Mapping[str, Any]]) -> str:
    """Every block, in order, as text; `[..]` are buttons."""
    lines: list[str] = []
    for block in blocks:
        lines += block_lines(block.to_dict() if isinstance(block, Block) else block)
    return "\n".join(lines)


def view_to_text(view: View | Mapping[str, Any]) -> str:
    """A modal or App Home: its title and buttons, then its blocks."""
    data = view.to_dict() if isinstance(view, View) else dict(view)
    head = []
    if data.get("type") == "modal":
        buttons = " ".join(f"[{_text(data[k])}]" for k in ("close", "submit") if data.get(k))
        head = [f"┌ {_text(data.get('title'))} ┐  {buttons}".rstrip()]
    return "\n".join([*head, blocks_to_text(data.get("blocks") or [])])
