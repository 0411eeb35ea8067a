"""Time, injectable. Everything in the core asks a Clock; tests use FakeClock.

Two readings, because the PC's wall clock can jump (a dead CMOS battery, a wrong manual change,
then the network time fix):

- ``now()``: the wall clock, aware UTC. What is stored and shown, and what calendar rules use
  (a reminder due at 14:00, quiet hours from 21:00): those follow the clock as it is set.
- ``monotonic()``: seconds that only ever move forward at the rate time passes, whatever the
  wall clock does. Intervals are measured with it (a rate limit's last minute, how long the
  scheduler has been watching). On Linux it is CLOCK_BOOTTIME, which also counts a suspended
  PC's sleep: hours asleep are hours the app was not running.

``JumpWatch`` compares the two and reports by how much the wall clock was set between readings.
A clock that offers only ``now()`` (a test's own) is measured with this process's monotonic clock
(``monotonic(clock)``).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


@runtime_checkable
class SteadyClock(Protocol):
    """A Clock that also measures elapsed time (every Clock in desk.base.clock is one)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float:
        """Seconds since an arbitrary start, never going back, unmoved by clock changes."""
        ...


def steady_seconds() -> float:
    """This process's elapsed-time clock: CLOCK_BOOTTIME where there is one (counts suspend),
    else ``time.monotonic()``."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


def monotonic(clock: Clock) -> float:
    """``clock.monotonic()`` when it has one, else the process's (``steady_seconds``)."""
    if isinstance(clock, SteadyClock):
        return clock.monotonic()
    return steady_seconds()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return steady_seconds()


class FakeClock:
    """A clock that only moves when told to.

    ``advance`` and ``set`` are time passing: both readings move (``set`` backwards is refused
    as time passing: use ``jump``). ``jump``/``jump_to`` change only the wall clock, as a person
    or the network time service setting the PC's clock does."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._now += delta
            if delta > timedelta(0):
                self._mono += delta.total_seconds()
            return self._now

    def set(self, when: datetime) -> None:
        """Time passes until ``when`` (earlier than now: the wall clock is set back, nothing
        passes, as ``jump_to``)."""
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        with self._lock:
            when = when.astimezone(UTC)
            if when > self._now:
                self._mono += (when - self._now).total_seconds()
            self._now = when

    def jump(self, delta: timedelta | float) -> datetime:
        """The wall clock set forward (or back, negative) by ``delta``; no time passes."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._now += delta
            return self._now

    def jump_to(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)


class JumpWatch:
    """Reports how far the wall clock was set between two ``observe`` calls: the wall clock's
    move minus the time that passed (positive: set forward). Smaller differences than
    ``tolerance`` (scheduling jitter, NTP slewing) count as none."""

    def __init__(self, clock: Clock, *, tolerance: timedelta = timedelta(seconds=2)) -> None:
        self.clock = clock
        self.tolerance = tolerance
        self._last: tuple[datetime, float] | None = None
        self._lock = threading.Lock()

    def observe(self) -> timedelta:
        wall, mono = self.clock.now(), monotonic(self.clock)
        with self._lock:
            last, self._last = self._last, (wall, mono)
        if last is None:
            return timedelta(0)
        jump = (wall - last[0]) - timedelta(seconds=mono - last[1])
        return jump if abs(jump) > self.tolerance else timedelta(0)


class WallHistory:
    """The wall clock's offsets from the monotonic clock over the last day: which wall-clock
    times the rows written during a span of time that passed carry, when the clock was set
    meanwhile. ``observe`` often (every rate-limit check does); a jump starts a new segment.

    ``ranges(seconds)`` are the wall-clock ranges (aware UTC, ``None`` = open) covering the last
    ``seconds`` of elapsed time: one range while the clock was not set, one per segment after a
    jump (set back: the ranges overlap, and rows from the earlier pass over those wall times
    count too: too many, never too few, for at most ``seconds``). Before this process started
    nobody watched: for the first ``seconds`` after the first ``observe`` every row stamped
    later than that moment counts (rows in the future, from before a clock was set back, can be
    no older than that); after it, they are known to be older."""

    def __init__(self, clock: Clock, *, tolerance: timedelta = timedelta(seconds=2)) -> None:
        self.clock = clock
        self.tolerance = tolerance.total_seconds()
        self._segments: list[tuple[float, float]] = []  # (monotonic start, wall - monotonic)
        self._start: tuple[float, datetime] | None = None
        self._lock = threading.Lock()

    def observe(self) -> timedelta:
        """Record the clocks now; returns by how much the wall clock was set since the last
        observation (0 when within ``tolerance``)."""
        wall, mono = self.clock.now(), monotonic(self.clock)
        offset = wall.timestamp() - mono
        with self._lock:
            if self._start is None:
                self._start = (mono, wall)
                self._segments = [(mono, offset)]
                return timedelta(0)
            last = self._segments[-1][1]
            if abs(offset - last) <= self.tolerance:
                return timedelta(0)
            self._segments.append((mono, offset))
            while len(self._segments) > 1 and self._segments[1][0] < mono - 86400 * 2:
                self._segments.pop(0)
            return timedelta(seconds=offset - last)

    def ranges(self, seconds: float) -> list[tuple[datetime | None, datetime | None]]:
        mono = monotonic(self.clock)
        with self._lock:
            segments = list(self._segments)
            start = self._start
        if not segments or start is None:
            now = self.clock.now()
            return [(now - timedelta(seconds=seconds), now)]
        low = mono - seconds
        out: list[tuple[datetime | None, datetime | None]] = []
        for i, (begin, offset) in enumerate(segments):
            end = segments[i + 1][0] if i + 1 < len(segments) else mono
            if end < low:
                continue
            first = max(begin, low) if i > 0 else low  # before the first jump: the same frame
            # The top is padded by the tolerance: a row stamped a moment ago always counts.
            out.append((_wall(first + offset), _wall(end + offset + self.tolerance)))
        if mono - start[0] < seconds:
            out.append((start[1], None))
        return out


def _wall(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def utc(dt: datetime) -> datetime:
    """Normalise to aware UTC (naive values from SQLite are UTC by our convention)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_db(dt: datetime | None) -> datetime | None:
    """Aware -> naive UTC for storage (peewee DateTimeField stores naive ISO text)."""
    if dt is None:
        return None
    return utc(dt).replace(tzinfo=None)


def ago(clock: Clock, **kwargs: float) -> datetime:
    return clock.now() - timedelta(**kwargs)
