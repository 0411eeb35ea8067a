"""The scheduler on a real SQLite file with a FakeClock: exactly once, grace, quiet hours, opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import peewee as pw
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from desk.base import quiet_hours
from desk.base.clock import to_db, utc
from desk.messaging import send_queue
from desk.messaging.contacts import contact_for_number, quiet_hold
from desk.reminders.manage import ReminderError, cancel_reminder, create_reminder
from desk.reminders.recurrence import parse_every
from desk.reminders.scheduler import Scheduler, send_now
from desk.store.db import close_database, open_database
from desk.store.models import Contact, Message, Reminder, ReminderRun
from desk.store.settings import Settings
from tests.desk.reminders.scheduling import LONDON_NUMBER, NY_NUMBER, contact, runs


def test_one_off_reminder_goes_out_once_with_placeholders(env):
    settings, clock = env
    ann = contact(NY_NUMBER, "Ann Lee")
    bob = contact("+12025550188", "Bob")
    reminder = create_reminder(
        recipients=[ann, bob],
        text="Hi {first_name}, {shop} here: your car is ready at {time} on {date}.",
        at=clock.now() + timedelta(hours=1),
        settings=settings,
        clock=clock,
    )
    sched = Scheduler(settings=settings, clock=clock)
    assert sched.tick() == []
    clock.advance(timedelta(hours=1))
    ids = sched.tick()
    assert len(ids) == 2
    bodies = sorted(Message.get_by_id(i).body for i in ids)
    assert bodies == [
        "Hi Ann, Smile Dental here: your car is ready at 10:00 AM on Tue 1 Dec.",
        "Hi Bob, Smile Dental here: your car is ready at 10:00 AM on Tue 1 Dec.",
    ]
    for i in ids:
        m = Message.get_by_id(i)
        assert (m.source, m.automated, m.state) == ("reminder", True, "queued")
        assert ReminderRun.get_by_id(m.reminder_run_id).message_id == i
    assert Reminder.get_by_id(reminder.id).state == "done"
    # Again, a restart (a new scheduler), and the clock set back then forward: nothing more.
    assert sched.tick() == []
    assert Scheduler(settings=settings, clock=clock).tick() == []
    clock.advance(timedelta(hours=-5))
    assert sched.tick() == []
    clock.advance(timedelta(hours=10))
    assert sched.tick() == []
    assert Message.select().count() == 2


def test_recurring_reminder_advances_and_a_backwards_clock_never_resends(env):
    settings, clock = env
    ann = contact(NY_NUMBER, "Ann")
    reminder = create_reminder(
        recipients=[ann],
        text="Take your pills",
        at=clock.now() + timedelta(minutes=30),
        every=parse_every("day"),
        count=3,
        settings=settings,
        clock=clock,
    )
    sched = Scheduler(settings=settings, clock=clock)
    clock.advance(timedelta(minutes=30))
    assert len(sched.tick()) == 1
    clock.advance(timedelta(hours=-3))  # someone fixes the PC's clock
    assert sched.tick() == []
    clock.advance(timedelta(hours=3))
    assert sched.tick() == []
    for _ in range(2):
        clock.advance(timedelta(days=1))
        assert len(sched.tick()) == 1
    clock.advance(timedelta(days=1))
    assert sched.tick() == []
    r = Reminder.get_by_id(reminder.id)
    assert (r.state, r.occurrences, r.next_at) == ("done", 3, None)
    assert [utc(x.due_at).astimezone(settings.shop_zone()).day for x in runs()] == [1, 2, 3]


def test_the_unique_run_index_refuses_a_second_run_for_one_occurrence(env):
    settings, clock = env
    ann = contact(NY_NUMBER)
    reminder = create_reminder(
        recipients=[ann], text="x", at=clock.now(), settings=settings, clock=clock
    )
    Scheduler(settings=settings, clock=clock).tick()
    run = runs()[0]
    with pytest.raises(pw.IntegrityError):
        ReminderRun.create(
            reminder=reminder, contact=ann, due_at=run.due_at, state="queued", created_at=run.due_at
        )
    # Even if the reminder were pointed back at that occurrence, it would not go twice.
    Reminder.update(next_at=run.due_at, state="scheduled").where(
        Reminder.id == reminder.id
    ).execute()
    assert Scheduler(settings=settings, clock=clock).tick() == []
    assert Message.select().count() == 1


def test_late_within_grace_is_sent_later_than_grace_is_missed_and_the_series_continues(env):
    settings, clock = env
    settings.set("grace_minutes", 60)
    ann = contact(NY_NUMBER)
    soon = create_reminder(
        recipients=[ann], text="one-off", at=clock.now(), settings=settings, clock=clock
    )
    daily = create_reminder(
        recipients=[ann],
        text="daily",
        at=clock.now() + timedelta(minutes=5),
        every=parse_every("day"),
        settings=settings,
        clock=clock,
    )
    # The app was closed: it starts again 50 min later (one-off within grace), ...
    clock.advance(timedelta(minutes=50))
    ids = Scheduler(settings=settings, clock=clock).tick()
    assert len(ids) == 2
    # ... then closed for two days and a bit: two daily occurrences are missed, none sent.
    clock.advance(timedelta(days=2, hours=2))
    assert Scheduler(settings=settings, clock=clock).tick() == []
    missed = runs(reminder=daily.id, state="missed")
    assert len(missed) == 2
    assert all("late" in r.reason for r in missed)
    r = Reminder.get_by_id(daily.id)
    assert r.state == "scheduled"
    assert utc(r.next_at) == datetime(2026, 12, 4, 14, 5, tzinfo=UTC)  # continues on the 4th
    assert Reminder.get_by_id(soon.id).state == "done"
    # A one-off missed beyond grace is marked missed on the reminder itself.
    late = create_reminder(
        recipients=[ann], text="late", at=clock.now(), settings=settings, clock=clock
    )
    clock.advance(timedelta(minutes=61))
    Scheduler(settings=settings, clock=clock).tick()
    assert Reminder.get_by_id(late.id).state == "missed"
    assert runs(reminder=late.id)[0].state == "missed"


def test_quiet_hours_defer_to_the_next_allowed_minute_in_each_recipients_zone(env):
    settings, clock = env
    clock.set(datetime(2026, 12, 1, 11, 0, tzinfo=UTC))  # 06:00 New York, 11:00 London
    ny = contact(NY_NUMBER, "Ny")
    london_by_number = contact(LONDON_NUMBER, "Lon")
    tokyo_by_setting = contact("+12025550199", "Tok", tz="Asia/Tokyo")  # 20:00 in Tokyo
    create_reminder(
        recipients=[ny, london_by_number, tokyo_by_setting],
        text="hello",
        at=clock.now(),
        settings=settings,
        clock=clock,
    )
    ids = Scheduler(settings=settings, clock=clock).tick()
    by_contact = {Message.get_by_id(i).conversation.contact.name: Message.get_by_id(i) for i in ids}
    assert utc(by_contact["Ny"].not_before) == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 08:00
    assert by_contact["Lon"].not_before is None
    assert by_contact["Tok"].not_before is None
    assert "quiet hours" in ReminderRun.get_by_id(by_contact["Ny"].reminder_run_id).reason
    # The outbox agrees: only the two outside quiet hours may go now; New York's at 08:00.
    jobs = send_queue.take_jobs(settings=settings, clock=clock, limit=10)
    assert sorted(j.number for j in jobs) == sorted([LONDON_NUMBER, "+12025550199"])
    clock.set(datetime(2026, 12, 1, 12, 59, tzinfo=UTC))
    assert send_queue.take_jobs(settings=settings, clock=clock, limit=10) == []
    clock.set(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    assert [j.number for j in send_queue.take_jobs(settings=settings, clock=clock, limit=10)] == [
        NY_NUMBER
    ]


def test_deferral_respects_a_night_window_and_off(env):
    settings, _clock = env
    c = contact(NY_NUMBER)
    evening = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 22:30 New York
    assert quiet_hold(evening, c, settings) == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    settings.set("quiet_hours", "off")
    assert quiet_hold(evening, c, settings) is None


def test_opt_out_during_a_series_skips_with_the_reason_and_opt_in_resumes(env):
    settings, clock = env
    ann = contact(NY_NUMBER, "Ann")
    bob = contact("+12025550188", "Bob")
    reminder = create_reminder(
        recipients=[ann, bob],
        text="weekly tip",
        at=clock.now(),
        every=parse_every("week"),
        settings=settings,
        clock=clock,
    )
    sched = Scheduler(settings=settings, clock=clock)
    assert len(sched.tick()) == 2
    Contact.update(opted_out=True).where(Contact.id == ann.id).execute()
    clock.advance(timedelta(weeks=1))
    ids = sched.tick()
    assert [Message.get_by_id(i).conversation.contact_id for i in ids] == [bob.id]
    skipped = runs(reminder=reminder.id, contact=ann.id, state="skipped")
    assert len(skipped) == 1 and skipped[0].reason == "opted out"
    Contact.update(opted_out=False).where(Contact.id == ann.id).execute()
    clock.advance(timedelta(weeks=1))
    assert len(sched.tick()) == 2


def test_outbox_refusal_is_recorded_as_a_skip_and_does_not_stop_others(env):
    settings, clock = env
    good = contact(NY_NUMBER, "Good")
    sender_name = contact_for_number("MyBank", clock=clock)  # an alphanumeric sender
    create_reminder(
        recipients=[good, sender_name], text="hi", at=clock.now(), settings=settings, clock=clock
    )
    ids = Scheduler(settings=settings, clock=clock).tick()
    assert len(ids) == 1
    refused = runs(contact=sender_name.id)[0]
    assert refused.state == "skipped" and "cannot be texted" in refused.reason


def test_cancel_and_send_now(env):
    settings, clock = env
    ann = contact(NY_NUMBER)
    later = create_reminder(
        recipients=[ann],
        text="monthly",
        at=clock.now() + timedelta(days=3),
        every=parse_every("month"),
        settings=settings,
        clock=clock,
    )
    ids = send_now(later.id, settings=settings, clock=clock)
    assert len(ids) == 1
    assert Message.get_by_id(ids[0]).not_before is None  # now, not at the occurrence's time
    assert [j.job_id for j in send_queue.take_jobs(settings=settings, clock=clock)] == ids
    r = Reminder.get_by_id(later.id)
    assert r.state == "scheduled"
    assert utc(r.next_at).astimezone(settings.shop_zone()).month == 1  # moved on a month
    assert cancel_reminder(later.id, clock=clock)
    assert not cancel_reminder(later.id, clock=clock)
    clock.advance(timedelta(days=40))
    assert Scheduler(settings=settings, clock=clock).tick() == []


def test_bad_reminders_are_refused(env):
    settings, clock = env
    ann = contact(NY_NUMBER)
    with pytest.raises(ReminderError, match="no text"):
        create_reminder(recipients=[ann], text="  ", at=clock.now(), settings=settings, clock=clock)
    with pytest.raises(ReminderError, match="already passed"):
        create_reminder(
            recipients=[ann],
            text="x",
            at=clock.now() - timedelta(hours=1),
            settings=settings,
            clock=clock,
        )
    with pytest.raises(ReminderError, match="no recipients"):
        create_reminder(recipients=[], text="x", at=clock.now(), settings=settings, clock=clock)
    assert Reminder.select().count() == 0


def test_many_due_at_once_are_all_materialised_with_one_message_each(env):
    settings, clock = env
    people = [contact(f"+1202555{n:04d}") for n in range(100, 160)]
    for p in people:
        create_reminder(recipients=[p], text="x", at=clock.now(), settings=settings, clock=clock)
    sched = Scheduler(settings=settings, clock=clock)
    ids: list[int] = []
    for _ in range(10):
        ids += sched.tick()
    assert len(ids) == len(set(ids)) == 60
    assert ReminderRun.select().count() == 60
    assert Reminder.select().where(Reminder.next_at <= to_db(clock.now())).count() == 0


def test_a_daily_reminder_keeps_its_local_time_across_the_dst_change(env):
    settings, clock = env
    ann = contact(NY_NUMBER)
    clock.set(datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    create_reminder(
        recipients=[ann],
        text="9 o'clock pills",
        at=datetime(2026, 3, 7, 14, 0, tzinfo=UTC),  # Sat 09:00 EST
        every=parse_every("day"),
        count=3,
        settings=settings,
        clock=clock,
    )
    sched = Scheduler(settings=settings, clock=clock)
    sent_at = []
    for day in range(4):
        clock.set(datetime(2026, 3, 7 + day, 12, 0, tzinfo=UTC))
        while True:
            due = Reminder.select().where(Reminder.state == "scheduled").first()
            if due is None or utc(due.next_at) > clock.now() + timedelta(hours=3):
                break
            clock.set(utc(due.next_at))
            assert len(sched.tick()) == 1
            sent_at.append(clock.now())
    assert sent_at == [
        datetime(2026, 3, 7, 14, 0, tzinfo=UTC),  # 09:00 EST
        datetime(2026, 3, 8, 13, 0, tzinfo=UTC),  # 09:00 EDT: clocks went forward that night
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
    ]


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    when=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    zone=st.sampled_from(
        ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", None]
    ),
    window=st.sampled_from(["08:00-21:00", "22:00-06:00", "02:30-03:30", "off"]),
)
def test_deferral_is_the_first_allowed_minute_in_the_recipients_zone(
    tmp_path_factory, when, zone, window
):
    database = open_database(tmp_path_factory.getbasetemp() / "deferral.sqlite3")
    try:
        settings = Settings()
        settings.set("timezone", "Europe/Berlin")
        settings.set("quiet_hours", window)
        c = Contact(number=NY_NUMBER if zone is None else "+12025550100", timezone=zone)
        when = when.replace(second=0, microsecond=0, tzinfo=UTC)
        tz = ZoneInfo(zone or "America/New_York")
        parsed = quiet_hours.parse_window(window)
        held = quiet_hold(when, c, settings)
    finally:
        database.close()
        close_database()
    if quiet_hours.is_allowed(when, tz, parsed):
        assert held is None
    else:
        assert held is not None and held > when
        assert quiet_hours.is_allowed(held, tz, parsed)
        assert not quiet_hours.is_allowed(held - timedelta(minutes=1), tz, parsed)
