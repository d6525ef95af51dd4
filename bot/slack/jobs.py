"""The slow half of each listener, run in the background after the ack: assess, share, curate (questions are
answered by bot.slack.answering)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answer import Assessment
from bot.engine import ProjectTraits, QuestionError
from bot.render.slack.assessment import assessment_blocks, assessment_fallback_text
from bot.render.slack.curation import curation_report_text
from bot.render.slack.escape import escape, escape_clip
from bot.render.slack.ids import encode_value
from bot.render.slack.primitives import APOLOGY
from bot.slack.context import AppContext, responder
from bot.slack.replies import apologize, post, respond
from index.store import IndexUnavailable
from knowledge.ingest import IngestError, check_source

if TYPE_CHECKING:
    from bot.answer import AddReport

log = logging.getLogger("stackpick.slack")

# --------------------------------------------------------------------------------------------------------------
# Assessments


def scorecard_value(key: str, value: dict[str, Any]) -> str:
    """The "Full scorecard" button's value: the shown assessment's key, and how to make it again after a restart."""
    return encode_value({"k": key, **value}, shrink="d")


def card_blocks(ctx: AppContext, assessment: Assessment, shareable: bool, value: dict[str, Any],
                shared_by: str | None = None) -> list[Any]:
    """The assessment card with its buttons' values (the modal and the share both find this exact assessment)."""
    key = ctx.recent.put(assessment)
    return assessment_blocks(assessment, shareable, share_value=encode_value({"k": key, **value}, shrink="d"),
                             scorecard_value=scorecard_value(key, value), shared_by=shared_by,
                             min_relevance=ctx.advisor.rules.thresholds.min_relevance)


def assessment_to_response_url(*, ctx: AppContext, description: str, response_url: str, user: str) -> None:
    """`/stackpick <description>`: the scorecard, visible only to the caller, with a "Share in channel" button."""
    webhook = responder(response_url)
    try:
        assessment = ctx.advisor.assess(description)
        respond(
            webhook,
            response_type="ephemeral",
            text=assessment_fallback_text(assessment),
            blocks=card_blocks(ctx, assessment, True, {"d": assessment.question}),
            unfurl_links=False,
        )
    except Exception as error:
        log.exception("assessment via response_url failed (user=%s)", user)
        text = f"{escape(str(error))}" if isinstance(error, QuestionError) else APOLOGY
        try:
            webhook.send(response_type="ephemeral", text=text)
        except Exception:
            log.exception("could not send the apology to response_url either (user=%s)", user)


def assessment_from_traits(
    *, ctx: AppContext, client: WebClient, traits: ProjectTraits, user: str, channel: str
) -> None:
    """The traits form: the scorecard goes to the user's DM with the app, shareable to the channel it came from."""
    try:
        assessment = ctx.advisor.assess_traits(traits)
        blocks = card_blocks(ctx, assessment, bool(channel), {"c": channel, "t": traits.to_value(), "d": ""})
        post(client, user, assessment_fallback_text(assessment), blocks)
    except Exception:
        log.exception("assessment from traits failed (user=%s, channel=%s)", user, channel)
        apologize(client, user)


def share_assessment(
    *, ctx: AppContext, client: WebClient, value: dict[str, Any], user: str, response_url: str | None, channel: str
) -> None:
    """ "Share in channel": post the same scorecard for everyone, then remove the private copy when we can."""
    try:
        assessment = find_assessment(ctx, value)
        blocks = card_blocks(ctx, assessment, False, {k: v for k, v in value.items() if k != "k"}, shared_by=user)
        text = assessment_fallback_text(assessment)
        target = value.get("c")
        if response_url and not target:
            webhook = responder(response_url)
            respond(webhook, response_type="in_channel", text=text, blocks=blocks, unfurl_links=False)
            webhook.send(delete_original=True)
            return
        try:
            post(client, target or channel, text, blocks)
        except SlackApiError as error:
            if error.response.get("error") in ("not_in_channel", "channel_not_found"):
                post(
                    client, user, f"I can't post in <#{target or channel}>: invite me there with `/invite @stackpick`."
                )
                return
            raise
    except Exception:
        log.exception("sharing an assessment failed (user=%s, channel=%s)", user, channel)
        apologize(client, user)


def find_assessment(ctx: AppContext, value: dict[str, Any]) -> Assessment:
    """The assessment a button was shown with; made again from its description or traits after a restart (the
    advisor is deterministic for one index version)."""
    shown = ctx.recent.assessment(value.get("k"))
    if shown is not None:
        return shown
    if isinstance(value.get("t"), dict):
        return ctx.advisor.assess_traits(ProjectTraits.read(ctx.advisor.rules, value["t"]))
    return ctx.advisor.assess(str(value.get("d") or ""))


# --------------------------------------------------------------------------------------------------------------
# Curation


# A file path, or a URL of any scheme: each is a source to add (and refused from Slack unless it is http(s)), so
# `/stackpick add file:///etc/passwd` is refused as curation rather than assessed as a project description.
SOURCE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|<[a-z][a-z0-9+.-]*://[^>]+>|/\S+|~/\S+|\.\.?/\S+)$", re.IGNORECASE)


def parse_add(text: str) -> tuple[list[str], bool] | None:
    """`add [--force] <url or path> ...` -> (sources, force); None when the words after "add" are not sources,
    so `/stackpick add a chat feature to our Python app` stays an ordinary description."""
    words = text.split()
    force = "--force" in words
    sources = [w for w in words if w != "--force"]
    if not sources or not all(SOURCE.match(s) for s in sources):
        return None
    # Slack wraps links it recognises as <url> or <url|label>; the URL is what we fetch.
    return [s.strip("<>").split("|", 1)[0] for s in sources], force


def slack_source_refusal(sources: list[str]) -> str | None:
    """Why these sources cannot be added from Slack (a path, `file://` or another scheme), before anything is read;
    None when all are http(s) URLs (whose addresses are checked when they are fetched)."""
    for source in sources:
        try:
            check_source(source, files=False)
        except IngestError as error:
            return str(error)
    return None


def run_curation(
    *,
    ctx: AppContext,
    client: WebClient,
    user: str,
    what: str,
    action: Callable[[], AddReport],
    kind: str = "add",
    subject: str = "",
) -> None:
    """Add, remove, rebuild or roll back in the background, switch the running advisor to the new index, and DM the
    admin a summary (`kind` says which, `subject` names what was removed)."""
    try:
        report = action()
    except (IngestError, IndexUnavailable) as error:
        post(client, user, f"❌ Couldn't {what}: {escape_clip(str(error), 1000)}")
        return
    except Exception:
        log.exception("curation failed (user=%s, what=%s)", user, what)
        apologize(
            client,
            user,
            text=f"❌ Something went wrong during the {what}; the current index is still live. It has been logged.",
        )
        return
    text = curation_report_text(report, kind, subject)
    try:
        ctx.advisor.reload_if_changed()
    except Exception:
        # The new version is published either way; the reload watcher keeps trying, so say so rather than fail.
        log.exception("switching to the new index failed (version=%s)", report.version)
        text += "\n⚠️ This bot has not switched to it yet; it keeps trying, and a restart also picks it up."
    post(client, user, text)
