"""Delivery reports: matching a status report to the part it is about, and what it means.

A report carries only the part's TP-MR (0..255, so it wraps), the recipient and times. It is
matched to the most recent part sent with that reference to that number within ``MATCH_WINDOW``
that has no final report yet; this works across multipart messages (each part has its own
reference) and modem restarts (the references are in the database). A message is ``delivered``
when all its parts are; a permanent failure (TP-ST 0x40..0x7F) fails it with the reason in plain
words. Every report is stored (``DeliveryReport``, ``part`` NULL when nothing matched); the same
report read twice is stored once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.base.clock import Clock, to_db, utc
from desk.store import fencing
from desk.store.attention import raise_cause
from desk.store.db import db
from desk.store.models import (
    ATTENTION_FAILED,
    DELIVERED,
    FAILED,
    SENT,
    DeliveryReport,
    Message,
    MessagePart,
)
from modem.events import DeliveryReport as DeliveryReportEvent

log = logging.getLogger(__name__)

MATCH_WINDOW = timedelta(days=7)
# How far the SMS centre's clock (SCTS) may be from ours and still pick a part by time.
SCTS_SLACK = timedelta(hours=2)

# TP-ST (3GPP TS 23.040 §9.2.3.15) in plain words.
_STATUS_TEXT = {
    0x00: "Delivered.",
    0x01: "Passed on to the recipient's network, which did not confirm delivery.",
    0x02: "Delivered (replaced an earlier message).",
    0x20: "The network is congested; still trying.",
    0x21: "The recipient's phone is busy; still trying.",
    0x22: "The recipient's phone does not answer; still trying.",
    0x23: "The recipient's network refused it for now; still trying.",
    0x25: "The recipient's phone reported an error; still trying.",
    0x40: "The network could not deliver it (remote procedure error).",
    0x41: "The recipient's phone cannot receive this message.",
    0x42: "The recipient's phone refused the message.",
    0x43: "The number cannot be reached.",
    0x44: "The network could not deliver it (quality of service not available).",
    0x45: "The recipient's network cannot be reached from ours.",
    0x46: "The recipient's phone was off or unreachable until the message expired.",
    0x47: "The message was deleted before delivery.",
    0x48: "The SMS centre deleted the message.",
    0x49: "The SMS centre no longer has the message.",
    0x60: "The network was congested and gave up.",
    0x61: "The recipient's phone was busy and the network gave up.",
    0x62: "The recipient's phone did not answer and the network gave up.",
    0x63: "The recipient's network refused it and the network gave up.",
    0x64: "The network could not deliver it and gave up (quality of service).",
    0x65: "The recipient's phone reported an error and the network gave up.",
}


def describe_status(status: int) -> str:
    text = _STATUS_TEXT.get(status)
    if text:
        return text
    if status < 0x20:
        return "Delivered."
    if status < 0x40:
        return f"Not delivered yet; the network is still trying (status {status:#04x})."
    return f"The network could not deliver it (status {status:#04x})."


def is_failure(status: int) -> bool:
    return 0x40 <= status <= 0x7F


def _digits(number: str | None) -> str:
    return re.sub(r"\D", "", number or "")


def same_number(a: str | None, b: str | None) -> bool:
    """Whether two forms of a number (E.164, national digits) are the same line. An unknown
    number (None/empty) matches anything: the reference and time still decide."""
    da, db_ = _digits(a), _digits(b)
    if not da or not db_:
        return True
    if len(da) >= 9 and len(db_) >= 9:
        return da[-9:] == db_[-9:]
    return da == db_


_PARTS_DELIVERED = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0), "
    "MAX(delivered_at) "
    "FROM message_part WHERE message_id = ?"
)


def _all_delivered(message_id: int, parts: int) -> tuple[bool, object]:
    """Whether every one of the message's ``parts`` is delivered, and the last delivery time
    (as stored): one aggregate query."""
    row = db.execute_sql(_PARTS_DELIVERED, (message_id,)).fetchone()
    count, delivered, last = row if row else (0, 0, None)
    return count >= parts and count > 0 and delivered == count, last


def settle_message(message: Message) -> None:
    """Set a sent message to ``delivered`` when every part is delivered."""
    if message.state != SENT:
        return
    done, last = _all_delivered(message.id, message.parts)
    if done:
        message.state = DELIVERED
        message.delivered_at = Message.delivered_at.python_value(last)  # type: ignore[no-untyped-call]
        message.save(only=[Message.state, Message.delivered_at])


def _settle(message_id: int) -> None:
    """settle_message without loading the message: two short queries and, when it is
    delivered, one UPDATE."""
    row = db.execute_sql("SELECT state, parts FROM message WHERE id = ?", (message_id,)).fetchone()
    if row is None or row[0] != SENT:
        return
    settle_sent(message_id, int(row[1]))


def settle_sent(message_id: int, parts: int) -> None:
    """A message known to be ``sent`` with ``parts`` parts → ``delivered`` when every part is
    (one aggregate query and, when it is, one UPDATE)."""
    done, last = _all_delivered(message_id, parts)
    if done:
        db.execute_sql(
            "UPDATE message SET state = ?, delivered_at = ? WHERE id = ? AND state = ?",
            (DELIVERED, last, message_id, SENT),
        )


def _submitted_at(event: DeliveryReportEvent) -> datetime | None:
    """The report's TP-SCTS: when the SMS centre took the part (≈ when we sent it)."""
    if not event.raw:
        return None
    try:
        from modem.codec.pdu import decode

        pdu = decode(event.raw)
    except Exception:  # a report we cannot re-read: match by reference and number only
        return None
    if pdu.kind != "status-report" or pdu.timestamp is None:
        return None
    return pdu.timestamp


@dataclass(frozen=True)
class _Part:
    """The columns of a MessagePart row a report needs."""

    id: int
    message_id: int
    seq: int
    sent_at: datetime | None


_OPEN_PARTS = (
    "SELECT id, message_id, seq, number, sent_at FROM message_part "
    "WHERE reference = ? AND sent_at >= ? AND state = ? ORDER BY sent_at DESC, id DESC"
)


def _find_part(event: DeliveryReportEvent, clock: Clock) -> _Part | None:
    """The open part this report is about: same reference and number, sent within the match
    window, no final report yet. Several such parts (the reference wrapped and an old part never
    got its report): the one sent closest to the report's SCTS, if that is near (the SMS
    centre's time of taking it), else the most recent."""
    since = to_db(clock.now() - MATCH_WINDOW)
    to_python = MessagePart.sent_at.python_value
    candidates = [
        _Part(int(pid), int(mid), int(seq), to_python(sent))  # type: ignore[no-untyped-call]
        for pid, mid, seq, number, sent in db.execute_sql(
            _OPEN_PARTS, (event.reference, since, "sent")
        ).fetchall()
        if same_number(number, event.number)
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    submitted = _submitted_at(event)
    if submitted is not None:
        target = utc(submitted)

        def gap(part: _Part) -> float:
            sent = part.sent_at
            return abs((utc(sent) - target).total_seconds()) if sent else float("inf")

        closest = min(candidates, key=gap)
        if gap(closest) <= SCTS_SLACK.total_seconds():
            return closest
    return candidates[0]


_SAME_REPORT = "SELECT 1 FROM delivery_report WHERE reference = ? AND raw = ? LIMIT 1"
_STORE_REPORT = (
    "INSERT INTO delivery_report (reference, number, status, delivered, final, discharge_time, "
    "received_at, raw, part_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def on_delivery_report(
    event: DeliveryReportEvent, *, clock: Clock, generation: int | None = None
) -> int | None:
    """Store a status report and apply it; returns the message id changed (or None).

    ``generation``: the modem owner's, with several counters (desk.store.fencing.Fenced when this
    counter no longer drives the modem); a report for a text an older owner sent is applied.
    Plain SQL in the common case (a report comes with every text)."""
    now = clock.now()
    stamp = DeliveryReport.received_at.db_value  # the stored form, as peewee writes it
    with db.atomic():
        if generation is not None:
            fencing.check_owner(generation)
        if event.raw and db.execute_sql(_SAME_REPORT, (event.reference, event.raw)).fetchone():
            return None  # the same report read twice (a sweep after a crash)
        part = _find_part(event, clock)
        db.execute_sql(
            _STORE_REPORT,
            (
                event.reference,
                event.number,
                event.status,
                bool(event.delivered),
                bool(event.final),
                stamp(to_db(event.discharge_time)),  # type: ignore[no-untyped-call]
                stamp(to_db(now)),  # type: ignore[no-untyped-call]
                event.raw or "",
                None if part is None else part.id,
            ),
        )
        if part is None:
            log.info("delivery report ref %s to %s matched no part", event.reference, event.number)
            return None
        if not event.final:
            db.execute_sql(
                "UPDATE message_part SET report_status = ? WHERE id = ?", (event.status, part.id)
            )
            return part.message_id
        when = to_db(event.discharge_time) if event.discharge_time else to_db(now)
        if event.delivered:  # the common case: no model loaded, the fields written only
            db.execute_sql(
                "UPDATE message_part SET report_status = ?, state = ?, delivered_at = ? "
                "WHERE id = ?",
                (event.status, "delivered", stamp(when), part.id),  # type: ignore[no-untyped-call]
            )
            _settle(part.message_id)
            return part.message_id
        message: Message = Message.get_by_id(part.message_id)
        db.execute_sql(
            "UPDATE message_part SET report_status = ?, state = ? WHERE id = ?",
            (event.status, "failed", part.id),
        )
        if message.state != FAILED:
            prefix = (
                f"Part {part.seq} of {message.parts} was not delivered: "
                if message.parts > 1
                else "Not delivered: "
            )
            message.state = FAILED
            message.error = prefix + describe_status(event.status)
            message.error_code = event.status
            message.save()
            raise_cause(message.conversation_id, ATTENTION_FAILED)
    return message.id
