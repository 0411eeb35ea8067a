"""Benchmark: 10 000 reminders due in the same minute.

Prints the time to materialise them all (Scheduler.tick until nothing is due) against a baseline of
100 measured in the same run (per reminder, and the ratio), and checks that the send-rate limit and
quiet hours still hold afterwards: how many messages ``take_jobs`` releases in the first minute
(against ``rate_per_minute``), and that none is released in quiet hours.

    .venv/bin/python bench/bench_reminders.py [--count 10000] [--baseline 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desk.base.clock import FakeClock, to_db, utc
from desk.messaging import send_queue
from desk.reminders.scheduler import Scheduler
from desk.store.db import close_database, db, open_database
from desk.store.models import Contact, Message, Reminder, ReminderRecipient, ReminderRun
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


def materialise(settings: Settings, clock: FakeClock) -> tuple[float, int, int, float]:
    """(seconds, ticks, messages, longest tick) to turn everything due into outbox messages.
    The longest tick is how long the engine's core thread is held at a time (goal <= 200 ms)."""
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
    return time.perf_counter() - started, ticks, messages, longest


def run(n: int, due: datetime, workdir: Path, name: str) -> tuple[Settings, FakeClock, float]:
    path = workdir / f"{name}.sqlite3"
    settings = setup(path, n, due)
    clock = FakeClock(due)
    seconds, ticks, messages, longest = materialise(settings, clock)
    runs = ReminderRun.select().count()
    assert messages == n == runs, (messages, n, runs)
    dup = Message.select(Message.reminder_run_id).distinct().count()
    assert dup == n, "a run produced more than one message"
    print(f"  {name:<10} {n:>6} reminders: {seconds:8.3f} s in {ticks:>3} tick(s), "
          f"{1e3 * seconds / n:7.3f} ms per reminder, longest tick {1e3 * longest:4.0f} ms "
          f"(goal <= 200)")  # fmt: skip
    return settings, clock, seconds


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
        ok_rate = released <= limit
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
