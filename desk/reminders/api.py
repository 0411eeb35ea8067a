"""The reminders API of the window and the command line, in one name space: the writers
(``desk.reminders.manage``), "send now" (``desk.reminders.scheduler``) and the read-only
listings (``desk.reminders.listing``).

Code inside desk/ imports the module that holds a name; this module only gathers, for callers
that work with reminders as a whole (``from desk.reminders import api as reminders``).
"""

from __future__ import annotations

from desk.reminders.listing import (
    AppointmentItem,
    Detail,
    HistoryItem,
    UpcomingItem,
    appointment_list,
    detail,
    history,
    upcoming,
)
from desk.reminders.manage import (
    CANCELLED,
    DONE,
    MISSED,
    PLACEHOLDERS,
    SCHEDULED,
    ReminderError,
    cancel_reminder,
    create_reminder,
    render,
    unknown_placeholders,
    update_reminder,
)
from desk.reminders.scheduler import send_now

__all__ = [
    "CANCELLED",
    "DONE",
    "MISSED",
    "PLACEHOLDERS",
    "SCHEDULED",
    "AppointmentItem",
    "Detail",
    "HistoryItem",
    "ReminderError",
    "UpcomingItem",
    "appointment_list",
    "cancel_reminder",
    "create_reminder",
    "detail",
    "history",
    "render",
    "send_now",
    "unknown_placeholders",
    "upcoming",
    "update_reminder",
]
