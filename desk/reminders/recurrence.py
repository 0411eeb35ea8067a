"""Recurrence rules for reminders, computed on the shop's local wall clock with zoneinfo.

A rule repeats an anchor (the first occurrence, a local date and time in a named zone):

- ``daily`` every N days, ``weekly`` every N weeks on given weekdays (0 = Monday), ``monthly``
  every N months, ``yearly`` every N years; optionally ``until`` a local date (inclusive) or
  ``count`` occurrences in all (the first one included).

Rules for awkward calendar days (clinic-friendly: a recall is never silently dropped):

- Monthly on the 29th-31st: months without that day use their **last day** (31 Jan → 28/29 Feb →
  31 Mar: the day always comes back, it never drifts).
- Yearly on 29 February: 28 February in non-leap years.
- A local time that does not exist (the daylight-saving gap, e.g. 02:30 on the spring-forward
  night in New York) → the first real minute after the gap (03:00).
- A local time that happens twice (the autumn overlap) → the first of the two.

Occurrence k is always computed from the anchor (never from the previous occurrence), so clamping
or DST never accumulates drift.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RuleError(ValueError):
    """A recurrence that makes no sense; the message says why in plain words."""


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # weekly only; empty: the anchor's weekday
    until: date | None = None  # last local date an occurrence may fall on (inclusive)
    count: int | None = None  # occurrences in all, the first included
    anchor: datetime = field(default=datetime(2000, 1, 1))  # local naive wall-clock time
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise RuleError(f"repeat must be one of {', '.join(FREQUENCIES)}, not “{self.freq}”")
        if not 1 <= self.interval <= 1000:
            raise RuleError("the repeat interval must be between 1 and 1000")
        if self.count is not None and self.count < 1:
            raise RuleError("the number of times must be at least 1")
        if self.until is not None and self.count is not None:
            raise RuleError("give either an end date or a number of times, not both")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise RuleError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.anchor.tzinfo is not None:
            raise RuleError("the anchor is a local wall-clock time (naive)")
        if self.until is not None and self.until < self.anchor.date():
            raise RuleError("the end date is before the first occurrence")
        ZoneInfo(self.tz)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def days(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.weekdays))) or (self.anchor.weekday(),)

    # --- storage ------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "freq": self.freq,
                "interval": self.interval,
                "weekdays": list(self.days) if self.freq == "weekly" else [],
                "until": self.until.isoformat() if self.until else None,
                "count": self.count,
                "anchor": self.anchor.isoformat(timespec="minutes"),
                "tz": self.tz,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Rule:
        data = json.loads(text)
        return cls(
            freq=data["freq"],
            interval=int(data.get("interval", 1)),
            weekdays=tuple(data.get("weekdays") or ()),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            count=data.get("count"),
            anchor=datetime.fromisoformat(data["anchor"]),
            tz=data.get("tz", "UTC"),
        )

    def describe(self) -> str:
        """Plain words: "every 6 months until 2027-06-01"."""
        unit = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}[self.freq]
        text = f"every {unit}" if self.interval == 1 else f"every {self.interval} {unit}s"
        if self.freq == "weekly":
            text += " on " + ", ".join(WEEKDAY_NAMES[d].capitalize() for d in self.days)
        if self.until:
            text += f" until {self.until.isoformat()}"
        if self.count:
            text += f", {self.count} times"
        return text

    # --- occurrences --------------------------------------------------------------------------
    def local_occurrences(self, start_index: int = 0) -> Iterator[tuple[int, datetime]]:
        """(index, local naive time) from occurrence ``start_index`` on, within until/count.

        Weekly rules always start from 0 (an index is a position in the series)."""
        if self.freq == "weekly":
            yield from self._weekly()
            return
        k = max(0, start_index)
        while True:
            if self.count is not None and k >= self.count:
                return
            local = self._nth(k)
            if self.until is not None and local.date() > self.until:
                return
            yield k, local
            k += 1

    def _nth(self, k: int) -> datetime:
        a = self.anchor
        if self.freq == "daily":
            return a + timedelta(days=k * self.interval)
        if self.freq == "monthly":
            months = a.month - 1 + k * self.interval
            return _clamped(a, a.year + months // 12, months % 12 + 1)
        return _clamped(a, a.year + k * self.interval, a.month)  # yearly

    def _weekly(self) -> Iterator[tuple[int, datetime]]:
        a = self.anchor
        week0 = a - timedelta(days=a.weekday())  # Monday of the anchor's week, same time
        k = 0
        w = 0
        while True:
            monday = week0 + timedelta(weeks=w * self.interval)
            for d in self.days:
                local = monday + timedelta(days=d)
                if local < a:
                    continue
                if self.count is not None and k >= self.count:
                    return
                if self.until is not None and local.date() > self.until:
                    return
                yield k, local
                k += 1
            w += 1

    def _estimate_index(self, local: datetime) -> int:
        """An occurrence index at or before the one due at ``local`` (a fast start)."""
        a = self.anchor
        if self.freq == "daily":
            return max(0, (local.date() - a.date()).days // self.interval - 1)
        if self.freq == "monthly":
            months = (local.year - a.year) * 12 + local.month - a.month
            return max(0, months // self.interval - 1)
        if self.freq == "yearly":
            return max(0, (local.year - a.year) // self.interval - 1)
        return 0

    def next_after(self, after: datetime, *, inclusive: bool = False) -> datetime | None:
        """The first occurrence (aware UTC) after ``after`` (aware), or None when the series ended.

        With ``inclusive`` an occurrence exactly at ``after`` counts."""
        after = after.astimezone(UTC)
        tz = self.zone
        # Local wall time a day earlier: safe against DST shifts of up to a few hours.
        local_after = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        for _, local in self.local_occurrences(self._estimate_index(local_after)):
            when = to_utc(local, tz)
            if when > after or (inclusive and when == after):
                return when
        return None

    def first(self) -> datetime | None:
        """The first occurrence (aware UTC): the anchor itself, adjusted for a DST gap."""
        for _, local in self.local_occurrences():
            return to_utc(local, self.zone)
        return None

    def index_of(self, when: datetime) -> int | None:
        """Position in the series of the occurrence at ``when`` (aware), or None."""
        when = when.astimezone(UTC)
        tz = self.zone
        local_before = when.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        for k, local in self.local_occurrences(self._estimate_index(local_before)):
            at = to_utc(local, tz)
            if at == when:
                return k
            if at > when:
                return None
        return None


def _clamped(anchor: datetime, year: int, month: int) -> datetime:
    """The anchor's day and time in (year, month), clamped to the month's last day."""
    last = calendar.monthrange(year, month)[1]
    return anchor.replace(year=year, month=month, day=min(anchor.day, last))


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A local naive wall-clock time in ``tz`` -> aware UTC.

    Overlap (the time happens twice): the first. Gap (it never happens): the first real minute
    after the gap, i.e. the instant the clocks jumped."""
    local = local.replace(tzinfo=None)
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    earliest = min(first, second)
    if earliest.astimezone(tz).replace(tzinfo=None) == local:
        return earliest
    latest = max(first, second)
    if latest.astimezone(tz).replace(tzinfo=None) == local:
        return latest
    # A gap: find the transition between the two readings (minute by minute, at most a few hours).
    probe = earliest.replace(second=0, microsecond=0)
    while probe <= latest:
        if probe.astimezone(tz).replace(tzinfo=None) >= local:
            return probe
        probe += timedelta(minutes=1)
    return latest


def parse_weekdays(text: str) -> tuple[int, ...]:
    """ "mon,wed,fri" or "1,3,5" (1 = Monday) -> (0, 2, 4)."""
    out = []
    for part in (p.strip().lower() for p in text.replace(" ", ",").split(",")):
        if not part:
            continue
        if part[:3] in WEEKDAY_NAMES:
            out.append(WEEKDAY_NAMES.index(part[:3]))
        elif part.isdigit() and 1 <= int(part) <= 7:
            out.append(int(part) - 1)
        else:
            raise RuleError(f"“{part}” is not a weekday (mon … sun)")
    return tuple(sorted(set(out)))


def parse_every(text: str) -> tuple[str, int, tuple[int, ...]]:
    """The CLI's ``--every``: "day", "2 days", "week", "week:mon,thu", "month", "6 months",
    "6m", "year" -> (freq, interval, weekdays)."""
    value = text.strip().lower()
    days: tuple[int, ...] = ()
    if ":" in value:
        value, _, day_text = value.partition(":")
        days = parse_weekdays(day_text)
    if " on " in value:
        value, _, day_text = value.partition(" on ")
        days = parse_weekdays(day_text)
    value = value.replace(" ", "")
    number = ""
    while value and value[0].isdigit():
        number, value = number + value[0], value[1:]
    interval = int(number) if number else 1
    units = {
        "d": "daily",
        "day": "daily",
        "days": "daily",
        "daily": "daily",
        "w": "weekly",
        "week": "weekly",
        "weeks": "weekly",
        "weekly": "weekly",
        "m": "monthly",
        "month": "monthly",
        "months": "monthly",
        "monthly": "monthly",
        "y": "yearly",
        "year": "yearly",
        "years": "yearly",
        "yearly": "yearly",
    }
    if value not in units:
        raise RuleError(
            f"--every “{text}” not understood; use e.g. day, 2days, week:mon,thu, month, 6months, "
            "year"
        )
    freq = units[value]
    if days and freq != "weekly":
        raise RuleError("weekdays only go with a weekly repeat (week:mon,thu)")
    return freq, interval, days
