"""When the core thread must next wake on its own: it sleeps on its queue until then.

The core does nothing on a timer it does not need. Between batches it sleeps on its queue (modem
events and calls wake it at once) until the earliest of:

- the next reminder due (``Scheduler.next_due``), at least every SCHEDULER_IDLE seconds so the
  scheduler keeps "watching" (a clock set forward sends what it skipped, see the scheduler);
- the next text that may go (a retry's ``next_attempt_at``, a quiet-hours ``not_before``); one
  due but not taken (the rate limit) is looked at again every SEND_RECHECK seconds, only while
  the modem is ready and has room;
- the oldest part of an incomplete multipart text reaching the inbox's timeout;
- a look, every WATCH_EVERY seconds, at whether another process (``textdesk send``, ``textdesk
  config``, the window's own connection) committed anything: ``PRAGMA data_version`` on the
  core's connection, one cheap call that touches no table; a change runs one cycle, which finds
  the new rows (MessageAdded, the send queue, reminders, settings). Every ``textdesk`` command
  wakes the engine at once when it ends (desk.engine.poke: a datagram on the loopback), so the
  look is the fallback for writers that do not (a script on the file). On the shop's PostgreSQL
  server there is no such counter and no cycle on a timer: the other counters and ``textdesk
  send`` notify (desk.engine.live), and a notification wakes the core at once
  (desk.engine.server_side); the look only marks the settings to be read again;
- housekeeping (retention, the daily backup, a modem service that could not start).

Deadlines stored as wall-clock times are turned into waits with the engine's clock; with a clock
that is not the computer's own (tests' FakeClock moves when told) a wait is at most ``interval``,
as before. Nothing is waited for longer than IDLE_MAX, so a wall clock set meanwhile is seen.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import peewee as pw

from desk.base.clock import Clock, SystemClock, utc
from desk.messaging.inbox import DEFAULT_INCOMPLETE_TIMEOUT
from desk.store.db import db
from modem import events as me

if TYPE_CHECKING:
    from desk.reminders.scheduler import Scheduler

log = logging.getLogger("desk.engine.api")

WATCH_EVERY = 1.0  # seconds between looks at whether another process wrote
SCHEDULER_IDLE = 60.0  # the scheduler ticks at least this often, even with nothing due
SEND_RECHECK = 1.0  # a text due but not taken (the rate limit) is looked at again this often
IDLE_MAX = 60.0  # the longest the core sleeps with nothing to do
SCHEDULER_EVERY = 1.0  # the scheduler ticks at most this often (unless behind)
NOW = datetime.min.replace(tzinfo=UTC)  # "due already"

_SEND_DUE = (
    "SELECT MIN(MAX(COALESCE(next_attempt_at, ''), COALESCE(not_before, ''))) FROM message "
    "WHERE direction = 'out' AND state = 'queued'"
)
# PostgreSQL has no two-argument MAX and no '' timestamp: GREATEST skips NULLs, and a queued
# text with neither a retry time nor a hold is due now.
_SEND_DUE_SERVER = (
    "SELECT count(*), bool_or(next_attempt_at IS NULL AND not_before IS NULL), "
    "MIN(GREATEST(next_attempt_at, not_before)) FROM message "
    "WHERE direction = 'out' AND state = 'queued'"
)
_INCOMPLETE = (
    "SELECT MIN(received_at) FROM incoming_part WHERE message_id IS NULL AND concat_ref IS NOT NULL"
)


def data_version() -> int | None:
    """SQLite's counter of commits made by *other* connections (None: no connection now)."""
    if db.obj is None:
        return None
    try:
        row = db.connection().execute("PRAGMA data_version").fetchone()
    except (sqlite3.Error, Exception):
        return None
    return int(row[0]) if row else None


def _parse(value: object) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return utc(value)
    try:
        return utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def send_due_at() -> datetime | None:
    """When the earliest queued outgoing text may go (it may be now or past); None: none."""
    if isinstance(db.obj, pw.PostgresqlDatabase):
        count, any_now, soonest = db.execute_sql(_SEND_DUE_SERVER).fetchone() or (0, None, None)
        if not count:
            return None
        return NOW if any_now else _parse(soonest) or NOW
    row = db.execute_sql(_SEND_DUE).fetchone()
    if row is None or row[0] is None:
        return None
    return _parse(row[0]) or NOW  # neither a retry time nor a hold: due now


def incomplete_due_at() -> datetime | None:
    """When the oldest part of an incomplete multipart text reaches the inbox's timeout."""
    row = db.execute_sql(_INCOMPLETE).fetchone()
    since = _parse(row[0]) if row else None
    return since + DEFAULT_INCOMPLETE_TIMEOUT if since is not None else None


def seconds_until(when: datetime | None, clock: Clock, *, cap: float) -> float:
    """Seconds from the clock's now until ``when`` (0 when past), at most ``cap``; ``cap``
    when there is nothing."""
    if when is None:
        return cap
    delta = (utc(when) - clock.now()) / timedelta(seconds=1)
    return max(0.0, min(cap, delta))


def idle_cap(clock: Clock, interval: float) -> float:
    """The longest wait: IDLE_MAX on the computer's clock; ``interval`` on any other (a test's
    FakeClock moves without the core being told)."""
    return IDLE_MAX if isinstance(clock, SystemClock) else interval


class Waking:
    """A mixin of desk.engine.core_loop.Core (core thread only): when to wake next."""

    # Provided by Core and its other mixins.
    clock: Clock
    interval: float
    stopping: bool
    queue: queue.Queue[Any]
    profile: Any
    watch_settings: Any
    service: Any
    status: me.ModemStatus
    flights: dict[Any, Any]
    max_in_flight: int
    _scheduler: Scheduler
    _next_settings: float
    _next_retention: float
    _next_backup: float
    _zone_told: str | None
    _service_retry_at: float | None
    _rest: list[Any]

    server: Any  # desk.engine.server_side.ServerLink on the shop's server, else None

    if TYPE_CHECKING:

        def forget_settings(self) -> None: ...
        def _watch_server(self, now: float) -> None: ...

    def _init_waking(self) -> None:
        self._next_cycle = 0.0  # monotonic: the next cycle when nothing arrives (see _plan)
        self._next_sched = self._sched_floor = 0.0
        self._next_flush = self._flush_floor = 0.0
        self._next_watch = 0.0
        self._data_version: int | None = None  # PRAGMA data_version at the last look
        self._others_wrote = True  # something may have changed the settings: look again

    def _wake_at(self) -> float:
        """The monotonic time of the next thing the core must do unasked. Housekeeping that is
        due but cannot start yet (a backup still running) waits for the next look, never spins."""
        later: list[float] = [self._next_retention]
        if self.profile is not None:
            later.append(self._next_backup)
        if self.watch_settings is not None and (self._others_wrote or self._zone_told is not None):
            later.append(self._next_settings)
        if self.service is None and self._service_retry_at is not None:
            later.append(self._service_retry_at)
        soonest = max(min(later), self._next_watch)
        return min(self._next_cycle, self._next_watch, soonest)

    def _watch_others(self, now: float) -> None:
        """Has another connection committed since the last look? Then run a cycle now."""
        self._next_watch = now + WATCH_EVERY
        if self.server is not None:  # PostgreSQL: the other counters notify (server_side)
            self._watch_server(now)
            return
        version = data_version()
        if version is not None and version != self._data_version:
            if self._data_version is not None:
                self._next_cycle = now
                self._others_wrote = True
                self.forget_settings()
            self._data_version = version

    def _plan(self) -> None:
        """After a batch: when the next cycle is due if nothing arrives (the earliest reminder,
        retry or hold, incomplete text), computed only when the queue is empty (while it is
        not, cycles run with every batch and the scheduler at most every SCHEDULER_EVERY)."""
        now = time.monotonic()
        if self._scheduler.behind:
            self._next_sched = self._next_cycle = now
            return
        if not self.queue.empty() or self._rest or self.stopping:
            # Busy: the next batch comes at once; the scheduler and the flush keep their
            # cadence (a reminder created meanwhile is looked at within SCHEDULER_EVERY).
            self._next_sched, self._next_flush = self._sched_floor, self._flush_floor
            self._next_cycle = now + self.interval
            return
        cap = idle_cap(self.clock, self.interval)
        try:
            sched = seconds_until(self._scheduler.next_due(), self.clock, cap=cap)
            flush = seconds_until(incomplete_due_at(), self.clock, cap=cap)
            send = cap
            if self._may_send():
                send = seconds_until(send_due_at(), self.clock, cap=cap)
                send = max(send, SEND_RECHECK) if send <= 0 else send
        except Exception:
            log.debug("could not work out when to wake next", exc_info=True)
            sched = flush = send = min(cap, SCHEDULER_EVERY)
        # Never more often than before (SCHEDULER_EVERY, FLUSH_EVERY): a reminder or part that
        # stays due (a failing step) does not spin the core.
        self._next_sched = max(self._sched_floor, now + min(sched, SCHEDULER_IDLE))
        self._next_flush = max(self._flush_floor, now + flush)
        self._next_cycle = min(self._next_sched, self._next_flush, now + send, now + cap)

    def _may_send(self) -> bool:
        return (
            self.service is not None
            and self.status.state == me.ModemState.READY
            and len(self.flights) < self.max_in_flight
        )
