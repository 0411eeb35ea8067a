"""How quickly does the shop answer? The figures of the insight page and ``textdesk report``.

Everything is computed by SQL aggregates over indexed columns; Python sees only small results:
counts per quarter-hour (to turn into the shop's local days and hours, whatever its UTC offset),
and one row per customer question (when it was asked, when the shop first answered) to count the
waiting time inside opening hours only. Nothing here writes.

A *question* is a customer's text that arrives when the shop had not been waiting to answer
(the conversation's first text, or the first after a reply); its *response* is the shop's next
text that staff wrote, in the window or with ``textdesk send`` (automatic texts — reminders,
away replies, keyword answers, missed-call texts, consent replies — do not count).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import peewee as pw

from desk.base import opening_hours
from desk.base.clock import to_db
from desk.store import models as m

# Texts staff wrote (the window, ``textdesk send``): the only ones that answer a customer.
_REPLY_SOURCES = "('staff', 'cli')"
# The "Missed call 14:02" line in a caller's thread: a call, counted with the calls, not a text.
_CALL_LINE = "call"
_QUARTER = (
    "strftime('%Y-%m-%d %H:', created_at) || "
    "printf('%02d', (CAST(strftime('%M', created_at) AS INTEGER) / 15) * 15)"
)
_QUARTER_PG = (  # the same text on the shop's PostgreSQL server
    "to_char(date_trunc('hour', created_at) "
    "+ floor(extract(minute FROM created_at) / 15) * interval '15 minutes', 'YYYY-MM-DD HH24:MI')"
)


@dataclass(frozen=True)
class Period:
    """A day or an ISO week (``start`` is its first local day) with its figures."""

    start: date
    messages_in: int = 0
    messages_out: int = 0
    questions: int = 0
    answered: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None


@dataclass(frozen=True)
class Report:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    zone: str
    days: tuple[Period, ...]
    weeks: tuple[Period, ...]
    heatmap: tuple[tuple[int, ...], ...]  # [weekday 0=Mon][local hour] texts from customers
    median_seconds: float | None
    p90_seconds: float | None
    questions: int
    unanswered: int
    conversations_opened: int
    conversations_done: int
    reminders: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)


def _on_server() -> bool:
    return isinstance(m.Message._meta.database.obj, pw.PostgresqlDatabase)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    if _on_server():  # psycopg's placeholders; no literal "?" or "%" in these statements
        sql = sql.replace("?", "%s")
    cursor = m.Message._meta.database.execute_sql(sql, tuple(params))
    return [tuple(r) for r in cursor.fetchall()]


def _db(dt: datetime) -> str:
    return str(to_db(dt))


def _parse(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _percentiles(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return float(statistics.median(ordered)), float(p90)


def questions(start: datetime, end: datetime) -> list[tuple[datetime, datetime | None]]:
    """(asked, first answered or None) for every customer question asked in [start, end)."""
    sql = f"""
        SELECT s.created_at,
               (SELECT MIN(r.created_at) FROM message r
                 WHERE r.conversation_id = s.conversation_id AND r.direction = '{m.OUT}'
                   AND r.source IN {_REPLY_SOURCES} AND r.created_at > s.created_at)
        FROM message s
        WHERE s.created_at >= ? AND s.created_at < ? AND s.direction = '{m.IN}'
          AND s.source != '{_CALL_LINE}'
          AND COALESCE((SELECT p.direction FROM message p
                         WHERE p.conversation_id = s.conversation_id
                           AND p.created_at < s.created_at
                           AND ((p.direction = '{m.IN}' AND p.source != '{_CALL_LINE}')
                                OR p.source IN {_REPLY_SOURCES})
                         ORDER BY p.created_at DESC LIMIT 1), '{m.OUT}') = '{m.OUT}'
    """
    out: list[tuple[datetime, datetime | None]] = []
    for asked, answered in _rows(sql, (_db(start), _db(end))):
        out.append((_parse(asked), _parse(answered) if answered is not None else None))
    return out


def _quarters(start: datetime, end: datetime) -> list[tuple[datetime, str, int]]:
    sql = f"""
        SELECT {_QUARTER_PG if _on_server() else _QUARTER} AS q, direction, COUNT(*) FROM message
        WHERE created_at >= ? AND created_at < ? AND source != '{_CALL_LINE}'
        GROUP BY q, direction
    """
    return [
        (datetime.fromisoformat(q).replace(tzinfo=UTC), d, int(n))
        for q, d, n in _rows(sql, (_db(start), _db(end)))
    ]


def _scalar(sql: str, params: Sequence[Any]) -> int:
    rows = _rows(sql, params)
    return int(rows[0][0] or 0) if rows else 0


def build(
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    hours: opening_hours.OpeningHours | None = None,
) -> Report:
    """The figures for [start, end) (aware datetimes), waits counted inside ``hours`` only."""
    hours = hours or opening_hours.OpeningHours()
    week_of = _week_start
    days: dict[date, dict[str, Any]] = {}
    weeks: dict[date, dict[str, Any]] = {}
    heat = [[0] * 24 for _ in range(7)]

    def bucket(table: dict[date, dict[str, Any]], key: date) -> dict[str, Any]:
        return table.setdefault(key, {"in": 0, "out": 0, "waits": [], "questions": 0})

    for quarter, direction, count in _quarters(start, end):
        local = quarter.astimezone(zone)
        for table, key in ((days, local.date()), (weeks, week_of(local.date()))):
            bucket(table, key)[direction] += count
        if direction == m.IN:
            heat[local.weekday()][local.hour] += count

    waits: list[float] = []
    asked = questions(start, end)
    latest = max((answered for _, answered in asked if answered is not None), default=end)
    calendar = opening_hours.Calendar(
        hours, start - timedelta(days=1), max(latest, end) + timedelta(days=1), zone
    )
    for when, answered in asked:
        local_day = when.astimezone(zone).date()
        for table, key in ((days, local_day), (weeks, week_of(local_day))):
            bucket(table, key)["questions"] += 1
        if answered is None:
            continue
        seconds = calendar.seconds(when, answered)
        waits.append(seconds)
        for table, key in ((days, local_day), (weeks, week_of(local_day))):
            bucket(table, key)["waits"].append(seconds)

    median, p90 = _percentiles(waits)
    return Report(
        start=start,
        end=end,
        zone=zone.key,
        days=_periods(days),
        weeks=_periods(weeks),
        heatmap=tuple(tuple(row) for row in heat),
        median_seconds=median,
        p90_seconds=p90,
        questions=len(asked),
        unanswered=sum(1 for _, answered in asked if answered is None),
        conversations_opened=_events(start, end, ("opened", "reopened")),
        conversations_done=_events(start, end, ("done",)),
        reminders=_reminders(start, end),
        calls=_calls(start, end),
    )


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _periods(table: dict[date, dict[str, Any]]) -> tuple[Period, ...]:
    out = []
    for key in sorted(table):
        b = table[key]
        median, p90 = _percentiles(b["waits"])
        out.append(
            Period(
                start=key,
                messages_in=b["in"],
                messages_out=b["out"],
                questions=b["questions"],
                answered=len(b["waits"]),
                median_seconds=median,
                p90_seconds=p90,
            )
        )
    return tuple(out)


def _events(start: datetime, end: datetime, kinds: tuple[str, ...]) -> int:
    marks = ",".join("?" * len(kinds))
    return _scalar(
        "SELECT COUNT(DISTINCT conversation_id) FROM conversation_event "
        f"WHERE at >= ? AND at < ? AND kind IN ({marks})",
        (_db(start), _db(end), *kinds),
    )


def _reminders(start: datetime, end: datetime) -> dict[str, int]:
    """Reminder texts that went out in the period, and what became of their appointments."""
    sent = _scalar(
        "SELECT COUNT(*) FROM reminder_run r JOIN message msg ON msg.id = r.message_id "
        "WHERE r.due_at >= ? AND r.due_at < ? AND msg.state IN (?, ?)",
        (_db(start), _db(end), m.SENT, m.DELIVERED),
    )
    rows = _rows(
        "SELECT a.state, COUNT(DISTINCT a.id) FROM appointment a "
        "JOIN reminder rem ON rem.appointment_id = a.id "
        "JOIN reminder_run r ON r.reminder_id = rem.id "
        "WHERE r.due_at >= ? AND r.due_at < ? AND r.message_id IS NOT NULL GROUP BY a.state",
        (_db(start), _db(end)),
    )
    states = {str(state): int(n) for state, n in rows}
    return {
        "sent": sent,
        "confirmed": states.get("confirmed", 0),
        "rescheduled": states.get("reschedule", 0),
        "unanswered": states.get("pending", 0),
        "cancelled": states.get("cancelled", 0),
    }


def _calls(start: datetime, end: datetime) -> dict[str, int]:
    """Missed calls, how many got a text back, and how many of those callers then texted."""
    rows = _rows(
        "SELECT COUNT(*), COUNT(c.textback_id), "
        "  SUM(CASE WHEN c.textback_id IS NOT NULL AND EXISTS ("
        "      SELECT 1 FROM message i JOIN conversation v ON v.id = i.conversation_id "
        f"     WHERE v.contact_id = c.contact_id AND i.direction = '{m.IN}' "
        f"       AND i.source != '{_CALL_LINE}' "
        "        AND i.created_at > c.started_at) THEN 1 ELSE 0 END) "
        "FROM call c WHERE c.started_at >= ? AND c.started_at < ? AND NOT c.answered",
        (_db(start), _db(end)),
    )
    missed, texted, replied = rows[0] if rows else (0, 0, 0)
    return {
        "missed": int(missed or 0),
        "texted_back": int(texted or 0),
        "replied": int(replied or 0),
    }


def format_duration(seconds: float | None) -> str:
    """3 min, 1 h 05 min, 2 d 3 h; "–" when there is nothing to measure."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def automation_counts(start: datetime, end: datetime) -> dict[str, int]:
    """How many automatic answers each automation queued in [start, end), by message source."""
    rows = _rows(
        "SELECT source, COUNT(*) FROM message WHERE created_at >= ? AND created_at < ? "
        f"AND direction = '{m.OUT}' AND source IN ('away', 'keyword', 'missed_call') "
        "GROUP BY source",
        (_db(start), _db(end)),
    )
    return {str(source): int(n) for source, n in rows}


def to_csv(report: Report) -> str:
    """One row per day (for a spreadsheet): texts in/out, customer texts, answered, waits."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["day", "texts_in", "texts_out", "customer_texts", "answered", "median_s", "p90_s"]
    )
    for p in report.days:
        writer.writerow(
            [
                p.start.isoformat(),
                p.messages_in,
                p.messages_out,
                p.questions,
                p.answered,
                "" if p.median_seconds is None else round(p.median_seconds),
                "" if p.p90_seconds is None else round(p.p90_seconds),
            ]
        )
    return buffer.getvalue().rstrip("\n")
