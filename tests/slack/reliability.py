"""Helpers for the hostile-input, load and fault tests: hostile text, ping detection, replicas, measured figures."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st
from slack_fakes import ADMIN, SIGNING_SECRET, Call, FakeSlack, SlackSender

# --------------------------------------------------------------------------------------------------------------
# Hostile text

MARKUP = [
    "<!channel>", "<!here>", "<!everyone>", "<!channel|@channel>", "<!here|here>", "<!everyone|everyone>",
    "<@U123>", "<@U123|bob>", "<@W0AB12>", "<@UBOT>", "<!subteam^S0123|@devs>", "<!subteam^S0123>",
    "<#C123|general>", "<#C123>", "<http://evil.example|click me>", "<https://x.example>", "<javascript:alert(1)|x>",
    "<mailto:a@b.example|mail>", "<!date^1392734382^{date}|Feb 18>", "&lt;!channel&gt;", "&lt;@U1&gt;",
    "&amp;lt;!here&amp;gt;", "&#60;!channel&#62;", "&#x3c;!here&#x3e;", "&lt;", "&gt;", "&amp;", "&", "@channel",
    "@here", "@everyone", "<", ">", "<<!here>>", "<!channel", "!channel>", "<@", "<!", "`<!channel>`",
    "```<!here>```", "*bold*", "_it_", "~s~", "> quote", "|", "^", "\\", '"', "'", "{", "}", "[", "]",
    "<!subteam^S1|<!channel>>", "<http://a.example|<!here>>", "<@U1|<!everyone>>",
]
CONTROL = [chr(c) for c in range(32)] + [
    "\x7f", "\x85", "\xa0", "\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b",
    "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029", "\u2060", "\ufeff",
    "\ufffd", "\ufffe", "\uffff", "\ud800", "\udfff", "\udc00\ud800",
]
# What a cleaned question must not keep: controls, zero-width and bidi overrides, lone surrogates.
INVISIBLE = [c for c in CONTROL if c not in ("\xa0", "\u00ad", "\ufffd", "\ufffe", "\uffff")]
EXOTIC = [
    "שלום עולם", "مرحبا بالعالم", "\u202eNode\u202c", "𝕹𝖔𝖉𝖊", "Ｎｏｄｅ　ｏｒ　Ｐｙｔｈｏｎ", "ﬁle", "ǅ",
    "e\u0301\u0301\u0301",
    "🧑\u200d💻", "👨\u200d👩\u200d👧", "🏳️\u200d🌈", "\U0001f600", "\U000e0001\U000e0041", "\U0010fffd", "\U00020000",
    "\U000f0000", "\U0001d11e", "Ⅻ", "ß", "İ", "ﷺ", "中文问题", "日本語", "한국어", "Z̸̢̛a̴l̷g̵o̶", "\u0300" * 30,
]
WORDS = [
    "Node", "Node.js", "node", "Python", "python3", "or", "for", "a real-time chat app", "machine learning",
    "?", "CPU-heavy", "our team only knows Python", "websockets", "Django", "Express", "vs", "which", "should we use",
]


def hostile_text(max_parts: int = 30) -> st.SearchStrategy[str]:
    """Questions made of Slack markup, control characters, every Unicode plane (lone surrogates too) and words."""
    part = st.one_of(
        st.sampled_from(MARKUP),
        st.sampled_from(CONTROL),
        st.sampled_from(EXOTIC),
        st.sampled_from(WORDS),
        st.text(alphabet=st.characters(exclude_categories=()), max_size=12),  # any code point, surrogates included
    )
    return st.lists(part, max_size=max_parts).flatmap(
        lambda parts: st.sampled_from(["", " ", "\n"]).map(lambda sep: sep.join(parts))
    )


# --------------------------------------------------------------------------------------------------------------
# Pings

# What Slack turns into a notification in message text: a broadcast, a user group or a user mention. `<` only ever
# reaches Slack escaped (&lt;) in what stackpick posts, so any raw "<!" or "<@" is a ping or a forged link.
_PING = re.compile(r"<[!@]")


def ping_problems(call: Call) -> list[str]:
    """Why this Web API call could notify someone; empty when it cannot."""
    problems = []
    dumped = call.dump()
    for match in _PING.finditer(dumped):
        problems.append(f"{call.method}: raw {dumped[match.start() : match.start() + 24]!r}")
    # Without link_names (or parse=full) Slack leaves a bare "@channel" as text; with it, Slack would ping.
    if str(call.args.get("link_names", "")).lower() in ("1", "true"):
        problems.append(f"{call.method}: link_names is on")
    if call.args.get("parse") == "full":
        problems.append(f"{call.method}: parse=full")
    return problems


def all_ping_problems(calls: Iterable[Call]) -> list[str]:
    return [problem for call in calls for problem in ping_problems(call)]


# --------------------------------------------------------------------------------------------------------------
# Replicas: real `stackpick serve --http` processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    """One `stackpick serve --http` process on its own port; everything it prints goes to a log file."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Replica:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(self.port)],
                env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Until GET /healthz says 200 (the index is loaded); fails with the end of the log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.log_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready within {timeout:.0f} s: {self.log_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, as when a node dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


# --------------------------------------------------------------------------------------------------------------
# Figures


# Read when the tests are collected: the autouse fixture in tests/conftest.py removes every STACKPICK_* variable
# from the environment while a test runs.
_SOAK = os.environ.get("STACKPICK_SOAK", "") not in ("", "0")
_FIGURES = os.environ.get("STACKPICK_FIGURES", "")


def soak() -> bool:
    """`make soak` sets STACKPICK_SOAK=1: the same tests at a larger scale."""
    return _SOAK


def scale(quick: int, soaked: int) -> int:
    return soaked if soak() else quick


def figures_path() -> Path:
    return Path(_FIGURES or Path(tempfile.gettempdir()) / "stackpick-figures.json")


def record_figures(section: str, values: dict[str, Any]) -> None:
    """Merge one test's measurements into the figures JSON (for the README's reliability table)."""
    path = figures_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[section] = {**values, "soak": soak(), "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), interpolated; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(p) - 1))]


def timing(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "max_ms": round(max(values, default=0.0) * 1000, 1),
    }


# --------------------------------------------------------------------------------------------------------------
# Several replicas behind the tests' round-robin


def replica_env(index_vars: dict[str, str], api_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """What one `stackpick serve --http` process needs: the shared index, its own cache and feedback files, dummy
    credentials, the fake Slack as SLACK_API_URL; nothing inherited from the developer's Slack or Redis settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STACKPICK_", "REDIS_"))}
    env.update(index_vars)
    workdir.mkdir(parents=True, exist_ok=True)
    cache = workdir / "cache"
    if not cache.exists() and Path(index_vars["STACKPICK_CACHE_DIR"]).is_dir():
        shutil.copytree(index_vars["STACKPICK_CACHE_DIR"], cache)  # SQLite files are not shared between processes
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        STACKPICK_CACHE_DIR=str(cache),
        STACKPICK_FEEDBACK_DB=str(workdir / "feedback.sqlite3"),
        STACKPICK_ADMINS=ADMIN,
        STACKPICK_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def start_replicas(envs: list[dict[str, str]], workdir: Path) -> list[Replica]:
    """Start every replica at once (they load in parallel) and wait until all are ready."""
    replicas = [Replica(f"app{n}", env, workdir / f"app{n}").start() for n, env in enumerate(envs)]
    try:
        for replica in replicas:
            replica.wait_ready()
    except BaseException:
        for replica in replicas:
            replica.kill()
        raise
    return replicas


@dataclass
class Delivery:
    """One POST of an event to one replica, and how long its ack took."""

    event_id: str
    ts: str
    replica: int
    retry: int = 0
    status: int = 0
    sent_at: float = 0.0
    ack_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # transport errors before it went through


QUESTIONS = [
    "Node or Python for a real-time chat app?",
    "Python or Node.js for a machine learning API?",
    "Which is better for a CPU-heavy image processing service, Node or Python?",
    "Node.js or Python for a REST API our team of JavaScript developers will build?",
    "Should we use Python or Node for a data pipeline feeding dashboards?",
    "Node or Python for a multiplayer game server with websockets?",
    "Python or Node for a small internal CRUD tool?",
    "Node.js vs Python for a large system with many microservices?",
]


DELIVERY_ATTEMPTS = 4


def deliver(senders: list[SlackSender], deliveries: list[Delivery], concurrency: int, channel: str) -> None:
    """POST every delivery (a signed app_mention) to its replica, `concurrency` at a time, timing each ack.

    A delivery that fails in transport is sent again, as Slack does: a pooled keep-alive connection that uvicorn
    closes (idle for 5 s) just as the client reuses it fails that way, more often on a busy machine. The same event
    id goes again, so the product still answers it once.
    """

    def send(d: Delivery) -> None:
        text = f"{QUESTIONS[int(float(d.ts)) % len(QUESTIONS)]} ({d.event_id})"
        d.sent_at = time.monotonic()
        for _ in range(DELIVERY_ATTEMPTS):
            try:
                response = senders[d.replica].mention(text, ts=d.ts, channel=channel, event_id=d.event_id,
                                                      retry=d.retry or None)
            except httpx.TransportError as error:
                d.status = -1
                d.errors.append(f"{type(error).__name__}: {error}")
                continue
            d.status = response.status_code
            break
        d.ack_seconds = time.monotonic() - d.sent_at

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, deliveries))


def answers_by_thread(fake: FakeSlack, channel: str) -> Counter[str]:
    """How many answers each question (thread_ts) got in `channel`."""
    return Counter(c.args.get("thread_ts") for c in fake.ok_calls("chat.postMessage") if c.args["channel"] == channel)


def reset(fake: FakeSlack) -> None:
    """A clean call log for the next test: earlier work drained first, so none of it is counted there."""
    fake.reset()


def print_figures(title: str, values: dict[str, Any]) -> None:
    print(f"\n{title}: " + ", ".join(f"{k}={v}" for k, v in values.items()), flush=True)


def figures_table(data: dict[str, Any]) -> str:
    """The figures JSON as a Markdown table (what `make soak` prints)."""
    lines = ["| what | figures |", "|---|---|"]
    for section, values in data.items():
        shown = ", ".join(f"{k}: {v}" for k, v in values.items() if k not in ("at",))
        lines.append(f"| {section} | {shown} |")
    return "\n".join(lines)


if __name__ == "__main__":  # `python tests/slack/reliability.py [figures.json]`: print the table
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else figures_path()
    print(figures_table(json.loads(source.read_text(encoding="utf-8"))))
