"""The admin's library list and curation summaries: within Slack's limits however big the library, escaped."""

from __future__ import annotations

import json
import re

from block_limits import limit_problems
from render_samples import EVIL

from bot.answer import AddReport, ArticleInfo, LibrarySummary
from bot.render.slack.curation import LIST_CHARS, curation_report_text, library_blocks


def summary(count: int, title: str = "Node.js vs Python for backends") -> LibrarySummary:
    articles = [ArticleInfo(id=f"article-{n:05d}", title=f"{title} {n}", date="2024-05-01" if n % 2 else None,
                            url=f"https://example.com/{n}" if n % 3 else None, passages=n % 40 + 1)
                for n in range(count)]
    return LibrarySummary(articles=articles, passages=sum(a.passages for a in articles), claims=0,
                          version="20261201T120000-abcdef", built_at="2026-12-01T12:00:00+00:00", model="hash")


def visible_text(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements") or [] if isinstance(e.get("text"), str)]
    return "\n".join(out)


def test_a_small_library_is_listed_whole_with_ids_links_and_dates() -> None:
    blocks = [b.to_dict() for b in library_blocks(summary(5))]
    text = visible_text(blocks)
    assert blocks[0]["text"]["text"] == "Library: 5 articles"
    assert all(f"`article-{n:05d}`" in text for n in range(5))
    assert "<https://example.com/1|Node.js vs Python for backends 1> · 2024-05-01 · 2 passages" in text
    assert "more:" not in text and limit_problems(blocks) == []


def test_a_huge_library_stays_within_limits_and_counts_the_rest() -> None:
    blocks = [b.to_dict() for b in library_blocks(summary(10_000, title=EVIL * 5))]
    assert limit_problems(blocks) == []
    text = visible_text(blocks)
    assert len(text) < LIST_CHARS + 2_000
    shown = len(re.findall(r"`article-\d{5}`", text))
    more = int(re.search(r"…and (\d+) more: `stackpick index list`", text).group(1))
    assert shown + more == 10_000 and shown > 0
    assert "<!channel>" not in json.dumps(blocks) and "<@U" not in json.dumps(blocks)  # titles are escaped


def test_summaries_of_each_curation_action() -> None:
    report = AddReport(added=["robots-1a2b"], passages_added=3, version="v2", seconds=1.25)
    assert curation_report_text(report, "add") == (
        "✅ Added 1 article (`robots-1a2b`): 3 passages added. Index version `v2` is live (took 1.2 s).")
    removed = AddReport(added=[], passages_added=0, version="v3", seconds=0.5)
    assert curation_report_text(removed, "remove", "robots-1a2b") == (
        "✅ Removed `robots-1a2b`. Index version `v3` is live (took 0.5 s).")
    assert curation_report_text(removed, "rollback") == "✅ Rolled back: Index version `v3` is live again (took 0.5 s)."
