"""What a scheduler tick and the reminder pages cost (queries, settings reads, batch sizes), and
when the next one is due: flat however many reminders there are."""

from __future__ import annotations

from datetime import timedelta

from desk.messaging import outbox
from desk.reminders.manage import create_reminder
from desk.reminders.scheduler import Scheduler
from tests.desk.reminders.scheduling import NY_NUMBER, contact
from tests.helpers import sql_trace


def test_upcoming_list_reads_settings_once_however_many_reminders(env):
    """The Reminders page calls upcoming() on the GUI thread: its queries must not grow with the
    number of reminders (each preview fills placeholders and checks quiet hours)."""
    from desk.reminders.listing import upcoming

    settings, clock = env
    people = [contact(f"+1202555{i:04d}", f"Person {i}") for i in range(40)]

    def statements() -> int:
        with sql_trace.statements() as seen:
            items = upcoming(settings=settings, clock=clock)
        assert all("{" not in item.preview for item in items)
        assert sql_trace.setting_reads(seen) == 1  # one snapshot
        return len(seen)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            create_reminder(
                recipients=[people[i % len(people)].id],
                text="Hi {first_name}, {shop} here: see you {date} at {time}.",
                at=clock.now() + timedelta(hours=1 + i),
                settings=settings,
                clock=clock,
            )

    add(5, 0)
    few = statements()
    add(200, 5)
    many = statements()
    assert many == few, f"{few} statements for 5 reminders, {many} for 205"


def _setting_reads(fn) -> tuple[object, int, int]:
    with sql_trace.statements() as seen:
        result = fn()
    return result, sql_trace.setting_reads(seen), len(seen)


def test_a_tick_reads_the_settings_once_however_many_occurrences(env):
    """One snapshot per tick: rendering, quiet hours and the outbox all use it."""
    settings, clock = env
    people = [contact(f"+1202555{i:04d}", f"Person {i}") for i in range(30)]
    for i in range(60):
        create_reminder(
            recipients=[people[i % 30].id, people[(i + 1) % 30].id],
            text="Hi {first_name}, {shop}: {date} at {time}.",
            at=clock.now() + timedelta(minutes=1),
            settings=settings,
            clock=clock,
        )
    clock.advance(timedelta(minutes=2))
    ids, setting_reads, _ = _setting_reads(Scheduler(settings=settings, clock=clock).tick)
    assert len(ids) == 120
    assert setting_reads == 1


def test_the_appointment_page_costs_the_same_for_5_or_50_appointments(env):
    from desk.reminders import appointments
    from desk.reminders.listing import appointment_list

    settings, clock = env
    settings.set("reminder_offsets", "1h")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            c = contact(f"+1202556{i:04d}", f"P {i}")
            appt = appointments.create_appointment(
                c, clock.now() + timedelta(days=1, minutes=i), settings=settings, clock=clock
            )
            reply = outbox.queue_message(c, "ok", source="staff", settings=settings, clock=clock)
            appt.reply_message = reply.id
            appt.save()

    add(5, 0)
    few_items, few_settings, few = _setting_reads(
        lambda: appointment_list(settings=settings, clock=clock)
    )
    assert len(few_items) == 5
    add(45, 5)
    items, many_settings, many = _setting_reads(
        lambda: appointment_list(settings=settings, clock=clock)
    )
    assert len(items) == 50 and all(i.reply and i.reminders == 1 for i in items)
    assert many == few and few_settings == many_settings == 1


def test_next_due_is_the_earliest_scheduled_occurrence_left_to_go(env):
    """What the engine sleeps until: the earliest scheduled occurrence, none once all went,
    and a reminder that raised (skipped until restart) does not keep it awake."""
    settings, clock = env
    ann = contact(NY_NUMBER, "Ann")
    scheduler = Scheduler(settings=settings, clock=clock)
    assert scheduler.next_due() is None
    soon = clock.now() + timedelta(minutes=5)
    later = clock.now() + timedelta(hours=2)
    first = create_reminder(recipients=[ann], text="Soon", at=soon, settings=settings, clock=clock)
    create_reminder(recipients=[ann], text="Later", at=later, settings=settings, clock=clock)
    assert scheduler.next_due() == soon
    scheduler._broken.add(first.id)
    assert scheduler.next_due() == later
    scheduler._broken.clear()
    clock.advance(timedelta(minutes=6))
    scheduler.tick()
    assert scheduler.next_due() == later
    clock.advance(timedelta(hours=2))
    scheduler.tick()
    assert scheduler.next_due() is None


def test_batches_shrink_on_a_slow_pc_and_grow_back(env):
    """One batch is one transaction holding the write lock: kept near BATCH_SECONDS."""
    from desk.reminders import scheduler as sched

    settings, clock = env
    s = Scheduler(settings=settings, clock=clock)
    assert s._batch_size == sched.FIRST_BATCH < sched.BATCH  # not timed yet: a modest batch
    s._fit_batch(sched.BATCH_SECONDS * 3)
    assert s._batch_size == sched.FIRST_BATCH // 2
    for _ in range(10):
        s._fit_batch(sched.BATCH_SECONDS * 3)
    assert s._batch_size == sched.MIN_BATCH
    s._fit_batch(sched.BATCH_SECONDS / 2)  # neither slow nor quick: kept
    assert s._batch_size == sched.MIN_BATCH
    for _ in range(10):
        s._fit_batch(sched.BATCH_SECONDS / 10)
    assert s._batch_size == sched.BATCH
