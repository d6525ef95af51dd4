"""Block Kit for every Slack surface, as pure functions of the answer models; Slack's limits hold by construction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.answer import SIDE_LABELS, Answer, Assessment, Citation
from bot.render.escape import clip, escape, escape_clip, link, unescape

if TYPE_CHECKING:
    from bot.advisor import LibrarySummary
    from bot.library import AddReport

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

# Our own budgets, well inside Slack's: a reply should be read in a minute, not scrolled through.
MAX_REASONS = 4
MAX_DISAGREEMENTS = 3
QUOTES_PER_REASON = 2
QUOTE_CHARS = 400
SHORT_QUOTE_CHARS = 240
CONTEXT_ELEMENT_CHARS = 1000
QUESTION_ECHO_CHARS = 300
MAX_SOURCE_CONTEXTS = 3

# Ids shared with the listeners that handle them.
ACTION_FULL_ASSESSMENT = "full_assessment"
ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_assessment"
ACTION_OPEN_ADD_ARTICLE = "open_add_article"
BLOCK_ANSWER_ACTIONS = "answer_actions"
BLOCK_FEEDBACK_ACK = "feedback_ack"
TRAITS_MODAL = "traits_modal"
ADD_ARTICLE_MODAL = "add_article_modal"
FEEDBACK_MODAL = "feedback_reason_modal"
TEXT_PARTS = 3  # the add-article form splits the text over inputs: Slack caps one input at 3000 characters

APOLOGY = "Sorry, something went wrong while I was working on that. It has been logged; please try again in a minute."

VERDICT_HEADERS: dict[str, str] = {
    "node": "🟩 Node.js",
    "python": "🐍 Python",
    "both": "⚖️ Both: split the system",
    "depends": "🤔 It depends",
    "out_of_scope": "🤷 Outside what I can answer",
}

# Which side a reason or criterion favours, at a glance (matches the verdict headers).
SIDE_MARKS: dict[str, str] = {"node": "🟩", "python": "🐍"}

EXAMPLE_QUESTIONS = (
    "Node or Python for a real-time chat app?",
    "Should we build our ML-backed recommendation API in Python or Node.js?",
    "Node.js or Python for a CPU-heavy image processing service?",
    "Our team only knows JavaScript: Node or Python for a REST API?",
)


# --------------------------------------------------------------------------------------------------------------
# Small shared pieces


def _mrkdwn(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not auto-link names or parse mentions in echoed text; our own <url|label> links still work.
    return MarkdownTextObject(text=text, verbatim=True)


def _section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(text[:MAX_SECTION_TEXT]), block_id=block_id)


def _context(texts: Sequence[str], block_id: str | None = None) -> ContextBlock:
    elements = [_mrkdwn(t[:MAX_SECTION_TEXT]) for t in texts[:MAX_CONTEXT_ELEMENTS]]
    return ContextBlock(elements=elements, block_id=block_id)


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER_TEXT), emoji=True))


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, MAX_BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value[:MAX_BUTTON_VALUE],
        style=style,
    )


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=_plain(label, MAX_OPTION_TEXT))


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


def _confidence_words(confidence: float) -> str:
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"


def _markers(numbers: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _side(side: str | None) -> str:
    return SIDE_LABELS.get(side or "", "neither side")


def _humanize(identifier: str) -> str:
    return identifier.replace("_", " ").replace("-", " ").strip().capitalize() or identifier


def _cited(answer: Answer, numbers: Iterable[int]) -> list[Citation]:
    by_id = {c.id: c for c in answer.citations}
    return [by_id[n] for n in numbers if n in by_id]


def _quote_lines(citations: Sequence[Citation], limit: int) -> list[str]:
    # Every line of a quote starts with ">" so a multi-line passage stays inside the quote block.
    return [f"> “{escape_clip(' '.join(c.quote.split()), limit)}” [{c.id}]" for c in citations]


def _fit_lines(lines: Sequence[str], limit: int = MAX_SECTION_TEXT) -> str:
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


def _pack_sections(chunks: Sequence[str], max_blocks: int, more: str = "…and {n} more") -> list[SectionBlock]:
    """One section per chunk when there is room; otherwise chunks share sections, and the rest are counted."""
    if max_blocks <= 0 or not chunks:
        return []
    chunks = [c[:MAX_SECTION_TEXT] for c in chunks]
    if len(chunks) <= max_blocks:
        return [_section(c) for c in chunks]
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
        texts[-1] = _fit_lines(texts[-1].split("\n"), MAX_SECTION_TEXT - len(tail)) + tail
    return [_section(t) for t in texts]


def _source_contexts(citations: Sequence[Citation], max_blocks: int = MAX_SOURCE_CONTEXTS) -> list[ContextBlock]:
    """Sources as context blocks, one element per article: `[1][4] Title · date · link`, ten to a block."""
    if not citations or max_blocks <= 0:
        return []
    by_article: dict[str, list[Citation]] = {}
    for citation in citations:
        by_article.setdefault(citation.article, []).append(citation)
    elements: list[str] = []
    for group in by_article.values():
        first = group[0]
        numbers = _markers(c.id for c in group[:12]) + ("…" if len(group) > 12 else "")
        parts = [f"*{numbers}* {escape_clip(first.title or first.article, 150)}"]
        if first.date:
            parts.append(escape(first.date[:32]))
        if first.url:
            parts.append(link(first.url, "link"))
        element = " · ".join(parts)
        if len(element) > CONTEXT_ELEMENT_CHARS and first.url:
            element = " · ".join(parts[:-1])  # a pathological URL: leave the link out rather than cut it
        elements.append(element)
    capacity = max_blocks * MAX_CONTEXT_ELEMENTS
    if len(elements) > capacity:
        hidden = len(elements) - capacity + 1
        elements = [*elements[: capacity - 1], f"…and {hidden} more sources"]
    return [_context(elements[i : i + MAX_CONTEXT_ELEMENTS]) for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


def _question_context(question: str, confidence: float | None, label: str = "Q") -> ContextBlock:
    items = []
    if confidence is not None:
        items.append(f"Confidence: *{_confidence_words(confidence)}* ({confidence:.2f})")
    if question.strip():
        items.append(f"{label}: {escape_clip(' '.join(question.split()), QUESTION_ECHO_CHARS)}")
    return _context(items or ["—"])


def _disagreement_section(answer: Answer) -> SectionBlock | None:
    if not answer.disagreements:
        return None
    lines = ["*Sources disagree*"]
    for item in answer.disagreements[:MAX_DISAGREEMENTS]:
        lines.append(f"• {escape_clip(item.text, 500)} {_markers(item.citations)}")
        lines.extend(_quote_lines(_cited(answer, item.citations[:2]), SHORT_QUOTE_CHARS))
    hidden = len(answer.disagreements) - MAX_DISAGREEMENTS
    if hidden > 0:
        lines.append(f"…and {hidden} more")
    return _section(_fit_lines(lines), block_id="disagreements")


def _used_citations(answer: Answer, reasons: Sequence[Any], extra: Iterable[int] = ()) -> list[Citation]:
    numbers: set[int] = set(extra)
    for reason in reasons:
        numbers.update(reason.citations)
    for item in answer.disagreements[:MAX_DISAGREEMENTS]:
        numbers.update(item.citations)
    return [c for c in answer.citations if c.id in numbers]


# --------------------------------------------------------------------------------------------------------------
# Answers


def answer_fallback_text(answer: Answer) -> str:
    """The notification text shown where blocks are not (push notifications, screen readers)."""
    head = VERDICT_HEADERS.get(answer.verdict, answer.verdict)
    return escape_clip(f"{head}: {' '.join(answer.summary.split())}", MAX_FALLBACK_TEXT)


def answer_blocks(answer: Answer) -> list[Block]:
    """The reply to a question: verdict, confidence, reasons with quotes, disagreements, sources, and buttons."""
    if answer.verdict == "out_of_scope":
        return out_of_scope_blocks(answer)
    blocks: list[Block] = [
        _header(VERDICT_HEADERS.get(answer.verdict, answer.verdict)),
        _question_context(answer.question, answer.confidence),
    ]
    if answer.summary.strip():
        blocks.append(_section(escape_clip(answer.summary, MAX_SECTION_TEXT), block_id="summary"))
    reasons = answer.reasons[:MAX_REASONS]  # the advisor lists reasons strongest first; the weakest are dropped
    for index, reason in enumerate(reasons, start=1):
        lines = [
            f"{SIDE_MARKS[reason.favors]} *{index}. {escape_clip(reason.text, 600)}* {_markers(reason.citations)}",
            *_quote_lines(_cited(answer, reason.citations[:QUOTES_PER_REASON]), QUOTE_CHARS),
        ]
        blocks.append(_section(_fit_lines(lines), block_id=f"reason_{index}"))
    disagreement = _disagreement_section(answer)
    if disagreement is not None:
        blocks.append(disagreement)
    blocks.append(DividerBlock())
    blocks.extend(_source_contexts(_used_citations(answer, reasons)))
    blocks.append(answer_actions(answer))
    return blocks


def answer_actions(answer: Answer, *, assessment: bool = True) -> ActionsBlock:
    """The buttons under an answer; each carries the question so a click needs no server-side state."""
    elements: list[ButtonElement] = []
    if assessment:
        elements.append(_button("Full assessment", ACTION_FULL_ASSESSMENT, encode_value({"q": answer.question})))
    reasons = [clip(r.text, 60) for r in answer.reasons[:MAX_REASONS]]
    elements.append(_button("👍", ACTION_FEEDBACK_UP, encode_value({"v": answer.verdict, "q": answer.question})))
    elements.append(
        _button("👎", ACTION_FEEDBACK_DOWN, encode_value({"v": answer.verdict, "r": reasons, "q": answer.question}))
    )
    return ActionsBlock(elements=elements, block_id=BLOCK_ANSWER_ACTIONS)


def out_of_scope_blocks(answer: Answer) -> list[Block]:
    """A polite "not my area", with what stackpick can answer instead."""
    summary = answer.summary.strip() or "That doesn't look like a Node.js-or-Python question."
    return [
        _header(VERDICT_HEADERS["out_of_scope"]),
        _section(escape_clip(summary, 1500), block_id="summary"),
        _context(
            [
                "I compare *Node.js* and *Python* for a project, with quotes from the articles I've read. "
                f"Try: _{escape(EXAMPLE_QUESTIONS[0])}_ or `/stackpick help`."
            ]
        ),
        answer_actions(answer, assessment=False),
    ]


def feedback_ack_block(up: int, down: int) -> ContextBlock:
    """Replaces nothing, adds a line: the click was recorded, and what others thought so far."""
    return _context([f"Thanks for the feedback! So far: 👍 {up} · 👎 {down}"], block_id=BLOCK_FEEDBACK_ACK)


# --------------------------------------------------------------------------------------------------------------
# Assessments


def assessment_fallback_text(assessment: Assessment) -> str:
    head = VERDICT_HEADERS.get(assessment.verdict, assessment.verdict)
    return escape_clip(f"Assessment: {head}. {' '.join(assessment.summary.split())}", MAX_FALLBACK_TEXT)


def assessment_blocks(
    assessment: Assessment, shareable: bool, *, share_value: str | None = None, shared_by: str | None = None
) -> list[Block]:
    """The full scorecard: every criterion with its side, weight and evidence, plus a "Share in channel" button."""
    if assessment.verdict == "out_of_scope" and not assessment.criteria:
        return out_of_scope_blocks(assessment)[:-1]
    head: list[Block] = [
        _header("Assessment: " + VERDICT_HEADERS.get(assessment.verdict, assessment.verdict)),
        _question_context(assessment.question, assessment.confidence, label="Project"),
    ]
    if shared_by:
        # A Slack user id from the payload, not user text; shown so the channel knows who shared it.
        head.append(_context([f"Shared by <@{shared_by}>"]))
    if assessment.summary.strip():
        head.append(_section(escape_clip(assessment.summary, MAX_SECTION_TEXT), block_id="summary"))
    if assessment.flip:
        head.append(_section(f"*What would change the verdict:* {escape_clip(assessment.flip, 2000)}", "flip"))
    reasons = assessment.reasons[:MAX_REASONS]
    if reasons:
        lines = ["*Why*"] + [
            f"• {escape_clip(r.text, 500)} ({_side(r.favors)}) {_markers(r.citations)}" for r in reasons
        ]
        head.append(_section(_fit_lines(lines), block_id="reasons"))
    disagreement = _disagreement_section(assessment)
    if disagreement is not None:
        head.append(disagreement)
    head.append(DividerBlock())
    head.append(_section("*Scorecard*: every criterion in the scoring rules", block_id="scorecard"))

    evidence_numbers = {n for c in assessment.criteria for n in c.citations[:1]}
    sources = _source_contexts(_used_citations(assessment, reasons, evidence_numbers))
    tail: list[Block] = [DividerBlock(), *sources]
    if shareable:
        value = share_value if share_value is not None else encode_value({"d": assessment.question}, shrink="d")
        tail.append(
            ActionsBlock(elements=[_button("Share in channel", ACTION_SHARE, value, style="primary")], block_id="share")
        )

    rows = []
    # The advisor sorts by relevance: the untriggered criteria come last, shown for completeness under a note.
    first_idle = next((i for i, row in enumerate(assessment.criteria) if row.relevance <= 0), None)
    for i, row in enumerate(assessment.criteria):
        if i == first_idle and i > 0:
            rows.append("_Criteria this project does not trigger, for completeness:_")
        side = f"{SIDE_MARKS[row.favors]} favours *{_side(row.favors)}*" if row.favors else "no clear side"
        line = (
            f"*{escape_clip(row.label or _humanize(row.id), 120)}* · {side} · weight {row.weight:g} · "
            f"relevance {row.relevance:.2f} · strength {abs(row.score):.2f} {_markers(row.citations)}"
        )
        quotes = _quote_lines(_cited(assessment, row.citations[:1]), SHORT_QUOTE_CHARS)
        rows.append(_fit_lines([line, *(quotes or ["> _no evidence in the library_"])]))
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    return [*head, *_pack_sections(rows, room, more="…and {n} more criteria"), *tail]


# --------------------------------------------------------------------------------------------------------------
# Help, App Home, curation


def help_blocks() -> list[Block]:
    """Everything stackpick does, with examples to copy."""
    examples = "\n".join(f"• `@stackpick {escape(q)}`" for q in EXAMPLE_QUESTIONS[:3])
    return [
        _header("stackpick: Node.js or Python?"),
        _section(
            "I answer *Node.js or Python for X?* the way a careful senior engineer would: a verdict, the reasons "
            "that decide it, where sources disagree, and a quote from a named article behind every reason."
        ),
        _section(f"*Ask* by mentioning me in a channel (I reply in the thread) or in a DM:\n{examples}"),
        _section(
            "*Follow up* in the same thread, e.g. _what if our team only knows Python?_ I take the first question "
            "into account and say what changed."
        ),
        _section(
            "*Assess a project*: `/stackpick a realtime dashboard with ML-based anomaly detection` gives a "
            "scorecard of every criterion, visible only to you, with a *Share in channel* button.\n"
            "`/stackpick` alone opens a form that asks for your project's traits."
        ),
        _section(
            "*Curate* (admins): `/stackpick add <url>` adds an article, `/stackpick add` opens a form to paste "
            "one, `/stackpick reindex` rebuilds the index. I message you a summary when it is live."
        ),
        _context(["👍 / 👎 under an answer tells the maintainers what to improve. `/stackpick help` shows this."]),
    ]


def home_view(summary: LibrarySummary, *, is_admin: bool = False) -> View:
    """The App Home tab: what stackpick does, how to ask, example questions, and the library it answers from."""
    blocks: list[Block] = [
        _header("stackpick"),
        _section(
            "I answer *Node.js or Python for X?* with a verdict, the reasons that decide it, where sources "
            "disagree, and a verbatim quote from a named article behind every reason."
        ),
        _section(
            "*How to ask*\n• Mention me in a channel: `@stackpick Node or Python for a chat app?`\n"
            "• Or write to me here in *Messages*; follow up in the thread.\n"
            "• `/stackpick <project description>` for a full scorecard; `/stackpick` alone opens a form.\n"
            "• `/stackpick help` for everything else."
        ),
        _section("*Examples*\n" + "\n".join(f"• _{escape(q)}_" for q in EXAMPLE_QUESTIONS)),
        DividerBlock(),
        _header("Library"),
        _context(
            [
                f"*{len(summary.articles)}* articles · *{summary.passages}* passages",
                f"Index version `{escape_clip(str(summary.version), 80)}`",
                f"Last rebuilt {escape_clip(str(summary.built_at), 80)}",
            ]
        ),
    ]
    tail: list[Block] = []
    if is_admin:
        tail.append(ActionsBlock(elements=[_button("Add article", ACTION_OPEN_ADD_ARTICLE, "add")], block_id="admin"))
    lines = []
    for article in summary.articles:
        title = link(article.url, clip(article.title or article.id, 150))
        date = f" · {escape(str(article.date))}" if article.date else ""
        lines.append(f"• {title}{date} · {article.passages} passages")
    chunks = []
    # Ten articles to a section keeps each well under the 3000-character limit, however long the titles.
    for start in range(0, len(lines), 10):
        chunks.append(_fit_lines(lines[start : start + 10]))
    room = MAX_VIEW_BLOCKS - len(blocks) - len(tail)
    blocks.extend(_pack_sections(chunks, room, more="…and more articles"))
    if not lines:
        blocks.append(_section("_The library is empty._"))
    return View(type="home", blocks=[*blocks, *tail][:MAX_VIEW_BLOCKS])


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


# --------------------------------------------------------------------------------------------------------------
# Modals


def traits_modal(private_metadata: str = "") -> View:
    """The form behind `/stackpick` with no text: the traits of the project to assess."""
    return View(
        type="modal",
        callback_id=TRAITS_MODAL,
        title=_plain("Assess a project", 24),
        submit=_plain("Assess", 24),
        close=_plain("Cancel", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=[
            InputBlock(
                block_id="needs",
                label=_plain("What does the project need?", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id="needs",
                    options=[
                        _option("realtime", "Real-time features (chat, live updates, streaming)"),
                        _option("data_ml", "Data processing or machine learning"),
                        _option("cpu_heavy", "CPU-heavy work (image/video, number crunching)"),
                    ],
                ),
            ),
            InputBlock(
                block_id="team_knows",
                label=_plain("What does the team already know?", 2000),
                element=RadioButtonsElement(
                    action_id="team_knows",
                    options=[
                        _option("javascript", "JavaScript / TypeScript"),
                        _option("python", "Python"),
                        _option("both", "Both"),
                        _option("neither", "Neither"),
                    ],
                ),
            ),
            InputBlock(
                block_id="team_experience",
                label=_plain("Team experience", 2000),
                element=RadioButtonsElement(
                    action_id="team_experience",
                    initial_option=_option("mixed", "Mixed"),
                    options=[
                        _option("junior", "Mostly junior"),
                        _option("mixed", "Mixed"),
                        _option("senior", "Senior"),
                    ],
                ),
            ),
            InputBlock(
                block_id="scale",
                label=_plain("Expected scale", 2000),
                element=StaticSelectElement(
                    action_id="scale",
                    initial_option=_option("medium", "Medium: thousands of users"),
                    options=[
                        _option("small", "Small: an internal tool, hundreds of users"),
                        _option("medium", "Medium: thousands of users"),
                        _option("large", "Large: millions of users or requests"),
                    ],
                ),
            ),
            InputBlock(
                block_id="notes",
                label=_plain("Anything else?", 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id="notes",
                    multiline=True,
                    max_length=1000,
                    placeholder=_plain("e.g. a dashboard with live charts and anomaly detection", 150),
                ),
            ),
        ],
    )


def add_article_modal(private_metadata: str = "") -> View:
    """The admin's form to paste an article: title, source URL, date and text."""
    text_inputs = [
        InputBlock(
            block_id=f"text_{part}",
            label=_plain("Article text" if part == 1 else f"Article text, continued ({part}/{TEXT_PARTS})", 2000),
            optional=part > 1,
            hint=_plain("Paste the text. Longer than 3,000 characters? Continue in the next box.", 2000)
            if part == 1
            else None,
            element=PlainTextInputElement(action_id="text", multiline=True, max_length=3000),
        )
        for part in range(1, TEXT_PARTS + 1)
    ]
    return View(
        type="modal",
        callback_id=ADD_ARTICLE_MODAL,
        title=_plain("Add an article", 24),
        submit=_plain("Add", 24),
        close=_plain("Cancel", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=[
            InputBlock(
                block_id="title",
                label=_plain("Title", 2000),
                optional=True,
                element=PlainTextInputElement(action_id="title", max_length=300),
            ),
            InputBlock(
                block_id="url",
                label=_plain("Source URL", 2000),
                optional=True,
                element=UrlInputElement(action_id="url"),
            ),
            InputBlock(
                block_id="date",
                label=_plain("Published", 2000),
                optional=True,
                element=DatePickerElement(action_id="date"),
            ),
            *text_inputs,
            InputBlock(
                block_id="force",
                label=_plain("Duplicates", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id="force", options=[_option("force", "Add even if a similar article is in the library")]
                ),
            ),
        ],
    )


def feedback_reason_modal(reasons: Sequence[str], private_metadata: str = "") -> View:
    """After a 👎: which reason was wrong (optional), and anything else the user wants to say."""
    blocks: list[Block] = [_section("Thanks. Which part was wrong? Both questions are optional.")]
    if reasons:
        blocks.append(
            InputBlock(
                block_id="reasons",
                label=_plain("Reasons that were wrong", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id="reasons",
                    options=[_option(str(i), f"{i}. {r}") for i, r in enumerate(reasons[:MAX_REASONS], start=1)],
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id="comment",
            label=_plain("What should the answer have said?", 2000),
            optional=True,
            element=PlainTextInputElement(action_id="comment", multiline=True, max_length=2000),
        )
    )
    return View(
        type="modal",
        callback_id=FEEDBACK_MODAL,
        title=_plain("What was wrong?", 24),
        submit=_plain("Send", 24),
        close=_plain("Skip", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=blocks,
    )


# --------------------------------------------------------------------------------------------------------------
# Checking


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
