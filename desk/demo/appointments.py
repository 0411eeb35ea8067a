"""The demo shop's appointments: the customers whose threads answer an appointment reminder get
the appointment, its reminders (one per ``reminder_offsets``), the runs that sent them and the
link from the reply, as the scheduler and ``appointments.on_incoming`` would have left them.

Times are relative to now and stored UTC; the start falls on a five-minute mark, and a
reminder's message is dated when its reminder was due (``start - offset``), its text rendered
from the appointment as the scheduler renders it. Which customers and where their start lies
relative to their last message: ``sample_data.APPOINTMENTS``; the ones booked days ahead at a
time on the shop's clock, their reminders still to come: ``sample_data.BOOKED`` (their threads
say the day with ``{day}`` / ``{when}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from desk.base.clock import to_db, utc
from desk.demo.sample_data import REMINDER_PREFIX
from desk.messaging import placeholders
from desk.reminders import appointments
from desk.reminders.manage import render
from desk.store import models as m
from desk.store.settings import SettingsReader

__all__ = ["Booking", "booked_for", "offset_of", "start_for"]


def offset_of(text: str) -> int | None:
    """The offset a ``reminder_marker`` stands for, or None for an ordinary text."""
    if not text.startswith(REMINDER_PREFIX):
        return None
    return int(text[len(REMINDER_PREFIX) : -1])


def start_for(last_at: datetime, minutes_after_last: int) -> datetime:
    """The appointment start about ``minutes_after_last`` after ``last_at``, down to the five
    minutes (a shop books 9:35, not 9:37:12); the thread is then placed from the start."""
    at = last_at + timedelta(minutes=minutes_after_last)
    return at.replace(minute=at.minute - at.minute % 5, second=0, microsecond=0)


def booked_for(now: datetime, days: int, wall: str, *, settings: SettingsReader) -> datetime:
    """An appointment ``days`` after today at ``wall`` ("09:30") on the shop's clock, in UTC."""
    zone = settings.shop_zone()
    day = now.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time.fromisoformat(wall), tzinfo=zone).astimezone(UTC)


@dataclass
class Booking:
    """One customer's appointment while their thread is written."""

    appointment: m.Appointment
    reminders: dict[int, m.Reminder]  # by offset (minutes before the start)
    settings: SettingsReader
    sent: set[int] = field(default_factory=set)

    @classmethod
    def create(
        cls,
        contact: m.Contact,
        service: str,
        starts: datetime,
        *,
        settings: SettingsReader,
        offsets: list[int] | None = None,
        text: str = appointments.DEFAULT_TEXT,
        booked: datetime | None = None,
    ) -> Booking:
        """The appointment and its reminders (``offsets``: the setting's by default), made at
        ``booked`` (default: five days before its first reminder)."""
        chosen = offsets if offsets is not None else settings.get("reminder_offsets")
        offsets = sorted({int(v) for v in chosen}, reverse=True)
        if booked is None:
            booked = starts - timedelta(minutes=offsets[0] if offsets else 0, days=5)
        appointment = m.Appointment.create(
            contact=contact,
            starts_at=to_db(starts),
            service=service,
            state=appointments.PENDING,
            created_at=to_db(booked),
        )
        reminders = {
            offset: m.Reminder.create(
                text=text,
                next_at=to_db(starts - timedelta(minutes=offset)),
                state="scheduled",
                appointment=appointment,
                offset_minutes=offset,
                created_at=to_db(booked),
                created_by="Anna",
            )
            for offset in offsets
        }
        return cls(appointment, reminders, settings)

    @property
    def starts(self) -> datetime:
        return utc(self.appointment.starts_at)

    def due(self, offset: int) -> datetime:
        return self.starts - timedelta(minutes=offset)

    def text(self, offset: int) -> str:
        """The reminder's text as the scheduler renders it for this customer."""
        return render(
            self.reminders[offset].text,
            contact=self.appointment.contact,
            settings=self.settings,
            appointment=self.appointment,
        )

    def words(self, text: str) -> str:
        """``text`` with ``{when}`` ("Tue 8 Dec at 9:00 AM") and ``{day}`` ("Tuesday") of the
        appointment, as the shop's clock reads them: what staff and the customer wrote of it."""
        zone = self.settings.shop_zone()
        country = str(self.settings.get("default_country"))
        date = placeholders.format_date(self.starts, zone)
        when = f"{date} at {placeholders.format_time(self.starts, zone, country)}"
        day = f"{self.starts.astimezone(zone):%A}"
        return text.replace("{when}", when).replace("{day}", day)

    def reminder_sent(self, offset: int, message: m.Message) -> None:
        """The reminder at ``offset`` went out as ``message``: its run, the message marked as the
        scheduler's, the one-off reminder done."""
        reminder = self.reminders[offset]
        due = to_db(self.due(offset))
        run = m.ReminderRun.create(
            reminder=reminder,
            contact=self.appointment.contact,
            due_at=due,
            state="queued",
            message=message,
            created_at=due,
        )
        m.Message.update(
            reminder_run_id=run.id, source="reminder", automated=True, staff=None, priority=10
        ).where(m.Message.id == message.id).execute()
        self._done(reminder)
        self.sent.add(offset)

    def customer_wrote(self, message: m.Message) -> None:
        """An incoming text after a reminder: understood as ``on_incoming`` understands it."""
        if not self.sent or self.appointment.state != appointments.PENDING:
            return
        answer = appointments.classify_reply(message.body)
        if answer is None:
            return
        self.appointment.state = answer
        self.appointment.reply_message = message
        self.appointment.save()
        confirmed = answer == appointments.CONFIRMED
        message.add_flag(appointments.FLAG_CONFIRMED if confirmed else appointments.FLAG_RESCHEDULE)

    def finish(self, now: datetime) -> None:
        """The reminders due by now that are not in the thread were skipped, as the scheduler
        skips them once the appointment is confirmed; the conversation needs attention while the
        customer wants to move it."""
        for offset, reminder in self.reminders.items():
            if offset in self.sent or self.due(offset) > now:
                continue
            confirmed = self.appointment.state == appointments.CONFIRMED
            if not (confirmed and self.settings.get("skip_after_confirm")):
                raise ValueError(
                    f"demo data: the {offset}-minute reminder of {self.appointment.contact.name} "
                    "was due but is not in the thread"
                )
            m.ReminderRun.create(
                reminder=reminder,
                contact=self.appointment.contact,
                due_at=to_db(self.due(offset)),
                state="skipped",
                reason="appointment already confirmed",
                created_at=to_db(self.due(offset)),
            )
            self._done(reminder)
        appointments.review_reschedule(self.appointment.contact_id)

    @staticmethod
    def _done(reminder: m.Reminder) -> None:
        reminder.state = "done"
        reminder.next_at = None
        reminder.occurrences = 1
        reminder.save()
