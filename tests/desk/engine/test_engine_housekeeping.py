"""The Engine's housekeeping against the virtual modem and a real SQLite file: reminders through
the scheduler (RemindersChanged for missed runs too), appointment replies (AppointmentUpdated),
retention in chunks, and the daily automatic backup."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desk.base import events as ev
from desk.base.clock import FakeClock, SystemClock, to_db
from desk.base.paths import Profile
from desk.compliance import retention
from desk.data import backup
from desk.engine import housekeeping as core
from desk.messaging.contacts import contact_for_number
from desk.messaging.outbox import queue_message
from desk.reminders.appointments import create_appointment
from desk.reminders.manage import MISSED, create_reminder
from desk.store.models import IN, OUT, SENT, Appointment, Message, Reminder, ReminderRun
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import (
    CUSTOMER,
    start_engine,
    updated_to,
    wait_ready,
    wait_until,
)

# 10:00 in New York (the customer's zone): inside the default quiet hours window.
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _is(kind: type, **fields: Any) -> Callable[[ev.DeskEvent], bool]:
    return lambda e: isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())


# --- reminders and appointments ------------------------------------------------------------------


def test_a_missed_reminder_run_announces_reminders_changed(
    profile: Profile, modem: VirtualModem
) -> None:
    """A tick that queues nothing (the occurrence is past the grace period) still changes the
    reminders list: the scheduler's own emit reaches the subscribers."""
    clock = FakeClock(NOON)
    settings = Settings()
    reminder = create_reminder(
        recipients=[CUSTOMER], text="Your tyres are ready", at=NOON + timedelta(minutes=5),
        settings=settings, clock=clock,
    )  # fmt: skip
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        grace = int(settings.get("grace_minutes"))
        clock.advance(timedelta(minutes=5 + grace + 1))  # the app was "closed" past the grace
        rec.wait(_is(ev.RemindersChanged))
        # Emitted after the commit: another connection already sees the run.
        run = ReminderRun.get(ReminderRun.reminder == reminder.id)
        assert (run.state, run.message_id) == ("missed", None)
        assert Reminder.get_by_id(reminder.id).state == MISSED
        assert Message.select().where(Message.direction == OUT).count() == 0
    finally:
        engine.stop()
    assert modem.submitted() == []


def test_an_appointment_reply_is_announced_with_its_new_state(
    profile: Profile, modem: VirtualModem
) -> None:
    clock = FakeClock(NOON)
    settings = Settings()
    contact = contact_for_number(CUSTOMER, clock=clock)
    appointment = create_appointment(
        contact, NOON + timedelta(hours=3), settings=settings, clock=clock, offsets=[120]
    )
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        clock.advance(timedelta(hours=1))  # the reminder two hours before is due
        rec.wait(_is(ev.RemindersChanged))
        reminder_text = modem.wait_event("submitted", timeout=30)
        assert reminder_text["to"] == CUSTOMER and "Reply C to confirm" in reminder_text["text"]
        modem.deliver(CUSTOMER, "C")
        update = rec.wait(_is(ev.AppointmentUpdated, appointment_id=appointment.id))
        assert update.state == "confirmed"
        assert Appointment.get_by_id(appointment.id).state == "confirmed"
        # The reply is stored as an ordinary incoming message too.
        assert rec.wait(_is(ev.MessageAdded, direction=IN))
        # A text that answers nothing announces no appointment.
        modem.deliver(CUSTOMER, "Thanks, see you then")
        rec.wait(
            lambda e: (
                isinstance(e, ev.MessageAdded)
                and e.direction == IN
                and Message.get_by_id(e.message_id).body == "Thanks, see you then"
            )
        )
        assert len(rec.of(ev.AppointmentUpdated)) == 1
    finally:
        engine.stop()


# --- retention --------------------------------------------------------------------------------


def _old_messages(n: int, *, days_ago: int) -> list[int]:
    clock = SystemClock()
    ids = []
    for i in range(n):
        message = queue_message(
            CUSTOMER, f"old {i}", source="staff", settings=Settings(), clock=clock
        )
        ids.append(message.id)
    Message.update(state=SENT, created_at=to_db(clock.now() - timedelta(days=days_ago))).where(
        Message.id.in_(ids)
    ).execute()
    return ids


def test_retention_runs_as_a_job_in_short_steps_between_other_work(
    profile: Profile, modem: VirtualModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 10)  # several steps for 25 messages
    steps: list[tuple[int, str]] = []
    real_step = retention.RetentionJob.step

    def counting(job: retention.RetentionJob) -> bool:
        more = real_step(job)
        steps.append((job.deleted, threading.current_thread().name))
        return more

    monkeypatch.setattr(retention.RetentionJob, "step", counting)
    monkeypatch.setattr(retention.RetentionJob, "__init__", _short_steps(retention.RetentionJob))
    old = _old_messages(25, days_ago=60)
    (recent,) = _old_messages(1, days_ago=5)
    Settings().set("retention_days", 30)
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        done = rec.wait(_is(ev.Problem, severity="info"), timeout=60)
        assert done.text == "25 messages past the retention period were deleted."
        # Several steps on the core thread, each its own short transaction.
        assert len(steps) >= 2, steps
        assert {name for _, name in steps} == {"desk-core"}
        assert steps[-1][0] == 25
        assert Message.select().where(Message.id.in_(old)).count() == 0
        assert Message.get_by_id(recent).body == "old 0"
        progress = [e for e in rec.of(ev.JobProgress) if e.description == "deleting old messages"]
        assert progress and progress[-1].state == "done"
        # The engine still does its work afterwards.
        modem.deliver(CUSTOMER, "Still there?")
        rec.wait(_is(ev.MessageAdded, direction=IN))
    finally:
        engine.stop()
    assert (
        len([p for p in rec.of(ev.Problem) if p.severity == "info"]) == 1
    )  # one notice for the whole run, not one per step


def _short_steps(cls: Any) -> Any:
    """The job's __init__ with a step budget so small that each step does one batch."""
    real = cls.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        self.step_seconds = 1e-6

    return init


# --- the daily backup -----------------------------------------------------------------------------


def _auto_backups(where: Profile) -> list[Path]:
    return [p for _, p in backup.list_auto_backups(where.backup_dir)]


def test_the_engine_writes_one_automatic_backup_a_day(
    profile: Profile, modem: VirtualModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "BACKUP_EVERY", 0.1)  # ask often; auto_backup writes one a day
    calls: list[str] = []
    real = backup.auto_backup

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(backup, "auto_backup", recording)
    (before,) = _old_messages(1, days_ago=0)
    clock = FakeClock(NOON)
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        (first,) = wait_until(lambda: _auto_backups(profile), what="the first backup")
        assert first.name.startswith("auto-20260310T")
        con = sqlite3.connect(first)
        try:
            assert con.execute("SELECT body FROM message WHERE id=?", (before,)).fetchone() == (
                "old 0",
            )
        finally:
            con.close()
        # Asked again and again the same day: still one.
        asked = len(calls)
        wait_until(lambda: len(calls) >= asked + 3, what="more backup checks")
        assert _auto_backups(profile) == [first]
        # The next day: a second one, while texts keep flowing.
        mid = engine.send(CUSTOMER, "Your car is ready").result(timeout=30)
        clock.advance(timedelta(days=1))
        wait_until(lambda: len(_auto_backups(profile)) == 2, what="the next day's backup")
        rec.wait(updated_to(mid, SENT))
    finally:
        engine.stop()
    assert set(calls) == {"desk-backup"}  # never on the core thread, never in its transaction
    assert not [p for p in profile.backup_dir.iterdir() if p.name.endswith(".partial")]


# --- a modem service that cannot start ----------------------------------------------------------


def test_a_modem_service_that_could_not_start_is_tried_again(
    profile: Profile, modem: VirtualModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk.engine import modem_side as core_modem
    from modem.service.modem_service import ModemService

    monkeypatch.setattr(core_modem, "SERVICE_RETRY", 0.2)
    attempts: list[int] = []

    def flaky(**kwargs: Any) -> ModemService:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("the modem driver is not loaded yet")
        return ModemService(**kwargs)

    queued = _old_messages(1, days_ago=0)
    Message.update(state="queued").where(Message.id.in_(queued)).execute()
    engine, rec = start_engine(profile, modem.device, modem_factory=flaky)
    try:
        problem = rec.wait(_is(ev.Problem, severity="error"))
        assert "the modem driver is not loaded yet" in problem.text
        wait_ready(rec)
        rec.wait(updated_to(queued[0], SENT))
        assert len(attempts) == 3
    finally:
        engine.stop()
    assert len(rec.of(ev.Problem)) == 1  # said once, not at every retry
    assert [s["text"] for s in modem.submitted()] == ["old 0"]
