"""The send-rate limit that protects the SIM from carrier spam filters.

Counted from the database, so it holds across restarts: a part counts once the modem accepted it
(MessagePart.sent_at in the window) and, while a message is ``sending``, each of its parts not yet
accepted counts as in flight (it is about to be handed to the modem). Windows are rolling: the
last 60 seconds and the last 24 hours.

The windows are time that passed, not wall-clock spans: when the PC's clock is set (back two
hours, forward three) the rows sent in the last minute still carry the wall-clock times they were
stamped with, so ``usage`` counts the wall-clock ranges ``desk.base.clock.WallHistory`` says the
last minute (day) covered. A clock set back neither counts two hours of sends as "the last
minute" (the limit locking up) nor forgets the parts sent a moment ago (opening wide); a clock
set forward does not forget them either.

Staff replies (and consent/help answers) are limited by the per-minute limit only; automated
sends by both.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from desk.base.clock import Clock, SystemClock, WallHistory, to_db
from desk.store.db import db
from desk.store.models import SENDING, Message, MessagePart
from desk.store.settings import SettingsReader

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass
class Budget:
    """Parts that may still be handed to the modem now."""

    per_minute: int
    per_day: int
    used_minute: int
    used_day: int

    @property
    def minute_left(self) -> int:
        return max(0, self.per_minute - self.used_minute)

    @property
    def day_left(self) -> int:
        return max(0, self.per_day - self.used_day)

    def fits_minute(self, parts: int) -> bool:
        """Whether ``parts`` more parts fit this minute. A message longer than the whole limit
        may go when nothing else went in the last minute (else it never could)."""
        return parts <= self.minute_left or self.used_minute == 0

    def fits_day(self, parts: int) -> bool:
        """The same for the day (automated sends only)."""
        return parts <= self.day_left or self.used_day == 0

    def allows(self, parts: int, *, automated: bool) -> bool:
        return self.fits_minute(parts) and (not automated or self.fits_day(parts))

    def spend(self, parts: int) -> None:
        self.used_minute += parts
        self.used_day += parts


def parts_sent_since(since_db: object) -> int:
    return MessagePart.select().where(MessagePart.sent_at >= since_db).count()


def parts_in_flight() -> int:
    """Parts of ``sending`` messages the modem has not accepted yet."""
    row = (
        Message.select(pw.fn.COALESCE(pw.fn.SUM(Message.parts - Message.parts_sent), 0))
        .where(Message.state == SENDING)
        .scalar()
    )
    return int(row or 0)


_histories: weakref.WeakKeyDictionary[object, dict[object, WallHistory]] = (
    weakref.WeakKeyDictionary()
)


def history(clock: Clock) -> WallHistory:
    """The wall-clock history for this database and clock (every SystemClock shares one)."""
    key: object = SystemClock if isinstance(clock, SystemClock) else clock
    per_db = _histories.setdefault(db.obj, {})
    found = per_db.get(key)
    if found is None:
        found = per_db[key] = WallHistory(clock)
    return found


MAX_RANGES = 8  # beyond this many clock jumps in a window, count over the ranges' hull


def _bounded(
    ranges: list[tuple[datetime | None, datetime | None]],
) -> list[tuple[datetime | None, datetime | None]]:
    """At most MAX_RANGES ranges: a clock adjusted again and again (or a test's fast clock) must
    not grow the query without bound (SQLite's parser stack overflows near a hundred ORs). Past
    the cap the ranges are replaced by their hull, which can only count more parts as used: the
    limit then holds texts back a little longer, never lets more through."""
    if len(ranges) <= MAX_RANGES:
        return ranges
    lows = [low for low, _ in ranges]
    highs = [high for _, high in ranges]
    low = None if any(x is None for x in lows) else min(x for x in lows if x is not None)
    high = None if any(x is None for x in highs) else max(x for x in highs if x is not None)
    return [(low, high)]


def _sent_in(ranges: list[tuple[datetime | None, datetime | None]]) -> pw.Select:
    where: pw.Expression | None = None
    for low, high in _bounded(ranges):
        term = MessagePart.sent_at.is_null(False)
        if low is not None:
            term &= MessagePart.sent_at >= to_db(low)
        if high is not None:
            term &= MessagePart.sent_at <= to_db(high)
        where = term if where is None else (where | term)
    query = MessagePart.select(pw.fn.COUNT(MessagePart.id))
    return query.where(where) if where is not None else query


def usage(*, clock: Clock) -> tuple[int, int]:
    """(parts used in the last minute, in the last day), in flight included, in one query:
    two COUNTs over the index on MessagePart.sent_at and a SUM over the index on Message.state.
    The windows are elapsed time, whatever the wall clock did (see the module doc)."""
    watch = history(clock)
    watch.observe()
    in_flight = Message.select(
        pw.fn.COALESCE(pw.fn.SUM(Message.parts - Message.parts_sent), 0)
    ).where(Message.state == SENDING)
    query = pw.Select(
        columns=[
            _sent_in(watch.ranges(MINUTE.total_seconds())),
            _sent_in(watch.ranges(DAY.total_seconds())),
            in_flight,
        ]
    )
    minute, day, flight = query.bind(db).tuples().get()
    return int(minute or 0) + int(flight or 0), int(day or 0) + int(flight or 0)


def budget(
    *,
    settings: SettingsReader | None = None,
    clock: Clock,
    per_minute: int | None = None,
    per_day: int | None = None,
) -> Budget:
    """The budget now. ``per_minute``/``per_day`` given: ``settings`` is not read."""
    if per_minute is None or per_day is None:
        if settings is None:
            raise TypeError("budget() needs settings or both per_minute and per_day")
        per_minute = int(settings.get("rate_per_minute")) if per_minute is None else per_minute
        per_day = int(settings.get("rate_per_day")) if per_day is None else per_day
    used_minute, used_day = usage(clock=clock)
    return Budget(
        per_minute=int(per_minute),
        per_day=int(per_day),
        used_minute=used_minute,
        used_day=used_day,
    )
