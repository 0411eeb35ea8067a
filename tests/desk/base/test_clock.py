"""The clock: wall time and elapsed time apart, jumps seen, and the wall-clock ranges of a span
of elapsed time when the PC's clock was set (back two hours, then forward three)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import (
    FakeClock,
    JumpWatch,
    SteadyClock,
    SystemClock,
    WallHistory,
    monotonic,
    steady_seconds,
)

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def test_fake_clock_time_passing_moves_both_readings_a_jump_only_the_wall():
    clock = FakeClock(T0)
    start = clock.monotonic()
    clock.advance(30)
    clock.set(T0 + timedelta(seconds=90))
    assert clock.monotonic() - start == 90
    clock.jump(timedelta(hours=-2))
    assert clock.now() == T0 + timedelta(seconds=90) - timedelta(hours=2)
    assert clock.monotonic() - start == 90  # nobody waited
    clock.set(T0 - timedelta(hours=3))  # backwards: the wall clock set back, no time passes
    assert clock.monotonic() - start == 90
    clock.jump_to(T0 + timedelta(hours=5))
    assert clock.monotonic() - start == 90
    with pytest.raises(ValueError):
        clock.jump_to(datetime(2026, 1, 1))


def test_the_system_clock_measures_elapsed_time_forward():
    clock = SystemClock()
    assert isinstance(clock, SteadyClock)
    first = clock.monotonic()
    time.sleep(0.01)
    assert clock.monotonic() - first >= 0.009
    assert abs(monotonic(clock) - steady_seconds()) < 1


def test_a_clock_without_monotonic_is_measured_by_the_process():
    class WallOnly:
        def now(self) -> datetime:
            return T0

    assert not isinstance(WallOnly(), SteadyClock)
    assert abs(monotonic(WallOnly()) - steady_seconds()) < 1


def test_jump_watch_reports_how_far_the_clock_was_set():
    clock = FakeClock(T0)
    watch = JumpWatch(clock)
    assert watch.observe() == timedelta(0)
    clock.advance(600)
    assert watch.observe() == timedelta(0)  # time passing is no jump
    clock.jump(timedelta(hours=-2))
    clock.advance(5)
    assert watch.observe() == timedelta(hours=-2)
    clock.jump(timedelta(hours=3))
    assert watch.observe() == timedelta(hours=3)
    clock.jump(timedelta(seconds=1))  # under the tolerance: NTP slewing, jitter
    assert watch.observe() == timedelta(0)


def _covers(ranges, when):
    return any((lo is None or lo <= when) and (hi is None or when <= hi) for lo, hi in ranges)


def test_wall_history_gives_the_wall_times_of_the_last_minute_across_jumps():
    clock = FakeClock(T0)
    history = WallHistory(clock)
    history.observe()
    clock.advance(120)  # watched for two minutes: the start's open range is gone
    history.observe()
    sent_before = clock.now() - timedelta(seconds=10)  # a part sent 10 s ago
    clock.jump(timedelta(hours=-2))  # the clock is set back two hours
    assert history.observe() == timedelta(hours=-2)
    clock.advance(20)
    sent_after = clock.now()
    ranges = history.ranges(60)
    assert _covers(ranges, sent_before)  # not forgotten: the limit does not open wide
    assert _covers(ranges, sent_after)
    # Sends of the last two hours before the jump are not "the last minute": no lock-up.
    assert not _covers(ranges, sent_before - timedelta(minutes=5))
    assert not _covers(ranges, sent_before + timedelta(hours=1))
    clock.advance(61)
    ranges = history.ranges(60)
    assert not _covers(ranges, sent_before) and not _covers(ranges, sent_after)
    clock.jump(timedelta(hours=3))  # the network time fix
    assert history.observe() == timedelta(hours=3)
    recent = clock.now() - timedelta(seconds=1)
    clock.advance(10)
    ranges = history.ranges(60)
    before_fix = recent - timedelta(hours=3)  # stamped just before the fix, 11 s ago
    assert _covers(ranges, before_fix)
    assert not _covers(ranges, before_fix - timedelta(minutes=2))


def test_wall_history_counts_future_rows_only_for_the_first_window_after_start():
    clock = FakeClock(T0)
    history = WallHistory(clock)
    history.observe()
    future = T0 + timedelta(hours=2)  # stamped before the clock was set back, then a restart
    assert _covers(history.ranges(60), future)
    clock.advance(61)
    assert not _covers(history.ranges(60), future)
