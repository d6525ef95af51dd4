"""👍/👎 feedback on answers, stored in SQLite, and the summary `stackpick feedback` prints."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Vote = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    verdict TEXT NOT NULL,
    user TEXT NOT NULL,
    value TEXT NOT NULL CHECK (value IN ('up', 'down')),
    reason TEXT,
    message TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_message ON feedback (message);
"""


class VerdictCounts(BaseModel):
    verdict: str
    up: int = 0
    down: int = 0


class DownvoteReason(BaseModel):
    question: str
    verdict: str
    reason: str
    created_at: str


class FeedbackSummary(BaseModel):
    """Totals, the split per verdict, and the latest explained downvotes."""

    total: int
    up: int
    down: int
    per_verdict: list[VerdictCounts]
    latest_reasons: list[DownvoteReason]


class FeedbackStore:
    """One SQLite file; safe to share between threads (a connection per call, writes serialized by a lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # commits on success, rolls back on error
                yield db
        finally:
            db.close()

    def record(
        self,
        question: str,
        verdict: str,
        user: str,
        value: Vote,
        reason: str | None = None,
        *,
        message: str | None = None,
    ) -> int:
        """Store one vote and return its id. With `message` (channel:ts), a user's later click replaces their earlier
        one on the same message, so changing your mind or double-clicking never counts twice."""
        if value not in ("up", "down"):
            raise ValueError(f"feedback value must be 'up' or 'down', not {value!r}")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as db:
            if message:
                db.execute("DELETE FROM feedback WHERE message = ? AND user = ?", (message, user))
            cursor = db.execute(
                "INSERT INTO feedback (question, verdict, user, value, reason, message, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question, verdict, user, value, reason, message, now),
            )
            return int(cursor.lastrowid or 0)

    def add_reason(self, feedback_id: int, reason: str) -> bool:
        """Attach the explanation from the 👎 form to the vote it explains; False if that vote is gone."""
        with self._lock, self._connect() as db:
            cursor = db.execute("UPDATE feedback SET reason = ? WHERE id = ?", (reason, feedback_id))
            return cursor.rowcount > 0

    def counts_for(self, message: str) -> tuple[int, int]:
        """(up, down) votes on one message, for the in-place acknowledgement."""
        with self._connect() as db:
            row = db.execute(
                "SELECT SUM(value = 'up'), SUM(value = 'down') FROM feedback WHERE message = ?", (message,)
            ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def summary(self, latest: int = 10) -> FeedbackSummary:
        with self._connect() as db:
            per_verdict = [
                VerdictCounts(verdict=verdict, up=int(up or 0), down=int(down or 0))
                for verdict, up, down in db.execute(
                    "SELECT verdict, SUM(value = 'up'), SUM(value = 'down') FROM feedback "
                    "GROUP BY verdict ORDER BY COUNT(*) DESC, verdict"
                )
            ]
            reasons = [
                DownvoteReason(question=q, verdict=v, reason=r, created_at=c)
                for q, v, r, c in db.execute(
                    "SELECT question, verdict, reason, created_at FROM feedback "
                    "WHERE value = 'down' AND reason IS NOT NULL AND reason != '' ORDER BY id DESC LIMIT ?",
                    (latest,),
                )
            ]
        up = sum(v.up for v in per_verdict)
        down = sum(v.down for v in per_verdict)
        return FeedbackSummary(total=up + down, up=up, down=down, per_verdict=per_verdict, latest_reasons=reasons)
