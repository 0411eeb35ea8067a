"""Which incoming texts answered an appointment reminder, and what they did to it, for the
thread to say under the customer's bubble ("→ confirmed: check-up Tue 9 Dec, 9:30").
Read-only; one query over the appointments' reply_message_id for the texts on show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from desk.store.models import Appointment

__all__ = ["Reply", "replies_to"]


@dataclass(frozen=True)
class Reply:
    message_id: int
    state: str  # the appointment's state now: confirmed, reschedule, cancelled, pending
    starts_at: datetime  # aware UTC
    service: str


def replies_to(message_ids: Iterable[int]) -> dict[int, Reply]:
    """For each of ``message_ids`` that answered an appointment, what the appointment is now."""
    ids = list(message_ids)
    found: dict[int, Reply] = {}
    for start in range(0, len(ids), 500):
        query = Appointment.select(
            Appointment.reply_message, Appointment.state, Appointment.starts_at, Appointment.service
        ).where(Appointment.reply_message.in_(ids[start : start + 500]))
        rows = cast("list[tuple[int, str, datetime | str, str]]", list(query.tuples()))
        for message_id, state, at, service in rows:
            when = datetime.fromisoformat(at) if isinstance(at, str) else at
            found[message_id] = Reply(message_id, state, when.replace(tzinfo=UTC), service or "")
    return found
