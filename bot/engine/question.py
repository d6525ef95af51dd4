"""Read a question: strip Slack markup, decide scope, and measure how strongly each criterion applies."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from knowledge.cues import SideNames
from knowledge.question_cues import QuestionCues, StemmedPhrases
from knowledge.question_model import QuestionModel, QuestionReading, question_features
from knowledge.question_text import cue_valence, direction, stem_words
from knowledge.rules import Criterion, Rules, SideId, other_technology_pattern, phrase_pattern

from .spelling import Speller

_USER_OR_CHANNEL = re.compile(r"<[@!](?:[^<>|]*)(?:\|[^<>]*)?>")  # <@U123>, <!channel>, <!subteam^S1|@team>
_CHANNEL_LINK = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^<>|]*)(?:\|([^<>]*))?>")
# Control, zero-width and bidi-override characters, and lone surrogates (a JSON "\\ud83d" escape decodes to one;
# it cannot be encoded as UTF-8, so the embedder and the Web API would fail on it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


class QuestionError(ValueError):
    """A question that cannot be analysed (empty after markup is removed)."""


def clean_question(raw: str) -> str:
    """Plain text of a question typed in Slack: mentions and broadcasts dropped, links to labels, entities decoded."""
    text = _USER_OR_CHANNEL.sub(" ", raw)
    text = _CHANNEL_LINK.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(text.split())


@dataclass
class Analysis:
    """What a question is about."""

    text: str  # the analysed (bounded) text
    in_scope: bool
    sides_named: set[SideId]
    others_named: list[str]
    relevance: dict[str, float] = field(default_factory=dict)
    lexical: dict[str, float] = field(default_factory=dict)
    kind: str = "answerable"  # answerable, chatter, other_tech or off_topic
    inverse: bool = False  # asks which side is worse ("which is harder to learn?"): the verdict names that side
    topic: str = ""  # the use case in the asker's words ("web scraper"); empty when the question names none
    named: set[str] = field(default_factory=set)  # criteria the question names outright (not merely resembles)
    topic_vector: np.ndarray | None = None  # the topic's own embedding, for finding the claims about it
    seen: bool = False  # the rules alone see a software question in it (a side, a stack, a criterion's words)
    precise: set[str] = field(default_factory=set)  # criteria named by a pattern or a keyword of several words
    loose: set[str] = field(default_factory=set)  # criteria only a one-word keyword names, the reader unconvinced
    together: bool = False  # asks about using both sides together ("can we just use both?")
    subject: str = ""  # what it asks the libraries or support for ("generating QR codes"), if it does
    covered: bool = True  # whether some criterion covers that subject
    guessed: str = ""  # the workload counted only as the reader's best guess (nothing else applied), if any

    def applicable(self, minimum: float) -> list[str]:
        return [cid for cid, r in sorted(self.relevance.items(), key=lambda kv: -kv[1]) if r >= minimum]


_TOPIC_WORD = re.compile(r"[A-Za-z][\w+#.-]*[\w+#]|[A-Za-z]")
# Words that make a question a choice without saying what for: what is left of a question without them (and the
# sides' names) is its topic. General English, not a list of any article's phrases.
_CHOICE_WORDS = frozenset([
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "anything", "are", "as", "at", "be",
    "because", "been", "best", "better", "between", "both", "but", "by", "can", "choice", "choose", "choosing",
    "could", "decide", "decision", "do", "does", "doing", "each", "either", "else", "especially", "for", "from",
    "get", "go", "going", "good", "great", "had", "has", "have", "help", "hey", "hi", "how", "i", "if", "in", "into",
    "is", "it", "its", "just", "kind", "know", "let", "like", "looking", "me", "mind", "more", "most", "my", "need",
    "needs", "new", "next", "no", "not", "now", "of", "on", "one", "or", "other", "our", "ours", "out", "pick",
    "picking", "please", "prefer", "rather", "really", "recommend", "recommendation", "right", "say", "should", "so",
    "some", "something", "start", "starting", "still", "suggest", "sure", "than", "thanks", "that", "the", "their",
    "them", "then", "there", "these", "they", "thing", "think", "this", "those", "to", "today", "use", "used",
    "using", "vs", "versus", "want", "wanted", "was", "we", "well", "were", "what", "when", "where", "whether",
    "which", "while", "who", "why", "will", "with", "would", "yeah", "yes", "you", "your", "build", "building",
    "built", "make", "making", "write", "writing", "backend", "backends", "back-end", "server", "server-side",
    "stack", "tech", "language", "languages", "runtime", "runtimes", "framework", "frameworks", "platform", "option",
    "options", "go-to", "app", "apps", "application", "applications", "project", "projects", "service", "services",
    "system", "systems", "software", "code", "tool", "tools", "one", "ones", "thoughts", "opinion", "opinions",
    "advice", "team", "honestly", "overall", "generally", "actually", "basically", "seriously", "ultimately",
    "anyone", "folks", "guys", "question", "quick", "general", "ok", "okay", "hmm", "please",
])


_SENTENCE = re.compile(r"[^.?!\n]+[?]|[^.?!\n]+[.!]?$")
FOCUS_FROM = 280  # characters: a message this long gets its question sentences embedded on their own too


def focus_of(text: str) -> str:
    """The question sentences of a long message (those ending in '?', else the last one); '' for a short one."""
    if len(text) < FOCUS_FROM:
        return ""
    questions = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip().endswith("?")]
    if not questions:
        parts = [p.strip() for p in re.split(r"(?<=[.!])\s+", text) if p.strip()]
        questions = parts[-1:]
    return " ".join(questions[:3])


def topic_of(text: str, names: SideNames) -> str:
    """The words of a question that say what it is for, in order, without the sides' names or choice words."""
    cut = text
    for start, end, _ in reversed(names.spans(text)):
        cut = cut[:start] + " " + cut[end:]
    words = [w for w in _TOPIC_WORD.findall(cut) if w.lower().strip(".") not in _CHOICE_WORDS and len(w) > 1]
    return " ".join(words[:8])


# Two capitalised names offered as the choice: "Postgres or MongoDB", "Kafka vs RabbitMQ".
_CHOICE_OF_NAMES = re.compile(r"(?<![\w.])([A-Z][\w.+#-]*)\s+(?:or|vs\.?|versus)\s+([A-Z][\w.+#-]*)")
_NOT_NAMES = frozenset(["I", "Which", "What", "Is", "Are", "Should", "Do", "Does", "Can", "Would", "Or", "And", "The"])


def _alternatives(text: str) -> list[tuple[str, str]]:
    """Pairs of capitalised names a question offers as the choice (in text that is not all capitals)."""
    if text.isupper():
        return []
    return [(a, b) for a, b in _CHOICE_OF_NAMES.findall(text) if a not in _NOT_NAMES and b not in _NOT_NAMES]


class QuestionAnalyzer:
    """Scope, kind and criterion relevance: the rules, the criteria's example vectors, and a learned reader."""

    def __init__(self, rules: Rules, example_vectors: dict[str, np.ndarray], model: QuestionModel | None = None,
                 speller: Speller | None = None) -> None:
        self.rules = rules
        self.speller = speller
        # Every criterion's examples in one matrix, each criterion's rows one run (np.maximum.reduceat takes each
        # run's best). A trait, what the team knows, is stated, never guessed from similar wording: left out.
        runs = [(c.id, example_vectors[c.id]) for c in rules.criteria
                if not c.trait and len(example_vectors.get(c.id, []))]
        self._examples = np.concatenate([v for _, v in runs]).astype(np.float32) if runs else None
        self._example_ids = [cid for cid, _ in runs]
        self._example_starts = np.cumsum([0] + [len(v) for _, v in runs[:-1]], dtype=np.int64)
        self.model = model
        self.cues = QuestionCues(rules)
        # Each criterion's evidence phrases of several words ("image processing", "scientific computing"): what the
        # rules know a subject by, beside the keywords.
        self._evidence = {c.id: StemmedPhrases([e for e in c.evidence if len(e.split()) > 1]) for c in rules.criteria}
        forms = sorted({k for c in rules.criteria if c.subject_follows for k in c.keywords}, key=len, reverse=True)
        # "libraries for generating QR codes", "support for HTTP/3": a form word, a link, then what it is about.
        self._subject = (re.compile(r"\b(?:" + "|".join(re.escape(f) for f in forms) + r")\s+(?:for|to|with)\s+"
                                    r"([^.?!;,:()]+)", re.IGNORECASE) if forms else None)
        self._others = other_technology_pattern(rules.scope)
        self._generic = phrase_pattern(rules.scope.generic_cues)
        self._choice = phrase_pattern(rules.scope.choice_cues)
        self._valence = cue_valence(rules)

    def bounded(self, text: str) -> str:
        """The prefix of a very long question that is analysed (cut at a word boundary)."""
        limit = self.rules.thresholds.analysis_chars
        if len(text) <= limit:
            return text
        cut = text[:limit]
        return cut[: cut.rfind(" ")] if " " in cut else cut

    def spelled(self, text: str) -> str:
        """The question as it is read: typos of the words the rules use put right ("pythn performace")."""
        return self.speller.correct(text) if self.speller is not None else text

    def subject_of(self, text: str) -> str:
        """What a question asks the libraries or support for ("generating QR codes"), without the sides' names and
        choice words; '' when it asks about them in general ("which has better libraries?")."""
        found = self._subject.search(text) if self._subject else None
        return topic_of(found.group(1), self.names(found.group(1))) if found else ""

    def plain_question(self, subject: str) -> str:
        """A subject asked about as the reader knows questions: "Node.js or Python for generating QR codes?"."""
        return f"{self.rules.sides['node'].label} or {self.rules.sides['python'].label} for {subject}?"

    def covers(self, read: Analysis, subject: str) -> set[str]:
        """The criteria other than the form words' own that a subject turns on: as its plain question reads, or as
        the rules' own phrases for a criterion name it ("image processing" is evidence of data and ML)."""
        stems = stem_words(subject)
        known = {cid for cid, phrases in self._evidence.items() if phrases.search(stems)}
        return {cid for cid, value in read.relevance.items()
                if (value >= SUBJECT_FLOOR or cid in known) and not self.rules.criterion(cid).subject_follows}

    def names(self, text: str) -> SideNames:
        """The sides' names in a question: one that names either side also means it by "node" or "py"."""
        return SideNames(self.rules, text, every_side=True)

    def _heard(self, lexical: float, criterion: Criterion, reading: QuestionReading | None) -> float:
        """A one-word keyword's relevance as the learned reader hears it: a word in another sense ("small" in "a
        small warehouse robot", "models" in "request models", "libraries" in "libraries for PDF invoices") counts
        for less when the reader, which saw such words in context, finds the criterion unlikely. A question pattern
        or a keyword of several words ("cold starts", "machine learning") is precise and counts as it is."""
        if reading is None or lexical >= 1.0 or not lexical:
            return lexical
        agree = min(1.0, reading.criteria.get(criterion.id, 0.0) / KEYWORD_AGREE)
        return lexical * (KEYWORD_MIN + (1.0 - KEYWORD_MIN) * agree)

    def _semantic(self, vectors: list[np.ndarray]) -> dict[str, float]:
        """Relevance of each criterion from the question's closest example (one product for all the examples)."""
        if not vectors or self._examples is None:
            return {}
        t = self.rules.thresholds
        similarity = np.max(self._examples @ np.stack(vectors).T, axis=1)
        # One reduction over the criteria's runs of rows, and plain floats after: per-criterion numpy calls on
        # scalars cost a warm answer about a millisecond.
        best = np.maximum.reduceat(similarity, self._example_starts).tolist()
        span = t.relevance_ceiling - t.relevance_floor
        return {cid: min(1.0, max(0.0, (sim - t.relevance_floor) / span))
                for cid, sim in zip(self._example_ids, best, strict=True)}

    def _learned(self, criterion: Criterion, reading: QuestionReading | None) -> float:
        """Relevance from the learned reader: its probability, rescaled so that only a confident reading counts."""
        if reading is None:
            return 0.0
        p = reading.criteria.get(criterion.id, 0.0)
        return min(1.0, max(0.0, (p - LEARNED_FLOOR) / (1.0 - LEARNED_FLOOR))) * LEARNED_CEILING

    def _best_guess(self, relevance: dict[str, float], reading: QuestionReading | None) -> str:
        """When nothing else applies, the workload the reader finds likeliest counts, just, if the reader gives it
        at least GUESS_FLOOR: "satellite imagery analysis" or "a plagiarism checker" names no criterion's words, and a
        reader at 0.3 for data or scientific work is still the best reading there is, better than saying the library
        has nothing on it. Only a workload: a guessed trait or quality would answer what was not asked. Returns the
        workload guessed ('' for none), so that the answer can say it is a guess."""
        minimum = self.rules.thresholds.min_relevance
        if reading is None or GUESS_FLOOR >= 1.0 or max(relevance.values(), default=0.0) >= minimum:
            return ""
        workloads = [c.id for c in self.rules.criteria if c.workload]
        best = max(workloads, key=lambda cid: reading.criteria.get(cid, 0.0), default=None)
        if best is None or reading.criteria.get(best, 0.0) < GUESS_FLOOR:
            return ""
        relevance[best] = minimum
        return best

    def analyse(self, text: str, vector: np.ndarray | None, focus: np.ndarray | None = None,
                guess: bool = True) -> Analysis:
        """Scope, kind and relevance for an already cleaned and bounded question.

        `vector` is its embedding; `focus` the embedding of a long message's question sentences, which the whole
        message's embedding (cut at the encoder's window) may miss. Without `guess`, no workload is guessed when
        nothing applies (a phrase read to see what it covers).
        """
        names = self.names(text)
        sides = names.sides(text)
        others = sorted({m.group(0) for m in self._others.finditer(text)}) if self._others else []
        words = self.cues.read(text, names)
        asked = focus_of(text)  # a long message's question sentences ('' for a short one)
        reading = None
        if self.model is not None and vector is not None:
            features = question_features(text, len(sides), len(others), self._valence,
                                         words.vector(self.model.criterion_ids))
            reading = self.model.read(vector, features, text)
            if focus is not None and asked:
                # The question sentences are read with their own words too: "What would you build it in?" after a
                # paragraph about what worries the team does not ask which side is worse.
                names_asked = self.names(asked)
                asked_features = question_features(asked, len(names_asked.sides(asked)), len(others), self._valence,
                                                   self.cues.read(asked, names_asked).vector(self.model.criterion_ids))
                reading = _both_readings(reading, self.model.read(focus, asked_features, asked))
        vectors = [v for v in (vector, focus) if v is not None]
        hits, phrases = words.hits, words.phrases
        lexical = {c.id: words.values.get(c.id, 0.0) for c in self.rules.criteria}
        lexical = {cid: value if cid in phrases else self._heard(value, self.rules.criterion(cid), reading)
                   for cid, value in lexical.items()}
        learned = {c.id: self._learned(c, reading) for c in self.rules.criteria}
        semantic = self._semantic(vectors)
        relevance = {c.id: round(max(lexical[c.id], semantic.get(c.id, 0.0), learned[c.id]), 3)
                     for c in self.rules.criteria}
        guessed = self._best_guess(relevance, reading) if guess else ""
        topic = topic_of(text, names)
        kind, seen = self._kind(text, sides, others, relevance, lexical, reading, topic)
        # Which way a comparison points is read where the question is asked: in a long message, its question
        # sentences ("What would you build it in?"), not the story before them ("the part I'm worried about").
        inverse = bool(reading and kind == "answerable"
                       and asks_for_worse(asked or text, self._valence, reading.inverse))
        together = bool(reading and kind == "answerable" and reading.both >= BOTH_FLOOR)
        floor = self.rules.thresholds.min_relevance
        # A one-word keyword the reader does not hear as its criterion, and nothing else backing it, names the form
        # of the question, not its subject: "libraries" in "libraries for generating QR codes" asks about QR codes.
        loose = {cid for cid, value in lexical.items()
                 if value and cid in hits - phrases and value < 1.0 and reading is not None
                 and reading.criteria.get(cid, 0.0) < KEYWORD_AGREE
                 and max(semantic.get(cid, 0.0), learned[cid]) < floor}
        return Analysis(text, kind == "answerable", sides, others, relevance, lexical, kind, inverse, topic,
                        named={cid for cid, value in lexical.items() if max(value, learned[cid]) >= NAMED_FLOOR},
                        seen=seen,
                        precise=phrases | {cid for cid, value in lexical.items() if value >= 1.0}, loose=loose,
                        together=together, guessed=guessed)

    def _kind(self, text: str, sides: set[SideId], others: list[str], relevance: dict[str, float],
              lexical: dict[str, float], reading: QuestionReading | None, topic: str) -> tuple[str, bool]:
        """The kind of message, and whether the rules alone see a software question in it."""
        if not re.search(r"[A-Za-z]{2,}", text):
            return "chatter", False  # nothing but symbols or emoji
        if others and not sides and (reading is None or reading.kinds["answerable"] < OTHER_SURE):
            # Another technology named and neither side: about that technology, unless the reader is sure the
            # question is ours and names it as what is being replaced ("replacing a COBOL system").
            return "other_tech", False
        if not sides and reading is not None and _alternatives(text) and reading.kinds["off_topic"] < 0.5:
            # "Postgres or MongoDB for user profiles?", "React or Vue for the dashboard?": a choice between two
            # named things, neither of them ours, is about other technologies whether or not the rules list them.
            return "other_tech", False
        generic = bool(self._generic and self._generic.search(text))
        choice = bool(self._choice and self._choice.search(text))
        keywords = max(lexical.values(), default=0.0)
        best = max(relevance.values(), default=0.0)
        floor = self.rules.thresholds.min_relevance if generic else self.rules.scope.min_relevance
        # What the rules see: a side named, a backend/stack choice asked for, a criterion the wording names, or a
        # bare "which is better?" that can only mean the two sides.
        rules_see = bool(
            sides or choice
            or (best >= floor and (generic or keywords > 0 or best >= 0.8))
            or (generic and not topic)
        )
        if reading is None:
            # Without the learned reader: a message with nothing to ask about ("thanks!", "lol") is chatter.
            return ("answerable" if rules_see else ("off_topic" if len(topic.split()) > 1 else "chatter")), rules_see
        if sides or keywords >= 1.0:
            # Naming a side, or a team by its stack ("our whole team is React people"), is strong evidence of a
            # software question; only a sure reader overrules it ("is a python or a boa the better pet?").
            return ("off_topic" if reading.kinds["off_topic"] >= SIDE_OVERRULE else "answerable"), True
        if reading.kinds["answerable"] >= ANSWERABLE_FLOOR:
            return "answerable", rules_see
        other = max((k for k in reading.kinds if k != "answerable"), key=lambda k: reading.kinds[k])
        # Where the rules see a question, the reader must be sure it is something else ("French or Spanish,
        # which is faster to learn?"). Where all they see is one-word keywords ("scale", "quick", "learn"), words
        # every kind of plan uses, the reader only has to find something else likelier ("an offsite that has to
        # scale to 40 people": not software). They see more than that when a criterion is read more strongly than
        # any keyword is, or a backend or a bare "which is better?" is asked for (a phrase returned above).
        beyond = best > keywords or generic or choice
        sure = OTHER_LEANS if keywords and not beyond else OTHER_SURE
        return ("answerable" if rules_see and reading.kinds[other] < sure else other), rules_see


# How the learned reader's probabilities count (chosen on the tune part of the question bank).
LEARNED_FLOOR = 0.3
LEARNED_CEILING = 0.9
ANSWERABLE_FLOOR = 0.5
OTHER_SURE = 0.85
OTHER_LEANS = 0.5  # ...when the rules see nothing but one-word keywords
# The reader's probability at which its best workload counts when nothing else applies: on the tune sets 0.2-0.3
# answered three more use cases (a plagiarism checker, a rent estimate, crunching spreadsheets) and lost none; 0.15
# lost one, 0.35-0.5 gained nothing.
GUESS_FLOOR = 0.25
NAMED_FLOOR = 0.8  # lexical or learned relevance at which a question names a criterion outright
SIDE_OVERRULE = 0.9
INVERSE_FLOOR = 0.5
KEYWORD_AGREE = 0.5  # the reader's probability at which a keyword counts fully
KEYWORD_MIN = 0.3  # what a keyword the reader is sure is used in another sense still counts (as a share)
INVERSE_SURE = 0.8  # with no word saying which way a comparison points
SUBJECT_FLOOR = 0.5  # relevance at which a criterion covers what "libraries for X" asks about: a clear reading
BOTH_FLOOR = 0.7  # the reader's probability at which a message asks about using both sides (it overrides the verdict)


_ASKS_WHICH = re.compile(r"\b(which|what|who|whose|where)\b", re.IGNORECASE)


def _both_readings(whole: QuestionReading, asked: QuestionReading) -> QuestionReading:
    """A long message read as a whole and by its question sentences: a criterion applies if either reading finds it
    ("which would you go with?" says nothing of the project the paragraphs before describe), the kind is the two
    readings' mean, and what is asked ("which is worse?", "could we use both?") is the question sentences' reading."""
    return QuestionReading(
        kinds={k: (p + asked.kinds[k]) / 2 for k, p in whole.kinds.items()},
        criteria={c: max(p, asked.criteria.get(c, 0.0)) for c, p in whole.criteria.items()},
        inverse=asked.inverse,
        both=asked.both,
    )


def asks_for_worse(text: str, valence: dict[str, float], learned: float) -> bool:
    """Whether a question asks which side is the worse one, so that the verdict names that side.

    Only a question that asks for a side ("which", "what") can: "Is Python a bad idea for chat?" is answered by
    the better side. The learned reader (`learned`: its probability) tells a comparison from a plain question but
    reads "easier" and "harder" alike, so the wording must agree: its comparison points to the worse side ("less
    mature", "more of a pain", "harder"), or says nothing either way ("eats more memory") and the reader is sure.
    """
    if learned < INVERSE_FLOOR or not _ASKS_WHICH.search(text):
        return False
    way = direction(text, valence)
    return way < 0 or (way == 0 and learned >= INVERSE_SURE)
