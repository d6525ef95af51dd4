"""Turn a scored outcome into an Answer: reasons, disagreements and numbered, verbatim citations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from knowledge.claims import Claim
from knowledge.corpus import Article

from ..answer import SIDE_LABELS, Answer, Citation, Disagreement, Reason, lower_label
from .scoring import CriterionResult, Outcome, deciding_articles

ClaimRank = Callable[[Claim], float]  # higher is more relevant to the question


class CitationBook:
    """Numbers quotes in the order they are first cited; the same passage keeps one number."""

    def __init__(self, articles: Mapping[str, Article]) -> None:
        self.articles = articles
        self.citations: list[Citation] = []
        self._numbers: dict[tuple[str, int, int], int] = {}

    def cite(self, claim: Claim) -> int:
        key = (claim.article_id, claim.quote_start, claim.quote_end)
        if key not in self._numbers:
            article = self.articles[claim.article_id]
            number = len(self.citations) + 1
            self._numbers[key] = number
            self.citations.append(
                Citation(
                    id=number,
                    article=article.id,
                    title=article.display_title,
                    date=article.date.isoformat() if article.date else None,
                    url=article.url,
                    quote=article.text[claim.quote_start : claim.quote_end],
                    author=article.author,
                    publisher=article.publisher,
                )
            )
        return self._numbers[key]


def best_claims(per_article: Mapping[str, list[Claim]], rank: ClaimRank, limit: int) -> list[Claim]:
    """The most relevant claim of each article, best articles first."""
    bulk = getattr(rank, "best", None)
    if bulk is not None:  # a ranking.QuestionRank: the same picks, scored in one numpy pass
        return bulk(per_article, limit)
    picks = [max(claims, key=rank) for claims in per_article.values() if claims]
    return sorted(picks, key=rank, reverse=True)[:limit]


def _count(n: int) -> str:
    return f"{n} article" if n == 1 else f"{n} articles"


def reason_for(result: CriterionResult, side: str, book: CitationBook, rank: ClaimRank) -> Reason | None:
    """A reason stating how the articles that address this criterion lean, with its best quotes."""
    mine = result.side_claims(side)
    claims = best_claims(mine, rank, limit=2)
    if not claims:
        return None
    total = result.support + len(result.mixed_articles)
    both_ways = result.stances.both_ways(side)  # counted once per loaded index: thousands of articles at 10k
    if not both_ways:
        caveat = ""
    elif len(mine) == 1:
        caveat = " (which also argues the other way)"
    elif both_ways == 1:
        caveat = " (one of them also argues the other way)"
    else:
        caveat = f" ({both_ways} of them also argue the other way)"
    backers = (
        "the one article that addresses it" if total == 1 else f"{len(mine)} of the {total} articles that address it"
    )
    text = f"{result.criterion.label}: {SIDE_LABELS[side]} is favoured by {backers}{caveat}."
    return Reason(text=text, favors=side, criterion=result.criterion.id,  # type: ignore[arg-type]
                  citations=[book.cite(c) for c in claims])


def disagreement_for(result: CriterionResult, book: CitationBook, rank: ClaimRank) -> Disagreement | None:
    node = best_claims(result.side_claims("node"), rank, 1)
    python = best_claims(result.side_claims("python"), rank, 1)
    if not node or not python:
        return None
    label = lower_label(result.criterion.label)
    # Say who argues what, counting each article once: an article arguing both ways is neither side's backer.
    parts = [f"{_count(n)} {verb if n == 1 else plural} {what}" for n, verb, plural, what in (
        (len(result.node_articles), "favours", "favour", "Node.js"),
        (len(result.python_articles), "favours", "favour", "Python"),
        (len(result.mixed_articles), "argues", "argue", "both ways"),
    ) if n]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    text = f"On {label}, {listed}."
    return Disagreement(criterion=result.criterion.id, text=text, citations=[book.cite(node[0]), book.cite(python[0])])


def pick_reasons(
    outcome: Outcome, max_reasons: int, related: list[CriterionResult] | None = None
) -> list[tuple[CriterionResult, str]]:
    """Which criteria to give as reasons, and for which side: the verdict's side first, both sides for both/depends.

    `related` are criteria that did not apply to the question but are credited by the same passages; they fill
    a side verdict up to two reasons and never change the verdict. An article arguing both ways can back a
    reason for either side.
    """
    sides: dict[str, list[tuple[CriterionResult, str]]] = {
        side: [(r, side) for r in outcome.results if r.favors == side or (r.favors is None and r.side_claims(side))]
        for side in ("node", "python")
    }
    if outcome.verdict in ("node", "python"):
        other = "python" if outcome.verdict == "node" else "node"
        chosen = _once(sides[outcome.verdict])[:max_reasons]
        fill = [(r, outcome.verdict) for r in related or [] if r.favors == outcome.verdict]
        chosen = _once(chosen + fill[: max(0, 2 - len(chosen))])
        return _once(chosen + sides[other])[: max(len(chosen), 2)]
    node, python = sides["node"], sides["python"]
    chosen = [pick for pair in zip(node, python, strict=False) for pick in pair]
    longer = node if len(node) > len(python) else python
    chosen += longer[len(chosen) // 2 :]
    return _once(chosen)[:max_reasons]


def _once(picks: list[tuple[CriterionResult, str]]) -> list[tuple[CriterionResult, str]]:
    """Each criterion once, as its first pick: a criterion the articles split on is one reason (and a
    disagreement), not a reason for each side."""
    seen: set[str] = set()
    out = []
    for result, side in picks:
        if result.criterion.id not in seen:
            seen.add(result.criterion.id)
            out.append((result, side))
    return out


def _labels(results: list[CriterionResult]) -> str:
    names = [lower_label(r.criterion.label) for r in results]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def summarize(outcome: Outcome, reasons: list[tuple[CriterionResult, str]]) -> str:
    node = [r for r, side in reasons if side == "node"]
    python = [r for r, side in reasons if side == "python"]
    if outcome.verdict in ("node", "python"):
        mine = node if outcome.verdict == "node" else python
        articles = deciding_articles(r.stances for r in mine)
        return (f"{SIDE_LABELS[outcome.verdict]}: the articles favour it on {_labels(mine)} "
                f"({_count(articles)}).")
    if outcome.verdict == "both":
        return (f"Both, each where it fits: Node.js for {_labels(node)}, and Python for {_labels(python)}.")
    if node and python:
        return (f"It depends: on {_labels(node)} the articles lean to Node.js, on {_labels(python)} to Python, "
                "and the evidence for this question is balanced.")
    if node or python:
        lone = node or python
        if all(r.disputed and r.support >= 2 for r in lone):
            return f"It depends: the articles are split on {_labels(lone)}."
        return f"It depends: only {_labels(lone)} is addressed here, and too thinly to call it."
    return "It depends: the library has no statements on what this question turns on."


def compose(
    question: str,
    outcome: Outcome,
    articles: Mapping[str, Article],
    rank: ClaimRank,
    max_reasons: int,
    min_relevance: float,
    related: list[CriterionResult] | None = None,
    book: CitationBook | None = None,
) -> Answer:
    """The full answer for an in-scope question; pass a `book` to keep numbering citations after it."""
    book = book or CitationBook(articles)
    chosen = pick_reasons(outcome, max_reasons, related)
    reasons = [r for r in (reason_for(res, side, book, rank) for res, side in chosen) if r]
    disputed = sorted(
        (r for r in outcome.results if r.disputed and r.relevance >= min_relevance),
        key=lambda r: -(r.relevance * r.weight),
    )
    disagreements = [d for d in (disagreement_for(r, book, rank) for r in disputed[:2]) if d]
    return Answer(
        question=question,
        verdict=outcome.verdict,  # type: ignore[arg-type]
        confidence=outcome.confidence,
        summary=summarize(outcome, chosen),
        reasons=reasons,
        disagreements=disagreements,
        citations=list(book.citations),
    )


def together(outcome: Outcome) -> Outcome:
    """The outcome for "could we use both?": both when what the question turns on pulls each way, else it depends
    (on this project's needs, one side covers everything the articles speak to)."""
    sides = {r.favors for r in outcome.results if r.favors}
    return replace(outcome, verdict="both" if sides == {"node", "python"} else "depends")


def together_summary(outcome: Outcome, summary: str) -> str:
    """What an answer to "could we use both?" says first."""
    if outcome.verdict == "both":
        return f"Using both can make sense here. {summary}"
    lone = {r.favors for r in outcome.results if r.favors}
    if len(lone) == 1:
        side = SIDE_LABELS[lone.pop()]
        return (f"It depends: using both is possible, but on what this question turns on the articles only lean to "
                f"{side}, so a second language would have to earn its place elsewhere.")
    return f"It depends: using both is possible. {summary}"


def inverted(answer: Answer) -> Answer:
    """The answer to "which is worse (harder, slower) at X?": the other side, with the same reasons and sources."""
    if answer.verdict not in ("node", "python"):
        return answer
    worse = "python" if answer.verdict == "node" else "node"
    summary = (f"{SIDE_LABELS[worse]} is the one that fares worse here. {answer.summary}")
    return answer.model_copy(update={"verdict": worse, "summary": summary})
