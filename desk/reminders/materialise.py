"""Due reminders turned into runs and outbox messages set-wise: a batch of reminders in a few
statements, inside the caller's transaction (``desk.reminders.scheduler`` opens one per batch).

The decisions are the scheduler's, made per recipient in Python (opted out, appointment cancelled
or confirmed, missed, quiet hours); only the reading and the writing are batched, in plain SQL
with no model objects (they cost more than the SQL): the due reminders with their appointments
in one query, their recipients in one, the runs already there in one; then the runs in one
statement, the conversations that are new, the messages, their parts, the runs' message links,
the conversations' latest activity and the reminders' next occurrence each in one more. What
every text of the batch shares is worked out once: the placeholders of an occurrence, the SMS
plan of a text, the quiet-hours hold of a time zone and its words, the next occurrence of a
rule; a number's facts are kept for the life of the process (``desk.reminders.numbers``).

A message the outbox might refuse (empty or too long a text, a number that cannot be texted) is
not batched: it goes through ``outbox.queue_message`` one by one (``slow_queue``), which says why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from desk.base import quiet_hours
from desk.base.clock import to_db
from desk.messaging import placeholders
from desk.messaging.contacts import preview
from desk.messaging.outbox import AUTOMATED_PRIORITY
from desk.reminders import batch_sql
from desk.reminders.manage import DONE, MISSED, SCHEDULED
from desk.reminders.numbers import number_lookup, recipient_zone
from desk.reminders.recurrence import Rule
from desk.store import attention
from desk.store.activity import OPENED, ConversationEvent
from desk.store.models import (
    ATTENTION_REMINDER_LATE,
    OUT,
    QUEUED,
    Conversation,
    Message,
    MessagePart,
    ReminderRun,
)
from desk.store.settings import Snapshot
from modem.codec import pdu as pdu_codec

RUN_QUEUED, RUN_SKIPPED, RUN_MISSED = "queued", "skipped", "missed"

# (reminder id, contact id, due, now) -> message id, or None when the outbox refused it
SlowQueue = Callable[[int, int, datetime, datetime], "int | None"]
# (due, now) -> why the occurrence is missed, or None when it is still on time
LateReason = Callable[[datetime, datetime], "str | None"]


@dataclass(frozen=True, slots=True)
class Due:
    """A due reminder with what materialising it reads of its appointment (``due_rows``)."""

    id: int
    text: str
    next_at: datetime  # aware UTC: the occurrence due
    recurrence: str | None
    appointment_id: int | None
    appointment_state: str | None
    appointment_starts_at: datetime | None  # aware UTC
    appointment_service: str | None


@dataclass(frozen=True, slots=True)
class _Recipient:
    id: int
    number: str
    name: str | None
    timezone: str | None
    opted_out: bool


@dataclass(frozen=True, slots=True)
class _Send:
    reminder_id: int
    contact: _Recipient
    text: str
    plan: pdu_codec.Plan
    hold: datetime | None


def due_rows(ids: Sequence[int], now: datetime) -> list[Due]:
    """The reminders ``ids`` still scheduled and due at ``now`` (read again inside the batch's
    transaction: one cancelled or sent meanwhile is left alone), in (next_at, id) order."""
    if not ids:
        return []
    sql = (
        'SELECT r."id", r."text", r."next_at", r."recurrence", r."appointment_id", '
        'a."state", a."starts_at", a."service" FROM "reminder" r '
        'LEFT OUTER JOIN "appointment" a ON a."id" = r."appointment_id" '
        f'WHERE r."id" IN ({batch_sql.marks(len(ids))}) AND r."state" = ? AND r."next_at" <= ? '
        'ORDER BY r."next_at", r."id"'
    )
    rows = batch_sql.fetch(sql, [*ids, SCHEDULED, to_db(now)])
    return [
        Due(
            id=int(rid),
            text=str(text),
            next_at=batch_sql.as_utc(next_at),
            recurrence=recurrence,
            appointment_id=appointment_id,
            appointment_state=a_state,
            appointment_starts_at=None if a_starts is None else batch_sql.as_utc(a_starts),
            appointment_service=a_service,
        )
        for rid, text, next_at, recurrence, appointment_id, a_state, a_starts, a_service in rows
    ]


def materialise(
    due: list[Due],
    *,
    now: datetime,
    settings: Snapshot,
    late_reason: LateReason,
    slow_queue: SlowQueue,
) -> tuple[list[int], int]:
    """Materialise the current occurrence of every reminder in ``due``; returns (message ids
    queued, recipients handled)."""
    if not due:
        return [], 0
    ids = [r.id for r in due]
    recipients = _recipients(ids)
    done = _done(ids, sorted({r.next_at for r in due}))
    now_db = to_db(now)
    shop_zone, window = settings.shop_zone(), settings.quiet_window()
    texts = _Texts(settings)
    holds: dict[ZoneInfo, datetime | None] = {}
    runs: list[tuple[object, ...]] = []
    sends: list[_Send] = []
    queued: list[int] = []
    advanced: list[tuple[object, ...]] = []
    late: list[int] = []  # contacts whose appointment reminder could only go after it began
    handled = 0
    for reminder in due:
        when = reminder.next_at
        starts = reminder.appointment_starts_at
        missed_reason = late_reason(when, now)
        skip_reason = None
        if reminder.appointment_id is not None:
            if reminder.appointment_state == "cancelled":
                skip_reason = "appointment cancelled"
            elif reminder.appointment_state == "confirmed" and settings.skip_after_confirm:
                skip_reason = "appointment already confirmed"
            elif starts is not None and starts <= now:
                missed_reason = missed_reason or "not sent: the appointment time has passed"
        contacts = recipients.get(reminder.id, [])
        handled += len(contacts)
        when_db = to_db(when)
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
                runs.append((reminder.id, contact.id, when_db, state, reason, now_db))
                continue
            text, plan = texts.text(reminder, contact.name)
            sendable, geographical, national = number_lookup(contact.number)
            if not text.strip() or plan.parts > pdu_codec.MAX_PARTS or not sendable:
                message_id = slow_queue(reminder.id, contact.id, when, now)
                if message_id is not None:
                    queued.append(message_id)
                continue
            tz = recipient_zone(contact.number, contact.timezone, geographical, national, shop_zone)
            if tz not in holds:
                holds[tz] = quiet_hours.hold(now, tz, window)
            hold = holds[tz]
            if starts is not None and hold is not None and hold >= starts:
                # Quiet hours would hold it until the appointment has begun: a reminder then
                # is worse than none. Staff are told instead (the conversation needs attention).
                reason = (
                    "not sent: quiet hours would hold it until after the appointment "
                    f"({hold_words(hold, tz)})"
                )
                runs.append((reminder.id, contact.id, when_db, RUN_MISSED, reason, now_db))
                late.append(contact.id)
                continue
            words = None if hold is None else hold_words(hold, tz)
            runs.append((reminder.id, contact.id, when_db, RUN_QUEUED, words, now_db))
            sends.append(_Send(reminder.id, contact, text, plan, hold))
        missed = bool(missed_reason) and not skip_reason
        advanced.append((*_advance(reminder.recurrence, when, missed=missed), reminder.id))
    run_ids = {
        (int(reminder_id), int(contact_id)): int(run_id)
        for run_id, reminder_id, contact_id in batch_sql.insert(
            ReminderRun,
            ("reminder", "contact", "due_at", "state", "reason", "created_at"),
            runs,
            returning='"id", "reminder_id", "contact_id"',
        )
    }
    if late:
        _flag_late(late, now_db)
    queued.extend(_queue(sends, run_ids, now_db))
    batch_sql.many(
        'UPDATE "reminder" SET "occurrences" = "occurrences" + 1, "next_at" = ?, "state" = ? '
        'WHERE "id" = ?',
        advanced,
    )
    return queued, handled


class _Texts:
    """The text each recipient of an occurrence gets, as ``manage.render`` writes it, and its SMS
    plan: what the occurrence's texts share (the shop, the date and time, the service) worked
    out once per occurrence, the plan once per distinct text."""

    def __init__(self, settings: Snapshot) -> None:
        self.settings = settings
        self.tz = settings.shop_zone()
        self.country = str(settings.get("default_country"))
        self.shop = str(settings.get("shop_name") or "")
        self.signature = str(settings.get("signature") or "")
        self._values: dict[tuple[datetime, str], placeholders.Values] = {}
        self._plans: dict[str, pdu_codec.Plan] = {}

    def text(self, reminder: Due, name: str | None) -> tuple[str, pdu_codec.Plan]:
        # manage.render: an appointment's own time wins over the occurrence's.
        when = reminder.appointment_starts_at or reminder.next_at
        service = (
            reminder.appointment_service if reminder.appointment_id is not None else ""
        ) or ""
        key = (when, service)
        base = self._values.get(key)
        if base is None:
            base = self._values[key] = placeholders.Values(
                shop=self.shop,
                signature=self.signature,
                service=service,
                date=placeholders.format_date(when, self.tz),
                time=placeholders.format_time(when, self.tz, self.country),
            )
        first_name, full_name = placeholders.names(name)
        values = placeholders.Values(
            first_name=first_name,
            name=full_name,
            shop=base.shop,
            signature=base.signature,
            service=base.service,
            date=base.date,
            time=base.time,
        )
        text = placeholders.render(reminder.text, values)
        plan = self._plans.get(text)
        if plan is None:
            plan = self._plans[text] = pdu_codec.plan(text)
        return text, plan


def hold_words(hold: datetime, tz: ZoneInfo) -> str:
    """Why a queued reminder waits, in the recipient's zone ``tz`` (the run's reason)."""
    return f"waits for quiet hours to end ({hold.astimezone(tz):%Y-%m-%d %H:%M} {tz.key})"


def _recipients(reminder_ids: list[int]) -> dict[int, list[_Recipient]]:
    """Each reminder's recipients, in contact id order."""
    sql = (
        'SELECT rr."reminder_id", c."id", c."number", c."name", c."timezone", c."opted_out" '
        'FROM "reminder_recipient" rr JOIN "contact" c ON c."id" = rr."contact_id" '
        f'WHERE rr."reminder_id" IN ({batch_sql.marks(len(reminder_ids))}) ORDER BY c."id"'
    )
    found: dict[int, list[_Recipient]] = {}
    for reminder_id, cid, number, name, timezone, opted_out in batch_sql.fetch(sql, reminder_ids):
        found.setdefault(int(reminder_id), []).append(
            _Recipient(int(cid), str(number), name, timezone, bool(opted_out))
        )
    return found


def _done(reminder_ids: list[int], dues: list[datetime]) -> set[tuple[int, int | None, datetime]]:
    """(reminder, contact, due) of the runs already written for these occurrences."""
    sql = (
        'SELECT "reminder_id", "contact_id", "due_at" FROM "reminder_run" '
        f'WHERE "reminder_id" IN ({batch_sql.marks(len(reminder_ids))}) '
        f'AND "due_at" IN ({batch_sql.marks(len(dues))})'
    )
    return {
        (
            int(reminder_id),
            None if contact_id is None else int(contact_id),
            batch_sql.as_utc(due_at),
        )
        for reminder_id, contact_id, due_at in batch_sql.fetch(
            sql, [*reminder_ids, *map(to_db, dues)]
        )
    }


def _queue(
    sends: list[_Send], run_ids: dict[tuple[int, int], int], now_db: datetime | None
) -> list[int]:
    """The outbox messages for ``sends`` (their runs inserted already): as queue_message writes
    them, a few statements for all of them."""
    if not sends:
        return []
    conversations = _conversations(sorted({s.contact.id for s in sends}), now_db)
    by_run: dict[int, _Send] = {}
    rows: list[tuple[object, ...]] = []
    for send in sends:
        run_id = run_ids[(send.reminder_id, send.contact.id)]
        by_run[run_id] = send
        rows.append(
            (
                conversations[send.contact.id],
                OUT,
                send.text,
                send.plan.encoding,
                send.plan.parts,
                QUEUED,
                now_db,
                None,
                "reminder",
                True,
                AUTOMATED_PRIORITY,
                to_db(send.hold),
                run_id,
                True,
            )
        )
    messages = {
        int(run_id): int(message_id)
        for message_id, run_id in batch_sql.insert(
            Message,
            (
                "conversation",
                "direction",
                "body",
                "encoding",
                "parts",
                "state",
                "created_at",
                "staff",
                "source",
                "automated",
                "priority",
                "not_before",
                "reminder_run_id",
                "read",
            ),
            rows,
            returning='"id", "reminder_run_id"',
        )
    }
    parts: list[tuple[object, ...]] = []
    concat: list[tuple[object, ...]] = []
    latest: dict[int, tuple[object, ...]] = {}
    for run_id, send in by_run.items():
        message_id = messages[run_id]
        parts.extend(
            (message_id, seq, send.contact.number) for seq in range(1, send.plan.parts + 1)
        )
        if send.plan.parts > 1:  # 8-bit concatenation reference, fixed now (as queue_message)
            concat.append((message_id % 256, message_id))
        conversation_id = conversations[send.contact.id]
        latest[conversation_id] = (now_db, preview(send.text), OUT, conversation_id)
    batch_sql.insert(MessagePart, ("message", "seq", "number"), parts)
    batch_sql.many('UPDATE "message" SET "concat_ref" = ? WHERE "id" = ?', concat)
    batch_sql.many(
        'UPDATE "conversation" SET "last_activity_at" = ?, "last_preview" = ?, '
        '"last_direction" = ? WHERE "id" = ?',
        list(latest.values()),
    )
    batch_sql.many(
        'UPDATE "reminder_run" SET "message_id" = ? WHERE "id" = ?',
        [(messages[r], r) for r in by_run],
    )
    return [messages[r] for r in by_run]


def _flag_late(contact_ids: list[int], now_db: datetime | None) -> None:
    """The conversations of ``contact_ids`` need attention: a reminder could not go in time."""
    conversations = _conversations(sorted(set(contact_ids)), now_db)
    for conversation_id in sorted(set(conversations.values())):
        attention.raise_cause(conversation_id, ATTENTION_REMINDER_LATE)


def _conversations(contact_ids: list[int], now_db: datetime | None) -> dict[int, int]:
    """Conversation id per contact, the missing ones created with their 'opened' event (as
    ``contacts.conversation_for``)."""
    sql = (
        'SELECT "contact_id", "id" FROM "conversation" '
        f'WHERE "contact_id" IN ({batch_sql.marks(len(contact_ids))})'
    )
    found = {int(contact_id): int(cid) for contact_id, cid in batch_sql.fetch(sql, contact_ids)}
    missing = [(c, now_db) for c in contact_ids if c not in found]
    if missing:
        created = batch_sql.insert(
            Conversation, ("contact", "last_activity_at"), missing, returning='"contact_id", "id"'
        )
        found.update((int(contact_id), int(cid)) for contact_id, cid in created)
        batch_sql.insert(
            ConversationEvent,
            ("conversation", "kind", "at", "staff"),
            sorted((int(cid), OPENED, now_db, None) for _, cid in created),
        )
    return found


def _advance(recurrence: str | None, due: datetime, *, missed: bool) -> tuple[object, object]:
    """(next_at, state) of a reminder moved on from its occurrence at ``due``."""
    if recurrence:
        following = _next_after(recurrence, due)
        return to_db(following), (DONE if following is None else SCHEDULED)
    return None, (MISSED if missed else DONE)


@functools.lru_cache(maxsize=4096)
def _next_after(recurrence: str, due: datetime) -> datetime | None:
    return Rule.from_json(recurrence).next_after(due)
