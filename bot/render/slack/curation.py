"""The admin's summary of a finished add or rebuild."""

from __future__ import annotations

from bot.answer import AddReport

from .escape import escape, escape_clip
from .primitives import MAX_FALLBACK_TEXT


def curation_report_text(report: AddReport, action: str) -> str:
    """The admin's summary of a finished add or rebuild."""
    count = len(report.added)
    articles = f"{count} article{'s' if count != 1 else ''}"
    ids = ", ".join(f"`{escape(i)}`" for i in report.added[:10])
    more = f" and {count - 10} more" if count > 10 else ""
    if action == "rebuild":
        head = "✅ Rebuilt the index"
    elif count:
        head = f"✅ Added {articles} ({ids}{more})"
    else:
        head = "✅ Nothing new to add"
    text = (
        f"{head}: {report.passages_added} passage{'s' if report.passages_added != 1 else ''} added. "
        f"Index version `{escape(str(report.version))}` is live "
        f"(took {report.seconds:.1f} s)."
    )
    warnings = [escape_clip(w, 300) for w in report.warnings[:5]]
    if warnings:
        text += "\n⚠️ " + "\n⚠️ ".join(warnings)
    return text[:MAX_FALLBACK_TEXT]
