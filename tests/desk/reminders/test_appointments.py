"""Appointment reminders at offsets, and the customer's reply (C / R / anything else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock, to_db, utc
from desk.messaging.contacts import contact_for_number, conversation_for
from desk.reminders import appointments
from desk.reminders.appointments import classify_reply, create_appointment, on_incoming
from desk.reminders.manage import ReminderError
from desk.reminders.scheduler import Scheduler
from desk.store.db import close_database, open_database
from desk.store.models import Appointment, Conversation, Message, Reminder, ReminderRun
from desk.store.settings import Settings


@pytest.fixture
def env(tmp_path):
    database = open_database(tmp_path / "a.sqlite3")
    settings = Settings()
    settings.set("timezone", "Europe/London")
    settings.set("default_country", "GB")
    settings.set("shop_name", "Smile Dental")
    clock = FakeClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    yield settings, clock
    database.close()
    close_database()


def incoming(contact, body: str, clock) -> Message:
    conv = conversation_for(contact, clock=clock)
    return Message.create(
        conversation=conv,
        direction="in",
        body=body,
        state="received",
        created_at=to_db(clock.now()),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("C", "confirmed"),
        ("c", "confirmed"),
        ("yes!", "confirmed"),
        ("Ok.", "confirmed"),
        (" YES ", "confirmed"),
        ("y", "confirmed"),
        ("👍", "confirmed"),
        ("👍🏽", "confirmed"),
        ("Yes! 👍", "confirmed"),
        ("ok ok", "confirmed"),
        ("No, cancel", "reschedule"),
        ("yes no", None),
        ("C 123", None),
        ("🙂", None),
        ("R", "reschedule"),
        ("no", "reschedule"),
        ("N", "reschedule"),
        ("CANCEL", "reschedule"),
        ("Cancel.", "reschedule"),
        ("Can we do Thursday instead?", None),
        ("yes but I'll be late", None),
        ("", None),
        ("STOP", None),
    ],
)
def test_classify_reply(body, expected):
    assert classify_reply(body) == expected


def test_offsets_before_the_appointment_and_past_ones_are_not_created(env):
    settings, clock = env
    ann = contact_for_number("+447911123456", clock=clock)
    # Appointment in 24 h: the 48 h reminder is already past, only the 2 h one is created.
    appt = create_appointment(
        ann, clock.now() + timedelta(hours=24), settings=settings, clock=clock, service="cleaning"
    )
    reminders = list(appt.reminders)
    assert [r.offset_minutes for r in reminders] == [120]
    assert utc(reminders[0].next_at) == clock.now() + timedelta(hours=22)
    far = create_appointment(
        ann, clock.now() + timedelta(days=5), settings=settings, clock=clock, offsets=[2880, 120]
    )
    assert sorted(r.offset_minutes for r in far.reminders) == [120, 2880]
    with pytest.raises(ReminderError, match="already passed"):
        create_appointment(ann, clock.now() - timedelta(hours=1), settings=settings, clock=clock)


def test_confirm_reply_marks_the_appointment_and_skips_the_rest(env):
    settings, clock = env
    ann = contact_for_number("+447911123456", clock=clock)
    ann.name = "Ann Lee"
    ann.save()
    start = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # Fri 4 Dec 09:30 London
    appt = create_appointment(ann, start, settings=settings, clock=clock, service="check-up")
    sched = Scheduler(settings=settings, clock=clock)
    # A reply before any reminder went out is not an answer to anything.
    early = incoming(ann, "C", clock)
    assert on_incoming(early, clock=clock) is None
    clock.set(start - timedelta(hours=48))
    ids = sched.tick()
    assert len(ids) == 1
    assert Message.get_by_id(ids[0]).body == (
        "Hi Ann, this is Smile Dental: a reminder of your check-up appointment on Fri 4 Dec at "
        "09:30. Reply C to confirm, R to reschedule."
    )
    chat = incoming(ann, "Can I bring my son?", clock)
    assert on_incoming(chat, clock=clock) is None
    reply = incoming(ann, "Yes!", clock)
    assert on_incoming(reply, clock=clock) == appt.id
    appt = Appointment.get_by_id(appt.id)
    assert appt.state == "confirmed" and appt.reply_message_id == reply.id
    assert "appointment_confirmed" in Message.get_by_id(reply.id).flag_list
    # The 2 h reminder is skipped (skip_after_confirm is on by default), with the reason.
    clock.set(start - timedelta(hours=2))
    assert sched.tick() == []
    last = ReminderRun.select().order_by(ReminderRun.id.desc()).first()
    assert (last.state, last.reason) == ("skipped", "appointment already confirmed")
    # A second "C" no longer matches a pending appointment: it stays for staff.
    assert on_incoming(incoming(ann, "C", clock), clock=clock) is None


def test_confirmed_still_gets_later_reminders_when_the_setting_is_off(env):
    settings, clock = env
    settings.set("skip_after_confirm", "off")
    ann = contact_for_number("+447911123456", clock=clock)
    start = clock.now() + timedelta(days=3)
    create_appointment(ann, start, settings=settings, clock=clock)
    sched = Scheduler(settings=settings, clock=clock)
    clock.set(start - timedelta(hours=48))
    assert len(sched.tick()) == 1
    on_incoming(incoming(ann, "ok", clock), clock=clock)
    clock.set(start - timedelta(hours=2))
    assert len(sched.tick()) == 1


def test_reschedule_reply_needs_attention_and_cancel_is_ours(env):
    settings, clock = env
    bob = contact_for_number("+447911123457", clock=clock)
    start = clock.now() + timedelta(days=3)
    appt = create_appointment(bob, start, settings=settings, clock=clock)
    assert appointments.awaiting_reply(bob, clock=clock) is None
    clock.set(start - timedelta(hours=48))
    Scheduler(settings=settings, clock=clock).tick()
    assert appointments.awaiting_reply(bob, clock=clock).id == appt.id
    reply = incoming(bob, "CANCEL", clock)
    assert on_incoming(reply, clock=clock) == appt.id
    assert Appointment.get_by_id(appt.id).state == "reschedule"
    assert Conversation.get(Conversation.contact == bob).needs_attention
    assert "appointment_reschedule" in Message.get_by_id(reply.id).flag_list


def test_reschedule_and_cancel_replace_or_stop_the_reminders(env):
    settings, clock = env
    ann = contact_for_number("+447911123456", clock=clock)
    appt = create_appointment(ann, clock.now() + timedelta(days=3), settings=settings, clock=clock)
    new_start = clock.now() + timedelta(days=10)
    appointments.reschedule_appointment(appt.id, new_start, settings=settings, clock=clock)
    live = Reminder.select().where(Reminder.state == "scheduled")
    assert sorted(utc(r.next_at) for r in live) == [
        new_start - timedelta(hours=48),
        new_start - timedelta(hours=2),
    ]
    appointments.cancel_appointment(appt.id, clock=clock)
    assert Reminder.select().where(Reminder.state == "scheduled").count() == 0
    clock.set(new_start)
    assert Scheduler(settings=settings, clock=clock).tick() == []


def test_source_key_is_stable_and_import_is_idempotent(env):
    settings, clock = env
    ann = contact_for_number("+447911123456", clock=clock)
    start = clock.now() + timedelta(days=3)
    key = appointments.source_key(ann.number, start)
    assert key == appointments.source_key(ann.number, start.astimezone())
    first = create_appointment(ann, start, settings=settings, clock=clock, source=key)
    again = create_appointment(ann, start, settings=settings, clock=clock, source=key)
    assert first.id == again.id
    assert Appointment.select().count() == 1
    assert Reminder.select().count() == 2
