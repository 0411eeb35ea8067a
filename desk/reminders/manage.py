"""Reminders: creating, editing and cancelling them, and the text a recipient gets.

Writers (``create_reminder``, ``update_reminder``, ``cancel_reminder``) run on the engine's core
thread (``engine.call``) or in the command line; each is one transaction. "Send now" is the
scheduler's (``desk.reminders.scheduler.send_now``); the read-only queries for the window and the
CLI are in ``desk.reminders.listing``.

A reminder's text may hold the placeholders of ``desk.messaging.placeholders`` ({first_name},
{name}, {shop}, {signature}, {date}, {time}, {service}), rendered by the same rule as the
composer's templates and the consent replies. For an appointment reminder {date}/{time} are the
appointment's (shop's local time); otherwise the occurrence's. An unknown placeholder is left as
typed, so a stray brace never breaks a send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging import placeholders
from desk.messaging.contacts import NoSuchContact, contact_for
from desk.reminders.recurrence import Rule
from desk.store.db import db
from desk.store.models import Appointment, Contact, Reminder, ReminderRecipient
from desk.store.settings import SettingsReader

SCHEDULED, DONE, CANCELLED, MISSED = "scheduled", "done", "cancelled", "missed"
PLACEHOLDERS = placeholders.KNOWN
Every = tuple[str, int, tuple[int, ...]]  # (freq, interval, weekdays), as recurrence.parse_every


class ReminderError(ValueError):
    """A reminder that cannot be created or changed; the message is for staff."""


# --- text ------------------------------------------------------------------------------------


def render(
    text: str,
    *,
    contact: Contact | None,
    settings: SettingsReader,
    when: datetime | None = None,
    appointment: Appointment | None = None,
) -> str:
    """The text a recipient gets. ``when`` is the occurrence time (aware) for {date}/{time};
    an appointment's own time wins."""
    tz = settings.shop_zone()
    country = str(settings.get("default_country"))
    if appointment is not None:
        when = utc(appointment.starts_at)
    values = replace(
        placeholders.for_contact(contact, settings),
        service=(appointment.service if appointment is not None else "") or "",
        date=placeholders.format_date(when, tz) if when else "",
        time=placeholders.format_time(when, tz, country) if when else "",
    )
    return placeholders.render(text, values)


def unknown_placeholders(text: str) -> list[str]:
    """Names of the placeholders in ``text`` a reminder cannot fill ("item" for {item})."""
    return [field[1:-1] for field in placeholders.unknown(text)]


# --- writers ---------------------------------------------------------------------------------


def resolve_recipients(
    items: Iterable[int | str | Contact], *, settings: SettingsReader, clock: Clock
) -> list[Contact]:
    """Contacts from ids, Contact rows or phone numbers (created when new; core thread)."""
    out: list[Contact] = []
    seen: set[int] = set()
    country = str(settings.get("default_country"))
    for item in items:
        try:
            contact = contact_for(item, country=country, clock=clock)
        except (NoSuchContact, phones.InvalidNumber) as exc:
            raise ReminderError(str(exc)) from None
        if contact.id not in seen:
            seen.add(contact.id)
            out.append(contact)
    return out


def create_reminder(
    *,
    recipients: Sequence[int | str | Contact],
    text: str,
    at: datetime,
    settings: SettingsReader,
    clock: Clock,
    every: Every | None = None,
    until: datetime | date | None = None,
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
    every: Every | None,
    until: datetime | date | None,
    count: int | None,
    settings: SettingsReader,
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
    settings: SettingsReader,
    clock: Clock,
    text: str | None = None,
    recipients: Sequence[int | str | Contact] | None = None,
    at: datetime | None = None,
    every: Every | None = None,
    until: datetime | date | None = None,
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
            if at is not None:
                when = at
            elif reminder.next_at is not None:
                when = utc(reminder.next_at)
            else:
                raise ReminderError(f"Reminder {reminder_id} has no next time; give one.")
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
