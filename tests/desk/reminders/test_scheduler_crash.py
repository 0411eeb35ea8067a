"""Exactly once across kill -9: a process materialising reminders (and taking send jobs) is
killed at random points, then rerun; every occurrence has one run and at most one message."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee as pw
import pytest

from desk.base.clock import FakeClock
from desk.messaging.contacts import contact_for_number
from desk.reminders.manage import create_reminder
from desk.reminders.recurrence import parse_every
from desk.store.db import close_database, open_database
from desk.store.models import Message, Reminder, ReminderRun
from desk.store.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York
DAYS = 6
REMINDERS = 120
RECIPIENTS = 2

SCRIPT = """
import sys
from datetime import datetime, timedelta
from desk.messaging import outbox, send_queue
from desk.base.clock import FakeClock
from desk.store.db import open_database
from desk.reminders import scheduler as sched
from desk.reminders.scheduler import Scheduler
from desk.store.settings import Settings

db_path, start, days = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
# Small batches, one per tick: a day's reminders take several transactions to crash between
# and inside (a batch of all 120 would be one short transaction).
sched.FIRST_BATCH = sched.BATCH = 40
sched.MAX_SECONDS_PER_TICK = 0.0
open_database(db_path)
settings = Settings()
clock = FakeClock(start)
outbox.recover_interrupted(clock=clock)  # what the engine does at start-up
print("ready", flush=True)
for day in range(days):
    clock.set(start + timedelta(days=day))
    scheduler = Scheduler(settings=settings, clock=clock)
    while scheduler.tick():
        print("tick", flush=True)
        send_queue.take_jobs(settings=settings, clock=clock, limit=3)
print("done", flush=True)
"""


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "crash.sqlite3"
    open_database(path)
    settings = Settings()
    settings.set("timezone", "America/New_York")
    settings.set("rate_per_minute", 60)
    clock = FakeClock(START - timedelta(hours=1))
    for i in range(REMINDERS):
        people = [
            contact_for_number(f"+1202555{(i * RECIPIENTS + k) % 10000:04d}", clock=clock)
            for k in range(RECIPIENTS)
        ]
        create_reminder(
            recipients=people,
            text=f"reminder {i} for {{first_name}}",
            at=START,
            every=parse_every("day"),
            count=DAYS,
            settings=settings,
            clock=clock,
        )
    close_database()
    yield path
    close_database()


def _run(db_path: Path, kill_after: tuple[int, float] | None) -> bool:
    """Run the script; kill -9 it ``kill_after`` = (ticks, seconds): that many seconds after it
    has told of that many ticks (machine speed does not decide whether it is cut short, only
    where). True if it finished."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(db_path), START.isoformat(), str(DAYS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    seen: list[str] = []
    if kill_after is not None:
        ticks, seconds = kill_after
        seen = [proc.stdout.readline().strip() for _ in range(ticks)]
        time.sleep(seconds)  # a random moment to crash at, not a timing assertion
        if "done" not in seen and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    # Read on through the same buffered stream: a run with little left to do prints "ready"
    # and "done" together, and communicate() (which reads the pipe itself) would miss the
    # "done" already sitting in the buffer behind "ready".
    out = proc.stdout.read()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=300)
    if kill_after is None:
        assert proc.returncode == 0, err
    return "done" in out or "done" in seen


def test_kill_9_while_materialising_never_duplicates_or_loses_an_occurrence(db_path):
    rng = random.Random(5)
    kills = 0
    for _ in range(4):
        if not _run(db_path, (rng.randint(1, 8), rng.uniform(0.0, 0.01))):
            kills += 1
    assert _run(db_path, None)
    open_database(db_path)
    expected = REMINDERS * RECIPIENTS * DAYS
    assert ReminderRun.select().count() == expected
    dup_runs = (
        ReminderRun.select(ReminderRun.reminder, ReminderRun.contact, ReminderRun.due_at)
        .group_by(ReminderRun.reminder, ReminderRun.contact, ReminderRun.due_at)
        .having(pw.fn.COUNT(ReminderRun.id) > 1)
        .count()
    )
    assert dup_runs == 0
    reminder_messages = Message.select().where(Message.source == "reminder")
    assert reminder_messages.count() == expected
    per_run = (
        Message.select(Message.reminder_run_id)
        .where(Message.source == "reminder")
        .group_by(Message.reminder_run_id)
        .having(pw.fn.COUNT(Message.id) > 1)
        .count()
    )
    assert per_run == 0
    assert all(r.state == "queued" and r.message_id for r in ReminderRun.select())
    assert Reminder.select().where(Reminder.state != "done").count() == 0
    # A message taken for sending when a process died became uncertain at the next start (a
    # person decides), never queued again; nothing was lost or failed.
    states = {m.state for m in Message.select(Message.state)}
    assert states <= {"queued", "sending", "uncertain"}, states
    assert kills >= 1  # at least one run was really cut short
