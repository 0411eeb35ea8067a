"""How times, numbers and states read to shop staff. Times are stored UTC and shown local."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from PySide6.QtCore import QLocale, QTime

from desk.store import models as m

STATE_WORDS = {
    m.QUEUED: "Waiting to send",
    m.SENDING: "Sending…",
    m.SENT: "Sent",
    m.DELIVERED: "Delivered",
    m.FAILED: "Not sent",
    m.UNCERTAIN: "Not sure it went out",
}
STATE_TICKS = {
    m.QUEUED: "◷",
    m.SENDING: "◷",
    m.SENT: "✓",
    m.DELIVERED: "✓✓",
    m.FAILED: "✕",
    m.UNCERTAIN: "?",
}


def local(dt: datetime, zone: tzinfo) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone)


def list_time(dt: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """Conversation list: 14:05 today, Tue this week, 3 Mar this year, 3/3/25 before."""
    now = local(now or datetime.now(UTC), zone)
    t = local(dt, zone)
    if t.date() == now.date():
        return hour_minute(t)
    days = (now.date() - t.date()).days
    if 0 < days < 7:
        return t.strftime("%a")
    if t.year == now.year:
        return f"{t.day} {t.strftime('%b')}"
    return f"{t.day}/{t.month}/{t.strftime('%y')}"


def day_label(dt: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    now = local(now or datetime.now(UTC), zone)
    t = local(dt, zone)
    days = (now.date() - t.date()).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if 0 < days < 7:
        return t.strftime("%A")
    if t.year == now.year:
        return f"{t.strftime('%A')} {t.day} {t.strftime('%B')}"
    return f"{t.day} {t.strftime('%B %Y')}"


@lru_cache(maxsize=1)
def _time_format() -> str:
    """The computer's own short time format ("h:mm AP" in the US, "HH:mm" in most of Europe),
    without seconds; the C locale of a bare server gives 24-hour HH:mm."""
    fmt = QLocale.system().timeFormat(QLocale.FormatType.ShortFormat)
    fmt = fmt.replace(":ss", "").replace(".ss", "").strip()
    return fmt or "HH:mm"


def hour_minute(t: datetime) -> str:
    """A time of day as this computer writes it: the one time format of the window."""
    return QLocale.system().toString(QTime(t.hour, t.minute), _time_format())


def clock_time(dt: datetime, zone: tzinfo) -> str:
    return hour_minute(local(dt, zone))


def date_time(dt: datetime, zone: tzinfo) -> str:
    """ "Tue 3 Mar 14:05" (the time in the computer's format), for notes and histories."""
    t = local(dt, zone)
    return f"{t:%a} {t.day} {t:%b %Y} {hour_minute(t)}"
