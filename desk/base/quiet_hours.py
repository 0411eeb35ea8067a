"""Quiet hours: automated texts go out only inside the allowed window, in the recipient's local time.

The window is ``(start, end)`` local times, e.g. 08:00-21:00; ``None`` means no quiet hours.
A window whose end is before its start wraps midnight (22:00-06:00 allows the night).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

Window = tuple[time, time]


def parse_window(text: str) -> Window | None:
    """ "08:00-21:00" -> (08:00, 21:00); "off" -> None. Raises ValueError with a clear reason."""
    value = text.strip().lower()
    if value in ("off", "none", ""):
        return None
    try:
        start_s, end_s = value.replace("–", "-").split("-")
        start, end = _clock_time(start_s), _clock_time(end_s)
    except ValueError:
        raise ValueError(
            f"Quiet hours must look like 08:00-21:00 (the hours texts may go out) or 'off', "
            f"not “{text}”."
        ) from None
    if start == end:
        raise ValueError("Quiet hours: the start and end of the allowed window are the same.")
    return start, end


def _clock_time(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def format_window(window: Window | None) -> str:
    if window is None:
        return "off"
    return f"{window[0].strftime('%H:%M')}-{window[1].strftime('%H:%M')}"


def _allowed_local(t: time, window: Window) -> bool:
    start, end = window
    if start < end:
        return start <= t < end
    return t >= start or t < end


def is_allowed(when: datetime, tz: ZoneInfo, window: Window | None) -> bool:
    if window is None:
        return True
    return _allowed_local(when.astimezone(tz).timetz().replace(tzinfo=None), window)


def next_allowed(when: datetime, tz: ZoneInfo, window: Window | None) -> datetime:
    """The first instant at or after ``when`` (aware) that is inside the window, in UTC.

    Computed on the wall clock of ``tz`` so daylight-saving changes are respected: if the window
    opens at a local time that does not exist that day (a DST gap), the first real instant after
    it is used.
    """
    when = when.astimezone(UTC)
    if is_allowed(when, tz, window):
        return when
    assert window is not None
    start = window[0]
    local = when.astimezone(tz)
    for days in range(0, 3):
        day = (local + timedelta(days=days)).date()
        first, second = sorted(
            datetime.combine(day, start, tzinfo=tz).replace(fold=fold).astimezone(UTC)
            for fold in (0, 1)
        )
        if first == second or is_allowed(first, tz, window):
            candidate = first  # an ordinary day, or a DST overlap: the first occurrence
        else:
            # A DST gap swallowed the opening time: the first real minute after the gap.
            candidate = first
            while not is_allowed(candidate, tz, window) and candidate < second:
                candidate += timedelta(minutes=1)
        if candidate >= when and is_allowed(candidate, tz, window):
            return candidate
    # Unreachable for any sane window; never send in quiet hours by accident.
    raise RuntimeError(f"no allowed time found after {when} for window {window}")


def hold(when: datetime, tz: ZoneInfo, window: Window | None) -> datetime | None:
    """None when a text may go at ``when``; else the next allowed instant (aware UTC)."""
    allowed = next_allowed(when, tz, window)
    return allowed if allowed > when else None
