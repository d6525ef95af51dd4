"""👍/👎 feedback on answers, stored through SQLAlchemy (SQLite file, or a shared PostgreSQL), and its summary."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Engine,
    ForeignKey,
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
# The criteria behind the answer a vote is about (its reasons), and which of them the voter said were wrong.
# A table of its own, so feedback files from before it keep working (create_all adds it, nothing is altered).
feedback_criteria = Table(
    "feedback_criteria",
    metadata,
    Column("feedback_id", Integer, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True),
    Column("criterion", String(64), primary_key=True),
    Column("wrong", Boolean, nullable=False, default=False),
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
    wrong: list[str] = []  # the criteria the voter marked as wrong


class CriterionCounts(BaseModel):
    """Votes on answers that gave this criterion as a reason, and how often a 👎 named it as the wrong one."""

    criterion: str
    up: int = 0
    down: int = 0
    wrong: int = 0


class FeedbackSummary(BaseModel):
    """Totals, the split per verdict, and the latest explained downvotes."""

    total: int
    up: int
    down: int
    per_verdict: list[VerdictCounts]
    latest_reasons: list[DownvoteReason]
    per_criterion: list[CriterionCounts] = []


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
        criteria: Sequence[str] = (),
    ) -> int:
        """Store one vote and return its id. With `message` (channel:ts), a user's later click replaces their earlier
        one on the same message, so changing your mind or double-clicking never counts twice. `criteria` are the
        criteria behind the answer's reasons, stored with the vote (a replaced vote's are replaced too)."""
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
                feedback_id = int(db.execute(upsert.returning(feedback.c.id)).scalar_one())
            else:
                if message:  # another database: replace within the transaction (the unique index still guards)
                    db.execute(delete(feedback).where(feedback.c.message == message, feedback.c.user == user))
                feedback_id = int(db.execute(insert(feedback).values(**row).returning(feedback.c.id)).scalar_one())
            db.execute(delete(feedback_criteria).where(feedback_criteria.c.feedback_id == feedback_id))
            names = list(dict.fromkeys(c for c in criteria if c))
            if names:
                db.execute(insert(feedback_criteria),
                           [{"feedback_id": feedback_id, "criterion": c, "wrong": False} for c in names])
            return feedback_id

    def add_reason(self, feedback_id: int, reason: str, wrong: Sequence[str] = ()) -> bool:
        """Attach the explanation from the 👎 form to the vote it explains, marking the criteria it says were
        wrong (one not among the answer's is added); False if that vote is gone."""
        with self._writing(), self.engine.begin() as db:
            result = db.execute(update(feedback).where(feedback.c.id == feedback_id).values(reason=reason or None))
            if not result.rowcount:
                return False
            names = list(dict.fromkeys(c for c in wrong if c))
            if names:
                db.execute(delete(feedback_criteria).where(feedback_criteria.c.feedback_id == feedback_id,
                                                           feedback_criteria.c.criterion.in_(names)))
                db.execute(insert(feedback_criteria),
                           [{"feedback_id": feedback_id, "criterion": c, "wrong": True} for c in names])
            return True

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
            rows = db.execute(
                select(feedback.c.id, feedback.c.question, feedback.c.verdict, feedback.c.reason,
                       feedback.c.created_at)
                .where(feedback.c.value == "down", feedback.c.reason.is_not(None), feedback.c.reason != "")
                .order_by(feedback.c.id.desc())
                .limit(latest)
            ).all()
            marked: dict[int, list[str]] = {}
            if rows:
                for fid, criterion in db.execute(
                    select(feedback_criteria.c.feedback_id, feedback_criteria.c.criterion)
                    .where(feedback_criteria.c.wrong.is_(True),
                           feedback_criteria.c.feedback_id.in_([row[0] for row in rows]))
                    .order_by(feedback_criteria.c.criterion)
                ):
                    marked.setdefault(int(fid), []).append(criterion)
            reasons = [DownvoteReason(question=q, verdict=v, reason=r, created_at=c, wrong=marked.get(int(i), []))
                       for i, q, v, r, c in rows]
            per_criterion = [
                CriterionCounts(criterion=criterion, up=int(up or 0), down=int(down or 0), wrong=int(bad or 0))
                for criterion, up, down, bad in db.execute(
                    select(feedback_criteria.c.criterion, _count_of("up"), _count_of("down"),
                           func.sum(case((feedback_criteria.c.wrong.is_(True), 1), else_=0)))
                    .join(feedback, feedback.c.id == feedback_criteria.c.feedback_id)
                    .group_by(feedback_criteria.c.criterion)
                )
            ]
            per_criterion.sort(key=lambda c: (-c.wrong, -c.down, -(c.up + c.down), c.criterion))
        up = sum(v.up for v in per_verdict)
        down = sum(v.down for v in per_verdict)
        return FeedbackSummary(total=up + down, up=up, down=down, per_verdict=per_verdict, latest_reasons=reasons,
                               per_criterion=per_criterion)

    def downvotes(self) -> list[dict[str, Any]]:
        """Every 👎 as a labeled question for training (the format of knowledge/labeled/train_questions.yaml).

        A 👎 says the answer was wrong, not what the right one is: the criteria the voter marked as the wrong
        reasons become `not_criteria` (negative labels), and nothing else is guessed; a person reviewing the file
        can add `criteria` before training on it (STACKPICK_TRAINING_QUESTIONS).
        """
        with self.engine.connect() as db:
            rows = db.execute(
                select(feedback.c.id, feedback.c.question, feedback.c.verdict, feedback.c.reason,
                       feedback.c.created_at)
                .where(feedback.c.value == "down")
                .order_by(feedback.c.id)
            ).all()
            marked: dict[int, list[str]] = {}
            for fid, criterion in db.execute(
                select(feedback_criteria.c.feedback_id, feedback_criteria.c.criterion)
                .where(feedback_criteria.c.wrong.is_(True))
                .order_by(feedback_criteria.c.criterion)
            ):
                marked.setdefault(int(fid), []).append(criterion)
        out = []
        for fid, question, verdict, reason, created in rows:
            entry: dict[str, Any] = {"q": question, "kind": "question", "not_criteria": marked.get(int(fid), []),
                                     "wrong_verdict": verdict,
                                     "note": f"👎 #{fid} on {created[:10]}" + (f": {reason}" if reason else "")}
            out.append(entry)
        return out

    def close(self) -> None:
        """Release pooled connections (a test or a CLI command that is done with the store)."""
        self.engine.dispose()


def _count_of(value: Vote) -> Any:
    # SUM over a CASE, not over a comparison: PostgreSQL cannot sum booleans.
    return func.sum(case((feedback.c.value == value, 1), else_=0))
