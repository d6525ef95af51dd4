"""Synthetic answers for the Block Kit builders: ordinary ones and the longest the engine can produce."""

from __future__ import annotations

import pytest
from render_samples import EVIL, citation

from bot.answer import Answer, Assessment, CriterionScore, Disagreement, Reason


@pytest.fixture
def answer() -> Answer:
    return Answer(
        question="Node or Python for a real-time chat app?",
        verdict="node",
        confidence=0.82,
        summary="Node.js: the articles favour it on real-time.",
        reasons=[
            Reason(
                text="Real-time: 3 of 3 articles favour Node.js.", favors="node", criterion="realtime", citations=[1, 2]
            ),
            Reason(text="Team skills favour Python.", favors="python", criterion="team_python", citations=[3]),
        ],
        disagreements=[Disagreement(criterion="scale", text="Articles split on scale.", citations=[3, 4])],
        citations=[citation(1), citation(2, url=None), citation(3, date=None), citation(4)],
    )


@pytest.fixture
def longest() -> Assessment:
    """Far beyond anything real: 40,000-character question, 30 reasons, 200 long quotes, 300 criteria."""
    long_quote = ("Python is not suitable for memory-intensive tasks & <b>heavy</b> work " * 200).strip()
    citations = [
        citation(n, quote=long_quote, title=EVIL * 20, url="https://example.com/" + "x" * 3000) for n in range(1, 201)
    ]
    return Assessment(
        question=(EVIL + " ") * 800,
        verdict="both",
        confidence=0.5,
        summary=("A summary that goes on " + EVIL + " ") * 200,
        reasons=[
            Reason(text=(EVIL + " reason ") * 100, favors="python", criterion="data_ml", citations=list(range(1, 40)))
            for _ in range(30)
        ],
        disagreements=[
            Disagreement(criterion="scale", text=(EVIL + " split ") * 100, citations=list(range(1, 60)))
            for _ in range(20)
        ],
        citations=citations,
        criteria=[
            CriterionScore(
                id=f"c{i}",
                label=f"Criterion {i} " + (EVIL + " label ") * 10,
                weight=1.5,
                relevance=0.5,
                favors="node",
                score=1.25,
                citations=list(range(1, 50)),
            )
            for i in range(300)
        ],
        flip=(EVIL + " flip ") * 500,
    )
