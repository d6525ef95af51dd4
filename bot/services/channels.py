"""Per-channel answer settings, stored beside the feedback (SQLite or PostgreSQL) and read from a cache."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from bot.answer import CHANNEL_MODES, ChannelMode, ChannelSetting

log = logging.getLogger("stackpick.channels")

metadata = MetaData()
channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("updated_by", Text),
    Column("updated_at", Text, nullable=False),
)

DEFAULT_MODE: ChannelMode = "thread"
# Without a change notice (no Redis, or one lost in an outage) another replica's change shows within this time.
CACHE_SECONDS = 30.0
# The Redis channel on which a change is announced, so every replica drops its cache at once.
SETTINGS_CHANNEL = "stackpick:channel-settings"


class ChannelSettings:
    """Every channel's mode, cached whole: a message costs a dict lookup, not a query.

    The table is small (one row per channel an admin configured), so it is read in full when the cache is older
    than `ttl` or was invalidated (a change here, or a notice from another replica). A database that fails to
    answer keeps the last known settings (or the default) and is tried again after `ttl`.
    """

    def __init__(self, engine: Engine, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[str], object] | None = None) -> None:
        self.engine = engine
        self.ttl = ttl
        self._clock = clock
        self.on_change = on_change  # told the channel after every change (publishes the notice)
        self._cache: dict[str, ChannelSetting] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.reads = 0  # how many times the table was read: tests check that a message costs none
        self._create_table()

    def _create_table(self) -> None:
        for attempt in range(2):
            try:
                with self.engine.begin() as db:
                    metadata.create_all(db)
                return
            except SQLAlchemyError:
                if attempt:  # two replicas creating it at once: the loser finds it there the second time
                    raise

    def _load(self) -> dict[str, ChannelSetting]:
        with self.engine.connect() as db:
            rows = db.execute(select(channel_settings)).mappings().all()
        self.reads += 1
        return {
            row["channel"]: ChannelSetting(channel=row["channel"], mode=row["mode"], updated_by=row["updated_by"],
                                           updated_at=row["updated_at"])
            for row in rows if row["mode"] in CHANNEL_MODES
        }

    def all(self) -> dict[str, ChannelSetting]:
        """Every configured channel (those left at the default have no row)."""
        now = self._clock()
        with self._lock:
            if self._cache is not None and now - self._loaded_at < self.ttl:
                return self._cache
            try:
                self._cache = self._load()
            except SQLAlchemyError as error:
                log.warning("reading channel settings failed (%s); keeping the last known ones", type(error).__name__)
                self._cache = self._cache or {}
            self._loaded_at = now
            return self._cache

    def mode(self, channel: str) -> ChannelMode:
        setting = self.all().get(channel)
        return setting.mode if setting else DEFAULT_MODE

    def set(self, channel: str, mode: ChannelMode, by: str | None) -> ChannelSetting:
        """Store `mode` for `channel` (the default mode removes the row) and tell the other replicas."""
        if mode not in CHANNEL_MODES:
            raise ValueError(f"unknown channel mode {mode!r}: one of {', '.join(CHANNEL_MODES)}")
        setting = ChannelSetting(channel=channel, mode=mode, updated_by=by,
                                 updated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        with self.engine.begin() as db:
            # Delete then insert in one transaction: portable across SQLite and PostgreSQL, and the primary key
            # makes two admins saving at once end with one row, the later one.
            db.execute(delete(channel_settings).where(channel_settings.c.channel == channel))
            if mode != DEFAULT_MODE:
                db.execute(insert(channel_settings).values(**setting.model_dump()))
        self.invalidate()
        if self.on_change is not None:
            try:
                self.on_change(channel)
            except Exception:  # the change is stored; other replicas see it within `ttl` anyway
                log.exception("announcing the channel settings change failed (channel=%s)", channel)
        return setting

    def invalidate(self, _notice: object = None) -> None:
        """Drop the cache: the next message reads the table again."""
        with self._lock:
            self._cache = None
