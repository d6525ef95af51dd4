"""What admins see of curation: the summary of a finished add, removal, rebuild or rollback, and the library list."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.answer import AddReport, LibrarySummary

from .escape import clip, escape, escape_clip, link
from .primitives import MAX_FALLBACK_TEXT, MAX_MESSAGE_BLOCKS, context, fit_lines, header, section

ARTICLES_PER_SECTION = 10  # keeps each section well under 3000 characters, however long the titles
LIST_CHARS = 10_000


def curation_report_text(report: AddReport, action: str, subject: str = "") -> str:
    """The admin's summary of a finished `add`, `remove` (of `subject`), `rebuild` or `rollback`."""
    version = f"Index version `{escape(str(report.version))}` is live"
    if action == "rollback":
        return f"✅ Rolled back: {version} again (took {report.seconds:.1f} s)."[:MAX_FALLBACK_TEXT]
    count = len(report.added)
    articles = f"{count} article{'s' if count != 1 else ''}"
    ids = ", ".join(f"`{escape(i)}`" for i in report.added[:10])
    more = f" and {count - 10} more" if count > 10 else ""
    if action == "rebuild":
        head = "✅ Rebuilt the index"
    elif action == "remove":
        head = f"✅ Removed `{escape_clip(subject, 100)}`"
    elif count:
        head = f"✅ Added {articles} ({ids}{more})"
    else:
        head = "✅ Nothing new to add"
    passages = "" if action == "remove" else (
        f": {report.passages_added} passage{'s' if report.passages_added != 1 else ''} added"
    )
    text = f"{head}{passages}. {version} (took {report.seconds:.1f} s)."
    warnings = [escape_clip(w, 300) for w in report.warnings[:5]]
    if warnings:
        text += "\n⚠️ " + "\n⚠️ ".join(warnings)
    return text[:MAX_FALLBACK_TEXT]


def library_fallback_text(summary: LibrarySummary) -> str:
    return f"The library: {len(summary.articles)} articles, index version {summary.version}"


def library_blocks(summary: LibrarySummary) -> list[Block]:
    """`/stackpick list`: every article with its id (what `remove` takes), title, date and passages."""
    blocks: list[Block] = [
        header(f"Library: {len(summary.articles)} articles"),
        context(
            [
                f"Index version `{escape_clip(str(summary.version), 80)}` · built {escape_clip(summary.built_at, 80)}",
                f"*{summary.passages}* passages · *{summary.claims}* claims",
            ]
        ),
    ]
    tail = context(
        ["`/stackpick remove <id>` removes an article · `/stackpick rollback` serves the previous index version again"]
    )
    lines = []
    for article in summary.articles:
        title = link(article.url, clip(article.title or article.id, 150))
        date = f" · {escape(str(article.date))}" if article.date else ""
        lines.append(f"• `{escape_clip(article.id, 100)}` {title}{date} · {article.passages} passages")
    # A list someone reads in Slack, not an export: up to LIST_CHARS of text, the rest counted and pointed to.
    shown: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > LIST_CHARS or len(shown) >= ARTICLES_PER_SECTION * (MAX_MESSAGE_BLOCKS - 4):
            break
        shown.append(line)
        used += len(line) + 1
    for start in range(0, len(shown), ARTICLES_PER_SECTION):
        blocks.append(section(fit_lines(shown[start : start + ARTICLES_PER_SECTION])))
    if len(shown) < len(lines):
        blocks.append(section(f"…and {len(lines) - len(shown)} more: `stackpick index list` on the server lists "
                              "them all."))
    if not lines:
        blocks.append(section("_The library is empty._"))
    return [*blocks, tail]
