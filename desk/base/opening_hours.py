"""Opening hours: when the shop is open, per weekday and with closed days, in the shop's time zone.

A week is written the way a shop writes it on its door, one day or range of days per part::

    mon-fri 09:00-18:00; sat 10:00-14:00; sun closed

A day may have two spans (``mon 09:00-12:30,13:30-18:00``); a span whose end is before its start
runs past midnight into the next day (``fri 18:00-02:00``). Days not named are closed. Closed
days (holidays) are dates, ``2026-12-25``, on which nothing of that day opens (a span that began
the evening before still runs to its end).

Everything is computed on the shop's wall clock with zoneinfo, so daylight-saving changes are
respected: a day whose opening time falls in a DST gap opens at the first real minute after it.
The functions take and return aware datetimes; results are in UTC.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_SPAN = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?$")
Span = tuple[time, time]
# How far ahead next_open looks: a shop closed for longer than this is "closed until further notice".
_HORIZON_DAYS = 400


@dataclass(frozen=True)
class OpeningHours:
    """Spans per weekday (0 = Monday) and closed dates; ``always_open`` when no hours are set."""

    week: tuple[tuple[Span, ...], ...] = field(default_factory=lambda: ((),) * 7)
    closed: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not any(self.week)

    def intervals(
        self, start: datetime, end: datetime, tz: ZoneInfo
    ) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals (UTC, in order, clipped) that overlap [start, end)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if self.always_open:
            if start < end:
                yield start, end
            return
        first = start.astimezone(tz).date() - timedelta(days=1)  # a span from the evening before
        last = end.astimezone(tz).date()
        day = first
        while day <= last:
            for a, b in _day_spans(self, day, tz):
                a, b = max(a, start), min(b, end)
                if a < b:
                    yield a, b
            day += timedelta(days=1)


@functools.lru_cache(maxsize=8192)
def _day_spans(
    hours: OpeningHours, day: date, tz: ZoneInfo
) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC intervals of the spans that start on local ``day`` (cached: reports ask for the
    same days over and over)."""
    if day in hours.closed:
        return ()
    out = []
    for opens, closes in hours.week[day.weekday()]:
        a = _instant(day, opens, tz)
        b = _instant(day + timedelta(days=1) if closes <= opens else day, closes, tz)
        out.append((a, b))
    return tuple(out)


def _instant(day: date, t: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``t`` on ``day``: the first occurrence in a DST overlap, the
    first real instant after a DST gap."""
    naive = datetime.combine(day, t)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != naive:
        return _after_gap(naive, tz)  # a gap: the wall time does not exist that day
    return min(first, second)


def _after_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    """The first real minute at or after a wall time that a DST gap swallowed."""
    probe = naive
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=tz).astimezone(UTC)
        if candidate.astimezone(tz).replace(tzinfo=None) == probe:
            return candidate
    raise ValueError(f"{naive} has no real time after it in {tz}")  # pragma: no cover


def parse(text: str, closed: Iterable[str] = ()) -> OpeningHours:
    """Read a week as written on the door, and closed dates (``YYYY-MM-DD``).

    An empty week means no opening hours are set (always open). Raises ValueError with one plain
    sentence naming the part that could not be read."""
    week: list[list[Span]] = [[] for _ in DAYS]
    for part in re.split(r"[;\n]", text):
        part = part.strip().lower().replace("–", "-").replace("—", "-")
        if not part:
            continue
        days_text, _, spans_text = part.partition(" ")
        days = _days(days_text, part)
        spans_text = spans_text.strip()
        if not spans_text:
            raise ValueError(
                f"Opening hours: “{part}” gives days but no hours (e.g. mon 09:00-18:00)."
            )
        spans = [] if spans_text == "closed" else [_span(s, part) for s in spans_text.split(",")]
        for d in days:
            week[d] = spans
    dates: set[date] = set()
    for item in closed:
        item = item.strip()
        if not item:
            continue
        try:
            dates.add(date.fromisoformat(item))
        except ValueError:
            raise ValueError(f"Closed days are dates like 2026-12-25, not “{item}”.") from None
    return OpeningHours(tuple(tuple(spans) for spans in week), frozenset(dates))


def _days(text: str, part: str) -> list[int]:
    first, sep, last = text.partition("-")
    try:
        a = _DAY_NAMES[first]
        b = _DAY_NAMES[last] if sep else a
    except KeyError:
        raise ValueError(
            f"Opening hours: “{part}” should start with a day or days (mon, tue-fri, sat…)."
        ) from None
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _span(text: str, part: str) -> Span:
    m = _SPAN.match(text.strip())
    if not m:
        raise ValueError(
            f"Opening hours: “{text.strip()}” in “{part}” is not a time span like 09:00-18:00."
        )
    h1, m1, h2, m2 = (int(g) if g else 0 for g in m.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0  # "until midnight"
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"Opening hours: “{text.strip()}” in “{part}” is not a time of day.")
    opens, closes = time(h1, m1), time(h2, m2)
    if opens == closes:
        raise ValueError(f"Opening hours: “{text.strip()}” opens and closes at the same time.")
    return opens, closes


def format_week(hours: OpeningHours) -> str:
    """The week back as text that ``parse`` reads (consecutive days with equal hours joined)."""
    parts: list[str] = []
    i = 0
    while i < 7:
        j = i
        while j + 1 < 7 and hours.week[j + 1] == hours.week[i]:
            j += 1
        spans = hours.week[i]
        days = DAYS[i] if i == j else f"{DAYS[i]}-{DAYS[j]}"
        text = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans) if spans else "closed"
        parts.append(f"{days} {text}")
        i = j + 1
    return "; ".join(parts)


def is_open(hours: OpeningHours, when: datetime, tz: ZoneInfo) -> bool:
    return next(hours.intervals(when, when + timedelta(microseconds=1), tz), None) is not None


def next_open(hours: OpeningHours, when: datetime, tz: ZoneInfo) -> datetime | None:
    """The first instant at or after ``when`` when the shop is open (UTC); None if closed for
    more than a year (every day closed)."""
    when = when.astimezone(UTC)
    step = timedelta(days=7)
    start = when
    for _ in range(_HORIZON_DAYS // 7 + 1):
        found = next(hours.intervals(start, start + step, tz), None)
        if found is not None:
            return found[0]
        start += step
    return None


def open_seconds(hours: OpeningHours, start: datetime, end: datetime, tz: ZoneInfo) -> float:
    """Seconds of opening time between ``start`` and ``end`` (0 when end is before start)."""
    return sum((b - a).total_seconds() for a, b in hours.intervals(start, end, tz))


def describe_next_open(hours: OpeningHours, when: datetime, tz: ZoneInfo) -> str:
    """``{next_open}`` for an away reply: "today at 09:00", "tomorrow at 09:00", "Monday at 09:00"."""
    found = next_open(hours, when, tz)
    if found is None:
        return "soon"
    local, now = found.astimezone(tz), when.astimezone(tz)
    at = f"{local:%H:%M}"
    days = (local.date() - now.date()).days
    if days == 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    if days < 7:
        return f"{local:%A} at {at}"
    return f"{local:%A} {local.day} {local:%B} at {at}"


class Calendar:
    """Opening seconds between many pairs of instants inside one range, each in O(log n): the
    range's open intervals are listed once with running totals (the report's waits)."""

    def __init__(self, hours: OpeningHours, start: datetime, end: datetime, tz: ZoneInfo) -> None:
        self.hours, self.tz = hours, tz
        self.start, self.end = start.astimezone(UTC), end.astimezone(UTC)
        self._opens: list[datetime] = []
        self._closes: list[datetime] = []
        self._before: list[float] = []  # open seconds before each interval starts
        total = 0.0
        for a, b in hours.intervals(self.start, self.end, tz):
            self._opens.append(a)
            self._closes.append(b)
            self._before.append(total)
            total += (b - a).total_seconds()
        self._total = total

    def _cumulative(self, when: datetime) -> float:
        """Open seconds from the range's start to ``when`` (clamped to the range)."""
        i = bisect.bisect_right(self._opens, when) - 1
        if i < 0:
            return 0.0
        inside = min(when, self._closes[i]) - self._opens[i]
        return self._before[i] + max(inside.total_seconds(), 0.0)

    def seconds(self, a: datetime, b: datetime) -> float:
        """Open seconds between ``a`` and ``b``; outside the range, computed directly."""
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        if b <= a:
            return 0.0
        if self.hours.always_open:
            return (b - a).total_seconds()
        if a < self.start or b > self.end:
            return open_seconds(self.hours, a, b, self.tz)
        return self._cumulative(b) - self._cumulative(a)
