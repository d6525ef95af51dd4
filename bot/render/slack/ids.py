"""The ids and button values the listeners depend on: action, block and modal ids, and the value codec."""

from __future__ import annotations

import json
from typing import Any

from .escape import escape, unescape
from .primitives import MAX_BUTTON_VALUE

# Ids shared with the listeners that handle them.
ACTION_FULL_ASSESSMENT = "full_assessment"
ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_assessment"
ACTION_OPEN_ADD_ARTICLE = "open_add_article"
ACTION_SHARE_ANSWER = "share_answer"  # a private answer, posted in the channel's thread for everyone
ACTION_FULL_SCORECARD = "full_scorecard"  # opens the scorecard modal
ACTION_CHANNEL_MODE = "channel_mode"  # an admin picks how stackpick answers in a channel
ACTION_OPEN_CHANNEL_SETTINGS = "open_channel_settings"
BLOCK_ANSWER_ACTIONS = "answer_actions"
BLOCK_FEEDBACK_ACK = "feedback_ack"
TRAITS_MODAL = "traits_modal"
ADD_ARTICLE_MODAL = "add_article_modal"
FEEDBACK_MODAL = "feedback_reason_modal"
SCORECARD_MODAL = "scorecard_modal"
CHANNEL_SETTINGS_MODAL = "channel_settings_modal"
TEXT_PARTS = 3  # the add-article form splits the text over inputs: Slack caps one input at 3000 characters


def encode_value(payload: dict[str, Any], shrink: str = "q", limit: int = MAX_BUTTON_VALUE) -> str:
    """JSON for a button value or private_metadata, shortening `payload[shrink]` until it fits `limit`. Escaped
    like message text, so not even a value Slack never displays carries a raw `<!channel>`."""
    data = dict(payload)

    def encoded() -> str:
        return escape(json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    value = encoded()
    text = str(data.get(shrink, ""))
    while len(value) > limit and text:
        # Escaping makes the encoded text longer than the raw one, so shrink by the actual excess.
        text = text[: max(0, len(text) - (len(value) - limit) // 2 - 1)]
        data[shrink] = text
        value = encoded()
    if len(value) > limit:
        raise ValueError(f"button value cannot fit in {limit} characters even without {shrink!r}")
    return value


def decode_value(value: str | None) -> dict[str, Any]:
    """Read back what `encode_value` wrote; anything unreadable becomes an empty dict."""
    try:
        data = json.loads(unescape(value or "{}"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
