"""The outbox: queue, hand to the modem, record what the modem said. Nothing sent twice.

States: queued → sending → sent → delivered, or failed (reason in plain words), or uncertain.

- ``queue_message`` commits the message as ``queued`` (with one MessagePart row per SMS part)
  before anything reaches the modem.
- ``desk.messaging.send_queue.take_jobs`` picks what may go now (staff first, then automated;
  rate limit, quiet hours for automated messages, ``not_before``, retry backoff), marks it
  ``sending`` and commits before returning the SendJobs.
- Part events advance ``parts_sent`` (the resume point); a transient failure goes back to
  ``queued`` with backoff, a permanent one fails at once; ``SendFailed(uncertain=True)`` and a
  restart that finds a message still ``sending`` leave it ``uncertain``: a person decides
  (``resend`` continues at the first part not recorded as sent, with the same concat reference;
  ``resolve_uncertain`` records what they know). Never resent automatically.

Delivery reports: ``desk.messaging.delivery.on_delivery_report``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from desk.base import phones
from desk.base.clock import Clock, to_db, utc
from desk.messaging.contacts import NoSuchContact, contact_for, conversation_for, touch
from desk.messaging.delivery import settle_sent
from desk.messaging.send_queue import CONSENT_SOURCES
from desk.messaging.send_queue import fail_message as _fail
from desk.messaging.send_queue import opted_out_reason as _opted_out_reason
from desk.store import fencing, outgoing
from desk.store.attention import raise_cause, settle_all
from desk.store.db import db
from desk.store.models import (
    ATTENTION_UNCERTAIN,
    OUT,
    QUEUED,
    SENDING,
    SENT,
    UNCERTAIN,
    AuditLog,
    Contact,
    Message,
    MessagePart,
)
from desk.store.settings import SettingsReader
from modem.codec import pdu as pdu_codec
from modem.events import PartSent, PartSubmitting, SendFailed

__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "RETRY_FOR",
    "SendRefused",
    "on_part_sent",
    "on_part_submitting",
    "on_send_failed",
    "queue_message",
    "recover_interrupted",
    "staff_text",
]

log = logging.getLogger(__name__)

# Waits before retry n (1-based) after a transient failure; the last one repeats.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
)
MAX_ATTEMPTS = 10  # tries in all, then failed
RETRY_FOR = timedelta(hours=24)  # or this long after it was queued, then failed
# Sources that may reach an opted-out contact: the STOP confirmation and the HELP answer.
STAFF_PRIORITY, AUTOMATED_PRIORITY = 0, 10


class SendRefused(ValueError):
    """The message cannot be queued; the text says why in plain words."""


# --- queueing --------------------------------------------------------------------------------


def _resolve_contact(
    number_or_contact: Contact | int | str, settings: SettingsReader, clock: Clock
) -> Contact:
    country = str(settings.get("default_country"))
    try:
        contact = contact_for(number_or_contact, country=country, clock=clock)
    except (NoSuchContact, phones.InvalidNumber) as exc:
        raise SendRefused(str(exc)) from None
    if isinstance(number_or_contact, str):
        return contact  # just normalised: a phone number
    if phones.is_alphanumeric(contact.number):
        raise SendRefused(
            f"“{contact.number}” is a sender name, not a phone number: it cannot be texted back."
        )
    try:
        phones.normalize(contact.number, country)
    except phones.InvalidNumber as exc:
        raise SendRefused(str(exc)) from None
    return contact


def staff_text(text: str, settings: SettingsReader) -> str:
    """A staff reply as it will be sent: the ``signature`` setting on its own line at the end
    ("\\n" + signature). Unchanged when there is no signature, the text is empty, or it already
    ends with the signature (trailing spaces aside). The composer counts SMS parts on this."""
    return sign(text, str(settings.get("signature") or ""))


def sign(text: str, signature: str) -> str:
    """``text`` with ``signature`` on its own last line (see staff_text); pure, for the composer."""
    signature = signature.strip()
    if not signature or not text or not text.strip():
        return text
    if text.rstrip().endswith(signature):
        return text
    return text + "\n" + signature


def queue_message(
    number_or_contact: Contact | int | str,
    text: str,
    *,
    source: str,
    staff: str | None = None,
    automated: bool = False,
    not_before: datetime | None = None,
    reminder_run_id: int | None = None,
    settings: SettingsReader,
    clock: Clock,
) -> Message:
    """Commit a new outgoing message as ``queued``; raises SendRefused with a plain reason.

    ``number_or_contact``: a Contact, a contact id, or a number as typed (normalised with the
    shop's default country). Opted-out contacts are refused except for ``source`` "consent"
    (the STOP confirmation) and "help" (the HELP answer). A ``source="staff"`` reply gets the
    shop's signature (``staff_text``).
    """
    if text is None or not text.strip():
        raise SendRefused("The message is empty.")
    if source == "staff":
        text = staff_text(text, settings)
    plan = pdu_codec.plan(text)
    if plan.parts > pdu_codec.MAX_PARTS:
        raise SendRefused(
            f"The message is too long ({plan.parts} texts; at most {pdu_codec.MAX_PARTS})."
        )
    with db.atomic():
        contact = _resolve_contact(number_or_contact, settings, clock)
        if contact.opted_out and source not in CONSENT_SOURCES:
            raise SendRefused(_opted_out_reason(contact))
        conversation = conversation_for(contact, clock=clock)
        now = to_db(clock.now())
        message = Message(
            conversation=conversation,
            direction=OUT,
            body=text,
            encoding=plan.encoding,
            parts=plan.parts,
            state=QUEUED,
            created_at=now,
            staff=staff or None,
            source=source,
            automated=automated,
            priority=AUTOMATED_PRIORITY if automated else STAFF_PRIORITY,
            not_before=to_db(not_before),
            reminder_run_id=reminder_run_id,
            read=True,
        )
        outgoing.insert_model(message)  # plain SQL: every text queued passes here
        if plan.parts > 1:
            # 8-bit concatenation reference, fixed now so a resend continues the same message.
            message.concat_ref = message.id % 256
            db.execute_sql(
                "UPDATE message SET concat_ref = ? WHERE id = ?", (message.concat_ref, message.id)
            )
        marks = ", ".join("(?, ?, ?, ?)" for _ in range(plan.parts))
        db.execute_sql(
            f"INSERT INTO message_part (message_id, seq, number, state) VALUES {marks}",
            [
                value
                for seq in range(1, plan.parts + 1)
                for value in (message.id, seq, contact.number, "pending")
            ],
        )
        touch(conversation, message)
    return message


# --- taking jobs -----------------------------------------------------------------------------


def _message_for(job_id: int | str) -> Message | None:
    try:
        message_id = int(job_id)
    except (TypeError, ValueError):
        return None
    return Message.get_or_none((Message.id == message_id) & (Message.direction == OUT))


def _part(message: Message, seq: int) -> MessagePart:
    part = MessagePart.get_or_none((MessagePart.message == message.id) & (MessagePart.seq == seq))
    if part is None:  # the modem split differently than planned: keep a row per real part
        number = message.conversation.contact.number
        part = MessagePart.create(message=message.id, seq=seq, number=number)
    return part


def _sync_parts(message: Message, parts: int) -> None:
    """The modem reports more parts than planned (it should never): grow, never shrink."""
    if parts and parts > message.parts:
        log.warning(
            "message %s: planned %s parts, modem sends %s", message.id, message.parts, parts
        )
        message.parts = parts


def _ours(message: Message, generation: int | None) -> bool:
    """Whether this counter may record what its modem did with ``message``: always on a single
    PC (``generation`` None); with several counters only when the modem owner's ``generation``
    claimed it (desk.store.fencing.Fenced when this counter no longer drives the modem)."""
    if generation is None or fencing.may_mark(message.id, generation):
        return True
    log.warning("message %s was claimed by another modem owner: this event is ignored", message.id)
    return False


_MESSAGE_ROW = (
    "SELECT parts, parts_sent, state, concat_ref, conversation_id, staff, source FROM message "
    "WHERE id = ? AND direction = ?"
)


def _message_row(
    job_id: int | str,
) -> tuple[int, tuple[int, int, str, int | None, int, str | None, str]] | None:
    """(id, (parts, parts_sent, state, concat_ref, conversation_id, staff, source)) of the
    outgoing message a job is, in one plain query (the modem's events come several a second)."""
    try:
        message_id = int(job_id)
    except (TypeError, ValueError):
        return None
    row = db.execute_sql(_MESSAGE_ROW, (message_id, OUT)).fetchone()
    return None if row is None else (message_id, tuple(row))


def _ours_id(message_id: int, generation: int | None) -> bool:
    """``_ours`` by id."""
    if generation is None or fencing.may_mark(message_id, generation):
        return True
    log.warning("message %s was claimed by another modem owner: this event is ignored", message_id)
    return False


def _grown_parts(message_id: int, planned: int, reported: int) -> int:
    """The modem reports more parts than planned (it should never): grow, never shrink."""
    if reported and reported > planned:
        log.warning("message %s: planned %s parts, modem sends %s", message_id, planned, reported)
        return reported
    return planned


def _reported_shape(
    sets: list[str],
    params: list[object],
    message_id: int,
    parts: int,
    concat_ref: int | None,
    event: PartSubmitting | PartSent,
) -> int:
    """Add to an UPDATE of the message what the modem reported of its shape: more parts than
    planned, the concatenation reference chosen; the number of parts it has now."""
    grown = _grown_parts(message_id, parts, event.parts)
    if grown != parts:
        sets.append("parts = ?")
        params.append(grown)
    if concat_ref is None and event.concat_ref is not None:
        sets.append("concat_ref = ?")
        params.append(event.concat_ref)
    return grown


def _update_part(
    message_id: int, seq: int, sql_set: str, params: list[object], guard: str = ""
) -> None:
    """``UPDATE message_part SET <sql_set> WHERE`` the message's part ``seq`` [``AND guard``];
    the part's row is made first when the modem split differently than planned."""
    where = " WHERE message_id = ? AND seq = ?"
    sql = f"UPDATE message_part SET {sql_set}" + where + (f" AND {guard}" if guard else "")
    if db.execute_sql(sql, [*params, message_id, seq]).rowcount:
        return
    exists = db.execute_sql("SELECT id FROM message_part" + where, (message_id, seq)).fetchone()
    if exists is None:
        _part(Message.get_by_id(message_id), seq)
        db.execute_sql(sql, [*params, message_id, seq])


def on_part_submitting(
    event: PartSubmitting, *, clock: Clock, generation: int | None = None
) -> int | None:
    """A part is about to be written to the modem (``generation``: see ``_ours``). Plain SQL:
    three short statements."""
    with db.atomic():
        found = _message_row(event.job_id)
        if found is None:
            return None
        message_id, (parts, _sent, _state, concat_ref, _conv, _staff, _source) = found
        if not _ours_id(message_id, generation):
            return None
        sets: list[str] = []
        params: list[object] = []
        _reported_shape(sets, params, message_id, parts, concat_ref, event)
        if sets:
            db.execute_sql(
                f"UPDATE message SET {', '.join(sets)} WHERE id = ?", [*params, message_id]
            )
        _update_part(message_id, event.part, "state = ?", ["submitting"], "state != 'sent'")
    return message_id


def _save_changed(row: Message | MessagePart) -> None:
    """Write only the fields set since the row was read (in this transaction, by the one
    writer): the same result as a full save, a much shorter UPDATE, none when nothing changed."""
    if row.dirty_fields:
        row.save(only=row.dirty_fields)


def _audit_sent(message: Message, clock: Clock) -> None:
    _audit_sent_row(
        message.id, message.conversation_id, message.parts, message.source, message.staff, clock
    )


def _audit_sent_row(
    message_id: int, conversation_id: int, parts: int, source: str, staff: str | None, clock: Clock
) -> None:
    row = db.execute_sql(
        "SELECT c.number FROM contact AS c JOIN conversation AS v ON v.contact_id = c.id "
        "WHERE v.id = ?",
        (conversation_id,),
    ).fetchone()
    number = row[0] if row else None
    db.execute_sql(
        "INSERT INTO audit_log (at, action, detail, staff) VALUES (?, ?, ?, ?)",
        (
            AuditLog.at.db_value(to_db(clock.now())),  # type: ignore[no-untyped-call]
            "sent",
            f"message {message_id} to {number} ({parts} part(s), {source})",
            staff,
        ),
    )


def on_part_sent(event: PartSent, *, clock: Clock, generation: int | None = None) -> int | None:
    """The modem accepted a part: keep its TP-MR, advance the resume point; all parts → sent.
    Plain SQL (a few short statements): the modem's events come several a second."""
    now = to_db(clock.now())
    with db.atomic():
        found = _message_row(event.job_id)
        if found is None:
            return None
        message_id, (parts, parts_sent, state, concat_ref, conversation_id, staff, source) = found
        if not _ours_id(message_id, generation):
            return None
        _update_part(
            message_id,
            event.part,
            "reference = ?, sent_at = ?, "
            "state = CASE WHEN state IN ('delivered', 'failed') THEN state ELSE 'sent' END",
            [event.reference, now],
        )
        sets = ["parts_sent = ?"]
        params: list[object] = [max(parts_sent, event.part)]
        grown = _reported_shape(sets, params, message_id, parts, concat_ref, event)
        done = max(parts_sent, event.part) >= grown and state in (QUEUED, SENDING, UNCERTAIN)
        if done:
            sets.append("state = ?, sent_at = ?, error = NULL, error_code = NULL")
            params.extend([SENT, now])
        db.execute_sql(f"UPDATE message SET {', '.join(sets)} WHERE id = ?", [*params, message_id])
        if done:
            _audit_sent_row(message_id, conversation_id, grown, source, staff, clock)
        if done or state == SENT:
            settle_sent(message_id, grown)  # a report for an early part may already be in
    return message_id


def _backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def on_send_failed(event: SendFailed, *, clock: Clock, generation: int | None = None) -> int | None:
    """A part failed: retry later (transient), fail now (permanent), or uncertain."""
    now = clock.now()
    with db.atomic():
        message = _message_for(event.job_id)
        if message is None or not _ours(message, generation):
            return None
        if message.state not in (SENDING, QUEUED):
            log.warning("SendFailed for message %s in state %s ignored", message.id, message.state)
            return None
        message.parts_sent = max(message.parts_sent, event.part - 1)
        if message.concat_ref is None and event.concat_ref is not None:
            message.concat_ref = event.concat_ref
        message.error_code = event.code
        part = _part(message, event.part)
        sent_before = message.parts_sent
        progress = f" (part {event.part} of {event.parts})" if event.parts > 1 else ""
        if event.uncertain:
            MessagePart.update(state="uncertain").where(MessagePart.id == part.id).execute()
            message.state = UNCERTAIN
            message.error = (
                f"It is not known whether this went out{progress}: {event.reason} "
                "Check with the customer, then resend or mark it as sent."
            )
            message.save()
            raise_cause(message.conversation_id, ATTENTION_UNCERTAIN)
            return message.id
        MessagePart.update(state="pending").where(
            (MessagePart.message == message.id) & (MessagePart.seq > sent_before)
        ).execute()
        queued_at = utc(message.created_at)
        if event.retryable and message.attempts < MAX_ATTEMPTS and now - queued_at < RETRY_FOR:
            when = now + _backoff(message.attempts)
            message.state = QUEUED
            message.next_attempt_at = to_db(when)
            message.error = f"{event.reason} Trying again automatically{progress}."
            message.save()
            return message.id
        if event.retryable:
            reason = f"Gave up after {message.attempts} tries{progress}: {event.reason}"
        else:
            reason = f"{event.reason}{' ' + progress.strip() if progress else ''}".strip()
        MessagePart.update(state="failed").where(MessagePart.id == part.id).execute()
        _fail(message, reason, code=event.code)
    return message.id


# --- start-up and staff decisions ----------------------------------------------------------


def recover_interrupted(*, clock: Clock) -> list[int]:
    """At start-up: messages left ``sending`` may or may not have gone out → ``uncertain``."""
    changed: list[int] = []
    with db.atomic():
        for message in Message.select().where(
            (Message.direction == OUT) & (Message.state == SENDING)
        ):
            progress = (
                f" Parts 1–{message.parts_sent} of {message.parts} went out."
                if message.parts > 1 and message.parts_sent
                else ""
            )
            message.state = UNCERTAIN
            message.error = (
                "TextDesk stopped while this was being sent, so it is not known whether it went "
                f"out.{progress} Check with the customer, then resend or mark it as sent."
            )
            message.save()
            MessagePart.update(state="uncertain").where(
                (MessagePart.message == message.id) & (MessagePart.state == "submitting")
            ).execute()
            raise_cause(message.conversation_id, ATTENTION_UNCERTAIN)
            changed.append(message.id)
        settle_all()  # no marker outlives its cause across a restart
    return changed


def queued_count() -> int:
    """Outgoing messages waiting (queued + sending), for QueueChanged."""
    return (
        Message.select()
        .where((Message.direction == OUT) & (Message.state.in_((QUEUED, SENDING))))
        .count()
    )
