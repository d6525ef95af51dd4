"""Citations that always resolve: every [n] a message shows is registered here, and the message lists exactly those."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock

from bot.answer import Citation

from .escape import escape, escape_clip, link
from .primitives import (
    CONTEXT_ELEMENT_CHARS,
    MAX_CONTEXT_ELEMENTS,
    MAX_SECTION_TEXT,
    block_text_length,
    context,
    section,
)

# How many numbers one marker run shows ("[1][2][3]"): enough to see the evidence is broad, short enough to read.
MARKERS_PER_RUN = 3
# One element per article in the sources line; three context blocks of ten hold thirty articles.
MAX_SOURCE_ARTICLES = 30


def source_line(numbers: str, citation: Citation) -> str:
    """`*[1][4]* Title · Author, Publisher · date · link`, each part only where the article states it."""
    parts = [f"*{numbers}* {escape_clip(citation.title or citation.article, 150)}"]
    byline = ", ".join(p for p in (citation.author, citation.publisher) if p and p.strip())
    if byline:
        parts.append(escape_clip(byline, 120))
    if citation.date:
        parts.append(escape(citation.date[:32]))
    if citation.url:
        parts.append(link(citation.url, "link"))
    element = " · ".join(parts)
    if len(element) > CONTEXT_ELEMENT_CHARS and citation.url:
        element = " · ".join(parts[:-1])  # a pathological URL: leave the link out rather than cut it
    return element


@dataclass(frozen=True)
class _Mark:
    numbers: tuple[int, ...]
    articles: tuple[str, ...]


class SourceRegistry:
    """The citations one message shows. A number is only ever rendered through `markers` or `quote_lines`, which
    register it; `blocks()` then lists every registered number, so no [n] in the message is left unresolved.

    A number whose article would not fit in the sources line is left out of the text instead (never the reverse).
    """

    def __init__(self, citations: Sequence[Citation], max_articles: int = MAX_SOURCE_ARTICLES) -> None:
        self._by_id = {c.id: c for c in citations}
        self.max_articles = max_articles
        self._numbers: list[int] = []  # in the order first shown
        self._articles: list[str] = []
        self._quoted: list[int] = []  # whose passage a quote line already shows

    # -- registering -----------------------------------------------------------------------------------------

    def _take(self, number: int) -> bool:
        citation = self._by_id.get(number)
        if citation is None:
            return False  # a number the answer does not define is never shown
        if number in self._numbers:
            return True
        if citation.article not in self._articles:
            if len(self._articles) >= self.max_articles:
                return False
            self._articles.append(citation.article)
        self._numbers.append(number)
        return True

    def markers(self, numbers: Iterable[int], limit: int = MARKERS_PER_RUN) -> str:
        """`[1][2]` for up to `limit` of `numbers`, each registered (a number that cannot be listed is skipped)."""
        shown: list[int] = []
        for number in dict.fromkeys(numbers):
            if len(shown) >= limit:
                break
            if self._take(number):
                shown.append(number)
        return "".join(f"[{n}]" for n in shown)

    def cited(self, numbers: Iterable[int]) -> list[Citation]:
        """The citations behind `numbers` that can be shown, registering them."""
        return [self._by_id[n] for n in dict.fromkeys(numbers) if self._take(n)]

    def quote_lines(self, numbers: Iterable[int], limit: int, count: int | None = None) -> list[str]:
        """Quote lines for `numbers` (up to `count` of them, preferring passages this message has not quoted yet,
        so two reasons backed by the same sentence do not show it twice)."""
        wanted = list(dict.fromkeys(numbers))
        if count is not None:
            fresh = [n for n in wanted if n not in self._quoted and n in self._by_id]
            wanted = (fresh or wanted)[:count]
        lines = []
        for citation in self.cited(wanted):
            self._quoted.append(citation.id)
            # Every line of a quote starts with ">" so a multi-line passage stays inside the quote block.
            lines.append(f"> “{escape_clip(' '.join(citation.quote.split()), limit)}” [{citation.id}]")
        return lines

    def snapshot(self) -> tuple[int, int, int]:
        return len(self._numbers), len(self._articles), len(self._quoted)

    def restore(self, snapshot: tuple[int, int, int]) -> None:
        """Forget what was registered since `snapshot` (a block that did not fit is dropped with its numbers)."""
        numbers, articles, quoted = snapshot
        del self._numbers[numbers:]
        del self._articles[articles:]
        del self._quoted[quoted:]

    @property
    def numbers(self) -> list[int]:
        return list(self._numbers)

    # -- rendering -------------------------------------------------------------------------------------------

    def elements(self) -> list[str]:
        by_article: dict[str, list[Citation]] = {}
        for number in sorted(self._numbers):
            citation = self._by_id[number]
            by_article.setdefault(citation.article, []).append(citation)
        return [source_line("".join(f"[{c.id}]" for c in group), group[0]) for group in by_article.values()]

    def blocks(self) -> list[ContextBlock]:
        """The sources line: one element per article listing all its numbers, ten elements to a context block."""
        elements = self.elements()
        return [context(elements[i : i + MAX_CONTEXT_ELEMENTS]) for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


class Budget:
    """Builds a message block by block within a block count and a total text length, sources included.

    `add` renders a block against the registry, and keeps it only if the message (with the sources line those
    citations need, and room for the blocks that will follow) still fits; otherwise the block and the numbers it
    registered are dropped.
    """

    def __init__(self, sources: SourceRegistry, max_blocks: int, max_text: int, reserve_blocks: int = 0,
                 reserve_text: int = 0) -> None:
        self.sources = sources
        self.blocks: list[Block] = []
        self.max_blocks = max_blocks - reserve_blocks
        self.max_text = max_text - reserve_text
        self.full = False

    def fits(self, extra: Sequence[Block]) -> bool:
        listed = self.sources.blocks()
        count = len(self.blocks) + len(extra) + len(listed) + 1  # + the divider above the sources
        text = block_text_length([*self.blocks, *extra, *listed])
        return count <= self.max_blocks and text <= self.max_text

    def add(self, render: Callable[[SourceRegistry], Block | None]) -> bool:
        """`render(sources)` returns a block (or None for nothing to add); True when it was kept."""
        if self.full:
            return False
        snapshot = self.sources.snapshot()
        block = render(self.sources)
        if block is None:
            return True
        if self.fits([block]):
            self.blocks.append(block)
            return True
        self.sources.restore(snapshot)
        self.full = True
        return False

    def add_fixed(self, block: Block) -> None:
        """A block that goes in whatever the budget (it registers no citation)."""
        self.blocks.append(block)

    def add_row(self, render: Callable[[SourceRegistry], str], block_id_prefix: str = "rows") -> bool:
        """Like `add` for one row of a list: `render(sources)` returns its text, appended to the list's last
        section while that stays within Slack's section limit, else starting a new section."""
        if self.full:
            return False
        snapshot = self.sources.snapshot()
        text = render(self.sources)[:MAX_SECTION_TEXT]
        last = self.blocks[-1] if self.blocks else None
        last_text = (last.to_dict().get("text") or {}).get("text", "") if last is not None else ""
        joins = last is not None and (last.block_id or "").startswith(block_id_prefix) and (
            len(last_text) + 2 + len(text) <= MAX_SECTION_TEXT)
        if joins:
            candidate = section(last_text + "\n\n" + text, block_id=last.block_id)  # type: ignore[union-attr]
            kept = self.blocks[:-1]
        else:
            candidate = section(text, block_id=f"{block_id_prefix}_{len(self.blocks)}")
            kept = self.blocks
        previous, self.blocks = self.blocks, kept
        if self.fits([candidate]):
            self.blocks.append(candidate)
            return True
        self.blocks = previous
        self.sources.restore(snapshot)
        self.full = True
        return False

    def finish(self, tail: Sequence[Block]) -> list[Block]:
        """The blocks kept, a divider, the sources line, then `tail` (the buttons, reserved for up front)."""
        listed = self.sources.blocks()
        return [*self.blocks, *([DividerBlock(), *listed] if listed else []), *tail]
