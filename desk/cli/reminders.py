"""Command line for reminders: ``remind``, ``reminders``, ``import-appointments``.

Registered by ``desk.cli.main`` (``register(subparsers)``); handlers take ``args`` and return the exit
status, reporting errors as one line (``CliError`` or a ValueError subclass).

    textdesk remind +12025550143 "Your car is ready" --at +2h
    textdesk remind 2025550143,2025550188 "Recall: time for your check-up" \\
        --at 2026-12-01T09:30 --every "6 months" --count 4
    textdesk reminders [--history] [--appointments] [--cancel ID]
    textdesk import-appointments bookings.csv [--dry-run]

Times are the shop's local time (setting ``timezone``); quiet hours, grace period and the
appointment offsets are settings (``textdesk config quiet_hours 08:00-21:00``, ``grace_minutes``,
``reminder_offsets 48h,2h``).
"""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from desk.base.clock import Clock, SystemClock, utc
from desk.cli.output import out
from desk.cli.profiles import open_profile, profile_of
from desk.engine import busy_note, live
from desk.messaging.placeholders import format_date, format_time
from desk.reminders import csv_import as appointments_csv
from desk.reminders import listing, manage
from desk.reminders.manage import create_reminder
from desk.reminders.recurrence import Rule, parse_every, to_utc
from desk.store.settings import Settings

_RELATIVE = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s*(m|min|mins|h|hr|hrs|d|day|days|w|wk|weeks?)$")


class WhenError(ValueError):
    pass


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """ "+2h", "+30m", "+3d", "+1w", or ISO 8601 local ("2026-12-01T09:30", "2026-12-01 09:30";
    an explicit offset such as "Z" or "+01:00" is honoured) -> aware UTC."""

    value = text.strip().lower()
    m = _RELATIVE.match(value)
    if m:
        amount, unit = float(m[1]), m[2][0]
        minutes = {"m": 1, "h": 60, "d": 1440, "w": 10080}[unit] * amount
        return now + timedelta(minutes=minutes)
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WhenError(
            f"--at “{text}” not understood: use local time like 2026-12-01T09:30, or +2h, +3d, +30m"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(now.tzinfo)
    if len(text.strip()) == 10:  # a date alone: 09:00 that day
        parsed = parsed.replace(hour=9)
    return to_utc(parsed, tz)


def parse_until(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise WhenError(f"--until “{text}” is not a date like 2027-06-01") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "remind",
        help="schedule a text (one-off or repeating) to one or more numbers",
        description="Schedule a reminder. WHEN is the shop's local time (2026-12-01T09:30) or "
        "relative (+2h, +3d, +30m). Placeholders: {first_name} {name} {shop} {date} {time}.",
    )
    p.add_argument("number", metavar="NUMBER", help="one number, or several separated by commas")
    p.add_argument("text", metavar="TEXT", nargs="+")
    p.add_argument("--at", required=True, metavar="WHEN")
    p.add_argument(
        "--every",
        metavar="REPEAT",
        help="day, 2days, week, week:mon,thu, month, '6 months', year",
    )
    end = p.add_mutually_exclusive_group()
    end.add_argument("--until", metavar="DATE", help="last date (inclusive), e.g. 2027-06-01")
    end.add_argument("--count", type=int, metavar="N", help="how many times in all")
    p.add_argument("--staff", help="who set it up")
    p.set_defaults(func=cmd_remind)

    p = subparsers.add_parser("reminders", help="upcoming reminders with their state")
    p.add_argument("--history", action="store_true", help="what was sent, skipped or missed")
    p.add_argument("--appointments", action="store_true", help="appointments and their replies")
    p.add_argument("--cancel", type=int, metavar="ID", help="cancel reminder ID")
    p.add_argument("-n", "--limit", type=int, default=100, metavar="N")
    p.set_defaults(func=cmd_reminders)

    p = subparsers.add_parser(
        "import-appointments",
        help="import appointments from a CSV file (name, phone, date, time, note, service)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="show the preview, create nothing")
    p.add_argument("--text", help="reminder text (default: the standard appointment text)")
    p.set_defaults(func=cmd_import)


def _setup(args: argparse.Namespace, clock: Clock | None = None) -> tuple[Settings, Clock]:
    open_profile(args)
    given: Clock | None = clock or getattr(args, "clock", None)
    return Settings(), given or SystemClock()


def cmd_remind(args: argparse.Namespace) -> int:
    settings, clock = _setup(args)
    tz = settings.shop_zone()
    at = parse_when(args.at, now=clock.now(), tz=tz)
    every = parse_every(args.every) if args.every else None
    until = parse_until(args.until) if args.until else None
    numbers = [n for n in (x.strip() for x in args.number.split(",")) if n]
    reminder = create_reminder(
        recipients=numbers,
        text=" ".join(args.text),
        at=at,
        every=every,
        until=until,
        count=args.count,
        settings=settings,
        clock=clock,
        created_by=args.staff,
    )
    # On the shop's server: the counter that drives the modem plans its next wake-up from the
    # reminders; tell it (and every window's list) now, not at its next minute.
    live.notify(live.REMINDERS, reminder.id)

    if reminder.next_at is None:  # every occurrence already past its end
        text = f"reminder {reminder.id} saved, but no occurrence is left to send"
    else:
        local = utc(reminder.next_at)
        text = (
            f"reminder {reminder.id} scheduled for {format_date(local, tz)} "
            f"{format_time(local, tz, settings.get('default_country'))} ({tz.key})"
        )
    if reminder.recurrence:
        text += ", " + Rule.from_json(reminder.recurrence).describe()
    text += f", to {len(numbers)} recipient{'s' if len(numbers) != 1 else ''}"
    out(text)
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    settings, clock = _setup(args)
    if args.cancel is not None:
        if not manage.cancel_reminder(args.cancel, clock=clock):
            raise manage.ReminderError(f"Reminder {args.cancel} is not scheduled.")
        out(f"reminder {args.cancel} cancelled")
        return 0
    if args.history:
        done = listing.history(settings=settings, limit=args.limit)
        if not done:
            out("no reminders sent yet")
        for h in done:
            reason = f"  ({h.reason})" if h.reason else ""
            out(f"{h.reminder_id:>5}  {h.local:<20} {h.recipient:<22} {h.state}{reason}")
        return 0
    if args.appointments:
        appts = listing.appointment_list(settings=settings, clock=clock, limit=args.limit)
        if not appts:
            out("no upcoming appointments")
        for a in appts:
            reply = f"  reply: “{a.reply}”" if a.reply else ""
            service = f" {a.service}" if a.service else ""
            out(
                f"{a.appointment_id:>5}  {a.local:<20} {a.who:<22} {a.state:<10}"
                f" {a.reminders} reminder(s) to go{service}{reply}"
            )
        return 0
    items = listing.upcoming(settings=settings, clock=clock, limit=args.limit)
    if not items:
        out("no upcoming reminders")
    group = None
    for item in items:
        if item.group != group:
            group = item.group
            out(f"{group}:")
        who = ", ".join(item.recipients[:3]) + (
            f" +{len(item.recipients) - 3}" if len(item.recipients) > 3 else ""
        )
        extra = [x for x in (item.repeat, item.deferred) if x]
        if item.appointment_id:
            extra.append(f"appointment {item.appointment_at}: {item.appointment_state}")
        preview = " ".join(item.text.split())
        preview = preview if len(preview) <= 40 else preview[:39] + "…"
        out(
            f"  {item.reminder_id:>5}  {item.local:<20} {who:<24} {preview}"
            + (f"  [{'; '.join(extra)}]" if extra else "")
        )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    settings, clock = _setup(args)
    tz = settings.shop_zone()
    country = settings.get("default_country")
    preview = appointments_csv.preview_file(args.file, settings=settings, clock=clock)

    new = preview.new_rows
    out(
        f"{args.file}: {len(new)} to create, {preview.existing} already imported, "
        f"{len(preview.rejected)} rejected ({preview.encoding}, delimiter {preview.delimiter!r})"
    )
    for row in preview.rows:
        mark = "=" if row.exists else "+"
        when = f"{format_date(row.starts_at, tz)} {format_time(row.starts_at, tz, country)}"
        service = f"  {row.service}" if row.service else ""
        note = "  (already imported)" if row.exists else ""
        out(f"  {mark} line {row.line:>4}: {row.name}, {row.phone}, {when}{service}{note}")
    for bad in preview.rejected:
        out(f"  ! line {bad.line:>4}: {bad.reason}" + (f"  [{bad.raw}]" if bad.raw else ""))
    if args.dry_run:
        out("dry run: nothing created")
        return 0
    # Steps of short transactions (desk.store.bulk): a running engine stores incoming texts in
    # between; the note tells a waiting textdesk command what is going on.
    busy = busy_note.Writer(profile_of(args).data_dir)
    try:
        result = appointments_csv.import_rows(
            new,
            settings=settings,
            clock=clock,
            text=args.text,
            on_status=lambda status: busy.say(status.words()),
        )
    finally:
        busy.clear()
    if result.created:
        live.notify(live.REMINDERS, 0)  # as in cmd_remind: the modem owner plans again now
    for bad in result.failed:
        out(f"  ! line {bad.line:>4}: {bad.reason}")
    out(
        f"created {len(result.created)} appointment(s)"
        + (f", {result.existing} already there" if result.existing else "")
        + (f", {len(result.failed)} failed" if result.failed else "")
    )
    return 0
