"""Hostile input, property-based: the question pipeline and POST /slack/events never crash, never 500, never ping."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from block_limits import limit_problems
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability import INVISIBLE, MARKUP, all_ping_problems, hostile_text, ping_problems, record_figures, scale
from rich.console import Console
from slack_fakes import BOT_USER, USER, Call, Running, blocks_of

from bot.engine import Advisor
from bot.engine.question import QuestionError, clean_question
from bot.render.slack.answer import answer_blocks, answer_fallback_text
from bot.render.slack.assessment import assessment_blocks
from bot.render.slack.escape import escape, escape_clip, link, slack_to_plain, unescape
from bot.render.slack.primitives import APOLOGY
from bot.render.terminal.answer import render_answer
from bot.slack.answering import HINT
from bot.slack.server import MAX_BODY_BYTES

pytestmark = [pytest.mark.soak, pytest.mark.filterwarnings("ignore:Generating overly large repr")]
QUICK = settings(max_examples=scale(150, 1500), deadline=None, suppress_health_check=list(HealthCheck))
NASTY = "<!channel> <!here> <!everyone> <@U123> <!subteam^S1|@devs> &lt;!here&gt; \u202e\u200b\x00 Node or Python?"
tried: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _record_inputs_tried() -> Iterator[None]:
    """After the module: how many hostile inputs were tried, for the README's reliability table."""
    yield
    if tried:
        record_figures("hostile", {"inputs_tried": sum(tried.values()), **{f"{k}_inputs": v for k, v in tried.items()}})


def _count(name: str) -> None:
    tried[name] = tried.get(name, 0) + 1


def _utf8_json(value: Any) -> bytes:
    # What the Web API client sends: JSON or form text encoded as UTF-8, which a lone surrogate would break.
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# The question pipeline


@QUICK
@given(hostile_text())
@example(NASTY)
@example("\ud800\udfff" * 5 + " Node or Python for chat?")
def test_cleaning_any_text_leaves_plain_single_line_text(text: str) -> None:
    _count("pipeline")
    cleaned = clean_question(slack_to_plain(text, drop_user=BOT_USER))
    assert cleaned == cleaned.strip() and "\n" not in cleaned and "\r" not in cleaned
    assert not any(c in cleaned for c in INVISIBLE), repr(cleaned)
    cleaned.encode("utf-8")  # no lone surrogate survives: every embedder and the Web API need valid UTF-8


@QUICK
@given(hostile_text(), st.integers(min_value=0, max_value=400), hostile_text(max_parts=3))
def test_escaped_text_is_inert_and_round_trips(text: str, limit: int, url: str) -> None:
    _count("pipeline")
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped and unescape(escaped) == text
    clipped = escape_clip(text, limit)
    assert len(clipped) <= limit and "<" not in clipped and ">" not in clipped
    linked = link("https://example.com/" + url, text)
    assert linked.count("<") <= 1 and linked.count(">") <= 1 and "<!" not in linked and "<@" not in linked


@settings(max_examples=scale(120, 1200), deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile_text(), st.lists(hostile_text(max_parts=6), max_size=2))
@example(NASTY, [])
@example("Node or Python for a real-time chat app?" + "\U0010fffd\ud83d" * 50, ["<!channel> ML?"])
def test_hostile_questions_get_an_answer_or_a_polite_refusal_without_pings(
    shared_advisor: Advisor, text: str, context: list[str]
) -> None:
    _count("pipeline")
    question = slack_to_plain(text, drop_user=BOT_USER)
    try:
        answer = shared_advisor.ask(question, context=[slack_to_plain(c) for c in context])
    except QuestionError as error:
        assert "<" not in escape(str(error))
        return
    blocks = [b.to_dict() for b in answer_blocks(answer)]
    fallback = answer_fallback_text(answer)
    assert limit_problems(blocks) == []
    posted = Call("chat.postMessage", "/api/chat.postMessage", 200, {"text": fallback, "blocks": blocks})
    assert ping_problems(posted) == []
    _utf8_json(posted.args)
    _utf8_json(json.loads(answer.model_dump_json()))
    render_answer(answer, Console(file=io.StringIO(), width=100, color_system=None))


@settings(max_examples=scale(40, 400), deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile_text())
@example(NASTY)
def test_hostile_descriptions_get_a_scorecard_without_pings(shared_advisor: Advisor, text: str) -> None:
    _count("pipeline")
    try:
        assessment = shared_advisor.assess(slack_to_plain(text))
    except QuestionError:
        return
    for shareable in (True, False):
        blocks = [b.to_dict() for b in assessment_blocks(assessment, shareable, share_value="x")]
        assert limit_problems(blocks) == []
        assert ping_problems(Call("chat.postMessage", "", 200, {"blocks": blocks})) == []
        _utf8_json(blocks)


# --------------------------------------------------------------------------------------------------------------
# POST /slack/events

CONTENT_TYPES = [
    None, "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x",
    "application/xml", "application/json; charset=latin-1", "", "*/*", "application/json\x7f", "garbage",
]
_BODY_PIECES = ["{", "}", "[", "]", '"', ":", ",", "payload=", "&", "=", "%", "%ZZ", "null", "1e999", "\\u0000",
                '{"type":"event_callback"', '"event":', '{"type":"url_verification","challenge":"x"}', *MARKUP]


def bodies() -> st.SearchStrategy[bytes]:
    """Random bytes, random text, JSON-ish and form-ish fragments, and real JSON of any shape."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text(max_parts=4),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
            ["type", "event", "event_id", "payload", "command", "text", "user", "channel", "ts", "view", "actions",
             "challenge", "token", "team_id", "api_app_id", "authorizations", "response_url", "trigger_id"]
        ) | st.text(max_size=5), inner, max_size=6),
        max_leaves=20,
    )
    return st.one_of(
        st.binary(max_size=600),
        hostile_text().map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.sampled_from(_BODY_PIECES), max_size=25).map(lambda p: "".join(p).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: ("payload=" + httpx.QueryParams({"p": json.dumps(v)}).__str__()[2:]).encode()),
    )


HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)


def _post(bot: Running, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return bot.slack.http.post("/slack/events", content=body, headers=headers)


def _new_calls(bot: Running, before: int) -> list[Call]:
    with bot.fake.lock:
        return [c for c in bot.fake.calls[before:] if c.method != "auth.test"]


def test_unsigned_and_missigned_garbage_is_refused_and_never_a_500(bot: Running) -> None:
    before = len(bot.fake.calls)
    statuses: dict[int, int] = {}

    @settings(max_examples=scale(300, 3000), deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        body=bodies(),
        content_type=st.sampled_from(CONTENT_TYPES),
        timestamp=st.one_of(st.none(), HEADER_TEXT, st.integers(-(10**20), 10**20).map(str),
                            st.just(str(int(time.time())))),
        signature=st.one_of(st.none(), HEADER_TEXT, st.just("v0=" + "0" * 64), st.just("v1=abc"), st.just("")),
        retry=st.one_of(st.none(), HEADER_TEXT),
    )
    def check(body: bytes, content_type: str | None, timestamp: str | None, signature: str | None,
              retry: str | None) -> None:
        _count("http")
        headers = {"Content-Type": content_type} if content_type is not None else {}
        if timestamp is not None:
            headers["X-Slack-Request-Timestamp"] = timestamp
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        if retry is not None:
            headers["X-Slack-Retry-Num"] = retry
        status = _post(bot, body, headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (400, 401), (status, body[:200], headers)

    check()
    assert statuses.get(401, 0) > 0 and statuses.get(400, 0) > 0  # both kinds of refusal were exercised
    assert _new_calls(bot, before) == []  # nothing unsigned reached a listener


def test_signed_bodies_of_any_shape_are_never_a_500_and_never_ping(bot: Running) -> None:
    statuses: dict[int, int] = {}

    @settings(max_examples=scale(250, 2500), deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies(), content_type=st.sampled_from(CONTENT_TYPES))
    def check(body: bytes, content_type: str | None) -> None:
        _count("http")
        ts = str(int(time.time()))
        try:
            signature = bot.slack.verifier.generate_signature(timestamp=ts, body=body.decode("utf-8")) or ""
        except UnicodeDecodeError:
            signature = "v0=" + "0" * 64  # Slack only ever sends (and signs) UTF-8
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
        if content_type is not None:
            headers["Content-Type"] = content_type
        status = _post(bot, body, headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (status, body[:300], content_type)

    check()
    bot.fake.settle(1.0)
    assert all_ping_problems(bot.fake.calls) == []
    assert statuses.get(200, 0) + statuses.get(404, 0) > 0  # some reached Bolt and were handled or declined


def test_signed_mentions_with_hostile_text_are_answered_once_without_pings(bot: Running) -> None:
    sent: list[str] = []

    @settings(max_examples=scale(100, 1000), deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=hostile_text(), dm=st.booleans())
    @example(text=NASTY, dm=False)
    @example(text="<!channel>", dm=False)
    @example(text="\ud83d Node or Python \udc00 for a chat app? \U000e0001", dm=True)
    @example(text="&lt;!everyone&gt; &amp;lt;@U1&amp;gt; Python for ML?", dm=True)
    def check(text: str, dm: bool) -> None:
        _count("http")
        ts = f"{1000 + len(sent)}.000100"
        if dm:
            event = {"type": "message", "channel": "D7", "channel_type": "im", "user": USER, "text": text, "ts": ts}
            response = bot.slack.event(event)
        else:
            response = bot.slack.mention(text, ts=ts, channel="C7")
        assert response.status_code == 200
        sent.append(ts)

    check()
    replies = bot.fake.wait_for("chat.postMessage", count=len(sent), timeout=60)
    bot.fake.settle(0.5)
    replies = bot.fake.ok_calls("chat.postMessage")
    assert sorted(r.args["thread_ts"] for r in replies) == sorted(sent)  # each exactly once
    answered = 0
    for reply in replies:
        answer = bool(blocks_of(reply)) and blocks_of(reply)[0]["type"] == "header"
        polite = reply.args["text"].startswith(("the question is empty", HINT.split(" ")[0]))
        assert answer or polite, reply.args["text"][:200]
        assert reply.args["text"] != APOLOGY  # a crash would have been an apology
        answered += answer
    assert answered >= len(sent) // 4  # most hostile questions still name a side and get a verdict
    assert all_ping_problems(bot.fake.calls) == []


# --------------------------------------------------------------------------------------------------------------
# Size limits and malformed HTTP


def _padded_event(bot: Running, size: int, ts: str) -> str:
    envelope = {
        "type": "event_callback", "event_id": f"EvBig{ts}", "team_id": "T1", "api_app_id": "A1",
        "event": {"type": "app_mention", "user": USER, "text": f"<@{BOT_USER}> Node or Python for a chat app?",
                  "ts": ts, "channel": "C8"},
    }
    body = json.dumps(envelope)
    return body + " " * (size - len(body))  # trailing whitespace: still valid JSON, exactly `size` bytes


def test_a_body_of_exactly_one_megabyte_is_served_and_one_byte_more_is_refused_with_413(bot: Running) -> None:
    ok = _padded_event(bot, MAX_BODY_BYTES, "1100.000100")
    assert len(ok.encode()) == MAX_BODY_BYTES
    assert bot.slack.post(ok, "application/json").status_code == 200
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == "1100.000100"

    too_big = _padded_event(bot, MAX_BODY_BYTES + 1, "1101.000100")
    assert bot.slack.post(too_big, "application/json").status_code == 413  # signed, but refused by size
    bot.fake.settle()
    assert len(bot.fake.ok_calls("chat.postMessage")) == 1


def _chunks(total: int, pulled: list[int], size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = b" " * min(size, total - sent)
        sent += len(piece)
        pulled[0] = sent
        yield piece


def test_a_streamed_body_without_length_is_cut_off_after_one_megabyte(bot: Running) -> None:
    pulled = [0]
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"}
    response = bot.slack.http.post("/slack/events", content=_chunks(MAX_BODY_BYTES + 1, pulled), headers=headers)
    assert "content-length" not in response.request.headers  # chunked: the server could not know the size upfront
    assert response.status_code == 413
    # A body of 64 MB: the server answers (or hangs up) long before the client is done sending.
    pulled = [0]
    try:
        response = bot.slack.http.post("/slack/events", content=_chunks(64 << 20, pulled), headers=headers)
        assert response.status_code == 413
    except httpx.TransportError:
        pass  # the server closed the connection after refusing; the client only noticed while still writing
    assert pulled[0] < 16 << 20, pulled[0]
    assert bot.slack.http.get("/healthz").status_code == 200  # and it is still serving


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def test_a_declared_length_over_the_limit_or_malformed_is_refused_before_reading(bot: Running) -> None:
    def head(length: str) -> bytes:
        return (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()

    # The server answers from the headers alone, without waiting for a body that never comes.
    assert _raw(bot.url, head(str(MAX_BODY_BYTES + 1))).startswith(b"HTTP/1.1 413")
    assert _raw(bot.url, head("9" * 12)).startswith(b"HTTP/1.1 413")
    for bad in ("-1", "abc", "1, 2", "0x10", "9" * 40):
        answer = _raw(bot.url, head(bad) + b"{}")
        assert answer.startswith(b"HTTP/1.1 400"), (bad, answer[:80])
    assert _raw(bot.url, b"\x16\x03\x01garbage-that-is-not-http\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert bot.slack.http.get("/healthz").status_code == 200


def test_other_methods_and_paths_are_not_served(bot: Running) -> None:
    assert bot.slack.http.get("/slack/events").status_code == 405
    assert bot.slack.http.put("/slack/events", content=b"{}").status_code == 405
    assert bot.slack.http.post("/healthz").status_code == 405
    assert bot.slack.http.post("/slack/events/../../etc/passwd", content=b"{}").status_code == 404
