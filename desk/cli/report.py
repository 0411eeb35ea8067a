"""``textdesk report``: how quickly the shop answers, in the shop's words or as CSV.

    textdesk report                          the last 4 weeks
    textdesk report --from 2026-11-01 --to 2026-11-30
    textdesk report --from 2026-11-01 --csv > november.csv

Dates are the shop's local days (setting ``timezone``), ``--to`` inclusive. Waiting times count
opening hours only (settings ``opening_hours``, ``closed_days``; none set: every hour counts).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta

from desk.base import opening_hours
from desk.base.clock import SystemClock
from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile
from desk.read import insight
from desk.store.settings import Settings

DEFAULT_DAYS = 28


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "report",
        help="how quickly the shop answers: response times, texts per day, reminders, calls",
        description="Figures for a period of the shop's local days (default: the last 4 weeks). "
        "Waiting times count only opening hours.",
    )
    p.add_argument("--from", dest="start", metavar="DATE", help="first day, e.g. 2026-11-01")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (inclusive)")
    p.add_argument("--csv", action="store_true", help="one row per day, for a spreadsheet")
    p.set_defaults(func=cmd_report)


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{flag} “{text}” is not a date like 2026-11-01.") from None


def period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The first and last local day of the report (both inclusive)."""
    last = _day(end, "--to") if end else today
    first = _day(start, "--from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise CliError(f"--from {first} is after --to {last}.")
    if (last - first).days > 366 * 3:
        raise CliError("A report covers at most three years; choose a shorter period.")
    return first, last


def cmd_report(args: argparse.Namespace) -> int:
    open_profile(args, create=False)
    settings = Settings()
    zone = settings.shop_zone()
    try:
        hours = opening_hours.parse(
            str(settings.get("opening_hours")),
            str(settings.get("closed_days")).split(","),
        )
    except ValueError as exc:
        raise CliError(f"The opening hours setting cannot be read: {exc}") from None
    today = SystemClock().now().astimezone(zone).date()
    first, last = period(args.start, args.end, today)
    start = datetime.combine(first, time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
    report = insight.build(start, end, zone, hours)
    out(as_csv(report) if args.csv else as_text(report, first, last, hours.always_open))
    return 0


def as_text(report: insight.Report, first: date, last: date, always_open: bool) -> str:
    d = insight.format_duration
    counted = "every hour counts: no opening hours set" if always_open else "opening hours only"
    answered = report.questions - report.unanswered
    r, c = report.reminders, report.calls
    lines = [
        f"TextDesk report {first} to {last} ({report.zone}; waiting time: {counted})",
        f"First reply: median {d(report.median_seconds)}, 9 in 10 within "
        f"{d(report.p90_seconds)} ({answered} of {report.questions} customer texts answered"
        f"{f', {report.unanswered} still waiting' if report.unanswered else ''})",
        f"Conversations: {report.conversations_opened} opened, "
        f"{report.conversations_done} marked done",
        f"Reminders: {r['sent']} sent; appointments {r['confirmed']} confirmed, "
        f"{r['rescheduled']} to reschedule, {r['unanswered']} unanswered",
        f"Missed calls: {c['missed']}, {c['texted_back']} texted back, "
        f"{c['replied']} of those texted the shop",
        "",
        f"{'day':<12}{'in':>6}{'out':>6}{'asked':>7}{'median':>12}{'9 in 10':>12}",
    ]
    for p in report.days:
        lines.append(
            f"{p.start.isoformat():<12}{p.messages_in:>6}{p.messages_out:>6}{p.questions:>7}"
            f"{d(p.median_seconds):>12}{d(p.p90_seconds):>12}"
        )
    if not report.days:
        lines.append("(no texts in this period)")
    return "\n".join(lines)


def as_csv(report: insight.Report) -> str:
    return insight.to_csv(report)
