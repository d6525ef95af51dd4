"""Modal submissions: project traits, the admin's "Add article" form, and the 👎 follow-up."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answer import FormQuestion
from bot.engine import ProjectTraits, TraitsError
from bot.engine.traits import answers_from_form
from bot.render.slack.ids import ADD_ARTICLE_MODAL, FEEDBACK_MODAL, TEXT_PARTS, TRAITS_MODAL, decode_value
from bot.slack.context import NO_LIBRARIAN, AppContext
from bot.slack.jobs import assessment_from_traits, run_curation
from bot.slack.replies import post

log = logging.getLogger("stackpick.slack")

State = dict[str, dict[str, dict[str, Any]]]


def _state(view: dict[str, Any]) -> State:
    return dict((view.get("state") or {}).get("values") or {})


def _text(state: State, block: str, action: str | None = None) -> str:
    return str((state.get(block, {}).get(action or block) or {}).get("value") or "").strip()


def _selected(state: State, block: str, action: str | None = None) -> list[str]:
    element = state.get(block, {}).get(action or block) or {}
    if element.get("selected_option"):
        return [element["selected_option"]["value"]]
    return [option["value"] for option in element.get("selected_options") or []]


def traits_from_state(state: State, questions: list[FormQuestion]) -> dict[str, object]:
    """The traits form's answers, flat as `ProjectTraits.read` takes them (Slack enforces the required fields)."""
    picked = {q.id: _selected(state, q.id) for q in questions}
    return {**answers_from_form(questions, picked), "notes": _text(state, "notes")}


def register(app: App, ctx: AppContext) -> None:
    @app.view(TRAITS_MODAL)
    def on_traits(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            traits = ProjectTraits.read(ctx.advisor.rules, traits_from_state(_state(view), ctx.advisor.form()))
        except TraitsError as error:
            log.warning("traits form rejected: %s", error)
            ack(response_action="errors", errors={error.trait: "Please choose one of the options."})
            return
        ack()  # closes the form; the scorecard arrives in the user's DM with the app
        user = body.get("user", {}).get("id", "")
        channel = str(decode_value(view.get("private_metadata")).get("c") or "")
        ctx.submit(
            ctx.jobs,
            "assessing traits",
            assessment_from_traits,
            ctx=ctx,
            client=client,
            traits=traits,
            user=user,
            channel=channel,
        )

    @app.view(ADD_ARTICLE_MODAL)
    def on_add_article(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body.get("user", {}).get("id", "")
        state = _state(view)
        text = "\n\n".join(p for p in (_text(state, f"text_{i}", "text") for i in range(1, TEXT_PARTS + 1)) if p)
        date = str((state.get("date", {}).get("date") or {}).get("selected_date") or "") or None
        errors = {}
        if not text:
            errors["text_1"] = "Paste the article's text."
        if date and date > dt.date.today().isoformat():
            errors["date"] = "The publication date is in the future."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        refusal = ctx.curation_refusal(user)
        librarian = ctx.librarian
        if refusal is not None or librarian is None:
            # The form is only offered to admins, but a forged submission must not slip through.
            post(client, user, refusal or NO_LIBRARIAN)
            return
        title = _text(state, "title") or None
        url = _text(state, "url") or None
        force = "force" in _selected(state, "force")
        ctx.submit(
            ctx.curation,
            "add the pasted article",
            run_curation,
            ctx=ctx,
            client=client,
            user=user,
            what="add the pasted article",
            action=lambda: librarian.add_text(title, url, date, text, force=force),
        )

    @app.view(FEEDBACK_MODAL)
    def on_feedback_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        state = _state(view)
        element = state.get("reasons", {}).get("reasons") or {}
        picked = [(str(o.get("value") or ""), str((o.get("text") or {}).get("text") or ""))
                  for o in element.get("selected_options") or []]
        # Only criteria of the rules are stored: the options' values come back from Slack, but could be forged.
        known = {c.id for c in ctx.advisor.rules.criteria}
        wrong = [cid for cid, _ in picked if cid in known]
        comment = _text(state, "comment")
        reason = "; ".join([*(f"wrong: {label}" for cid, label in picked if cid in known),
                            *([comment] if comment else [])])
        if not reason:
            return
        feedback_id = decode_value(view.get("private_metadata")).get("f")
        try:
            if not isinstance(feedback_id, int) or not ctx.feedback.add_reason(feedback_id, reason, wrong=wrong):
                log.warning("feedback reason without a vote to attach to (user=%s)", body.get("user", {}).get("id"))
        except Exception:
            log.exception("storing the feedback reason failed (user=%s)", body.get("user", {}).get("id"))
