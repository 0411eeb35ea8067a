"""An appointment reminder that quiet hours would hold until the appointment has begun is not sent
late: it is recorded as not sent, with the reason, and the conversation needs attention
(issue 13 item 9: 7:30 reminders held to 8:00 for an 8:00 appointment)."""

from __future__ import annotations

from datetime import UTC, datetime

from desk.reminders import appointments
from desk.reminders.scheduler import Scheduler
from desk.store.models import ATTENTION_REMINDER_LATE, Conversation, Message, ReminderRun
from tests.desk.reminders.scheduling import NY_NUMBER, contact


def _book(settings, clock, starts_local_hour: int, minute: int = 0):
    # 2026-12-02 in New York (EST, UTC-5); reminders 2 h before; quiet hours 08:00-21:00.
    starts = datetime(2026, 12, 2, starts_local_hour + 5, minute, tzinfo=UTC)
    return appointments.create_appointment(
        contact(NY_NUMBER, "Ann"), starts, settings=settings, clock=clock, offsets=[120]
    )


def test_a_reminder_that_could_only_go_after_the_appointment_is_flagged_not_sent(env) -> None:
    settings, clock = env
    settings.set("quiet_hours", "08:00-21:00")
    _book(settings, clock, 8)  # due 06:00, quiet hours hold it to 08:00: the appointment time
    clock.set(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))  # 06:00 in New York
    Scheduler(settings=settings, clock=clock).tick()
    (run,) = ReminderRun.select()
    assert run.state == "missed" and run.message_id is None
    assert run.reason.startswith("not sent: quiet hours would hold it until after the appointment")
    assert not Message.select().exists()
    conversation = Conversation.get()
    assert conversation.needs_attention and ATTENTION_REMINDER_LATE in conversation.attention_list


def test_a_reminder_held_to_before_the_appointment_still_goes(env) -> None:
    settings, clock = env
    settings.set("quiet_hours", "08:00-21:00")
    _book(settings, clock, 8, 30)  # due 06:30, held to 08:00: still before 08:30
    clock.set(datetime(2026, 12, 2, 11, 30, tzinfo=UTC))
    Scheduler(settings=settings, clock=clock).tick()
    (run,) = ReminderRun.select()
    assert run.state == "queued"
    message = Message.get()
    assert message.not_before is not None
    assert message.not_before == datetime(2026, 12, 2, 13, 0)  # 08:00 EST
