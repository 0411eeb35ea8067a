"""Reminders as the window and the command line list them: upcoming (grouped by day), the
history of what each occurrence did, appointments, and one reminder's detail for the editor.

Read-only: these run on any thread with its own connection (the window's GUI thread, the CLI).
Settings are read once per listing (a snapshot), not once per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import peewee as pw

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging.contacts import quiet_hold
from desk.messaging.placeholders import format_date, format_time
from desk.reminders.manage import SCHEDULED, render
from desk.reminders.recurrence import Rule
from desk.store.chunks import chunks
from desk.store.models import (
    Appointment,
    Contact,
    Message,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import SettingsReader

GROUPS = ("Today", "Tomorrow", "This week", "Later")


def day_group(when: datetime, now: datetime, tz: ZoneInfo) -> str:
    days = (when.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days <= 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    if days < 7:
        return "This week"
    return "Later"


@dataclass(frozen=True)
class UpcomingItem:
    reminder_id: int
    next_at: datetime  # aware UTC
    local: str  # "Tue 1 Dec 09:30" in the shop's zone
    group: str
    recipients: tuple[str, ...]  # names or numbers
    text: str
    repeat: str  # "" for a one-off
    appointment_id: int | None
    appointment_state: str | None
    appointment_at: str | None
    deferred: str | None  # "waits for quiet hours: 08:00" when some recipient is in quiet hours
    preview: str = ""  # the text as the first recipient will get it (placeholders filled)


@dataclass(frozen=True)
class HistoryItem:
    run_id: int
    reminder_id: int
    due_at: datetime
    local: str
    recipient: str
    state: str  # queued/sent/delivered/failed… (the message's), skipped, missed
    reason: str
    message_id: int | None


@dataclass(frozen=True)
class AppointmentItem:
    appointment_id: int
    starts_at: datetime
    local: str
    contact_id: int
    who: str
    service: str
    note: str
    state: str
    reminders: int  # still scheduled
    reply: str | None  # the customer's reply text, if any


def _who(contact: Contact | None, country: str) -> str:
    if contact is None:
        return "(deleted)"
    return contact.name or phones.display(contact.number, country)


def _local(when: datetime, tz: ZoneInfo, country: str) -> str:
    return f"{format_date(when, tz)} {format_time(when, tz, country)}"


def upcoming(*, settings: SettingsReader, clock: Clock, limit: int = 1000) -> list[UpcomingItem]:
    """Scheduled reminders, soonest first, with their day group (today, tomorrow, …)."""
    snap = settings.snapshot()  # one read of the settings, not one per reminder shown
    tz = snap.zone
    country = snap.default_country
    now = clock.now()
    reminders = list(
        Reminder.select(Reminder, Appointment)
        .join(Appointment, pw.JOIN.LEFT_OUTER)
        .where((Reminder.state == SCHEDULED) & Reminder.next_at.is_null(False))
        .order_by(Reminder.next_at, Reminder.id)
        .limit(limit)
    )
    people: dict[int, list[Contact]] = {}
    for ids in chunks([r.id for r in reminders]):
        for link in (
            ReminderRecipient.select(ReminderRecipient, Contact)
            .join(Contact)
            .where(ReminderRecipient.reminder.in_(ids))
            .order_by(Contact.id)
        ):
            people.setdefault(link.reminder_id, []).append(link.contact)
    out = []
    for r in reminders:
        if r.next_at is None:
            continue  # not selected (next_at IS NOT NULL); here for the type checker
        when = utc(r.next_at)
        contacts = people.get(r.id, [])
        held = [d for d in (quiet_hold(max(when, now), c, snap) for c in contacts[:50]) if d]
        appt = r.appointment
        out.append(
            UpcomingItem(
                reminder_id=r.id,
                next_at=when,
                local=_local(when, tz, country),
                group=day_group(when, now, tz),
                recipients=tuple(_who(c, country) for c in contacts),
                text=r.text,
                repeat=Rule.from_json(r.recurrence).describe() if r.recurrence else "",
                appointment_id=appt.id if appt else None,
                appointment_state=appt.state if appt else None,
                appointment_at=_local(utc(appt.starts_at), tz, country) if appt else None,
                deferred=(
                    "waits for quiet hours: " + _local(min(held), tz, country) if held else None
                ),
                preview=render(
                    r.text,
                    contact=contacts[0] if contacts else None,
                    settings=snap,
                    when=when,
                    appointment=appt,
                ),
            )
        )
    return out


def history(
    *, settings: SettingsReader, limit: int = 500, reminder_id: int | None = None
) -> list[HistoryItem]:
    """What happened to each occurrence, newest first: sent (the message's state), skipped or
    missed, with the reason."""
    snap = settings.snapshot()
    tz = snap.zone
    country = snap.default_country
    query = (
        ReminderRun.select(ReminderRun, Contact, Message)
        .join(Contact, pw.JOIN.LEFT_OUTER, on=(ReminderRun.contact == Contact.id))
        .switch(ReminderRun)
        .join(Message, pw.JOIN.LEFT_OUTER, on=(ReminderRun.message == Message.id))
        .order_by(ReminderRun.due_at.desc(), ReminderRun.id.desc())
        .limit(limit)
    )
    if reminder_id is not None:
        query = query.where(ReminderRun.reminder == reminder_id)
    out = []
    for run in query:
        due = utc(run.due_at)
        message = run.message if run.message_id else None
        state = message.state if message is not None else run.state
        reason = run.reason or ""
        if message is not None and message.error:
            reason = message.error
        out.append(
            HistoryItem(
                run_id=run.id,
                reminder_id=run.reminder_id,
                due_at=due,
                local=_local(due, tz, country),
                recipient=_who(run.contact if run.contact_id else None, country),
                state=state,
                reason=reason,
                message_id=run.message_id,
            )
        )
    return out


def appointment_list(
    *, settings: SettingsReader, clock: Clock, include_past: bool = False, limit: int = 1000
) -> list[AppointmentItem]:
    """Appointments from 12 hours ago on (all with ``include_past``), soonest first, with the
    reminders still to go and the customer's reply; a fixed number of queries per page."""
    snap = settings.snapshot()
    tz = snap.zone
    country = snap.default_country
    query = (
        Appointment.select(Appointment, Contact)
        .join(Contact)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    if not include_past:
        query = query.where(Appointment.starts_at >= to_db(clock.now() - timedelta(hours=12)))
    appts = list(query)
    counts: Counter[int] = Counter()
    for ids in chunks([a.id for a in appts]):
        counts.update(
            r.appointment_id
            for r in Reminder.select(Reminder.appointment).where(
                Reminder.appointment.in_(ids) & (Reminder.state == SCHEDULED)
            )
            if r.appointment_id is not None
        )
    replies: dict[int, str] = {}
    for ids in chunks([a.reply_message_id for a in appts if a.reply_message_id]):
        replies.update(
            (m.id, m.body)
            for m in Message.select(Message.id, Message.body).where(Message.id.in_(ids))
        )
    out = []
    for a in appts:
        reply = replies.get(a.reply_message_id) if a.reply_message_id else None
        start = utc(a.starts_at)
        out.append(
            AppointmentItem(
                appointment_id=a.id,
                starts_at=start,
                local=_local(start, tz, country),
                contact_id=a.contact_id,
                who=_who(a.contact, country),
                service=a.service,
                note=a.note,
                state=a.state,
                reminders=counts.get(a.id, 0),
                reply=reply,
            )
        )
    return out


@dataclass(frozen=True)
class Detail:
    reminder_id: int
    text: str
    state: str
    next_at: datetime | None
    contact_ids: tuple[int, ...]
    numbers: tuple[str, ...]
    rule: Rule | None
    appointment_id: int | None
    offset_minutes: int | None


def detail(reminder_id: int) -> Detail | None:
    r = Reminder.get_or_none(Reminder.id == reminder_id)
    if r is None:
        return None
    contacts = list(Contact.select().join(ReminderRecipient).where(ReminderRecipient.reminder == r))
    return Detail(
        reminder_id=r.id,
        text=r.text,
        state=r.state,
        next_at=utc(r.next_at) if r.next_at else None,
        contact_ids=tuple(c.id for c in contacts),
        numbers=tuple(c.number for c in contacts),
        rule=Rule.from_json(r.recurrence) if r.recurrence else None,
        appointment_id=r.appointment_id,
        offset_minutes=r.offset_minutes,
    )
