"""The README's pictures of each Slack surface, rendered from the real blocks of real answers.

    .venv/bin/python tests/render/slack/readme_surfaces.py           # print them (the served index, real model)
    .venv/bin/python tests/render/slack/readme_surfaces.py --write   # and replace them in README.md

`make readme-slack` runs the second. The blocks come from the same functions the bot posts with, fed by the
advisor over the index in STACKPICK_INDEX_DIR; bot.render.slack.preview turns them into text.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bot.engine import Advisor  # noqa: E402
from bot.render.slack.answer import answer_blocks, criterion_choices  # noqa: E402
from bot.render.slack.assessment import scorecard_modal  # noqa: E402
from bot.render.slack.channels import channel_config_blocks  # noqa: E402
from bot.render.slack.home import home_view  # noqa: E402
from bot.render.slack.ids import encode_value  # noqa: E402
from bot.render.slack.modals import feedback_reason_modal  # noqa: E402
from bot.render.slack.preview import blocks_to_text, view_to_text  # noqa: E402
from bot.services.channels import ChannelSettings  # noqa: E402
from bot.services.feedback import FeedbackStore  # noqa: E402
from bot.services.prompts import suggested_prompts  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.answering import status_text  # noqa: E402
from bot.slack.context import AppContext  # noqa: E402
from bot.slack.jobs import card_blocks  # noqa: E402
from bot.slack.listeners.assistant import GREETING, PROMPTS_TITLE  # noqa: E402

START, END = "<!-- slack-surfaces:start -->", "<!-- slack-surfaces:end -->"
QUESTION = "Node or Python for a real-time chat app?"
FOLLOW_UP = "what if our team only knows Python?"
DESCRIPTION = "IoT gateway that relays sensor data, the team knows JavaScript"
MODAL_ROWS = 3  # the scorecard modal has every criterion; the README shows its first few


def _fence(text: str) -> str:
    return f"```text\n{text.rstrip()}\n```"


def _head(text: str, lines: int, note: str) -> str:
    kept = text.splitlines()
    return "\n".join([*kept[:lines], f"  … {note}"]) if len(kept) > lines else text


def _modal_head(text: str) -> str:
    """The modal's title, summary and first criteria; the rest is summarized."""
    lines = text.splitlines()
    rows = [i for i, line in enumerate(lines) if re.match(r"^\*[^*]+\* · ", line)]
    if len(rows) <= MODAL_ROWS:
        return text
    return "\n".join([*lines[: rows[MODAL_ROWS]], f"  … {len(rows) - MODAL_ROWS} more criteria, then the sources"])


def surfaces(advisor: Advisor, settings: Settings) -> dict[str, str]:
    """Each surface's name and its text as a person sees it."""
    workdir = Path(tempfile.mkdtemp(prefix="stackpick-readme-"))
    store = FeedbackStore(workdir / "feedback.sqlite3")
    ctx = AppContext(settings=settings, advisor=advisor, librarian=None, feedback=store,
                     channels=ChannelSettings(store.engine))
    out: dict[str, str] = {}

    answer = advisor.ask(QUESTION)
    out["mention"] = _fence(f"@you: @stackpick {QUESTION}\n" + blocks_to_text(answer_blocks(answer)))

    rust = advisor.read("what about Rust though?", [QUESTION])
    follow = advisor.ask(FOLLOW_UP, context=[QUESTION])
    quiet = [
        "@ana: thanks!            (chatter: no reply)",
        "@ben: lol                (chatter: no reply)",
        f"@ben: what about Rust though?\n{rust.reply}",
        f"@ana: {FOLLOW_UP}",
        _head(blocks_to_text(answer_blocks(follow)), 3, "reasons, sources and buttons as above"),
    ]
    out["quiet"] = _fence("\n".join(quiet))

    share = encode_value({"k": "…", "t": "…", "q": answer.question})
    private = blocks_to_text(answer_blocks(answer, share_value=share))
    out["private"] = _fence("(only you can see this)\n" + _head(private, 4, "the same card, then:") + "\n"
                            + private.splitlines()[-1])

    assessment = advisor.assess(DESCRIPTION)
    card = card_blocks(ctx, assessment, True, {"d": assessment.question})
    out["assess"] = _fence(f"/stackpick {DESCRIPTION}\n(only you can see this)\n{blocks_to_text(card)}")
    out["scorecard"] = _fence(_modal_head(view_to_text(scorecard_modal(assessment))))

    prompts = suggested_prompts(advisor.rules)
    pane = [f"stackpick: {GREETING}", f"  {PROMPTS_TITLE}:", *(f"  [{p['title']}]  → “{p['message']}”"
                                                                for p in prompts),
            f"@you: {QUESTION}", f"  (thread titled “{QUESTION}”)",
            f"  (status: “{status_text(len(advisor.library_summary().articles))}”)",
            _head(blocks_to_text(answer_blocks(answer)), 3, "the answer, as in a channel")]
    out["pane"] = _fence("\n".join(pane))

    labels = {c.id: c.label for c in advisor.rules.criteria}
    criteria = [r.criterion for r in answer.reasons]
    out["feedback"] = _fence(view_to_text(feedback_reason_modal(criterion_choices(criteria, labels))))

    out["config"] = _fence("/stackpick config   (an admin, in #support)\n"
                           + blocks_to_text(channel_config_blocks("C0SUPPORT", "private")).replace(
                               "<#C0SUPPORT>", "#support"))
    home = view_to_text(home_view(advisor.library_summary(), is_admin=True, channel_settings=[]))
    out["home"] = _fence(_head(home, 12, "the library's articles, then (admins) the channel settings:") + "\n"
                         + "\n".join(home.splitlines()[-4:]))
    store.close()
    return out


SECTIONS = [
    ("mention", "**A mention** gets an hourglass reaction while it works, then a reply in the thread. Every [n] "
                "is listed under the divider with its title, author or publisher, date and link where the article "
                "states them; `[..]` are buttons (*Full assessment* opens the full scorecard, privately):"),
    ("quiet", "**Quiet threads.** In a thread stackpick answered, the engine reads each new message "
              "(`Advisor.read`) and the bot obeys: chatter gets nothing, another technology one line, a follow-up "
              "an answer that says what changed. Threads it did not answer cost nothing, not even a Web API call:"),
    ("private", "**A channel set to private answers** (`/stackpick config private`) gets the same card through "
                "`chat.postEphemeral`, with a *Share in channel* button that posts it in the thread:"),
    ("assess", "**`/stackpick <project description>`** acks at once and sends the assessment privately: the "
               "decisive reasons, the other criteria that apply (each named once, no internal weights), and the "
               "rest behind *Full scorecard*:"),
    ("scorecard", "**Full scorecard** (a modal): every criterion of the rules with its side, weight, relevance, "
                  "strength and quotes:"),
    ("pane", "**The assistant pane** (stackpick's entry in the sidebar): a greeting and prompts drawn from the "
             "rules' criterion examples, the thread titled by its question, a status while it works:"),
    ("feedback", "**👎** asks which reason was wrong, offering the answer's criteria; `stackpick feedback` then "
                 "reports votes by criterion:"),
    ("config", "**`/stackpick config`** (admins): how stackpick answers in this channel, with a picker:"),
    ("home", "**App Home**: what stackpick does, the library, and for admins the channel settings:"),
]


def markdown(advisor: Advisor, settings: Settings) -> str:
    rendered = surfaces(advisor, settings)
    parts = ["_Rendered from the real blocks by `make readme-slack` (tests/render/slack/readme_surfaces.py)._"]
    for key, intro in SECTIONS:
        parts += [intro, rendered[key]]
    return "\n\n".join(parts)


def write_readme(text: str, readme: Path = ROOT / "README.md") -> None:
    source = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(source):
        raise SystemExit(f"{readme} has no {START} … {END} section")
    readme.write_text(pattern.sub(lambda _: f"{START}\n{text}\n{END}", source), encoding="utf-8")


def main(argv: list[str]) -> None:
    settings = Settings()
    text = markdown(Advisor.from_settings(settings), settings)
    if "--write" in argv:
        write_readme(text)
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])


__all__: list[Any] = ["END", "START", "markdown", "surfaces", "write_readme"]
