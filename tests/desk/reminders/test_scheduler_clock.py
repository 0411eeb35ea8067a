"""Reminders when the PC's clock is set back two hours, then forward three: each occurrence
fires once, not twice and not never (a real SQLite file, the real Scheduler, a FakeClock that
jumps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock
from desk.messaging.contacts import contact_for_number
from desk.reminders.manage import create_reminder
from desk.reminders.recurrence import parse_every
from desk.reminders.scheduler import Scheduler
from desk.store.db import close_database, open_database
from desk.store.models import Message, Reminder, ReminderRun
from desk.store.settings import Settings

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture
def env(tmp_path):
    database = open_database(tmp_path / "clock.sqlite3")
    settings = Settings()
    settings.set("timezone", "America/New_York")
    settings.set("grace_minutes", 30)
    clock = FakeClock(START)
    yield settings, clock
    database.close()
    close_database()


def _reminder(settings, clock, number, at, every=None):
    contact = contact_for_number(number, clock=clock, name="Ann")
    return create_reminder(
        recipients=[contact],
        text="Hi {first_name}",
        at=at,
        every=parse_every(every) if every else None,
        settings=settings,
        clock=clock,
    ).id


def _runs(reminder_id):
    return [
        (r.state, r.reason) for r in ReminderRun.select().where(ReminderRun.reminder == reminder_id)
    ]


def test_reminders_fire_once_when_the_clock_goes_back_two_hours_then_forward_three(env):
    settings, clock = env
    a = _reminder(settings, clock, "+12025550143", START + timedelta(minutes=30))
    daily = _reminder(settings, clock, "+12025550188", START + timedelta(hours=1), "daily")
    c = _reminder(settings, clock, "+12025550199", START + timedelta(hours=2, minutes=30))
    d = _reminder(settings, clock, "+12025550111", START + timedelta(hours=4))
    scheduler = Scheduler(settings=settings, clock=clock)
    fired: list[int] = []

    def run_for(minutes: int) -> None:
        for _ in range(minutes):
            fired.extend(scheduler.tick())
            clock.advance(60)

    run_for(61)  # to 10:01 New York: a and the daily one fired
    assert len(fired) == 2
    clock.jump(timedelta(hours=-2))  # 08:01: the CMOS battery, a wrong manual change
    run_for(120)  # two hours pass; the wall clock walks over 09:30 and 10:00 again
    assert len(fired) == 2  # nothing twice
    assert Reminder.get_by_id(daily).next_at == datetime(2026, 12, 2, 15, 0)  # tomorrow
    clock.jump(timedelta(hours=3))  # 13:01: the network time fix skips over 10:01-13:01
    run_for(5)
    # c (11:30) came due while the scheduler watched: sent, though 90 min "late" by the wall
    # clock and the grace is 30 min; d (13:00) on time. Not never.
    assert len(fired) == 4
    for reminder_id in (a, daily, c, d):
        assert _runs(reminder_id) == [("queued", None)]
    assert Message.select().where(Message.source == "reminder").count() == 4


def test_a_reminder_due_while_the_app_was_not_running_is_still_missed(env):
    settings, clock = env
    late = _reminder(settings, clock, "+12025550143", START + timedelta(minutes=10))
    clock.advance(timedelta(hours=2))  # the app was closed
    assert Scheduler(settings=settings, clock=clock).tick() == []
    ((state, reason),) = _runs(late)
    assert state == "missed" and "not running" in reason


def test_a_long_sleep_of_the_pc_counts_as_not_running(env):
    settings, clock = env
    scheduler = Scheduler(settings=settings, clock=clock)
    scheduler.tick()
    late = _reminder(settings, clock, "+12025550143", START + timedelta(minutes=10))
    clock.advance(timedelta(hours=3))  # asleep: elapsed time (CLOCK_BOOTTIME) moves too
    assert scheduler.tick() == []
    assert _runs(late)[0][0] == "missed"
