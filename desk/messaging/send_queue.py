"""Choosing what goes to the modem next: staff first, then automated texts within the rate limit
and quiet hours, due retries; marked ``sending`` and committed before the jobs are handed over.

``desk.messaging.outbox`` offers ``take_jobs`` as part of its API; each call's cost is bounded
whatever the length of the queue.

When the PC's clock is set (``desk.base.clock.JumpWatch`` sees the wall clock move by more than
the time that passed), ``take_jobs`` first puts the queue right for the new time: retries keep
the wait they had left (a clock set back two hours does not hold them two hours more, one set
forward does not send them all at once), and automated texts held for quiet hours are judged
again (a hold worked out while the clock was wrong keeps nothing back; the ones in quiet hours
now are held again in the same call).
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta
from typing import cast

from desk.base import phones
from desk.base.clock import Clock, JumpWatch, SystemClock, to_db, utc
from desk.messaging import ratelimit
from desk.messaging.contacts import quiet_hold
from desk.store import audit, fencing, outgoing
from desk.store.attention import raise_cause
from desk.store.bulk import update_rows
from desk.store.db import db
from desk.store.models import (
    ATTENTION_FAILED,
    FAILED,
    HELD_QUIET_HOURS,
    HELD_RATE_DAY,
    HELD_RATE_MINUTE,
    OUT,
    QUEUED,
    SENDING,
    Contact,
    Message,
)
from desk.store.settings import SettingsReader
from modem.events import SendJob

log = logging.getLogger(__name__)

CONSENT_SOURCES = frozenset({"consent", "help"})


def opted_out_reason(contact: Contact) -> str:
    who = contact.name or phones.display(contact.number)
    return (
        f"{who} has opted out of texts (replied STOP). They must text START to this number "
        "before they can be sent anything again."
    )


def fail_message(
    message: Message, reason: str, *, code: int | None = None, attention: bool = True
) -> None:
    message.state = FAILED
    message.error = reason
    message.error_code = code
    message.next_attempt_at = None
    message.save()
    if attention:
        raise_cause(message.conversation_id, ATTENTION_FAILED)


# Rows looked at per query, and at most per call: each call's cost is bounded whatever the
# queue's length. Rows skipped in a call (held for quiet hours, opted out) leave the due set, so
# a later call (the engine calls every fraction of a second) goes on past them.
TAKE_BATCH = 50
TAKE_SCAN_LIMIT = 500


SendOrder = tuple[int, object, int]  # (priority, created_at as stored, id)


def _due_batch(
    now: datetime, after: SendOrder | None, staff_only: bool, size: int, generation: int | None
) -> list[Message]:
    """Up to ``size`` queued outgoing messages that are due, in send order, after ``after``
    (priority, created_at, id); due-ness, the order and the LIMIT are all in SQL. With the modem
    owner's ``generation`` (several counters on a PostgreSQL server): fenced, and the rows locked
    FOR UPDATE SKIP LOCKED (desk.store.fencing)."""
    if generation is not None:
        return fencing.claim_outgoing(
            generation, now=now, limit=size, after=after, staff_only=staff_only
        )
    return outgoing.due_outgoing(now, limit=size, after=after, staff_only=staff_only)


PRIORITY_NOW = -1  # staff pressed "Send now" on a held text: it goes first, past every hold


def take_jobs(
    *, settings: SettingsReader, clock: Clock, limit: int = 10, generation: int | None = None
) -> list[SendJob]:
    """The next messages that may go now, marked ``sending`` and committed before returning.

    ``generation``: the modem owner's fencing token when several counters share a PostgreSQL
    server (desk.engine.owner); a stale one raises desk.store.fencing.Fenced before anything is
    claimed. None on a single PC.

    Cost does not grow with the queue: settings are read once (a snapshot), the rate limit is one query of
    COUNTs, and candidates come ``TAKE_BATCH`` at a time (at most ``TAKE_SCAN_LIMIT`` per call)
    from an ordered, filtered, LIMITed query.

    What holds a text back is written on it (``held_reason``, ``held_until``: the window says it
    in the bubble): quiet hours, the per-minute limit (staff's or automated texts'), the per-day
    limit. A text staff sent with "Send now" (``send_now``) passes quiet hours and the limits.
    """
    now = clock.now()
    jobs: list[SendJob] = []
    taken: list[Message] = []
    held: dict[datetime, list[int]] = {}
    holds: dict[tuple[str, datetime], list[int]] = {}
    if limit <= 0:
        return jobs
    with db.atomic():
        jump = _watch(clock).observe()
        if jump:
            after_clock_set(jump, now)
        snap = settings.snapshot()
        budget = ratelimit.budget(
            clock=clock,
            per_minute=snap.rate_per_minute,
            per_day=snap.rate_per_day,
            per_minute_staff=snap.rate_per_minute_staff,
        )
        minute_blocked: tuple[str, datetime] | None = None
        day_blocked: tuple[str, datetime] | None = None
        after: SendOrder | None = None
        scanned = 0
        while len(jobs) < limit and minute_blocked is None and scanned < TAKE_SCAN_LIMIT:
            # The first look fetches about what may be taken (the engine asks for one or two at
            # a time, and fifty joined rows for one job were most of its cost); later looks go
            # TAKE_BATCH at a time.
            size = min(TAKE_BATCH if scanned else limit + 1, TAKE_SCAN_LIMIT - scanned)
            batch = _due_batch(now, after, day_blocked is not None, size, generation)
            scanned += len(batch)
            for message in batch:
                after = (
                    message.priority,
                    Message.created_at.db_value(message.created_at),  # type: ignore[no-untyped-call]  # the stored form, as SQL compares it
                    message.id,
                )
                if minute_blocked is not None:
                    # Behind a text the minute's limit holds: held by the same limit, or by
                    # quiet hours when they hold it anyway (the rest of this batch only, so
                    # the cost stays bounded).
                    quiet = (
                        quiet_hold(now, message.conversation.contact, snap)
                        if message.automated and message.priority > PRIORITY_NOW
                        else None
                    )
                    if quiet is not None:
                        held.setdefault(quiet, []).append(message.id)
                    else:
                        holds.setdefault(minute_blocked, []).append(message.id)
                    continue
                if len(jobs) >= limit:
                    break
                contact = message.conversation.contact
                if contact.opted_out and message.source not in CONSENT_SOURCES:
                    # The customer's own choice: recorded on the message, no alarm for staff.
                    fail_message(message, "Not sent: " + opted_out_reason(contact), attention=False)
                    continue
                forced = message.priority <= PRIORITY_NOW
                remaining = max(1, message.parts - message.parts_sent)
                if message.automated and not forced:
                    if day_blocked is not None:
                        holds.setdefault(day_blocked, []).append(message.id)
                        continue
                    hold = quiet_hold(now, contact, snap)
                    if hold is not None:
                        held.setdefault(hold, []).append(message.id)
                        continue
                if not forced and not budget.fits_minute(remaining, automated=message.automated):
                    # nobody behind it may take this minute's budget
                    minute_blocked = (
                        HELD_RATE_MINUTE,
                        ratelimit.minute_frees_at(
                            clock=clock,
                            automated_only=message.automated and budget.staff_minute_left > 0,
                        ),
                    )
                    holds.setdefault(minute_blocked, []).append(message.id)
                    continue
                if message.automated and not forced and not budget.fits_day(remaining):
                    # automated ones wait for tomorrow; staff may still go
                    day_blocked = (HELD_RATE_DAY, ratelimit.day_frees_at(clock=clock))
                    holds.setdefault(day_blocked, []).append(message.id)
                    continue
                budget.spend(remaining, automated=message.automated)
                taken.append(message)
                jobs.append(
                    SendJob(
                        job_id=message.id,
                        number=contact.number,
                        text=message.body,
                        concat_ref=message.concat_ref,
                        start_part=message.parts_sent + 1,
                        request_report=True,
                    )
                )
            if len(batch) < size:
                break  # nothing more is due
        if minute_blocked is not None and len(batch) == size and scanned < TAKE_BATCH:
            # Held by the same limit: the rest of what one look of TAKE_BATCH covers.
            rest = _due_batch(now, after, day_blocked is not None, TAKE_BATCH - scanned, generation)
            holds.setdefault(minute_blocked, []).extend(m.id for m in rest)
        for when, ids in held.items():
            Message.update(not_before=to_db(when)).where(Message.id.in_(ids)).execute()
            holds.setdefault((HELD_QUIET_HOURS, when), []).extend(ids)
        _record_holds(holds)
        if generation is None:
            _mark_sending([m.id for m in taken])
        else:
            fencing.mark_sending([m.id for m in taken], generation)
    return jobs


def _record_holds(holds: dict[tuple[str, datetime], list[int]]) -> None:
    """Write why each held text waits and until when; rows already saying so are not written
    again (take_jobs runs several times a second)."""
    for (reason, until), ids in holds.items():
        until_db = to_db(until)
        Message.update(held_reason=reason, held_until=until_db).where(
            Message.id.in_(ids)
            & (
                Message.held_reason.is_null()
                | (Message.held_reason != reason)
                | Message.held_until.is_null()
                | (Message.held_until != until_db)
            )
        ).execute()


def send_now(message_id: int, *, staff: str | None = None, clock: Clock) -> Message:
    """Staff pressed "Send now" on a waiting text: it goes at the next turn, ahead of the queue
    and past quiet hours, the send limits and a retry's wait (the modem must still be able to
    send). Written in the audit log with who asked. Refuses (outbox.SendRefused's base,
    ValueError, in plain words) a text that is not waiting."""
    with db.atomic():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == OUT))
        if message is None:
            raise ValueError(f"There is no outgoing message {message_id}.")
        if message.state != QUEUED:
            raise ValueError(
                f"This message is {message.state}, not waiting: only waiting texts can be sent now."
            )
        contact = message.conversation.contact
        if contact.opted_out and message.source not in CONSENT_SOURCES:
            raise ValueError(opted_out_reason(contact))
        reason = message.held_reason or ("retry" if message.next_attempt_at else "queue")
        message.priority = PRIORITY_NOW
        message.not_before = None
        message.next_attempt_at = None
        message.held_reason = None
        message.held_until = None
        message.save()
        audit.record(
            "send_now",
            f"message {message.id} to {phones.display(contact.number)} sent now (was held: "
            f"{reason})",
            staff,
            clock=clock,
        )
    return message


_watches: weakref.WeakKeyDictionary[object, dict[object, JumpWatch]] = weakref.WeakKeyDictionary()


def _watch(clock: Clock) -> JumpWatch:
    key: object = SystemClock if isinstance(clock, SystemClock) else clock
    per_db = _watches.setdefault(db.obj, {})
    found = per_db.get(key)
    if found is None:
        found = per_db[key] = JumpWatch(clock)
    return found


def after_clock_set(jump: timedelta, now: datetime) -> tuple[int, int]:
    """The wall clock was just set by ``jump`` (it reads ``now``): move the retries still
    waiting by the same amount, so each keeps the wait it had left, and drop the quiet-hours
    holds of automated texts (``take_jobs`` holds again the ones in quiet hours now). Returns
    (retries moved, holds dropped)."""
    before = now - jump  # what the clock read just before it was set
    query = Message.select(Message.id, Message.next_attempt_at).where(
        (Message.direction == OUT)
        & (Message.state == QUEUED)
        & (Message.next_attempt_at > to_db(before))
    )
    rows = cast("list[tuple[int, datetime]]", list(query.tuples()))
    waiting: list[dict[str, object]] = [
        {"id": mid, "next_attempt_at": to_db(utc(at) + jump)} for mid, at in rows
    ]
    update_rows(Message, waiting)
    dropped = (
        Message.update(not_before=None)
        .where(
            (Message.direction == OUT)
            & (Message.state == QUEUED)
            & (Message.automated == True)  # noqa: E712 (SQL)
            & (Message.not_before > to_db(now))
        )
        .execute()
    )
    if waiting or dropped:
        log.warning(
            "the clock was set by %s: %d retries keep their wait, %d quiet-hours holds "
            "judged again",
            jump,
            len(waiting),
            dropped,
        )
    return len(waiting), int(dropped)


def _mark_sending(ids: list[int]) -> None:
    """Taken messages → ``sending`` (one more attempt), and their parts not yet sent back to
    ``pending``: two statements for the whole batch."""
    if not ids:
        return
    marks = ", ".join("?" for _ in ids)
    db.execute_sql(
        "UPDATE message SET state = ?, attempts = attempts + 1, next_attempt_at = NULL, "
        f"held_reason = NULL, held_until = NULL WHERE id IN ({marks})",
        [SENDING, *ids],
    )
    db.execute_sql(
        "UPDATE message_part SET state = ? WHERE message_id IN "
        f"({marks}) AND state != ? AND seq > "
        "(SELECT m.parts_sent FROM message AS m WHERE m.id = message_part.message_id)",
        ["pending", *ids, "sent"],
    )


# --- modem events ----------------------------------------------------------------------------
