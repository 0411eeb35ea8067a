"""Due reminders turned into runs and outbox messages set-wise: a batch of reminders in a few
statements, inside the caller's transaction (``desk.reminders.scheduler`` opens one per batch).

The decisions are the scheduler's, made per recipient in Python (opted out, appointment cancelled
or confirmed, missed, quiet hours); only the writing is batched: the runs in one statement, the
conversations that are new, the messages, their parts, the runs' message links, the
conversations' latest activity and the reminders' next occurrence each in one more. A message
the outbox might refuse (empty or too long a text, a number that cannot be texted) is not
batched: it goes through ``outbox.queue_message`` one by one (``slow_queue``), which says why.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee as pw
import phonenumbers
from phonenumbers import timezone as pn_tz

from desk.base import quiet_hours
from desk.base.clock import Clock, to_db, utc
from desk.messaging.contacts import preview
from desk.messaging.outbox import AUTOMATED_PRIORITY
from desk.reminders.manage import DONE, MISSED, render
from desk.reminders.recurrence import Rule
from desk.store import attention
from desk.store.bulk import insert_rows, update_rows
from desk.store.models import (
    ATTENTION_REMINDER_LATE,
    OUT,
    QUEUED,
    Appointment,
    Contact,
    Conversation,
    Message,
    MessagePart,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Snapshot
from modem.codec import pdu as pdu_codec

RUN_QUEUED, RUN_SKIPPED, RUN_MISSED = "queued", "skipped", "missed"

# (reminder, contact, appointment, due, now) -> message id, or None when the outbox refused it
SlowQueue = Callable[[Reminder, Contact, "Appointment | None", datetime, datetime], "int | None"]
# (due, now) -> why the occurrence is missed, or None when it is still on time
LateReason = Callable[[datetime, datetime], "str | None"]


@dataclass
class _Send:
    reminder: Reminder
    contact: Contact
    due: datetime
    text: str
    plan: pdu_codec.Plan
    hold: datetime | None
    reason: str | None


def materialise(
    due: list[Reminder],
    *,
    now: datetime,
    settings: Snapshot,
    clock: Clock,
    late_reason: LateReason,
    slow_queue: SlowQueue,
    hold_words: Callable[[datetime, Contact], str],
) -> tuple[list[int], int]:
    """Materialise the current occurrence of every reminder in ``due`` (loaded with their
    appointments); returns (message ids queued, recipients handled)."""
    ids = [r.id for r in due]
    recipients: dict[int, list[Contact]] = {r.id: [] for r in due}
    for link in (
        ReminderRecipient.select(ReminderRecipient, Contact)
        .join(Contact)
        .where(ReminderRecipient.reminder.in_(ids))
        .order_by(Contact.id)
    ):
        recipients[link.reminder_id].append(link.contact)
    dues = sorted({r.next_at for r in due if r.next_at is not None})
    done: set[tuple[int, int | None, datetime]] = {
        (reminder_id, contact_id, utc(due_at))
        for reminder_id, contact_id, due_at in _tuples(
            ReminderRun.select(ReminderRun.reminder, ReminderRun.contact, ReminderRun.due_at).where(
                ReminderRun.reminder.in_(ids) & ReminderRun.due_at.in_(dues)
            )
        )
    }
    now_db = to_db(now)
    shop_zone, window = settings.shop_zone(), settings.quiet_window()
    runs: list[dict[str, object]] = []
    sends: list[_Send] = []
    queued: list[int] = []
    advanced: list[dict[str, object]] = []
    late: list[int] = []  # contacts whose appointment reminder could only go after it began
    handled = 0
    for reminder in due:
        if reminder.next_at is None:
            continue
        when = utc(reminder.next_at)
        appointment: Appointment | None = reminder.appointment
        missed_reason = late_reason(when, now)
        skip_reason = None
        if appointment is not None:
            if appointment.state == "cancelled":
                skip_reason = "appointment cancelled"
            elif appointment.state == "confirmed" and settings.skip_after_confirm:
                skip_reason = "appointment already confirmed"
            elif utc(appointment.starts_at) <= now:
                missed_reason = missed_reason or "not sent: the appointment time has passed"
        contacts = recipients[reminder.id]
        handled += len(contacts)
        for contact in contacts:
            if (reminder.id, contact.id, when) in done:
                continue  # this occurrence already went to this recipient: never twice
            state, reason = RUN_QUEUED, None
            if contact.opted_out:
                state, reason = RUN_SKIPPED, "opted out"
            elif skip_reason:
                state, reason = RUN_SKIPPED, skip_reason
            elif missed_reason:
                state, reason = RUN_MISSED, missed_reason
            if state != RUN_QUEUED:
                runs.append(_run(reminder, contact, when, now_db, state, reason))
                continue
            text = render(
                reminder.text,
                contact=contact,
                settings=settings,
                when=when,
                appointment=appointment,
            )
            plan = pdu_codec.plan(text)
            sendable, number_zone = number_facts(str(contact.number))
            if not text.strip() or plan.parts > pdu_codec.MAX_PARTS or not sendable:
                message_id = slow_queue(reminder, contact, appointment, when, now)
                if message_id is not None:
                    queued.append(message_id)
                continue
            hold = quiet_hours.hold(now, _zone(contact, number_zone, shop_zone), window)
            if appointment is not None and hold is not None and hold >= utc(appointment.starts_at):
                # Quiet hours would hold it until the appointment has begun: a reminder then
                # is worse than none. Staff are told instead (the conversation needs attention).
                reason = (
                    "not sent: quiet hours would hold it until after the appointment "
                    f"({hold_words(hold, contact)})"
                )
                runs.append(_run(reminder, contact, when, now_db, RUN_MISSED, reason))
                late.append(contact.id)
                continue
            words = None if hold is None else hold_words(hold, contact)
            runs.append(_run(reminder, contact, when, now_db, RUN_QUEUED, words))
            sends.append(_Send(reminder, contact, when, text, plan, hold, words))
        advanced.append(_advance(reminder, when, missed=bool(missed_reason) and not skip_reason))
    insert_rows(ReminderRun, runs)
    if late:
        _flag_late(late, now)
    queued.extend(_queue(sends, ids, now_db))
    update_rows(Reminder, advanced)
    return queued, handled


_E164 = re.compile(r"\+\d{3,17}")


@functools.lru_cache(maxsize=50_000)
def number_facts(number: str) -> tuple[bool, str | None]:
    """(the outbox takes it without a word, the zone of its country when that has one) for a
    stored number, from one parse: what ``phones.normalize`` accepts for an E.164 number and
    ``phones.region_timezone`` answers, at half the cost. Anything not plainly E.164 is
    (False, None): it goes through ``queue_message``, which decides and says why."""
    if not _E164.fullmatch(number):
        return False, None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False, None
    # A number of the right length is taken, known to the metadata or not (desk.base.phones'
    # rule). The type, found once, chooses the zone lookup (as time_zones_for_number does).
    kind = phonenumbers.number_type(parsed)
    if not phonenumbers.is_possible_number(parsed):
        return False, None
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != number:
        return False, None
    if parsed.country_code is not None and phonenumbers.is_number_type_geographical(
        kind, parsed.country_code
    ):
        found = pn_tz.time_zones_for_geographical_number(parsed)
    else:
        found = pn_tz.time_zones_for_number(parsed)
    zones = tuple(z for z in found if z != "Etc/Unknown")
    return True, (zones[0] if len(zones) == 1 else None)


def _zone(contact: Contact, number_zone: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """``contacts.contact_zone`` with the number's zone already known."""
    for name in (contact.timezone, number_zone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return fallback


def _run(
    reminder: Reminder,
    contact: Contact,
    due: datetime,
    now_db: datetime | None,
    state: str,
    reason: str | None,
) -> dict[str, object]:
    return {
        "reminder": reminder.id,
        "contact": contact.id,
        "due_at": to_db(due),
        "state": state,
        "reason": reason,
        "created_at": now_db,
    }


def _queue(sends: list[_Send], reminder_ids: list[int], now_db: datetime | None) -> list[int]:
    """The outbox messages for ``sends`` (their runs inserted already): as queue_message writes
    them, in one statement per table."""
    if not sends:
        return []
    dues = sorted({utc(s.due).replace(tzinfo=None) for s in sends})
    run_ids = {
        (reminder_id, contact_id, utc(due_at)): int(run_id)
        for run_id, reminder_id, contact_id, due_at in _tuples(
            ReminderRun.select(
                ReminderRun.id, ReminderRun.reminder, ReminderRun.contact, ReminderRun.due_at
            ).where(
                ReminderRun.reminder.in_(reminder_ids)
                & ReminderRun.due_at.in_(dues)
                & (ReminderRun.state == RUN_QUEUED)
            )
        )
    }
    contact_ids = sorted({s.contact.id for s in sends})
    conversations = _conversations(contact_ids, now_db)
    by_run: dict[int, _Send] = {}
    rows: list[dict[str, object]] = []
    for send in sends:
        run_id = run_ids[(send.reminder.id, send.contact.id, send.due)]
        by_run[run_id] = send
        rows.append(
            {
                "conversation": conversations[send.contact.id],
                "direction": OUT,
                "body": send.text,
                "encoding": send.plan.encoding,
                "parts": send.plan.parts,
                "state": QUEUED,
                "created_at": now_db,
                "staff": None,
                "source": "reminder",
                "automated": True,
                "priority": AUTOMATED_PRIORITY,
                "not_before": to_db(send.hold),
                "reminder_run_id": run_id,
                "read": True,
            }
        )
    insert_rows(Message, rows)
    messages = {
        int(run_id): int(message_id)
        for message_id, run_id in _tuples(
            Message.select(Message.id, Message.reminder_run_id).where(
                Message.reminder_run_id.in_(list(by_run))
            )
        )
    }
    parts: list[dict[str, object]] = []
    concat: list[dict[str, object]] = []
    latest: dict[int, dict[str, object]] = {}
    for run_id, send in by_run.items():
        message_id = messages[run_id]
        parts.extend(
            {"message": message_id, "seq": seq, "number": send.contact.number}
            for seq in range(1, send.plan.parts + 1)
        )
        if send.plan.parts > 1:  # 8-bit concatenation reference, fixed now (as queue_message)
            concat.append({"id": message_id, "concat_ref": message_id % 256})
        latest[conversations[send.contact.id]] = {
            "id": conversations[send.contact.id],
            "last_activity_at": now_db,
            "last_preview": preview(send.text),
            "last_direction": OUT,
        }
    insert_rows(MessagePart, parts)
    update_rows(Message, concat)
    update_rows(Conversation, list(latest.values()))
    update_rows(ReminderRun, [{"id": r, "message": messages[r]} for r in by_run])
    return [messages[r] for r in by_run]


def _flag_late(contact_ids: list[int], now: datetime) -> None:
    """The conversations of ``contact_ids`` need attention: a reminder could not go in time."""
    for conversation in Conversation.select().where(Conversation.contact.in_(contact_ids)):
        attention.raise_cause(conversation.id, ATTENTION_REMINDER_LATE)
    have = {c for (c,) in _tuples(Conversation.select(Conversation.contact).where(
        Conversation.contact.in_(contact_ids)))}  # fmt: skip
    for contact_id in sorted(set(contact_ids) - have):
        Conversation.create(
            contact=contact_id,
            last_activity_at=to_db(now),
            needs_attention=True,
            attention=ATTENTION_REMINDER_LATE,
        )


def _conversations(contact_ids: list[int], now_db: datetime | None) -> dict[int, int]:
    """Conversation id per contact, the missing ones created (as ``conversation_for``)."""
    found = {
        int(contact_id): int(conversation_id)
        for conversation_id, contact_id in _tuples(
            Conversation.select(Conversation.id, Conversation.contact).where(
                Conversation.contact.in_(contact_ids)
            )
        )
    }
    missing = [c for c in contact_ids if c not in found]
    if missing:
        insert_rows(Conversation, [{"contact": c, "last_activity_at": now_db} for c in missing])
        found.update(
            (int(contact_id), int(conversation_id))
            for conversation_id, contact_id in _tuples(
                Conversation.select(Conversation.id, Conversation.contact).where(
                    Conversation.contact.in_(missing)
                )
            )
        )
    return found


def _tuples(query: pw.ModelSelect[Any]) -> list[tuple[Any, ...]]:
    """A query's rows as plain tuples (no model objects: they cost more than the SQL)."""
    return cast("list[tuple[Any, ...]]", list(query.tuples()))


def _advance(reminder: Reminder, due: datetime, *, missed: bool) -> dict[str, object]:
    """The reminder moved on to its next occurrence (or finished), as a row for update_rows."""
    state = reminder.state
    if reminder.recurrence:
        following = Rule.from_json(reminder.recurrence).next_after(due)
        next_at = to_db(following)
        if following is None:
            state = DONE
    else:
        next_at = None
        state = MISSED if missed else DONE
    return {
        "id": reminder.id,
        "occurrences": reminder.occurrences + 1,
        "next_at": next_at,
        "state": state,
    }
