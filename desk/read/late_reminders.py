"""The reminder that could not go before its appointment (cause ``reminder_late``), for the
thread's banner: when it was due, for which appointment, and why it was not sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import peewee as pw

from desk.store import models as m

# materialise records these runs as missed with a reason starting so
LATE_REASON = "not sent: quiet hours would hold it until after the appointment"


@dataclass(frozen=True)
class LateReminder:
    due_at: datetime  # UTC
    appointment_at: datetime | None  # UTC
    reason: str


def _aware(value: datetime | str) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def latest(contact_id: int) -> LateReminder | None:
    """The newest reminder run to ``contact_id`` held back as too late, or None."""
    query = (
        m.ReminderRun.select(m.ReminderRun.due_at, m.Appointment.starts_at, m.ReminderRun.reason)
        .join(m.Reminder)
        .join(m.Appointment, pw.JOIN.LEFT_OUTER, on=(m.Reminder.appointment == m.Appointment.id))
        .where(
            (m.ReminderRun.contact == contact_id)
            & (m.ReminderRun.state == "missed")
            & m.ReminderRun.reason.startswith(LATE_REASON)
        )
        .order_by(m.ReminderRun.due_at.desc(), m.ReminderRun.id.desc())
        .limit(1)
    )
    rows = list(cast("list[tuple[Any, Any, Any]]", list(query.tuples())))
    if not rows:
        return None
    due, starts, reason = rows[0]
    return LateReminder(_aware(due), _aware(starts) if starts else None, str(reason or ""))
