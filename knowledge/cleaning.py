"""Drop page boilerplate (share crumbs, comment prompts, 'also reading' headers) while keeping article text verbatim."""

from __future__ import annotations

import re
import textwrap

# Whole lines that are page furniture, not article content. Only entire lines are dropped, so no sentence
# of the article is ever changed.
BOILERPLATE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^posted in[\s/|,]*$",
        r"^leave a (comment|reply)( on this post)?\.?$",
        r"^(people are also reading|you may also like|related (posts|articles)|read more|also read)\s*:?$",
        r"^share (this|on)\b.{0,40}$",
        r"^(tags|categories|filed under)\s*:.{0,80}$",
        r"^(home|blog)(\s*[/>»›]\s*[^/>»›]{1,40}){1,4}$",
        r"^(subscribe|sign up) (to|for) (our|the) newsletter.{0,40}$",
    )
]


def is_boilerplate_line(line: str) -> bool:
    """True for a line that is page furniture."""
    stripped = line.strip()
    return bool(stripped) and any(p.match(stripped) for p in BOILERPLATE_LINES)


def clean_text(text: str) -> str:
    """Normalize newlines, drop boilerplate lines, dedent, and collapse runs of blank lines; words are untouched."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n") if not is_boilerplate_line(line)]
    text = textwrap.dedent("\n".join(lines))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
