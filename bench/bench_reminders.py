"""Benchmark: 10 000 reminders due in the same minute.

Prints the time to materialise them all (Scheduler.tick until nothing is due; goal <= 5 s) against
a baseline of 100 measured in the same run (per reminder, and the ratio), the longest tick (the
engine's core thread held at a time; goal <= 200 ms), and the transactions (chunks) it took with
the longest (the write lock held at a time). Then it checks every row: the queue holds exactly one
text per reminder, the very text ``manage.render`` writes, held exactly as ``quiet_hold`` says;
and that the send-rate limit and quiet hours hold: ``take_jobs`` releases exactly
``rate_per_minute`` messages in the first minute, and none in quiet hours.

    .venv/bin/python bench/bench_reminders.py [--count 10000] [--baseline 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desk.base.clock import FakeClock, to_db, utc
from desk.messaging import send_queue
from desk.messaging.contacts import quiet_hold
from desk.reminders.manage import render
from desk.reminders.scheduler import Scheduler
from desk.store.db import close_database, db, open_database
from desk.store.models import (
    OUT,
    QUEUED,
    Contact,
    Message,
    MessagePart,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Settings

DAY = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York: allowed
NIGHT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 22:00 in New York: quiet hours


def setup(path: Path, n: int, due: datetime) -> Settings:
    """n contacts with one reminder each, all due at ``due`` (bulk inserts: setup is not timed)."""
    open_database(path)
    settings = Settings()
    settings.set("timezone", "America/New_York")
    settings.set("rate_per_minute", 6)
    created = to_db(due - timedelta(days=1))
    with db.atomic():
        Contact.insert_many(
            [
                {
                    "number": f"+1212{2_000_000 + i * 37:07d}",  # valid New York numbers
                    "name": f"Customer {i}",
                    "created_at": created,
                }
                for i in range(n)
            ]
        ).execute()
        ids = [c.id for c in Contact.select(Contact.id).order_by(Contact.id)]
        Reminder.insert_many(
            [
                {
                    "text": "Hi {first_name}, {shop} reminds you.",
                    "next_at": to_db(due),
                    "state": "scheduled",
                    "created_at": created,
                }
                for _ in range(n)
            ]
        ).execute()
        rids = [r.id for r in Reminder.select(Reminder.id).order_by(Reminder.id)]
        for i in range(0, n, 500):
            ReminderRecipient.insert_many(
                [
                    {"reminder": r, "contact": c}
                    for r, c in zip(rids[i : i + 500], ids[i : i + 500], strict=True)
                ]
            ).execute()
    return settings


@dataclass
class Figures:
    seconds: float  # all of it: every tick until nothing is due
    ticks: int
    longest_tick: float  # the engine's core thread held by reminders at a time (goal <= 200 ms)
    batches: int  # transactions (chunks), each written set-wise
    longest_batch: float  # the longest transaction: the write lock held at a time
    mean_batch: float
    messages: int


def materialise(settings: Settings, clock: FakeClock) -> Figures:
    """Every tick the engine would run until nothing is due, timed."""
    scheduler = Scheduler(settings=settings, clock=clock)
    started = time.perf_counter()
    ticks = messages = 0
    longest = 0.0
    while True:
        began = time.perf_counter()
        ids = scheduler.tick()
        longest = max(longest, time.perf_counter() - began)
        ticks += 1
        messages += len(ids)
        if (
            not Reminder.select()
            .where((Reminder.state == "scheduled") & (Reminder.next_at <= to_db(clock.now())))
            .exists()
        ):
            break
    seconds = time.perf_counter() - started
    batches = scheduler.batches
    return Figures(
        seconds,
        ticks,
        longest,
        batches.count,
        batches.longest,
        batches.total / max(1, batches.count),
        messages,
    )


def check_queue(n: int, messages: int, settings: Settings, due: datetime) -> list[str]:
    """What must hold afterwards, checked on every row (not timed): the queue holds exactly n
    texts, one per reminder and recipient, each the very text ``manage.render`` writes for its
    contact and held exactly as ``quiet_hold`` says; every run queued with its message."""
    problems = []
    runs = ReminderRun.select().count()
    queued = Message.select().where((Message.direction == OUT) & (Message.state == QUEUED)).count()
    parts = MessagePart.select().count()
    if not messages == queued == runs == parts == n:
        problems.append(
            f"{messages} ids returned, {queued} queued texts, {runs} runs, {parts} parts "
            f"for {n} reminders"
        )
    if Message.select(Message.reminder_run_id).distinct().count() != n:
        problems.append("a run produced more than one message")
    linked = ReminderRun.select().where(
        (ReminderRun.state == "queued") & ReminderRun.message.is_null(False)
    )
    if linked.count() != n:
        problems.append(f"{n - linked.count()} runs not queued with their message")
    snap = settings.snapshot()
    contacts = {c.id: c for c in Contact.select()}
    query = (
        Message.select(Message.body, Message.not_before, ReminderRun.contact, Reminder.text)
        .join(ReminderRun, on=(ReminderRun.id == Message.reminder_run_id))
        .join(Reminder)
        .tuples()
    )
    wrong_text = wrong_hold = 0
    for body, not_before, contact_id, template in query:
        contact = contacts[contact_id]
        wrong_text += body != render(template, contact=contact, settings=snap, when=due)
        held = utc(not_before) if not_before is not None else None
        wrong_hold += held != quiet_hold(due, contact, snap)
    if wrong_text or wrong_hold:
        problems.append(f"{wrong_text} texts differ from manage.render, {wrong_hold} holds "
                        "from quiet_hold")  # fmt: skip
    return problems


def run(n: int, due: datetime, workdir: Path, name: str) -> tuple[Settings, FakeClock, float]:
    path = workdir / f"{name}.sqlite3"
    settings = setup(path, n, due)
    clock = FakeClock(due)
    f = materialise(settings, clock)
    problems = check_queue(n, f.messages, settings, due)
    print(f"  {name:<10} {n:>6} reminders: {f.seconds:8.3f} s in {f.ticks:>3} tick(s), "
          f"{1e3 * f.seconds / n:7.3f} ms per reminder, longest tick {1e3 * f.longest_tick:4.0f} ms "
          f"(goal <= 200)")  # fmt: skip
    print(f"  {'':<10} {f.batches:>6} transactions (chunks): longest {1e3 * f.longest_batch:4.0f}"
          f" ms, mean {1e3 * f.mean_batch:5.1f} ms; queue afterwards: "
          f"{'; '.join(problems) if problems else f'{n} texts, one each, as rendered, as held: OK'}")  # fmt: skip
    if problems:
        raise SystemExit(f"{name}: {'; '.join(problems)}")
    return settings, clock, f.seconds


def released_in_first_minute(settings: Settings, clock: FakeClock) -> int:
    """Messages take_jobs hands out during the first minute (called every second, as the engine
    does; nothing is reported sent, so in-flight parts count against the limit)."""
    start = clock.now()
    released = 0
    for second in range(60):
        clock.set(start + timedelta(seconds=second))
        released += len(send_queue.take_jobs(settings=settings, clock=clock, limit=10))
    return released


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (1,000 reminders)")
    args = parser.parse_args()
    if args.quick:
        args.count = min(args.count, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("Materialising reminders all due in the same minute (SQLite, synchronous=FULL):")
        _, _, base = run(args.baseline, DAY, work, "baseline")
        close_database()
        settings, clock, big = run(args.count, DAY, work, "day")
        per_base, per_big = base / args.baseline, big / args.count
        print(f"  per-reminder cost ratio {args.count} vs {args.baseline}: "
              f"{per_big / per_base:.2f}x (1.0 = linear)")  # fmt: skip
        limit = settings.get("rate_per_minute")
        released = released_in_first_minute(settings, clock)
        ok_rate = released == limit  # the limit, no more (and the queue is not stuck)
        print(f"Rate limit: take_jobs released {released} message(s) in the first minute "
              f"(rate_per_minute = {limit}): {'OK' if ok_rate else 'VIOLATED'}")  # fmt: skip
        close_database()

        settings, clock, _ = run(args.count, NIGHT, work, "night")
        quiet = released_in_first_minute(settings, clock)
        held = Message.select().where(Message.not_before.is_null(False)).count()
        first = utc(
            Message.select(Message.not_before).order_by(Message.not_before).first().not_before
        )
        print(f"Quiet hours (22:00 in New York): take_jobs released {quiet} message(s); "
              f"{held} held until {first.astimezone(settings.shop_zone()):%H:%M} local: "
              f"{'OK' if quiet == 0 else 'VIOLATED'}")  # fmt: skip
        close_database()
    return 0 if ok_rate and quiet == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
