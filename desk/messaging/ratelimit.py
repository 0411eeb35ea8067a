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

Two per-minute limits (issue 13): ``rate_per_minute`` (6) paces automated texts (reminders,
bulk), counting the automated parts of the last minute; ``rate_per_minute_staff`` (30) caps all
parts of the last minute, so a reply typed by a person (person-to-person traffic: carriers treat
15-60 a minute per number as ordinary use) is never held behind a batch of reminders. Automated
texts also keep to the per-day limit; staff replies (and consent/help answers) only to the
overall per-minute one. With ``rate_per_minute`` set above ``rate_per_minute_staff`` the overall
cap is the larger of the two, and automated texts keep a fifth of ``rate_per_minute_staff`` free
every minute (``Budget.staff_share``): a reply typed during a burst of reminders goes at once,
the overall cap still holding exactly.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from desk.base.clock import Clock, SystemClock, WallHistory, to_db, utc
from desk.store.db import db
from desk.store.models import SENDING, Message, MessagePart
from desk.store.settings import SettingsReader

MINUTE = timedelta(minutes=1)
STAFF_SHARE_DIVISOR = 5  # rate_per_minute above rate_per_minute_staff: a fifth kept for staff
DAY = timedelta(days=1)


@dataclass
class Budget:
    """Parts that may still be handed to the modem now.

    ``per_minute``/``used_minute_automated``: automated texts' own pace; ``per_minute_staff``/
    ``used_minute``: every part (staff and automated); ``per_day``/``used_day``: automated texts
    per day (all parts counted). ``per_minute_staff`` None: the same as ``per_minute`` (one limit
    for everything, as before schema 5)."""

    per_minute: int
    per_day: int
    used_minute: int
    used_day: int
    per_minute_staff: int | None = None
    used_minute_automated: int | None = None  # None: every part counts as automated

    @property
    def overall_per_minute(self) -> int:
        return max(self.per_minute, self.per_minute_staff or self.per_minute)

    @property
    def staff_share(self) -> int:
        """Parts of every minute automated texts may not use, kept for replies staff type.
        With ``rate_per_minute`` at most ``rate_per_minute_staff`` that is what the automated
        limit leaves of the overall one; set above it (the overall cap is then the automated
        limit), a fifth of ``rate_per_minute_staff`` (at least one part), so a reply typed
        while a burst of reminders drains goes at once rather than when the minute frees."""
        if self.per_minute_staff is None or self.per_minute <= self.per_minute_staff:
            return self.overall_per_minute - self.per_minute
        return max(1, self.per_minute_staff // STAFF_SHARE_DIVISOR)

    @property
    def automated_per_minute(self) -> int:
        """Automated texts' own cap this minute: their limit, less the staff share."""
        return min(self.per_minute, self.overall_per_minute - self.staff_share)

    @property
    def _used_automated(self) -> int:
        return (
            self.used_minute if self.used_minute_automated is None else self.used_minute_automated
        )

    @property
    def minute_left(self) -> int:
        """Parts an automated text may still use this minute."""
        return max(
            0,
            min(
                self.automated_per_minute - self._used_automated,
                self.overall_per_minute - self.used_minute,
            ),
        )

    @property
    def staff_minute_left(self) -> int:
        return max(0, self.overall_per_minute - self.used_minute)

    @property
    def day_left(self) -> int:
        return max(0, self.per_day - self.used_day)

    def fits_minute(self, parts: int, *, automated: bool = True) -> bool:
        """Whether ``parts`` more parts fit this minute. A message longer than the whole limit
        may go when nothing else went in the last minute (else it never could)."""
        if automated:
            return parts <= self.minute_left or self.used_minute == 0
        return parts <= self.staff_minute_left or self.used_minute == 0

    def fits_day(self, parts: int) -> bool:
        """The same for the day (automated sends only)."""
        return parts <= self.day_left or self.used_day == 0

    def allows(self, parts: int, *, automated: bool) -> bool:
        return self.fits_minute(parts, automated=automated) and (
            not automated or self.fits_day(parts)
        )

    def spend(self, parts: int, *, automated: bool = True) -> None:
        self.used_minute += parts
        self.used_day += parts
        if automated and self.used_minute_automated is not None:
            self.used_minute_automated += parts


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


def _sent_in(
    ranges: list[tuple[datetime | None, datetime | None]], *, automated_only: bool = False
) -> tuple[str, list[object]]:
    """SQL (a scalar subquery) and parameters: parts accepted by the modem within ``ranges``
    (automated texts' only, with ``automated_only``)."""
    terms: list[str] = []
    params: list[object] = []
    for low, high in _bounded(ranges):
        term = "p.sent_at IS NOT NULL"
        if low is not None:
            term += " AND p.sent_at >= ?"
            params.append(to_db(low))
        if high is not None:
            term += " AND p.sent_at <= ?"
            params.append(to_db(high))
        terms.append(f"({term})")
    where = f"({' OR '.join(terms)})" if terms else ""
    if automated_only:
        sql = "SELECT COUNT(p.id) FROM message_part AS p JOIN message AS m ON m.id = p.message_id "
        sql += "WHERE m.automated = ?" + (f" AND {where}" if where else "")
        params.insert(0, True)
    else:
        sql = "SELECT COUNT(p.id) FROM message_part AS p" + (f" WHERE {where}" if where else "")
    return f"({sql})", params


def _in_flight(*, automated_only: bool = False) -> tuple[str, list[object]]:
    sql = "SELECT COALESCE(SUM(parts - parts_sent), 0) FROM message WHERE state = ?"
    params: list[object] = [SENDING]
    if automated_only:
        sql += " AND automated = ?"
        params.append(True)
    return f"({sql})", params


def usage(*, clock: Clock) -> tuple[int, int]:
    """(parts used in the last minute, in the last day), in flight included (see ``usage_of``)."""
    minute, day, _automated = usage_of(clock=clock)
    return minute, day


def usage_of(*, clock: Clock) -> tuple[int, int, int]:
    """(parts used in the last minute, in the last day, automated parts in the last minute), in
    flight included, in one query: COUNTs over the index on MessagePart.sent_at and SUMs over the
    index on Message.state. The windows are elapsed time, whatever the wall clock did (see the
    module doc). Plain SQL: the engine asks this several times a second, and building it through
    peewee cost more than running it."""
    watch = history(clock)
    watch.observe()
    minute_ranges = watch.ranges(MINUTE.total_seconds())
    parts = [
        _sent_in(minute_ranges),
        _sent_in(watch.ranges(DAY.total_seconds())),
        _in_flight(),
        _sent_in(minute_ranges, automated_only=True),
        _in_flight(automated_only=True),
    ]
    sql = "SELECT " + ", ".join(text for text, _ in parts)
    params = [value for _, values in parts for value in values]
    row = db.execute_sql(sql, params).fetchone()
    minute, day, flight, auto, auto_flight = row
    flight = int(flight or 0)
    return (
        int(minute or 0) + flight,
        int(day or 0) + flight,
        int(auto or 0) + int(auto_flight or 0),
    )


def minute_frees_at(*, clock: Clock, automated_only: bool = False) -> datetime:
    """When the oldest part counted in the last minute leaves the window: the earliest moment a
    text held by the per-minute limit can go (aware UTC; now + a minute when only parts in
    flight are counted)."""
    now = clock.now()
    query = MessagePart.select(pw.fn.MIN(MessagePart.sent_at)).where(
        MessagePart.sent_at >= to_db(now - MINUTE)
    )
    if automated_only:
        query = query.join(Message).where(Message.automated == True)  # noqa: E712 (SQL)
    oldest = query.scalar()
    if oldest is None:
        return now + MINUTE
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return min(now + MINUTE, max(now, utc(oldest) + MINUTE))


def day_frees_at(*, clock: Clock) -> datetime:
    """The same for the per-day limit of automated texts."""
    now = clock.now()
    oldest = (
        MessagePart.select(pw.fn.MIN(MessagePart.sent_at))
        .where(MessagePart.sent_at >= to_db(now - DAY))
        .scalar()
    )
    if oldest is None:
        return now + DAY
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return min(now + DAY, max(now, utc(oldest) + DAY))


def budget(
    *,
    settings: SettingsReader | None = None,
    clock: Clock,
    per_minute: int | None = None,
    per_day: int | None = None,
    per_minute_staff: int | None = None,
) -> Budget:
    """The budget now. ``per_minute``/``per_day`` given: ``settings`` is not read for them
    (nor for ``per_minute_staff`` when it is given too; without settings it is ``per_minute``)."""
    if per_minute is None or per_day is None:
        if settings is None:
            raise TypeError("budget() needs settings or both per_minute and per_day")
        per_minute = int(settings.get("rate_per_minute")) if per_minute is None else per_minute
        per_day = int(settings.get("rate_per_day")) if per_day is None else per_day
    if per_minute_staff is None and settings is not None:
        per_minute_staff = int(settings.get("rate_per_minute_staff"))
    used_minute, used_day, used_automated = usage_of(clock=clock)
    return Budget(
        per_minute=int(per_minute),
        per_day=int(per_day),
        used_minute=used_minute,
        used_day=used_day,
        per_minute_staff=per_minute_staff,
        used_minute_automated=used_automated,
    )
