"""What a loaded index version holds, as App Home and `stackpick index list` show it."""

from __future__ import annotations

from index.loaded import LoadedIndex

from ..answer import ArticleInfo, LibrarySummary


def article_infos(index: LoadedIndex) -> list[ArticleInfo]:
    """Every article of the version with its passage count, in the version's order."""
    counts = index.passages_per_article()
    return [
        ArticleInfo(id=a.id, title=a.display_title, date=a.date.isoformat() if a.date else None, url=a.url,
                    passages=counts.get(a.id, 0))
        for a in index.articles.values()
    ]


def summarize_library(index: LoadedIndex, claims: int) -> LibrarySummary:
    """The version's articles and totals; `claims` is what the engine answers from (re-extracted if rules changed)."""
    return LibrarySummary(
        articles=article_infos(index),
        passages=len(index.passages),
        claims=claims,
        version=index.version,
        built_at=index.manifest.built_at,
        model=index.manifest.embedding.model,
    )
