"""Building blocks for synthetic answers: hostile text and citations."""

from __future__ import annotations

from bot.answer import Citation

EVIL = "<!channel> <@U999> <http://evil.example|click> & <!here>"


def citation(
    n: int, quote: str = "Node.js is the best option for chatting or streaming platforms.", **kw: object
) -> Citation:
    fields: dict[str, object] = {
        "id": n,
        "article": f"art-{n}",
        "title": f"Article {n}",
        "date": "2024-04-14",
        "url": f"https://example.com/{n}",
        "quote": quote,
    }
    fields.update(kw)
    return Citation(**fields)  # type: ignore[arg-type]
