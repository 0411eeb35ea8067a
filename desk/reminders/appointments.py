"""Appointments: their reminders (at the configured offsets before) and the customer's reply.

An appointment at T gets one reminder per offset (setting ``reminder_offsets``, e.g. 48 h and
2 h): each is a ``Reminder`` linked to the appointment with ``offset_minutes``. Offsets already
past when the appointment is created are not created.

The reminder text ends with "Reply C to confirm, R to reschedule". ``on_incoming`` (called by the
inbox in its transaction once an incoming message is complete) understands the reply of a customer
whose appointment is pending and has had a reminder sent: C / YES / Y / OK / 👍 → confirmed;
R / N / NO / CANCEL → "reschedule" (the conversation needs attention); anything else stays in
the inbox for staff. The message gets a flag (appointment_confirmed / appointment_reschedule) so
the thread shows it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from desk.base.clock import Clock, to_db, utc
from desk.reminders.manage import (
    CANCELLED,
    SCHEDULED,
    ReminderError,
    create_reminder,
    resolve_recipients,
)
from desk.store import attention
from desk.store.db import db
from desk.store.models import (
    ATTENTION_APPOINTMENT,
    Appointment,
    Contact,
    Conversation,
    Message,
    Reminder,
    ReminderRun,
)
from desk.store.settings import SettingsReader

PENDING, CONFIRMED, RESCHEDULE = "pending", "confirmed", "reschedule"
STATES = (PENDING, CONFIRMED, RESCHEDULE, CANCELLED)
DEFAULT_TEXT = (
    "Hi {first_name}, this is {shop}: a reminder of your {service} appointment on {date} at "
    "{time}. Reply C to confirm, R to reschedule."
)
FLAG_CONFIRMED, FLAG_RESCHEDULE = "appointment_confirmed", "appointment_reschedule"
# A reply counts for an appointment that has not started more than this long ago.
REPLY_WINDOW_AFTER_START = timedelta(hours=12)

_CONFIRM = {"c", "yes", "y", "ok", "okay", "yep", "yeah", "confirm", "confirmed", "👍", "✅"}
_RESCHEDULE = {"r", "n", "no", "cancel", "reschedule", "nope"}
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\ufe0e\u200d]")
_TOKEN = re.compile(r"[a-z]+|👍|✅")


def classify_reply(body: str) -> str | None:
    """ "confirmed", "reschedule" or None (not an answer: stays with staff).

    The whole reply must be answer words (and punctuation): "Yes!", "ok 👍", "c." count;
    "yes but I'll be late" does not (a person should read it)."""
    text = unicodedata.normalize("NFKC", body or "").lower()
    text = _SKIN_TONES.sub("", text)
    tokens = _TOKEN.findall(text)
    rest = _TOKEN.sub("", text)
    if not tokens or any(not (ch.isspace() or unicodedata.category(ch).startswith("P"))
                         for ch in rest):  # fmt: skip
        return None
    if all(t in _CONFIRM for t in tokens):
        return CONFIRMED
    if all(t in _RESCHEDULE for t in tokens):
        return RESCHEDULE
    return None


def source_key(number: str, starts_at: datetime) -> str:
    """Import idempotency: hash of the normalised number and the start (UTC, to the minute)."""
    start = utc(starts_at).strftime("%Y-%m-%dT%H:%M")
    return hashlib.sha256(f"{number}|{start}".encode()).hexdigest()[:32]


def create_appointment(
    contact: Contact,
    starts_at: datetime,
    *,
    settings: SettingsReader,
    clock: Clock,
    service: str = "",
    note: str = "",
    text: str | None = None,
    offsets: Sequence[int] | None = None,
    source: str | None = None,
    created_by: str | None = None,
) -> Appointment:
    """An appointment and its reminders. ``starts_at`` aware; ``offsets`` minutes before (default:
    the setting); ``source`` a ``source_key`` (then an existing one is returned unchanged)."""
    if starts_at.tzinfo is None:
        raise ReminderError("internal: the appointment time must be timezone-aware")
    now = clock.now()
    if starts_at <= now:
        raise ReminderError("The appointment time has already passed.")
    with db.atomic():
        if source is not None:
            existing = Appointment.get_or_none(Appointment.source_key == source)
            if existing is not None:
                return existing
        appointment = Appointment.create(
            contact=contact,
            starts_at=to_db(starts_at),
            service=service or "",
            note=note or "",
            state=PENDING,
            source_key=source,
            created_at=to_db(now),
        )
        _create_reminders(
            appointment, text, offsets, settings=settings, clock=clock, created_by=created_by
        )
    return appointment


def create_for(
    recipient: int | str | Contact,
    starts_at: datetime,
    *,
    settings: SettingsReader,
    clock: Clock,
    **kwargs: Any,
) -> Appointment:
    """``create_appointment`` for a contact id or a number as typed (the editor's way in)."""
    with db.atomic():
        (contact,) = resolve_recipients([recipient], settings=settings, clock=clock)
        return create_appointment(contact, starts_at, settings=settings, clock=clock, **kwargs)


def _create_reminders(
    appointment: Appointment,
    text: str | None,
    offsets: Sequence[int] | None,
    *,
    settings: SettingsReader,
    clock: Clock,
    created_by: str | None = None,
) -> list[Reminder]:
    now = clock.now()
    starts = utc(appointment.starts_at)
    chosen = sorted(
        set(offsets if offsets is not None else settings.get("reminder_offsets")), reverse=True
    )
    out = []
    for minutes in chosen:
        at = starts - timedelta(minutes=int(minutes))
        if at <= now:
            continue  # already past at creation: not created
        out.append(
            create_reminder(
                recipients=[appointment.contact],
                text=text or DEFAULT_TEXT,
                at=at,
                settings=settings,
                clock=clock,
                appointment=appointment,
                offset_minutes=int(minutes),
                created_by=created_by,
            )
        )
    return out


def reschedule_appointment(
    appointment_id: int,
    starts_at: datetime,
    *,
    settings: SettingsReader,
    clock: Clock,
    offsets: Sequence[int] | None = None,
    text: str | None = None,
) -> Appointment:
    """Move an appointment: its unsent reminders are replaced by new ones for the new time and it
    is pending again."""
    with db.atomic():
        appointment = Appointment.get_by_id(appointment_id)
        old = [r for r in appointment.reminders if r.state == SCHEDULED]
        keep_text = text or (old[0].text if old else None)
        keep_offsets = (
            offsets
            if offsets is not None
            else ([r.offset_minutes for r in old if r.offset_minutes] or None)
        )
        Reminder.update(state=CANCELLED, next_at=None).where(
            (Reminder.appointment == appointment) & (Reminder.state == SCHEDULED)
        ).execute()
        stored = to_db(starts_at)
        assert stored is not None  # an aware time has a stored form
        appointment.starts_at = stored
        appointment.state = PENDING
        appointment.save()
        _create_reminders(appointment, keep_text, keep_offsets, settings=settings, clock=clock)
        review_reschedule(appointment.contact_id)
    return appointment


def set_state(appointment_id: int, state: str, *, clock: Clock) -> Appointment:
    """Staff set the state by hand (confirmed on the phone, cancelled…)."""
    if state not in STATES:
        raise ReminderError(f"state must be one of {', '.join(STATES)}")
    with db.atomic():
        appointment = Appointment.get_by_id(appointment_id)
        appointment.state = state
        appointment.save()
        if state == CANCELLED:
            Reminder.update(state=CANCELLED, next_at=None).where(
                (Reminder.appointment == appointment) & (Reminder.state == SCHEDULED)
            ).execute()
        review_reschedule(appointment.contact_id)
    return appointment


def review_reschedule(contact_id: int) -> None:
    """The contact's conversation needs attention (``appointment_reply``) while one of their
    appointments is marked as wanting to be moved, and not once none is (moved, confirmed or
    cancelled)."""
    wanted = (
        Appointment.select(Appointment.id)
        .where((Appointment.contact == contact_id) & (Appointment.state == RESCHEDULE))
        .exists()
    )
    for conversation_id in attention.conversations_of(contact_id):
        if wanted:
            attention.raise_cause(conversation_id, ATTENTION_APPOINTMENT)
        else:
            attention.clear_cause(conversation_id, ATTENTION_APPOINTMENT)


def cancel_appointment(appointment_id: int, *, clock: Clock) -> Appointment:
    return set_state(appointment_id, CANCELLED, clock=clock)


def awaiting_reply(contact: Contact, *, clock: Clock) -> Appointment | None:
    """The contact's pending appointment that has had a reminder sent (the soonest), if any.
    The consent module asks this before treating CANCEL as an opt-out."""
    now = clock.now()
    found: Appointment | None = (
        Appointment.select()
        .join(Reminder)
        .join(ReminderRun)
        .where(
            (Appointment.contact == contact)
            & (Appointment.state == PENDING)
            & (Appointment.starts_at >= to_db(now - REPLY_WINDOW_AFTER_START))
            & (ReminderRun.state == "queued")
            & (ReminderRun.contact == contact)
        )
        .order_by(Appointment.starts_at)
        .first()
    )
    return found


def on_incoming(message: Message, *, clock: Clock) -> int | None:
    """Understand an appointment reply. Returns the appointment id updated, or None (the
    message is not an answer, or nothing awaits one: it stays in the inbox for staff)."""
    if message.direction != "in":
        return None
    answer = classify_reply(message.body)
    if answer is None:
        return None
    with db.atomic():
        conversation = Conversation.get_by_id(message.conversation_id)
        appointment = awaiting_reply(conversation.contact, clock=clock)
        if appointment is None:
            return None
        appointment.state = answer
        appointment.reply_message = message
        appointment.save()
        message.add_flag(FLAG_CONFIRMED if answer == CONFIRMED else FLAG_RESCHEDULE)
        review_reschedule(conversation.contact_id)
    return appointment.id
