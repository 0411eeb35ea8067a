"""Small helpers of the scheduler tests: contacts with a name and zone, the runs made."""

from __future__ import annotations

from desk.base.clock import FakeClock
from desk.messaging.contacts import contact_for_number
from desk.store.models import Contact, ReminderRun

NY_NUMBER = "+12025550143"
LONDON_NUMBER = "+442079460958"


def contact(number: str, name: str | None = None, tz: str | None = None) -> Contact:
    c = contact_for_number(number, clock=FakeClock())
    c.name = name
    c.timezone = tz
    c.save()
    return c


def runs(**where) -> list[ReminderRun]:
    q = ReminderRun.select().order_by(ReminderRun.id)
    for key, value in where.items():
        q = q.where(getattr(ReminderRun, key) == value)
    return list(q)
