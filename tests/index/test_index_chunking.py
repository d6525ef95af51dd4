"""Chunking: property tests (hypothesis) for exact offsets, the model window, order and coverage, plus the seeds."""

from __future__ import annotations

import itertools
import re
import statistics

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.chunking import MODEL_WINDOW, chunk_article, sentence_units
from knowledge.corpus import Article, load_library
from knowledge.sentences import _BULLET, split_sentences

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK_PROPERTY = settings(PROPERTY, max_examples=40)

WORDS = st.sampled_from(
    ["Node.js", "Python", "is", "fast", "slower", "the", "e.g.", "vs.", "Django", "I/O", "real-time", "3.14",
     "ünïcödé", "naïve", "日本語の文章", "Ελληνικά", "🙂", "—", "(aside)", "“quoted”", "'single'", "co-op"]
)
ENDINGS = st.sampled_from([".", "!", "?", ".”", '."', ".)", "", ":", ";"])
LONG_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=150, max_size=1500)
URL = st.builds(
    lambda path: f"https://example.com/{path}?q=1&r=2", st.text(alphabet="abcdefgh/-_", min_size=0, max_size=600)
)
ODD = st.text(min_size=1, max_size=12)  # anything unicode can produce, control characters included


@st.composite
def sentences(draw: st.DrawFn) -> str:
    """A sentence: mostly ordinary words, sometimes very long ones, URLs or arbitrary unicode."""
    size = draw(st.sampled_from([1, 3, 8, 20, 60, 150]))
    words = draw(st.lists(st.one_of(WORDS, WORDS, WORDS, LONG_WORD, URL, ODD), min_size=1, max_size=size))
    text = " ".join(words)
    if draw(st.booleans()):
        text = text[:1].upper() + text[1:]
    return text + draw(ENDINGS)


SEPARATORS = st.sampled_from([" ", " ", "\n", "\n\n", "\n• ", " • ", "\n- ", "\n1. ", "\t", "\r\n"])


@st.composite
def article_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(SEPARATORS, sentences()), min_size=0, max_size=25))
    return draw(st.sampled_from(["", " ", "• ", "\n"])) + "".join(sep + s for sep, s in parts)


# A passage boundary that falls after a long sentence closed by a quote (found by the property below).
QUOTED_BOUNDARY = (
    "He said “" + " ".join(["Node handles many connections"] * 30) + ".” "
    + " ".join(["Python is good for data"] * 30) + "."
)


def list_markers(text: str) -> set[int]:
    """Offsets of list markers ("• ", "- ", "1. " at a line start, a lone "•" mid-line): formatting, not content."""
    marked: set[int] = set()
    offset = 0
    for line in text.split("\n"):
        match = _BULLET.match(line)
        if match:
            marked.update(range(offset, offset + match.end()))
        offset += len(line) + 1
    marked.update(m.start() for m in re.finditer("•", text))
    return marked


@PROPERTY
@given(text=article_texts())
@example(text=QUOTED_BOUNDARY)
@example(text="")
@example(text="x" * 5000)
def test_passages_map_back_fit_the_window_and_cover_the_text(text: str, token_counter) -> None:
    article = Article(id="t1", text=text)
    passages = chunk_article(article, token_counter)
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    covered = list_markers(text)
    for p in passages:
        assert article.text[p.start : p.end] == p.text
        assert p.article_id == "t1" and p.id.startswith("t1:")
        assert p.text.strip(), "an empty passage"
        assert p.tokens == token_counter.count(p.text) <= MODEL_WINDOW
        covered.update(range(p.start, p.end))
    for before, after in itertools.pairwise(passages):
        assert before.start < after.start, "passages out of order"
        assert before.end < after.end, "a passage adds nothing to the one before it"
    lost = [(i, text[i]) for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert lost == [], f"characters in no passage: {lost[:5]}"


@QUICK_PROPERTY
@given(text=article_texts())
def test_chunk_ids_and_offsets_are_stable_across_runs(text: str, token_counter) -> None:
    first = chunk_article(Article(id="t1", text=text), token_counter)
    second = chunk_article(Article(id="t1", text=text), token_counter)
    assert first == second
    # ids are content-addressed: the same passage text in another article keeps its hash part
    other = chunk_article(Article(id="t2", text=text), token_counter)
    assert [p.id.split(":", 1)[1] for p in first] == [p.id.split(":", 1)[1] for p in other]


@QUICK_PROPERTY
@given(text=article_texts())
def test_sentences_and_units_map_back_exactly(text: str, token_counter) -> None:
    article = Article(id="t1", text=text)
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text and sentence.text == sentence.text.strip()
    previous = 0
    for unit in sentence_units(article, token_counter):
        assert text[unit.start : unit.end] == unit.text
        assert token_counter.count(unit.text) <= MODEL_WINDOW
        assert unit.start >= previous
        previous = unit.end


def test_an_unchanged_passage_keeps_its_id_when_text_is_appended(token_counter, library_dir) -> None:
    seed = load_library(library_dir)[3]
    before = chunk_article(seed, token_counter)
    longer = seed.model_copy(update={"text": seed.text + "\n\nA closing remark about Python and Node.js."})
    after = chunk_article(longer, token_counter)
    assert [p.id for p in before[:-1]] == [p.id for p in after[: len(before) - 1]]


def test_seed_passages_fit_the_window_and_mostly_hit_the_target(token_counter, library_dir) -> None:
    passages = [p for a in load_library(library_dir) for p in chunk_article(a, token_counter)]
    sizes = sorted(p.tokens for p in passages)
    assert len(passages) >= 25
    assert max(sizes) <= MODEL_WINDOW, sizes
    assert statistics.median(sizes) >= 80, sizes
    in_target = sum(80 <= s <= 200 for s in sizes) / len(sizes)
    assert in_target >= 0.8, f"only {in_target:.0%} of passages within 80-200 tokens: {sizes}"


def test_seed_passages_overlap_by_at_most_one_sentence(token_counter, library_dir) -> None:
    for article in load_library(library_dir):
        passages = chunk_article(article, token_counter)
        for before, after in itertools.pairwise(passages):
            shared = article.text[after.start : before.end] if after.start < before.end else ""
            assert len(split_sentences(shared)) <= 1, (article.id, shared)


def test_each_passage_adds_text_beyond_the_previous_one(token_counter) -> None:
    # A short sentence, then two sentences of ~100 tokens: the first passage holds the short one and the first long
    # one; stepping back one sentence must not produce a second passage that is just that long sentence again.
    first_long = " ".join(["Node handles many concurrent connections well"] * 14) + "."
    second_long = " ".join(["Python suits data science and machine learning"] * 14) + "."
    text = f"A short opening. {first_long} {second_long}"
    assert 80 <= token_counter.count(first_long) <= 120 and 80 <= token_counter.count(second_long) <= 120
    passages = chunk_article(Article(id="t1", text=text), token_counter)
    spans = [(p.start, p.end) for p in passages]
    for (_, before_end), (_, after_end) in itertools.pairwise(spans):
        assert after_end > before_end, f"a passage lies inside the one before it: {spans}"
    assert passages[-1].text.endswith(second_long)


def test_a_sentence_longer_than_the_window_is_cut_at_word_boundaries(token_counter) -> None:
    text = " ".join(f"word{i}" for i in range(900)) + "."
    passages = chunk_article(Article(id="t1", text=text), token_counter)
    assert len(passages) >= 4
    for p in passages:
        assert p.tokens <= MODEL_WINDOW
        assert not text[p.start - 1 : p.start].strip() if p.start else True, "cut inside a word"
    assert passages[-1].text.endswith("word899.")


def test_a_passage_is_embedded_under_its_title_and_section_heading(token_counter) -> None:
    filler = " ".join(["The service answers every request from a cache in front of the database."] * 12)
    text = f"# Hosting costs\n\n{filler}\n\n## Hiring\n\n{filler} Recruiters report it either way."
    passages = chunk_article(Article(id="h1", title="Two runtimes compared", text=text), token_counter)
    last = passages[-1]
    assert last.header == "Two runtimes compared. Hiring"
    assert last.embedding_text == f"{last.header}. {last.text}"
    assert text[last.start : last.end] == last.text and "Two runtimes" not in last.text  # the quote stays verbatim
    # a passage's id follows what is embedded: the same words under a renamed section are embedded anew
    renamed = chunk_article(Article(id="h1", title="Two runtimes compared", text=text.replace("## Hiring",
                                                                                             "## Staffing")),
                            token_counter)
    assert renamed[-1].header.endswith("Staffing") and renamed[-1].id != last.id


def test_an_untitled_article_without_headings_is_embedded_as_written(token_counter) -> None:
    passages = chunk_article(Article(id="h2", text="Python reads like prose. Node.js shares one language."),
                             token_counter)
    assert [p.header for p in passages] == [""] and passages[0].embedding_text == passages[0].text


def test_a_long_header_is_cut_at_a_word_boundary_within_the_limit() -> None:
    from index.chunking import HEADER_CHARS, passage_header

    words = passage_header("Node.js versus Python " * 20, "Hiring")
    assert len(words) <= HEADER_CHARS and words.endswith("Python") and not words.endswith(" ")
    unbroken = passage_header("x" * 400, "")  # a title with no space to cut at (a URL, a slug)
    assert unbroken == "x" * HEADER_CHARS
