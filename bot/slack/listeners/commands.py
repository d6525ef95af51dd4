"""`/stackpick`: assess a description, the traits form, help; admins curate the library and set channel modes."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.render.slack.channels import MODE_WORDS
from bot.render.slack.curation import library_blocks, library_fallback_text
from bot.render.slack.escape import escape_clip
from bot.render.slack.home import help_blocks
from bot.render.slack.ids import encode_value
from bot.render.slack.modals import add_article_modal, traits_modal
from bot.slack.context import AppContext, responder
from bot.slack.jobs import assessment_to_response_url, parse_add, run_curation, slack_source_refusal
from bot.slack.listeners.channel_config import config_command
from knowledge.corpus import ID_PATTERN as ARTICLE_ID

log = logging.getLogger("stackpick.slack")
# `rollback <version>` takes a version name as index/store.py makes them; other words make it a description.
INDEX_VERSION = re.compile(r"^\d{8}T\d{6}-[0-9a-f]+$")


def register(app: App, ctx: AppContext) -> None:
    @app.command("/stackpick")
    def on_stackpick(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        user = command.get("user_id", "")
        channel = command.get("channel_id", "")
        verb, _, rest = text.partition(" ")
        verb = verb.lower()

        if not text:
            ack()
            _open(client, command, traits_modal(ctx.advisor.form(), encode_value({"c": channel}, shrink="c")))
        elif verb == "help" and not rest.strip():
            ack(response_type="ephemeral", text="How to use stackpick", blocks=help_blocks())
        elif verb == "config" and (not rest.strip() or rest.strip().lower() in MODE_WORDS):
            config_command(ack, ctx, command, rest)
        elif verb == "reindex" and not rest.strip():
            if not _allowed(ack, ctx, user):
                return
            ack(response_type="ephemeral", text="⏳ Rebuilding the index. I'll send you a summary when it is live.")
            _curate(ctx, client, user, "rebuild", lambda librarian: librarian.rebuild(), kind="rebuild")
        elif verb == "add" and (not rest.strip() or parse_add(rest) is not None):
            if not _allowed(ack, ctx, user):
                return
            parsed = parse_add(rest)
            if parsed is None:
                ack()
                _open(client, command, add_article_modal())
                return
            sources, force = parsed
            refusal = slack_source_refusal(sources)
            if refusal:
                # A path or a non-http(s) URL: refused here, before anything is read or fetched.
                ack(response_type="ephemeral", text=f"❌ Couldn't add: {escape_clip(refusal, 1000)}")
                return
            ack(
                response_type="ephemeral",
                text=f"⏳ Adding {escape_clip(', '.join(sources), 500)}. I'll send you a summary when it is live.",
            )
            # Each refusal names its source, so the summary need not repeat them.
            _curate(ctx, client, user, "add", lambda lib: lib.add(sources, force=force, files=False))
        elif verb == "list" and not rest.strip():
            if not _allowed(ack, ctx, user):
                return
            summary = ctx.advisor.library_summary()
            ack(response_type="ephemeral", text=library_fallback_text(summary), blocks=library_blocks(summary))
        elif verb == "remove" and ARTICLE_ID.match(rest.strip()):
            if not _allowed(ack, ctx, user):
                return
            article_id = rest.strip()
            ack(response_type="ephemeral", text=f"⏳ Removing `{article_id}` and rebuilding. I'll send you a summary.")
            _curate(ctx, client, user, f"remove {article_id}", lambda lib: lib.remove(article_id), kind="remove",
                    subject=article_id)
        elif verb == "rollback" and (not rest.strip() or INDEX_VERSION.match(rest.strip())):
            if not _allowed(ack, ctx, user):
                return
            to = rest.strip() or None
            ack(response_type="ephemeral", text="⏳ Rolling back to the previous index version…" if to is None
                else f"⏳ Rolling back to index version `{escape_clip(to, 80)}`…")
            _curate(ctx, client, user, "roll back", lambda lib: lib.rollback(to), kind="rollback")
        else:
            # Anything else is a project description to assess; the ack shows at once, the scorecard follows.
            ack(response_type="ephemeral", text="⏳ Assessing your project…")
            ctx.submit(
                ctx.jobs,
                "assessing a description",
                assessment_to_response_url,
                ctx=ctx,
                description=text,
                response_url=command.get("response_url", ""),
                user=user,
            )


def _allowed(ack: Ack, ctx: AppContext, user: str) -> bool:
    refusal = ctx.curation_refusal(user)
    if refusal:
        ack(response_type="ephemeral", text=refusal)
        return False
    return True


def _curate(
    ctx: AppContext, client: WebClient, user: str, what: str, call: Any, kind: str = "add", subject: str = ""
) -> None:
    librarian = ctx.librarian
    ctx.submit(ctx.curation, what, run_curation, ctx=ctx, client=client, user=user, what=what,
               action=lambda: call(librarian), kind=kind, subject=subject)


def _open(client: WebClient, command: dict[str, Any], view: Any) -> None:
    try:
        client.views_open(trigger_id=command.get("trigger_id", ""), view=view)
    except Exception:
        # The trigger expires three seconds after the command; tell the user instead of failing silently.
        log.exception("views.open failed (user=%s)", command.get("user_id"))
        try:
            responder(command.get("response_url", "")).send(
                response_type="ephemeral", text="Sorry, I couldn't open the form. Please try again."
            )
        except Exception:
            log.exception("could not tell the user either (user=%s)", command.get("user_id"))
