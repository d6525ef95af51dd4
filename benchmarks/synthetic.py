"""Deterministic synthetic libraries for the speed benchmark, assembled from the seed articles' own sentences."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge.corpus import Article, corpus_hash, load_library, write_article
from knowledge.rules import Criterion, load_rules
from knowledge.sentences import split_sentences

GENERATOR_VERSION = 2  # bump when the output of the generator changes, so cached libraries are rebuilt
COMPLETE = ".complete.json"
MIN_WORDS = 90  # `stackpick index add` refuses articles under 80 words
SYNTHETIC_NOTE = "synthetic benchmark text"


@dataclass(frozen=True)
class GeneratorParams:
    """Everything the generated library depends on; its hash names the cache folder."""

    articles: int
    seed: int = 5
    min_sentences: int = 5
    max_sentences: int = 10
    topical_share: float = 0.6  # share of sentences drawn from those that mention the article's topic

    def key(self, seed_hash: str) -> str:
        payload = json.dumps({**asdict(self), "generator": GENERATOR_VERSION, "seeds": seed_hash}, sort_keys=True)
        return f"{self.articles}-{hashlib.sha256(payload.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class SentencePool:
    """The seeds' sentences, and for each rules criterion the ones that mention it."""

    sentences: tuple[str, ...]
    by_topic: dict[str, tuple[str, ...]]
    topics: tuple[Criterion, ...]


_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_ABBREVIATION_END = ("etc.", "e.g.", "i.e.", "vs.", "approx.", "v.")


def _usable(text: str) -> bool:
    # Whole sentences only, ending where the splitter ends them, so the generated text splits back into exactly
    # the sentences it was made of ("...like:" or "... etc." would run into the next one).
    words = len(text.split())
    return (5 <= words <= 60 and not text.startswith("http") and bool(_ENDS_SENTENCE.search(text))
            and not text.endswith(_ABBREVIATION_END))


def build_pool(seeds: Sequence[Article], topics: Sequence[Criterion]) -> SentencePool:
    """Every usable sentence of the seeds (verbatim, deduplicated, in seed order) grouped by the topics they cite."""
    seen: dict[str, None] = {}
    for article in seeds:
        for sentence in split_sentences(article.text):
            if not sentence.is_heading and _usable(sentence.text):
                seen.setdefault(sentence.text, None)
    sentences = tuple(seen)
    by_topic: dict[str, tuple[str, ...]] = {}
    for criterion in topics:
        phrases = [re.escape(p.lower()) for p in criterion.evidence]
        pattern = re.compile(r"\b(?:" + "|".join(phrases) + r")\b")
        by_topic[criterion.id] = tuple(s for s in sentences if pattern.search(s.lower()))
    return SentencePool(sentences, by_topic, tuple(topics))


def synthetic_article(pool: SentencePool, params: GeneratorParams, number: int, salt: str = "") -> Article:
    """Article `number` of the library: a topic, a title that says it is synthetic, seed sentences in paragraphs."""
    rng = random.Random(f"stackpick-bench:{params.seed}:{number}:{salt}")
    topic = pool.topics[rng.randrange(len(pool.topics))]
    use_case = rng.choice(topic.examples)
    topical = pool.by_topic.get(topic.id) or pool.sentences
    count = rng.randint(params.min_sentences, params.max_sentences)
    chosen: list[str] = []
    words = 0
    while len(chosen) < count or words < MIN_WORDS:
        source = topical if rng.random() < params.topical_share else pool.sentences
        fresh = [s for s in source if s not in chosen] or [s for s in pool.sentences if s not in chosen]
        sentence = rng.choice(fresh)
        chosen.append(sentence)
        words += len(sentence.split())
    paragraphs: list[str] = []
    i = 0
    while i < len(chosen):
        size = rng.randint(2, 4)
        paragraphs.append(" ".join(chosen[i : i + size]))
        i += size
    suffix = f"-{hashlib.sha1(salt.encode()).hexdigest()[:6]}" if salt else ""
    return Article(
        id=f"syn{params.seed}-{number:05d}{suffix}",
        title=f"Synthetic benchmark article {number}: Node.js or Python, {use_case} ({SYNTHETIC_NOTE})",
        text="\n\n".join(paragraphs),
    )


def generate(seeds: Sequence[Article], topics: Sequence[Criterion], params: GeneratorParams) -> Iterator[Article]:
    """The library's articles in order; the same parameters and seeds always give the same articles."""
    pool = build_pool(seeds, topics)
    for number in range(params.articles):
        yield synthetic_article(pool, params, number)


def seed_hash(seed_dir: Path) -> str:
    return corpus_hash(load_library(seed_dir))[:12]


def ensure_library(root: Path, params: GeneratorParams, seed_dir: Path, rules_file: Path) -> Path:
    """The generated library folder under `root`, written once and reused while its parameters are unchanged."""
    seeds = load_library(seed_dir)
    folder = root / f"library-{params.key(corpus_hash(seeds)[:12])}"
    marker = folder / COMPLETE
    if marker.is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # a generation that was interrupted: start over
    criteria = load_rules(rules_file).criteria
    for article in generate(seeds, criteria, params):
        write_article(folder, article)
    marker.write_text(json.dumps(asdict(params)), encoding="utf-8")
    return folder


def extra_article(seed_dir: Path, rules_file: Path, params: GeneratorParams, salt: str) -> Article:
    """A new article of the same kind that no library holds (for timing `index add`); `salt` makes it unseen."""
    pool = build_pool(load_library(seed_dir), load_rules(rules_file).criteria)
    return synthetic_article(pool, params, params.articles, salt=salt)
