"""The demo shop has everything the window must show: unread, uncertain, failed, opted out…"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desk.base.clock import FakeClock, to_db
from desk.demo.sample_data import BOOKED
from desk.demo.shop import populate
from desk.store import models as m
from desk.store.db import close_database, open_database
from desk.store.settings import Settings


def test_demo_shop_has_every_state(tmp_path: Path) -> None:
    open_database(tmp_path / "demo.sqlite3")
    try:
        summary = populate(clock=FakeClock(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)))
        assert 20 <= summary.contacts <= 30 and summary.conversations == summary.contacts
        states = {str(msg.state) for msg in m.Message.select(m.Message.state)}
        assert {m.DELIVERED, m.SENT, m.FAILED, m.UNCERTAIN, m.RECEIVED, m.INCOMPLETE} <= states
        assert m.Conversation.select().where(m.Conversation.unread > 0).count() >= 4
        assert m.Contact.select().where(m.Contact.opted_out == True).count() == 1  # noqa: E712
        assert m.Contact.select().where(m.Contact.callback_requested == True).count() == 1  # noqa: E712
        (masked,) = m.Message.select().where(m.Message.masked == True)  # noqa: E712
        # the masked text is the customer's own, card hidden as the app would hide it
        assert masked.body.startswith("Here is my insurance card: •••• •••• •••• 1111")
        assert "4111" not in masked.body and masked.flags == "sensitive"
        assert Settings().get("shop_name") == "Smile Dental"
        assert m.Template.select().count() >= 4
        # Unread counts agree with the unread messages.
        for conv in m.Conversation.select():
            n = conv.messages.where(m.Message.read == False).count()  # noqa: E712
            assert conv.unread == n
        # Idempotent: a second call adds nothing.
        before = m.Message.select().count()
        populate()
        assert m.Message.select().count() == before
    finally:
        close_database()


def _thread(name: str) -> list[m.Message]:
    conv = m.Conversation.get(m.Conversation.contact == m.Contact.get(m.Contact.name == name))
    return list(conv.messages.order_by(m.Message.created_at, m.Message.id))


def test_demo_replies_answer_real_appointments(tmp_path: Path) -> None:
    """Olivia's R is the answer to the reminder of a real appointment (wants to move it, her
    conversation needs attention), Maria's C confirmed hers; every reminder text in a thread is
    its appointment's, sent when its reminder was due, and nothing answers no appointment."""
    from desk.read.appointment_replies import replies_to
    from desk.reminders import appointments

    now = datetime(2026, 3, 10, 15, 2, 30, tzinfo=UTC)
    open_database(tmp_path / "demo.sqlite3")
    try:
        Settings().set("timezone", "America/New_York")
        populate(clock=FakeClock(now))
        olivia = m.Contact.get(m.Contact.name == "Olivia Brown")
        (appointment,) = olivia.appointments
        starts = appointment.starts_at.replace(tzinfo=UTC)
        assert appointment.state == appointments.RESCHEDULE and starts > now
        assert starts.minute % 5 == 0 and starts.second == 0
        reminder_msg, answer, follow_up = _thread("Olivia Brown")
        assert answer.body == "R" and appointment.reply_message_id == answer.id
        assert appointments.FLAG_RESCHEDULE in answer.flag_list
        assert "next week" in follow_up.body
        # The reminder is the 48-hour one, dated when it was due, its text from the appointment.
        run = m.ReminderRun.get(m.ReminderRun.message == reminder_msg)
        assert run.state == "queued" and run.reminder.appointment_id == appointment.id
        assert run.reminder.offset_minutes == 2880 and run.reminder.state == "done"
        assert reminder_msg.created_at.replace(tzinfo=UTC) == starts - timedelta(minutes=2880)
        assert reminder_msg.reminder_run_id == run.id and reminder_msg.source == "reminder"
        local = starts.astimezone(ZoneInfo("America/New_York"))
        assert f"{local:%a} {local.day} {local:%b}" in reminder_msg.body
        assert reminder_msg.body.endswith("Reply C to confirm, R to reschedule.")
        # The 2-hour reminder is still to come; her conversation says she wants to move it.
        later = m.Reminder.get(
            (m.Reminder.appointment == appointment) & (m.Reminder.offset_minutes == 120)
        )
        assert later.state == "scheduled" and later.next_at is not None
        conv = m.Conversation.get(m.Conversation.contact == olivia)
        assert m.ATTENTION_APPOINTMENT in conv.attention_list and conv.needs_attention
        assert replies_to([answer.id])[answer.id].state == appointments.RESCHEDULE
        # The awaiting-reply query the inbox uses finds nothing left to answer for her.
        assert appointments.awaiting_reply(olivia, clock=FakeClock(now)) is None

        # Maria confirmed with C; her 2-hour reminder was skipped as the scheduler skips it.
        maria = m.Contact.get(m.Contact.name == "Maria Lopez")
        booked = maria.appointments.order_by(m.Appointment.starts_at.desc()).first()
        assert maria.appointments.count() == 13  # and a year of them, for scrolling up
        assert booked.state == appointments.CONFIRMED
        assert m.Message.get_by_id(booked.reply_message_id).body == "C"
        states = {r.offset_minutes: r.state for r in booked.reminders}
        assert states == {2880: "done", 120: "done"}
        skipped = m.ReminderRun.get(
            m.ReminderRun.state == "skipped", m.ReminderRun.contact == maria
        )
        assert skipped.reason == "appointment already confirmed"

        # Every reminder-looking text is a reminder run of an appointment of that customer, and
        # every C/R reply of the demo answered one.
        for message in m.Message.select().where(m.Message.body.contains("Reply C to confirm")):
            run = m.ReminderRun.get_by_id(message.reminder_run_id)
            contact_id = message.conversation.contact_id
            booked_for = run.reminder.appointment
            assert booked_for is not None and booked_for.contact_id == contact_id
            assert run.due_at == message.created_at
        for message in m.Message.select().where(m.Message.body.in_(["C", "R"])):
            assert replies_to([message.id]), message.conversation.contact.name
        # The customers booked days ahead: the day their thread names is the appointment's, its
        # reminders all to come, made before anything in the thread speaks of it.
        zone = ZoneInfo("America/New_York")
        for name, (service, _days, wall) in BOOKED.items():
            person = m.Contact.get(m.Contact.name == name)
            (ahead,) = person.appointments
            starts = ahead.starts_at.replace(tzinfo=UTC)
            assert ahead.service == service and ahead.state == appointments.PENDING
            assert f"{starts.astimezone(zone):%H:%M}" == wall and starts > now
            assert {r.state for r in ahead.reminders} == {"scheduled"}
            bodies = [msg.body for msg in _thread(name)]
            assert any(f"{starts.astimezone(zone):%A}" in b for b in bodies), bodies
            assert not any("{" in b for b in bodies), bodies
            assert ahead.created_at <= _thread(name)[-1].created_at
        isabella = [msg.body for msg in _thread("Isabella Silva")]
        local = (
            m.Appointment.get(
                m.Appointment.contact == m.Contact.get(m.Contact.name == "Isabella Silva")
            )
            .starts_at.replace(tzinfo=UTC)
            .astimezone(zone)
        )
        assert (
            isabella[-1] == f"{local:%a} {local.day} {local:%b} at 9:00 AM is yours. See you then!"
        )
        # Threads stay in the order written (Maria's older year aside) and none is in the future.
        week = to_db(now - timedelta(days=7))
        for conv in m.Conversation.select():
            recent = conv.messages.where(m.Message.created_at > week).order_by(m.Message.id)
            times = [msg.created_at for msg in recent]
            assert times == sorted(times)
            assert all(t.replace(tzinfo=UTC) <= now for t in times)
    finally:
        close_database()
