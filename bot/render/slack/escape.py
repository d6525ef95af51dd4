"""Slack text safety: escape what we echo, clip without breaking entities, and read Slack markup as plain text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ELLIPSIS = "…"

# Slack only treats these three characters specially in message text; escaping them is all it takes to make
# `<!channel>`, `<@U123>` and `<http://evil|innocent>` inert (https://docs.slack.dev/messaging/formatting-message-text).
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_UNESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so Slack shows the text as typed and never turns it into a mention or a link."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def unescape(text: str) -> str:
    """Undo Slack's own escaping of incoming message text."""
    return re.sub(r"&(amp|lt|gt);", lambda m: _UNESCAPES[m.group(0)], text)


def clip(text: str, limit: int) -> str:
    """Shorten plain text to at most `limit` characters, at a word boundary when one is near, ending with "…"."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Prefer ending on a whole word, unless that would throw away a large part of the allowance.
    if space >= (limit - 1) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def escape_clip(text: str, limit: int) -> str:
    """Escape, then shorten to at most `limit` characters of escaped text, never cutting an entity in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    if limit == 1:
        return ELLIPSIS
    # Walk the raw text, counting each character at its escaped width, so the cut lands between entities.
    budget = limit - 1
    used = end = 0
    for char in text:
        width = len(_ESCAPES.get(char, char))
        if used + width > budget:
            break
        used += width
        end += 1
    prefix = text[:end]
    space = prefix.rfind(" ")
    if space >= end * 0.8:
        prefix = prefix[:space]
    return escape(prefix.rstrip()) + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """A URL fit for `<url|label>`: http(s) only, and escaped so it cannot close the link or forge another one."""
    if not url:
        return None
    url = url.strip()
    if any(char.isspace() for char in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # `|` separates the label inside Slack's link syntax; percent-encoding keeps the URL intact and the label ours.
    return escape(url.replace("|", "%7C"))


def link(url: str | None, label: str) -> str:
    """A Slack link with an escaped label, or the escaped label alone when the URL is missing or unsafe."""
    target = safe_url(url)
    text = escape(label).replace("|", "¦")
    return f"<{target}|{text}>" if target else text


_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_OTHER_COMMAND = re.compile(r"<!([^>|]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")


def slack_to_plain(text: str, *, drop_user: str | None = None) -> str:
    """Turn Slack message markup into the plain text a person typed; mentions of `drop_user` (the bot) vanish."""

    def user(match: re.Match[str]) -> str:
        if drop_user and match.group(1) == drop_user:
            return ""
        return "@" + (match.group(2) or "someone")

    text = _USER.sub(user, text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: m.group(1) or "@group", text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or "channel"), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _OTHER_COMMAND.sub(lambda m: m.group(2) or "", text)
    return " ".join(unescape(text).split())
