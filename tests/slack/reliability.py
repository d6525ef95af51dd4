"""Helpers for the hostile-input, load and fault tests: hostile text, ping detection, replicas, measured figures."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st
from slack_fakes import Call

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

    def wait_ready(self, timeout: float = 60.0) -> None:
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


def soak() -> bool:
    """`make soak` sets STACKPICK_SOAK=1: the same tests at a larger scale."""
    return os.environ.get("STACKPICK_SOAK", "") not in ("", "0")


def scale(quick: int, soaked: int) -> int:
    return soaked if soak() else quick


def figures_path() -> Path:
    return Path(os.environ.get("STACKPICK_FIGURES") or Path(tempfile.gettempdir()) / "stackpick-figures.json")


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
