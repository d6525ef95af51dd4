"""👍/👎 feedback on answers, stored through SQLAlchemy (SQLite file, or a shared PostgreSQL), and its summary."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    CheckConstraint,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("stackpick.feedback")
Vote = Literal["up", "down"]

metadata = MetaData()
# The same table the SQLite-only store created, so existing feedback files keep working.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("user", Text, nullable=False),  # a reserved word in PostgreSQL: SQLAlchemy quotes it there
    Column("value", String(4), CheckConstraint("value IN ('up', 'down')"), nullable=False),
    Column("reason", Text),
    Column("message", Text),
    Column("created_at", Text, nullable=False),
    Index("feedback_message", "message"),
    # AUTOINCREMENT: a deleted vote's id is never given to another, so a late 👎 reason cannot land on the wrong vote.
    sqlite_autoincrement=True,
)
# One vote per user per message, enforced by the database: two replicas receiving the same double-click at once
# cannot both insert. Partial: votes without a message (CLI, tests) are not limited.
one_vote_per_message = Index(
    "feedback_one_vote_per_message",
    feedback.c.message,
    feedback.c.user,
    unique=True,
    sqlite_where=feedback.c.message.is_not(None),
    postgresql_where=feedback.c.message.is_not(None),
)


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


def database_url(target: Path | str) -> str:
    """A SQLAlchemy URL from a file path or a URL; bare postgres:// and postgresql:// get the installed psycopg 3
    driver (SQLAlchemy would otherwise pick psycopg2)."""
    text = str(target)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for bare in ("postgres://", "postgresql://"):
        if text.startswith(bare):
            return "postgresql+psycopg://" + text[len(bare) :]
    return text


class FeedbackStore:
    """Votes in one table, in a SQLite file or any SQLAlchemy database (PostgreSQL for several replicas).

    Safe to share between threads: SQLAlchemy pools connections; every method is one short transaction.
    """

    def __init__(self, target: Path | str) -> None:
        url = make_url(database_url(target))
        self.path: Path | None = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
        # What logs and messages may show: never the password.
        self.location = str(self.path) if self.path else url.render_as_string(hide_password=True)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
        else:
            # pre-ping: a database restarted under a long-running bot costs a reconnect, not a failed vote.
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        self._dialect = self.engine.dialect.name
        # SQLite has one writer at a time; waiting here is cheaper than its busy-timeout loop.
        self._write_lock = threading.Lock() if self._dialect == "sqlite" else None
        self._create_tables()

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        """STACKPICK_DATABASE_URL when set (shared by all replicas), otherwise the SQLite file STACKPICK_FEEDBACK_DB."""
        if settings.database_url is not None:
            return cls(settings.database_url.get_secret_value())
        return cls(settings.feedback_db)

    def _create_tables(self) -> None:
        for attempt in range(2):
            try:
                with self.engine.begin() as db:
                    metadata.create_all(db)  # only what is missing
                    one_vote_per_message.create(db, checkfirst=True)  # also on a file from before this index
                return
            except SQLAlchemyError:
                # Two replicas starting at once both see no table and both create it; the loser tries again and
                # finds it there.
                if attempt:
                    raise

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        return self._write_lock if self._write_lock is not None else contextlib.nullcontext()

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
        row = {
            "question": question,
            "verdict": verdict,
            "user": user,
            "value": value,
            "reason": reason,
            "message": message,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with self._writing(), self.engine.begin() as db:
            if message and self._dialect in ("sqlite", "postgresql"):
                # One statement, atomic in the database: concurrent clicks on any replicas leave one row.
                dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
                upsert = dialect_insert(feedback).values(**row)
                upsert = upsert.on_conflict_do_update(
                    index_elements=[feedback.c.message, feedback.c.user],
                    index_where=feedback.c.message.is_not(None),
                    set_={k: upsert.excluded[k] for k in ("question", "verdict", "value", "reason", "created_at")},
                )
                return int(db.execute(upsert.returning(feedback.c.id)).scalar_one())
            if message:  # another database: replace within the transaction (the unique index still guards)
                db.execute(delete(feedback).where(feedback.c.message == message, feedback.c.user == user))
            return int(db.execute(insert(feedback).values(**row).returning(feedback.c.id)).scalar_one())

    def add_reason(self, feedback_id: int, reason: str) -> bool:
        """Attach the explanation from the 👎 form to the vote it explains; False if that vote is gone."""
        with self._writing(), self.engine.begin() as db:
            result = db.execute(update(feedback).where(feedback.c.id == feedback_id).values(reason=reason))
            return result.rowcount > 0

    def counts_for(self, message: str) -> tuple[int, int]:
        """(up, down) votes on one message, for the in-place acknowledgement."""
        with self.engine.connect() as db:
            up, down = db.execute(
                select(_count_of("up"), _count_of("down")).where(feedback.c.message == message)
            ).one()
        return int(up or 0), int(down or 0)

    def summary(self, latest: int = 10) -> FeedbackSummary:
        with self.engine.connect() as db:
            per_verdict = [
                VerdictCounts(verdict=verdict, up=int(up or 0), down=int(down or 0))
                for verdict, up, down in db.execute(
                    select(feedback.c.verdict, _count_of("up"), _count_of("down"))
                    .group_by(feedback.c.verdict)
                    .order_by(func.count().desc(), feedback.c.verdict)
                )
            ]
            reasons = [
                DownvoteReason(question=q, verdict=v, reason=r, created_at=c)
                for q, v, r, c in db.execute(
                    select(feedback.c.question, feedback.c.verdict, feedback.c.reason, feedback.c.created_at)
                    .where(feedback.c.value == "down", feedback.c.reason.is_not(None), feedback.c.reason != "")
                    .order_by(feedback.c.id.desc())
                    .limit(latest)
                )
            ]
        up = sum(v.up for v in per_verdict)
        down = sum(v.down for v in per_verdict)
        return FeedbackSummary(total=up + down, up=up, down=down, per_verdict=per_verdict, latest_reasons=reasons)

    def close(self) -> None:
        """Release pooled connections (a test or a CLI command that is done with the store)."""
        self.engine.dispose()


def _count_of(value: Vote) -> Any:
    # SUM over a CASE, not over a comparison: PostgreSQL cannot sum booleans.
    return func.sum(case((feedback.c.value == value, 1), else_=0))
