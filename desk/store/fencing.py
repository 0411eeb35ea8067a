"""Claims and marks of outgoing texts fenced by the modem owner's generation (issue 15).

On a shop's PostgreSQL server one counter drives the modem (desk.engine.owner elects it with a
session advisory lock); each win raises ``modem_owner.generation`` by one. Everything that claims
an outgoing text for the modem or marks what the modem did with it runs inside a transaction
that first takes the owner row FOR SHARE and checks the generation (``check_owner``): a counter
that lost the modem (its lock session closed while it slept, hung or lost the network) is refused
with ``Fenced`` before it writes anything, and the takeover (an UPDATE of that row) waits for a
claim in progress to commit, so no claim slips in after it. The UPDATEs carry the generation too
(a text claimed by a newer owner is never claimed or marked by an older one).

The claim itself is ``SELECT ... FOR UPDATE OF message SKIP LOCKED``: what BEGIN IMMEDIATE gives
on SQLite (one claimer at a time) is given here by row locks, so two claimers never take the same
text and never wait for each other. Every function runs in the caller's transaction (its own
``db.atomic()`` becomes a savepoint), on the engine's core thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import peewee as pw

from desk.store import outgoing
from desk.store.attention import raise_cause
from desk.store.counters import OWNER_ROW, ModemOwner
from desk.store.db import db
from desk.store.models import (
    ATTENTION_UNCERTAIN,
    OUT,
    QUEUED,
    SENDING,
    UNCERTAIN,
    Message,
    MessagePart,
)

__all__ = [
    "Fenced",
    "check_owner",
    "claim_outgoing",
    "current_generation",
    "is_server",
    "mark_sending",
    "may_mark",
    "recover_stale",
]

SendOrder = tuple[int, object, int]  # (priority, created_at as stored, id), as send_queue's


class Fenced(RuntimeError):
    """This counter no longer drives the modem: another counter took it over."""

    def __init__(self, mine: int, current: int) -> None:
        super().__init__(
            f"Another counter drives the modem now (generation {current}; this one had "
            f"{mine}): this counter stops sending."
        )
        self.mine = mine
        self.current = current


def is_server() -> bool:
    """Whether the models are bound to a PostgreSQL server (several counters)."""
    return isinstance(db.obj, pw.PostgresqlDatabase)


def current_generation() -> int:
    """The generation of the counter that drives the modem now (0: none has yet)."""
    value = ModemOwner.select(ModemOwner.generation).where(ModemOwner.id == OWNER_ROW).scalar()
    return int(value or 0)


_SHARE_OWNER = "SELECT generation FROM modem_owner WHERE id = %s FOR SHARE"


def check_owner(generation: int) -> None:
    """Raise ``Fenced`` unless ``generation`` is the modem owner's; on PostgreSQL the owner row
    stays share-locked until the caller's transaction ends, so a takeover waits for it."""
    if not db.in_transaction():
        raise RuntimeError("check_owner runs inside the transaction it fences")
    if is_server():
        row = db.execute_sql(_SHARE_OWNER, (OWNER_ROW,)).fetchone()
        current = int(row[0]) if row else 0
    else:
        current = current_generation()
    if current != generation:
        raise Fenced(generation, current)


def _owner_is(generation: int) -> pw.Expression:
    """SQL: the owner row still holds ``generation`` (carried by every fenced UPDATE)."""
    return cast(
        "pw.Expression",
        pw.fn.EXISTS(
            ModemOwner.select(ModemOwner.id).where(
                (ModemOwner.id == OWNER_ROW) & (ModemOwner.generation == generation)
            )
        ),
    )


def _not_newer(generation: int) -> pw.Expression:
    return Message.owner_generation.is_null() | (Message.owner_generation <= generation)


def claim_outgoing(
    generation: int,
    *,
    now: datetime,
    limit: int,
    after: SendOrder | None = None,
    staff_only: bool = False,
) -> list[Message]:
    """Up to ``limit`` queued outgoing texts that are due, in send order (priority, created_at,
    id) after ``after``, with their conversation and contact, row-locked for this transaction
    (PostgreSQL: FOR UPDATE OF message SKIP LOCKED, so a text another claimer holds is passed
    over, never waited for). Fenced first. Nothing is marked: the caller picks which of them go
    (rate limits, quiet hours) and passes those to ``mark_sending``."""
    check_owner(generation)
    return outgoing.due_outgoing(
        now,
        limit=limit,
        after=after,
        staff_only=staff_only,
        generation=generation,
        lock=is_server(),
    )


def mark_sending(ids: list[int], generation: int) -> list[int]:
    """The claimed texts ``ids`` → ``sending`` under ``generation`` (one more attempt), their
    parts not yet sent back to ``pending``; fenced, and the UPDATE itself carries the generation
    (a text still queued, not claimed by a newer owner, while the owner row says ``generation``).
    Returns the ids marked (in id order)."""
    if not ids:
        return []
    with db.atomic():
        check_owner(generation)
        rows = (
            Message.update(
                state=SENDING,
                owner_generation=generation,
                attempts=Message.attempts + 1,
                next_attempt_at=None,
                held_reason=None,
                held_until=None,
            )
            .where(
                Message.id.in_(ids)
                & (Message.state == QUEUED)
                & _not_newer(generation)
                & _owner_is(generation)
            )
            .returning(Message.id)
            .execute()
        )
        marked = sorted(int(r.id) for r in cast("Any", rows))
        if marked:
            resume_at = Message.select(Message.parts_sent).where(Message.id == MessagePart.message)
            MessagePart.update(state="pending").where(
                MessagePart.message.in_(marked)
                & (MessagePart.seq > resume_at)
                & (MessagePart.state != "sent")
            ).execute()
    return marked


def may_mark(message_id: int, generation: int) -> bool:
    """Before recording what the modem did with a part of ``message_id``: raises ``Fenced``
    when ``generation`` no longer drives the modem; False when the text was claimed by another
    generation (a newer owner took it on), True when this owner may write it. The message row
    is locked for this transaction on PostgreSQL."""
    check_owner(generation)
    query = Message.select(Message.owner_generation).where(Message.id == message_id)
    if is_server():
        query = query.for_update(True)
    return bool(query.scalar() == generation)


def recover_stale(generation: int) -> list[int]:
    """The new owner's first write: texts left ``sending`` by an older generation (its PC died
    or lost the network with them in flight) may or may not have gone out → ``uncertain``, never
    resent automatically; returns their ids."""
    with db.atomic():
        check_owner(generation)
        stale = list(
            Message.select(Message.id, Message.conversation, Message.parts, Message.parts_sent)
            .where(
                (Message.direction == OUT)
                & (Message.state == SENDING)
                & (Message.owner_generation.is_null() | (Message.owner_generation < generation))
            )
            .order_by(Message.id)
        )
        for message in stale:
            progress = (
                f" Parts 1–{message.parts_sent} of {message.parts} went out."
                if message.parts > 1 and message.parts_sent
                else ""
            )
            Message.update(
                state=UNCERTAIN,
                error=(
                    "The counter that was sending this stopped, so it is not known whether it "
                    f"went out.{progress} Check with the customer, then resend or mark it as sent."
                ),
            ).where((Message.id == message.id) & (Message.state == SENDING)).execute()
            MessagePart.update(state="uncertain").where(
                (MessagePart.message == message.id) & (MessagePart.state == "submitting")
            ).execute()
            raise_cause(message.conversation_id, ATTENTION_UNCERTAIN)
    return [m.id for m in stale]
