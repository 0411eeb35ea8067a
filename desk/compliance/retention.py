"""Retention: delete messages older than N days (the ``retention_days`` setting; 0 keeps all).

With each message go its parts, the delivery reports matched to them and the received parts it
was assembled from. Messages still on their way (queued, sending, uncertain) are never deleted:
someone has to see them first. Conversation previews are refreshed from what is left, and the
count goes to the AuditLog (never the content).

``RetentionJob`` is the same work as a ``desk.store.bulk.BulkJob``: groups of messages sized to
what fits in the step's time (at most ``BATCH``: on bench/bigdb.py's 1M messages a group of 500
took about 200 ms) until each step's time is spent (a first run on a large database never holds the write lock for
long), then the unmatched reports and stray parts, ``BATCH`` at a time; one AuditLog line at the
end (or at a cancel, with what was done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import cast

import peewee as pw

from desk.base.clock import Clock, utc
from desk.messaging.contacts import preview
from desk.store import attention, audit
from desk.store.bulk import BulkJob, JobStatus
from desk.store.db import db
from desk.store.models import (
    QUEUED,
    SENDING,
    UNCERTAIN,
    Conversation,
    DeliveryReport,
    IncomingPart,
    Message,
    MessagePart,
)
from desk.store.settings import SettingsReader

KEEP_STATES = (QUEUED, SENDING, UNCERTAIN)
BATCH = 500  # at most this many messages per statement group
FIRST_BATCH = 50  # the first group; the next ones sized to what fits in the step's time left


def cutoff(days: int, *, clock: Clock) -> datetime:
    """Messages created before this (naive UTC) are past retention."""
    return utc(clock.now() - timedelta(days=days)).replace(tzinfo=None)


def expired_query(days: int, *, clock: Clock) -> pw.ModelSelect[Message]:
    """(id, conversation) of the messages past retention."""
    return Message.select(Message.id, Message.conversation).where(
        (Message.created_at < cutoff(days, clock=clock)) & Message.state.not_in(KEEP_STATES)
    )


def count_expired(days: int, *, clock: Clock) -> int:
    """How many messages ``apply_retention(days)`` would delete now (0 when off)."""
    if days <= 0:
        return 0
    return expired_query(days, clock=clock).count()


def refresh_preview(conversation_id: int) -> None:
    """Set a conversation's preview and direction from its newest remaining message (the last
    activity time stays: the conversation did happen then)."""
    latest = (
        Message.select()
        .where(Message.conversation == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .first()
    )
    if latest is None:
        Conversation.update(last_preview="", last_direction=None).where(
            Conversation.id == conversation_id
        ).execute()
        return
    text = (
        "[message with sensitive data]"
        if "sensitive" in latest.flag_list and not latest.masked
        else preview(latest.body)
    )
    Conversation.update(last_preview=text, last_direction=latest.direction).where(
        Conversation.id == conversation_id
    ).execute()


def delete_messages(ids: list[int]) -> None:
    """Delete messages with their parts, matched reports and received parts (no transaction of
    its own: the caller's)."""
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        flagged = Message.select(Message.conversation).where(
            Message.id.in_(chunk) & Message.state.in_(list(attention.SEND_CAUSES))
        )
        settle = {int(c) for (c,) in cast("Iterable[tuple[int]]", flagged.distinct().tuples())}
        parts = MessagePart.select(MessagePart.id).where(MessagePart.message.in_(chunk))
        DeliveryReport.delete().where(DeliveryReport.part.in_(parts)).execute()
        IncomingPart.delete().where(IncomingPart.message.in_(chunk)).execute()
        MessagePart.delete().where(MessagePart.message.in_(chunk)).execute()
        Message.delete().where(Message.id.in_(chunk)).execute()
        for conversation_id in sorted(settle):  # a deleted failed text's marker goes with it
            attention.settle_sends(conversation_id)


def apply_retention(
    days: int, *, clock: Clock, staff: str | None = None, limit: int | None = None
) -> int:
    """Delete every message older than ``days`` days (except queued, sending and uncertain
    ones) with everything attached to it; returns the count. ``days`` <= 0: off, returns 0.

    ``limit``: delete at most this many (the oldest first) so a first run on a large database
    can be spread over several short transactions (about 1-2 s per 50k messages on a 1M
    database); call again until it returns less than ``limit``.

    Also removed: delivery reports and received parts older than the cutoff that never found a
    message (nothing left to match them to). One transaction."""
    if days <= 0:
        return 0
    horizon = cutoff(days, clock=clock)
    with db.atomic():
        query = expired_query(days, clock=clock)
        if limit is not None:
            query = query.order_by(Message.created_at, Message.id).limit(max(0, limit))
        # (id, conversation_id) pairs; types-peewee types .tuples() as the model query.
        rows = cast("list[tuple[int, int]]", list(query.tuples()))
        ids = [r[0] for r in rows]
        conversations = sorted({r[1] for r in rows})
        delete_messages(ids)
        stray_reports = (
            DeliveryReport.delete()
            .where(DeliveryReport.part.is_null() & (DeliveryReport.received_at < horizon))
            .execute()
        )
        stray_parts = (
            IncomingPart.delete()
            .where(IncomingPart.message.is_null() & (IncomingPart.received_at < horizon))
            .execute()
        )
        for conversation_id in conversations:
            refresh_preview(conversation_id)
        if ids or stray_reports or stray_parts:
            detail = f"{len(ids)} messages older than {days} days deleted"
            if stray_reports or stray_parts:
                detail += f" ({stray_reports} unmatched reports, {stray_parts} stray parts)"
            audit.record("retention", detail, staff, clock=clock)
    return len(ids)


def apply_from_settings(*, settings: SettingsReader, clock: Clock, limit: int | None = None) -> int:
    """What the engine calls periodically: ``apply_retention(settings.get("retention_days"))``."""
    return apply_retention(int(settings.get("retention_days")), clock=clock, limit=limit)


class RetentionJob(BulkJob[int]):
    """``apply_retention`` in short steps (see the module doc); ``result()`` is the number of
    messages deleted so far."""

    def __init__(
        self,
        days: int,
        *,
        clock: Clock,
        staff: str | None = None,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> None:
        total = count_expired(days, clock=clock)
        super().__init__("deleting old messages", total, on_status=on_status)
        self.days = days
        self.clock = clock
        self.staff = staff
        self.horizon = cutoff(days, clock=clock) if days > 0 else None
        self.deleted = 0
        self.stray_reports = 0
        self.stray_parts = 0
        self._messages_left = days > 0
        self._batch = FIRST_BATCH

    def result(self) -> int:
        return self.deleted

    def advance(self, deadline: float) -> bool:
        if self.horizon is None:
            return True
        while True:
            if self._messages_left:
                query = (
                    expired_query(self.days, clock=self.clock)
                    .order_by(Message.created_at, Message.id)
                    .limit(self._batch)
                )
                started = self.monotonic()
                rows = cast("list[tuple[int, int]]", list(query.tuples()))
                delete_messages([r[0] for r in rows])
                for conversation_id in sorted({r[1] for r in rows}):
                    refresh_preview(conversation_id)
                self.deleted += len(rows)
                self.done = min(self.total, self.deleted)
                self._messages_left = len(rows) == self._batch
                now = self.monotonic()
                each = max(1e-6, (now - started) / max(1, len(rows)))  # seconds per message
                left = deadline - now if now < deadline else 0.8 * self.step_seconds
                self._batch = max(10, min(BATCH, int(left / each)))
            else:
                reports = DeliveryReport.select(DeliveryReport.id).where(
                    DeliveryReport.part.is_null() & (DeliveryReport.received_at < self.horizon)
                )
                parts = IncomingPart.select(IncomingPart.id).where(
                    IncomingPart.message.is_null() & (IncomingPart.received_at < self.horizon)
                )
                r = DeliveryReport.delete().where(DeliveryReport.id.in_(reports.limit(BATCH)))
                p = IncomingPart.delete().where(IncomingPart.id.in_(parts.limit(BATCH)))
                n_reports, n_parts = r.execute(), p.execute()
                self.stray_reports += n_reports
                self.stray_parts += n_parts
                if n_reports < BATCH and n_parts < BATCH:
                    self._audit()
                    return True
            if self.monotonic() >= deadline:
                return False

    def cancelled(self) -> None:
        with db.atomic():
            self._audit(" (stopped before the end)")

    def _audit(self, note: str = "") -> None:
        if not (self.deleted or self.stray_reports or self.stray_parts):
            return
        detail = f"{self.deleted} messages older than {self.days} days deleted"
        if self.stray_reports or self.stray_parts:
            detail += f" ({self.stray_reports} unmatched reports, {self.stray_parts} stray parts)"
        audit.record("retention", detail + note, self.staff, clock=self.clock)
