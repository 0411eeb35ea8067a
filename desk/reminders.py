"""Reminders: creating, editing, cancelling, rendering the text, and "send now".

Writers (``create_reminder``, ``update_reminder``, ``cancel_reminder``, ``send_now``) run on the
engine's core thread (``engine.call``) or in the command line; each is one transaction. Read-only
queries for the window and the CLI are in ``desk.reminder_queries``.

A reminder's text may hold placeholders: {first_name}, {name}, {shop}, {date}, {time}, {service}.
For an appointment reminder {date}/{time} are the appointment's (shop's local time); otherwise the
occurrence's. An unknown placeholder is left as typed, so a stray brace never breaks a send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from desk import contacts as contact_store
from desk import phones
from desk.clock import Clock, to_db, utc
from desk.db import db
from desk.models import Appointment, Contact, Reminder, ReminderRecipient
from desk.recurrence import Rule
from desk.settings import Settings

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


def _contacts(items: Iterable[int | str | Contact], *, settings: Settings, clock: Clock) -> list:
    """Contacts from ids, Contact rows or phone numbers (created when new)."""
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
        contacts = _contacts(recipients, settings=settings, clock=clock)
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
            contacts = _contacts(recipients, settings=settings, clock=clock)
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
    from desk.scheduler import Scheduler

    return Scheduler(settings=settings, clock=clock).materialise(reminder_id, force=True)
