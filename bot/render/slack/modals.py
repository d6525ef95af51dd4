"""The forms: the project's traits (questions from the rules), the admin's "Add article", and the 👎 follow-up."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.answer import FormQuestion

from .ids import ADD_ARTICLE_MODAL, FEEDBACK_MODAL, TEXT_PARTS, TRAITS_MODAL
from .primitives import MAX_PRIVATE_METADATA, MAX_REASONS, option, plain, section


def traits_modal(questions: Sequence[FormQuestion], private_metadata: str = "") -> View:
    """The form behind `/stackpick` with no text: the rules' trait questions, then free-text notes."""
    return View(
        type="modal",
        callback_id=TRAITS_MODAL,
        title=plain("Assess a project", 24),
        submit=plain("Assess", 24),
        close=plain("Cancel", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=[
            *(_trait_input(q) for q in questions),
            InputBlock(
                block_id="notes",
                label=plain("Anything else?", 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id="notes",
                    multiline=True,
                    max_length=1000,
                    placeholder=plain("e.g. a dashboard with live charts and anomaly detection", 150),
                ),
            ),
        ],
    )


def _trait_input(question: FormQuestion) -> InputBlock:
    options = [option(o.id, o.label) for o in question.options]
    initial = next((o for o in options if o.value == question.initial), None)
    element: CheckboxesElement | RadioButtonsElement | StaticSelectElement
    if question.kind == "checkboxes":
        element = CheckboxesElement(action_id=question.id, options=options)
    elif question.kind == "radio":
        element = RadioButtonsElement(action_id=question.id, options=options, initial_option=initial)
    else:
        element = StaticSelectElement(action_id=question.id, options=options, initial_option=initial)
    # `optional` only when set: Slack reads a missing key as required, and the form's JSON stays as it was.
    return InputBlock(block_id=question.id, label=plain(question.label, 2000),
                      optional=True if question.optional else None, element=element)


def add_article_modal(private_metadata: str = "") -> View:
    """The admin's form to paste an article: title, source URL, date and text."""
    text_inputs = [
        InputBlock(
            block_id=f"text_{part}",
            label=plain("Article text" if part == 1 else f"Article text, continued ({part}/{TEXT_PARTS})", 2000),
            optional=part > 1,
            hint=plain("Paste the text. Longer than 3,000 characters? Continue in the next box.", 2000)
            if part == 1
            else None,
            element=PlainTextInputElement(action_id="text", multiline=True, max_length=3000),
        )
        for part in range(1, TEXT_PARTS + 1)
    ]
    return View(
        type="modal",
        callback_id=ADD_ARTICLE_MODAL,
        title=plain("Add an article", 24),
        submit=plain("Add", 24),
        close=plain("Cancel", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=[
            InputBlock(
                block_id="title",
                label=plain("Title", 2000),
                optional=True,
                element=PlainTextInputElement(action_id="title", max_length=300),
            ),
            InputBlock(
                block_id="url",
                label=plain("Source URL", 2000),
                optional=True,
                element=UrlInputElement(action_id="url"),
            ),
            InputBlock(
                block_id="date",
                label=plain("Published", 2000),
                optional=True,
                element=DatePickerElement(action_id="date"),
            ),
            *text_inputs,
            InputBlock(
                block_id="force",
                label=plain("Duplicates", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id="force", options=[option("force", "Add even if a similar article is in the library")]
                ),
            ),
        ],
    )


def feedback_reason_modal(choices: Sequence[tuple[str, str]], private_metadata: str = "") -> View:
    """After a 👎: which of the answer's reasons (its criteria) was wrong, and anything else the user wants to say.

    `choices` are (criterion id, label) pairs; the id is what is stored with the vote.
    """
    blocks: list[Block] = [section("Thanks. Which reason was wrong? Both questions are optional.")]
    if choices:
        blocks.append(
            InputBlock(
                block_id="reasons",
                label=plain("Reasons that were wrong", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id="reasons",
                    options=[option(cid, label) for cid, label in list(choices)[:MAX_REASONS]],
                ),
            )
        )
    blocks.append(
        InputBlock(
            block_id="comment",
            label=plain("What should the answer have said?", 2000),
            optional=True,
            element=PlainTextInputElement(action_id="comment", multiline=True, max_length=2000),
        )
    )
    return View(
        type="modal",
        callback_id=FEEDBACK_MODAL,
        title=plain("What was wrong?", 24),
        submit=plain("Send", 24),
        close=plain("Skip", 24),
        private_metadata=private_metadata[:MAX_PRIVATE_METADATA],
        blocks=blocks,
    )
