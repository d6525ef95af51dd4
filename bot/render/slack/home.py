"""What stackpick offers: the help message and the App Home tab with the library it answers from."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock
from slack_sdk.models.views import View

from bot.answer import ChannelSetting, LibrarySummary

from .channels import home_channel_section
from .escape import clip, escape, escape_clip, link
from .ids import ACTION_OPEN_ADD_ARTICLE
from .primitives import EXAMPLE_QUESTIONS, MAX_VIEW_BLOCKS, button, context, fit_lines, header, pack_sections, section


def help_blocks() -> list[Block]:
    """Everything stackpick does, with examples to copy."""
    examples = "\n".join(f"• `@stackpick {escape(q)}`" for q in EXAMPLE_QUESTIONS[:3])
    return [
        header("stackpick: Node.js or Python?"),
        section(
            "I answer *Node.js or Python for X?* the way a careful senior engineer would: a verdict, the reasons "
            "that decide it, where sources disagree, and a quote from a named article behind every reason."
        ),
        section(
            f"*Ask* by mentioning me in a channel (I reply in the thread), in a DM, or in my assistant pane (my "
            f"entry in the sidebar):\n{examples}"
        ),
        section(
            "*Follow up* in the same thread, e.g. _what if our team only knows Python?_ I take the first question "
            "into account and say what changed. Thanks and chatter in the thread get no reply."
        ),
        section(
            "*Assess a project*: `/stackpick a realtime dashboard with ML-based anomaly detection` gives a "
            "scorecard of every criterion, visible only to you, with a *Share in channel* button.\n"
            "`/stackpick` alone opens a form that asks for your project's traits."
        ),
        section(
            "*Curate* (admins): `/stackpick add <url>` adds an article from a web page (http or https, public "
            "addresses only), `/stackpick add` opens a form to paste one, `/stackpick list` shows the library, "
            "`/stackpick remove <id>` removes an article, `/stackpick reindex` rebuilds the index and "
            "`/stackpick rollback` serves the previous version again. I message you a summary when it is live. "
            "Files on the server are added from its command line: `stackpick index add PATH`."
        ),
        section(
            "*Channels* (admins): `/stackpick config` shows how I answer in a channel; `/stackpick config "
            "thread|private|mention-only|off` changes it (private: only the asker sees the answer, with a *Share "
            "in channel* button). App Home lists the channels set up."
        ),
        context(["👍 / 👎 under an answer tells the maintainers what to improve (a 👎 asks which reason was wrong). "
                 "`/stackpick help` shows this."]),
    ]


def home_view(
    summary: LibrarySummary, *, is_admin: bool = False, channel_settings: Sequence[ChannelSetting] | None = None
) -> View:
    """The App Home tab: what stackpick does, how to ask, example questions, and the library it answers from;
    admins also get the channel settings (`channel_settings`) and the "Add article" button."""
    blocks: list[Block] = [
        header("stackpick"),
        section(
            "I answer *Node.js or Python for X?* with a verdict, the reasons that decide it, where sources "
            "disagree, and a verbatim quote from a named article behind every reason."
        ),
        section(
            "*How to ask*\n• Mention me in a channel: `@stackpick Node or Python for a chat app?`\n"
            "• Or open me from the sidebar (the assistant pane), or write to me here in *Messages*; follow up in "
            "the thread.\n"
            "• `/stackpick <project description>` for a full scorecard; `/stackpick` alone opens a form.\n"
            "• `/stackpick help` for everything else."
        ),
        section("*Examples*\n" + "\n".join(f"• _{escape(q)}_" for q in EXAMPLE_QUESTIONS)),
        DividerBlock(),
        header("Library"),
        context(
            [
                f"*{len(summary.articles)}* articles · *{summary.passages}* passages",
                f"Index version `{escape_clip(str(summary.version), 80)}`",
                f"Last rebuilt {escape_clip(str(summary.built_at), 80)}",
            ]
        ),
    ]
    tail: list[Block] = []
    if is_admin and channel_settings is not None:
        tail.extend([DividerBlock(), *home_channel_section(channel_settings)])
    if is_admin:
        tail.append(ActionsBlock(elements=[button("Add article", ACTION_OPEN_ADD_ARTICLE, "add")], block_id="admin"))
    lines = []
    for article in summary.articles:
        title = link(article.url, clip(article.title or article.id, 150))
        date = f" · {escape(str(article.date))}" if article.date else ""
        lines.append(f"• {title}{date} · {article.passages} passages")
    chunks = []
    # Ten articles to a section keeps each well under the 3000-character limit, however long the titles.
    for start in range(0, len(lines), 10):
        chunks.append(fit_lines(lines[start : start + 10]))
    room = MAX_VIEW_BLOCKS - len(blocks) - len(tail)
    blocks.extend(pack_sections(chunks, room, more="…and more articles"))
    if not lines:
        blocks.append(section("_The library is empty._"))
    return View(type="home", blocks=[*blocks, *tail][:MAX_VIEW_BLOCKS])
