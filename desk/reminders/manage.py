"""Reminders: creating, editing, cancelling, rendering the text, and "send now".

Writers (``create_reminder``, ``update_reminder``, ``cancel_reminder``, ``send_now``) run on the
engine's core thread (``engine.call``) or in the command line; each is one transaction. The read-only
queries for the window and the CLI (``upcoming``, ``history``, ``appointment_list``, ``detail``)
run on any thread with its own connection.

A reminder's text may hold placeholders: {first_name}, {name}, {shop}, {date}, {time}, {service}.
For an appointment reminder {date}/{time} are the appointment's (shop's local time); otherwise the
occurrence's. An unknown placeholder is left as typed, so a stray brace never breaks a send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import peewee as pw

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging import contacts as contact_store
from desk.reminders.recurrence import Rule
from desk.store.db import db
from desk.store.models import Appointment, Contact, Reminder, ReminderRecipient, ReminderRun
from desk.store.settings import Settings

SCHEDULED, DONE, CANCELLED, MISSED = "scheduled", "done", "cancelled", "missed"
PLACEHOLDERS = ("first_name", "name", "shop", "date", "time", "service")
TWELVE_HOUR_COUNTRIES = frozenset({"US", "CA", "AU", "NZ", "PH", "IN", "PK", "EG", "SA", "MX"})
_FIELD = re.compile(r"\{([a-z_]+)\}")


class ReminderError(ValueError):
    """A reminder that cannot be created or changed; the message is for staff."""


# --- text ------------------------------------------------------------------------------------


def format_date(when: datetime, tz: ZoneInfo) -> str:
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}"


def format_time(when: datetime, tz: ZoneInfo, country: str = "US") -> str:
    local = when.astimezone(tz)
    if country in TWELVE_HOUR_COUNTRIES:
        hour = local.hour % 12 or 12
        return f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local:%H:%M}"


def render(
    text: str,
    *,
    contact: Contact | None,
    settings: Settings,
    when: datetime | None = None,
    appointment: Appointment | None = None,
) -> str:
    """The text a recipient gets. ``when`` is the occurrence time (aware) for {date}/{time}."""
    tz = settings.shop_zone()
    country = settings.get("default_country")
    if appointment is not None:
        when = utc(appointment.starts_at)
    values = {
        "first_name": (contact.first_name if contact else "") or "",
        "name": (contact.name if contact else "") or "",
        "shop": settings.get("shop_name"),
        "service": (appointment.service if appointment else "") or "",
        "date": format_date(when, tz) if when else "",
        "time": format_time(when, tz, country) if when else "",
    }
    out = _FIELD.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
    # An empty {first_name} or {service} leaves "Hi , your  appointment": tidy the gaps.
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r" ([,.!?])", r"\1", out)
    return out.strip()


def unknown_placeholders(text: str) -> list[str]:
    return sorted({m for m in _FIELD.findall(text) if m not in PLACEHOLDERS})


# --- writers ---------------------------------------------------------------------------------


def resolve_recipients(
    items: Iterable[int | str | Contact], *, settings: Settings, clock: Clock
) -> list[Contact]:
    """Contacts from ids, Contact rows or phone numbers (created when new; core thread)."""
    out: list[Contact] = []
    seen: set[int] = set()
    for item in items:
        if isinstance(item, Contact):
            contact = item
        elif isinstance(item, int):
            contact = Contact.get_or_none(Contact.id == item)
            if contact is None:
                raise ReminderError(f"No contact with id {item}.")
        else:
            number = phones.normalize(str(item), settings.get("default_country"))
            contact = contact_for_number(number, clock=clock)
        if contact.id not in seen:
            seen.add(contact.id)
            out.append(contact)
    return out


def contact_for_number(number: str, *, clock: Clock, name: str | None = None) -> Contact:
    """Get or create the contact; a name is filled in only if the contact has none yet."""
    contact = contact_store.contact_for_number(number, clock=clock)
    if name and not contact.name:
        contact.name = name
        contact.save(only=[Contact.name])
    return contact


def create_reminder(
    *,
    recipients: Sequence[int | str | Contact],
    text: str,
    at: datetime,
    settings: Settings,
    clock: Clock,
    every: tuple[str, int, tuple[int, ...]] | None = None,
    until: datetime | None = None,
    count: int | None = None,
    created_by: str | None = None,
    appointment: Appointment | None = None,
    offset_minutes: int | None = None,
) -> Reminder:
    """A one-off or recurring reminder. ``at`` is aware (the caller converted the shop's local
    time); ``every`` = (freq, interval, weekdays) as from ``recurrence.parse_every``; ``until``
    is a local date (as a datetime or date) for the last occurrence."""
    if not text.strip():
        raise ReminderError("The reminder has no text.")
    if at.tzinfo is None:
        raise ReminderError("internal: the reminder time must be timezone-aware")
    now = clock.now()
    if at < now - timedelta(minutes=1):
        raise ReminderError(
            f"That time has already passed ({at.astimezone(settings.shop_zone()):%Y-%m-%d %H:%M})."
        )
    rule = _rule(at, every, until, count, settings)
    with db.atomic():
        contacts = resolve_recipients(recipients, settings=settings, clock=clock)
        if not contacts:
            raise ReminderError("The reminder has no recipients.")
        first = rule.first() if rule else utc(at)
        reminder = Reminder.create(
            text=text,
            next_at=to_db(first),
            recurrence=rule.to_json() if rule else None,
            state=SCHEDULED if first else DONE,
            appointment=appointment,
            offset_minutes=offset_minutes,
            created_at=to_db(now),
            created_by=created_by,
        )
        ReminderRecipient.insert_many(
            [{"reminder": reminder.id, "contact": c.id} for c in contacts]
        ).execute()
    return reminder


def _rule(
    at: datetime,
    every: tuple[str, int, tuple[int, ...]] | None,
    until: datetime | None,
    count: int | None,
    settings: Settings,
) -> Rule | None:
    if every is None:
        if until is not None or count is not None:
            raise ReminderError("--until and --count need a repeat (--every).")
        return None
    tz = settings.shop_zone()
    freq, interval, weekdays = every
    until_date = None
    if until is not None:
        until_date = until.date() if isinstance(until, datetime) else until
    try:
        return Rule(
            freq=freq,
            interval=interval,
            weekdays=weekdays,
            until=until_date,
            count=count,
            anchor=at.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0),
            tz=tz.key,
        )
    except ValueError as exc:
        raise ReminderError(str(exc)) from None


def update_reminder(
    reminder_id: int,
    *,
    settings: Settings,
    clock: Clock,
    text: str | None = None,
    recipients: Sequence[int | str | Contact] | None = None,
    at: datetime | None = None,
    every: tuple[str, int, tuple[int, ...]] | None = None,
    until: datetime | None = None,
    count: int | None = None,
    repeat: bool | None = None,
) -> Reminder:
    """Change a scheduled reminder. ``at`` moves the next occurrence (and re-anchors a
    repetition); ``repeat=False`` turns it into a one-off, ``every`` sets a new repetition."""
    with db.atomic():
        reminder = Reminder.get_or_none(Reminder.id == reminder_id)
        if reminder is None:
            raise ReminderError(f"No reminder {reminder_id}.")
        if reminder.state != SCHEDULED:
            raise ReminderError(f"Reminder {reminder_id} is {reminder.state}; it cannot change.")
        if text is not None:
            if not text.strip():
                raise ReminderError("The reminder has no text.")
            reminder.text = text
        if at is not None or every is not None or repeat is False:
            when = at or utc(reminder.next_at)
            if at is not None and at < clock.now() - timedelta(minutes=1):
                raise ReminderError("That time has already passed.")
            if repeat is False:
                rule = None
            elif every is not None:
                rule = _rule(when, every, until, count, settings)
            elif reminder.recurrence:
                old = Rule.from_json(reminder.recurrence)
                rule = _rule(
                    when,
                    (old.freq, old.interval, old.weekdays),
                    until or old.until,
                    count if count is not None else old.count,
                    settings,
                )
            else:
                rule = None
            reminder.recurrence = rule.to_json() if rule else None
            reminder.next_at = to_db(rule.first() if rule else when)
        reminder.save()
        if recipients is not None:
            contacts = resolve_recipients(recipients, settings=settings, clock=clock)
            if not contacts:
                raise ReminderError("The reminder has no recipients.")
            ReminderRecipient.delete().where(ReminderRecipient.reminder == reminder).execute()
            ReminderRecipient.insert_many(
                [{"reminder": reminder.id, "contact": c.id} for c in contacts]
            ).execute()
    return reminder


def cancel_reminder(reminder_id: int, *, clock: Clock) -> bool:
    """Stop a reminder (all its future occurrences). False when it was not scheduled."""
    with db.atomic():
        changed = (
            Reminder.update(state=CANCELLED, next_at=None)
            .where((Reminder.id == reminder_id) & (Reminder.state == SCHEDULED))
            .execute()
        )
    return bool(changed)


def send_now(reminder_id: int, *, settings: Settings, clock: Clock) -> list[int]:
    """Send the next occurrence now (quiet hours and the rate limit still apply in the outbox);
    a recurring reminder then moves on to the following one. Returns the message ids."""
    from desk.reminders.scheduler import Scheduler

    return Scheduler(settings=settings, clock=clock).materialise(reminder_id, force=True)


# --- read-only queries (the window's GUI thread, the CLI) ---------------------------------------

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


def upcoming(*, settings: Settings, clock: Clock, limit: int = 1000) -> list[UpcomingItem]:
    """Scheduled reminders, soonest first, with their day group (today, tomorrow, …)."""
    from desk.reminders.scheduler import TickSettings, deferral

    settings = TickSettings(settings)  # one read of each setting, not one per reminder shown
    tz = settings.shop_zone()
    country = settings.get("default_country")
    now = clock.now()
    reminders = list(
        Reminder.select(Reminder, Appointment)
        .join(Appointment, pw.JOIN.LEFT_OUTER)
        .where((Reminder.state == SCHEDULED) & Reminder.next_at.is_null(False))
        .order_by(Reminder.next_at, Reminder.id)
        .limit(limit)
    )
    people: dict[int, list[Contact]] = {}
    ids = [r.id for r in reminders]
    for i in range(0, len(ids), 500):
        for link in (
            ReminderRecipient.select(ReminderRecipient, Contact)
            .join(Contact)
            .where(ReminderRecipient.reminder.in_(ids[i : i + 500]))
            .order_by(Contact.id)
        ):
            people.setdefault(link.reminder_id, []).append(link.contact)
    out = []
    for r in reminders:
        when = utc(r.next_at)
        contacts = people.get(r.id, [])
        held = [d for d in (deferral(max(when, now), c, settings) for c in contacts[:50]) if d]
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
                    settings=settings,
                    when=when,
                    appointment=appt,
                ),
            )
        )
    return out


def history(
    *, settings: Settings, limit: int = 500, reminder_id: int | None = None
) -> list[HistoryItem]:
    """What happened to each occurrence, newest first: sent (the message's state), skipped or
    missed, with the reason."""
    from desk.store.models import Message

    tz = settings.shop_zone()
    country = settings.get("default_country")
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
    *, settings: Settings, clock: Clock, include_past: bool = False, limit: int = 1000
) -> list[AppointmentItem]:
    from desk.store.models import Message

    tz = settings.shop_zone()
    country = settings.get("default_country")
    query = (
        Appointment.select(Appointment, Contact)
        .join(Contact)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    if not include_past:
        query = query.where(Appointment.starts_at >= to_db(clock.now() - timedelta(hours=12)))
    appts = list(query)
    ids = [a.id for a in appts]
    counts: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        counts.update(
            Reminder.select(Reminder.appointment, pw.fn.COUNT(Reminder.id))
            .where(Reminder.appointment.in_(ids[i : i + 500]) & (Reminder.state == SCHEDULED))
            .group_by(Reminder.appointment)
            .tuples()
        )
    out = []
    for a in appts:
        reply = None
        if a.reply_message_id:
            msg = Message.get_or_none(Message.id == a.reply_message_id)
            reply = msg.body if msg is not None else None
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
